"""Cache-or-compute for SynthCLIP weights: train once per SynthVAD preset, seed and recipe.

A checkpoint is two files (the safetensors name is ``backbone.pretrained``)::

    cache/synthclip/SynthCLIP-S-MiniLM/workshop-seed0.safetensors   # state dict less a frozen HF text tower
    cache/synthclip/SynthCLIP-S-MiniLM/workshop-seed0.json          # config, hashes, training log

The JSON holds the open_clip model config, the recipe (the config's ``synthclip`` section), the
SynthVAD preset's knobs and seed with their SHA-256 (``synthvad_sha256``) and ``key``: the
SHA-256 of all of them. :func:`ensure_synthclip` reuses the weights when the key matches
and trains otherwise, so a changed preset, seed, recipe or architecture retrains. The
safetensors file loads with ``open_clip.create_model(name, pretrained=path)``, i.e. through
:func:`stprompt_core.backbone.clip.load_clip` with ``backbone.pretrained`` set to it.

Weights in the package's ``pretrained/`` folder (:mod:`stprompt_core.offline.synthclip.card`) are the
exception: they are checked against their card and used, and a config they do not match is
refused with the command that trains its own, never retrained in place.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from torch import nn

from stprompt_core.backbone.clip import load_clip
from stprompt_core.backbone.configs import model_config
from stprompt_core.backbone.stem import FROZEN_TEXT_PREFIX
from stprompt_core.backbone.text_tower import is_locked_hf_text
from stprompt_core.config import BackboneConfig, Config, SynthClipConfig
from stprompt_core.data.manifest import load_manifest
from stprompt_core.integrity import (DamagedFileError, check_record, file_record, read_sealed_json, save_verified,
                                     seal_json)
from stprompt_core.io import file_sha256, read_json, write_json
from stprompt_core.locks import exclusive
from stprompt_core.offline.synthclip.card import ShippedWeightsError, is_shipped, verify_card
from stprompt_core.offline.synthclip.data import (FrameSet, concat_frames, corpus_preset, corpus_seed, load_frames,
                                                  split_videos)
from stprompt_core.offline.synthclip.evaluate import evaluate_synthclip, evaluation_frames
from stprompt_core.offline.synthclip.train import train_synthclip
from stprompt_core.offline.synthvad import ensure_generated, generate, get_preset
from stprompt_core.offline.synthvad.generate import MANIFEST_NAME, SETTINGS_NAME

CACHE_ROOT = Path("cache/synthclip")
# SynthVAD knobs added after weights were shipped, at their defaults (SynthPreset)
CAMERA_DEFAULTS: dict[str, Any] = {"camera_zoom": (1.0, 1.0), "scene_tint": 0.0, "scene_bias": 0.0}


def default_checkpoint(model_name: str, preset: str, seed: int, root: str | Path = CACHE_ROOT) -> Path:
    """``<root>/<model_name>/<preset>-seed<seed>.safetensors``."""
    return Path(root) / model_name / f"{preset}-seed{seed}.safetensors"


def meta_path(checkpoint: str | Path) -> Path:
    """The JSON next to a checkpoint."""
    return Path(checkpoint).with_suffix(".json")


def synthvad_fingerprint(preset: str, seed: int) -> dict[str, Any]:
    """The SynthVAD preset's knobs and seed, as JSON values, with their SHA-256."""
    knobs = asdict(get_preset(preset))
    if all(knobs[k] == v for k, v in CAMERA_DEFAULTS.items()):  # a preset without them hashes as before they existed
        knobs = {k: v for k, v in knobs.items() if k not in CAMERA_DEFAULTS}
    data = json.loads(json.dumps({"preset": knobs, "seed": seed}))
    return {**data, "sha256": _sha256(data)}


def cache_key(model_name: str, settings: SynthClipConfig, synthvad: dict[str, Any]) -> str:
    """SHA-256 of everything that decides the weights (a warm start: its checkpoint's SHA-256;
    a recipe without one hashes as it did before ``init`` existed)."""
    recipe = asdict(settings)
    if recipe["init"]:
        recipe["init"] = file_sha256(recipe["init"])
    else:
        del recipe["init"]
    return _sha256({"model_name": model_name, "model_config": model_config(model_name),
                    "settings": recipe, "synthvad_sha256": synthvad["sha256"]})


def ensure_corpus(preset: str, seed: int, settings: SynthClipConfig, root: str | Path, progress: bool = False) -> Path | None:
    """Render SynthCLIP's extra SynthVAD corpus of ``preset``/``seed`` under ``root`` unless it
    is there (the folder name carries the hash of its preset and seed); None when the recipe
    asks for no corpus."""
    if settings.corpus_per_class <= 0 and settings.corpus_normal <= 0:
        return None
    p = corpus_preset(preset, settings.corpus_per_class, settings.corpus_normal, settings.corpus_frames,
                      settings.corpus_anomaly_frames)
    s = corpus_seed(seed)
    digest = _sha256(json.loads(json.dumps({"preset": asdict(p), "seed": s})))
    out = Path(root) / f"{p.name}-seed{seed}-{digest[:12]}"
    if not ((out / MANIFEST_NAME).is_file() and (out / SETTINGS_NAME).is_file()):
        # a handful of videos renders faster here than spawning worker processes
        generate(p, out, seed=s, workers=1 if p.num_videos <= 16 else None, progress=progress)
    return out


