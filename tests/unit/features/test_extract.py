"""`stprompt extract` end to end on tiny mp4s: store contents, corrupt files, resume."""

from __future__ import annotations

import numpy as np
import pytest
from extract_fixtures import VIDEOS, assert_same_stores, square_frames, tiny_config, write_dataset

from stprompt_core.backbone.configs import embed_dim
from stprompt_core.config import ConfigError, load_config
from stprompt_core.features.extract import extract_features
from stprompt_core.features.store import FeatureStore
from stprompt_core.video.decode import num_snippets
from stprompt_core.video.geometry import patch_boxes
from tests.cli import run_cli


def _run_cli(argv: list[str]) -> int:
    return run_cli(["extract", *argv])


@pytest.fixture(scope="module")
def dataset_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("videos")
    write_dataset(root, corrupt=True)
    return root


@pytest.fixture(scope="module")
def extracted(dataset_root):
    """One CLI extraction of the dataset with its corrupt file; returns (root, exit code)."""
    code = _run_cli(["--profile", "tiny", "--set", f"data.manifest={dataset_root / 'manifest.json'}",
                     "--set", f"data.data_root={dataset_root}", "--set", f"data.feature_store={dataset_root / 'store'}",
                     "--workers", "1", "--no-progress"])
    return dataset_root, code


def test_corrupt_video_is_skipped_and_others_kept(extracted):
    root, code = extracted
    assert code == 1
    store = FeatureStore(root / "store")
    ids = {v.video_id for s in ("train", "test") for v in store.videos(s)}
    assert ids == {v[0] for v in VIDEOS}


def test_corrupt_video_message_names_the_file(tmp_path, capsys):
    write_dataset(tmp_path, corrupt=True)
    cfg = tiny_config(tmp_path, **{"data.feature_store": str(tmp_path / "s")})
    summary = extract_features(cfg, video_ids=["broken", "n1"], num_workers=0, progress=False)
    assert not summary.ok and summary.extracted == ["n1"]
    assert "broken.mp4" in summary.failed["broken"]
    assert "broken.mp4" in capsys.readouterr().err
    assert "failed broken" in summary.format()


def test_store_contents_follow_the_contract(extracted):
    root, _ = extracted
    store = FeatureStore(root / "store")
    meta = store.meta
    D = embed_dim(load_config("tiny").backbone.model_name)  # SynthCLIP-T: 384
    assert (meta.embed_dim, meta.top_k, meta.patch_grid, meta.snippet_len) == (D, 4, [8, 8], 16)
    assert meta.frame_size == [64, 48]
    assert meta.backbone["model_name"] == "SynthCLIP-T-MiniLM" and len(meta.backbone["weights_sha256"]) == 64
    spec = {v[0]: v for v in VIDEOS}
    for split in ("train", "test"):
        for v in store.videos(split):
            _, vsplit, label, _, n, _ = spec[v.video_id]
            T = num_snippets(n, 16)
            assert vsplit == split and v.label == label and v.num_frames == n
            assert v.frame_feats.shape == (T, D) and v.patch_feats.shape == (T, 4, D)
            assert v.patch_idx.shape == (T, 4) and v.patch_motion.shape == (T, 64)
            if split == "test":
                assert v.frame_gt.shape == (n,) and v.frame_gt.sum() == (24 if label else 0)
            else:
                assert v.frame_gt.size == 0
    # full tokens only for the test video with boxes; its K patches are those tokens' rows
    tokens = store.tokens("a1")
    a1 = next(v for v in store.videos("test") if v.video_id == "a1")
    assert tokens.shape == (num_snippets(96, 16), 64, D)
    picked = np.take_along_axis(tokens, a1.patch_idx[..., None].astype(np.int64), axis=1)
    np.testing.assert_allclose(picked, a1.patch_feats, atol=1e-3)
    with pytest.raises(ValueError, match="no patch tokens"):
        store.tokens("n1")


def test_top_k_patches_sit_on_the_moving_square(extracted):
    root, _ = extracted
    store = FeatureStore(root / "store")
    boxes = patch_boxes(_geometry(), (8, 8)).numpy()  # [P, 4] in frame pixels
    for v in store.videos("train") + store.videos("test"):
        i = [x[0] for x in VIDEOS].index(v.video_id)
        _, xs = square_frames(VIDEOS[i][4], seed=i)
        for t, f in enumerate(range(0, v.num_frames - 1, 16)):
            x0, x1 = min(xs[f], xs[f + 1]), max(xs[f], xs[f + 1]) + 12  # union of both squares
            near = (boxes[:, 0] < x1 + 2) & (boxes[:, 2] > x0 - 2) & (boxes[:, 1] < 32) & (boxes[:, 3] > 16)
            assert near[v.patch_idx[t]].all(), (v.video_id, t)
            # and they are the highest-motion patches of the stored motion map
            assert v.patch_motion[t][v.patch_idx[t]].min() >= np.sort(v.patch_motion[t])[-4] - 1e-3


def test_resume_skips_finished_videos_and_matches_a_full_run(tmp_path):
    write_dataset(tmp_path)
    first = extract_features(tiny_config(tmp_path), video_ids=["n0", "a1"], num_workers=0, progress=False,
                             finalize=False)  # a run "killed" after two videos
    assert sorted(first.extracted) == ["a1", "n0"]
    parts = {p: p.stat().st_mtime_ns for p in (tmp_path / "store" / "parts").rglob("*.safetensors")}
    resumed = extract_features(tiny_config(tmp_path), num_workers=0, progress=False)
    assert sorted(resumed.skipped) == ["a1", "n0"] and sorted(resumed.extracted) == ["a0", "n1"]
    assert resumed.sampled_frames == num_snippets(67, 16) + num_snippets(48, 16)
    assert all(p.stat().st_mtime_ns == m for p, m in parts.items())  # nothing rewritten
    again = extract_features(tiny_config(tmp_path), num_workers=0, progress=False)
    assert again.extracted == [] and again.sampled_frames == 0

    full = extract_features(tiny_config(tmp_path, store="full"), num_workers=0, progress=False)
    assert full.ok
    assert_same_stores(tmp_path / "store", tmp_path / "full")


def test_unknown_manifest_dataset_or_stride_fails_before_work(tmp_path):
    write_dataset(tmp_path)
    with pytest.raises(ConfigError, match="extract.frame_stride is not a setting: .*set data.snippet_len"):
        tiny_config(tmp_path, **{"extract.frame_stride": 8})  # the stride is the snippet length
    with pytest.raises(ValueError, match="data.dataset"):
        extract_features(tiny_config(tmp_path, **{"data.dataset": "ucf_crime"}), progress=False)


def _geometry():
    from stprompt_core.video.geometry import frame_geometry

    return frame_geometry((64, 48), 64, "shortest")


def test_no_stray_temporaries(tmp_path):
    write_dataset(tmp_path)
    extract_features(tiny_config(tmp_path), video_ids=["n1"], num_workers=0, progress=False)
    assert [p for p in (tmp_path / "store").rglob("*") if p.name.endswith(".tmp")] == []
