"""XD-Violence parser on a fake release."""

from __future__ import annotations

from pathlib import Path

import pytest

from stprompt_core.data.datasets import AnnotationError, SplitCount, check_dataset, write_manifest
from stprompt_core.data.datasets.xd_violence import build_manifest, labels_from_name


@pytest.mark.parametrize("name, labels", [("Movie__#1_label_A", ["A"]), ("v=x__#1_label_B2-0-0", ["B2"]),
                                          ("Bad.Boys.1995__#01-11-55_01-12-40_label_G-B2-B6", ["G", "B2", "B6"])])
def test_labels_from_name(name: str, labels: list[str]) -> None:
    assert labels_from_name(name) == labels


@pytest.mark.parametrize("name", ["Movie__#1", "Movie__#1_label_B3-0-0", "Movie__#1_label_A-B1-0", "x_label_0-0-0"])
def test_bad_label_names(name: str) -> None:
    with pytest.raises(ValueError, match="label"):
        labels_from_name(name)


def test_splits_labels_and_intervals(xd_root: Path) -> None:
    notes: list[str] = []
    m = build_manifest(xd_root, notes=notes)
    v = m.by_id()
    assert sorted(x.id for x in m.split("train")) == ["Movie.One.2001__#00-01-00_00-02-00_label_A",
                                                      "v=abcDEF__#1_label_B1-0-0"]
    assert len(m.split("test")) == 4
    mind = v["A.Beautiful.Mind.2001__#00-25-20_00-29-20_label_B2-0-0"]
    assert (mind.cls, mind.label, mind.intervals) == ("B2", 1, [[1, 83], [100, 121]])
    assert (v["v=xyz__#1_label_G-B2-0"].cls, v["v=xyz__#1_label_G-B2-0"].intervals) == ("G", [[0, 11]])
    # multi-label videos keep every label (soft MIL-Align targets), single-label ones none
    assert v["v=xyz__#1_label_G-B2-0"].classes == ["G", "B2"]
    assert v["v=xyz__#1_label_G-B2-0"].class_list() == ["G", "B2"]
    assert mind.classes is None and mind.class_list() == ["B2"]
    assert (v["Quiet.Film.1999__#1_label_A"].label, v["Quiet.Film.1999__#1_label_A"].split) == (0, "test")
    ghost = v["Ghost.Movie__#1_label_B4-0-0"]
    assert (ghost.split, ghost.path) == ("test", "test/Ghost.Movie__#1_label_B4-0-0.mp4")
    assert any("not found" in n for n in notes)
    assert v["v=abcDEF__#1_label_B1-0-0"].intervals == []


def test_check_reports_the_absent_annotated_video(xd_root: Path, tmp_path: Path) -> None:
    m = write_manifest(build_manifest(xd_root), tmp_path / "xd.json")
    report = check_dataset(m, xd_root, expected_counts={"train": SplitCount(2, 1, 1), "test": SplitCount(4, 3, 1)})
    assert [p.kind for p in report.problems] == ["missing"]
    assert report.files_with("missing") == ["test/Ghost.Movie__#1_label_B4-0-0.mp4"]


@pytest.mark.parametrize("line, message", [
    ("v=xyz__#1_label_G-B2-0 0 10 12\n", "annotations.txt:1: expected a name and start/end pairs, got 3"),
    ("v=xyz__#1_label_G-B2-0\n", "annotations.txt:1: expected a name and start/end pairs, got 0"),
    ("v=xyz__#1_label_G-B2-0 9 3\n", r"annotations.txt:1: bad interval \(9, 3\)"),
    ("Quiet.Film.1999__#1_label_A 1 2\n", "annotations.txt:1: normal video"),
    ("Odd__#1_label_Z 1 2\n", "annotations.txt:1: video name 'Odd__#1_label_Z'"),
])
def test_bad_annotation_lines(xd_root: Path, line: str, message: str) -> None:
    (xd_root / "annotations.txt").write_text(line)
    with pytest.raises(AnnotationError, match=message):
        build_manifest(xd_root)


def test_badly_named_video_file_is_named(xd_root: Path, mp4_bytes: bytes) -> None:
    (xd_root / "train/1-1004/holiday.mp4").write_bytes(mp4_bytes)
    with pytest.raises(AnnotationError, match=r"holiday.mp4: video name 'holiday' has no '_label_'"):
        build_manifest(xd_root)
