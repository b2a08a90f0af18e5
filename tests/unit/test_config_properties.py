"""Config overrides under arbitrary input (hypothesis): every rejection is a ``ConfigError`` naming
the key (and the accepted values where there is a closed set); every accepted value is what the
config holds afterwards; a rejected ``--set`` writes nothing.

The examples are derandomized (profile ``stprompt`` in ``tests/conftest.py``), so CI sees the same
inputs every run; ``HYPOTHESIS_PROFILE=thorough`` tries more.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import os
import tempfile
import typing
from pathlib import Path

import pytest
import yaml
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from stprompt_core.cli import main
from stprompt_core.config import (CHOICES, RULES, Config, ConfigError, apply_overrides, available_profiles,
                                  load_config, valid_keys)

KEYS = valid_keys()
SECTIONS = sorted({k.split(".")[0] for k in KEYS if "." in k})


def field_type(key: str) -> typing.Any:
    if "." not in key:
        return typing.get_type_hints(Config)[key]
    section, name = key.split(".")
    return typing.get_type_hints(type(getattr(Config(), section)))[name]


def held(cfg: Config, key: str) -> typing.Any:
    section, _, name = key.partition(".")
    return getattr(getattr(cfg, section), name) if name else getattr(cfg, section)


def names_key(message: str, key: str) -> bool:
    return key in message or repr(key)[1:-1] in message  # as written, or escaped by !r


# Text a user can type: no surrogates (argv cannot carry them).
typed_text = st.text(st.characters(codec="utf-8"), max_size=24)
# Characters YAML reads inside a flow list (its printable set).
yaml_chars = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")).filter(lambda c: c not in "\ufffe\uffff")
# Values a caller can put in a mapping: the JSON types and then some.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | typed_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(typed_text, inner, max_size=3),
    max_leaves=6)


def valid_value(key: str) -> st.SearchStrategy:
    """Values the config accepts for ``key``, of the field's own type."""
    if key in CHOICES:
        return st.sampled_from(CHOICES[key])
    if key == "synthclip.corpus_anomaly_frames":  # [min, max]
        return st.tuples(st.integers(1, 10**6), st.integers(0, 10**6)).map(lambda t: [t[0], t[0] + t[1]])
    typ = field_type(key)
    if key in RULES:
        return _of_type(key, typ).filter(RULES[key][0])
    return _of_type(key, typ)


def _of_type(key: str, typ: typing.Any) -> st.SearchStrategy:
    if typ is bool:
        return st.booleans()
    if typ is int:
        return st.integers(-10**12, 10**12)
    if typ is float:
        return st.floats(allow_nan=False, allow_infinity=False)
    if typ == list[int]:
        return st.lists(st.integers(-10**6, 10**6), max_size=4)
    if typ == list[str]:
        return st.lists(st.text(yaml_chars, max_size=8), max_size=3)
    assert typ is str, key
    # as typed: no surrounding spaces, not opening a YAML quote (a quoted value is unquoted)
    return typed_text.map(str.strip).filter(lambda t: t[:1] not in ("'", '"'))


