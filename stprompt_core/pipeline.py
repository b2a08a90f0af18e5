"""Cache-or-compute stages of the workshop chain, shared by ``stprompt demo`` and notebooks.

Each ``ensure_*`` function reuses what an earlier run left on disk when it matches the
config and computes only what is missing:

    ensure_synthvad  SynthVAD videos + manifest     (reused when preset and seed match)
    ensure_backbone  SynthCLIP weights              (when backbone.synthclip; reused when the key matches)
    ensure_features  the feature store              (extraction resumes per video; a store of
                                                     SynthCLIP weights since retrained is rebuilt;
                                                     data.features=vadclip: VadCLIP's released
                                                     features imported, reused when the lists match)
    ensure_trained   a run folder                   (training resumes per epoch; with ``fresh``,
                                                     a run of another config or features restarts)
    ensure_metrics   metrics.json of the run        (recomputed when older than the weights)
    ensure_localization  localization.json          (recomputed when older than the scores)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Callable

from stprompt_core.backbone.encoder import weights_sha256
from stprompt_core.config import Config
from stprompt_core.evaluate import evaluate
from stprompt_core.features.extract import extract_features
from stprompt_core.features.released import import_vadclip
from stprompt_core.features.store import FeatureStore, FeatureStoreError
from stprompt_core.integrity import DamagedFileError
from stprompt_core.io import read_json
from stprompt_core.localize.run import RESULT_FILE, localize
from stprompt_core.locks import exclusive
from stprompt_core.offline.synthclip import ensure_synthclip
from stprompt_core.offline.synthvad import ensure_generated, preset_of
from stprompt_core.train import RunDirError, train


def ensure_synthvad(cfg: Config, progress: bool = True) -> dict[str, Any]:
    """Render SynthVAD into ``data.data_root`` unless the same preset and seed are already there."""
    root = cfg.data_root()
    if cfg.manifest().resolve() != (root / "manifest.json").resolve():
        raise ValueError(f"data.manifest={cfg.data.manifest!r} is not the manifest SynthVAD writes "
                         f"({root / 'manifest.json'}); leave data.manifest empty to use it")
    return ensure_generated(preset_of(cfg), root, seed=cfg.synthvad.seed, progress=progress)


def ensure_backbone(cfg: Config, progress: bool = True) -> dict[str, Any]:
    """Train SynthCLIP into ``backbone.pretrained`` when the profile says the backbone is
    SynthCLIP's (``backbone.synthclip``) and matching weights are not there; nothing otherwise."""
    if not cfg.backbone.synthclip:
        return {"reused": True, "checkpoint": cfg.backbone.pretrained}

    return ensure_synthclip(cfg, progress=progress)


def ensure_features(cfg: Config, progress: bool = True) -> dict[str, Any]:
    """Extract features for every manifest video not yet in the store (training SynthCLIP
    first when the backbone is SynthCLIP's and not trained yet); finalize the store. With
    ``data.features: vadclip``, import VadCLIP's released features from ``data.data_root`` instead
    (SA2 off: they hold no patch tokens; the summary says so)."""
    if cfg.data.features == "vadclip":
        done = import_vadclip(cfg.data_root(), cfg.data.dataset, cfg.data.feature_store, progress=progress)
        print(done.format(), flush=True)
        return {"imported": done.imported, "skipped": len(done.skipped), "reused": done.reused,
                "sa2": "off: released [CLS] features, no patch tokens"}

    ensure_backbone(cfg, progress)
    drop_stale_store(cfg)
    report_damaged_datasets(Path(cfg.data.feature_store))
    try:
        summary = extract_features(cfg, progress=progress)
    except FeatureStoreError as exc:
        if "is damaged" not in str(exc):
            raise
        # a damaged part was deleted while building the datasets: extract its video again, once
        print(f"feature store: {exc}; extracting it again", file=sys.stderr, flush=True)
        summary = extract_features(cfg, progress=progress)
    if not summary.ok:
        raise RuntimeError(summary.format())
    return {"extracted": len(summary.extracted), "reused": len(summary.skipped),
            "frames_per_s": round(summary.frames_per_s, 1)}


def report_damaged_datasets(root: Path) -> list[str]:
    """Say which dataset files of the store no longer match their records; extraction then
    rebuilds them from the parts. Returns the messages."""
    if not (root / "store.json").is_file():
        return []
    store, out = FeatureStore(root), []
    for split in store.splits:
        try:
            store.verify(split)
        except DamagedFileError as exc:
            out.append(str(exc))
            print(f"feature store: {exc.path} is damaged; rebuilding the datasets from the parts", file=sys.stderr,
                  flush=True)
    return out


def drop_stale_store(cfg: Config) -> bool:
    """Delete the feature store when the pipeline's own SynthCLIP weights have changed since it
    was extracted: ``backbone.synthclip`` is set, the store records the same ``pretrained``
    path, and that file's SHA-256 is no longer the one recorded. Its features came from weights
    that no longer exist, so they can only be recomputed. Returns whether it deleted the store."""
    import shutil

    root = Path(cfg.data.feature_store)
    if not (cfg.backbone.synthclip and (root / "store.json").is_file()):
        return False
    old = read_json(root / "store.json").get("backbone") or {}
    if old.get("pretrained") != cfg.backbone.pretrained:
        return False
    recorded, current = old.get("weights_sha256"), weights_sha256(cfg.backbone.pretrained)
    if recorded is None or current is None or recorded == current:
        return False
    print(f"feature store {root} was extracted with other weights at {cfg.backbone.pretrained} "
          f"(SHA-256 {recorded[:12]}, now {current[:12]}: SynthCLIP was retrained); re-extracting",
          file=sys.stderr, flush=True)
    shutil.rmtree(root)
    return True


def ensure_trained(cfg: Config, run_dir: Path, progress: bool = True, fresh: bool = False) -> dict[str, Any]:
    """Train into ``run_dir``, resuming; a finished run returns at once.

    Args:
        fresh: when ``run_dir`` holds a run of another config or of other features, train
            it again from scratch (the demo's run folder is its output) instead of raising
            :class:`~stprompt_core.train.RunDirError`.
    """
    try:
        summary = train(cfg, run_dir, progress=progress)
    except RunDirError as exc:
        if not fresh:
            raise
        print(f"training {run_dir} again: {exc}", file=sys.stderr, flush=True)
        summary = train(cfg, run_dir, overwrite=True, progress=progress)
    return {"best": summary["best"], "epochs": summary["epochs"]}


def ensure_metrics(run_dir: Path) -> dict[str, Any]:
    """metrics.json of the run, recomputed when missing or older than ``best.safetensors``."""
    metrics, weights = run_dir / "metrics.json", run_dir / "best.safetensors"
    if metrics.exists() and metrics.stat().st_mtime >= weights.stat().st_mtime:
        return read_json(metrics)
    return evaluate(run_dir)


def ensure_localization(run_dir: Path) -> dict[str, Any]:
    """localization.json of the run (curated bank, the run's localize settings), recomputed when
    missing or older than the temporal scores."""
    out, scores = run_dir / RESULT_FILE, run_dir / "scores.json"
    with exclusive(run_dir):
        if out.exists() and out.stat().st_mtime >= scores.stat().st_mtime:
            return read_json(out)
        return localize(run_dir)


def timed(stages: dict[str, float], name: str, fn: Callable[[], Any]) -> Any:
    t0 = time.perf_counter()
    out = fn()
    stages[name] = round(time.perf_counter() - t0, 2)
    return out
