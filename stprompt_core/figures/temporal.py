"""Temporal detection figures: per-video score curves, ROC / PR, per-class AUC, training curves."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from sklearn.metrics import precision_recall_curve, roc_curve

from stprompt_core.data.manifest import Manifest
from stprompt_core.metrics import expand_to_frames

SCORE_COLOR = "#1f77b4"
GT_COLOR = "rgba(214, 39, 40, 0.18)"


def frame_series(scores: dict[str, dict[str, Any]], manifest: Manifest) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per video id: (frame scores ``[N]``, frame ground truth ``[N]``) from ``scores.json`` + manifest."""
    entries = manifest.by_id()
    out = {}
    for vid, rec in scores.items():
        n = int(rec["num_frames"])
        frames = expand_to_frames(np.asarray(rec["snippet_scores"]), int(rec["snippet_len"]), n)
        gt = entries[vid].frame_labels(n) if vid in entries else np.zeros(n, np.uint8)
        out[vid] = (frames, gt)
    return out


def score_curves_figure(scores: dict[str, dict[str, Any]], manifest: Manifest, video_ids: list[str] | None = None,
                        cols: int = 3, threshold: float | None = None) -> go.Figure:
    """One panel per test video: frame anomaly score, ground-truth intervals shaded red."""
    entries = manifest.by_id()
    ids = video_ids or sorted(scores, key=lambda v: (-int(scores[v]["label"]), v))
    rows = max(1, math.ceil(len(ids) / cols))
    titles = [f"{v} ({scores[v]['class_name']})" for v in ids]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, shared_yaxes=True,
                        vertical_spacing=min(0.12, 0.6 / rows), horizontal_spacing=0.04)
    series = frame_series({v: scores[v] for v in ids}, manifest)
    for i, vid in enumerate(ids):
        r, c = divmod(i, cols)
        frames, _ = series[vid]
        fig.add_trace(go.Scatter(x=np.arange(frames.size), y=frames, mode="lines", line=dict(color=SCORE_COLOR),
                                 name="score", showlegend=i == 0, legendgroup="score"), row=r + 1, col=c + 1)
        for start, end in (entries[vid].intervals if vid in entries else []):
            fig.add_vrect(x0=start, x1=end, fillcolor=GT_COLOR, line_width=0, row=r + 1, col=c + 1)
        if threshold is not None:
            fig.add_hline(y=threshold, line=dict(dash="dot", color="grey", width=1), row=r + 1, col=c + 1)
    fig.update_yaxes(range=[0, 1.02])
    fig.update_xaxes(title_text="frame", row=rows)
    fig.update_layout(height=220 * rows + 60, title="Frame anomaly scores (red: ground-truth anomalies)",
                      margin=dict(l=40, r=20, t=70, b=40))
    return fig


def roc_pr_figure(scores: dict[str, dict[str, Any]], manifest: Manifest, metrics: dict[str, Any] | None = None
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
    return fig


def per_class_auc_figure(metrics: dict[str, Any]) -> go.Figure:
    """Bars of ``per_class_auc`` (each class's videos with all normal videos); the overall AUC as a line."""
    per_class = {k: v for k, v in metrics.get("per_class_auc", {}).items() if v is not None}
    names = sorted(per_class)
    fig = go.Figure(go.Bar(x=names, y=[per_class[n] for n in names], text=[f"{per_class[n]:.3f}" for n in names],
                           textposition="outside"))
    fig.add_hline(y=metrics["auc"], line=dict(dash="dash"), annotation_text=f"overall {metrics['auc']:.3f}")
    fig.update_layout(title="Frame AUC per anomaly class", yaxis=dict(range=[0, 1.1], title="AUC"), height=360)
    return fig


def training_curves_figure(run_dir: str | Path) -> go.Figure:
    """Training losses and validation AUC per epoch, from ``train_log.jsonl``."""
    log = [json.loads(line) for line in (Path(run_dir) / "train_log.jsonl").read_text().splitlines() if line]
    df = pd.DataFrame(log)
    fig = make_subplots(rows=1, cols=2, subplot_titles=["training losses", "validation (video labels only)"])
    for col in ("train_loss", "train_bce", "train_align"):
        if col in df:
            fig.add_trace(go.Scatter(x=df["epoch"], y=df[col], mode="lines+markers", name=col), row=1, col=1)
    for col in ("val_auc", "val_bce"):
        if col in df:
            fig.add_trace(go.Scatter(x=df["epoch"], y=df[col], mode="lines+markers", name=col), row=1, col=2)
    fig.update_xaxes(title_text="epoch")
    fig.update_layout(height=340, margin=dict(l=40, r=20, t=50, b=40))
    return fig


def metrics_table(metrics: dict[str, Any]) -> pd.DataFrame:
    """The scalar metrics of ``metrics.json`` as a one-column table."""
    keys = ["auc", "ap", "auc_abnormal", "far", "far_threshold", "auc_micro", "auc_macro", "n_videos", "n_frames"]
    rows = {k: metrics[k] for k in keys if k in metrics and metrics[k] is not None}
    return pd.DataFrame({"value": rows}).rename_axis("metric")
