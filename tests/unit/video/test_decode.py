"""PyAV decoding of sampled frames and their motion partners; clear errors for bad files."""

from __future__ import annotations

import numpy as np
import pytest

from stprompt_core.video.decode import (VideoDecodeError, decode_snippet_frames, iter_snippet_frames, num_snippets,
                                        probe_video, sampled_indices)
from stprompt_core.video.loader import DecodeFailure, DecodeJob, decode_videos
from stprompt_core.video.write import write_mp4


def _frames(n: int, h: int = 48, w: int = 64) -> np.ndarray:
    """Frames whose brightness encodes their index (robust to H.264 at high quality)."""
    levels = (np.arange(n) * 5 % 200 + 20).astype(np.uint8)
    return np.broadcast_to(levels[:, None, None, None], (n, h, w, 3)).copy()


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    path = tmp_path_factory.mktemp("dec") / "clip.mp4"
    frames = _frames(37)
    write_mp4(path, frames)
    return path, frames


def test_sampled_indices():
    assert num_snippets(32, 16) == 2 and num_snippets(33, 16) == 3
    s, p = sampled_indices(33, 16)
    np.testing.assert_array_equal(s, [0, 16, 32])
    np.testing.assert_array_equal(p, [1, 17, 31])  # the last frame pairs with the one before
    s, p = sampled_indices(1, 16)
    np.testing.assert_array_equal(s, [0]) and np.testing.assert_array_equal(p, [0])


def test_decoded_frames_are_the_sampled_ones(video):
    path, frames = video
    chunk = decode_snippet_frames(path, stride=12)
    s, p = sampled_indices(37, 12)
    assert chunk.num_frames == 37 and chunk.frame_size == (64, 48) and len(chunk) == 4
    assert chunk.frames.dtype.is_floating_point is False and chunk.frames.shape == (4, 48, 64, 3)
    np.testing.assert_allclose(chunk.frames.float().mean((1, 2, 3)).numpy(), frames[s].mean((1, 2, 3)), atol=3)
    np.testing.assert_allclose(chunk.partners.float().mean((1, 2, 3)).numpy(), frames[p].mean((1, 2, 3)), atol=3)


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 64])
def test_chunks_cover_all_snippets_and_the_last_carries_the_count(video, chunk_size):
    path, _ = video
    chunks = list(iter_snippet_frames(path, stride=16, chunk_size=chunk_size, video_id="v"))
    assert [c.start for c in chunks] == list(range(0, 3, chunk_size))
    assert sum(len(c) for c in chunks) == 3 and all(c.video_id == "v" for c in chunks)
    assert [c.num_frames for c in chunks] == [None] * (len(chunks) - 1) + [37]


def test_probe(video):
    info = probe_video(video[0])
    assert info.frame_size == (64, 48) and info.num_frames == 37


@pytest.mark.parametrize("kind", ["missing", "empty", "garbage", "truncated"])
def test_bad_files_raise_naming_the_file(tmp_path, video, kind):
    path = tmp_path / f"{kind}.mp4"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "garbage":
        path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    elif kind == "truncated":
        data = video[0].read_bytes()
        path.write_bytes(data[: len(data) // 2])
    with pytest.raises(VideoDecodeError, match=f"{kind}.mp4") as info:
        list(iter_snippet_frames(path))
    assert info.value.path == str(path)


def test_parallel_decoding_equals_in_process(tmp_path, video):
    good = DecodeJob("good", str(video[0]))
    bad = DecodeJob("bad", str(tmp_path / "nope.mp4"))
    other = tmp_path / "other.mp4"
    write_mp4(other, _frames(20, 32, 32))
    jobs = [good, bad, DecodeJob("other", str(other))]
    inproc = list(decode_videos(jobs, stride=8, chunk_size=2, num_workers=0))
    workers = list(decode_videos(jobs, stride=8, chunk_size=2, num_workers=2))

    def key(items):
        chunks = sorted((i.video_id, i.start, i.frames.sum().item(), i.num_frames) for i in items
                        if not isinstance(i, DecodeFailure))
        failures = sorted((i.video_id, i.reason) for i in items if isinstance(i, DecodeFailure))
        return chunks, failures

    assert key(inproc) == key(workers)
    assert key(inproc)[1] == [("bad", "file not found")]
