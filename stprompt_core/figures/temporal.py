"""Temporal detection figures: per-video score curves, ROC / PR, per-class AUC, training curves."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Mapping, Union

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from sklearn.metrics import precision_recall_curve, roc_curve

from stprompt_core.data.manifest import Manifest
from stprompt_core.figures.style import SUBPLOT_TITLE_SIZE, set_title
from stprompt_core.metrics import expand_to_frames
from stprompt_core.video.frames import runs_from_mask

SCORE_COLOR = "#1f77b4"
GT_COLOR = "rgba(214, 39, 40, 0.18)"


GroundTruth = Union[Manifest, Mapping[str, np.ndarray]]


def _frame_truth(truth: GroundTruth, vid: str, n: int) -> np.ndarray:
    """``[n]`` 0/1 labels of video ``vid``: from a manifest's intervals, or a ``{video id: [N]}`` mapping
    (the feature store's frame ground truth, :func:`stprompt_core.compare.split_ground_truth`, which
    is all imported features have). Unknown videos are normal."""
    if isinstance(truth, Manifest):
        entries = truth.by_id()
        return entries[vid].frame_labels(n) if vid in entries else np.zeros(n, np.uint8)
    gt = np.zeros(n, np.uint8)
    if vid in truth:
        given = np.asarray(truth[vid]).astype(np.uint8)[:n]
        gt[: given.size] = given
    return gt


def frame_series(scores: dict[str, dict[str, Any]], truth: GroundTruth) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per video id: (frame scores ``[N]``, frame ground truth ``[N]``) from ``scores.json`` and a
    manifest or the store's ground truth."""
    out = {}
    for vid, rec in scores.items():
        n = int(rec["num_frames"])
        frames = expand_to_frames(np.asarray(rec["snippet_scores"]), int(rec["snippet_len"]), n)
        out[vid] = (frames, _frame_truth(truth, vid, n))
    return out


def example_videos(scores: dict[str, dict[str, Any]], per_class: int = 1) -> list[str]:
    """The first ``per_class`` test videos of every class (normal included), abnormal classes first.

    Returns:
        video ids, grouped by class in name order, normal videos last.
    """
    by_class: dict[str, list[str]] = {}
    for vid in sorted(scores):
        by_class.setdefault(str(scores[vid]["class_name"]), []).append(vid)
    order = sorted(by_class, key=lambda c: (all(int(scores[v]["label"]) == 0 for v in by_class[c]), c))
    return [vid for c in order for vid in by_class[c][:per_class]]


def score_curves_figure(scores: dict[str, dict[str, Any]], manifest: GroundTruth, video_ids: list[str] | None = None,
                        cols: int = 2, threshold: float | None = None) -> go.Figure:
    """One panel per test video: frame anomaly score, ground-truth intervals shaded red.

    Args:
        video_ids: the videos to draw (default: every video, abnormal first); see
            :func:`example_videos` for one per class.
        cols: panels per row (two stay legible on a phone).
        threshold: drawn as a dotted line (e.g. ``eval.far_threshold``).
    """
    ids = video_ids or sorted(scores, key=lambda v: (-int(scores[v]["label"]), v))
    rows = max(1, math.ceil(len(ids) / cols))
    titles = [f"{v} ({scores[v]['class_name']})" if scores[v]["class_name"] not in v else v for v in ids]
    panel = 190  # px per row, title and tick labels included
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, shared_yaxes=True,
                        vertical_spacing=min(0.3, 70 / (panel * rows)), horizontal_spacing=0.06)
    series = frame_series({v: scores[v] for v in ids}, manifest)
    for i, vid in enumerate(ids):
        r, c = divmod(i, cols)
        frames, gt = series[vid]
        fig.add_trace(go.Scatter(x=np.arange(frames.size), y=frames, mode="lines", line=dict(color=SCORE_COLOR),
                                 name="score", showlegend=False), row=r + 1, col=c + 1)
        for start, end in runs_from_mask(gt):
            fig.add_vrect(x0=start, x1=end, fillcolor=GT_COLOR, line_width=0, row=r + 1, col=c + 1)
        if threshold is not None:
            fig.add_hline(y=threshold, line=dict(dash="dot", color="grey", width=1), row=r + 1, col=c + 1)
    fig.update_yaxes(range=[0, 1.02])
    fig.update_yaxes(title_text="score", col=1)
    fig.update_xaxes(title_text="frame", title_standoff=2)
    fig.update_annotations(font_size=SUBPLOT_TITLE_SIZE)
    height = panel * rows + 80
    fig.update_layout(height=height, margin=dict(l=50, r=10, t=80, b=40))
    set_title(fig, "Frame anomaly score, ground truth red", height)
    return fig


