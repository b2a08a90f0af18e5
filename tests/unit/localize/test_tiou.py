import math

import numpy as np
import pytest

from stprompt_core.localize.tiou import region_iou, scale_boxes, tiou, union_area


def test_perfect_box_is_one_and_disjoint_is_zero():
    box = [[10, 20, 110, 220]]
    assert region_iou(box, box) == 1.0
    assert region_iou([[0, 0, 10, 10]], [[20, 20, 30, 30]]) == 0.0
    assert region_iou([[0, 0, 10, 10]], [[10, 0, 20, 10]]) == 0.0  # touching edges share no area


def test_half_overlap_by_hand():
    # pred [0,10]x[0,10] (100), gt shifted by 5 in x: overlap 5x10 = 50, union 150 -> 1/3
    assert region_iou([[0, 0, 10, 10]], [[5, 0, 15, 10]]) == pytest.approx(1 / 3)
    # gt inside pred covering half of it: overlap 50, union 100 -> 1/2
    assert region_iou([[0, 0, 10, 10]], [[0, 0, 5, 10]]) == pytest.approx(0.5)


def test_several_boxes_compare_as_regions():
    # two gt boxes of 100 each; a prediction covering exactly one of them -> 100 / 200
    gt = [[0, 0, 10, 10], [20, 0, 30, 10]]
    assert region_iou([[0, 0, 10, 10]], gt) == pytest.approx(0.5)
    # overlapping predicted boxes count their union once: [0,15]x[0,10] = 150 vs gt [0,10]: 100/150
    assert union_area(np.array([[0, 0, 10, 10], [5, 0, 15, 10]])) == 150
    assert region_iou([[0, 0, 10, 10], [5, 0, 15, 10]], [[0, 0, 10, 10]]) == pytest.approx(100 / 150)


def test_no_prediction_counts_zero():
    assert region_iou([], [[0, 0, 10, 10]]) == 0.0


def test_below_threshold_frame_contributes_zero():
    ious, scores = [1.0, 0.5, 1.0, 0.25], [0.9, 0.6, 0.4, 0.5]
    # frame 3 (score 0.4) is below 0.5 and counts 0; score 0.5 passes (>=)
    assert tiou(ious, scores, 0.5) == pytest.approx((1.0 + 0.5 + 0.0 + 0.25) / 4)
    assert tiou(ious, scores, 0.95) == 0.0
    assert tiou(ious, scores, 0.0) == pytest.approx(np.mean(ious))
    assert math.isnan(tiou([], [], 0.5))
    with pytest.raises(ValueError, match="differ in length"):
        tiou([1.0], [0.5, 0.5], 0.5)


def test_box_scaling_from_320x240():
    gt = [[32, 24, 160, 120]]
    np.testing.assert_allclose(scale_boxes(gt, (320, 240), (640, 480)), [[64, 48, 320, 240]])
    np.testing.assert_allclose(scale_boxes(gt, (320, 240), (128, 96)), [[12.8, 9.6, 64, 48]])
    # a prediction made on the decoded frame matches the scaled ground truth exactly
    assert region_iou([[64, 48, 320, 240]], scale_boxes(gt, (320, 240), (640, 480))) == 1.0


def test_malformed_box_is_rejected():
    with pytest.raises(ValueError, match="x1 <= x2"):
        region_iou([[10, 0, 0, 10]], [[0, 0, 10, 10]])
