"""`extract_features` on a manifest whose videos are frame folders (ShanghaiTech's test set)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from extract_fixtures import WIDTH, square_frames, tiny_config
from PIL import Image

from stprompt_core.data.manifest import Manifest, VideoEntry
from stprompt_core.features.extract import extract_features
from stprompt_core.features.store import FeatureStore
from stprompt_core.video.decode import num_snippets

N = 50


def _write(root: Path) -> None:
    """The same moving-square video as a PNG folder ("fold") and as a lossless FFV1 file ("file"),
    a normal training folder, and a folder whose sampled frame 16 is corrupt."""
    frames, _ = square_frames(N, seed=0)
    other, _ = square_frames(N, seed=1)
    for name, content in (("fold", frames), ("train", other), ("broken", other)):
        (root / name).mkdir(parents=True)
        for i, frame in enumerate(content):
            Image.fromarray(frame).save(root / name / f"{i:03d}.png")
    (root / "broken" / "016.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with av.open(str(root / "file.mkv"), "w", format="matroska") as out:
        stream = out.add_stream("ffv1", rate=24)
        stream.width, stream.height, stream.pix_fmt = WIDTH, frames.shape[1], "bgr0"
        for frame in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        out.mux(stream.encode(None))
    Manifest("synthvad", [
        VideoEntry("train", "train", "train", 0, "normal", num_frames=N),
        VideoEntry("fold", "fold", "test", 1, "falling", num_frames=N, intervals=[[16, 40]]),
        VideoEntry("file", "file.mkv", "test", 1, "falling", num_frames=N, intervals=[[16, 40]]),
        VideoEntry("broken", "broken", "test", 0, "normal"),
    ]).save(root / "manifest.json")


def test_frame_folders_extract_like_the_same_lossless_video(tmp_path):
    _write(tmp_path)
    summary = extract_features(tiny_config(tmp_path), num_workers=1, progress=False)
    assert sorted(summary.extracted) == ["file", "fold", "train"] and list(summary.failed) == ["broken"]
    assert "016.png" in summary.failed["broken"] and str(tmp_path / "broken") in summary.failed["broken"]
    assert summary.warnings == [] and summary.frame_size == [64, 48]

    store = FeatureStore(tmp_path / "store")
    test = {v.video_id: v for v in store.videos("test")}
    fold, file = test["fold"], test["file"]
    assert fold.num_frames == file.num_frames == N and fold.frame_feats.shape[0] == num_snippets(N, 16)
    np.testing.assert_array_equal(fold.frame_gt, file.frame_gt)
    np.testing.assert_array_equal(fold.patch_idx, file.patch_idx)  # same pixels: same motion, same patches
    np.testing.assert_array_equal(fold.patch_motion, file.patch_motion)
    for name in ("frame_feats", "patch_feats"):  # separate forwards: a batch rounding apart at most
        np.testing.assert_allclose(getattr(fold, name).astype(np.float32), getattr(file, name).astype(np.float32),
                                   atol=1e-2, rtol=0)
    assert [v.video_id for v in store.videos("train")] == ["train"]
