"""TIoU: spatio-temporal localization accuracy as Liu & Ma define it for UCF-Crime.

Liu & Ma, "Exploring Background-bias for Anomaly Detection in Surveillance Videos"
(ACM MM 2019), eq. for TIoU over the ``N`` frames that carry ground-truth boxes::

    TIoU = 1/N * sum_j  IoU(pred_j, gt_j) * 1[score_j >= threshold]

A frame whose temporal anomaly score is below the threshold contributes 0, however good
its box; a frame with no predicted box contributes 0. Ground-truth boxes are given in
``box_size`` coordinates (320x240 for UCF-Crime) and are scaled to the decoded frame size
before comparison (:func:`scale_boxes`).

Several boxes in one frame (either side) are compared as regions: the IoU of the union of
the predicted boxes with the union of the ground-truth boxes, computed exactly
(:func:`region_iou`); with one box each this is the ordinary box IoU.

Boxes are ``[x1, y1, x2, y2]`` floats with ``x1 <= x2``, ``y1 <= y2``; a box's area is
``(x2 - x1) * (y2 - y1)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def as_boxes(boxes: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    """``[N, 4]`` float64 array (``N`` may be 0); raises on a malformed box."""
    arr = np.asarray(boxes, dtype=np.float64).reshape(-1, 4) if len(boxes) else np.zeros((0, 4))
    if ((arr[:, 2] < arr[:, 0]) | (arr[:, 3] < arr[:, 1])).any():
        raise ValueError(f"boxes must be [x1, y1, x2, y2] with x1 <= x2 and y1 <= y2, got {arr.tolist()}")
    return arr


def union_area(boxes: np.ndarray) -> float:
    """Exact area covered by the union of ``boxes`` ``[N, 4]`` (coordinate compression)."""
    boxes = as_boxes(boxes)
    boxes = boxes[(boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])]
    if len(boxes) == 0:
        return 0.0
    if len(boxes) == 1:
        b = boxes[0]
        return float((b[2] - b[0]) * (b[3] - b[1]))
    xs, ys = np.unique(boxes[:, [0, 2]]), np.unique(boxes[:, [1, 3]])
    cx, cy = (xs[:-1] + xs[1:]) / 2, (ys[:-1] + ys[1:]) / 2  # cell centres, [Y-1]
    inside_x = (cx[None, :] > boxes[:, 0:1]) & (cx[None, :] < boxes[:, 2:3])  # [N, X-1]
    inside_y = (cy[None, :] > boxes[:, 1:2]) & (cy[None, :] < boxes[:, 3:4])  # [N, Y-1]
    covered = (inside_y[:, :, None] & inside_x[:, None, :]).any(axis=0)  # [Y-1, X-1]
    cell = np.diff(ys)[:, None] * np.diff(xs)[None, :]
    return float((cell * covered).sum())


def region_iou(pred: Sequence[Sequence[float]] | np.ndarray, gt: Sequence[Sequence[float]] | np.ndarray) -> float:
    """IoU of the union of ``pred`` boxes with the union of ``gt`` boxes; 0 when either is empty."""
    p, g = as_boxes(pred), as_boxes(gt)
    if len(p) == 0 or len(g) == 0:
        return 0.0
    x1 = np.maximum(p[:, None, 0], g[None, :, 0])
    y1 = np.maximum(p[:, None, 1], g[None, :, 1])
    x2 = np.minimum(p[:, None, 2], g[None, :, 2])
    y2 = np.minimum(p[:, None, 3], g[None, :, 3])
    inter_boxes = np.stack([x1, y1, np.maximum(x1, x2), np.maximum(y1, y2)], -1).reshape(-1, 4)
    inter = union_area(inter_boxes)  # the intersection of two unions is the union of pairwise intersections
    union = union_area(p) + union_area(g) - inter
    return float(inter / union) if union > 0 else 0.0


def scale_boxes(boxes: Sequence[Sequence[float]] | np.ndarray, from_size: Sequence[int],
                to_size: Sequence[int]) -> np.ndarray:
    """Rescale boxes from a ``(width, height)`` coordinate frame to another; ``[N, 4]``."""
    arr = as_boxes(boxes)
    sx, sy = to_size[0] / from_size[0], to_size[1] / from_size[1]
    return arr * np.array([sx, sy, sx, sy])


def tiou(ious: Sequence[float], scores: Sequence[float], threshold: float) -> float:
    """Liu & Ma's TIoU over annotated frames.

    Args:
        ious: ``[N]`` IoU of the predicted and ground-truth boxes of each annotated frame.
        scores: ``[N]`` temporal anomaly score of the same frames.
        threshold: a frame counts when ``score >= threshold``.

    Returns:
        ``mean(iou * (score >= threshold))``; ``nan`` when there are no annotated frames.
    """
    ious_a, scores_a = np.asarray(ious, np.float64), np.asarray(scores, np.float64)
    if ious_a.shape != scores_a.shape:
        raise ValueError(f"ious {ious_a.shape} and scores {scores_a.shape} differ in length")
    if ious_a.size == 0:
        return float("nan")
    return float(np.mean(ious_a * (scores_a >= threshold)))
