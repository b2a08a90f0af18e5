"""Importing VadCLIP's released CLIP features: the exact layout, VadCLIP's frame convention, bad
input (skipped and listed, or refused with nothing written), and SA2 switched off plainly."""

from __future__ import annotations

import re

import numpy as np
import pytest
from released_fixtures import AUTHORS, UCF_TEST, UCF_TRAIN, XD_TEST, write_ucf_release, write_xd_release

from stprompt_core.features.released import ReleasedFeaturesError, import_vadclip
from stprompt_core.features.store import FeatureStore, FeatureStoreError


@pytest.fixture
def ucf(tmp_path):
    return write_ucf_release(tmp_path / "release"), tmp_path / "store"


def test_ucf_import_keeps_every_crop_and_vadclip_frame_ground_truth(ucf):
    root, out = ucf
    summary = import_vadclip(root, "ucf_crime", out, progress=False)
    assert summary.ok and summary.imported == {"train": 4, "test": 2}
    assert summary.crops == {"train": list(range(10)), "test": [5]}
    store = FeatureStore(out)
    assert (store.meta.top_k, store.meta.crops, store.meta.crop_splits) == (0, 10, ["train"])
    assert not store.meta.has_patches and store.meta.source["kind"] == "vadclip_released"
    assert sorted(store.splits) == sorted(["test", "train"] + [f"train.crop{k}" for k in range(1, 10)])
    # every crop k of a training video is the file <video>__k.npy (stored as float16)
    folder, video, _, T = UCF_TRAIN[1]
    for k in (0, 3, 9):
        v = next(v for v in store.videos(store.crop_split("train", k)) if v.video_id == video)
        want = np.load(root / "UCFClipFeatures" / folder / f"{video}__{k}.npy")
        np.testing.assert_allclose(v.frame_feats, want.astype(np.float16))
        assert v.patch_feats.shape == (T, 0, 512) and v.frame_gt.size == 0
    # test: the listed crop 5; 16 frames per snippet; "165 240" marks frames [165, 240) as VadCLIP's gt[s:e]
    test = {v.video_id: v for v in store.videos("test")}
    abuse = test["Abuse028_x264"]
    assert abuse.num_frames == 16 * 20 == abuse.frame_gt.size
    assert np.flatnonzero(abuse.frame_gt).tolist() == list(range(165, 240))
    assert (abuse.label, abuse.class_name) == (1, "Abuse")
    normal = test["Normal_Videos_003_x264"]
    assert (normal.label, normal.frame_gt.sum(), normal.num_frames) == (0, 0, 16 * UCF_TEST[1][3])
    assert "SA2 off" in summary.format()
    assert not list(out.parent.glob(".store*"))  # no temporary left beside the store


def test_xd_import_reads_flat_folders_multi_labels_and_truncates_ground_truth(tmp_path):
    root = write_xd_release(tmp_path / "release")
    summary = import_vadclip(root, "xd_violence", tmp_path / "store", progress=False)
    assert summary.ok and summary.imported == {"train": 4, "test": 3}
    assert summary.crops == {"train": list(range(10)), "test": [0]}
    store = FeatureStore(tmp_path / "store")
    test = {v.video_id: v for v in store.videos("test")}
    multi = test[XD_TEST[0][0]]  # ..._label_G-B2-B6, annotated "16 40 100 130"
    assert multi.classes[0] == multi.class_index and len(multi.classes) == 3 and multi.label == 1
    assert np.flatnonzero(multi.frame_gt).tolist() == list(range(16, 40)) + list(range(100, 130))
    cut = test[XD_TEST[1][0]]  # "0 1517" on a 10-snippet video: cut at 16 * 10 frames
    assert cut.frame_gt.size == 160 and cut.frame_gt.all()
    assert test[XD_TEST[2][0]].frame_gt.sum() == 0 and test[XD_TEST[2][0]].label == 0


def test_second_import_of_the_same_lists_is_reused(ucf):
    root, out = ucf
    import_vadclip(root, "ucf_crime", out, progress=False)
    again = import_vadclip(root, "ucf_crime", out, progress=False)
    assert again.reused and again.imported == {"train": 4, "test": 2}
    assert again.crops == {"train": list(range(10)), "test": [5]}


