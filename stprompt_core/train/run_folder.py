"""A run folder's lifecycle: create or resume it, checkpoint each epoch, load a finished run.

A run folder holds ``config.json``, ``run_manifest.json``, ``train_log.jsonl``,
``best.safetensors`` and ``checkpoints/`` (the last finished epoch's weights and optimizer
state, named by ``progress.json``). It resumes only under the config and the features it
started from.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import torch

from stprompt_core.backbone.clip import load_clip
from stprompt_core.config import Config, ConfigError, config_from_dict
from stprompt_core.features.store import FeatureStore
from stprompt_core.integrity import file_record, load_verified, save_verified
from stprompt_core.io import atomic_path, file_sha256, read_json, write_json
from stprompt_core.model.stprompt import STPrompt, trainable_state_dict
from stprompt_core.runinfo import hash_inputs, run_manifest
from stprompt_core.runtime import seed_everything
from stprompt_core.train.sampling import SplitPlan
from stprompt_core.train.store_checks import sa2_off_reason

# config sections that decide a trained model; a run dir is resumed only when these match
TRAINING_SECTIONS = ("data", "backbone", "extract", "model", "loss", "train")


class RunDirError(ValueError):
    """The run folder belongs to another configuration."""


def build_model(cfg: Config, device: torch.device) -> STPrompt:
    clip = load_clip(cfg.backbone, device="cpu")
    seed_everything(cfg.train.seed)
    model = STPrompt(cfg, clip)
    return model.to(device)


def _prepare_run_dir(cfg: Config, run_dir: Path, overwrite: bool, store: FeatureStore,
                     plan: SplitPlan) -> tuple[int, dict[str, Any]]:
    """Create or resume a run folder; returns (first epoch to run, best so far)."""
    cfg_path = run_dir / "config.json"
    progress_path = run_dir / "checkpoints" / "progress.json"
    if cfg_path.exists() and not overwrite:
        old = _as_current_keys(read_json(cfg_path))
        new = json.loads(cfg.to_json())
        diff = [k for k in _diff(old, new) if k.split(".")[0] in TRAINING_SECTIONS]
        if diff:
            raise RunDirError(f"{run_dir} holds a run with a different config ({', '.join(diff[:5])}); "
                              f"use another run dir or --overwrite")
        _check_same_store(run_dir, store)
        if progress_path.exists():
            prog = read_json(progress_path)
            _truncate_log(run_dir / "train_log.jsonl", prog["epoch"])
            _drop_unnamed_checkpoints(run_dir / "checkpoints", prog)  # a later epoch's files from a killed run
            return int(prog["epoch"]), prog["best"]
    for stale in ("train_log.jsonl", "train_summary.json", "metrics.json", "scores.json"):
        (run_dir / stale).unlink(missing_ok=True)
    if (run_dir / "checkpoints").exists():  # a fresh start: nothing of an earlier or killed run is kept,
        for f in (run_dir / "checkpoints").iterdir():  # an atomic write's temporary folder included
            if f.is_dir():
                shutil.rmtree(f)
            else:
                f.unlink()
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json(cfg_path, json.loads(cfg.to_json()))
    inputs = hash_inputs([store.root / "store.json"] + [store.root / s for s in sorted({plan.train_split, plan.val_split or plan.train_split})])
    write_json(run_dir / "run_manifest.json", run_manifest(
        "train", cfg.train.seed, inputs,
        {"feature_store": str(store.root), "val_split": plan.val_split, "n_train": len(plan.train_rows),
         "n_val": len(plan.val_rows), "val_video_ids": _ids(store, plan.val_split, plan.val_rows),
         "selection": f"best validation video-level AUC of the {cfg.eval.score_branch} branch (ties: lower BCE)",
         "features": store.meta.source.get("kind", "extracted"),
         "sa2": (f"{cfg.model.sa2_mode}" if store.meta.has_patches
                 else f"off: {sa2_off_reason(store.meta)}, no patch tokens")}))
    return 0, {}


def _check_same_store(run_dir: Path, store: FeatureStore) -> None:
    """A run resumes only on the features it started from: ``store.json`` (which records the
    backbone and its weights' SHA-256) must hash as in the run's ``run_manifest.json``."""
    manifest = run_dir / "run_manifest.json"
    meta = store.root / "store.json"
    recorded = read_json(manifest).get("inputs", {}).get(str(meta)) if manifest.exists() else None
    if recorded is not None and recorded != file_sha256(meta):
        raise RunDirError(f"{run_dir} was trained on other features ({meta} changed since); "
                          f"use another run dir or --overwrite")


def _ids(store: FeatureStore, split: str | None, rows: list[int]) -> list[str]:
    if not split:
        return []
    ids = store.split(split)["video_id"]
    return [str(ids[r]) for r in rows]


def _diff(old: Any, new: Any, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for k in sorted(set(old) | set(new)):
            out += _diff(old.get(k), new.get(k), f"{prefix}{k}.")
        return out
    return [] if old == new else [prefix.rstrip(".")]


def _truncate_log(path: Path, epochs: int) -> None:
    if path.exists():
        lines = path.read_text().splitlines()[:epochs]
        with atomic_path(path) as tmp:
            tmp.write_text("".join(line + "\n" for line in lines))


def _checkpoint_files(progress: dict[str, Any]) -> tuple[str, str]:
    """(weights, optimizer state) file names that ``progress.json`` names (older runs: last.*)."""
    return progress.get("weights", "last.safetensors"), progress.get("state", "last_state.pt")


def _as_current_keys(stored: dict[str, Any]) -> dict[str, Any]:
    """A run's stored config with keys since derived or moved read as today's config reads them
    (so a run written before such a change resumes instead of looking like another config)."""
    try:
        return json.loads(config_from_dict(stored).to_json())
    except ConfigError:
        return stored  # compared as stored: the differences it shows are named in the error


def _drop_unnamed_checkpoints(ckpt: Path, progress: dict[str, Any]) -> None:
    keep = set(_checkpoint_files(progress)) | {"progress.json"}
    for f in ckpt.iterdir() if ckpt.exists() else []:
        if f.is_file() and f.name not in keep:
            f.unlink()


def _save_epoch(model: STPrompt, opt, sched, ckpt: Path, run_dir: Path, record: dict[str, Any],
                best: dict[str, Any]) -> dict[str, Any]:
    """Checkpoint after an epoch.

    The epoch's weights and optimizer state go to files of their own (``epoch-N.*``);
    ``progress.json``, written last, names them, and only then are the previous epoch's files
    removed. A run killed at any instant resumes from a complete, consistent pair: the
    previous epoch's until ``progress.json`` moves on, this one's after.
    """
    ckpt.mkdir(parents=True, exist_ok=True)
    weights = trainable_state_dict(model)
    n = record["epoch"]
    weights_file, state_file = f"epoch-{n}.safetensors", f"epoch-{n}.state.pt"
    save_verified(weights, ckpt / weights_file)
    with atomic_path(ckpt / state_file) as tmp:
        torch.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, tmp)
    key = (record.get("val_auc", 0.0), -record.get("val_bce", 0.0))
    if not best or key > (best.get("val_auc", 0.0), -best.get("val_bce", 0.0)) or "val_auc" not in record:
        best = {k: record[k] for k in ("epoch", "val_auc", "val_bce") if k in record}
        save_verified(weights, run_dir / "best.safetensors", {"epoch": str(record["epoch"])})
    log = run_dir / "train_log.jsonl"
    lines = log.read_text().splitlines() if log.exists() else []
    with atomic_path(log) as tmp:
        tmp.write_text("".join(line + "\n" for line in lines + [json.dumps(record, sort_keys=True)]))
    progress = {"epoch": n, "best": best, "weights": weights_file, "state": state_file,
                "state_record": file_record(ckpt / state_file)}
    write_json(ckpt / "progress.json", progress)
    _drop_unnamed_checkpoints(ckpt, progress)
    return best


def load_run(run_dir: str | Path, device: str | torch.device = "cpu", checkpoint: str = "best") -> tuple[Config, STPrompt]:
    """Config and model of a finished run (``best`` or ``last`` weights)."""
    run_dir = Path(run_dir)
    if not (run_dir / "config.json").exists():
        raise FileNotFoundError(f"no config.json in run dir {run_dir}; train first (`stprompt train`)")
    cfg = config_from_dict(read_json(run_dir / "config.json"))
    if checkpoint == "best":
        path = run_dir / "best.safetensors"
    else:
        prog = run_dir / "checkpoints" / "progress.json"
        path = run_dir / "checkpoints" / _checkpoint_files(read_json(prog) if prog.exists() else {})[0]
    if not path.exists():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    device = torch.device(device)
    model = build_model(cfg, device)
    remedy = f"`stprompt train --run-dir {run_dir} --overwrite` trains it again"
    model.load_state_dict(load_verified(path, "pt", remedy, str(device))[0])
    model.eval()
    return cfg, model
