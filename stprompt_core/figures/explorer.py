"""The video explorer: pick a test video and a snippet, see the frame with its anomaly heatmap
and boxes next to the temporal score curve with a marker.

Two builders over the same precomputed :class:`ExplorerVideo` list:

- :func:`explorer_figure`: one self-contained plotly figure (dropdown = video, slider =
  snippet, built from plotly frames). Every image is embedded, so it stays interactive in
  the static HTML of the book with no kernel.
- :func:`explorer_widget`: an ipywidgets panel (Dropdown + IntSlider → Image + score curve
  as inline SVG). Live with a kernel; in static HTML the saved widget state shows the
  first video's first snippet.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from stprompt_core.config import config_from_dict
from stprompt_core.data.manifest import load_manifest
from stprompt_core.figures.spatial import heatmap_boxes_figure, heatmap_title, image_data_uri, overlay
from stprompt_core.figures.style import SUBPLOT_TITLE_SIZE
from stprompt_core.io import read_json
from stprompt_core.localize.run import load_localized
from stprompt_core.localize.tiou import scale_boxes
from stprompt_core.video.decode import decode_snippet_frames


@dataclass
class ExplorerVideo:
    """Everything the explorer shows for one video, one entry per snippet ``t``."""

    video_id: str
    class_name: str
    snippet_len: int
    num_frames: int
    intervals: list[list[int]]
    frames: np.ndarray  # [T, H, W, 3] uint8, the sampled frame of each snippet
    heats: np.ndarray  # [T, H, W] anomaly probability at frame resolution
    scores: np.ndarray  # [T] temporal anomaly score
    pred_boxes: list[list[list[float]]] = field(default_factory=list)  # [T] boxes in frame pixels
    gt_boxes: list[list[list[float]]] = field(default_factory=list)  # [T] (empty where none annotated)


def load_explorer_videos(run_dir: str | Path, video_ids: list[str] | None = None, max_videos: int = 6,
                         spread_classes: bool = False) -> list[ExplorerVideo]:
    """What the explorer shows of the localized test videos of a run (needs ``localize(run_dir)``
    to have written maps).

    Re-decodes each video's sampled frames; the heatmaps and their boxes are those the
    run's localization saved (:func:`stprompt_core.localize.run.load_localized`).

    Args:
        video_ids: the videos to load; default the first ``max_videos`` localized videos.
        spread_classes: choose them class by class (the first video of every class, then
            the second, ...) instead of in name order.
    """
    run_dir = Path(run_dir)
    saved = load_localized(run_dir)
    cfg = config_from_dict(read_json(run_dir / "config.json"))
    frame_size, snippet_len = saved.frame_size, saved.snippet_len
    entries = load_manifest(cfg.manifest()).by_id()
    ids = video_ids or (_spread(sorted(saved.maps), entries) if spread_classes else sorted(saved.maps))[:max_videos]
    videos = []
    for vid in ids:
        entry = entries[vid]
        chunk = decode_snippet_frames(cfg.data_root() / entry.path, snippet_len, vid)
        heats, pred = saved.boxed(vid)  # [T, H, W] and each snippet's boxes, as `stprompt localize` made them
        T = heats.shape[0]
        gt = []
        for t in range(T):
            keys = [f for f in range(t * snippet_len, (t + 1) * snippet_len) if str(f) in (entry.boxes or {})]
            boxes = entry.boxes[str(keys[0])] if keys else []
            gt.append(scale_boxes(boxes, entry.box_size or frame_size, frame_size).tolist() if boxes else [])
        videos.append(ExplorerVideo(vid, entry.cls, snippet_len, int(chunk.num_frames or T * snippet_len),
                                    [list(i) for i in entry.intervals], chunk.frames.numpy()[:T], heats,
                                    saved.scores[vid], pred, gt))
    return videos


def _spread(ids: list[str], entries: dict) -> list[str]:
    """``ids`` reordered class by class: the first of every class, then the second, ..."""
    by_class: dict[str, list[str]] = {}
    for vid in ids:
        by_class.setdefault(entries[vid].cls, []).append(vid)
    rounds = max((len(v) for v in by_class.values()), default=0)
    return [group[i] for i in range(rounds) for group in by_class.values() if i < len(group)]


def heatmap_examples_figure(videos: list[ExplorerVideo], per_video: int = 2, cols: int = 4) -> go.Figure:
    """Annotated snippets of every video, spread over the temporal score: with ``per_video=2`` the
    snippet the detector scores highest (a frame TIoU counts) and the one it scores lowest.

    Each title gives the video, the snippet and its temporal score (:func:`heatmap_title`).
    """
    shown = []
    for video in videos:
        boxed = sorted((t for t in range(len(video.scores)) if video.gt_boxes[t]), key=lambda t: -float(video.scores[t]))
        if boxed:
            picks = np.unique(np.linspace(0, len(boxed) - 1, min(per_video, len(boxed))).round().astype(int))
            shown += [(video, boxed[i]) for i in picks]
    if not shown:
        raise ValueError("no annotated snippets in these videos (localization draws boxes only where they exist)")
    return heatmap_boxes_figure([v.frames[t] for v, t in shown], [v.heats[t] for v, t in shown],
                                [v.pred_boxes[t] for v, t in shown], [v.gt_boxes[t] for v, t in shown],
                                [heatmap_title(v.video_id, t, float(v.scores[t])) for v, t in shown], cols=cols,
                                title="Heatmaps: box red, truth green (video, snippet t · score)")


def _image(video: ExplorerVideo, t: int, scale: int) -> np.ndarray:
    return overlay(video.frames[t], video.heats[t], video.pred_boxes[t], video.gt_boxes[t], scale=scale)


def _scale(videos: list[ExplorerVideo]) -> int:
    return max(1, int(360 // videos[0].frames.shape[2]))


def _curve(video: ExplorerVideo) -> tuple[list[float], list[float]]:
    x = [t * video.snippet_len for t in range(len(video.scores))] + [video.num_frames]
    return x, [float(s) for s in video.scores] + [float(video.scores[-1])]


def _gt(video: ExplorerVideo) -> tuple[list[float], list[float]]:
    x, y = [0.0], [0.0]
    for s, e in video.intervals:
        x += [s, s, e, e]
        y += [0, 1, 1, 0]
    return x + [video.num_frames], y + [0.0]


def explorer_figure(videos: list[ExplorerVideo]) -> go.Figure:
    """A self-contained explorer: dropdown picks the video, the slider the snippet.

    Traces per video (4 each, only the chosen video's visible): frame image with heatmap
    and boxes, score curve, ground-truth step, snippet marker. Plotly frames named
    ``"<video>/<t>"`` replace the image and the marker.
    """
    if not videos:
        raise ValueError("no videos to explore (did localization write maps?)")
    scale = _scale(videos)
    fig = make_subplots(rows=1, cols=2, column_widths=[0.5, 0.5], horizontal_spacing=0.1,
                        subplot_titles=["frame, heatmap, boxes", "anomaly score"])
    frames, sliders, buttons = [], [], []
    for v, video in enumerate(videos):
        visible = v == 0
        fig.add_trace(go.Image(source=image_data_uri(_image(video, 0, scale)), visible=visible, hoverinfo="skip"),
                      row=1, col=1)
        cx, cy = _curve(video)
        fig.add_trace(go.Scatter(x=cx, y=cy, mode="lines", line=dict(shape="hv", color="#1f77b4"), name="score",
                                 visible=visible, showlegend=False), row=1, col=2)
        gx, gy = _gt(video)
        fig.add_trace(go.Scatter(x=gx, y=gy, mode="lines", fill="tozeroy", line=dict(color="rgba(214,39,40,0.6)"),
                                 fillcolor="rgba(214,39,40,0.15)", name="ground truth", visible=visible,
                                 showlegend=False), row=1, col=2)
        fig.add_trace(go.Scatter(x=[0, 0], y=[0, 1], mode="lines", line=dict(color="black", dash="dot"),
                                 name="snippet", visible=visible, showlegend=False), row=1, col=2)
        steps = []
        for t in range(len(video.scores)):
            name = f"{video.video_id}/{t}"
            f0 = t * video.snippet_len
            frames.append(go.Frame(name=name, traces=[4 * v, 4 * v + 3], data=[
                go.Image(source=image_data_uri(_image(video, t, scale))),
                go.Scatter(x=[f0, f0], y=[0, 1])]))
            steps.append(dict(label=str(t), method="animate",
                              args=[[name], dict(mode="immediate", frame=dict(duration=0, redraw=True),
                                                 transition=dict(duration=0))]))
        sliders.append(dict(active=0, steps=steps, currentvalue=dict(prefix="snippet "), pad=dict(t=40), x=0.0,
                            len=1.0))
        buttons.append(dict(label=f"{video.video_id} ({video.class_name})", method="update",
                            args=[{"visible": [w == v for w in range(len(videos)) for _ in range(4)]},
                                  {"sliders": [sliders[-1]]}]))
    fig.frames = frames
    fig.update_layout(sliders=[sliders[0]], height=480, margin=dict(l=20, r=20, t=110, b=20),
                      updatemenus=[dict(buttons=buttons, direction="down", x=0.0, xanchor="left",
                                        y=1 + 40 / (480 - 130), yanchor="bottom", showactive=True)])  # 40 px above the titles
    fig.update_annotations(font_size=SUBPLOT_TITLE_SIZE)
    fig.update_xaxes(visible=False, row=1, col=1)
    fig.update_yaxes(visible=False, row=1, col=1)
    fig.update_xaxes(title_text="frame", row=1, col=2)
    fig.update_yaxes(title_text="score", range=[0, 1.02], row=1, col=2)
    return fig


def score_svg(video: ExplorerVideo, t: int, width: int = 360, height: int = 140) -> str:
    """The score curve as inline SVG with ground truth shaded and a marker at snippet ``t``."""
    pad = 6
    sx = (width - 2 * pad) / max(1, video.num_frames)
    sy = height - 2 * pad

    def xy(f: float, s: float) -> str:
        return f"{pad + f * sx:.1f},{pad + (1 - s) * sy:.1f}"

    cx, cy = _curve(video)
    pts = " ".join(xy(cx[i], cy[i - 1] if i else cy[0]) + " " + xy(cx[i], cy[i]) for i in range(len(cx)))
    rects = "".join(f'<rect x="{pad + s * sx:.1f}" y="{pad}" width="{(e - s) * sx:.1f}" height="{sy}" '
                    f'fill="rgba(214,39,40,0.18)"/>' for s, e in video.intervals)
    mx = pad + t * video.snippet_len * sx
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" class="stprompt-curve">'
            f'<rect width="{width}" height="{height}" fill="white" stroke="#ccc"/>{rects}'
            f'<polyline points="{pts}" fill="none" stroke="#1f77b4" stroke-width="2"/>'
            f'<line x1="{mx:.1f}" y1="{pad}" x2="{mx:.1f}" y2="{height - pad}" stroke="black" '
            f'stroke-dasharray="4 3"/></svg>')


def explorer_widget(videos: list[ExplorerVideo]):
    """An ipywidgets explorer (video dropdown + snippet slider → frame image and score curve).

    Returns a ``VBox``; its state (the first video's first snippet) is saved with the
    notebook, so the static book draws it; with a live kernel the controls update it.
    """
    import ipywidgets as W
    from PIL import Image

    if not videos:
        raise ValueError("no videos to explore (did localization write maps?)")
    scale = _scale(videos)
    by_id = {v.video_id: v for v in videos}

    def png(video: ExplorerVideo, t: int) -> bytes:
        buf = io.BytesIO()
        Image.fromarray(_image(video, t, scale)).save(buf, format="PNG")
        return buf.getvalue()

    def caption(video: ExplorerVideo, t: int) -> str:
        f0 = t * video.snippet_len
        gt = any(s <= f0 < e for s, e in video.intervals)
        return (f"<b>{video.video_id}</b> ({video.class_name}) · snippet {t} (frame {f0}) · "
                f"score {float(video.scores[t]):.3f} · ground truth: {'anomalous' if gt else 'normal'}<br>"
                + score_svg(video, t))

    first = videos[0]
    dropdown = W.Dropdown(options=[(f"{v.video_id} ({v.class_name})", v.video_id) for v in videos],
                          value=first.video_id, description="video")
    slider = W.IntSlider(value=0, min=0, max=len(first.scores) - 1, description="snippet", continuous_update=False)
    image = W.Image(value=png(first, 0), format="png")
    info = W.HTML(value=caption(first, 0))

    def redraw(_=None) -> None:
        video = by_id[dropdown.value]
        t = min(slider.value, len(video.scores) - 1)
        image.value = png(video, t)
        info.value = caption(video, t)

    def on_video(change) -> None:
        slider.max = len(by_id[change["new"]].scores) - 1
        slider.value = 0
        redraw()

    dropdown.observe(on_video, names="value")
    slider.observe(redraw, names="value")
    return W.VBox([W.HBox([dropdown, slider]), W.HBox([image, info])])