def test_a_store_imported_before_crops_were_called_so_still_reads(ucf):
    """Stores imported earlier record each split's crops under `views`."""
    import json

    root, out = ucf
    import_vadclip(root, "ucf_crime", out, progress=False)
    meta = json.loads((out / "store.json").read_text())
    meta["source"]["views"] = meta["source"].pop("crops")
    (out / "store.json").write_text(json.dumps(meta))
    again = import_vadclip(root, "ucf_crime", out, progress=False)
    assert again.reused and again.crops == {"train": list(range(10)), "test": [5]}


def _break(root, how):
    feats = root / "UCFClipFeatures"
    if how == "missing crop":
        (feats / "Abuse" / "Abuse001_x264__3.npy").unlink()
        return "train/Abuse001_x264", "crop 3: no file Abuse001_x264__3.npy"
    if how == "wrong shape":
        np.save(feats / "Abuse" / "Abuse001_x264__0.npy", np.zeros((6, 256), np.float32))
        return "train/Abuse001_x264", r"shape \[6, 256\], expected \[T, 512\]"
    if how == "NaN row":
        a = np.load(feats / "Arrest" / "Arrest002_x264__7.npy")
        a[4] = np.nan
        np.save(feats / "Arrest" / "Arrest002_x264__7.npy", a)
        return "train/Arrest002_x264", "NaN or inf in 1 rows \\(first: row 4\\)"
    if how == "crops of different lengths":
        np.save(feats / "Abuse" / "Abuse001_x264__2.npy", np.zeros((5, 512), np.float32))
        return "train/Abuse001_x264", "crop 2: .* has 5 snippets, crop 0 has 6"
    if how == "not annotated":
        lines = (root / "list" / "Temporal_Anomaly_Annotation.txt").read_text().splitlines()
        (root / "list" / "Temporal_Anomaly_Annotation.txt").write_text(lines[1] + "\n")
        return "test/Abuse028_x264", "not in Temporal_Anomaly_Annotation.txt"
    if how == "not a .npy":
        (feats / "Abuse" / "Abuse001_x264__1.npy").write_bytes(b"not numpy")
        return "train/Abuse001_x264", "not a readable .npy"
    raise AssertionError(how)


BAD = ["missing crop", "wrong shape", "NaN row", "crops of different lengths", "not annotated", "not a .npy"]


@pytest.mark.parametrize("how", BAD)
def test_a_bad_video_is_skipped_and_listed(ucf, how):
    root, out = ucf
    key, reason = _break(root, how)
    summary = import_vadclip(root, "ucf_crime", out, progress=False)
    assert list(summary.skipped) == [key]
    assert re.search(reason, summary.skipped[key]), summary.skipped[key]
    assert key in summary.format() and not summary.ok
    split, vid = key.split("/")
    store = FeatureStore(out)
    assert vid not in [v.video_id for v in store.videos(split)]
    assert store.meta.source["skipped"] == summary.skipped  # provenance lists it too


@pytest.mark.parametrize("how", ["missing crop", "NaN row"])
def test_strict_refuses_and_keeps_the_previous_store_whole(ucf, how):
    root, out = ucf
    import_vadclip(root, "ucf_crime", out, progress=False)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    _break(root, how)
    with pytest.raises(ReleasedFeaturesError, match="without --strict it is skipped"):
        import_vadclip(root, "ucf_crime", out, strict=True, overwrite=True, progress=False)
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert len(FeatureStore(out).videos("train")) == 4
    assert not list(out.parent.glob(".store*"))


def test_a_failed_first_import_writes_no_store(ucf):
    root, out = ucf
    _break(root, "wrong shape")
    with pytest.raises(ReleasedFeaturesError):
        import_vadclip(root, "ucf_crime", out, strict=True, progress=False)
    assert not out.exists() and not list(out.parent.glob(".store*"))


def test_listed_paths_resolve_by_their_tail_under_the_root(ucf):
    root, out = ucf
    text = (root / "list" / "ucf_CLIP_rgb.csv").read_text()
    assert AUTHORS in text  # the authors' absolute paths, not this machine's
    # the same file name in two folders: the <Class>/<file> tail picks the right one
    (root / "elsewhere" / "Abuse").mkdir(parents=True)
    (root / "elsewhere" / "Other").mkdir(parents=True)
    np.save(root / "elsewhere" / "Other" / "Abuse001_x264__0.npy", np.zeros((6, 512), np.float32))
    assert import_vadclip(root, "ucf_crime", out, progress=False).ok
    # the same <Class>/<file> twice: ambiguous, the video is skipped naming both copies
    np.save(root / "elsewhere" / "Abuse" / "Abuse001_x264__0.npy", np.zeros((6, 512), np.float32))
    summary = import_vadclip(root, "ucf_crime", out, overwrite=True, progress=False)
    assert re.search("Abuse001_x264__0.npy.*2 files .*keep one copy", summary.skipped["train/Abuse001_x264"])


