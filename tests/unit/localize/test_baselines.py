"""Prompt-free localization baselines and the localizer's pointing, on hand-made frames."""

from __future__ import annotations

import numpy as np
import pytest

from stprompt_core.localize.baselines import (centred_box, motion_box, paired_tiou_difference, pointing,
                                              prompt_free_boxes, random_patch, view_box)
from stprompt_core.localize.tiou import tiou

pytestmark = pytest.mark.pure

# a 2x2 grid of 10-px patches over a 20x20 view; patch 3 has zero area (outside the crop)
PATCHES = np.array([[0, 0, 10, 10], [10, 0, 20, 10], [0, 10, 10, 20], [10, 10, 10, 10]], float)


def test_view_centred_and_motion_boxes():
    assert view_box(PATCHES) == [0, 0, 20, 20]
    assert centred_box([0, 0, 20, 20], 0.25) == [5, 5, 15, 15]
    assert motion_box(PATCHES, np.array([0.1, 0.9, 0.8, 0.0]), k=2) == [0, 0, 20, 20]  # patches 1 and 2
    assert motion_box(PATCHES, np.array([0.5, 0.5, 0.1, 0.0]), k=1) == [0, 0, 10, 10]  # tie: lower index


def test_random_patch_is_a_live_patch_fixed_by_video_and_frame():
    draws = {tuple(random_patch(PATCHES, "v", f)) for f in range(50)}
    assert draws <= {tuple(p) for p in PATCHES[:3]} and len(draws) == 3
    assert random_patch(PATCHES, "v", 7) == random_patch(PATCHES, "v", 7)
    assert set(prompt_free_boxes(PATCHES, np.zeros(4), "v", 0)) == {"whole view", "centred box", "motion", "random patch"}


def test_pointing_counts_ties_and_never_points_outside_the_view():
    gt = [[0, 0, 12, 12]]  # holds the centre of patch 0 only
    assert pointing(np.array([0.9, 0.1, 0.1, 1.0]), PATCHES, gt) == (1.0, pytest.approx(1 / 3), 1)  # patch 3 is dead
    point, chance, ties = pointing(np.array([1.0, 1.0, 0.2, 0.0]), PATCHES, gt)  # patches 0 and 1 tie
    assert (point, ties) == (0.5, 2)


def test_paired_tiou_difference_matches_tiou_and_resamples_videos():
    ids = ["a", "a", "b", "c"]
    ia, ib = [0.5, 0.7, 0.2, 0.0], [0.1, 0.1, 0.4, 0.0]
    passed = [True, False, True, True]
    d = paired_tiou_difference(ids, ia, ib, passed, n_resamples=500)
    scores = [1.0 if p else 0.0 for p in passed]
    assert d["diff"] == pytest.approx(tiou(ia, scores, 0.5) - tiou(ib, scores, 0.5))
    assert d["low"] <= d["diff"] <= d["high"] and d["n_videos"] == 3
    same = paired_tiou_difference(ids, ia, ia, passed, n_resamples=50)
    assert same["low"] == same["high"] == 0.0