def as_text(value: typing.Any) -> str:
    """How a user writes ``value`` after ``--set KEY=``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)  # JSON lists are YAML flow lists
    return str(value)


def as_field(typ: typing.Any, value: typing.Any) -> typing.Any:
    """An accepted mapping value as the field holds it (numbers given to a string field become text)."""
    if typ is str or typ is float:
        return typ(value)
    if typ == list[str]:
        return [str(v) for v in value]
    if isinstance(value, str):  # text given for an int, bool or list field is read as YAML
        return yaml.safe_load(value) if value.lower() not in ("true", "false") else value.lower() == "true"
    return value


key_and_valid_value = st.sampled_from(KEYS).flatmap(lambda k: st.tuples(st.just(k), valid_value(k)))


@given(key_and_valid_value)
@example(("data.manifest", "2024-01-01.json"))  # YAML would read a date: a string field takes the text
@example(("data.manifest", "2024-01-01"))
@example(("localize.template", "a photo #1 of {}"))  # YAML would drop the comment
@example(("prompts.model", "yes"))  # YAML 1.1 would read True
@example(("data.data_root", "null"))
@example(("localize.bank", "bank: v2.json"))  # YAML would read a mapping
def test_cli_text_round_trips(kv):
    key, value = kv
    cfg = load_config("tiny", [f"{key}={as_text(value)}"])
    assert held(cfg, key) == value
    assert type(held(cfg, key)) is type(value)


@given(key_and_valid_value)
def test_mapping_value_round_trips(kv):
    key, value = kv
    cfg = load_config("tiny", {key: value})
    assert held(cfg, key) == value and type(held(cfg, key)) is type(value)


def test_quoted_text_is_unquoted_for_string_fields():
    cfg = load_config("tiny", ['data.manifest="m.json"', "localize.template=' a {} '"])
    assert (cfg.data.manifest, cfg.localize.template) == ("m.json", " a {} ")


@given(key=st.sampled_from(KEYS) | st.sampled_from(SECTIONS) | typed_text, text=typed_text)
@example(key="train.lr", text="nan")  # accepted before: a NaN learning rate
@example(key="train.lr", text=".inf")
@example(key="train", text="5")  # a section given a scalar
@example(key="train.epochs", text="[1")  # not YAML
@example(key="extract.crops", text="3")
def test_any_text_is_accepted_or_rejected_naming_the_key(key, text):
    item = f"{key}={text}"
    name = item.split("=", 1)[0].strip()
    try:
        cfg = load_config("tiny", [item])
    except ConfigError as exc:
        assert names_key(str(exc), name), (name, str(exc))
        return
    assume(name in KEYS)  # a whole section given as a YAML mapping: its keys were checked one by one
    value, typ = held(cfg, name), field_type(name)
    assert isinstance(value, typing.get_origin(typ) or typ)
    if typ is float:
        assert math.isfinite(value)


@given(key=st.sampled_from(sorted(CHOICES)), text=typed_text)
def test_closed_sets_list_the_accepted_values(key, text):
    try:
        cfg = load_config("tiny", [f"{key}={text}"])
    except ConfigError as exc:
        message = str(exc)
        assert key in message
        if "is not one of" in message:  # right type, outside the set
            assert all(repr(choice) in message for choice in CHOICES[key])
        return
    assert held(cfg, key) in CHOICES[key]


@given(st.dictionaries(st.sampled_from(KEYS) | typed_text, json_values, min_size=1, max_size=4))
@example({"train.lr": 0.5, "train.epochs": "ten"})  # the first key was set before the second failed
@example({"profile": {}})  # a mapping under a key that is not a section was dropped silently
def test_a_rejected_mapping_changes_nothing(overrides):
    cfg = load_config("tiny")
    before = copy.deepcopy(cfg.to_dict())
    try:
        apply_overrides(cfg, overrides)
    except ConfigError as exc:
        assert any(names_key(str(exc), str(k)) for k in overrides), str(exc)
        assert cfg.to_dict() == before
        return
    if not set(overrides) & set(SECTIONS):  # (a section's mapping may set a key given twice)
        for key, value in overrides.items():
            assert held(cfg, key) == as_field(field_type(key), value)


yaml_tokens = st.sampled_from([*"abc:-[]{}#&*!|>'\"%@`, \n\t.0123456789", *SECTIONS, *KEYS, ": ", "\n  "])


@given(st.binary(max_size=64) | st.lists(yaml_tokens, max_size=30).map(lambda t: "".join(t).encode()))
@example(b"train: [1,\n")  # a YAML error escaped
@example(b"\xff\xfe train:")  # not UTF-8
@example(b"train: 5\n")
@example(b"- 1\n")
def test_a_profile_file_is_read_or_refused_naming_it(content):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mine.yaml"
        path.write_bytes(content)
        try:
            cfg = load_config(str(path))
        except ConfigError as exc:
            assert str(path) in str(exc)
            return
        assert cfg.profile == "mine"


@given(typed_text | st.sampled_from(["tiny", "tiny.yaml", "../configs/tiny", "/"]))
@example("a" * 300)  # OSError: File name too long
def test_a_profile_name_loads_or_is_refused_naming_it(profile):
    try:
        cfg = load_config(profile)
    except ConfigError as exc:
        assert repr(profile) in str(exc), str(exc)
        return
    assert cfg.profile in {"tiny", *available_profiles()}


@pytest.mark.parametrize("overrides", [5, "train.lr=1", [b"train.lr=1"], [("train.lr", 1)]])
def test_overrides_of_another_shape_are_refused(overrides):
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        load_config("tiny", overrides)


def test_a_profile_that_is_a_folder_is_refused(tmp_path):
    (tmp_path / "dir.yaml").mkdir()
    with pytest.raises(ConfigError, match="dir.yaml: not a readable YAML profile"):
        load_config(str(tmp_path / "dir.yaml"))


# ------------------------------------------------------------------ the CLI's --set

NON_STRING_KEYS = [k for k in KEYS if field_type(k) is not str or k in CHOICES]
COMMANDS = {  # subcommand -> the arguments it needs besides --set
    "train": ["--run-dir", "run"],
    "extract": [],
    "demo": [],
    "ablate": ["--out", "ablation"],
    "book": [],
}


@settings(max_examples=15)
@given(key=st.sampled_from(NON_STRING_KEYS) | typed_text.filter(lambda k: "=" not in k), text=typed_text)
@example(key="train.batch_size", text="sixty-four")
@example(key="train.lr", text="nan")
def test_a_rejected_set_exits_2_naming_the_key_and_writes_nothing(key, text):
    item = f"{key}={text}"
    try:
        load_config("tiny", [item])
    except ConfigError:
        pass
    else:
        assume(False)  # an accepted value would start the real work
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            for command, extra in COMMANDS.items():
                err = io.StringIO()
                with contextlib.redirect_stderr(err):
                    rc = main([command, "--profile", "tiny", "--set", item, *extra])
                assert rc == 2, command
                assert f"stprompt {command}: error:" in err.getvalue()
                assert names_key(err.getvalue(), key.strip()), err.getvalue()
                assert os.listdir(tmp) == [], (command, os.listdir(tmp))
        finally:
            os.chdir(cwd)


RECIPE_FIELDS = [k.split(".", 1)[1] for k in KEYS if k.startswith("synthclip.")]


@given(key=st.sampled_from(RECIPE_FIELDS + [f"synthclip.{f}" for f in RECIPE_FIELDS]
                           + ["__init__", "__doc__", "replace", "data.data_root"])
       | typed_text.filter(lambda k: "=" not in k), text=typed_text)
@example(key="__init__", text="x")  # not a field
@example(key="corpus_anomaly_frames", text="16")  # not a [min, max] range
@example(key="corpus_anomaly_frames", text="[32, 16]")
@example(key="lr", text="nan")
@example(key="steps", text="0")
def test_a_synthclip_recipe_set_is_typed_or_refused_naming_it(key, text):
    """``stprompt synthclip train --set`` goes through the config's one override parser: a bare
    name is read as synthclip.NAME, and a value is held with the field's type or refused with
    a ConfigError naming the key."""
    from stprompt_core.cli.synthclip import apply_recipe

    item = f"{key}={text}"
    full = key.strip() if "." in key else f"synthclip.{key.strip()}"
    cfg = load_config("workshop")
    try:
        apply_recipe(cfg, [item])
    except ConfigError as exc:
        assert names_key(str(exc), full) or names_key(str(exc), item), str(exc)
        assert cfg == load_config("workshop")  # a refused --set changes nothing
        return
    assert full.startswith("synthclip.")
    value = held(cfg, full)
    typ = field_type(full)
    assert isinstance(value, typing.get_origin(typ) or typ) and not isinstance(value, bool)
    if key.strip().endswith("corpus_anomaly_frames"):
        assert len(value) == 2 and 0 < value[0] <= value[1]


@settings(max_examples=10)
@given(text=typed_text)
@example(text="nan")
def test_a_rejected_synthclip_set_exits_2_and_writes_nothing(text):
    from stprompt_core.cli.synthclip import apply_recipe

    item = f"lr={text}"
    try:
        apply_recipe(load_config("tiny"), [item])
    except ConfigError:
        pass
    else:
        assume(False)  # an accepted recipe would train
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                rc = main(["synthclip", "train", "--preset", "tiny", "--set", item])
            assert rc == 2 and "synthclip.lr expects a" in err.getvalue(), err.getvalue()
            assert os.listdir(tmp) == []
        finally:
            os.chdir(cwd)
