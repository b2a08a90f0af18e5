import numpy as np

from stprompt_core.features.batching import Sequence, chunk, collate, fit_length, selected_motion
from stprompt_core.features.store import VideoFeatures


def _seq(T, D=2, K=1):
    frame = np.arange(T * D, dtype=np.float32).reshape(T, D)
    return Sequence("v", 1, 2, frame, np.repeat(frame[:, None], K, 1), np.arange(T, dtype=np.float32)[:, None])


def test_pool_averages_uniform_segments():
    out = fit_length(_seq(6), 3, "pool")
    # segments [0,2) [2,4) [4,6) of rows [0,1],[2,3],...
    np.testing.assert_allclose(out.frame, [[1, 2], [5, 6], [9, 10]])
    np.testing.assert_allclose(out.motion[:, 0], [0.5, 2.5, 4.5])


def test_sample_takes_segment_centres_and_short_videos_pass():
    out = fit_length(_seq(6), 3, "sample")
    np.testing.assert_allclose(out.motion[:, 0], [1, 3, 5])
    s = _seq(2)
    assert fit_length(s, 3) is s


def test_chunk_covers_every_snippet():
    parts = chunk(_seq(7), 3)
    assert [p.frame.shape[0] for p in parts] == [3, 3, 1]
    np.testing.assert_array_equal(np.concatenate([p.frame for p in parts]), _seq(7).frame)


def test_collate_pads_and_masks():
    b = collate([_seq(2), _seq(4)])
    assert b.frame.shape == (2, 4, 2) and b.mask.tolist() == [[True, True, False, False], [True] * 4]
    assert float(b.frame[0, 2:].abs().sum()) == 0.0


def test_selected_motion_gathers_stored_indices():
    v = VideoFeatures("v", 1, "fire", 4, 32, np.zeros((2, 2)), np.zeros((2, 2, 2)), np.array([[2, 0], [1, 2]]),
                      np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]))
    np.testing.assert_allclose(selected_motion(v), [[0.3, 0.1], [0.5, 0.6]])
