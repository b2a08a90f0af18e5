"""``check_dataset`` finds missing, corrupt, altered and unannotated videos and wrong counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from stprompt_core.data.datasets import SplitCount, check_dataset, index_dataset
from stprompt_core.data.manifest import Manifest

COUNTS = {"train": SplitCount(3, 2, 1), "test": SplitCount(2, 1, 1)}


@pytest.fixture
def ucf(ucf_root: Path) -> Manifest:
    return index_dataset("ucf_crime", ucf_root, with_sha256=True).manifest


def test_clean_fixture_passes(ucf_root: Path, ucf: Manifest) -> None:
    report = check_dataset(ucf, ucf_root, expected_counts=COUNTS)
    assert report.ok, report.format()
    text = report.format()
    assert "train: 3 (2 abnormal, 1 normal), expected 3 (2 abnormal, 1 normal)  ok" in text
    assert text.splitlines()[-1].startswith("OK: 5 videos present and decodable, counts match")


def test_every_kind_of_problem_is_named(ucf_root: Path, ucf: Manifest) -> None:
    v = ucf.by_id()
    (ucf_root / v["Abuse001_x264"].path).unlink()
    (ucf_root / v["RoadAccidents001_x264"].path).write_bytes(b"\x00garbage" * 64)
    (ucf_root / v["Normal_Videos001_x264"].path).write_bytes(b"")
    v["Normal_Videos_003_x264"].sha256 = "0" * 64
    v["Arson011_x264"].intervals = []
    report = check_dataset(ucf, ucf_root)  # official counts
    assert report.files_with("missing") == ["Anomaly-Videos-Part-1/Abuse/Abuse001_x264.mp4"]
    assert report.files_with("corrupt") == ["Anomaly-Videos-Part-3/RoadAccidents/RoadAccidents001_x264.mp4",
                                            "Training-Normal-Videos-Part-1/Normal_Videos001_x264.mp4"]
    assert report.files_with("checksum") == ["Testing_Normal_Videos_Anomaly/Normal_Videos_003_x264.mp4"]
    assert report.files_with("annotation") == ["Anomaly-Videos-Part-1/Arson/Arson011_x264.mp4"]
    assert report.files_with("count") == ["train", "test"]
    text = report.format()
    assert "train: 3 (2 abnormal, 1 normal), expected 1610 (810 abnormal, 800 normal)  MISMATCH" in text
    assert "count      test: 2 videos, expected 290; 1 abnormal, expected 140; 1 normal, expected 150" in text
    assert "corrupt    Training-Normal-Videos-Part-1/Normal_Videos001_x264.mp4: empty file" in text
    assert text.splitlines()[-1] == "FAILED: 7 problems (1 missing, 2 corrupt, 1 checksum, 2 count, 1 annotation)"


def test_no_decode_only_checks_presence(ucf_root: Path, ucf: Manifest) -> None:
    (ucf_root / ucf.by_id()["Abuse001_x264"].path).write_bytes(b"garbage" * 64)
    ucf.by_id()["Abuse001_x264"].sha256 = None
    assert check_dataset(ucf, ucf_root, expected_counts=COUNTS, decode=False).ok
    assert not check_dataset(ucf, ucf_root, expected_counts=COUNTS).ok


def test_unexpected_split_and_range_warnings(ucf_root: Path, ucf: Manifest) -> None:
    arson = ucf.by_id()["Arson011_x264"]
    arson.num_frames = 500
    report = check_dataset(ucf, ucf_root, expected_counts={"test": SplitCount(2)})
    assert report.files_with("count") == ["train"]
    assert any("interval [680, 1268] ends after frame 500" in w for w in report.warnings)
    arson.num_frames = 170
    assert any("1 box frames at or after frame 170" in w
               for w in check_dataset(ucf, ucf_root, expected_counts={}).warnings)