def test_bad_lists_and_another_store_are_refused(ucf, tmp_path):
    root, out = ucf
    lst = root / "list" / "ucf_CLIP_rgbtest.csv"
    good = lst.read_bytes()
    lst.write_text("file,class\n")
    with pytest.raises(ReleasedFeaturesError, match="ucf_CLIP_rgbtest.csv:1: expected the header"):
        import_vadclip(root, "ucf_crime", out, progress=False)
    lst.write_text("path,label\n/x/Abuse028_x264.npy,Abuse\n")
    with pytest.raises(ReleasedFeaturesError, match=":2: .* is not a <video>__<crop>.npy"):
        import_vadclip(root, "ucf_crime", out, progress=False)
    lst.write_bytes(good)
    (root / "list" / "ucf_CLIP_rgb.csv").unlink()
    with pytest.raises(FileNotFoundError, match="ucf_CLIP_rgb.csv"):
        import_vadclip(root, "ucf_crime", out, progress=False)
    other = tmp_path / "other"
    other.mkdir()
    (other / "store.json").write_text("{}")
    write_ucf_release(tmp_path / "again")
    with pytest.raises(FeatureStoreError, match="--overwrite"):
        import_vadclip(tmp_path / "again", "ucf_crime", other, progress=False)


def test_cli_imports_and_says_sa2_is_off(ucf, capsys):
    from stprompt_core.cli import main

    root, out = ucf
    rc = main(["data", "import-features", "vadclip", "--dataset", "ucf_crime", "--root", str(root),
               "--store", str(out), "--no-progress"])
    text = capsys.readouterr().out
    assert rc == 0 and "train: 4 videos, crops 0-9" in text and "test: 2 videos, crop 5" in text
    assert "SA2 off" in text
    (root / "UCFClipFeatures" / "Abuse" / "Abuse001_x264__3.npy").unlink()
    rc = main(["data", "import-features", "vadclip", "--dataset", "ucf_crime", "--root", str(root),
               "--store", str(out), "--no-progress", "--overwrite"])
    assert rc == 1 and "skipped 1 videos" in capsys.readouterr().out


def released_config(store, **overrides):
    """The released profile on a fixture store: a random-init ViT-B/16 (D = 512; no weights offline)."""
    from stprompt_core.config import load_config

    return load_config("xd_violence_released", {"data.feature_store": str(store), "backbone.pretrained": "",
                                                "train.epochs": 1, "train.batch_size": 4,
                                                "data.val_fraction": 0.0, "train.num_threads": 1, **overrides})


@pytest.mark.slow  # trains and evaluates
def test_train_and_evaluate_on_imported_features_with_sa2_off(tmp_path, capsys):
    import json

    from stprompt_core.evaluate import evaluate
    from stprompt_core.train import train

    root = write_xd_release(tmp_path / "release")
    import_vadclip(root, "xd_violence", tmp_path / "store", progress=False)
    with pytest.raises(FeatureStoreError, match="no patch tokens .* set model.sa2_mode=none"):
        train(released_config(tmp_path / "store", **{"model.sa2_mode": "attention"}), tmp_path / "forced",
              progress=False)
    cfg = released_config(tmp_path / "store", **{"model.visual_prompt": True})
    train(cfg, tmp_path / "run", progress=False)
    assert "SA2 off: vadclip_released" in capsys.readouterr().out
    manifest = json.loads((tmp_path / "run" / "run_manifest.json").read_text())
    assert manifest["sa2"].startswith("off: vadclip_released") and manifest["features"] == "vadclip_released"
    metrics = evaluate(tmp_path / "run")
    assert metrics["score_branch"] == "align" and metrics["sa2"] == "off"
    assert set(metrics["by_branch"]) == {"binary", "align"} and metrics["ap"] == metrics["by_branch"]["align"]["ap"]
