"""Helpers of the extraction tests: moving-square mp4s, a manifest, a ``tiny`` config, store comparison."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from stprompt_core.config import Config, load_config
from stprompt_core.data.manifest import Manifest, VideoEntry
from stprompt_core.video.write import write_mp4

WIDTH, HEIGHT, SQUARE = 64, 48, 12


def square_frames(n: int, seed: int, speed: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Frames ``[n, 48, 64, 3]`` of a static textured scene with a bright square moving right,
    and the square's top-left x per frame ``[n]``."""
    rng = np.random.default_rng(seed)
    background = (rng.random((HEIGHT, WIDTH, 3)) * 50 + 60).astype(np.uint8)
    frames = np.repeat(background[None], n, axis=0)
    xs = 8 + (np.arange(n) * speed) % (WIDTH - 16 - SQUARE)
    for i, x in enumerate(xs):
        frames[i, 18 : 18 + SQUARE, x : x + SQUARE] = 250
    return frames, xs


# (id, split, label, class, frames, boxed)
VIDEOS = [
    ("n0", "train", 0, "normal", 50, False),
    ("a0", "train", 1, "fighting", 67, False),
    ("n1", "test", 0, "normal", 48, False),
    ("a1", "test", 1, "falling", 96, True),
]


def write_dataset(root: Path, corrupt: bool = False) -> Manifest:
    """Write the videos (plus a garbage ``.mp4`` when ``corrupt``) and their manifest under ``root``."""
    entries = []
    for i, (vid, split, label, cls, n, boxed) in enumerate(VIDEOS):
        frames, _ = square_frames(n, seed=i)
        write_mp4(root / "videos" / f"{vid}.mp4", frames)
        entries.append(VideoEntry(id=vid, path=f"videos/{vid}.mp4", split=split, label=label, cls=cls, num_frames=n,
                                  intervals=[[16, 40]] if label else [],
                                  boxes={"16": [[8.0, 18.0, 40.0, 30.0]]} if boxed else None,
                                  box_size=[WIDTH, HEIGHT] if boxed else None))
    if corrupt:
        (root / "videos" / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"not a video" * 40)
        entries.insert(2, VideoEntry(id="broken", path="videos/broken.mp4", split="test", label=0, cls="normal"))
    manifest = Manifest("synthvad", entries)
    manifest.save(root / "manifest.json")
    return manifest


def tiny_config(root: Path, store: str = "store", **overrides) -> Config:
    values = {"data.manifest": str(root / "manifest.json"), "data.data_root": str(root),
              "data.feature_store": str(root / store), **overrides}
    return load_config("tiny", values)


def assert_same_stores(a: Path, b: Path) -> None:
    """Two stores hold the same videos with the same arrays (features up to batch rounding)."""
    from stprompt_core.features.store import FeatureStore

    sa, sb = FeatureStore(a), FeatureStore(b)
    assert sa.meta == sb.meta and sa.splits == sb.splits
    for split in ("train", "test"):
        va = {v.video_id: v for v in sa.videos(split)}
        vb = {v.video_id: v for v in sb.videos(split)}
        assert va.keys() == vb.keys()
        for vid in va:
            assert va[vid].num_frames == vb[vid].num_frames
            for name in ("patch_idx", "patch_motion", "frame_gt"):  # per-frame work: exact
                np.testing.assert_array_equal(getattr(va[vid], name), getattr(vb[vid], name), err_msg=f"{vid}.{name}")
            for name in ("frame_feats", "patch_feats"):  # batched forwards: a batch-size rounding apart at most
                np.testing.assert_allclose(getattr(va[vid], name).astype(np.float32),
                                           getattr(vb[vid], name).astype(np.float32), atol=1e-2, rtol=0,
                                           err_msg=f"{vid}.{name}")
