"""Event sizes: box share per frame, per video, terciles and quantiles."""

from __future__ import annotations

import numpy as np
import pytest

from stprompt_core.data.manifest import Manifest, VideoEntry
from stprompt_core.localize.event_size import frame_shares, size_quantiles, size_terciles, video_size

pytestmark = pytest.mark.pure


def _video(vid, label, boxes, split="test"):
    return VideoEntry(vid, f"{vid}.mp4", split, label, "fire" if label else "normal", 32,
                      [[0, 32]] if label else [], boxes=boxes, box_size=[100, 50])


def test_frame_shares_are_region_area_over_frame_area():
    v = _video("a", 1, {"3": [[0, 0, 50, 25]], "1": [[0, 0, 10, 10], [5, 0, 15, 10]]})
    # frame order: frame 1 is the union of two overlapping boxes (150 px), frame 3 a quarter of the frame
    assert frame_shares(v).tolist() == pytest.approx([150 / 5000, 0.25])
    assert video_size(v) == pytest.approx((0.03 + 0.25) / 2)
    assert video_size(_video("n", 0, {})) is None


def test_terciles_split_anomalous_videos_by_size_and_leave_normal_ones_out():
    videos = [_video(f"v{i}", 1, {"0": [[0, 0, 10 * (i + 1), 10]]}) for i in range(6)]
    videos += [_video("n0", 0, {}), _video("t0", 1, {"0": [[0, 0, 100, 50]]}, split="train")]
    t = size_terciles(Manifest("synthvad", videos), "test")
    assert t["groups"] == {"small": ["v0", "v1"], "medium": ["v2", "v3"], "large": ["v4", "v5"]}
    assert t["edges"] == [0.04, 0.08]


def test_quantiles_match_numpy_over_every_annotated_frame():
    rng = np.random.default_rng(0)
    videos = []
    for i in range(5):
        w = rng.integers(5, 100, size=4)
        videos.append(_video(f"v{i}", 1, {str(f): [[0, 0, int(w[f]), 50]] for f in range(4)}))
    shares = np.concatenate([frame_shares(v) for v in videos])
    q = size_quantiles(Manifest("synthvad", videos), "test", edges=(0.0, 0.5, 1.0))
    assert q["frames"] == 20 and q["median"] == pytest.approx(np.median(shares), abs=1e-4)
    assert q["p90"] == pytest.approx(np.percentile(shares, 90), abs=1e-4)
    assert sum(q["histogram"]["fraction"]) == pytest.approx(1.0)
