"""Shared values of the SynthCLIP tests (fixtures are in conftest.py)."""

from __future__ import annotations

from stprompt_core.config import load_config

TINY_MODEL = "SynthCLIP-T-MiniLM"  # 64 px, 8x8 grid: the tiny profile's SynthCLIP


def tiny_config(checkpoint: str, seed: int = 0):
    """The tiny profile with SynthCLIP as its backbone."""
    return load_config("tiny", {"backbone.model_name": TINY_MODEL, "backbone.pretrained": checkpoint,
                                "synthvad.seed": seed})
