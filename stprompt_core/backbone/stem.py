"""A convolutional stem for the small ViTs this project trains from scratch (SynthCLIP).

open_clip's ``VisionTransformer`` embeds each ``p x p`` patch with one strided
convolution (``visual.conv1``: a linear map of ``3 p^2`` pixels to ``width``). A ViT trained
from scratch on little data learns slowly through it, and an event a few pixels wide (a
bag, a fire starting) is squeezed into one linear projection of its patch. Early
convolutions fix both (Xiao et al., "Early Convolutions Help Transformers See Better",
NeurIPS 2021): ``log2(p)`` 3x3 stride-2 conv-BN-ReLU layers, then a 1x1 convolution to
``width``. The stem's output has exactly ``conv1``'s shape ``[B, width, rows, cols]``, so the
token grid, positional embeddings, patch tokens and everything downstream are unchanged.

Which models have a stem, and its channels, is declared next to their open_clip configs in
``model_configs/conv_stems.json`` (``{model_name: [c1, ..., c_log2(p)]}``; open_clip itself
ignores that file). :func:`create_model` is the one place models are built, so training
(:func:`stprompt_core.offline.synthclip.model.build_model`) and loading
(:func:`stprompt_core.backbone.clip.load_clip`) see the same architecture.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
from functools import lru_cache
from pathlib import Path

import torch
from torch import nn

from stprompt_core.integrity import load_verified

STEMS_FILE = Path(__file__).parent / "model_configs" / "conv_stems.json"


class ConvStem(nn.Module):
    """``[B, 3, H, W]`` -> ``[B, width, H / 2^n, W / 2^n]`` with ``n = len(channels)``."""

    def __init__(self, channels: list[int], width: int):
        super().__init__()
        layers: list[nn.Module] = []
        c_in = 3
        for c in channels:
            layers += [nn.Conv2d(c_in, c, kernel_size=3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c),
                       nn.ReLU(inplace=True)]
            c_in = c
        layers.append(nn.Conv2d(c_in, width, kernel_size=1))
        self.net = nn.Sequential(*layers)
        # channels-last convolutions: training steps ~1.5x faster on this project's CPU (oneDNN).
        # Loading a state dict copies into these tensors and keeps their layout.
        self.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.contiguous(memory_format=torch.channels_last)).contiguous()


@lru_cache(maxsize=1)
def _stems() -> dict[str, list[int]]:
    return {k: list(v) for k, v in json.loads(STEMS_FILE.read_text()).items()}


def conv_stem_channels(model_name: str) -> list[int] | None:
    """Channels of ``model_name``'s conv stem, or None when it keeps open_clip's patch embedding."""
    return _stems().get(model_name)


def install_conv_stem(visual: nn.Module, channels: list[int]) -> None:
    """Replace ``visual.conv1`` (a square-patch open_clip ViT) by a :class:`ConvStem` of the same stride.

    Raises:
        ValueError: the stem's stride ``2^len(channels)`` is not the model's patch size.
    """
    patch = tuple(int(p) for p in visual.patch_size)
    if patch[0] != patch[1] or 2 ** len(channels) != patch[0]:
        raise ValueError(f"a conv stem of {len(channels)} stride-2 layers has stride {2 ** len(channels)}, "
                         f"but the model's patches are {patch}; give log2(patch size) = "
                         f"{math.log2(patch[0]):g} channel counts")
    visual.conv1 = ConvStem(channels, visual.conv1.out_channels)


FROZEN_TEXT_PREFIX = "text.transformer."  # a locked HF text tower: its weights come from its own package


def create_model(model_name: str, pretrained: str | None = None, device: str | torch.device = "cpu") -> nn.Module:
    """``open_clip.create_model`` with the model's conv stem (if it has one) installed before
    its weights are loaded (``pretrained``: a local checkpoint, strict; its position embeddings
    are resized when the model's patch grid differs from the checkpoint's). A checkpoint that
    leaves out a frozen HF text tower (keys ``text.transformer.*``, as SynthCLIP ships its
    weights) gets that tower's base weights and must hold every other key."""
    import open_clip

    channels = conv_stem_channels(model_name)
    if channels is None:
        return open_clip.create_model(model_name, pretrained=pretrained, device=device)
    partial = bool(pretrained) and not _has_text_tower(pretrained)
    # with a full checkpoint to load, the text tower's base weights (e.g. MiniLM) would be overwritten
    # anyway, and open_clip's "initialized randomly" warning would be wrong
    with quiet_loading() if pretrained else contextlib.nullcontext():
        model = open_clip.create_model(model_name, pretrained=None, device="cpu",
                                       pretrained_text=not pretrained or partial)
    install_conv_stem(model.visual, channels)
    if pretrained and partial:
        state = load_verified(pretrained, "pt", remedy="delete it: the pipeline trains it again "
                              "(`stprompt synthclip train`)")[0]
        # weights trained at another input size: the position embeddings' grid is resized
        # (bicubic, open_clip's own rule), e.g. a 7x7 grid of 112-px weights to 14x14 at 224 px
        open_clip.model.resize_pos_embed(state, model)
        missing, unexpected = model.load_state_dict(state, strict=False)
        bad = [k for k in missing if not k.startswith(FROZEN_TEXT_PREFIX)] + list(unexpected)
        if bad:
            raise RuntimeError(f"{pretrained}: weights do not fit {model_name}: {bad[:5]}")
    elif pretrained:
        open_clip.load_checkpoint(model, pretrained, strict=True)
    return model.to(device)


def _has_text_tower(path: str) -> bool:
    """Whether a checkpoint holds the text transformer's weights (non-safetensors: assumed)."""
    if not str(path).endswith(".safetensors"):
        return True
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        return any(k.startswith(FROZEN_TEXT_PREFIX) for k in f.keys())


@contextlib.contextmanager
def quiet_loading():
    """Silence open_clip's and transformers' loading reports (meant for pretrained checkpoints)
    and transformers' "Loading weights" progress bar while a model is built on purpose
    without, or before, its weights."""
    level = logging.root.level
    logging.root.setLevel(logging.ERROR)
    try:
        from transformers.utils import logging as hf_logging

        hf_level, hf_bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except ImportError:
        hf_logging = None
    try:
        yield
    finally:
        logging.root.setLevel(level)
        if hf_logging is not None:
            hf_logging.set_verbosity(hf_level)
            if hf_bars:
                hf_logging.enable_progress_bar()
