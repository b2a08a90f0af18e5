"""How large an annotated event is: its box's share of the frame, per frame and per video.

The paper's spatial benchmark (Liu & Ma's UCF-Crime boxes) has events that cover a median 20 %
of the frame, from a few percent to about half of it; every effect in the workshop is reported
by event size as well as overall. A video's size is the median, over its annotated frames, of
the box region's share of the frame; the *terciles* split the anomalous videos of a split into
three equal groups by that size (small / medium / large). A tercile's AUC compares its anomalous
videos with all normal videos of the split.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stprompt_core.data.manifest import Manifest, VideoEntry
from stprompt_core.localize.tiou import union_area

TERCILES = ("small", "medium", "large")


def frame_shares(video: VideoEntry) -> np.ndarray:
    """``[N]`` share of the frame covered by the box region of each annotated frame (frame order)."""
    W, H = video.box_size or (0, 0)
    if not video.boxes or W <= 0 or H <= 0:
        return np.zeros(0)
    frames = sorted(video.boxes, key=int)
    return np.array([union_area(np.asarray(video.boxes[f], np.float64)) / (W * H) for f in frames])


def video_size(video: VideoEntry) -> float | None:
    """Median share of the frame the video's event covers; None without boxes."""
    shares = frame_shares(video)
    return float(np.median(shares)) if shares.size else None


def size_terciles(manifest: Manifest, split: str) -> dict[str, Any]:
    """Anomalous videos of ``split`` in three equal groups by :func:`video_size`.

    Returns:
        ``{"groups": {"small": [ids], "medium": [...], "large": [...]}, "edges": [t1, t2],
        "sizes": {id: size}}``; ``edges`` are the sizes separating the groups. Anomalous
        videos without boxes are left out (``"unsized"``).
    """
    videos = manifest.split(split)
    sizes = {v.id: s for v in videos if v.label == 1 and (s := video_size(v)) is not None}
    order = sorted(sizes, key=lambda i: (sizes[i], i))
    parts = np.array_split(np.arange(len(order)), len(TERCILES))
    groups = {name: [order[i] for i in part] for name, part in zip(TERCILES, parts)}
    edges = [round(float(sizes[groups[name][-1]]), 4) for name in TERCILES[:-1] if groups[name]]
    return {"groups": groups, "edges": edges, "sizes": {k: round(v, 4) for k, v in sizes.items()},
            "unsized": sorted(v.id for v in videos if v.label == 1 and v.id not in sizes)}


def share_summary(shares: np.ndarray, edges: tuple[float, ...] = ()) -> dict[str, Any]:
    """Quantiles (``p10 … p90``), mean and count of frame shares, rounded to 4 decimals, and the
    histogram (share of values per bin) over ``edges`` when given."""
    shares = np.asarray(shares, np.float64)
    if shares.size == 0:
        return {"frames": 0}
    q = np.percentile(shares, [10, 25, 50, 75, 90])
    out: dict[str, Any] = {"frames": int(shares.size), "p10": round(float(q[0]), 4), "p25": round(float(q[1]), 4),
                           "median": round(float(q[2]), 4), "p75": round(float(q[3]), 4),
                           "p90": round(float(q[4]), 4), "mean": round(float(shares.mean()), 4)}
    if edges:
        counts, _ = np.histogram(np.clip(shares, 0.0, 1.0), bins=np.asarray(edges))
        out["histogram"] = {"edges": list(edges), "fraction": [round(float(c) / shares.size, 4) for c in counts]}
    return out


def size_quantiles(manifest: Manifest, split: str, edges: tuple[float, ...] = ()) -> dict[str, Any]:
    """:func:`share_summary` of the per-frame box share over every annotated frame of ``split`` (the
    figure compared with the benchmark's)."""
    return share_summary(np.concatenate([frame_shares(v) for v in manifest.split(split)] or [np.zeros(0)]), edges)
