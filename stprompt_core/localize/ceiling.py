"""How well any patch-level map could localize: the best IoU a union of patches reaches.

Training-free localization scores patches (a ``rows x cols`` grid), so its box can be no
finer than the grid: a bag of 8x5 pixels inside a 17x17-pixel patch gives IoU 0.14 at best.
:func:`grid_iou_ceiling` is that best value for one frame: the maximum, over all sets of
patches, of the IoU of their union with the ground-truth region. It separates what the grid
allows from what the prompts and the model achieve, and with the temporal gate applied
(:func:`stprompt_core.localize.tiou.tiou` of the ceilings) the best TIoU any patch map
could reach for a run's temporal scores.

Patches do not overlap, so with ``i_k`` the part of patch ``k`` inside the region and ``a_k``
its area, a set ``S`` has ``IoU(S) = sum_S i_k / (G + sum_S (a_k - i_k))`` (``G``: the
region's area). This ratio of sums is maximised by the patches whose covered share
``i_k / a_k`` exceeds some level (include ``k`` iff ``i_k - lambda (a_k - i_k) > 0`` at the
optimum ``lambda``), so the best set is a prefix of the patches sorted by covered share.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from stprompt_core.localize.tiou import as_boxes, union_area


def grid_iou_ceiling(gt: Sequence[Sequence[float]] | np.ndarray, patches: np.ndarray) -> float:
    """Best IoU of a union of ``patches`` with the union of ``gt`` boxes.

    Args:
        gt: ``[G, 4]`` ground-truth boxes (frame pixels).
        patches: ``[P, 4]`` non-overlapping patch boxes in the same pixels (zero-area
            patches, e.g. in padding, are ignored).

    Returns:
        The ceiling in [0, 1]; 0 when there is no ground truth or no patch touches it.
    """
    g = as_boxes(gt)
    p = as_boxes(patches)
    p = p[(p[:, 2] > p[:, 0]) & (p[:, 3] > p[:, 1])]
    region = union_area(g)
    if region <= 0 or len(p) == 0:
        return 0.0
    area = (p[:, 2] - p[:, 0]) * (p[:, 3] - p[:, 1])  # [P]
    if len(g) == 1:  # the usual case, vectorised
        ix = np.minimum(p[:, 2], g[0, 2]) - np.maximum(p[:, 0], g[0, 0])
        iy = np.minimum(p[:, 3], g[0, 3]) - np.maximum(p[:, 1], g[0, 1])
        inside = np.clip(ix, 0, None) * np.clip(iy, 0, None)  # [P] part of each patch inside the region
    else:
        inside = np.array([_covered(box, g) for box in p])
    order = np.argsort(-(inside / area), kind="stable")
    inter = np.cumsum(inside[order])
    union = region + np.cumsum((area - inside)[order])
    return float(np.max(inter / union))


def _covered(box: np.ndarray, gt: np.ndarray) -> float:
    """Area of ``box`` inside the union of ``gt``."""
    x1 = np.maximum(box[0], gt[:, 0])
    y1 = np.maximum(box[1], gt[:, 1])
    x2 = np.minimum(box[2], gt[:, 2])
    y2 = np.minimum(box[3], gt[:, 3])
    return union_area(np.stack([x1, y1, np.maximum(x1, x2), np.maximum(y1, y2)], axis=-1))
