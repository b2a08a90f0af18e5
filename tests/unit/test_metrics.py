import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from stprompt_core.metrics import VideoScores, expand_to_frames, frame_metrics, macro_auc

pytestmark = pytest.mark.pure  # no model, no features


def _videos():
    rng = np.random.default_rng(0)
    out = []
    for i, (label, cls) in enumerate([(0, "normal"), (0, "normal"), (1, "fire"), (1, "crash"), (1, "fire")]):
        n = 50 + 10 * i
        gt = np.zeros(n, int)
        if label:
            gt[10:30] = 1
        scores = np.clip(rng.random(n) * 0.6 + 0.4 * gt, 0, 1)
        out.append(VideoScores(f"v{i}", label, cls, scores, gt))
    return out


def test_metrics_equal_sklearn():
    vids = _videos()
    m = frame_metrics(vids, far_threshold=0.5, ubnormal=True)
    gt = np.concatenate([v.gt for v in vids])
    sc = np.concatenate([v.scores for v in vids])
    assert m["auc"] == roc_auc_score(gt, sc)
    assert m["ap"] == average_precision_score(gt, sc)
    ab = [v for v in vids if v.label]
    assert m["auc_abnormal"] == roc_auc_score(np.concatenate([v.gt for v in ab]), np.concatenate([v.scores for v in ab]))
    normal_scores = np.concatenate([v.scores for v in vids if not v.label])
    assert m["far"] == np.mean(normal_scores > 0.5)
    fire = [v for v in vids if v.class_name in ("normal", "fire")]
    assert m["per_class_auc"]["fire"] == roc_auc_score(np.concatenate([v.gt for v in fire]),
                                                       np.concatenate([v.scores for v in fire]))
    assert set(m["per_class_auc"]) == {"fire", "crash"}
    assert m["auc_micro"] == m["auc"]


def test_macro_auc_pads_with_zero_and_one():
    v = VideoScores("a", 0, "normal", np.array([0.9, 0.8]), np.array([0, 0]))
    # padded: gt [0,0,0,1], scores [0,0.9,0.8,1] -> the single positive outranks all -> 1.0
    assert macro_auc([v]) == 1.0
    w = VideoScores("b", 1, "x", np.array([0.2, 0.9]), np.array([1, 0]))
    # gt [0,1,0,1], scores [0,0.2,0.9,1]: positives {0.2,1}, negatives {0,0.9} -> pairs won 3/4
    assert macro_auc([w]) == 0.75
    assert macro_auc([v, w]) == (1.0 + 0.75) / 2


def test_expand_to_frames_repeats_and_fills_partial_snippet():
    out = expand_to_frames(np.array([0.1, 0.7]), 4, 10)
    assert out.tolist() == [0.1] * 4 + [0.7] * 4 + [0.7] * 2
    assert expand_to_frames(np.array([0.1, 0.7]), 4, 6).tolist() == [0.1] * 4 + [0.7] * 2
