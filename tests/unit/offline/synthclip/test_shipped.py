"""The shipped workshop SynthCLIP: loads, matches its card, and reaches the card's accuracy."""

from __future__ import annotations

import shutil

import pytest

from stprompt_core.config import load_config
from stprompt_core.offline.synthclip.card import PRETRAINED_DIR, ShippedWeightsError, shipped_checkpoint, verify_card
from stprompt_core.offline.synthclip.publish import held_out_check

MODEL = "SynthCLIP-S-MiniLM"
WEIGHTS = shipped_checkpoint(MODEL, "workshop")


@pytest.fixture(scope="module")
def shipped():
    assert WEIGHTS.is_file(), f"{WEIGHTS} is missing: the workshop profile uses it"
    return verify_card(WEIGHTS)


def test_card_matches_file_and_profile(shipped, in_workdir):
    card = shipped["card"]
    assert WEIGHTS.stat().st_size <= 10 * 2**20 and card["size_bytes"] == WEIGHTS.stat().st_size
    assert card["reproduce"].startswith("stprompt synthclip train --preset workshop")
    assert shipped["settings"]["steps"] >= 1000 and shipped["synthvad"]["preset"]["name"] == "workshop"
    cfg = load_config("workshop")
    assert cfg.backbone.pretrained.endswith(f"pretrained/{WEIGHTS.name}")


def test_profile_uses_shipped_weights_without_training(shipped, in_workdir, monkeypatch):
    """``ensure_synthclip`` recognises the card's key for the workshop profile and trains nothing."""
    import stprompt_core.offline.synthclip.train as train_module
    from stprompt_core.offline.synthclip import ensure_synthclip

    monkeypatch.setattr(train_module, "train_synthclip", lambda *a, **k: pytest.fail("must not train"))
    cfg = load_config("workshop", {"backbone.pretrained": str(WEIGHTS)})
    info = ensure_synthclip(cfg, progress=False)
    assert info["reused"] and info["shipped"] and info["key"] == shipped["key"]
    other = load_config("workshop", {"backbone.pretrained": str(WEIGHTS), "synth.seed": 1})
    with pytest.raises(ShippedWeightsError, match="stprompt synthclip train --preset workshop --seed 1"):
        ensure_synthclip(other, progress=False)


def test_weights_reach_card_accuracy_on_held_out_render(shipped, in_workdir):
    """Recompute the card's check: same render, same frames, zero-shot accuracy as published."""
    from stprompt_core.offline.synthclip import load_synthclip

    model, name = load_synthclip(WEIGHTS)
    got = held_out_check(model, name, "workshop")
    want = shipped["card"]["held_out_check"]
    assert got["frames"] == want["frames"]
    assert got["canonical"] >= want["canonical"] - 0.02  # thread counts change float sums, not the result
    assert got["paraphrase"] >= want["paraphrase"] - 0.02
    assert got["canonical"] > 1 / 6 + 0.3  # far above chance among the six classes


def test_damaged_weights_are_refused(shipped, tmp_path):
    copy = tmp_path / WEIGHTS.name
    shutil.copy(WEIGHTS, copy)
    shutil.copy(WEIGHTS.with_suffix(".json"), copy.with_suffix(".json"))
    verify_card(copy)
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    with pytest.raises(ShippedWeightsError, match="damaged"):
        verify_card(copy)
    copy.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(ShippedWeightsError, match="bytes"):
        verify_card(copy)
    assert PRETRAINED_DIR.is_dir()
