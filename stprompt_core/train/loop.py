"""The training loop: MIL losses over balanced batches, validation with video labels, per epoch."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from tqdm.auto import tqdm

from stprompt_core.classes import class_labels
from stprompt_core.config import Config
from stprompt_core.features.batching import collate
from stprompt_core.features.store import FeatureStore, FeatureStoreError
from stprompt_core.integrity import check_record, load_verified
from stprompt_core.io import read_json, write_json
from stprompt_core.locks import exclusive
from stprompt_core.losses import class_targets, mil_align, mil_bce, text_separation, topk_counts, topk_mean
from stprompt_core.model.stprompt import STPrompt
from stprompt_core.runtime import resolve_device, seed_everything, set_deterministic
from stprompt_core.scoring import iter_split, score_videos
from stprompt_core.train.run_folder import _checkpoint_files, _prepare_run_dir, _save_epoch, build_model
from stprompt_core.train.sampling import TrainingData, plan_splits
from stprompt_core.train.store_checks import check_store, sa2_off_reason


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
