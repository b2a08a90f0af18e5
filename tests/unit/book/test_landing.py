"""The landing page's picture is the frame of highest score in the build's annotated video."""

import json
import os

import numpy as np
import pytest
from PIL import Image

from stprompt_core.book.build import LANDING, landing_markdown
from stprompt_core.figures.detection_folder import DetectionFolder
from stprompt_core.video.write import write_mp4

pytestmark = pytest.mark.pure  # no model, no features


def _detection(run_dir, name, levels, score, threshold=0.5, mtime=None) -> DetectionFolder:
    """A detection folder with what the landing reads: the annotated video and the per-frame scores."""
    folder = DetectionFolder.default(f"{name}.mp4", run_dir)
    folder.root.mkdir(parents=True)
    write_mp4(folder.video, (np.full((64, 64, 3), v, np.uint8) for v in levels))
    folder.path(folder.SCORES).write_text(json.dumps({"score": score, "time_s": [i / 25 for i in range(len(score))],
                                                      "threshold": threshold}))
    if mtime is not None:
        os.utime(folder.video, (mtime, mtime))
    return folder


def test_the_peak_frame_of_notebook_06s_video_is_shown(tmp_path):
    levels = [20] * 16 + [230] * 8 + [20] * 8  # frames 16-23 are the peak snippet, bright
    score = [0.1] * 16 + [0.9] * 8 + [0.2] * 8
    folder = _detection(tmp_path / "run", "clip", levels, score)
    static = tmp_path / "static"
    static.mkdir()
    md = landing_markdown(tmp_path / "run", static)
    assert md.startswith(f"```{{figure}} _static/{LANDING}") and "0.8 s into `clip`" in md  # frame 20 of 25 fps
    assert np.asarray(Image.open(static / LANDING)).mean() > 200  # a frame of the bright, peak snippet
    assert "the box around the largest warm region" in md
    folder.path(folder.SCORES).write_text(json.dumps({"score": score, "time_s": [i / 25 for i in range(32)],
                                                      "threshold": 0.95}))
    md = landing_markdown(tmp_path / "run", static)
    assert "stays under the run's threshold (0.90 < 0.95), so nothing is boxed" in md and "largest warm" not in md


def test_of_two_detections_the_newest_gives_both_the_picture_and_its_caption(tmp_path):
    """A reused run holds an older detection whose name sorts first; its video must not be shown
    with the newer one's scores."""
    run = tmp_path / "run"
    # older, sorts first: bright at frames 0-7, scores peak at frame 4 (0.2 s)
    _detection(run, "a_older", [230] * 8 + [20] * 24, [0.9] * 8 + [0.1] * 24, mtime=1_000_000)
    # newer: dark everywhere but frames 16-23, where its scores peak (0.8 s)
    newer = _detection(run, "b_newer", [20] * 16 + [230] * 8 + [20] * 8, [0.1] * 16 + [0.9] * 8 + [0.2] * 8,
                       mtime=2_000_000)
    assert [f.name for f in DetectionFolder.in_run(run)] == ["b_newer", "a_older"]
    static = tmp_path / "static"
    static.mkdir()
    md = landing_markdown(run, static)
    assert "0.8 s into `b_newer`" in md and "a_older" not in md
    assert np.asarray(Image.open(static / LANDING)).mean() > 200  # frame 20 of the newer video (the older's is dark)
    os.utime(newer.video, (500_000, 500_000))  # now a_older is the newest
    md = landing_markdown(run, static)
    assert "0.2 s into `a_older`" in md and np.asarray(Image.open(static / LANDING)).mean() > 200  # its frame 4


def test_without_notebook_06s_video_the_page_says_so(tmp_path):
    assert "No picture" in landing_markdown(tmp_path, tmp_path)
