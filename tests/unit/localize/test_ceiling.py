import itertools

import numpy as np
import pytest

from stprompt_core.localize.ceiling import grid_iou_ceiling
from stprompt_core.localize.retrieval import frame_patch_boxes
from stprompt_core.localize.tiou import region_iou
from stprompt_core.video.geometry import frame_geometry

GRID = frame_patch_boxes(None, (2, 3), (30, 20))  # 10x10 patches over a 30x20 frame


def test_patch_boxes_of_a_plain_grid():
    assert GRID.shape == (6, 4)
    np.testing.assert_allclose(GRID[0], [0, 0, 10, 10])
    np.testing.assert_allclose(GRID[5], [20, 10, 30, 20])  # row-major


def test_patch_boxes_follow_the_backbone_crop():
    # 160x120 frame, shortest side to 112: resized to 149 wide, 18 columns cropped on the left,
    # so the 7x7 grid covers frame x from 18 * 160 / 149 to 130 * 160 / 149
    boxes = frame_patch_boxes(frame_geometry((160, 120), (112, 112)), (7, 7), (160, 120))
    assert boxes.shape == (49, 4)
    assert boxes[:, 0].min() == pytest.approx(18 * 160 / 149, rel=1e-5)
    assert boxes[:, 2].max() == pytest.approx(130 * 160 / 149, rel=1e-5)
    assert boxes[:, 1].min() == 0 and boxes[:, 3].max() == pytest.approx(120)


def test_box_equal_to_a_patch_or_to_patches_reaches_one():
    assert grid_iou_ceiling([[10, 0, 20, 10]], GRID) == pytest.approx(1.0)
    assert grid_iou_ceiling([[0, 0, 20, 20]], GRID) == pytest.approx(1.0)


def test_small_box_inside_one_patch_by_hand():
    # 5x5 box in the middle of patch 0: best is that patch alone, 25 / 100
    assert grid_iou_ceiling([[2, 2, 7, 7]], GRID) == pytest.approx(0.25)


def test_box_over_patch_borders_by_hand():
    # box [5, 0, 25, 10] (200 px): patch 1 fully inside (100), patches 0 and 2 half (50 each).
    # patch 1 alone: 100 / 200 = 0.5; all three: 200 / (200 + 50 + 50) = 2/3
    assert grid_iou_ceiling([[5, 0, 25, 10]], GRID) == pytest.approx(2 / 3)


def test_ceiling_matches_brute_force_over_patch_sets():
    rng = np.random.default_rng(0)
    for _ in range(20):
        x1, y1 = rng.uniform(0, 25), rng.uniform(0, 15)
        gt = [[x1, y1, x1 + rng.uniform(1, 12), y1 + rng.uniform(1, 8)]]
        best = max(region_iou(GRID[list(s)], gt) for k in range(1, 7) for s in itertools.combinations(range(6), k))
        assert grid_iou_ceiling(gt, GRID) == pytest.approx(best)


def test_several_gt_boxes_and_empty_cases():
    # two patches exactly: the union of both is the answer
    assert grid_iou_ceiling([[0, 0, 10, 10], [20, 10, 30, 20]], GRID) == pytest.approx(1.0)
    assert grid_iou_ceiling([], GRID) == 0.0
    assert grid_iou_ceiling([[0, 0, 10, 10]], np.zeros((0, 4))) == 0.0
