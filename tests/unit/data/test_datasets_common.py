"""Shared helpers: intervals, masks, file lookup, video location."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from stprompt_core.data.datasets.common import (
    AnnotationError,
    VideoIndex,
    find_file,
    merge_intervals,
    probe_video,
    trailing_int,
    video_id,
)


def test_merge_intervals_unions_overlapping_and_touching() -> None:
    assert merge_intervals([[15, 31], [10, 21], [40, 42], [31, 33]]) == [[10, 33], [40, 42]]
    assert merge_intervals([]) == []


@pytest.mark.parametrize("name, frame", [("000016.jpg", 16), ("img_00016.jpg", 16),
                                         ("Arson011_x264_32.jpg", 32), ("frame.jpg", None)])
def test_trailing_int(name: str, frame: int | None) -> None:
    assert trailing_int(name) == frame


def test_video_id_strips_folders_and_video_extensions_only() -> None:
    assert video_id("Abuse/Abuse001_x264.mp4") == "Abuse001_x264"
    assert video_id("Movie.2001__#00-25-20_label_A") == "Movie.2001__#00-25-20_label_A"


def test_find_file_is_case_insensitive_and_reports_ambiguity(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "SH_Test_new.txt").write_text("x")
    assert find_file(tmp_path, ["SH_Test_NEW.txt"], "sht").name == "SH_Test_new.txt"
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "SH_Test_NEW.txt").write_text("x")
    with pytest.raises(AnnotationError, match="more than once"):
        find_file(tmp_path, ["SH_Test_NEW.txt"], "sht")
    with pytest.raises(FileNotFoundError, match="Anomaly_Train.txt"):
        find_file(tmp_path, ["Anomaly_Train.txt"], "ucf_crime")


def test_video_index_prefers_the_hint_then_the_id(tmp_path: Path) -> None:
    for rel in ("Part-1/Abuse/Abuse001_x264.mp4", "x/Dup.mp4", "y/Dup.mp4"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"")
    index = VideoIndex(tmp_path)
    assert index.locate("Abuse/Abuse001_x264.mp4") == ("Part-1/Abuse/Abuse001_x264.mp4", True)
    assert index.locate("Arson/Arson001_x264.mp4") == ("Arson/Arson001_x264.mp4", False)
    assert index.locate("y/Dup.mp4") == ("y/Dup.mp4", True)
    with pytest.raises(AnnotationError, match="more than once"):
        index.locate("Dup.mp4")


def test_probe_video(tmp_path: Path, mp4_bytes: bytes) -> None:
    good, bad, empty = tmp_path / "good.mp4", tmp_path / "bad.mp4", tmp_path / "empty.mp4"
    good.write_bytes(mp4_bytes)
    bad.write_bytes(b"this is not a video" * 100)
    empty.write_bytes(b"")
    assert probe_video(good) is None
    assert probe_video(bad)
    assert probe_video(empty) == "empty file"
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(mp4_bytes[: len(mp4_bytes) // 3])
    assert probe_video(truncated)
