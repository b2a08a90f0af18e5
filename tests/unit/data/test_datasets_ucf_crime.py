"""UCF-Crime parser on a fake release in the official formats."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from stprompt_core.data.datasets import AnnotationError, SplitCount, check_dataset, index_dataset, write_manifest
from stprompt_core.data.datasets.ucf_crime import build_manifest
from stprompt_core.data.manifest import load_manifest

TEMPORAL = "Temporal_Anomaly_Annotation_for_Testing_Videos.txt"
FIXTURE_COUNTS = {"train": SplitCount(3, 2, 1), "test": SplitCount(2, 1, 1)}


def test_builds_splits_classes_paths_and_labels(ucf_root: Path) -> None:
    m = build_manifest(ucf_root)
    v = m.by_id()
    assert m.dataset == "ucf_crime"
    assert [x.id for x in m.split("train")] == ["Abuse001_x264", "RoadAccidents001_x264", "Normal_Videos001_x264"]
    assert [(x.cls, x.label) for x in m.split("train")] == [("Abuse", 1), ("RoadAccidents", 1), ("Normal", 0)]
    assert [(x.id, x.cls, x.label) for x in m.split("test")] == [("Arson011_x264", "Arson", 1),
                                                                 ("Normal_Videos_003_x264", "Normal", 0)]
    # paths are where the files are, not where the split list says
    assert v["Abuse001_x264"].path == "Anomaly-Videos-Part-1/Abuse/Abuse001_x264.mp4"
    assert v["Normal_Videos001_x264"].path == "Training-Normal-Videos-Part-1/Normal_Videos001_x264.mp4"
    assert all((ucf_root / x.path).is_file() for x in m.videos)
    assert all(x.num_frames is None and x.sha256 is None for x in m.videos)


def test_inclusive_end_frames_become_half_open(ucf_root: Path) -> None:
    v = build_manifest(ucf_root).by_id()
    assert v["Arson011_x264"].intervals == [[150, 421], [680, 1268]]
    assert v["Normal_Videos_003_x264"].intervals == []
    assert v["Abuse001_x264"].intervals == []  # training videos: video-level labels only
    gt = v["Arson011_x264"].frame_labels(1300)
    assert gt[149] == 0 and gt[150] == 1 and gt[420] == 1 and gt[421] == 0 and gt[1267] == 1


def test_boxes_are_keyed_by_frame_in_320x240(ucf_root: Path) -> None:
    v = build_manifest(ucf_root).by_id()["Arson011_x264"]
    assert v.boxes == {"160": [[10.0, 20.0, 100.0, 200.0], [5.0, 5.0, 6.0, 6.0]],
                       "176": [[12.5, 20.0, 110.0, 210.0]]}
    assert v.box_size == [320, 240]
    assert build_manifest(ucf_root).by_id()["Normal_Videos_003_x264"].boxes is None


def test_manifest_round_trips_through_load_manifest(ucf_root: Path, tmp_path: Path) -> None:
    m = index_dataset("ucf_crime", ucf_root, with_frames=True, with_sha256=True).manifest
    back = write_manifest(m, tmp_path / "m.json")
    assert back.to_dict() == m.to_dict()
    assert {x.num_frames for x in back.videos} == {8}
    assert all(len(x.sha256) == 64 for x in back.videos)
    assert load_manifest(tmp_path / "m.json").by_id()["Arson011_x264"].boxes["176"]


def test_counts_pass_with_override_and_fail_against_official_numbers(ucf_root: Path) -> None:
    m = build_manifest(ucf_root)
    assert check_dataset(m, ucf_root, expected_counts=FIXTURE_COUNTS).ok
    report = check_dataset(m, ucf_root)  # official: 1610 / 290
    assert not report.ok
    assert {p.where for p in report.problems if p.kind == "count"} == {"train", "test"}


def _rewrite(root: Path, name: str, text: str) -> None:
    (root / name).write_text(text, encoding="utf-8")


@pytest.mark.parametrize("line2, message", [
    ("Normal_Videos_003_x264.mp4  Normal  -1  -1  -1", f"{TEMPORAL}:2: expected 6 fields"),
    ("Normal_Videos_003_x264.mp4  Burning  1  2  -1  -1", f"{TEMPORAL}:2: unknown class 'Burning'"),
    ("Normal_Videos_003_x264.mp4  Normal  -1  5  -1  -1", f"{TEMPORAL}:2: interval \\(-1, 5\\)"),
    ("Normal_Videos_003_x264.mp4  Normal  9  5  -1  -1", f"{TEMPORAL}:2: interval \\(9, 5\\) ends before"),
    ("Normal_Videos_003_x264.mp4  Normal  1  5  -1  -1", f"{TEMPORAL}:2: Normal video"),
    ("Arson011_x264.mp4  Arson  1  5  -1  -1", f"{TEMPORAL}:2: video 'Arson011_x264' already annotated on line 1"),
])
def test_bad_annotation_lines_name_file_and_line(ucf_root: Path, line2: str, message: str) -> None:
    _rewrite(ucf_root, TEMPORAL, "Arson011_x264.mp4  Arson  150  420  680  1267\n" + line2 + "\n")
    with pytest.raises(AnnotationError, match=message):
        build_manifest(ucf_root)


def test_test_list_must_match_the_annotation(ucf_root: Path) -> None:
    test_list = next(ucf_root.rglob("Anomaly_Test.txt"))
    test_list.write_text("Arson/Arson011_x264.mp4\nArson/Arson099_x264.mp4\n")
    with pytest.raises(AnnotationError, match=r"Anomaly_Test.txt:2: 'Arson099_x264' has no line"):
        build_manifest(ucf_root)
    test_list.unlink()  # optional: without it the official folders are assumed
    notes: list[str] = []
    m = build_manifest(ucf_root, notes=notes)
    assert m.by_id()["Normal_Videos_003_x264"].path == "Testing_Normal_Videos_Anomaly/Normal_Videos_003_x264.mp4"
    assert any("Anomaly_Test.txt not found" in n for n in notes)


def test_train_line_with_unknown_class(ucf_root: Path) -> None:
    train = next(ucf_root.rglob("Anomaly_Train.txt"))
    train.write_text("Abuse/Abuse001_x264.mp4\nPicnic/Picnic001_x264.mp4\n")
    with pytest.raises(AnnotationError, match=r"Anomaly_Train.txt:2: cannot tell the class of 'Picnic/Picnic001"):
        build_manifest(ucf_root)


def test_missing_release_file_is_named(ucf_root: Path) -> None:
    next(ucf_root.rglob("Anomaly_Train.txt")).unlink()
    with pytest.raises(FileNotFoundError, match="Anomaly_Train.txt"):
        build_manifest(ucf_root)


def test_boxes_from_json_and_explicit_path(ucf_root: Path, tmp_path: Path) -> None:
    (ucf_root / "ucf_crime_boxes.pkl").unlink()
    other = tmp_path / "converted.json"
    other.write_text(json.dumps({"Arson/Arson011_x264.mp4": [["000032.jpg", 1, 2, 3, 4]]}))
    assert build_manifest(ucf_root).by_id()["Arson011_x264"].boxes is None
    assert build_manifest(ucf_root, boxes=other).by_id()["Arson011_x264"].boxes == {"32": [[1.0, 2.0, 3.0, 4.0]]}


def test_numpy_boxes_pickle_is_refused(ucf_root: Path) -> None:
    (ucf_root / "ucf_crime_boxes.pkl").write_bytes(
        pickle.dumps({"Arson011_x264": [["000160.jpg", np.float32(1), 2, 3, 4]]}))
    with pytest.raises(ValueError, match=r"ucf_crime_boxes.pkl: refusing to unpickle numpy"):
        build_manifest(ucf_root)


@pytest.mark.parametrize("boxes, message", [
    ({"Normal_Videos_003_x264": [["000016.jpg", 1, 2, 3, 4]]}, "not an abnormal test video"),
    ({"Arson011_x264": [["cover.jpg", 1, 2, 3, 4]]}, "no frame number in image name 'cover.jpg'"),
    ({"Arson011_x264": [["000016.jpg", 1, 2, 3]]}, "expected \\[image, x1, y1, x2, y2\\]"),
    ([1, 2], "expected a dict"),
])
def test_bad_boxes_are_explained(ucf_root: Path, boxes: object, message: str) -> None:
    (ucf_root / "ucf_crime_boxes.pkl").write_bytes(pickle.dumps(boxes))
    with pytest.raises(AnnotationError, match=message):
        build_manifest(ucf_root)
