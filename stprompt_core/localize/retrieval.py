"""Training-free patch-to-prompt retrieval: patch tokens -> anomaly heatmap -> boxes.

STPrompt's spatial localization (Wu et al., ACM MM 2024), as the project implements it:

1. similarities between the projected patch embeddings ``[P, D]`` of a frame and the
   ``N`` prompt embeddings (normal + abnormal), both L2-normalised: ``[P, N]`` cosines;
2. per-patch anomaly probability: softmax over all ``N`` prompts of ``cos / temperature``,
   summed over the abnormal prompts (:func:`patch_anomaly_probs`); CLIP's learned logit
   scale is 100, hence the default temperature 0.01. With ``balance_groups`` each side's
   mass is divided by its number of prompts first, so the score does not depend on how
   many prompts each side has (a bank of 21 normal and 78 abnormal prompts otherwise puts
   a patch equally similar to all of them at 78/99 = 0.79, above a 0.5 map threshold);
3. the ``[rows, cols]`` map upsampled (bilinear between patch centres) to frame
   resolution, each patch placed where the backbone's crop/resize put it, zero where
   the backbone never looked (:func:`frame_heatmap`); with several windows of the frame
   (``localize.window``, :mod:`~stprompt_core.localize.windows`), their maps averaged where
   they overlap (:func:`windows_heatmap`);
4. boxes from the map thresholded at ``map_threshold``: 8-connected components, then
   either the largest component (``box_mode='largest'``, the default: UCF-Crime frames
   carry one box) or every component (``'all'``), each kept only when its area is at
   least ``min_area`` of the frame (:func:`boxes_from_map`). A box spans a component's
   pixels: ``[x_min, y_min, x_max + 1, y_max + 1]``.

Steps 3-4 with the ``localize`` settings are :func:`map_boxes`, the one function every
caller (``stprompt localize``, ``stprompt detect``, the saved maps' reader, the benchmarks
that choose the settings) turns patch maps into boxes with.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from scipy import ndimage

from stprompt_core.config import LocalizeConfig, choices
from stprompt_core.video.geometry import FrameGeometry, patch_boxes

BOX_MODES = choices("localize.box_mode")


def patch_anomaly_probs(tokens: np.ndarray | torch.Tensor, text: torch.Tensor, abnormal: np.ndarray,
                        temperature: float, balance_groups: bool = False) -> torch.Tensor:
    """Probability mass on abnormal prompts for every patch.

    Args:
        tokens: ``[T, P, D]`` projected patch embeddings (any float dtype; normalised here).
        text: ``[N, D]`` prompt embeddings (normalised here).
        abnormal: ``[N]`` bool, which prompts are abnormal.
        temperature: softmax temperature over the cosines (> 0).
        balance_groups: normalise for the number of prompts on each side: with ``m_a`` and
            ``m_n`` the softmax mass on the ``n_a`` abnormal and ``n_n`` normal prompts, the
            score is ``(m_a / n_a) / (m_a / n_a + m_n / n_n)`` (mean mass per prompt of each
            side) instead of ``m_a``. The odds ``m_a / m_n`` are multiplied by ``n_n / n_a``
            (the logit shifted by ``-log(n_a / n_n)``), so the ranking of patches is the same
            and a patch equally similar to every prompt scores 0.5 whatever the bank's sizes;
            off, it scores ``n_a / N``.

    Returns:
        ``[T, P]`` float32 in ``[0, 1]``.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    mask = torch.as_tensor(np.asarray(abnormal, bool))
    if mask.shape[0] != text.shape[0] or not mask.any() or mask.all():
        raise ValueError(f"need both normal and abnormal prompts matching the {text.shape[0]} text embeddings")
    x = F.normalize(torch.as_tensor(tokens).float(), dim=-1)  # [T, P, D]
    t = F.normalize(text.float(), dim=-1)  # [N, D]
    probs = torch.softmax(x @ t.T / temperature, dim=-1)  # [T, P, N]
    if not balance_groups:
        return probs[..., mask].sum(-1)  # [T, P]
    abn = probs[..., mask].sum(-1) / int(mask.sum())  # [T, P] mean mass per abnormal prompt
    nor = probs[..., ~mask].sum(-1) / int((~mask).sum())
    return abn / (abn + nor)


