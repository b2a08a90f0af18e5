"""UBnormal parser on a fake release."""

from __future__ import annotations

from pathlib import Path

import pytest

from stprompt_core.data.datasets import AnnotationError, SplitCount, check_dataset, write_manifest
from stprompt_core.data.datasets.ubnormal import build_manifest, parse_tracks

TRACKS = "Scene3/abnormal_scene_3_scenario_1_fog_annotations/abnormal_scene_3_scenario_1_fog_tracks.txt"


def test_splits_labels_and_paths(ubn_root: Path) -> None:
    m = build_manifest(ubn_root)
    assert [(x.id, x.split, x.label, x.cls) for x in m.videos] == [
        ("abnormal_scene_1_scenario_1", "train", 1, "abnormal"), ("normal_scene_1_scenario_2", "train", 0, "normal"),
        ("abnormal_scene_2_scenario_1", "val", 1, "abnormal"), ("normal_scene_2_scenario_2", "val", 0, "normal"),
        ("abnormal_scene_3_scenario_1_fog", "test", 1, "abnormal"), ("normal_scene_3_scenario_2", "test", 0, "normal")]
    assert m.by_id()["abnormal_scene_3_scenario_1_fog"].path == "Scene3/abnormal_scene_3_scenario_1_fog.mp4"


def test_tracks_become_merged_half_open_intervals(ubn_root: Path) -> None:
    v = build_manifest(ubn_root).by_id()
    assert v["abnormal_scene_3_scenario_1_fog"].intervals == [[10, 31], [40, 42]]
    assert v["abnormal_scene_2_scenario_1"].intervals == [[3, 7]]
    assert v["abnormal_scene_1_scenario_1"].intervals == []  # training: weak supervision


def test_round_trip_and_check(ubn_root: Path, tmp_path: Path) -> None:
    m = write_manifest(build_manifest(ubn_root), tmp_path / "ubn.json")
    counts = {s: SplitCount(2, 1, 1) for s in ("train", "val", "test")}
    assert check_dataset(m, ubn_root, expected_counts=counts).ok
    assert {p.kind for p in check_dataset(m, ubn_root).problems} == {"count"}  # official 268/64/211


def test_alternative_list_spelling(ubn_root: Path) -> None:
    (ubn_root / "scripts/normal_training_video_names.txt").rename(ubn_root / "scripts/normal_train_video_names.txt")
    assert len(build_manifest(ubn_root).split("train")) == 2


def test_missing_tracks_are_noted_and_fail_check(ubn_root: Path) -> None:
    (ubn_root / TRACKS).unlink()
    notes: list[str] = []
    m = build_manifest(ubn_root, notes=notes)
    assert any(TRACKS in n for n in notes)
    report = check_dataset(m, ubn_root, expected_counts={})
    assert report.files_with("annotation") == ["Scene3/abnormal_scene_3_scenario_1_fog.mp4"]


@pytest.mark.parametrize("text, message", [("1.0,2.0\n", ":1: expected 3 fields"),
                                           ("1,5,x\n", ":1: end_frame 'x' is not a number"),
                                           ("1,5,2.5\n", ":1: end_frame '2.5' is not a whole frame number"),
                                           ("1,0,3\n1,9,2\n", ":2: bad frame range 9..2")])
def test_bad_tracks_lines(ubn_root: Path, text: str, message: str) -> None:
    (ubn_root / TRACKS).write_text(text)
    with pytest.raises(AnnotationError, match="_tracks.txt" + message):
        build_manifest(ubn_root)


def test_whitespace_tracks_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "x_tracks.txt"
    path.write_text("1 0 3\n2 2 8\n")
    assert parse_tracks(path) == [[0, 9]]


def test_missing_list_and_duplicates(ubn_root: Path) -> None:
    (ubn_root / "scripts/normal_test_video_names.txt").write_text("normal_scene_2_scenario_2\n")
    with pytest.raises(AnnotationError, match="normal_test_video_names.txt:1: 'normal_scene_2_scenario_2' already"):
        build_manifest(ubn_root)
    (ubn_root / "scripts/normal_test_video_names.txt").unlink()
    with pytest.raises(FileNotFoundError, match="normal_test_video_names.txt"):
        build_manifest(ubn_root)