def roc_pr_figure(scores: dict[str, dict[str, Any]], manifest: GroundTruth, metrics: dict[str, Any] | None = None
                  ) -> go.Figure:
    """Frame-level ROC and precision-recall curves over all test frames."""
    series = frame_series(scores, manifest)
    gt = np.concatenate([g for _, g in series.values()])
    sc = np.concatenate([s for s, _ in series.values()])
    fpr, tpr, _ = roc_curve(gt, sc)
    prec, rec, _ = precision_recall_curve(gt, sc)
    auc = f" (AUC {metrics['auc']:.3f})" if metrics else ""
    ap = f" (AP {metrics['ap']:.3f})" if metrics else ""
    fig = make_subplots(rows=1, cols=2, subplot_titles=[f"ROC{auc}", f"Precision-recall{ap}"])
    fig.add_trace(go.Scatter(x=fpr, y=tpr, mode="lines", name="ROC"), row=1, col=1)
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(dash="dash", color="grey"),
                             name="chance"), row=1, col=1)
    fig.add_trace(go.Scatter(x=rec, y=prec, mode="lines", name="PR"), row=1, col=2)
    fig.add_hline(y=float(gt.mean()), line=dict(dash="dash", color="grey"), row=1, col=2)
    fig.update_xaxes(title_text="false positive rate", range=[0, 1], row=1, col=1)
    fig.update_yaxes(title_text="true positive rate", range=[0, 1.02], row=1, col=1)
    fig.update_xaxes(title_text="recall", range=[0, 1], row=1, col=2)
    fig.update_yaxes(title_text="precision", range=[0, 1.02], row=1, col=2)
    fig.update_layout(height=380, showlegend=False, margin=dict(l=50, r=20, t=50, b=50))
    fig.update_annotations(font_size=SUBPLOT_TITLE_SIZE)
    return fig


def per_class_auc_figure(metrics: dict[str, Any]) -> go.Figure:
    """Bars of ``per_class_auc`` (each class's videos with all normal videos); the overall AUC as a line."""
    per_class = {k: v for k, v in metrics.get("per_class_auc", {}).items() if v is not None}
    names = sorted(per_class)
    fig = go.Figure(go.Bar(x=names, y=[per_class[n] for n in names], text=[f"{per_class[n]:.3f}" for n in names],
                           textposition="inside", insidetextanchor="start"))
    fig.add_hline(y=metrics["auc"], line=dict(dash="dash"), annotation_text=f"overall {metrics['auc']:.3f}",
                  annotation_position="top left")
    fig.add_hline(y=0.5, line=dict(dash="dot", color="grey"), annotation_text="chance",
                  annotation_position="bottom right")
    fig.update_layout(xaxis=dict(title="anomaly class"), yaxis=dict(range=[0, 1.1], title="frame AUC"), height=380,
                      margin=dict(l=50, r=20, t=70, b=50))
    set_title(fig, "Frame AUC per anomaly class", 380)
    return fig


def training_curves_figure(run_dir: str | Path) -> go.Figure:
    """Training losses and validation AUC per epoch, from ``train_log.jsonl``."""
    log = [json.loads(line) for line in (Path(run_dir) / "train_log.jsonl").read_text().splitlines() if line]
    df = pd.DataFrame(log)
    fig = make_subplots(rows=1, cols=2, subplot_titles=["training losses", "validation"])
    names = {"train_loss": "total loss", "train_bce": "MIL BCE", "train_align": "MIL-Align CE",
             "val_auc": "video AUC", "val_bce": "video BCE"}
    for col in ("train_loss", "train_bce", "train_align"):
        if col in df:
            fig.add_trace(go.Scatter(x=df["epoch"], y=df[col], mode="lines+markers", name=names[col]), row=1, col=1)
    for col in ("val_auc", "val_bce"):
        if col in df:
            fig.add_trace(go.Scatter(x=df["epoch"], y=df[col], mode="lines+markers", name=names[col]), row=1, col=2)
    fig.update_xaxes(title_text="epoch", dtick=1)
    fig.update_yaxes(title_text="loss (mean over batches)", row=1, col=1)
    fig.update_yaxes(title_text="AUC / BCE", row=1, col=2)
    fig.update_annotations(font_size=SUBPLOT_TITLE_SIZE)
    fig.update_layout(height=380, margin=dict(l=50, r=20, t=50, b=40),
                      legend=dict(orientation="h", yanchor="top", y=-0.22, x=0))
    return fig


def metrics_table(metrics: dict[str, Any]) -> pd.DataFrame:
    """The scalar metrics of ``metrics.json`` as a one-column table."""
    keys = ["auc", "ap", "auc_abnormal", "far", "far_threshold", "auc_micro", "auc_macro", "n_videos", "n_frames"]
    rows = {k: (round(metrics[k], 4) if isinstance(metrics[k], float) else metrics[k])
            for k in keys if k in metrics and metrics[k] is not None}
    # object dtype: counts stay integers (a float column would print 110 as 110.000000)
    return pd.DataFrame({"value": pd.Series(rows, dtype=object)}).rename_axis("metric")
