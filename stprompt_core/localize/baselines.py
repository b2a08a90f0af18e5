"""What localization is worth without prompts: boxes that need no text, and the localizer's own pointing.

Training-free localization ranks patches by their similarity to abnormal prompts. Whether the
prompts add anything shows only beside boxes that use none of them, on the same annotated
frames and under the same temporal gate (:func:`~stprompt_core.localize.tiou.tiou`):

- ``whole view``: the part of the frame the backbone sees (the whole frame for a squash resize);
- ``centred box``: a box of :data:`CENTRED_SHARE` of the view's area, centred;
- ``motion``: the box around the :data:`MOTION_PATCHES` patches of highest motion in the
  snippet (the motion map extraction stores for SA2, no text at all);
- ``random patch``: one patch of the view drawn at random (seeded by the video and frame).

And the localizer's own **pointing**: is the patch its map ranks highest inside the ground-truth
region? A map often ties at its maximum; pointing is then the share of the tied patches that lie
inside (the expected value of a random tie-break), so ties never decide it. **Chance** is the
share of the view's patches inside the region. Pointing with the *true* class's prompts is an
oracle (``localize`` never knows the class) and is labelled so wherever it is reported.

A patch is inside a region when its centre is. TIoU differences between the method and each
baseline come with a paired bootstrap interval over videos (the same resamples as the AUC
comparisons, :func:`stprompt_core.compare.resample_videos`).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from stprompt_core.compare import CONFIDENCE, N_RESAMPLES, resample_videos

BASELINES = ("whole view", "centred box", "motion", "random patch")
CENTRED_SHARE = 0.25  # area of the centred box as a share of the view (the benchmark's best fixed box is near it)
MOTION_PATCHES = 4  # patches boxed by the motion baseline
TIE_TOLERANCE = 1e-6  # map values this close to the maximum count as tied


def patch_centres(patches: np.ndarray) -> np.ndarray:
    """``[P, 2]`` centres of ``[P, 4]`` boxes."""
    return np.stack([(patches[:, 0] + patches[:, 2]) / 2, (patches[:, 1] + patches[:, 3]) / 2], axis=1)


def inside(points: np.ndarray, boxes: Sequence[Sequence[float]]) -> np.ndarray:
    """``[N]`` bool: each point lies in at least one of ``boxes`` (borders included)."""
    out = np.zeros(len(points), bool)
    for x1, y1, x2, y2 in boxes:
        out |= (points[:, 0] >= x1) & (points[:, 0] <= x2) & (points[:, 1] >= y1) & (points[:, 1] <= y2)
    return out


def view_box(patches: np.ndarray) -> list[float]:
    """The box the non-empty patches cover (the backbone's view of the frame)."""
    live = patches[(patches[:, 2] > patches[:, 0]) & (patches[:, 3] > patches[:, 1])]
    return [float(live[:, 0].min()), float(live[:, 1].min()), float(live[:, 2].max()), float(live[:, 3].max())]


def centred_box(view: Sequence[float], share: float = CENTRED_SHARE) -> list[float]:
    """A box of ``share`` of ``view``'s area, centred in it, with its aspect ratio."""
    x1, y1, x2, y2 = view
    s = float(np.sqrt(share))
    cx, cy, w, h = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) * s, (y2 - y1) * s
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]


def motion_box(patches: np.ndarray, motion: np.ndarray, k: int = MOTION_PATCHES) -> list[float]:
    """The box around the ``k`` patches of highest ``motion`` ``[P]`` (ties: lower index first)."""
    top = np.argsort(-np.asarray(motion, np.float64), kind="stable")[:k]
    sel = patches[top]
    return [float(sel[:, 0].min()), float(sel[:, 1].min()), float(sel[:, 2].max()), float(sel[:, 3].max())]


def random_patch(patches: np.ndarray, video_id: str, frame: int) -> list[float]:
    """One non-empty patch, drawn with a generator seeded by the video and the frame."""
    live = np.flatnonzero((patches[:, 2] > patches[:, 0]) & (patches[:, 3] > patches[:, 1]))
    rng = np.random.default_rng([zlib.crc32(video_id.encode()), frame])
    return [float(v) for v in patches[live[rng.integers(len(live))]]]


def prompt_free_boxes(patches: np.ndarray, motion: np.ndarray, video_id: str, frame: int) -> dict[str, list[float]]:
    """Every baseline's box for one frame: ``{name: [x1, y1, x2, y2]}`` in frame pixels."""
    view = view_box(patches)
    return {"whole view": view, "centred box": centred_box(view), "motion": motion_box(patches, motion),
            "random patch": random_patch(patches, video_id, frame)}


def pointing(values: np.ndarray, patches: np.ndarray, gt: Sequence[Sequence[float]]) -> tuple[float, float, int]:
    """The map's pointing on one frame, chance, and the number of patches tied at its maximum.

    Args:
        values: ``[P]`` the map's value per patch (higher: more anomalous).
        patches: ``[P, 4]`` their frame-pixel boxes (zero-area patches are never pointed at).
        gt: the frame's ground-truth boxes.

    Returns:
        ``(share of the top-tied patches inside gt, share of all live patches inside gt, ties)``.
    """
    live = (patches[:, 2] > patches[:, 0]) & (patches[:, 3] > patches[:, 1])
    v = np.where(live, np.asarray(values, np.float64), -np.inf)
    top = v >= v.max() - TIE_TOLERANCE
    hit = inside(patch_centres(patches), gt)
    return float(hit[top].mean()), float(hit[live].mean()), int(top.sum())


def paired_tiou_difference(video_ids: Sequence[str], ious_a: Sequence[float], ious_b: Sequence[float],
                           passed: Sequence[bool], n_resamples: int = N_RESAMPLES, seed: int = 0,
                           confidence: float = CONFIDENCE) -> dict[str, Any]:
    """``TIoU(a) - TIoU(b)`` over the same annotated frames, with a paired bootstrap interval over videos.

    Args:
        video_ids: ``[N]`` the video of each annotated frame.
        ious_a, ious_b: ``[N]`` the two methods' IoU on each frame.
        passed: ``[N]`` the temporal gate (score >= threshold), shared by both.
    """
    vids = sorted(set(video_ids))
    index = {v: i for i, v in enumerate(vids)}
    col = np.array([index[v] for v in video_ids])
    gate = np.asarray(passed, bool)
    d = (np.asarray(ious_a, np.float64) - np.asarray(ious_b, np.float64)) * gate
    per_video = np.bincount(col, weights=d, minlength=len(vids))  # [V] summed difference
    frames = np.bincount(col, minlength=len(vids)).astype(np.float64)  # [V] annotated frames
    mult = resample_videos(len(vids), n_resamples, seed)  # [R, V]
    diffs = (mult @ per_video) / (mult @ frames)
    tail = (1.0 - confidence) / 2 * 100
    low, high = np.percentile(diffs, [tail, 100 - tail])
    return {"diff": float(per_video.sum() / frames.sum()), "low": float(low), "high": float(high),
            "n_videos": len(vids)}
