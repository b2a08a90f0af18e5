"""The landing page's picture is the frame of highest score in the build's annotated video."""

import json

import numpy as np
import pytest
from PIL import Image

from stprompt_core.book.build import LANDING, landing_markdown
from stprompt_core.video.write import write_mp4

pytestmark = pytest.mark.pure  # no model, no features


def test_the_peak_frame_of_notebook_06s_video_is_shown(tmp_path):
    folder = tmp_path / "run" / "detect" / "clip"
    folder.mkdir(parents=True)
    levels = [20] * 16 + [230] * 8 + [20] * 8  # frames 16-23 are the peak snippet, bright
    write_mp4(folder / "annotated.mp4", (np.full((64, 64, 3), v, np.uint8) for v in levels))
    score = [0.1] * 16 + [0.9] * 8 + [0.2] * 8
    (folder / "scores.json").write_text(json.dumps({"score": score, "time_s": [i / 25 for i in range(32)],
                                                    "threshold": 0.5}))
    static = tmp_path / "static"
    static.mkdir()
    md = landing_markdown(tmp_path / "run", static)
    assert md.startswith(f"```{{figure}} _static/{LANDING}") and "0.8 s into `clip`" in md  # frame 20 of 25 fps
    assert np.asarray(Image.open(static / LANDING)).mean() > 200  # a frame of the bright, peak snippet
    assert "the box around the largest warm region" in md
    (folder / "scores.json").write_text(json.dumps({"score": score, "time_s": [i / 25 for i in range(32)],
                                                    "threshold": 0.95}))
    md = landing_markdown(tmp_path / "run", static)
    assert "stays under the run's threshold (0.90 < 0.95), so nothing is boxed" in md and "largest warm" not in md


def test_without_notebook_06s_video_the_page_says_so(tmp_path):
    assert "No picture" in landing_markdown(tmp_path, tmp_path)