def ensure_synthclip(cfg: Config, progress: bool = True, settings: SynthClipConfig | None = None,
                     corpus_root: str | Path | None = None, eval_every: int = 0) -> dict[str, Any]:
    """Train SynthCLIP for ``cfg`` unless matching weights are already at ``backbone.pretrained``.

    Uses ``backbone.model_name`` (a project open_clip config, e.g. ``SynthCLIP-S-MiniLM``),
    ``backbone.pretrained`` (where the ``.safetensors``
    goes), ``synthvad.preset`` / ``synthvad.seed`` and the dataset paths; renders SynthVAD first
    when it is missing (:func:`stprompt_core.offline.synthvad.ensure_generated`). Trains on the training
    split less ``settings.val_per_class`` videos per class, plus the recipe's extra corpus
    (:func:`ensure_corpus`).

    Args:
        settings: the recipe; default ``cfg.synthclip``.
        corpus_root: where the corpus is rendered (default: ``corpus/`` beside the checkpoint).
        eval_every: every this many steps, measure zero-shot accuracy on the validation videos
            (recorded as ``train.val_curve`` in the JSON; does not change the weights).

    Returns:
        ``{"reused": bool, "checkpoint": path, "key": ..., "seconds": ...}`` (training
        facts when it trained).

    Raises:
        ValueError: ``backbone.pretrained`` is not a ``.safetensors`` path.
    """
    b = cfg.backbone
    settings = settings or cfg.synthclip
    checkpoint = Path(b.pretrained)
    if checkpoint.suffix != ".safetensors":
        raise ValueError(f"backbone.pretrained={b.pretrained!r}: SynthCLIP weights need a .safetensors path, e.g. "
                         f"{default_checkpoint(b.model_name, cfg.synthvad.preset, cfg.synthvad.seed)}")
    mcfg = model_config(b.model_name)
    synthvad = synthvad_fingerprint(cfg.synthvad.preset, cfg.synthvad.seed)
    key = cache_key(b.model_name, settings, synthvad)
    meta = meta_path(checkpoint)
    if is_shipped(checkpoint):  # pretrained weights of the repository: checked and used, never retrained here
        card = verify_card(checkpoint)
        if card.get("key") != key:
            raise ShippedWeightsError(
                f"backbone.pretrained={b.pretrained} holds the published SynthCLIP weights of another recipe, preset "
                f"or seed (card key {str(card.get('key'))[:12]}…, this config {key[:12]}…). Train your own with "
                f"`stprompt synthclip train --preset {cfg.synthvad.preset} --seed {cfg.synthvad.seed}` and set "
                f"backbone.pretrained={default_checkpoint(b.model_name, cfg.synthvad.preset, cfg.synthvad.seed)}")
        return {"reused": True, "checkpoint": str(checkpoint), "key": key, "shipped": True}
    with exclusive(checkpoint):  # a second run waits for the training, then reuses its weights
        if checkpoint.is_file() and meta.is_file() and _intact(checkpoint, meta).get("key") == key:
            return {"reused": True, "checkpoint": str(checkpoint), "key": key}
        return _train_and_save(cfg, settings, checkpoint, key, synthvad, mcfg, corpus_root, eval_every, progress)


def _intact(checkpoint: Path, meta: Path) -> dict[str, Any]:
    """The checkpoint's JSON when both files are as written; {} (so the pipeline retrains, with a
    notice) when either is damaged."""
    try:
        info = read_sealed_json(meta)
        if "weights" in info:  # checkpoints written before records existed are not checked
            check_record(checkpoint, info["weights"])
        return info
    except DamagedFileError as exc:
        print(f"SynthCLIP cache: {exc}; training it again", file=sys.stderr, flush=True)
        return {}


