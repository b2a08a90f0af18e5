"""Training the temporal detector with video-level labels only (MIL).

``train(cfg, run_dir)`` is what ``stprompt train`` and the training notebook call:

1. checks the feature store against the config (dimensions, K, empty splits, NaN,
   zero-length videos) before any work;
2. carves a validation split from the *training* videos (stratified by label, seeded),
   unless the store has its own ``val`` split; the test split is never read here;
3. trains with balanced batches (half normal, half abnormal; ``train.sampling``) over every
   stored view of every training video (multi-crop stores: each crop once per epoch, as
   VadCLIP's ten rows per video), AdamW + MultiStepLR;
4. after every epoch scores the validation videos with video-level labels only (top-k
   mean of snippet scores → ROC-AUC) and keeps the best epoch as ``best.safetensors``;
5. writes ``config.json``, ``run_manifest.json``, ``train_log.jsonl`` and resumable
   checkpoints; re-running on the same run folder continues after the last finished epoch.

Same seed and same machine → same numbers: every epoch reseeds from ``(seed, epoch)``, so
a resumed run replays exactly what an uninterrupted one would.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from tqdm.auto import tqdm

from stprompt_core.backbone.clip import load_clip
from stprompt_core.backbone.configs import embed_dim
from stprompt_core.classes import class_labels
from stprompt_core.config import Config, ConfigError, config_from_dict
from stprompt_core.features.batching import Sequence, collate, fit_length, to_sequence
from stprompt_core.features.store import FeatureStore, FeatureStoreError
from stprompt_core.integrity import check_record, file_record, load_verified, save_verified
from stprompt_core.io import atomic_path, file_sha256, read_json, write_json
from stprompt_core.locks import exclusive
from stprompt_core.losses import class_targets, mil_align, mil_bce, text_separation, topk_counts, topk_mean
from stprompt_core.model.stprompt import STPrompt, trainable_state_dict
from stprompt_core.runinfo import hash_inputs, run_manifest
from stprompt_core.runtime import resolve_device, seed_everything, set_deterministic
from stprompt_core.scoring import iter_split, score_videos

PRELOAD_BYTES = 4 << 30  # training views smaller than this (as float32) are held in memory
# config sections that decide a trained model; a run dir is resumed only when these match
TRAINING_SECTIONS = ("data", "backbone", "extract", "model", "loss", "train")

Pair = tuple[int, int]  # (row of the training split, view index)


class RunDirError(ValueError):
    """The run folder belongs to another configuration."""


@dataclass
class SplitPlan:
    train_split: str
    train_rows: list[int]
    val_split: str | None
    val_rows: list[int]


def check_store(cfg: Config, store: FeatureStore, splits: list[str]) -> None:
    """Fail before training on a store that cannot serve this config; messages name the field/video."""
    meta = store.meta
    if not meta.has_patches and cfg.model.sa2_mode != "none":
        raise FeatureStoreError(f"{store.root}: the store holds no patch tokens ({sa2_off_reason(meta)}), so SA2 "
                                f"has nothing to attend over; set model.sa2_mode=none (model.sa2_mode is "
                                f"{cfg.model.sa2_mode!r})")
    dim = embed_dim(cfg.backbone.model_name)
    if meta.embed_dim != dim:
        raise FeatureStoreError(f"{store.root}: features have D={meta.embed_dim} but backbone "
                                f"{cfg.backbone.model_name!r} projects to {dim}")
    if meta.dataset != cfg.data.dataset:
        raise FeatureStoreError(f"{store.root}: store holds dataset {meta.dataset!r}, config data.dataset "
                                f"is {cfg.data.dataset!r}")
    n_classes = len(class_labels(cfg.data.dataset))
    for split in splits:
        ds = store.split(split)  # raises on missing/empty split
        for start in range(0, len(ds), 64):
            for v in store.videos(split, list(range(start, min(start + 64, len(ds))))):
                if v.frame_feats.shape[0] == 0:
                    raise FeatureStoreError(f"{store.root}: video {v.video_id!r} in split {split!r} has zero snippets")
                for name in ("frame_feats", "patch_feats", "patch_motion"):
                    if not np.isfinite(getattr(v, name)).all():
                        raise FeatureStoreError(f"{store.root}: video {v.video_id!r} field {name} has NaN or inf")
                if not all(0 <= c < n_classes for c in v.classes):
                    raise FeatureStoreError(f"{store.root}: video {v.video_id!r} classes {v.classes} "
                                            f"outside the {n_classes} classes of {cfg.data.dataset!r}")
        ids = list(ds["video_id"])
        for view in range(1, meta.views_of(split)):  # other crops: same videos in the same rows
            name = store.view_split(split, view)
            if list(store.split(name)["video_id"]) != ids:
                raise FeatureStoreError(f"{store.root}: split {name!r} does not hold the videos of {split!r} in "
                                        f"the same order; re-run `stprompt extract`")


def sa2_off_reason(meta) -> str:
    """Why a store without patch tokens has them not (said in the CLI output and the run manifest)."""
    kind = meta.source.get("kind", "")
    return f"{kind}: [CLS] features only" if kind else "top_k = 0"


def plan_splits(cfg: Config, store: FeatureStore) -> SplitPlan:
    """Training rows and validation rows; validation never comes from the test split."""
    labels = np.asarray(store.split("train")["label"])
    rows = np.arange(labels.shape[0])
    if store.has_split("val"):
        return SplitPlan("train", rows.tolist(), "val", list(range(len(store.split("val")))))
    if cfg.data.val_fraction <= 0:
        return SplitPlan("train", rows.tolist(), None, [])
    rng = np.random.default_rng(cfg.train.seed)
    val: list[int] = []
    for lab in (0, 1):
        group = rng.permutation(rows[labels == lab])
        n = int(round(cfg.data.val_fraction * group.size))
        val += group[: max(1, n) if group.size >= 2 else 0].tolist()
    val_set = set(val)
    train_rows = [int(r) for r in rows if r not in val_set]
    return SplitPlan("train", train_rows, "train", sorted(int(v) for v in val))


class TrainingData:
    """Training sequences of every stored view, held in memory for small stores and read per
    batch otherwise. A sample is a (row, view) pair; single-view stores have view 0 only."""

    def __init__(self, cfg: Config, store: FeatureStore, split: str, rows: list[int]):
        self.cfg, self.store, self.split, self.rows = cfg, store, split, rows
        self.views = [store.view_split(split, v) for v in range(store.meta.views_of(split))]
        labels = np.asarray(store.split(split)["label"])[rows]
        self.normal = [(r, v) for r, lab in zip(rows, labels) if lab == 0 for v in range(len(self.views))]
        self.abnormal = [(r, v) for r, lab in zip(rows, labels) if lab == 1 for v in range(len(self.views))]
        if not self.normal or not self.abnormal:
            raise FeatureStoreError(f"{store.root}: training split needs normal and abnormal videos "
                                    f"(has {len(self.normal)} normal, {len(self.abnormal)} abnormal)")
        size = sum(store.split(name).data.nbytes for name in self.views) * 2
        self.cache: dict[Pair, Sequence] | None = None
        if size < PRELOAD_BYTES:
            pairs = [(r, v) for v in range(len(self.views)) for r in rows]
            self.cache = dict(zip(pairs, self._load(pairs)))

    def _load(self, pairs: list[Pair]) -> list[Sequence]:
        out: dict[Pair, Sequence] = {}
        for v in sorted({v for _, v in pairs}):
            rows = [r for r, w in pairs if w == v]
            for r, video in zip(rows, self.store.videos(self.views[v], rows)):
                out[(r, v)] = fit_length(to_sequence(video), self.cfg.data.max_len, self.cfg.data.long_video)
        return [out[p] for p in pairs]

    def get(self, pairs: list[Pair]) -> list[Sequence]:
        return [self.cache[p] for p in pairs] if self.cache is not None else self._load(pairs)

    def epoch_batches(self, epoch: int) -> list[list[Pair]]:
        """One epoch's batches of (row, view) pairs (``train.sampling``).

        ``balanced``: each batch holds half normal and half abnormal pairs; steps =
        ceil(max(#normal, #abnormal) / half), the smaller side cycled with fresh shuffles, so
        every pair is seen at least once per epoch. ``balanced_min`` (VadCLIP's two loaders with
        ``drop_last``): each side shuffled once, min(#normal // half, #abnormal // half) steps, the
        rest of the larger side unseen that epoch. ``shuffle``: all pairs in one random
        order, cut into batches of ``train.batch_size`` (the last may be smaller).
        """
        g = torch.Generator().manual_seed(self.cfg.train.seed * 1_000_003 + epoch)
        if self.cfg.train.sampling == "shuffle":
            pool = self.normal + self.abnormal
            order = [pool[i] for i in torch.randperm(len(pool), generator=g).tolist()]
            size = max(1, self.cfg.train.batch_size)
            return [order[s:s + size] for s in range(0, len(order), size)]
        half = max(1, self.cfg.train.batch_size // 2)
        if self.cfg.train.sampling == "balanced_min":
            steps = min(len(self.normal), len(self.abnormal)) // half
            if steps == 0:
                raise FeatureStoreError(f"train.sampling=balanced_min drops incomplete batches: {len(self.normal)} "
                                        f"normal and {len(self.abnormal)} abnormal samples make no batch of "
                                        f"{half} + {half}; lower train.batch_size")
            sides = [[pool[i] for i in torch.randperm(len(pool), generator=g).tolist()]
                     for pool in (self.normal, self.abnormal)]
            return [sides[0][s * half:(s + 1) * half] + sides[1][s * half:(s + 1) * half] for s in range(steps)]
        steps = math.ceil(max(len(self.normal), len(self.abnormal)) / half)
        sides = []
        for pool in (self.normal, self.abnormal):
            order: list[Pair] = []
            while len(order) < steps * half:
                order += [pool[i] for i in torch.randperm(len(pool), generator=g).tolist()]
            sides.append(order)
        return [sides[0][s * half:(s + 1) * half] + sides[1][s * half:(s + 1) * half] for s in range(steps)]


def build_model(cfg: Config, device: torch.device) -> STPrompt:
    clip = load_clip(cfg.backbone, device="cpu")
    seed_everything(cfg.train.seed)
    model = STPrompt(cfg, clip)
    return model.to(device)


def video_level_auc(model: STPrompt, cfg: Config, store: FeatureStore, split: str, rows: list[int],
                    device: torch.device) -> dict[str, float]:
    """Validation with video labels only: top-k mean of snippet scores per video → ROC-AUC and BCE."""
    videos = list(iter_split(store, split, rows))
    scores = score_videos(model, videos, cfg.data.max_len, cfg.eval.batch_size, device, cfg.eval.score_branch)
    labels, vscores = [], []
    for v in videos:
        s = torch.from_numpy(scores[v.video_id])[None]
        mask = torch.ones_like(s, dtype=torch.bool)
        vscores.append(float(topk_mean(s, mask, topk_counts(mask, cfg.loss.k_divisor))[0]))
        labels.append(v.label)
    y, p = np.asarray(labels), np.clip(np.asarray(vscores), 1e-6, 1 - 1e-6)
    bce = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    return {"val_auc": float(roc_auc_score(y, p)), "val_bce": bce}


def train(cfg: Config, run_dir: str | Path, overwrite: bool = False, progress: bool = True) -> dict[str, Any]:
    """Train (or resume) into ``run_dir``; returns the final summary (also in ``train_summary.json``).

    One process writes a run folder at a time (:func:`~stprompt_core.locks.exclusive`): a second
    ``train`` on the same folder waits, then resumes what the first finished.
    """
    with exclusive(run_dir):
        return _train(cfg, Path(run_dir), overwrite, progress)


def _train(cfg: Config, run_dir: Path, overwrite: bool, progress: bool) -> dict[str, Any]:
    set_deterministic(cfg.train.num_threads)
    device = resolve_device(cfg.train.device, "train.device")
    store = FeatureStore(cfg.data.feature_store)
    plan = plan_splits(cfg, store)
    splits = sorted({plan.train_split} | ({plan.val_split} if plan.val_split else set()))
    check_store(cfg, store, splits)
    data = TrainingData(cfg, store, plan.train_split, plan.train_rows)
    if not store.meta.has_patches:
        print(f"[train] SA2 off: {sa2_off_reason(store.meta)} in {store.root}, no patch tokens", flush=True)
    if plan.val_split:
        val_labels = np.asarray(store.split(plan.val_split)["label"])[plan.val_rows]
        if len(set(val_labels.tolist())) < 2:
            raise FeatureStoreError(f"validation split has only one class ({len(plan.val_rows)} videos); "
                                    f"raise data.val_fraction")
    start_epoch, best = _prepare_run_dir(cfg, run_dir, overwrite, store, plan)

    model = build_model(cfg, device)
    n_classes = len(class_labels(cfg.data.dataset))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.train.lr, weight_decay=cfg.train.weight_decay)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=cfg.train.milestones, gamma=cfg.train.gamma)
    ckpt = run_dir / "checkpoints"
    if start_epoch > 0:
        remedy = f"`stprompt train --run-dir {run_dir} --overwrite` trains again from the first epoch"
        prog = read_json(ckpt / "progress.json")
        weights_file, state_file = _checkpoint_files(prog)
        model.load_state_dict(load_verified(ckpt / weights_file, "pt", remedy, str(device))[0])
        if prog.get("state_record") is not None:  # runs checkpointed before records existed resume unchecked
            check_record(ckpt / state_file, prog["state_record"], remedy)
        state = torch.load(ckpt / state_file, map_location=device, weights_only=True)
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])

    for epoch in range(start_epoch, cfg.train.epochs):
        t0 = time.perf_counter()
        seed_everything(cfg.train.seed * 1_000_003 + epoch)
        model.train()
        totals = {"loss": 0.0, "bce": 0.0, "align": 0.0, "text_sep": 0.0}
        batches = data.epoch_batches(epoch)
        bar = tqdm(batches, desc=f"epoch {epoch + 1}/{cfg.train.epochs}", disable=not progress, leave=False)
        for rows in bar:
            batch = collate(data.get(rows)).to(device)
            out = model(batch.frame, batch.patches, batch.motion, batch.mask)
            targets = class_targets(batch.class_sets, n_classes, cfg.loss.align_targets).to(device)
            parts = {"bce": mil_bce(out.binary_logits, batch.mask, batch.label, cfg.loss.k_divisor, cfg.loss.bce_pool),
                     "align": mil_align(out.align_logits, batch.mask, targets, cfg.loss.k_divisor),
                     "text_sep": text_separation(out.text_features)}
            loss = (cfg.loss.w_bce * parts["bce"] + cfg.loss.w_align * parts["align"]
                    + cfg.loss.w_text_sep * parts["text_sep"])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            totals["loss"] += float(loss.detach())
            for k, v in parts.items():
                totals[k] += float(v.detach())
            bar.set_postfix(loss=f"{float(loss.detach()):.4f}")
        sched.step()
        record: dict[str, Any] = {"epoch": epoch + 1, "lr": opt.param_groups[0]["lr"],
                                  **{f"train_{k}": v / len(batches) for k, v in totals.items()}}
        if plan.val_split:
            record.update(video_level_auc(model, cfg, store, plan.val_split, plan.val_rows, device))
        record["seconds"] = round(time.perf_counter() - t0, 3)
        best = _save_epoch(model, opt, sched, ckpt, run_dir, record, best)
        if progress:
            shown = ", ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in record.items())
            tqdm.write(f"[train] {shown}")

    summary = {"epochs": cfg.train.epochs, "best": best, "run_dir": str(run_dir),
               "log": [json.loads(line) for line in (run_dir / "train_log.jsonl").read_text().splitlines()]}
    write_json(run_dir / "train_summary.json", summary)
    return summary


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
