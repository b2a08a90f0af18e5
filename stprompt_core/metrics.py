"""Frame-level detection metrics, all from scikit-learn.

* ``auc``, ``ap``: ROC-AUC and average precision over all test frames.
* ``auc_abnormal``: ROC-AUC over the frames of abnormal test videos only.
* ``far``: false alarm rate, share of frames of normal videos scored above a threshold.
* ``per_class_auc``: for each anomaly class, ROC-AUC over the frames of that class's
  videos together with all normal videos.
* ``auc_micro`` / ``auc_macro`` (UBnormal): micro = pooled frames (equals ``auc``);
  macro = mean over videos of the per-video AUC with a 0 prepended to the ground truth
  and scores and a 1 appended, as the UBnormal authors' script does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score


@dataclass
class VideoScores:
    video_id: str
    label: int
    class_name: str
    scores: np.ndarray  # [N] per-frame anomaly scores
    gt: np.ndarray  # [N] per-frame ground truth (0/1)


def expand_to_frames(snippet_scores: np.ndarray, snippet_len: int, num_frames: int) -> np.ndarray:
    """Repeat each snippet score over its frames; ``[T]`` → ``[num_frames]``.

    Frames beyond ``T * snippet_len`` (a partial last snippet) take the last score.
    """
    frames = np.repeat(np.asarray(snippet_scores, np.float64), snippet_len)[:num_frames]
    if frames.shape[0] < num_frames:
        frames = np.concatenate([frames, np.full(num_frames - frames.shape[0], frames[-1])])
    return frames


def _auc(gt: np.ndarray, scores: np.ndarray) -> float | None:
    return float(roc_auc_score(gt, scores)) if 0 < gt.sum() < gt.size else None


def macro_auc(videos: list[VideoScores]) -> float:
    """UBnormal's macro AUC: per-video AUC with [0] prepended and [1] appended, averaged."""
    vals = [roc_auc_score(np.concatenate(([0], v.gt, [1])), np.concatenate(([0], v.scores, [1])))
            for v in videos]
    return float(np.mean(vals))


def frame_metrics(videos: list[VideoScores], far_threshold: float = 0.5, ubnormal: bool = False) -> dict:
    """All metrics of the module docstring; classes absent from the test set are left out."""
    if not videos:
        raise ValueError("no test videos to evaluate")
    for v in videos:
        if v.scores.shape != v.gt.shape:
            raise ValueError(f"video {v.video_id!r}: {v.scores.shape[0]} scores for {v.gt.shape[0]} frames")
    gt = np.concatenate([v.gt for v in videos])
    sc = np.concatenate([v.scores for v in videos])
    if not 0 < gt.sum() < gt.size:
        raise ValueError("test frames must include both normal and anomalous frames to compute AUC")
    normal = [v for v in videos if v.label == 0]
    abnormal = [v for v in videos if v.label == 1]
    out: dict = {"auc": float(roc_auc_score(gt, sc)), "ap": float(average_precision_score(gt, sc)),
                 "n_videos": len(videos), "n_frames": int(gt.size)}
    if abnormal:
        out["auc_abnormal"] = _auc(np.concatenate([v.gt for v in abnormal]),
                                   np.concatenate([v.scores for v in abnormal]))
    out["far"] = float(np.mean(np.concatenate([v.scores for v in normal]) > far_threshold)) if normal else None
    out["far_threshold"] = far_threshold
    per_class: dict[str, float | None] = {}
    for name in sorted({v.class_name for v in abnormal}):
        group = [v for v in videos if v.label == 0 or v.class_name == name]
        per_class[name] = _auc(np.concatenate([v.gt for v in group]), np.concatenate([v.scores for v in group]))
    out["per_class_auc"] = per_class
    if ubnormal:
        out["auc_micro"] = out["auc"]
        out["auc_macro"] = macro_auc(videos)
    return out
