"""Inside the trained detector, one snippet at a time: the snippet slider.

For one test video, per snippet ``t``: the sampled frame with SA2's K motion patches, the
attention weights SA2 gives them (:mod:`stprompt_core.model.sa2`), the temporal adapter's
attention row ``A_t,:`` (:mod:`stprompt_core.model.adapter`) and the anomaly score curve
with a marker at ``t``.

- :func:`load_snippet_trace` runs the run's model on one video of the feature store and
  keeps those intermediate values (:class:`SnippetTrace`).
- :func:`snippet_slider_figure` draws them as one plotly figure whose slider steps through
  the snippets with plotly frames: every image and bar is embedded, so it stays interactive
  in the static HTML of the book with no kernel and no network.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from stprompt_core.data.manifest import load_manifest
from stprompt_core.features.batching import collate, to_sequence
from stprompt_core.features.store import FeatureStore
from stprompt_core.figures.spatial import PATCH_COLOR, image_data_uri
from stprompt_core.figures.style import SUBPLOT_TITLE_SIZE, set_title
from stprompt_core.model.adapter import DistanceAttentionBlock, distance_attention
from stprompt_core.scoring import score_videos
from stprompt_core.train import load_run
from stprompt_core.video.decode import decode_snippet_frames
from stprompt_core.video.geometry import frame_geometry, patch_boxes

SCORE_COLOR = "#1f77b4"
GT_FILL = "rgba(214, 39, 40, 0.15)"


@dataclass
class SnippetTrace:
    """What the detector sees and computes for one video (T snippets, K patches, P patches a frame)."""

    video_id: str
    class_name: str
    snippet_len: int
    num_frames: int
    intervals: list[list[int]]  # ground-truth anomalous frame intervals [start, end)
    frames: np.ndarray  # [T, H, W, 3] uint8, the sampled frame of each snippet
    patch_boxes: np.ndarray  # [P, 4] frame-pixel box (x0, y0, x1, y1) of every patch
    patch_idx: np.ndarray  # [T, K] SA2's selected patches, by decreasing motion
    motion: np.ndarray  # [T, K] their motion magnitude
    sa2_weights: np.ndarray | None  # [T, K] SA2 attention a_t,k (rows sum to 1); None without SA2
    attention: np.ndarray | None  # [T, T] adapter attention A (first block); None without a distance adapter
    scores: np.ndarray  # [T] anomaly score p_t


def load_snippet_trace(run_dir: str | Path, video_id: str = "", checkpoint: str = "best") -> SnippetTrace:
    """Run a trained run's detector on one test video and keep SA2's and the adapter's weights.

    Args:
        run_dir: a finished run (``config.json``, ``best.safetensors``).
        video_id: a video of the test split; ``""`` picks the first abnormal one.
        checkpoint: ``best`` or ``last`` weights.

    Raises:
        ValueError: ``video_id`` is not in the test split (the message names the split).
    """
    import torch

    cfg, model = load_run(run_dir, "cpu", checkpoint)
    store = FeatureStore(cfg.data.feature_store)
    split = cfg.data.test_split
    table = store.split(split)
    ids, labels = list(table["video_id"]), [int(x) for x in table["label"]]
    if not video_id:
        video_id = next((v for v, y in zip(ids, labels) if y == 1), ids[0])
    if video_id not in ids:
        raise ValueError(f"video {video_id!r} is not in the {split!r} split of {store.root} "
                         f"(e.g. {', '.join(ids[:3])})")
    video = store.videos(split, [ids.index(video_id)])[0]
    entry = load_manifest(cfg.manifest()).by_id()[video_id]
    meta = store.meta
    chunk = decode_snippet_frames(cfg.data_root() / entry.path, meta.snippet_len, video_id)
    backbone = meta.backbone
    geometry = frame_geometry(chunk.frame_size, tuple(backbone["input_size"]), backbone.get("resize_mode", "shortest"))
    boxes = patch_boxes(geometry, tuple(backbone["patch_size"])).numpy()  # [P, 4]

    batch = collate([to_sequence(video)])
    T = int(batch.mask.sum())
    with torch.no_grad():
        weights = (None if model.sa2.mode == "none"
                   else model.sa2.weights(batch.frame, batch.patches, batch.motion, model.text_features())[0])
    blocks = list(model.adapter.blocks)
    attention = (distance_attention(T, blocks[0].sigma).numpy()
                 if blocks and isinstance(blocks[0], DistanceAttentionBlock) else None)
    scores = score_videos(model, [video], cfg.data.max_len, 1, torch.device("cpu"))[video_id]  # as evaluate scores
    return SnippetTrace(video_id, video.class_name, meta.snippet_len, int(video.num_frames),
                        [list(i) for i in entry.intervals], chunk.frames.numpy()[:T], boxes,
                        np.asarray(video.patch_idx[:T], np.int64), batch.motion[0, :T].numpy(),
                        None if weights is None else weights[:T].numpy(), attention, np.asarray(scores, np.float32))


def _frame_image(trace: SnippetTrace, t: int, scale: int) -> np.ndarray:
    """The sampled frame, upscaled, with SA2's patches outlined; the fill grows with the patch's weight."""
    from PIL import Image, ImageDraw

    img = Image.fromarray(np.ascontiguousarray(trace.frames[t])).convert("RGBA")
    img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    K = trace.patch_idx.shape[1]
    w = trace.sa2_weights[t] if trace.sa2_weights is not None else np.full(K, 1.0 / K)
    for k, p in enumerate(trace.patch_idx[t].tolist()):
        x0, y0, x1, y1 = (float(v) * scale for v in trace.patch_boxes[p])
        fill = int(200 * min(1.0, float(w[k]) * K / 2))  # 1/K (uniform) -> 100, >= 2/K -> 200
        draw.rectangle([x0, y0, x1 - 1, y1 - 1], fill=(255, 204, 0, fill), outline=(255, 204, 0, 255),
                       width=max(1, scale // 2))
    return np.asarray(Image.alpha_composite(img, layer).convert("RGB"))


def snippet_slider_figure(trace: SnippetTrace, image_px: int = 300) -> go.Figure:
    """The snippet slider: frame + SA2 patches, SA2 weights, adapter attention row, score curve.

    Traces (in order): 0 frame image, 1 SA2 weight bars, 2 uniform weight 1/K (dashed),
    3 adapter attention bars, 4 ground truth, 5 score curve, 6 snippet marker. Plotly frames
    named ``"<t>"`` replace traces 0, 1, 3 and 6; the slider steps through them.

    Args:
        trace: from :func:`load_snippet_trace`.
        image_px: target width of the frame image in pixels (nearest upscaling).
    """
    T, K = trace.patch_idx.shape
    if T == 0:
        raise ValueError(f"video {trace.video_id!r} has no snippets")
    scale = max(1, image_px // trace.frames.shape[2])
    ranks = [str(k + 1) for k in range(K)]  # category labels; short, so eight fit a phone's half column
    # two-line titles: each fits half of a 390 px phone column without running into its neighbour
    fig = make_subplots(rows=2, cols=2, horizontal_spacing=0.12, vertical_spacing=0.2,
                        subplot_titles=["frame t,<br>SA2's top-K patches", "SA2 weight<br>per patch",
                                        "adapter attention,<br>row t", "anomaly score<br>p_t"])

    def sa2_y(t: int) -> list[float]:
        return (trace.sa2_weights[t] if trace.sa2_weights is not None else np.zeros(K)).tolist()

    def attn_y(t: int) -> list[float]:
        return (trace.attention[t] if trace.attention is not None else np.zeros(T)).tolist()

    def hover(t: int) -> list[str]:
        return [f"patch {int(p)}, motion {float(m):.1f}" for p, m in zip(trace.patch_idx[t], trace.motion[t])]

    fig.add_trace(go.Image(source=image_data_uri(_frame_image(trace, 0, scale)), hoverinfo="skip"), row=1, col=1)
    fig.add_trace(go.Bar(x=ranks, y=sa2_y(0), marker_color=PATCH_COLOR, name="SA2 weight", hovertext=hover(0)),
                  row=1, col=2)
    fig.add_trace(go.Scatter(x=[ranks[0], ranks[-1]], y=[1 / K, 1 / K], mode="lines", name="uniform 1/K",
                             line=dict(dash="dash", color="grey")), row=1, col=2)
    fig.add_trace(go.Bar(x=list(range(T)), y=attn_y(0), marker_color="#7f7f7f", name="A_t,j"), row=2, col=1)
    edges = [t * trace.snippet_len for t in range(T)] + [trace.num_frames]
    gx, gy = [0.0], [0.0]
    for s, e in trace.intervals:
        gx += [s, s, e, e]
        gy += [0, 1, 1, 0]
    fig.add_trace(go.Scatter(x=gx + [trace.num_frames], y=gy + [0.0], mode="lines", fill="tozeroy",
                             line=dict(width=0), fillcolor=GT_FILL, name="ground truth"), row=2, col=2)
    fig.add_trace(go.Scatter(x=edges, y=[float(s) for s in trace.scores] + [float(trace.scores[-1])], mode="lines",
                             line=dict(shape="hv", color=SCORE_COLOR), name="score"), row=2, col=2)
    fig.add_trace(go.Scatter(x=[0, 0], y=[0, 1], mode="lines", line=dict(color="black", dash="dot"), name="snippet t"),
                  row=2, col=2)
    frames, steps = [], []
    for t in range(T):
        f0 = t * trace.snippet_len
        frames.append(go.Frame(name=str(t), traces=[0, 1, 3, 6], data=[
            go.Image(source=image_data_uri(_frame_image(trace, t, scale))),
            go.Bar(y=sa2_y(t), hovertext=hover(t)),
            go.Bar(y=attn_y(t)),
            go.Scatter(x=[f0, f0], y=[0, 1])]))
        steps.append(dict(label=str(t), method="animate",
                          args=[[str(t)], dict(mode="immediate", frame=dict(duration=0, redraw=True),
                                               transition=dict(duration=0))]))
    fig.frames = frames
    height = 700
    fig.update_layout(
        height=height, showlegend=False, margin=dict(l=50, r=20, t=100, b=30),
        sliders=[dict(active=0, steps=steps, currentvalue=dict(prefix="snippet t = "), pad=dict(t=50), x=0.0,
                      len=1.0)])
    set_title(fig, f"{trace.video_id} ({trace.class_name})", height)
    fig.update_annotations(font_size=SUBPLOT_TITLE_SIZE)
    fig.update_xaxes(visible=False, row=1, col=1)
    fig.update_yaxes(visible=False, row=1, col=1)
    fig.update_xaxes(title_text="patch, by motion rank", row=1, col=2)
    top = max(2.0 / K, float(np.max(trace.sa2_weights)) if trace.sa2_weights is not None else 0.0)
    fig.update_yaxes(title_text="weight a_t,k", range=[0, min(1.0, 1.1 * top)], row=1, col=2)
    fig.update_xaxes(title_text="snippet j", row=2, col=1)
    fig.update_yaxes(title_text="weight A_t,j", range=[0, 1.02], row=2, col=1)
    fig.update_xaxes(title_text="frame", range=[0, trace.num_frames], row=2, col=2)
    fig.update_yaxes(title_text="score p_t", range=[0, 1.02], row=2, col=2)
    return fig