def _train_and_save(cfg: Config, settings: SynthClipConfig, checkpoint: Path, key: str, synthvad: dict[str, Any],
                    mcfg: dict[str, Any], corpus_root: str | Path | None, eval_every: int,
                    progress: bool) -> dict[str, Any]:
    b = cfg.backbone
    start = time.perf_counter()
    frames, data_log = training_frames(cfg, settings, corpus_root if corpus_root is not None
                                       else checkpoint.parent / "corpus", progress)
    curve: list[dict[str, Any]] = []
    on_every = _val_curve(cfg, settings, curve) if eval_every > 0 and settings.val_per_class > 0 else None
    result = train_synthclip(b.model_name, frames, settings, progress=progress, every=eval_every, on_every=on_every)
    train_log = {"seconds_total": round(time.perf_counter() - start, 1), **data_log,
                 "seconds_train": round(result.seconds, 1), "steps": settings.steps,
                 "loss_first": round(result.losses[0], 4), "loss_last": round(result.losses[-1], 4),
                 "loss_every_50": [round(x, 4) for x in result.losses[::50]],
                 **({"val_curve": curve} if curve else {}), **machine_facts()}
    save_checkpoint(result.model, checkpoint, {
        "key": key, "model_name": b.model_name, "model_config": mcfg, "settings": asdict(settings),
        "synthvad": synthvad, "train": train_log})
    return {"reused": False, "checkpoint": str(checkpoint), "key": key, "seconds": train_log["seconds_total"],
            "loss_first": train_log["loss_first"], "loss_last": train_log["loss_last"]}


def _val_curve(cfg: Config, settings: SynthClipConfig, curve: list[dict[str, Any]]):
    """A training callback appending zero-shot figures on the validation videos to ``curve``."""
    frames = evaluation_frames(cfg, "val", settings)

    def on_every(step: int, model: nn.Module) -> None:
        z = evaluate_synthclip(model, cfg.backbone.model_name, frames, cfg.data.dataset)["zero_shot"]
        curve.append({"step": step, "canonical": round(z["canonical"], 4),
                      "paraphrase": None if z["paraphrase"] is None else round(z["paraphrase"], 4)})
        print(f"synthclip step {step}: validation zero-shot {curve[-1]}", file=sys.stderr, flush=True)

    return on_every


def training_frames(cfg: Config, settings: SynthClipConfig, corpus_root: str | Path, progress: bool = False
                    ) -> tuple[FrameSet, dict[str, Any]]:
    """SynthCLIP's training frames for ``cfg``: SynthVAD's training split less the validation
    videos, plus the recipe's corpus (both rendered first when missing).

    Returns:
        The frames and what was done (seconds rendering and decoding, counts, held-out videos).
    """
    start = time.perf_counter()
    ensure_generated(cfg.synthvad.preset, cfg.data_root(), seed=cfg.synthvad.seed, progress=progress)
    corpus = ensure_corpus(cfg.synthvad.preset, cfg.synthvad.seed, settings, corpus_root, progress)
    corpus_s = time.perf_counter() - start
    splits = split_videos(load_manifest(cfg.manifest()), settings.val_per_class)
    t0 = time.perf_counter()
    sets = [load_frames(splits["train"], cfg.data_root(), settings.frame_stride, cfg.data.dataset, progress=progress)]
    if corpus is not None:
        sets.append(load_frames(load_manifest(corpus / "manifest.json").videos, corpus, settings.corpus_stride,
                                cfg.data.dataset, progress=progress))
    frames = concat_frames(sets)
    return frames, {"seconds_render": round(corpus_s, 1), "seconds_decode": round(time.perf_counter() - t0, 1),
                    "corpus": str(corpus) if corpus else None, "frames": len(frames),
                    "anomalous_frames": int(frames.anomalous.sum()), "videos": len(splits["train"]),
                    "val_videos": [v.id for v in splits["val"]]}


def save_checkpoint(model: nn.Module, checkpoint: str | Path, meta: dict[str, Any]) -> None:
    """Write the state dict as safetensors and ``meta`` as JSON beside it (atomically, the JSON
    last: a checkpoint without its JSON is never reused). A locked HF text tower is left out:
    its weights are its package's (all-MiniLM-L6-v2, 87 MB), only its projection trains."""
    checkpoint = Path(checkpoint)
    skip = FROZEN_TEXT_PREFIX if is_locked_hf_text(model) else None
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()
             if skip is None or not k.startswith(skip)}
    meta_path(checkpoint).unlink(missing_ok=True)
    save_verified(state, checkpoint, {"key": str(meta.get("key", "")), "model_name": str(meta.get("model_name", ""))})
    # written last, with the weights' size and hash and its own digest: checked before any reuse
    write_json(meta_path(checkpoint), seal_json({**meta, "weights": file_record(checkpoint)}))


def load_synthclip(checkpoint: str | Path) -> tuple[nn.Module, str]:
    """The model of a SynthCLIP checkpoint (eval mode, frozen) and its open_clip name, as
    :func:`~stprompt_core.backbone.clip.load_clip` builds it."""
    meta = read_json(meta_path(checkpoint))
    name = meta["model_name"]
    return load_clip(BackboneConfig(model_name=name, pretrained=str(checkpoint))), name


def machine_facts() -> dict[str, Any]:
    """What the timings were measured on (the machine may be shared: the load is recorded)."""
    import open_clip

    load = os.getloadavg() if hasattr(os, "getloadavg") else (None,)
    return {"cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(), "load_average_1m": load[0],
            "torch": torch.__version__, "open_clip": open_clip.__version__, "python": platform.python_version()}


def _sha256(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
