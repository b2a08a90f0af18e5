"""The mp4 writer: BT.601 YUV 4:2:0 against hand-computed values, byte-identical output for identical frames."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import torch

from stprompt_core.video.write import H264Writer, rgb_to_yuv420p, write_mp4


def _solid(rgb: tuple[int, int, int], h: int = 4, w: int = 4) -> np.ndarray:
    return np.broadcast_to(np.array(rgb, np.uint8), (h, w, 3)).copy()


def test_bt601_limited_range_of_solid_colours():
    # (Y, U, V) by the 8-bit BT.601 formulas, worked by hand:
    # white: Y = ((220 * 255 + 128) >> 8) + 16 = 235; red: Y = ((66 * 255 + 128) >> 8) + 16 = 82,
    # U = ((-38 * 255 * 4 + 512) >> 10) + 128 = 90, V = ((112 * 255 * 4 + 512) >> 10) + 128 = 240
    cases = {(0, 0, 0): (16, 128, 128), (255, 255, 255): (235, 128, 128), (255, 0, 0): (82, 90, 240),
             (0, 0, 255): (41, 240, 110)}
    for rgb, (y, u, v) in cases.items():
        out = rgb_to_yuv420p(_solid(rgb))  # [6, 4]: 4 Y rows, then U (1 row) and V (1 row) of 2x2 each
        assert out.shape == (6, 4)
        assert (out[:4] == y).all() and (out[4, :4] == u).all() and (out[5, :4] == v).all(), rgb


def test_chroma_is_the_mean_of_each_2x2_block():
    frame = np.zeros((4, 4, 3), np.uint8)
    frame[0, 0] = (0, 0, 255)  # one blue pixel of the top-left block: U = ((112 * 255 + 512) >> 10) + 128 = 156
    out = rgb_to_yuv420p(frame)
    assert out.shape == (6, 4)
    u = out[4].reshape(2, 2)  # the U plane (2x2), packed as PyAV's yuv420p array: [H/4, W] rows
    assert u.tolist() == [[156, 128], [128, 128]]


def test_conversion_does_not_depend_on_memory_layout():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    buf = np.zeros(frame.size + 1, np.uint8)
    shifted = buf[1:].reshape(frame.shape)  # same values at an odd address
    shifted[...] = frame
    assert np.array_equal(rgb_to_yuv420p(frame), rgb_to_yuv420p(shifted))
    assert np.array_equal(rgb_to_yuv420p(frame), rgb_to_yuv420p(np.asfortranarray(frame)))


def test_identical_frames_give_identical_bytes(tmp_path):
    rng = np.random.default_rng(1)
    frames = [rng.integers(0, 256, (32, 48, 3), dtype=np.uint8) for _ in range(6)]
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    assert write_mp4(a, frames) == 6
    write_mp4(b, [f.copy() for f in frames])
    assert a.read_bytes() == b.read_bytes()


def test_heights_that_are_not_multiples_of_four_encode(tmp_path):
    from stprompt_core.video.decode import decode_snippet_frames

    frames = [_solid((200, 40, 40), h=6, w=8) for _ in range(3)]  # U and V: 3x4 = 12 values each
    assert rgb_to_yuv420p(frames[0]).shape == (9, 8)
    assert write_mp4(tmp_path / "a.mp4", frames) == 3
    decoded = decode_snippet_frames(tmp_path / "a.mp4", stride=1).frames  # [3, 6, 8, 3]
    assert decoded.shape == (3, 6, 8, 3)
    assert (decoded.int() - torch.tensor([200, 40, 40])).abs().max() <= 4


def test_the_writer_keeps_given_timestamps_and_writes_what_write_mp4_writes(tmp_path):
    rng = np.random.default_rng(2)
    frames = [rng.integers(0, 256, (32, 48, 3), dtype=np.uint8) for _ in range(5)]
    write_mp4(tmp_path / "a.mp4", frames)
    with H264Writer(tmp_path / "b.mp4", 25) as w:  # write_mp4's defaults: the same bytes
        for f in frames:
            w.write(f)
    assert w.count == 5 and (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()
    pts = [0, 1, 2, 5, 6]  # in 1/25 s: a gap of 120 ms after the third frame
    with H264Writer(tmp_path / "vfr.mp4", 25, time_base=Fraction(1, 25)) as w:
        for f, p in zip(frames, pts):
            w.write(f, p)
    with av.open(str(tmp_path / "vfr.mp4")) as c:
        s = c.streams.video[0]
        times = [float(f.pts * s.time_base) for f in c.decode(s)]
    np.testing.assert_allclose(np.asarray(times) - times[0], np.asarray(pts) / 25, atol=1e-3)
