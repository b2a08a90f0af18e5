"""Cache-or-compute: the second call reuses, a changed seed or recipe retrains."""

from __future__ import annotations

import dataclasses
import json

import pytest

from stprompt_core.config import ConfigError, load_config
from stprompt_core.offline.synthclip import ensure_synthclip
from stprompt_core.offline.synthclip.cache import meta_path

from synthclip_fixtures import tiny_config

FAST = dataclasses.replace(load_config("tiny").synthclip, steps=2, corpus_per_class=0, corpus_normal=0)  # no corpus: fast


@pytest.mark.slow  # trains SynthCLIP twice
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


# The recipes the profiles trained before the recipe became the config's synthclip section
# (SynthClipSettings/RECIPES): the cache keys of trained weights and the shipped card hold them.
TINY_RECIPE = {"steps": 30, "batch_frames": 16, "batch_regions": 8, "frame_stride": 4, "lr": 2e-3,
               "weight_decay": 0.05, "warmup_steps": 5, "patch_loss_weight": 1.0, "event_loss_weight": 1.0,
               "event_loss": "clip", "region_margin": 0.3, "region_min_side": 28.0, "corpus_per_class": 1,
               "corpus_normal": 1, "corpus_frames": 32, "corpus_anomaly_frames": [12, 16], "corpus_stride": 3,
               "val_per_class": 0, "seed": 0, "init": ""}
WORKSHOP_RECIPE = {**TINY_RECIPE, "steps": 6000, "batch_frames": 40, "batch_regions": 24, "lr": 1e-3,
                   "warmup_steps": 300, "corpus_per_class": 1000, "corpus_normal": 1500, "corpus_frames": 48,
                   "corpus_anomaly_frames": [16, 32], "val_per_class": 2}
# the workshop profile's: the 112-px weights fine-tuned at 224 px on the benchmark_scale world
BENCHMARK_SCALE_RECIPE = {**WORKSHOP_RECIPE, "steps": 600, "lr": 5e-4, "warmup_steps": 50, "corpus_per_class": 150,
                       "corpus_normal": 200,
                       "init": "stprompt_core/offline/synthclip/pretrained/SynthCLIP-S-MiniLM-workshop.safetensors"}
RECIPES = {"tiny": TINY_RECIPE, "workshop_112": WORKSHOP_RECIPE, "ucf_crime": WORKSHOP_RECIPE,
           "workshop": BENCHMARK_SCALE_RECIPE}
# cache keys of the tiny profile and of the shipped weights (their cards')
KEYS = {"tiny": "c83235995a07", "workshop_112": "93da51ae16d6", "workshop": "7b6e30a5634e"}


@pytest.mark.parametrize("profile", ["tiny", "workshop_112", "workshop", "ucf_crime"])
def test_each_profile_trains_the_recipe_it_trained_before(profile):
    from stprompt_core.offline.synthclip.cache import cache_key, synthvad_fingerprint

    cfg = load_config(profile)
    assert dataclasses.asdict(cfg.synthclip) == RECIPES[profile]
    if profile in KEYS:
        key = cache_key(cfg.backbone.model_name, cfg.synthclip, synthvad_fingerprint(cfg.synthvad.preset, cfg.synthvad.seed))
        assert key.startswith(KEYS[profile])
    if profile.startswith("workshop"):  # the shipped weights' card records this recipe and key
        from stprompt_core.offline.synthclip.card import shipped_checkpoint

        card = json.loads(meta_path(shipped_checkpoint(cfg.backbone.model_name, cfg.synthvad.preset)).read_text())
        assert {"init": "", **card["settings"]} == RECIPES[profile] and card["key"] == key


def test_synthclip_steps_sets_the_recipe_the_pipeline_trains():
    tiny = load_config("tiny").synthclip
    assert load_config("tiny", ["synthclip.steps=7"]).synthclip == dataclasses.replace(tiny, steps=7)
    for bad in ("-1", "0"):
        with pytest.raises(ConfigError, match="synthclip.steps"):
            load_config("tiny", [f"synthclip.steps={bad}"])


def test_recipe_overrides_go_through_the_config_and_name_the_key():
    from stprompt_core.cli.synthclip import apply_recipe

    cfg = apply_recipe(load_config("workshop"), ["corpus_per_class=480", "synthclip.lr=0.002",
                                                 "corpus_anomaly_frames=[16, 24]", "event_loss=anchored"], steps=9)
    assert cfg.synthclip == dataclasses.replace(load_config("workshop").synthclip, corpus_per_class=480, lr=0.002,
                                                corpus_anomaly_frames=[16, 24], event_loss="anchored", steps=9)
    with pytest.raises(ConfigError, match="synthclip.corpus_size.*did you mean"):
        apply_recipe(load_config("workshop"), ["corpus_size=3"])
    with pytest.raises(ConfigError, match="synthclip.steps expects an integer"):
        apply_recipe(load_config("workshop"), ["steps=many"])
    with pytest.raises(ConfigError, match="synthclip.event_loss"):
        apply_recipe(load_config("workshop"), ["event_loss=triplet"])
    with pytest.raises(ConfigError, match="only the recipe"):
        apply_recipe(load_config("workshop"), ["train.lr=0.1"])
