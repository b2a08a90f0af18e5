"""Figures: what each function draws, on small hand-made inputs."""

import numpy as np
import plotly.graph_objects as go
import pytest

from stprompt_core.data.manifest import Manifest, VideoEntry
from stprompt_core.figures import (ExplorerVideo, explorer_figure, explorer_widget, metrics_table,
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
    return [ExplorerVideo(f"v{i}", "fire", 16, T * 16, [[16, 32]], np.zeros((T, 12, 16, 3), np.uint8),
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


def test_metrics_table_keeps_counts_integers():
    table = metrics_table({"auc": 0.838009, "n_videos": 110, "n_frames": 21408})
    assert table.loc["n_videos", "value"] == 110 and isinstance(table.loc["n_videos", "value"], int)
    assert "110.0" not in table.to_string() and "0.838" in table.to_string()


def test_prompt_study_table_counts_stay_integers_beside_skipped_rows():
    from stprompt_core.figures import prompt_study_table

    rows = [{"variant": "curated", "n_normal": 13, "tiou": 0.080457, "status": "ok"},
            {"variant": "generated", "n_normal": None, "tiou": None, "status": "skipped"}]
    table = prompt_study_table(rows)
    assert str(table["n_normal"].dtype) == "Int64" and table.loc["curated", "n_normal"] == 13
    assert table.loc["curated", "tiou"] == 0.08 and "13.0" not in table.to_string()


def test_example_videos_one_per_class_abnormal_first():
    from stprompt_core.figures import example_videos

    scores = {v: {"label": int(c != "normal"), "class_name": c} for v, c in
              [("n1", "normal"), ("n0", "normal"), ("f1", "fire"), ("f0", "fire"), ("c0", "crash")]}
    assert example_videos(scores) == ["c0", "f0", "n0"]
    assert example_videos(scores, per_class=2) == ["c0", "f0", "f1", "n0", "n1"]


def test_score_curve_titles_leave_out_a_class_the_id_already_names():
    manifest, scores = _data()
    scores = {"test_fire_000": scores["a"]}
    manifest = Manifest("synthvad", [VideoEntry("test_fire_000", "a.mp4", "test", 1, "fire", 32, [[8, 20]])])
    fig = score_curves_figure(scores, manifest)
    assert fig.layout.annotations[0].text == "test_fire_000"


def _trace(T=3, K=2):
    from stprompt_core.figures import SnippetTrace

    boxes = np.array([[x, y, x + 8, y + 8] for y in (0, 8) for x in (0, 8)], np.float32)  # 2x2 grid of 8 px
    weights = np.array([[0.9, 0.1], [0.5, 0.5], [0.2, 0.8]], np.float32)[:T]
    attention = np.array([[0.6, 0.3, 0.1], [0.25, 0.5, 0.25], [0.1, 0.3, 0.6]], np.float32)[:T, :T]
    return SnippetTrace("test_fire_000", "fire", 16, 16 * T, [[16, 32]], np.zeros((T, 16, 16, 3), np.uint8), boxes,
                        np.array([[0, 3], [1, 2], [3, 0]])[:T], np.ones((T, K), np.float32), weights, attention,
                        np.array([0.1, 0.9, 0.4], np.float32)[:T])


def test_snippet_slider_one_frame_per_snippet_with_its_weights():
    from stprompt_core.figures import snippet_slider_figure

    trace = _trace()
    fig = snippet_slider_figure(trace)
    assert len(fig.data) == 7 and [f.name for f in fig.frames] == ["0", "1", "2"]
    frame = fig.frames[2]
    assert list(frame.traces) == [0, 1, 3, 6]
    image, sa2, attention, marker = frame.data
    assert image.source.startswith("data:image/jpeg;base64,")
    assert np.allclose(sa2.y, [0.2, 0.8]) and np.allclose(attention.y, [0.1, 0.3, 0.6])
    assert list(marker.x) == [32, 32]  # snippet 2 starts at frame 2 * 16
    assert [s.label for s in fig.layout.sliders[0].steps] == ["0", "1", "2"]
    assert list(fig.data[5].y) == pytest.approx([0.1, 0.9, 0.4, 0.4])  # score steps, last one held to the end


def test_snippet_slider_fills_the_heavier_patch_more():
    from stprompt_core.figures.snippet import _frame_image

    trace = _trace()
    img = _frame_image(trace, 0, scale=1).astype(int)  # patch 0 weight 0.9, patch 3 weight 0.1
    heavy, light = img[2:6, 2:6].mean(), img[10:14, 10:14].mean()
    assert heavy > light > 0  # both filled yellow over a black frame, the heavier one more


def test_snippet_slider_without_sa2_or_adapter_weights():
    from dataclasses import replace

    from stprompt_core.figures import snippet_slider_figure

    fig = snippet_slider_figure(replace(_trace(), sa2_weights=None, attention=None))
    assert list(fig.frames[1].data[1].y) == [0, 0] and list(fig.frames[1].data[2].y) == [0, 0, 0]


def test_heatmap_examples_pick_the_highest_and_lowest_scored_annotated_snippets():
    from stprompt_core.figures import heatmap_examples_figure

    views = _views(n=2, T=4)
    for v in views:
        v.gt_boxes = [[], [[1, 1, 4, 4]], [[1, 1, 4, 4]], [[1, 1, 4, 4]]]  # snippet 0 not annotated
        v.scores = np.array([0.99, 0.2, 0.9, 0.5], np.float32)
    fig = heatmap_examples_figure(views)
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["v0<br>t=2 · 0.90", "v0<br>t=1 · 0.20", "v1<br>t=2 · 0.90", "v1<br>t=1 · 0.20"]
    assert len(fig.data) == 4


def test_spread_takes_videos_class_by_class():
    from types import SimpleNamespace

    from stprompt_core.figures.explorer import _spread

    entries = {v: SimpleNamespace(cls=v.split("_")[0]) for v in ["a_0", "a_1", "a_2", "b_0", "c_0", "c_1"]}
    assert _spread(sorted(entries), entries) == ["a_0", "b_0", "c_0", "a_1", "c_1", "a_2"]