def frame_heatmap(prob_grid: np.ndarray | torch.Tensor, frame_size: tuple[int, int],
                  geometry: FrameGeometry | None = None) -> np.ndarray:
    """Upsample patch maps to the decoded frame (bilinear between patch centres).

    Args:
        prob_grid: ``[rows, cols]`` or ``[B, rows, cols]`` patch probabilities.
        frame_size: decoded ``(width, height)``.
        geometry: the backbone's crop/resize of this frame size
            (:func:`stprompt_core.video.geometry.frame_geometry`); where each patch lands
            in the frame comes from :func:`stprompt_core.video.geometry.patch_boxes`.
            ``None`` treats the grid as covering the whole frame (a squash resize).

    Returns:
        ``[H, W]`` (or ``[B, H, W]``) float32; pixels no patch covers (cropped away by the
        backbone) are 0. Separable: ``heat = Wy @ grid @ Wx.T`` with interpolation
        matrices ``Wy [H, rows]``, ``Wx [W, cols]``; with ``geometry=None`` this equals
        ``F.interpolate(mode='bilinear', align_corners=False)``.
    """
    grid = torch.as_tensor(prob_grid).float()
    single = grid.ndim == 2
    grid = grid[None] if single else grid  # [B, rows, cols]
    rows, cols = grid.shape[-2:]
    W, H = int(frame_size[0]), int(frame_size[1])
    (ox, oy), (sx, sy), (x0, y0, x1, y1) = _patch_layout(geometry, (rows, cols), (W, H))
    wx = _interpolation_matrix(W, cols, ox, sx, x0, x1)  # [W, cols]
    wy = _interpolation_matrix(H, rows, oy, sy, y0, y1)  # [H, rows]
    out = (wy @ grid @ wx.T).numpy()  # [B, H, W]
    return out[0] if single else out


def windows_heatmap(grids: np.ndarray | torch.Tensor, frame_size: tuple[int, int],
                    geometries: list[FrameGeometry | None]) -> np.ndarray:
    """Patch maps of several windows of the same frames, placed on the frame and stitched.

    Args:
        grids: ``[V, rows, cols]`` or ``[B, V, rows, cols]``: one patch map per window.
        frame_size: decoded ``(width, height)``.
        geometries: the ``V`` windows (:mod:`~stprompt_core.localize.windows`).

    Returns:
        ``[H, W]`` (or ``[B, H, W]``) float32: each window upsampled by
        :func:`frame_heatmap`, averaged over the windows that cover a pixel; 0 where none
        does. With one window this is :func:`frame_heatmap` of it.
    """
    grid = torch.as_tensor(grids).float()
    single = grid.ndim == 3
    grid = grid[None] if single else grid  # [B, V, rows, cols]
    if grid.shape[1] != len(geometries):
        raise ValueError(f"{grid.shape[1]} patch maps per frame but {len(geometries)} window geometries")
    if len(geometries) == 1:
        out = frame_heatmap(grid[:, 0], frame_size, geometries[0])
    else:
        total = np.zeros((grid.shape[0], int(frame_size[1]), int(frame_size[0])), np.float32)  # [B, H, W]
        count = np.zeros(total.shape[1:], np.float32)  # [H, W] windows covering each pixel
        for v, g in enumerate(geometries):
            total += frame_heatmap(grid[:, v], frame_size, g)
            count += frame_heatmap(torch.ones(grid.shape[-2:]), frame_size, g) > 0.5  # 1 inside the window
        out = total / np.maximum(count, 1.0)
    return out[0] if single else out


