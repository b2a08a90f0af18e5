"""Figures of one detected video (``stprompt detect``'s output folder,
:class:`~stprompt_core.figures.detection_folder.DetectionFolder`): the score curve with the
anomalous intervals, the key frames with their boxes, and the intervals as a table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from PIL import Image

from stprompt_core.figures.detection_folder import DetectionFolder
from stprompt_core.figures.spatial import _image_grid
from stprompt_core.figures.style import MODEBAR_PX, set_title


def detection_curve_figure(scores: dict[str, Any], intervals: dict[str, Any], title: str = "") -> go.Figure:
    """Per-frame anomaly score against time, the threshold, and each anomalous interval shaded.

    Args:
        scores: a detection's per-frame scores (:meth:`DetectionFolder.scores`: ``time_s``,
            ``score``, ``threshold``).
        intervals: its intervals (:meth:`DetectionFolder.intervals`).
    """
    t, s = np.asarray(scores["time_s"]), np.asarray(scores["score"])
    height = 320
    fig = go.Figure(go.Scatter(x=t, y=s, mode="lines", name="anomaly score", line=dict(color="#1f77b4", width=2),
                               hovertemplate="%{x:.2f} s<br>score %{y:.3f}<extra></extra>"))
    fig.add_hline(y=scores["threshold"], line=dict(color="gray", dash="dash"),
                  annotation_text=f"threshold {scores['threshold']:g}", annotation_position="top left")
    for iv in intervals["intervals"]:
        fig.add_vrect(x0=iv["start_s"], x1=iv["end_s"], fillcolor="crimson", opacity=0.15, line_width=0)
    fig.update_layout(height=height, margin=dict(l=50, r=20, t=MODEBAR_PX + 30, b=45), showlegend=False,
                      xaxis_title="time (s)", yaxis=dict(title="score", range=[-0.02, 1.02]), template="plotly_white")
    set_title(fig, title or f"{scores['video']}: anomaly score per frame", height)
    return fig


def key_frames_figure(folder: str | Path | DetectionFolder, cols: int = 3) -> go.Figure:
    """The key frames of a detection (heatmap and boxes where the snippet passed), titled with
    their time and score."""
    frames = (folder if isinstance(folder, DetectionFolder) else DetectionFolder(folder)).key_frames()
    if not frames:
        fig = go.Figure()
        fig.update_layout(height=120, annotations=[dict(text="no key frames", showarrow=False)])
        return fig
    images = [np.asarray(Image.open(k["path"]).convert("RGB")) for k in frames]
    titles = [f"{k['time_s']:.2f} s (frame {k['frame']})<br>score {k['score']:.2f}"
              + (" (passes)" if k["passed"] else " (below threshold)") for k in frames]
    return _image_grid(images, titles, min(cols, len(images)), "Key frames: heatmap and box where the score passes")


def intervals_table(intervals: dict[str, Any]) -> pd.DataFrame:
    """A detection's intervals (:meth:`DetectionFolder.intervals`) as a table: start, end, duration (s), frames, peak and mean score."""
    rows = [{"start (s)": iv["start_s"], "end (s)": iv["end_s"], "duration (s)": iv["duration_s"],
             "frames": f"{iv['start_frame']}-{iv['end_frame'] - 1}", "peak score": iv["peak_score"],
             "mean score": iv["mean_score"]} for iv in intervals["intervals"]]
    return pd.DataFrame(rows, columns=["start (s)", "end (s)", "duration (s)", "frames", "peak score", "mean score"])
