"""Training and evaluation end to end on the planted feature-level dataset."""

import json
import shutil

import numpy as np
import pytest
from safetensors.numpy import save_file

import stprompt_core.train.loop as train_mod
from stprompt_core.config import load_config
from stprompt_core.evaluate import evaluate
from stprompt_core.features.store import FeatureStoreError, FeatureStoreWriter, StoreMeta
from stprompt_core.train import RunDirError, train
from tests.planted import PLANTED_BACKBONE, write_planted_store


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    return write_planted_store(tmp_path_factory.mktemp("planted") / "store")


def _cfg(store, **over):
    return load_config("tiny", {"data.dataset": "planted", "data.feature_store": str(store), "train.epochs": 30,
                                **PLANTED_BACKBONE, **over})


@pytest.fixture(scope="module")
def trained(planted, tmp_path_factory):
    run = tmp_path_factory.mktemp("run") / "full"
    summary = train(_cfg(planted), run, progress=False)
    return run, summary, evaluate(run)


def test_learns_planted_anomalies_to_frame_auc_090(trained):
    run, summary, metrics = trained
    assert metrics["auc"] >= 0.9, metrics
    assert metrics["ap"] > 0.5
    for name in ("config.json", "run_manifest.json", "best.safetensors", "train_log.jsonl", "metrics.json",
                 "scores.json", "checkpoints/progress.json"):
        assert (run / name).exists(), name
    prog = json.loads((run / "checkpoints/progress.json").read_text())  # names the last epoch's pair, nothing else kept
    assert sorted(f.name for f in (run / "checkpoints").iterdir()) == sorted(["progress.json", prog["weights"], prog["state"]])
    written = json.loads((run / "metrics.json").read_text())
    assert set(written) >= {"auc", "ap", "auc_abnormal", "far", "per_class_auc"}
    scores = json.loads((run / "scores.json").read_text())
    assert len(scores) == 40 and all(0 <= s <= 1 for v in scores.values() for s in v["snippet_scores"])


def test_validation_comes_from_training_videos_only(trained):
    run, summary, _ = trained
    manifest = json.loads((run / "run_manifest.json").read_text())
    assert manifest["val_video_ids"] and all(v.startswith("train_") for v in manifest["val_video_ids"])
    assert manifest["n_train"] + manifest["n_val"] == 96
    assert manifest["git"]["sha"] and manifest["packages"]["torch"] and manifest["seed"] == 0
    assert any(k.endswith("store.json") for k in manifest["inputs"])
    best = summary["best"]
    assert best["val_auc"] == max(r["val_auc"] for r in summary["log"])


