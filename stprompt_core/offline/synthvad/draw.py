"""Raster primitives for SynthVAD: filled shapes painted onto a float canvas.

Every primitive paints onto ``canvas`` of shape ``[H, W, 3]`` (float32, 0..255) in place
and returns the pixel box it touched, ``(x1, y1, x2, y2)`` with exclusive ``x2, y2`` and
clipped to the canvas, or ``None`` when nothing was painted. Shapes are sampled at pixel
centres ``(x + 0.5, y + 0.5)``; ``alpha < 1`` blends with what is underneath.

Boxes of the anomaly annotations are the unions of these returned boxes, so an annotated
box always covers exactly the pixels that were drawn for the anomalous actors.
"""

from __future__ import annotations

import math

import numpy as np

Box = tuple[int, int, int, int]  # x1, y1, x2, y2 in pixels; x2, y2 exclusive
Color = tuple[float, float, float] | np.ndarray  # RGB, 0..255


def union(a: Box | None, b: Box | None) -> Box | None:
    """Smallest box covering both (``None`` is the empty box)."""
    if a is None:
        return b
    if b is None:
        return a
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _window(canvas: np.ndarray, x0: float, y0: float, x1: float, y1: float
            ) -> tuple[int, int, int, int] | None:
    """Integer pixel window ``(xa, ya, xb, yb)`` covering a float extent, clipped."""
    h, w = canvas.shape[:2]
    xa, ya = max(int(math.floor(x0)), 0), max(int(math.floor(y0)), 0)
    xb, yb = min(int(math.ceil(x1)) + 1, w), min(int(math.ceil(y1)) + 1, h)
    if xa >= xb or ya >= yb:
        return None
    return xa, ya, xb, yb


def _paint(canvas: np.ndarray, win: tuple[int, int, int, int], mask: np.ndarray,
           color: Color, alpha: float) -> Box | None:
    """Paint ``mask`` (``[yb-ya, xb-xa]`` bool) of window ``win``; return the touched box."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    xa, ya, xb, yb = win
    region = canvas[ya:yb, xa:xb]
    col = np.asarray(color, dtype=np.float32)
    if alpha >= 1.0:
        region[mask] = col
    else:
        region[mask] = region[mask] * (1.0 - alpha) + col * alpha
    return (xa + int(cols[0]), ya + int(rows[0]), xa + int(cols[-1]) + 1, ya + int(rows[-1]) + 1)


def _grid(win: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates of a window: ``gx [1, w]``, ``gy [h, 1]``."""
    xa, ya, xb, yb = win
    gx = (np.arange(xa, xb, dtype=np.float32) + 0.5)[None, :]
    gy = (np.arange(ya, yb, dtype=np.float32) + 0.5)[:, None]
    return gx, gy


def fill_rect(canvas: np.ndarray, x0: float, y0: float, x1: float, y1: float,
              color: Color, alpha: float = 1.0) -> Box | None:
    """Axis-aligned rectangle covering pixels whose centres lie in ``[x0, x1) x [y0, y1)``."""
    h, w = canvas.shape[:2]
    xa, ya = max(int(math.ceil(x0 - 0.5)), 0), max(int(math.ceil(y0 - 0.5)), 0)
    xb, yb = min(int(math.ceil(x1 - 0.5)), w), min(int(math.ceil(y1 - 0.5)), h)
    if xa >= xb or ya >= yb:
        return None
    region = canvas[ya:yb, xa:xb]
    col = np.asarray(color, dtype=np.float32)
    if alpha >= 1.0:
        region[...] = col
    else:
        region *= 1.0 - alpha
        region += col * alpha
    return (xa, ya, xb, yb)


def fill_ellipse(canvas: np.ndarray, cx: float, cy: float, rx: float, ry: float,
                 color: Color, alpha: float = 1.0, angle: float = 0.0) -> Box | None:
    """Ellipse with semi-axes ``rx, ry`` rotated by ``angle`` radians about its centre."""
    rx, ry = max(rx, 0.5), max(ry, 0.5)
    r = max(rx, ry)
    win = _window(canvas, cx - r, cy - r, cx + r, cy + r)
    if win is None:
        return None
    gx, gy = _grid(win)
    dx, dy = gx - cx, gy - cy
    if angle:
        c, s = math.cos(angle), math.sin(angle)
        dx, dy = dx * c + dy * s, -dx * s + dy * c
    mask = (dx / rx) ** 2 + (dy / ry) ** 2 <= 1.0
    return _paint(canvas, win, mask, color, alpha)


