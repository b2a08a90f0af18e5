"""Figures: what each function draws, on small hand-made inputs."""

import numpy as np
import plotly.graph_objects as go

from stprompt_core.data.manifest import Manifest, VideoEntry
from stprompt_core.figures import (SnippetView, explorer_figure, explorer_widget, metrics_table,
                                   motion_patches_figure, per_class_auc_figure, roc_pr_figure, score_curves_figure)
from stprompt_core.figures.explorer import score_svg


def _data():
    manifest = Manifest("synthvad", [
        VideoEntry("a", "a.mp4", "test", 1, "fire", 32, [[8, 20]]),
        VideoEntry("n", "n.mp4", "test", 0, "normal", 32, []),
    ])
    scores = {"a": {"label": 1, "class_name": "fire", "num_frames": 32, "snippet_len": 16, "snippet_scores": [0.9, 0.2]},
              "n": {"label": 0, "class_name": "normal", "num_frames": 32, "snippet_len": 16, "snippet_scores": [0.1, 0.3]}}
    return manifest, scores


def test_score_curves_one_panel_per_video_with_gt_shaded():
    manifest, scores = _data()
    fig = score_curves_figure(scores, manifest)
    assert len(fig.data) == 2 and fig.data[0].y.shape == (32,)
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(rects) == 1 and (rects[0].x0, rects[0].x1) == (8, 20)


def test_roc_pr_and_per_class():
    manifest, scores = _data()
    fig = roc_pr_figure(scores, manifest, {"auc": 0.7, "ap": 0.5})
    assert isinstance(fig, go.Figure) and "AUC 0.700" in fig.layout.annotations[0].text
    bars = per_class_auc_figure({"auc": 0.7, "per_class_auc": {"fire": 0.8, "crash": None}})
    assert list(bars.data[0].x) == ["fire"]
    assert metrics_table({"auc": 0.7, "ap": 0.5, "far": None}).index.tolist() == ["auc", "ap"]


def test_motion_patches_figure_one_image_per_frame():
    frames = np.zeros((3, 16, 16, 3), np.uint8)
    boxes = np.array([[x, y, x + 8, y + 8] for y in (0, 8) for x in (0, 8)], np.float32)
    fig = motion_patches_figure(frames, boxes, np.array([[0], [1], [3]]), np.random.rand(3, 4))
    assert len(fig.data) == 3 and fig.data[0].source.startswith("data:image/jpeg;base64,")


def _views(n=2, T=3):
    return [SnippetView(f"v{i}", "fire", 16, T * 16, [[16, 32]], np.zeros((T, 12, 16, 3), np.uint8),
                        np.full((T, 12, 16), 0.7, np.float32), np.linspace(0, 1, T).astype(np.float32),
                        [[[1, 1, 5, 5]]] * T, [[]] * T) for i in range(n)]


def test_explorer_figure_frames_slider_and_dropdown():
    fig = explorer_figure(_views())
    assert len(fig.data) == 8 and len(fig.frames) == 6
    assert fig.frames[4].name == "v1/1" and list(fig.frames[4].traces) == [4, 7]
    buttons = fig.layout.updatemenus[0].buttons
    assert list(buttons[1].args[0]["visible"]) == [False] * 4 + [True] * 4
    assert len(fig.layout.sliders) == 1 and len(fig.layout.sliders[0].steps) == 3


def test_explorer_widget_updates_with_the_controls():
    box = explorer_widget(_views())
    dropdown, slider = box.children[0].children
    image, info = box.children[1].children
    before = image.value
    dropdown.value = "v1"
    assert "v1" in info.value and slider.value == 0
    slider.value = 2
    assert "snippet 2" in info.value and bytes(image.value)[:4] == bytes(before)[:4] == b"\x89PNG"


def test_score_svg_marks_the_snippet():
    svg = score_svg(_views(1)[0], 2, width=100, height=50)
    assert svg.startswith("<svg") and "<line" in svg and "polyline" in svg