def test_same_seed_same_metrics_and_resume_replays_exactly(planted, trained, tmp_path, monkeypatch):
    full_run, full_summary, full_metrics = trained
    cfg = _cfg(planted)
    calls = {"n": 0}
    real = train_mod.video_level_auc

    def crash_on_epoch_12(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 12:
            raise KeyboardInterrupt("simulated interruption")
        return real(*args, **kwargs)

    monkeypatch.setattr(train_mod, "video_level_auc", crash_on_epoch_12)
    with pytest.raises(KeyboardInterrupt):
        train(cfg, tmp_path / "run", progress=False)
    assert json.loads((tmp_path / "run/checkpoints/progress.json").read_text())["epoch"] == 11
    monkeypatch.setattr(train_mod, "video_level_auc", real)
    resumed = train(cfg, tmp_path / "run", progress=False)
    assert [r["val_auc"] for r in resumed["log"]] == [r["val_auc"] for r in full_summary["log"]]
    assert evaluate(tmp_path / "run") == full_metrics


def test_run_dir_of_another_config_is_refused(planted, trained):
    run, _, _ = trained
    with pytest.raises(RunDirError, match="train.lr"):
        train(_cfg(planted, **{"train.lr": 0.5}), run, progress=False)


def test_wrong_dimension_fails_before_training(planted, tmp_path):
    cfg = load_config("workshop", {"data.dataset": "planted", "data.feature_store": str(planted)})
    with pytest.raises(FeatureStoreError, match="D=64 .*projects to 384"):
        train(cfg, tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()


def test_missing_store_fails_clearly(tmp_path):
    with pytest.raises(FeatureStoreError, match="feature store not found"):
        train(_cfg(tmp_path / "none"), tmp_path / "run", progress=False)


def _store_with_raw_part(root, arrays, vid="bad_video"):
    """A store whose one training video bypasses the writer's validation (as a foreign tool might write)."""
    meta = StoreMeta(dataset="planted", embed_dim=64, top_k=4, patch_grid=[8, 8])
    w = FeatureStoreWriter(root, meta)
    rng = np.random.default_rng(0)
    from stprompt_core.features.store import VideoFeatures

    for i in range(4):
        T = 8
        w.add("train", VideoFeatures(f"ok{i}", i % 2, "fire" if i % 2 else "normal", 4 if i % 2 else 0, T * 16,
                                     rng.normal(size=(T, 64)), rng.normal(size=(T, 4, 64)),
                                     rng.integers(0, 64, (T, 4)), rng.random((T, 64))))
    part = w.part_path("train", vid)
    part.parent.mkdir(parents=True, exist_ok=True)
    save_file(arrays, str(part), metadata={"video_id": vid, "label": "1", "class_name": "fire",
                                           "class_index": "4", "num_frames": "128"})
    w.finalize()
    return root


def _arrays(T=8, nan=False):
    a = {"frame_feats": np.zeros((T, 64), np.float16), "patch_feats": np.zeros((T, 4, 64), np.float16),
         "patch_idx": np.zeros((T, 4), np.int32), "patch_motion": np.zeros((T, 64), np.float16),
         "frame_gt": np.zeros(0, np.uint8)}
    if nan:
        a["frame_feats"][3, 5] = np.nan
    return a


def test_nan_features_named_before_training(tmp_path):
    store = _store_with_raw_part(tmp_path / "s", _arrays(nan=True))
    with pytest.raises(FeatureStoreError, match="bad_video.*frame_feats.*NaN"):
        train(_cfg(store, **{"data.val_fraction": 0.0}), tmp_path / "run", progress=False)


def test_zero_snippet_video_named_before_training(tmp_path):
    store = _store_with_raw_part(tmp_path / "s", _arrays(T=0))
    with pytest.raises(FeatureStoreError, match="bad_video.*zero snippets"):
        train(_cfg(store, **{"data.val_fraction": 0.0}), tmp_path / "run", progress=False)


def test_empty_split_is_an_error(tmp_path):
    meta = StoreMeta(dataset="planted", embed_dim=64, top_k=4, patch_grid=[8, 8])
    FeatureStoreWriter(tmp_path, meta)
    (tmp_path / "parts" / "train").mkdir(parents=True)
    with pytest.raises(FeatureStoreError, match="split 'train' has no videos"):
        FeatureStoreWriter(tmp_path, meta).finalize(["train"])


def test_run_dir_of_other_features_is_refused_and_the_demo_retrains_it(planted, tmp_path):
    import shutil

    from stprompt_core.pipeline import ensure_trained

    store = tmp_path / "store"
    shutil.copytree(planted, store)
    cfg = _cfg(store, **{"train.epochs": 2})
    train(cfg, tmp_path / "run", progress=False)
    meta = json.loads((store / "store.json").read_text())
    meta["backbone"] = {**(meta.get("backbone") or {}), "weights_sha256": "0" * 64}  # as if re-extracted
    (store / "store.json").write_text(json.dumps(meta))
    with pytest.raises(RunDirError, match="other features"):
        train(cfg, tmp_path / "run", progress=False)
    with pytest.raises(RunDirError, match="other features"):
        ensure_trained(cfg, tmp_path / "run", progress=False)
    assert ensure_trained(cfg, tmp_path / "run", progress=False, fresh=True)["epochs"] == 2
    assert ensure_trained(cfg, tmp_path / "run", progress=False)["epochs"] == 2  # now it resumes (finished)


def test_a_run_written_before_keys_were_derived_or_moved_resumes(planted, trained, tmp_path):
    run, summary, _ = trained
    old = tmp_path / "old_run"
    shutil.copytree(run, old)
    stored = json.loads((old / "config.json").read_text())
    stored["backbone"].update(embed_dim=64, synthclip_steps=0)  # keys of earlier versions
    stored["extract"]["frame_stride"] = stored["data"]["snippet_len"]
    (old / "config.json").write_text(json.dumps(stored))
    resumed = train(_cfg(planted), old, progress=False)  # finished: nothing to train, nothing refused
    assert resumed["best"] == summary["best"]
    with pytest.raises(RunDirError, match="train.lr"):  # a real difference is still refused
        train(_cfg(planted, **{"train.lr": 0.5}), old, progress=False)