def frame_cells(geometries: list[FrameGeometry | None], grid: tuple[int, int], frame_size: tuple[int, int]
                ) -> np.ndarray:
    """Non-overlapping frame-pixel boxes ``[C, 4]`` a map of these windows is made of.

    One window: its patches (:func:`frame_patch_boxes`). Several (overlapping tiles): the
    cells all windows' patch edges cut the covered frame into. A stitched map averages the
    overlapping patches, so it cannot set every cell freely; a ceiling over these cells is
    an upper bound of what such a map reaches.
    """
    if len(geometries) == 1:
        return frame_patch_boxes(geometries[0], grid, frame_size)
    boxes = np.concatenate([frame_patch_boxes(g, grid, frame_size) for g in geometries])
    boxes = boxes[(boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])]
    xs, ys = np.unique(boxes[:, [0, 2]]), np.unique(boxes[:, [1, 3]])
    gx0, gy0 = np.meshgrid(xs[:-1], ys[:-1])
    gx1, gy1 = np.meshgrid(xs[1:], ys[1:])
    cells = np.stack([gx0, gy0, gx1, gy1], axis=-1).reshape(-1, 4)
    cx, cy = (cells[:, 0] + cells[:, 2]) / 2, (cells[:, 1] + cells[:, 3]) / 2
    inside = ((cx[:, None] > boxes[None, :, 0]) & (cx[:, None] < boxes[None, :, 2])
              & (cy[:, None] > boxes[None, :, 1]) & (cy[:, None] < boxes[None, :, 3])).any(axis=1)
    return cells[inside]


def frame_patch_boxes(geometry: FrameGeometry | None, grid: tuple[int, int], frame_size: tuple[int, int]
                      ) -> np.ndarray:
    """``[rows * cols, 4]`` float64 frame-pixel box of every patch (row-major); patches the
    backbone's crop leaves outside the frame have zero area. ``geometry=None``: the grid
    covers the whole frame (a squash resize)."""
    rows, cols = grid
    W, H = frame_size
    if geometry is None:
        xs, ys = np.arange(cols) * (W / cols), np.arange(rows) * (H / rows)
        gx, gy = np.meshgrid(xs, ys)
        return np.stack([gx, gy, gx + W / cols, gy + H / rows], axis=-1).reshape(-1, 4)
    h, w = geometry.input_hw
    return patch_boxes(geometry, (h // rows, w // cols)).double().numpy()


def _patch_layout(geometry: FrameGeometry | None, grid: tuple[int, int], frame_size: tuple[int, int]
                  ) -> tuple[tuple[float, float], tuple[float, float], tuple[float, float, float, float]]:
    """Origin and step of the patch grid in frame pixels, and the frame region patches cover."""
    rows, cols = grid
    W, H = frame_size
    if geometry is None:
        return (0.0, 0.0), (W / cols, H / rows), (0.0, 0.0, float(W), float(H))
    boxes = torch.from_numpy(frame_patch_boxes(geometry, grid, frame_size)).reshape(rows, cols, 4)  # frame pixels
    area = (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])  # [rows, cols]
    r, c = divmod(int(area.argmax()), cols)  # an unclipped patch gives the step and origin
    bx0, by0, bx1, by1 = boxes[r, c].tolist()
    sx, sy = bx1 - bx0, by1 - by0
    covered = boxes[area > 0]
    extent = (float(covered[:, 0].min()), float(covered[:, 1].min()), float(covered[:, 2].max()),
              float(covered[:, 3].max()))
    return (bx0 - c * sx, by0 - r * sy), (sx, sy), extent


def _interpolation_matrix(n_out: int, n_grid: int, origin: float, step: float, lo: float, hi: float) -> torch.Tensor:
    """``[n_out, n_grid]`` linear-interpolation weights from patch centres to pixel centres.

    Pixel ``i`` (centre ``i + 0.5``) sits at grid coordinate ``(i + 0.5 - origin) / step - 0.5``,
    clamped to the grid (border values); pixels outside ``[lo, hi)`` get no weight.
    """
    centres = torch.arange(n_out, dtype=torch.float64) + 0.5
    g = ((centres - origin) / step - 0.5).clamp(0, n_grid - 1)
    left = g.floor().long().clamp(max=n_grid - 1)
    right = (left + 1).clamp(max=n_grid - 1)
    frac = g - left
    m = torch.zeros(n_out, n_grid, dtype=torch.float64)
    idx = torch.arange(n_out)
    m[idx, left] += 1 - frac
    m[idx, right] += frac
    m[(centres < lo) | (centres >= hi)] = 0
    return m.float()


def boxes_from_map(heat: np.ndarray, threshold: float, mode: str = "largest",
                   min_area: float = 0.0) -> list[list[float]]:
    """Boxes around the connected regions of ``heat >= threshold``.

    Args:
        heat: ``[H, W]`` anomaly map at frame resolution.
        threshold: pixels at or above it are anomalous.
        mode: ``largest`` (one box, the largest component) or ``all``.
        min_area: components smaller than this fraction of the frame are dropped.

    Returns:
        ``[[x1, y1, x2, y2], ...]`` in frame pixels (empty when nothing passes).
    """
    if mode not in BOX_MODES:
        raise ValueError(f"box mode {mode!r} is not one of {list(BOX_MODES)}")
    mask = np.asarray(heat) >= threshold
    if not mask.any():
        return []
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), bool))
    sizes = np.bincount(labels.ravel(), minlength=n + 1)[1:]  # [n] pixels per component
    keep = np.flatnonzero(sizes >= min_area * mask.size) + 1
    if mode == "largest" and len(keep):
        keep = keep[[int(np.argmax(sizes[keep - 1]))]]
    slices = ndimage.find_objects(labels)
    return [[float(slices[k - 1][1].start), float(slices[k - 1][0].start),
             float(slices[k - 1][1].stop), float(slices[k - 1][0].stop)] for k in keep]