def fill_rotated_rect(canvas: np.ndarray, cx: float, cy: float, half_len: float,
                      half_wid: float, angle: float, color: Color, alpha: float = 1.0) -> Box | None:
    """Rectangle of size ``2*half_len x 2*half_wid``, long axis at ``angle`` radians."""
    half_len, half_wid = max(half_len, 0.5), max(half_wid, 0.5)
    c, s = math.cos(angle), math.sin(angle)
    ex = abs(half_len * c) + abs(half_wid * s)
    ey = abs(half_len * s) + abs(half_wid * c)
    win = _window(canvas, cx - ex, cy - ey, cx + ex, cy + ey)
    if win is None:
        return None
    gx, gy = _grid(win)
    dx, dy = gx - cx, gy - cy
    u = dx * c + dy * s
    v = -dx * s + dy * c
    mask = (np.abs(u) <= half_len) & (np.abs(v) <= half_wid)
    return _paint(canvas, win, mask, color, alpha)


def fill_segment(canvas: np.ndarray, x0: float, y0: float, x1: float, y1: float,
                 width: float, color: Color, alpha: float = 1.0) -> Box | None:
    """Thick line with round caps (a capsule) from ``(x0, y0)`` to ``(x1, y1)``."""
    r = max(width / 2.0, 0.6)
    win = _window(canvas, min(x0, x1) - r, min(y0, y1) - r, max(x0, x1) + r, max(y0, y1) + r)
    if win is None:
        return None
    gx, gy = _grid(win)
    dx, dy = x1 - x0, y1 - y0
    l2 = dx * dx + dy * dy
    px, py = gx - x0, gy - y0
    if l2 < 1e-9:
        d2 = px * px + py * py
    else:
        t = np.clip((px * dx + py * dy) / l2, 0.0, 1.0)
        d2 = (px - t * dx) ** 2 + (py - t * dy) ** 2
    return _paint(canvas, win, d2 <= r * r, color, alpha)


def fill_segments(canvas: np.ndarray, segments: np.ndarray, widths: np.ndarray, colors: np.ndarray) -> Box | None:
    """Several capsules painted in order (later ones on top) in one vectorised pass.

    Args:
        segments: ``[n, 4]`` rows ``(x0, y0, x1, y1)``; a zero-length row is a disc.
        widths: ``[n]`` line widths in pixels.
        colors: ``[n, 3]`` RGB.

    Returns:
        The box of the painted pixels (``None`` if none).
    """
    r = np.maximum(widths / 2.0, 0.6).astype(np.float32)  # [n]
    x0 = np.minimum(segments[:, 0], segments[:, 2]) - r
    x1 = np.maximum(segments[:, 0], segments[:, 2]) + r
    y0 = np.minimum(segments[:, 1], segments[:, 3]) - r
    y1 = np.maximum(segments[:, 1], segments[:, 3]) + r
    win = _window(canvas, float(x0.min()), float(y0.min()), float(x1.max()), float(y1.max()))
    if win is None:
        return None
    gx, gy = _grid(win)  # [1, w], [h, 1]
    seg = segments.astype(np.float32)[:, :, None, None]  # [n, 4, 1, 1]
    dx, dy = seg[:, 2] - seg[:, 0], seg[:, 3] - seg[:, 1]  # [n, 1, 1]
    l2 = np.maximum(dx * dx + dy * dy, 1e-9)
    px, py = gx[None] - seg[:, 0], gy[None] - seg[:, 1]  # [n, 1, w], [n, h, 1]
    t = np.clip((px * dx + py * dy) / l2, 0.0, 1.0)  # [n, h, w]
    masks = (px - t * dx) ** 2 + (py - t * dy) ** 2 <= (r * r)[:, None, None]
    xa, ya, xb, yb = win
    region = canvas[ya:yb, xa:xb]
    for mask, color in zip(masks, colors):
        region[mask] = color
    any_mask = masks.any(axis=0)
    rows = np.flatnonzero(any_mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(any_mask.any(axis=0))
    return (xa + int(cols[0]), ya + int(rows[0]), xa + int(cols[-1]) + 1, ya + int(rows[-1]) + 1)


def smooth_noise(height: int, width: int, cell: int, rng: np.random.Generator) -> np.ndarray:
    """Low-frequency value noise, ``[height, width]`` float32 in about [-1, 1].

    A coarse grid of uniform values (one per ``cell`` pixels) bilinearly upsampled.
    """
    gh, gw = height // cell + 2, width // cell + 2
    coarse = rng.uniform(-1.0, 1.0, size=(gh, gw)).astype(np.float32)
    ys = (np.arange(height, dtype=np.float32) + 0.5) / cell
    xs = (np.arange(width, dtype=np.float32) + 0.5) / cell
    y0, x0 = ys.astype(np.int64), xs.astype(np.int64)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    a = coarse[y0][:, x0]
    b = coarse[y0][:, x0 + 1]
    c = coarse[y0 + 1][:, x0]
    d = coarse[y0 + 1][:, x0 + 1]
    return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy
