"""The score, interval and box files of ``stprompt detect``, as plain functions of pass 1's result.

What each file holds and its name: :class:`~stprompt_core.figures.detection_folder.DetectionFolder`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stprompt_core.config import LocalizeConfig
from stprompt_core.figures.detection_folder import VIDEO_KEY, DetectionFolder
from stprompt_core.io import write_json
from stprompt_core.localize.maps import save_maps
from stprompt_core.localize.retrieval import map_boxes
from stprompt_core.video.frames import runs_from_mask
from stprompt_core.video.geometry import FrameGeometry


@dataclass
class Interval:
    """Frames ``[start, end)`` scored at or above the threshold; times in seconds."""

    start: int
    end: int
    start_s: float
    end_s: float
    peak: float
    mean: float

    def to_dict(self) -> dict[str, Any]:
        return {"start_frame": self.start, "end_frame": self.end, "start_s": round(self.start_s, 4),
                "end_s": round(self.end_s, 4), "duration_s": round(self.end_s - self.start_s, 4),
                "peak_score": round(self.peak, 6), "mean_score": round(self.mean, 6)}


def anomalous_intervals(scores: np.ndarray, times: np.ndarray, threshold: float, frame_s: float) -> list[Interval]:
    """Maximal runs of frames with ``score >= threshold``.

    Args:
        scores: ``[N]`` per-frame scores.
        times: ``[N]`` frame times in seconds.
        threshold: the run's temporal threshold.
        frame_s: duration of the last frame (an interval ending at the video's end ends there).
    """
    out = []
    for a, b in runs_from_mask(np.asarray(scores) >= threshold):
        end_s = float(times[b]) if b < len(times) else float(times[-1]) + frame_s
        seg = scores[a:b]
        out.append(Interval(int(a), int(b), float(times[a]), end_s, float(seg.max()), float(seg.mean())))
    return out


def snippet_boxes(maps: np.ndarray, snippet_scores: np.ndarray, threshold: float, frame_size: tuple[int, int],
                  windows: list[FrameGeometry | None], s: LocalizeConfig) -> dict[int, list[list[float]]]:
    """Boxes of every snippet that passes ``threshold``: ``{snippet: [[x1, y1, x2, y2], ...]}``.

    Args:
        maps: ``[T, V, rows, cols]`` patch maps.
        snippet_scores: ``[T]``.
        windows: the ``V`` windows the maps come from.
        s: map normalisation, map threshold, box mode and minimum area.
    """
    passed = np.flatnonzero(np.asarray(snippet_scores) >= threshold)
    return {int(t): map_boxes(maps[t][None], frame_size, windows, s)[1][0] for t in passed}


def scores_csv(frame_scores: np.ndarray, times: np.ndarray, snippet_len: int, threshold: float) -> str:
    """``frame,time_s,score,snippet,passed`` one line a frame."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["frame", "time_s", "score", "snippet", "passed"])
    for i, (t, sc) in enumerate(zip(times, frame_scores)):
        w.writerow([i, f"{t:.4f}", f"{sc:.6f}", i // snippet_len, int(sc >= threshold)])
    return buf.getvalue()


def write_scores_and_boxes(folder: DetectionFolder, *, video: str, frame_scores: np.ndarray,
                           snippet_scores: np.ndarray, times: np.ndarray, fps: float, snippet_len: int,
                           threshold: float, intervals: list[Interval], boxes: dict[int, list[list[float]]],
                           maps: np.ndarray, frame_size: tuple[int, int], windows: list[FrameGeometry | None],
                           patch_grid: tuple[int, int], s: LocalizeConfig) -> None:
    """Write the per-frame scores, intervals, boxes and maps into ``folder`` (a staging folder)."""
    n = len(frame_scores)
    folder.path(folder.SCORES_CSV).write_text(scores_csv(frame_scores, times, snippet_len, threshold), encoding="utf-8")
    write_json(folder.path(folder.SCORES), {
        "video": video, "num_frames": n, "fps": round(fps, 6), "snippet_len": snippet_len, "threshold": threshold,
        "snippet_scores": [round(float(x), 6) for x in snippet_scores],
        "time_s": [round(float(t), 4) for t in times], "score": [round(float(x), 6) for x in frame_scores]})
    write_json(folder.path(folder.INTERVALS), {"threshold": threshold,
                                               "intervals": [iv.to_dict() for iv in intervals]})
    write_json(folder.path(folder.BOXES), {
        "threshold": threshold, "frame_size": list(frame_size),
        "settings": {k: getattr(s, k) for k in ("map_threshold", "map_normalize", "box_mode", "min_area", "window",
                                                "temperature", "balance_groups")},
        "snippets": [{"snippet": t, "start_frame": t * snippet_len, "end_frame": min((t + 1) * snippet_len, n),
                      "start_s": round(float(times[min(t * snippet_len, n - 1)]), 4),
                      "score": round(float(snippet_scores[t]), 6), "boxes": b} for t, b in sorted(boxes.items())]})
    save_maps(folder.path(folder.MAPS), {VIDEO_KEY: maps.astype(np.float32)}, {VIDEO_KEY: snippet_scores},
              frame_size=frame_size, snippet_len=snippet_len, patch_grid=patch_grid, geometries=windows,
              window=s.window, extra={"temperature": s.temperature, "balance_groups": s.balance_groups})
