"""Paired bootstrap of AUC differences (stprompt_core.compare) against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from stprompt_core.compare import frame_units, paired_difference, resample_videos, weighted_auc
from stprompt_core.metrics import VideoScores

pytestmark = pytest.mark.pure  # no model, no features


def _videos(seed: int, n: int = 12, shift: float = 1.0) -> list[VideoScores]:
    """``n`` videos of snippet-constant scores (ties inside and across videos), half anomalous."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        T = int(rng.integers(3, 7)) * 4
        gt = np.zeros(T, np.int64)
        if i % 2:
            a = int(rng.integers(0, T - 4))
            gt[a : a + 4] = 1
        snippet = np.round(rng.normal(size=T // 4), 1)  # rounded: ties across videos
        scores = np.repeat(snippet, 4) + shift * gt
        out.append(VideoScores(f"v{i}", int(i % 2), "fighting" if i % 2 else "normal", scores, gt))
    return out


def _pooled_auc(videos: list[VideoScores], counts: np.ndarray) -> float:
    """AUC of the frames with each video repeated ``counts[i]`` times, by scikit-learn."""
    gt = np.concatenate([np.tile(v.gt, int(c)) for v, c in zip(videos, counts)])
    sc = np.concatenate([np.tile(v.scores, int(c)) for v, c in zip(videos, counts)])
    return float(roc_auc_score(gt, sc))


def test_weighted_auc_equals_sklearn_on_frames_and_on_resamples():
    videos = _videos(0)
    units = frame_units(videos)
    assert units.count.sum() == sum(v.scores.size for v in videos)
    ones = np.ones((1, len(videos)))
    assert weighted_auc(units, ones)[0] == pytest.approx(_pooled_auc(videos, ones[0]), abs=1e-12)
    mult = resample_videos(len(videos), 20, seed=3)
    got = weighted_auc(units, mult)
    for row, value in zip(mult, got):
        if any(v.label for v, c in zip(videos, row) if c) and any(not v.label for v, c in zip(videos, row) if c):
            assert value == pytest.approx(_pooled_auc(videos, row), abs=1e-12)
        else:
            assert np.isnan(value)


def test_resamples_draw_every_video_count_once_per_slot():
    mult = resample_videos(7, 50, seed=1)
    assert mult.shape == (50, 7)
    assert np.all(mult.sum(axis=1) == 7)
    assert np.array_equal(mult, resample_videos(7, 50, seed=1))


def test_paired_difference_of_a_better_run_excludes_zero_and_is_antisymmetric():
    good, weak = _videos(5, n=40, shift=2.0), _videos(5, n=40, shift=0.3)
    d = paired_difference(good, weak, n_resamples=400)
    assert d["diff"] == pytest.approx(d["auc_a"] - d["auc_b"])
    assert d["auc_a"] == pytest.approx(_pooled_auc(good, np.ones(40)))
    assert 0 < d["low"] <= d["diff"] <= d["high"]
    back = paired_difference(weak, good, n_resamples=400)
    assert back["low"] == pytest.approx(-d["high"]) and back["high"] == pytest.approx(-d["low"])
    same = paired_difference(good, list(reversed(good)), n_resamples=100)  # matched by id, not order
    assert same["diff"] == 0 and same["low"] == 0 and same["high"] == 0


def test_paired_difference_refuses_different_videos_or_ground_truth():
    a = _videos(1)
    with pytest.raises(ValueError, match="same test videos"):
        paired_difference(a, a[:-1])
    b = _videos(1)
    b[1] = VideoScores(b[1].video_id, 1, "fighting", b[1].scores, 1 - b[1].gt)
    with pytest.raises(ValueError, match="different ground truth"):
        paired_difference(a, b)
