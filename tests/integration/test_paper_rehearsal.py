"""Rehearsal of each paper profile end to end, the way a user runs it on the real release.

For every paper profile a tiny release in the dataset's official layout
(``tests/paper_fixtures.py``) goes through the CLI::

    stprompt data index NAME --root DIR      (default manifest path of the profile)
    stprompt data check NAME --root DIR --expect ...
    stprompt extract  --profile NAME
    stprompt train    --profile NAME --run-dir runs/rehearsal
    stprompt evaluate --run-dir runs/rehearsal
    stprompt localize --run-dir runs/rehearsal

from a fresh working directory, so the profile's own relative paths (``data.manifest``,
``data.feature_store``) are used, with the data root in ``$STPROMPT_DATA_ROOT`` as the
profile's header says. Only :data:`OVERRIDES` change the profile: everything else (the
ViT-B/16 geometry, K, snippet length, losses, validation split, test split, localization
settings) runs as a user's GPU session would run it. Select with ``-k paper_rehearsal``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from stprompt_core.classes import class_index
from stprompt_core.cli import main
from stprompt_core.config import DATA_ROOT_ENV, load_config
from stprompt_core.data.manifest import load_manifest
from stprompt_core.features.store import FeatureStore
from tests.cli import run_cli
from tests.paper_fixtures import EVENT, WRITERS, Release

pytestmark = pytest.mark.slow

# What cannot run here, and nothing else: no download of the OpenAI weights (a seeded random
# init of the same ViT-B/16), one epoch instead of ten.
OVERRIDES = {"backbone.pretrained": "", "train.epochs": 1}
RUN_DIR = "runs/rehearsal"
EMBED_DIM, PATCH_GRID = 512, [14, 14]  # ViT-B/16 at 224 px


def sets() -> list[str]:
    return [a for k, v in OVERRIDES.items() for a in ("--set", f"{k}={v}")]


def rehearse(profile: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> Release:
    """Write the fixture release, then index, check, extract, train, evaluate and localize it."""
    release = WRITERS[profile](tmp_path / "release")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv(DATA_ROOT_ENV, str(release.root))
    cfg = load_config(profile, OVERRIDES)

    # index + check: every video found, in the right split with the right label
    assert run_cli(["data", "index", profile, "--root", str(release.root)]) == 0
    manifest = load_manifest(cfg.manifest())
    for split, labels in release.splits.items():
        assert {v.id: v.label for v in manifest.split(split)} == labels, split
        for v in manifest.split(split):
            assert (release.root / v.path).exists(), v.path  # a video file or a frame folder
            assert v.class_list() == release.classes[v.id], v.id
            if split in ("val", "test") and v.label:
                assert v.intervals, f"{v.id}: abnormal {split} video without intervals"
    assert {v.id: sorted(int(f) for f in v.boxes) for v in manifest.videos if v.boxes} == release.boxed
    assert run_cli(["data", "check", profile, "--root", str(release.root), *release.expect_args()]) == 0

    # extract: the profile's geometry and crops in the store, and a clean summary
    capsys.readouterr()
    assert run_cli(["extract", "--profile", profile, "--no-progress", *sets()]) == 0
    summary = capsys.readouterr().out
    assert "warning" not in summary, summary
    store = FeatureStore(cfg.data.feature_store)
    assert (store.meta.embed_dim, list(store.meta.patch_grid)) == (EMBED_DIM, PATCH_GRID)
    assert (store.meta.top_k, store.meta.crops) == (cfg.extract.top_k_patches, cfg.extract.crops)
    assert store.meta.frame_size is not None and tuple(store.meta.frame_size) == release.frame_size
    K, P = cfg.extract.top_k_patches, PATCH_GRID[0] * PATCH_GRID[1]
    for split, labels in release.splits.items():
        crops = cfg.extract.crops if split in cfg.extract.crop_splits else 1
        assert store.meta.crops_of(split) == crops, split
        for crop in range(crops):
            videos = {v.video_id: v for v in store.videos(store.crop_split(split, crop))}
            assert {vid: v.label for vid, v in videos.items()} == labels, (split, crop)
            for v in videos.values():
                assert v.num_frames == release.frames(split, v.label)
                assert v.classes == [class_index(profile, c) for c in release.classes[v.video_id]], v.video_id
                T = math.ceil(v.num_frames / cfg.data.snippet_len)
                assert v.frame_feats.shape == (T, EMBED_DIM)
                assert v.patch_feats.shape == (T, K, EMBED_DIM)
                assert v.patch_motion.shape == (T, P)
                assert np.isfinite(v.frame_feats.astype(np.float32)).all()
                if split == cfg.data.test_split:  # the annotation's inclusive "16 39" is frames [16, 40)
                    expected = np.zeros(v.num_frames, np.uint8)
                    expected[slice(*EVENT)] = v.label
                    np.testing.assert_array_equal(v.frame_gt, expected, err_msg=v.video_id)

    # train one epoch, evaluate the test split
    assert run_cli(["train", "--profile", profile, "--run-dir", RUN_DIR, *sets()]) == 0
    run = work / RUN_DIR
    assert (run / "best.safetensors").is_file()
    assert json.loads((run / "config.json").read_text())["profile"] == profile
    assert run_cli(["evaluate", "--run-dir", RUN_DIR]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["split"] == cfg.data.test_split and math.isfinite(metrics["auc"]), metrics
    assert set(json.loads((run / "scores.json").read_text())) == set(release.splits[cfg.data.test_split])

    # localize: boxes where the release has them; otherwise the user is told there is nothing to box
    if release.boxed:
        assert run_cli(["localize", "--run-dir", RUN_DIR]) == 0
        loc = json.loads((run / "localization.json").read_text())
        assert loc["n_frames"] == sum(len(f) for f in release.boxed.values())
        assert loc["n_videos"] == len(release.boxed) and math.isfinite(loc["mean_iou"])
    else:
        capsys.readouterr()
        assert main(["localize", "--run-dir", RUN_DIR]) == 2
        assert "no 'test' video has boxes" in capsys.readouterr().err
        assert not (run / "localization.json").exists()
    return release


def test_paper_rehearsal_ucf_crime(tmp_path, monkeypatch, capsys):
    rehearse("ucf_crime", tmp_path, monkeypatch, capsys)


def test_paper_rehearsal_xd_violence(tmp_path, monkeypatch, capsys):
    rehearse("xd_violence", tmp_path, monkeypatch, capsys)


def test_paper_rehearsal_ubnormal(tmp_path, monkeypatch, capsys):
    rehearse("ubnormal", tmp_path, monkeypatch, capsys)


def test_paper_rehearsal_shanghaitech(tmp_path, monkeypatch, capsys):
    rehearse("shanghaitech", tmp_path, monkeypatch, capsys)
