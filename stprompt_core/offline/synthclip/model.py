"""Build SynthCLIP models for training with open_clip's own classes.

Two designs, both open_clip model configs in ``stprompt_core/backbone/model_configs``:

- ``SynthCLIP-S`` (a): ``open_clip.CLIP``, a small ViT and a small causal text transformer,
  both from scratch, with open_clip's BPE tokenizer;
- ``SynthCLIP-S-MiniLM`` (b): ``open_clip.CustomTextCLIP``, the same ViT against the real
  all-MiniLM-L6-v2 sentence encoder (``text_cfg.hf_model_name``), locked; only its linear
  projection into the joint space trains. Words never seen in SynthVAD captions still land
  near their meaning.

Both ViTs embed their 16-px patches with a convolutional stem rather than open_clip's single
strided convolution (``model_configs/conv_stems.json``, :mod:`stprompt_core.backbone.stem`):
a ViT trained from scratch on a small corpus learns small events faster through it
(``benchmarks/results/synthclip.json`` compares both). The MiniLM files and the lock check
live with the backbone (:mod:`stprompt_core.backbone.text_tower`), which loads these models too.
"""

from __future__ import annotations

import torch
from torch import nn

from stprompt_core.backbone.stem import create_model, quiet_loading
from stprompt_core.backbone.text_tower import ensure_minilm, hf_text_dir

# Design (b), the better of the two in benchmarks/bench_synthclip.py (results/synthclip.json):
# a small ViT trained against the frozen all-MiniLM-L6-v2 sentence encoder.
DEFAULT_MODEL = "SynthCLIP-S-MiniLM"
SCRATCH_MODEL = "SynthCLIP-S"  # design (a): text transformer from scratch, open_clip tokenizer
# The model of the same design a preset's world is seen with: tiny (64 px, 8x8 grid, as STP-Tiny);
# surveillance (224 px, 14x14 grid of 16-px patches, as ViT-B/16).
PRESET_MODELS: dict[str, str] = {"tiny": "SynthCLIP-T-MiniLM", "benchmark_scale": "SynthCLIP-S-MiniLM-224"}


def default_model(preset: str) -> str:
    """The SynthCLIP model config a SynthVAD preset's profile uses."""
    return PRESET_MODELS.get(preset, DEFAULT_MODEL)


def build_model(model_name: str, seed: int, init: str = "") -> nn.Module:
    """A model for training: random init seeded by ``seed``, or the SynthCLIP checkpoint ``init``
    (loaded as :func:`~stprompt_core.backbone.stem.create_model` loads weights: position embeddings
    resized to ``model_name``'s patch grid); an HF text tower gets its pretrained weights
    (exported by :func:`ensure_minilm` first) and is locked.

    Raises:
        FileNotFoundError: ``init`` names no file.
    """
    from pathlib import Path

    if init and not Path(init).is_file():
        raise FileNotFoundError(f"synthclip.init={init}: no such checkpoint")
    text_dir = hf_text_dir(model_name)
    if text_dir is not None:
        ensure_minilm(text_dir)
    with torch.random.fork_rng(), quiet_loading():
        torch.manual_seed(seed)
        model = create_model(model_name, pretrained=init or None)
    if text_dir is not None:
        model.lock_text_tower(unlocked_layers=0, freeze_layer_norm=True)
    return model