def normalize_map(h: np.ndarray, mode: str) -> np.ndarray:
    """``localize.map_normalize`` applied to one heatmap ``[H, W]``."""
    if mode == "none":
        return h
    if mode == "minmax":
        lo, hi = float(h.min()), float(h.max())
        return (h - lo) / (hi - lo) if hi > lo else np.zeros_like(h)
    raise ValueError(f"map_normalize {mode!r} is not one of {list(choices('localize.map_normalize'))}")


def map_boxes(maps: np.ndarray | torch.Tensor, frame_size: tuple[int, int], windows: list[FrameGeometry | None],
              settings: LocalizeConfig) -> tuple[np.ndarray, list[list[list[float]]]]:
    """Patch maps of frames to their heatmaps and boxes, with the ``localize`` settings.

    Args:
        maps: ``[B, V, rows, cols]`` patch anomaly probabilities, one map per window ``V`` of
            each of ``B`` frames.
        frame_size: decoded ``(width, height)``.
        windows: the ``V`` windows the maps come from (:mod:`~stprompt_core.localize.windows`).
        settings: ``map_normalize``, ``map_threshold``, ``box_mode`` and ``min_area`` (and what
            a later scoring of the maps reads).

    Returns:
        ``heats [B, H, W]`` float32, the stitched maps normalised as they were boxed, and per
        frame the boxes ``[[x1, y1, x2, y2], ...]`` in frame pixels.
    """
    heats = windows_heatmap(maps, frame_size, windows).reshape(-1, int(frame_size[1]), int(frame_size[0]))
    heats = np.stack([normalize_map(h, settings.map_normalize) for h in heats]) if len(heats) else heats
    boxes = [boxes_from_map(h, settings.map_threshold, settings.box_mode, settings.min_area) for h in heats]
    return heats.astype(np.float32, copy=False), boxes
