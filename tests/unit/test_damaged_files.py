"""Damaged caches are detected, never used: truncated or bit-flipped store parts, Arrow shards,
SynthCLIP weights, JSON cards and training checkpoints."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from stprompt_core.integrity import (DamagedFileError, check_record, file_record, load_verified, read_sealed_json,
                                     save_verified, seal_json)
from stprompt_core.io import write_json

sys.path.insert(0, str(Path(__file__).resolve().parent / "features"))
from extract_fixtures import tiny_config, write_dataset  # noqa: E402


def flip_byte(path: Path, offset_from_end: int = 10) -> None:
    data = bytearray(path.read_bytes())
    data[-offset_from_end] ^= 0x01
    path.write_bytes(bytes(data))


def truncate(path: Path, keep: float = 0.6) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


@pytest.mark.parametrize("damage", [flip_byte, truncate])
def test_safetensors_digest_catches_flips_and_truncation(tmp_path, damage):
    path = tmp_path / "a.safetensors"
    save_verified({"x": np.arange(100, dtype=np.float32)}, path, {"video_id": "v"})
    tensors, meta = load_verified(path)
    assert meta["video_id"] == "v" and tensors["x"][7] == 7
    damage(path)
    with pytest.raises(DamagedFileError, match=r"a\.safetensors is damaged .* it was not used\. run me"):
        load_verified(path, remedy="run me")


def test_record_and_sealed_json(tmp_path):
    f = tmp_path / "f.bin"
    f.write_bytes(b"0123456789")
    rec = file_record(f)
    check_record(f, rec)
    flip_byte(f, 3)
    with pytest.raises(DamagedFileError, match="SHA-256 differs"):
        check_record(f, rec)
    truncate(f)
    with pytest.raises(DamagedFileError, match="6 bytes, 10 when written"):
        check_record(f, rec)
    card = tmp_path / "card.json"
    write_json(card, seal_json({"sha256": "ab" * 32, "figures": {"test": 0.79}}))
    assert read_sealed_json(card)["figures"]["test"] == 0.79
    card.write_text(card.read_text().replace("0.79", "0.97"))  # a changed figure that still parses
    with pytest.raises(DamagedFileError, match="does not match"):
        read_sealed_json(card)
    card.write_text('{"sha256": "ab')  # a truncated card
    with pytest.raises(DamagedFileError, match="not valid JSON"):
        read_sealed_json(card)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    from stprompt_core.features.extract import extract_features

    root = tmp_path_factory.mktemp("damaged")
    write_dataset(root)
    assert extract_features(tiny_config(root), num_workers=0, progress=False).ok
    return root


@pytest.mark.parametrize("damage", [flip_byte, truncate])
def test_damaged_store_part_is_named_removed_and_recomputed(extracted, tmp_path, damage):
    from stprompt_core.features.extract import extract_features
    from stprompt_core.features.store import FeatureStore, FeatureStoreError

    root = tmp_path / "data"
    shutil.copytree(extracted, root)
    part = root / "store" / "parts" / "train" / "a0.safetensors"
    damage(part)
    with pytest.raises(FeatureStoreError, match=r"a0\.safetensors is damaged.*run the same `stprompt extract`"):
        extract_features(tiny_config(root), num_workers=0, progress=False)
    assert not part.exists()  # never used again
    again = extract_features(tiny_config(root), num_workers=0, progress=False)
    assert again.extracted == ["a0"]
    assert len(FeatureStore(root / "store").videos("train")) == 2


def test_damaged_arrow_shard_is_refused_then_rebuilt_from_parts(extracted, tmp_path):
    from stprompt_core.features.extract import extract_features
    from stprompt_core.features.store import FeatureStore

    root = tmp_path / "data"
    shutil.copytree(extracted, root)
    shard = next((root / "store" / "test").glob("*.arrow"))
    flip_byte(shard, 200)
    with pytest.raises(DamagedFileError, match=r"\.arrow is damaged.*rebuilds the datasets from the stored parts"):
        FeatureStore(root / "store").videos("test")
    rerun = extract_features(tiny_config(root), num_workers=0, progress=False)
    assert rerun.extracted == [] and len(rerun.skipped) == 4  # no video recomputed
    assert [v.video_id for v in FeatureStore(root / "store").videos("test")] == ["a1", "n1"]


def test_damaged_synthclip_cache_is_retrained_with_a_notice(tmp_path, capsys):
    from stprompt_core.config import load_config
    from stprompt_core.pipeline import ensure_backbone

    repo = Path(__file__).resolve().parents[2]
    cfg = load_config("tiny")
    src = repo / cfg.backbone.pretrained
    ckpt = tmp_path / src.name
    shutil.copyfile(src, ckpt)
    shutil.copyfile(src.with_suffix(".json"), ckpt.with_suffix(".json"))
    cfg.backbone.pretrained = str(ckpt)
    cfg.data.data_root = str(repo / cfg.data.data_root)  # the manifest follows: <data_root>/manifest.json
    from stprompt_core.io import read_json
    from stprompt_core.offline.synthclip.cache import load_synthclip, save_checkpoint

    meta = {k: v for k, v in read_json(ckpt.with_suffix(".json")).items() if k not in ("weights", "json_sha256")}
    save_checkpoint(load_synthclip(ckpt)[0], ckpt, meta)  # as the current code writes it (a cache may predate records)
    assert ensure_backbone(cfg, progress=False)["reused"]
    flip_byte(ckpt, 50)
    info = ensure_backbone(cfg, progress=False)
    assert not info["reused"] and "is damaged" in capsys.readouterr().err
    assert ensure_backbone(cfg, progress=False)["reused"]  # the retrained file is intact


def test_damaged_shipped_card_is_refused(tmp_path):
    from stprompt_core.offline.synthclip.card import PRETRAINED_DIR, ShippedWeightsError, verify_card

    weights = next(PRETRAINED_DIR.glob("*.safetensors"))
    for f in (weights, weights.with_suffix(".json")):
        shutil.copyfile(f, tmp_path / f.name)
    copy = tmp_path / weights.name
    verify_card(copy)
    card = copy.with_suffix(".json")
    card.write_text(card.read_text().replace('"preset": "workshop"', '"preset": "worksh0p"'))
    with pytest.raises(ShippedWeightsError, match="does not match the SHA-256 recorded in it"):
        verify_card(copy)


def test_damaged_training_checkpoints_are_refused_with_the_command(extracted, tmp_path):
    from stprompt_core.train import load_run, train

    cfg = tiny_config(extracted, **{"train.epochs": 1, "data.val_fraction": 0.0})
    run = tmp_path / "run"
    train(cfg, run, progress=False)
    flip_byte(run / "best.safetensors", 20)
    with pytest.raises(DamagedFileError, match=r"best\.safetensors is damaged.*--overwrite"):
        load_run(run)
    state = run / "checkpoints" / "epoch-1.state.pt"
    flip_byte(state, 30)
    with pytest.raises(DamagedFileError, match=r"epoch-1\.state\.pt is damaged.*--overwrite"):  # a rerun resumes
        train(cfg, run, progress=False)
    train(cfg, run, overwrite=True, progress=False)  # the named command recovers
    load_run(run)


def test_cache_or_compute_rebuilds_damaged_store_files_with_a_notice(extracted, tmp_path, capsys):
    from stprompt_core.features.store import FeatureStore
    from stprompt_core.pipeline import ensure_features

    root = tmp_path / "data"
    shutil.copytree(extracted, root)
    cfg = tiny_config(root)  # its backbone, the tiny SynthCLIP, is already in the repository's cache
    flip_byte(next((root / "store" / "train").glob("*.arrow")), 300)
    truncate(root / "store" / "parts" / "test" / "n1.safetensors")
    info = ensure_features(cfg, progress=False)
    err = capsys.readouterr().err
    assert "train/data-00000-of-00001.arrow is damaged; rebuilding" in err
    assert "n1.safetensors is damaged" in err and "extracting it again" in err
    assert info["extracted"] == 1
    store = FeatureStore(root / "store")
    assert [v.video_id for v in store.videos("test")] == ["a1", "n1"] and len(store.videos("train")) == 2
