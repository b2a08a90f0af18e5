"""Cache-or-compute: the second call reuses, a changed seed or recipe retrains."""

from __future__ import annotations

import dataclasses
import json

import pytest

from stprompt_core.offline.synthclip import ensure_synthclip, settings_for
from stprompt_core.offline.synthclip.cache import meta_path

from synthclip_fixtures import tiny_config

FAST = dataclasses.replace(settings_for("tiny"), steps=2, corpus_per_class=0, corpus_normal=0)  # no corpus: fast


def test_second_call_reuses_and_changes_retrain(fresh_workdir):
    ckpt = fresh_workdir / "cache/synthclip/test/tiny.safetensors"
    cfg = tiny_config(str(ckpt))
    first = ensure_synthclip(cfg, progress=False, settings=FAST)
    assert first["reused"] is False and ckpt.is_file()
    meta = json.loads(meta_path(ckpt).read_text())
    assert meta["synthvad"]["seed"] == 0 and meta["synthvad"]["preset"]["name"] == "tiny"
    assert len(meta["synthvad"]["sha256"]) == 64 and meta["key"] == first["key"]
    mtime = ckpt.stat().st_mtime_ns

    again = ensure_synthclip(cfg, progress=False, settings=FAST)
    assert again == {"reused": True, "checkpoint": str(ckpt), "key": first["key"]}
    assert ckpt.stat().st_mtime_ns == mtime

    longer = ensure_synthclip(cfg, progress=False, settings=dataclasses.replace(FAST, steps=3))
    assert longer["reused"] is False and longer["key"] != first["key"]

    other_seed = ensure_synthclip(tiny_config(str(ckpt), seed=1), progress=False, settings=FAST)
    assert other_seed["reused"] is False and other_seed["key"] not in (first["key"], longer["key"])
    assert json.loads(meta_path(ckpt).read_text())["synthvad"]["seed"] == 1


def test_checkpoint_without_its_json_is_not_reused(fresh_workdir):
    ckpt = fresh_workdir / "cache/synthclip/test/orphan.safetensors"
    cfg = tiny_config(str(ckpt))
    ensure_synthclip(cfg, progress=False, settings=FAST)
    meta_path(ckpt).unlink()
    assert ensure_synthclip(cfg, progress=False, settings=FAST)["reused"] is False


def test_config_errors_name_the_field(fresh_workdir):
    with pytest.raises(ValueError, match="backbone.pretrained"):
        ensure_synthclip(tiny_config("cache/synthclip/x.pt"), progress=False, settings=FAST)


def test_backbone_synthclip_steps_sets_the_recipe_the_pipeline_trains():
    from stprompt_core.offline.synthclip.settings import settings_for_config

    cfg = tiny_config("cache/synthclip/x.safetensors")
    assert settings_for_config(cfg) == settings_for("tiny")  # 0: the preset's recipe
    cfg.backbone.synthclip_steps = 7
    assert settings_for_config(cfg) == dataclasses.replace(settings_for("tiny"), steps=7)
    cfg.backbone.synthclip_steps = -1
    with pytest.raises(ValueError, match="backbone.synthclip_steps"):
        settings_for_config(cfg)


def test_recipe_overrides_parse_by_field_type_and_name_the_fields():
    from stprompt_core.cli.synthclip import parse_recipe

    got = parse_recipe(["corpus_per_class=480", "lr=0.002", "corpus_anomaly_frames=16,32", "event_loss=anchored"])
    assert got == {"corpus_per_class": 480, "lr": 0.002, "corpus_anomaly_frames": (16, 32), "event_loss": "anchored"}
    with pytest.raises(ValueError, match="corpus_per_class"):
        parse_recipe(["corpus_size=3"])
    with pytest.raises(ValueError, match="takes a int"):
        parse_recipe(["steps=many"])
