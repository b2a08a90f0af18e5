"""Frame folders decode exactly like videos: same indices, chunks, pixels and errors."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from stprompt_core.video.decode import (VideoDecodeError, decode_snippet_frames, iter_snippet_frames,
                                        iter_timed_frames, probe_video, sampled_indices)
from stprompt_core.video.frames import (FrameFolderError, frame_folder_sha256, is_frame_folder, list_frame_images,
                                        runs_from_mask)
from stprompt_core.video.loader import DecodeFailure, DecodeJob, decode_videos

N, H, W = 37, 24, 32


def _content(n: int = N, seed: int = 0) -> np.ndarray:
    """Frames ``[n, H, W, 3]`` uint8 of random pixels: any decoding difference shows."""
    return np.random.default_rng(seed).integers(0, 256, (n, H, W, 3), dtype=np.uint8)


def write_png_folder(folder: Path, frames: np.ndarray, name: str = "{:03d}.png") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        Image.fromarray(frame).save(folder / name.format(i))
    return folder


def write_ffv1(path: Path, frames: np.ndarray) -> Path:
    """A lossless video (FFV1, BGR0 in Matroska): decodes back to exactly ``frames``."""
    with av.open(str(path), "w", format="matroska") as out:
        stream = out.add_stream("ffv1", rate=24)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "bgr0"
        for frame in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        out.mux(stream.encode(None))
    return path


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tuple[Path, Path, np.ndarray]:
    """The same content as a folder of PNGs and as an FFV1 video."""
    root = tmp_path_factory.mktemp("pair")
    frames = _content()
    return write_png_folder(root / "01_0014", frames), write_ffv1(root / "01_0014.mkv", frames), frames


@pytest.mark.parametrize("stride, chunk_size", [(16, 64), (16, 1), (5, 3), (1, 8)])
def test_folder_and_lossless_video_give_identical_chunks(pair, stride, chunk_size):
    folder, video, frames = pair
    a = list(iter_snippet_frames(folder, stride, chunk_size, video_id="v"))
    b = list(iter_snippet_frames(video, stride, chunk_size, video_id="v"))
    assert [(c.start, len(c), c.num_frames) for c in a] == [(c.start, len(c), c.num_frames) for c in b]
    for ca, cb in zip(a, b):
        assert ca.frames.dtype == cb.frames.dtype and ca.frames.shape == cb.frames.shape
        assert ca.frames.equal(cb.frames) and ca.partners.equal(cb.partners)
    sampled, partners = sampled_indices(N, stride)  # and both are the content's sampled frames
    np.testing.assert_array_equal(np.concatenate([c.frames.numpy() for c in a]), frames[sampled])
    np.testing.assert_array_equal(np.concatenate([c.partners.numpy() for c in a]), frames[partners])


def test_whole_video_and_probe(pair):
    folder, video, frames = pair
    a, b = decode_snippet_frames(folder, 16), decode_snippet_frames(video, 16)
    assert a.video_id == "01_0014" == b.video_id and a.num_frames == N == b.num_frames
    assert a.frames.equal(b.frames) and a.partners.equal(b.partners)
    info = probe_video(folder)
    assert (info.frame_size, info.num_frames, info.fps) == ((W, H), N, None)
    assert probe_video(video).frame_size == info.frame_size


def test_every_frame_with_its_time_from_a_folder_and_a_video(pair):
    folder, video, frames = pair
    rate, tb, timed = iter_timed_frames(video, (W, H))
    got = list(timed)
    assert rate == 24 and tb is not None and len(got) == N
    np.testing.assert_array_equal(np.stack([f.rgb for f in got]), frames)
    np.testing.assert_allclose([f.time_s for f in got], np.arange(N) / 24, atol=1e-3)  # Matroska: milliseconds
    rate, tb, timed = iter_timed_frames(folder, (W // 2, H // 2), fps=10)  # a folder's rate is given; any size
    got = list(timed)
    assert (rate, tb, len(got)) == (10, None, N) and got[0].rgb.shape == (H // 2, W // 2, 3)
    assert got[-1].time_s == pytest.approx((N - 1) / 10) and got[-1].pts is None
    with pytest.raises(ValueError, match="no frame rate"):
        iter_timed_frames(folder, (W, H))
    with pytest.raises(VideoDecodeError, match="file not found"):
        iter_timed_frames(folder.parent / "nowhere.mp4", (W, H))


def test_chunk_limit_follows_frame_bytes_like_video(pair):
    folder, video, _ = pair
    limit_bytes = 2 * 3 * H * W * 2  # room for two sampled frames and their partners
    sizes = [[len(c) for c in iter_snippet_frames(p, 4, 64, max_chunk_bytes=limit_bytes)] for p in (folder, video)]
    assert sizes[0] == sizes[1] == [2, 2, 2, 2, 2]  # 10 snippets of 4 frames


def test_worker_processes_decode_folders_and_report_corrupt_images(tmp_path, pair):
    folder, video, _ = pair
    bad = write_png_folder(tmp_path / "bad", _content(20, seed=1))
    (bad / "016.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"not an image" * 10)
    jobs = [DecodeJob("folder", str(folder)), DecodeJob("bad", str(bad)), DecodeJob("video", str(video))]
    for workers in (0, 2):
        items = list(decode_videos(jobs, stride=16, chunk_size=2, num_workers=workers))
        failures = [i for i in items if isinstance(i, DecodeFailure)]
        assert [(f.video_id, f.path) for f in failures] == [("bad", str(bad))]
        assert "frame 16" in failures[0].reason and "016.png" in failures[0].reason
        got = {vid: [c for c in items if not isinstance(c, DecodeFailure) and c.video_id == vid]
               for vid in ("folder", "video")}
        assert [c.start for c in got["folder"]] == [0, 2] == [c.start for c in got["video"]]
        for a, b in zip(got["folder"], got["video"]):
            assert a.frames.equal(b.frames) and a.partners.equal(b.partners)


def test_natural_numeric_order(tmp_path):
    frames = _content(11)
    folder = write_png_folder(tmp_path / "v", frames, name="img_{}.png")  # img_0 ... img_10: 10 sorts after 9
    assert [p.name for p in list_frame_images(folder)][8:] == ["img_8.png", "img_9.png", "img_10.png"]
    chunk = decode_snippet_frames(folder, stride=5)
    np.testing.assert_array_equal(chunk.frames.numpy(), frames[[0, 5, 10]])
    np.testing.assert_array_equal(chunk.partners.numpy(), frames[[1, 6, 9]])  # the last frame pairs with the one before


def test_other_files_are_ignored_and_odd_images_are_made_rgb_at_the_first_size(tmp_path):
    frames = _content(3)
    folder = write_png_folder(tmp_path / "v", frames)
    (folder / "Thumbs.db").write_bytes(b"xx")
    (folder / ".hidden.png").write_bytes(b"xx")
    Image.fromarray(np.full((H * 2, W * 2), 77, np.uint8)).save(folder / "002.png")  # grey, twice the size
    chunk = decode_snippet_frames(folder, stride=2)
    assert chunk.num_frames == 3 and chunk.frames.shape == (2, H, W, 3)
    assert (chunk.frames[1] == 77).all()  # frame 2: grey 77 in all channels, resized to the first frame's size
    assert is_frame_folder(folder) and not is_frame_folder(tmp_path) and not is_frame_folder(folder / "000.png")


@pytest.mark.parametrize("kind, message", [
    ("garbage", r"frame 16: cannot read image 016\.png"),
    ("truncated", r"frame 16: cannot read image 016\.png"),
    ("empty", r"no frame images"),
    ("duplicate", r"images 001\.jpg and 001\.png give the same frame number"),
    ("padding", r"images 001\.png and 1\.png give the same frame number"),
    ("gap", r"frame numbers skip from 004\.png to 006\.png: image missing"),
])
def test_bad_folders_raise_naming_the_image(tmp_path, kind, message):
    folder = write_png_folder(tmp_path / "v", _content(20)) if kind != "empty" else tmp_path / "v"
    folder.mkdir(exist_ok=True)
    if kind == "garbage":
        (folder / "016.png").write_bytes(np.random.default_rng(0).integers(0, 256, 500, dtype=np.uint8).tobytes())
    elif kind == "truncated":
        data = (folder / "016.png").read_bytes()
        (folder / "016.png").write_bytes(data[: len(data) // 2])
    elif kind == "duplicate":
        Image.fromarray(_content(1)[0]).save(folder / "001.jpg")
    elif kind == "padding":
        (folder / "1.png").write_bytes((folder / "001.png").read_bytes())
    elif kind == "gap":
        (folder / "005.png").unlink()
    with pytest.raises(VideoDecodeError, match=message) as info:
        list(iter_snippet_frames(folder))
    assert info.value.path == str(folder) and str(folder) in str(info.value)
    if kind not in ("garbage", "truncated"):  # listing problems are found by the header probe too
        with pytest.raises(VideoDecodeError, match=message):
            probe_video(folder)


def test_missing_folder_is_a_missing_video(tmp_path):
    with pytest.raises(VideoDecodeError, match="file not found"):
        list(iter_snippet_frames(tmp_path / "01_0014"))


def test_folder_digest_follows_bytes_names_and_membership(tmp_path):
    folder = write_png_folder(tmp_path / "v", _content(3))
    before = frame_folder_sha256(folder)
    assert before == frame_folder_sha256(folder) and len(before) == 64
    (folder / "002.png").rename(folder / "002.PNG")
    renamed = frame_folder_sha256(folder)
    Image.fromarray(_content(1, seed=5)[0]).save(folder / "003.png")
    added = frame_folder_sha256(folder)
    assert len({before, renamed, added}) == 3
    (tmp_path / "empty").mkdir()
    with pytest.raises(FrameFolderError, match="no frame images"):
        frame_folder_sha256(tmp_path / "empty")


def test_runs_from_mask_are_half_open() -> None:
    assert runs_from_mask(np.array([1, 0, 1, 1, 0, 0, 1])) == [[0, 1], [2, 4], [6, 7]]
    assert runs_from_mask(np.zeros(5)) == []
