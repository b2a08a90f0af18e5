"""Evaluation of a trained run on the test split: frame scores and ``metrics.json``.

``evaluate(run_dir)`` is what ``stprompt evaluate`` and the evaluation notebook call. It
scores every test video (long videos in chunks of ``max_len``), expands snippet scores to
frames, computes the metrics of :mod:`stprompt_core.metrics` and writes into the run dir:

* ``metrics.json``: auc, ap, auc_abnormal, far, per_class_auc (+ auc_micro/auc_macro for UBnormal)
  of the branch ``eval.score_branch`` names, and ``by_branch``: auc and ap of both branches
  (VadCLIP reports XD-Violence's AUC from the binary branch and its AP from the alignment one)
* ``scores.json``: per video id: label, class, num_frames, snippet_len, snippet scores
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from stprompt_core.features.store import FeatureStore
from stprompt_core.io import read_json, write_json
from stprompt_core.metrics import VideoScores, expand_to_frames, frame_metrics
from stprompt_core.runtime import resolve_device
from stprompt_core.locks import exclusive
from stprompt_core.scoring import iter_split, score_branches
from stprompt_core.train import check_store, load_run


def evaluate(run_dir: str | Path, split: str | None = None, checkpoint: str = "best",
             device: str | None = None) -> dict[str, Any]:
    """Score ``split`` (default: the config's test split) and write metrics.json + scores.json
    (holding the run folder's lock, :mod:`stprompt_core.locks`)."""
    with exclusive(run_dir):
        return _evaluate(Path(run_dir), split, checkpoint, device)


def _evaluate(run_dir: Path, split: str | None, checkpoint: str, device: str | None) -> dict[str, Any]:
    cfg_probe = read_json(run_dir / "config.json") if (run_dir / "config.json").exists() else None
    if cfg_probe is None:
        raise FileNotFoundError(f"no config.json in run dir {run_dir}; train first (`stprompt train`)")
    dev = resolve_device(device, "--device") if device else resolve_device(cfg_probe["train"]["device"], "train.device")
    cfg, model = load_run(run_dir, dev, checkpoint)
    split = split or cfg.data.test_split
    store = FeatureStore(cfg.data.feature_store)
    check_store(cfg, store, [split])
    videos = list(iter_split(store, store.crop_split(split, cfg.eval.crop)))  # eval.crop: which crop is scored
    branches = score_branches(model, videos, cfg.data.max_len, cfg.eval.batch_size, dev)
    snippet = branches[cfg.eval.score_branch]
    by_branch, records = {}, {}
    for branch, scored in branches.items():
        per_video = []
        for v in videos:
            if v.frame_gt.shape[0] != v.num_frames:
                raise ValueError(f"video {v.video_id!r}: frame_gt has {v.frame_gt.shape[0]} frames, "
                                 f"num_frames is {v.num_frames} (test videos need frame-level ground truth)")
            frames = expand_to_frames(scored[v.video_id], store.meta.snippet_len, v.num_frames)
            per_video.append(VideoScores(v.video_id, v.label, v.class_name, frames, v.frame_gt.astype(np.int64)))
        by_branch[branch] = frame_metrics(per_video, cfg.eval.far_threshold, ubnormal=cfg.data.dataset == "ubnormal")
    for v in videos:
        records[v.video_id] = {"label": v.label, "class_name": v.class_name, "num_frames": v.num_frames,
                               "snippet_len": store.meta.snippet_len,
                               "snippet_scores": [round(float(s), 6) for s in snippet[v.video_id]]}
    metrics = dict(by_branch[cfg.eval.score_branch])
    metrics.update({"split": split, "checkpoint": checkpoint, "dataset": cfg.data.dataset, "crop": cfg.eval.crop,
                    "score_branch": cfg.eval.score_branch,
                    "by_branch": {b: {"auc": m["auc"], "ap": m["ap"]} for b, m in by_branch.items()},
                    "sa2": "on" if store.meta.has_patches and cfg.model.sa2_mode != "none" else "off"})
    write_json(run_dir / "scores.json", records)
    write_json(run_dir / "metrics.json", metrics)
    return metrics
