"""Cache-or-compute stages of the workshop chain, shared by ``stprompt demo`` and notebooks.

Each ``ensure_*`` function reuses what an earlier run left on disk when it matches the
config and computes only what is missing:

    ensure_synth     SynthVAD videos + manifest     (reused when preset and seed match)
    ensure_backbone  SynthCLIP weights              (when backbone.synthclip; reused when the key matches)
    ensure_features  the feature store              (extraction resumes per video)
    ensure_trained   a run folder                   (training resumes per epoch)
    ensure_metrics   metrics.json of the run        (recomputed when older than the weights)
    ensure_localization  localization.json          (recomputed when older than the scores)
"""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

from stprompt_core.config import Config
from stprompt_core.io import read_json


def ensure_synth(cfg: Config, progress: bool = True) -> dict[str, Any]:
    """Render SynthVAD into ``data.data_root`` unless the same preset and seed are already there."""
    from stprompt_core.synth import generate, get_preset
    from stprompt_core.synth.generate import SETTINGS_NAME

    root = Path(cfg.data.data_root)
    preset = get_preset(cfg.synth.preset)
    settings = root / SETTINGS_NAME
    if settings.exists() and Path(cfg.data.manifest).exists():
        old = read_json(settings)
        if old.get("seed") == cfg.synth.seed and old.get("preset") == _jsonable(asdict(preset)):
            return {"reused": True, "videos": old.get("videos")}
    manifest = generate(preset, root, seed=cfg.synth.seed, progress=progress)
    if Path(cfg.data.manifest).resolve() != (root / "manifest.json").resolve():
        raise ValueError(f"data.manifest={cfg.data.manifest!r} is not the manifest SynthVAD wrote "
                         f"({root / 'manifest.json'}); point data.manifest there")
    return {"reused": False, "videos": len(manifest.videos)}


def ensure_backbone(cfg: Config, progress: bool = True) -> dict[str, Any]:
    """Train SynthCLIP into ``backbone.pretrained`` when the profile says the backbone is
    SynthCLIP's (``backbone.synthclip``) and matching weights are not there; nothing otherwise."""
    if not cfg.backbone.synthclip:
        return {"reused": True, "checkpoint": cfg.backbone.pretrained}
    from stprompt_core.synthclip import ensure_synthclip

    return ensure_synthclip(cfg, progress=progress)


def ensure_features(cfg: Config, progress: bool = True) -> dict[str, Any]:
    """Extract features for every manifest video not yet in the store (training SynthCLIP
    first when the backbone is SynthCLIP's and not trained yet); finalize the store."""
    from stprompt_core.features.extract import extract_features

    ensure_backbone(cfg, progress)
    summary = extract_features(cfg, progress=progress)
    if not summary.ok:
        raise RuntimeError(summary.format())
    return {"extracted": len(summary.extracted), "reused": len(summary.skipped),
            "frames_per_s": round(summary.frames_per_s, 1)}


def ensure_trained(cfg: Config, run_dir: Path, progress: bool = True) -> dict[str, Any]:
    """Train into ``run_dir``, resuming; a finished run returns at once."""
    from stprompt_core.train import train

    summary = train(cfg, run_dir, progress=progress)
    return {"best": summary["best"], "epochs": summary["epochs"]}


def ensure_metrics(run_dir: Path) -> dict[str, Any]:
    """metrics.json of the run, recomputed when missing or older than ``best.safetensors``."""
    from stprompt_core.evaluate import evaluate

    metrics, weights = run_dir / "metrics.json", run_dir / "best.safetensors"
    if metrics.exists() and metrics.stat().st_mtime >= weights.stat().st_mtime:
        return read_json(metrics)
    return evaluate(run_dir)


def ensure_localization(run_dir: Path) -> dict[str, Any]:
    """localization.json of the run (curated bank, the run's localize settings), recomputed when
    missing or older than the temporal scores."""
    from stprompt_core.localize import localize

    out, scores = run_dir / "localization.json", run_dir / "scores.json"
    if out.exists() and out.stat().st_mtime >= scores.stat().st_mtime:
        return read_json(out)
    return localize(run_dir)


def timed(stages: dict[str, float], name: str, fn: Callable[[], Any]) -> Any:
    t0 = time.perf_counter()
    out = fn()
    stages[name] = round(time.perf_counter() - t0, 2)
    return out


def _jsonable(obj: Any) -> Any:
    """Tuples become lists, as after a JSON round trip."""
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj
