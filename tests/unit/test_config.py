import dataclasses

import pytest

from stprompt_core.config import (ConfigError, LocalizeConfig, SynthClipConfig, apply_overrides, available_profiles,
                                  config_from_dict, load_config, localize_settings)

pytestmark = pytest.mark.pure  # no model, no features

PROFILES = ["tiny", "workshop", "ucf_crime", "shanghaitech", "ubnormal", "xd_violence"]


@pytest.mark.parametrize("name", PROFILES)
def test_every_profile_loads(name):
    cfg = load_config(name)
    assert cfg.profile == name
    assert cfg.data.dataset in ("synthvad", name)


def test_profiles_listed():
    assert set(PROFILES) <= set(available_profiles())


def test_paper_profiles_keep_vadclip_defaults():
    cfg = load_config("ucf_crime")
    assert (cfg.train.lr, cfg.train.epochs, cfg.train.milestones) == (2e-5, 10, [4, 8])
    assert (cfg.data.max_len, cfg.data.snippet_len, cfg.loss.k_divisor) == (256, 16, 16)
    assert cfg.backbone.model_name == "ViT-B-16-quickgelu"


def test_override_forms_agree():
    a = load_config("tiny", {"train.lr": 0.5, "model": {"sigma": 3}})
    b = load_config("tiny", ["train.lr=0.5", "model.sigma=3"])
    assert a.train.lr == b.train.lr == 0.5
    assert a.model.sigma == b.model.sigma == 3.0 and isinstance(b.model.sigma, float)
    c = load_config("tiny", ["train.milestones=[2, 5]"])
    assert c.train.milestones == [2, 5]


def test_unknown_key_names_nearest():
    with pytest.raises(ConfigError, match="did you mean 'train.lr'"):
        load_config("tiny", {"train.lrr": 1.0})
    with pytest.raises(ConfigError, match="did you mean 'model.sigma'"):
        load_config("tiny", ["model.sigm=2"])


def test_wrong_type_and_choice_rejected():
    with pytest.raises(ConfigError, match="train.epochs expects an integer"):
        load_config("tiny", {"train.epochs": "ten"})
    with pytest.raises(ConfigError, match="train.epochs expects an integer"):
        load_config("tiny", {"train.epochs": 2.5})
    with pytest.raises(ConfigError, match="model.sa2_mode"):
        load_config("tiny", {"model.sa2_mode": "maxpool"})


def test_a_derived_key_is_refused_naming_what_to_set():
    for given in ({"extract.frame_stride": 8}, ["extract.frame_stride=8"], {"extract": {"frame_stride": 8}}):
        with pytest.raises(ConfigError, match="extract.frame_stride is not a setting: .*set data.snippet_len"):
            load_config("tiny", given)
    stored = load_config("tiny").to_dict()
    stored["extract"]["frame_stride"] = 16  # a run's config.json written when it was a setting
    assert config_from_dict(stored) == load_config("tiny")


def test_a_moved_key_is_refused_naming_its_new_place():
    for given in ({"backbone.synthclip_steps": 3400}, ["backbone.synthclip_steps=3400"],
                  {"backbone": {"synthclip_steps": 3400}}):
        with pytest.raises(ConfigError, match="backbone.synthclip_steps is not a setting: it moved to synthclip.steps"):
            load_config("workshop", given)
    assert load_config("workshop", ["synthclip.steps=3400"]).synthclip.steps == 3400
    stored = load_config("tiny").to_dict()  # a run's config.json written when it was a setting
    del stored["synthclip"]
    stored["backbone"]["synthclip_steps"] = 7
    assert config_from_dict(stored).synthclip.steps == 7
    stored["backbone"]["synthclip_steps"] = 0  # 0 kept the recipe's steps (the defaults')
    assert config_from_dict(stored).synthclip.steps == SynthClipConfig().steps


def test_the_synth_section_moved_to_synthvad():
    for given in ({"synth.preset": "tiny"}, ["synth.preset=tiny"], ["synth.seed=3"], {"synth": {"seed": 3}},
                  ["synth={preset: tiny}"]):
        with pytest.raises(ConfigError, match=r"synth\.(\w+) is not a setting: it moved to synthvad\.\1"):
            load_config("tiny", given)
    with pytest.raises(ConfigError, match="synth is not a section: it was renamed synthvad"):
        load_config("tiny", ["synth=tiny"])
    assert load_config("tiny", ["synthvad.seed=3"]).synthvad.seed == 3


def test_localize_view_moved_to_localize_window():
    for given in ({"localize.view": "tiles"}, ["localize.view=tiles"], {"localize": {"view": "tiles"}}):
        with pytest.raises(ConfigError, match="localize.view is not a setting: it moved to localize.window"):
            load_config("tiny", given)
    assert load_config("tiny", ["localize.window=tiles"]).localize.window == "tiles"


def test_an_old_config_json_loads_under_the_new_keys():
    stored = load_config("workshop").to_dict()  # a run's config.json written before the renames
    stored["synth"] = {"preset": "tiny", "seed": 4}
    del stored["synthvad"]
    stored["localize"]["view"] = "tiles"
    del stored["localize"]["window"]
    cfg = config_from_dict(stored)
    assert (cfg.synthvad.preset, cfg.synthvad.seed, cfg.localize.window) == ("tiny", 4, "tiles")
    assert config_from_dict(load_config("workshop").to_dict()) == load_config("workshop")


def test_manifest_defaults_to_the_data_roots(monkeypatch, tmp_path):
    cfg = load_config("tiny", {"data.data_root": str(tmp_path)})
    assert cfg.data.manifest == "" and cfg.manifest() == tmp_path / "manifest.json"
    assert load_config("tiny", {"data.manifest": "m.json"}).manifest().name == "m.json"
    monkeypatch.setenv("STPROMPT_DATA_ROOT", str(tmp_path / "env"))
    assert load_config("tiny", {"data.data_root": ""}).manifest() == tmp_path / "env" / "manifest.json"
    assert load_config("ucf_crime").manifest().as_posix() == "cache/manifests/ucf_crime.json"


def test_unknown_profile_suggests():
    with pytest.raises(ConfigError, match="did you mean 'tiny'"):
        load_config("tinny")


def test_round_trip_through_dict():
    cfg = load_config("workshop", {"train.seed": 7})
    again = config_from_dict(cfg.to_dict())
    assert again.to_dict() == cfg.to_dict()


def test_apply_overrides_in_place():
    cfg = load_config("tiny")
    apply_overrides(cfg, {"loss.w_text_sep": 0})
    assert cfg.loss.w_text_sep == 0.0


def test_localize_settings_are_set_as_set_sets_them():
    base = load_config("workshop").localize
    before = dataclasses.replace(base)
    s = localize_settings(base, {"score_threshold": 0.25, "localize.window": "tiles"})
    assert (s.score_threshold, s.window, s.temperature) == (0.25, "tiles", base.temperature)
    assert base == before  # the base is left as it was
    via_set = apply_overrides(load_config("workshop"), ["localize.score_threshold=0.25", "localize.window=tiles"])
    assert s == via_set.localize == localize_settings(base, ["localize.score_threshold=0.25", "localize.window=tiles"])
    with pytest.raises(ConfigError, match=r"localize.window='whole' is not one of"):
        localize_settings(base, {"window": "whole"})
    with pytest.raises(ConfigError, match="train.lr is not a localize setting"):
        localize_settings(base, {"train.lr": 0.1})
    with pytest.raises(ConfigError, match="localize.map_normalize='zscore'"):  # a bad base is caught too
        localize_settings(LocalizeConfig(map_normalize="zscore"))
