"""SynthVAD end to end: the tiny preset renders, validates, decodes and is deterministic."""

from __future__ import annotations

import hashlib
from pathlib import Path

import av
import numpy as np
import pytest

from stprompt_core.classes import class_labels
from stprompt_core.data.manifest import Manifest, load_manifest
from stprompt_core.offline.synthvad import caption_at, generate, get_preset, plan

# Phrases that name each anomaly in captions; none may appear on a normal frame.
ANOMALY_WORDS = {
    "fighting": ("fighting",),
    "falling": ("falling down", "lying", "getting up"),
    "chasing": ("chasing",),
    "fire": ("fire burning", "explosion"),
    "crash": ("crash",),
    "abandoned": ("abandoned bag", "leaving a bag"),
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest]:
    out = tmp_path_factory.mktemp("synth_tiny")
    manifest = generate("tiny", out, seed=0, workers=1)
    return out, manifest


def _decode(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])


def test_tiny_manifest_validates_and_covers_every_class(tiny):
    out, manifest = tiny
    loaded = load_manifest(out / "manifest.json")
    assert loaded.dataset == "synthvad"
    assert len(loaded.videos) == get_preset("tiny").num_videos
    assert {v.cls for v in loaded.split("train")} == set(class_labels("synthvad"))
    for split in ("train", "test"):
        assert {v.label for v in loaded.split(split)} == {0, 1}
    for v in loaded.videos:
        assert not Path(v.path).is_absolute() and (out / v.path).is_file()
        assert v.sha256 == hashlib.sha256((out / v.path).read_bytes()).hexdigest()


def test_decoded_frames_match_manifest(tiny):
    out, manifest = tiny
    for v in manifest.videos:
        frames = _decode(out / v.path)
        assert frames.shape == (v.num_frames, v.box_size[1], v.box_size[0], 3), v.id
        assert v.num_frames % 16 == 0


def test_boxes_lie_inside_frames_and_only_on_anomalous_frames(tiny):
    _, manifest = tiny
    for v in manifest.videos:
        labels = v.frame_labels()
        if v.label == 0:
            assert v.intervals == [] and not v.boxes, v.id
            continue
        assert v.intervals, v.id
        assert {int(k) for k in v.boxes} == set(np.flatnonzero(labels).tolist()), v.id
        w, h = v.box_size
        for boxes in v.boxes.values():
            for x1, y1, x2, y2 in boxes:
                assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h, (v.id, boxes)
        for start, end in v.intervals:
            assert 0 <= start < end <= v.num_frames


def test_every_frame_has_a_caption_that_names_the_anomaly_exactly_when_anomalous(tiny):
    _, manifest = tiny
    all_words = [w for words in ANOMALY_WORDS.values() for w in words]
    for v in manifest.videos:
        labels = v.frame_labels()
        assert "0" in v.captions
        for t in range(v.num_frames):
            caption = caption_at(v.captions, t)
            if labels[t]:
                assert any(w in caption for w in ANOMALY_WORDS[v.cls]), (v.id, t, caption)
            else:
                assert not any(w in caption for w in all_words), (v.id, t, caption)


def test_same_seed_same_dataset_across_worker_counts(tiny, tmp_path):
    out, manifest = tiny
    again = generate("tiny", tmp_path / "again", seed=0, workers=2)
    assert (tmp_path / "again" / "manifest.json").read_bytes() == (out / "manifest.json").read_bytes()
    first = again.videos[len(again.videos) // 2]
    np.testing.assert_array_equal(_decode(out / first.path), _decode(tmp_path / "again" / first.path))


def test_other_seed_other_dataset(tiny, tmp_path):
    _, manifest = tiny
    other = plan(get_preset("tiny"), seed=1)
    same = plan(get_preset("tiny"), seed=0)
    assert [s.id for s in other] == [v.id for v in manifest.videos]
    assert other != same


def test_cli_entry_renders_tiny(tmp_path, capsys):
    from stprompt_core.cli import main

    out = tmp_path / "cli"
    assert main(["synthvad", "--preset", "tiny", "--out", str(out), "--seed", "2", "--workers", "1"]) == 0
    assert load_manifest(out / "manifest.json").videos
    assert "synthvad tiny" in capsys.readouterr().out


def test_cli_rejects_unknown_preset_and_knob(tmp_path, capsys):
    from stprompt_core.cli import main

    assert main(["synthvad", "--preset", "huge", "--out", str(tmp_path)]) == 2
    assert "workshop" in capsys.readouterr().err
    assert main(["synth", "--preset", "tiny", "--out", str(tmp_path), "--set", "clutterr=2"]) == 2
    assert "clutter" in capsys.readouterr().err
