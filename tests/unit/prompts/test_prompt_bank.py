import json
from pathlib import Path

import pytest

import stprompt_core
from stprompt_core.classes import class_labels
from stprompt_core.prompts.bank import (BankError, PromptBank, bank_from_dict, curated_bank_path, load_bank,
                                        load_curated_bank, resolve_bank)

DATASETS = ["ucf_crime", "shanghaitech", "ubnormal", "xd_violence", "synthvad"]


def _raw(**changes):
    raw = load_curated_bank("synthvad").to_dict()
    raw.update(changes)
    return raw


@pytest.mark.parametrize("dataset", DATASETS)
def test_curated_banks_cover_every_anomaly_class(dataset):
    bank = load_curated_bank(dataset)
    assert list(bank.abnormal) == class_labels(dataset)[1:]
    assert all(len(v) >= 3 for v in bank.abnormal.values())
    assert len(bank.normal) >= 10 and bank.provenance["kind"] == "curated"


def test_class_counts_of_the_paper_datasets():
    assert len(load_curated_bank("ucf_crime").abnormal) == 13
    assert len(load_curated_bank("xd_violence").abnormal) == 6


def test_unknown_class_is_named_with_the_valid_labels():
    raw = _raw()
    raw["abnormal"]["juggling"] = ["a person juggling"]
    with pytest.raises(BankError, match=r"unknown class 'juggling'.*valid: \['fighting'"):
        bank_from_dict(raw)


def test_prompt_name_instead_of_label_gets_a_hint():
    raw = load_curated_bank("ucf_crime").to_dict()
    raw["abnormal"]["road accident"] = raw["abnormal"].pop("RoadAccidents")
    with pytest.raises(BankError, match="not prompt names"):
        bank_from_dict(raw)


def test_missing_class_is_named():
    raw = _raw()
    del raw["abnormal"]["crash"]
    with pytest.raises(BankError, match="missing class 'crash'"):
        bank_from_dict(raw)


@pytest.mark.parametrize("field,value,message", [
    ("normal", [], "normal: empty list"),
    ("normal", ["a wall", ""], r"normal\[1\]: expected a non-empty string"),
    ("normal", ["a wall", "A  wall"], "duplicate prompt"),
    ("normal", ["x" * 200], "more than 120"),
    ("normal", "a wall", "expected a list"),
])
def test_bad_lists(field, value, message):
    with pytest.raises(BankError, match=message):
        bank_from_dict(_raw(**{field: value}))


def test_empty_class_list():
    raw = _raw()
    raw["abnormal"]["fire"] = []
    with pytest.raises(BankError, match=r"abnormal\['fire'\]: empty list"):
        bank_from_dict(raw)


@pytest.mark.parametrize("prov,message", [
    (None, "provenance must be an object"),
    ({"kind": "dreamt"}, "provenance.kind 'dreamt'"),
    ({"kind": "curated", "date": "2026-11-26"}, r"curated provenance lacks \['author', 'source'\]"),
    ({"kind": "generated", "backend": "hf_local", "model": "m", "template": "t", "date": "2026-11-26"},
     r"lacks \['seed'\]"),
    ({"kind": "generated", "backend": "hf_local", "model": "m", "template": "t", "seed": "0", "date": "2026-11-26"},
     "seed must be an integer"),
    ({"kind": "curated", "author": "a", "source": "s", "date": "yesterday"}, "not an ISO date"),
])
def test_bad_provenance(prov, message):
    with pytest.raises(BankError, match=message):
        bank_from_dict(_raw(provenance=prov))


def test_unknown_dataset_and_fields_and_version():
    with pytest.raises(BankError, match="unknown dataset 'mnist'"):
        bank_from_dict(_raw(dataset="mnist"))
    with pytest.raises(BankError, match=r"unknown fields \['extra'\]"):
        bank_from_dict(_raw(extra=1))
    with pytest.raises(BankError, match="schema_version 2"):
        bank_from_dict(_raw(schema_version=2))


def test_file_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="prompt bank not found"):
        load_bank(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(BankError, match=f"{bad}: not valid JSON"):
        load_bank(bad)
    ok = tmp_path / "ok.json"
    ok.write_text(json.dumps(_raw()))
    with pytest.raises(BankError, match="is for dataset 'synthvad', expected 'ucf_crime'"):
        load_bank(ok, "ucf_crime")


def test_save_round_trip_and_refuses_invalid(tmp_path):
    bank = load_curated_bank("xd_violence")
    bank.save(tmp_path / "b.json")
    assert load_bank(tmp_path / "b.json").to_dict() == bank.to_dict()
    broken = PromptBank("xd_violence", [], bank.abnormal, bank.provenance)
    with pytest.raises(BankError, match="normal: empty list"):
        broken.save(tmp_path / "c.json")
    assert not (tmp_path / "c.json").exists()


def test_resolve_bank_from_nothing_a_file_or_a_bank(tmp_path):
    bank, label = resolve_bank(None, "xd_violence")
    assert label == "curated:xd_violence" and bank.to_dict() == load_curated_bank("xd_violence").to_dict()
    bank.save(tmp_path / "b.json")
    assert resolve_bank(tmp_path / "b.json", "xd_violence")[1] == str(tmp_path / "b.json")
    assert resolve_bank(bank, "xd_violence") == (bank, "given")
    with pytest.raises(BankError, match="prompt bank is for 'xd_violence', the run is on 'ucf_crime'"):
        resolve_bank(bank, "ucf_crime")
    with pytest.raises(BankError):
        resolve_bank(tmp_path / "b.json", "ucf_crime")


def test_curated_banks_live_inside_the_package():
    package = Path(stprompt_core.__file__).resolve().parent
    assert curated_bank_path("ucf_crime") == package / "prompts" / "banks" / "ucf_crime.json"
