"""UCF-Crime (Sultani et al., CVPR 2018) with Liu & Ma's spatial boxes (ACM MM 2019).

Release files read (found anywhere under the root, names case-insensitive):

- ``Anomaly_Train.txt``: 1610 lines such as ``Abuse/Abuse001_x264.mp4`` and
  ``Training_Normal_Videos_Anomaly/Normal_Videos308_x264.mp4``; the first path component
  (or, failing that, the file name's prefix) gives the class.
- ``Temporal_Anomaly_Annotation_for_Testing_Videos.txt`` (also accepted under its
  ``Txt_formate`` name ``Temporal_Anomaly_Annotation.txt``): the 290 test videos, lines
  ``name class s1 e1 s2 e2`` with ``-1 -1`` for an absent second (or first) interval.
  The numbers are read as 0-based frame indices with an inclusive end frame and stored
  half-open: ``150 420`` becomes ``[150, 421)``. (VadCLIP's ``gt[s:e]`` drops that last
  frame; the difference is one frame per interval.)
- ``Anomaly_Test.txt`` (optional): relative paths of the test videos; when present it must
  name the same 290 videos as the temporal annotation.
- Boxes (optional): a pickled dict ``video -> [[frame image name, x1, y1, x2, y2], ...]`` in
  320x240 coordinates, every 16th frame, read with :mod:`.safe_pickle` (never
  ``pickle.load``), or the same structure as JSON. Found as ``--boxes PATH`` or as the one
  ``*box*.pkl|pickle|json`` file under the root. The frame index is the trailing integer
  of the image name (``000016.jpg``, ``img_00016.jpg`` and ``Arson011_x264_16.jpg`` all
  give 16), taken as the 0-based frame index. Keys may be ids, file names or paths.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stprompt_core.classes import class_labels
from stprompt_core.data.datasets.common import (
    AnnotationError,
    SplitCount,
    VideoIndex,
    annotation_error,
    find_file,
    find_optional,
    inclusive_to_half_open,
    merge_intervals,
    read_lines,
    trailing_int,
    video_id,
)
from stprompt_core.data.datasets.safe_pickle import load_plain_pickle
from stprompt_core.data.manifest import Manifest, VideoEntry

DATASET = "ucf_crime"
EXPECTED_COUNTS: dict[str, SplitCount] = {
    "train": SplitCount(1610, abnormal=810, normal=800),
    "test": SplitCount(290, abnormal=140, normal=150),
}
TRAIN_LIST = ("Anomaly_Train.txt",)
TEST_LIST = ("Anomaly_Test.txt",)
TEMPORAL_ANNOTATION = ("Temporal_Anomaly_Annotation_for_Testing_Videos.txt", "Temporal_Anomaly_Annotation.txt")
BOX_SIZE = [320, 240]  # (width, height) of Liu & Ma's box coordinates
BOX_SUFFIXES = (".pkl", ".pickle", ".json")
NORMAL = "Normal"
NORMAL_TEST_DIR = "Testing_Normal_Videos_Anomaly"


@dataclass
class TestAnnotation:
    """One line of the temporal annotation file."""

    name: str  # file name as written, e.g. Arson011_x264.mp4
    cls: str
    intervals: list[list[int]]  # half-open
    lineno: int


def class_of(rel_path: str, path: Path, lineno: int) -> str:
    """Class of a split-list entry from its folder (``Abuse/...``) or its name's prefix."""
    labels = class_labels(DATASET)
    parts = rel_path.replace("\\", "/").split("/")
    for folder in parts[:-1]:
        if folder in labels:
            return folder
        if "normal" in folder.lower():
            return NORMAL
    name = parts[-1]
    if name.lower().startswith("normal"):
        return NORMAL
    prefix = re.match(r"[A-Za-z]+", name)
    if prefix and prefix.group(0) in labels:
        return prefix.group(0)
    raise annotation_error(path, lineno, f"cannot tell the class of {rel_path!r}; "
                           f"expected a folder or name prefix in {labels}")


def parse_split_list(path: Path) -> list[tuple[int, str]]:
    """``(line number, relative path)`` of each line of ``Anomaly_Train.txt``/``Anomaly_Test.txt``."""
    out = []
    for lineno, line in read_lines(path):
        fields = line.split()
        if len(fields) != 1:
            raise annotation_error(path, lineno, f"expected 1 field (a relative video path), got {len(fields)}")
        out.append((lineno, fields[0]))
    return out


def parse_temporal_annotations(path: Path) -> dict[str, TestAnnotation]:
    """Parse ``Temporal_Anomaly_Annotation_for_Testing_Videos.txt`` into ``{video id: TestAnnotation}``.

    Raises:
        AnnotationError: wrong field count, unknown class, a lone ``-1``, an end before its
            start, intervals on a Normal video, or a repeated video; names file and line.
    """
    labels = class_labels(DATASET)
    out: dict[str, TestAnnotation] = {}
    for lineno, line in read_lines(path):
        fields = line.split()
        if len(fields) != 6:
            raise annotation_error(path, lineno, f"expected 6 fields (name class s1 e1 s2 e2), got {len(fields)}")
        name, cls, *nums = fields
        if cls not in labels:
            raise annotation_error(path, lineno, f"unknown class {cls!r}; valid: {labels}")
        try:
            values = [int(v) for v in nums]
        except ValueError:
            raise annotation_error(path, lineno, f"frame numbers must be integers, got {nums}") from None
        intervals = []
        for start, end in (values[0:2], values[2:4]):
            if start == -1 and end == -1:
                continue
            if start < 0 or end < 0:
                raise annotation_error(path, lineno, f"interval ({start}, {end}): -1 must come in pairs")
            if end < start:
                raise annotation_error(path, lineno, f"interval ({start}, {end}) ends before it starts")
            intervals.append(inclusive_to_half_open(start, end))
        if cls == NORMAL and intervals:
            raise annotation_error(path, lineno, f"Normal video {name!r} has anomalous intervals {values}")
        vid = video_id(name)
        if vid in out:
            raise annotation_error(path, lineno, f"video {vid!r} already annotated on line {out[vid].lineno}")
        out[vid] = TestAnnotation(name=name, cls=cls, intervals=merge_intervals(intervals), lineno=lineno)
    return out


def load_boxes(path: Path) -> dict[str, dict[str, list[list[float]]]]:
    """Read Liu & Ma's boxes (restricted pickle or JSON) as ``{video id: {str(frame): [[x1, y1, x2, y2]]}}``."""
    if path.suffix.lower() == ".json":
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise AnnotationError(f"{path}: not valid JSON ({type(exc).__name__}: {exc})") from None
    else:
        raw = load_plain_pickle(path)
    return parse_boxes(raw, str(path))


def parse_boxes(raw: Any, source: str) -> dict[str, dict[str, list[list[float]]]]:
    """Validate the boxes structure; frame index = trailing integer of the image name."""
    if not isinstance(raw, dict):
        raise AnnotationError(f"{source}: expected a dict video -> list of boxes, got {type(raw).__name__}")
    out: dict[str, dict[str, list[list[float]]]] = {}
    for key, rows in raw.items():
        vid = video_id(_text(key))
        if not isinstance(rows, (list, tuple)):
            raise AnnotationError(f"{source}: video {vid!r}: expected a list of [image, x1, y1, x2, y2], "
                                  f"got {type(rows).__name__}")
        frames: dict[int, list[list[float]]] = {}
        for i, row in enumerate(rows):
            if not isinstance(row, (list, tuple)) or len(row) != 5:
                raise AnnotationError(f"{source}: video {vid!r} entry {i}: "
                                      f"expected [image, x1, y1, x2, y2], got {row!r}")
            image = _text(row[0])
            frame = trailing_int(image)
            if frame is None:
                raise AnnotationError(f"{source}: video {vid!r} entry {i}: no frame number in image name {image!r}")
            coords = row[1:]
            if not all(_finite_number(c) for c in coords):
                raise AnnotationError(f"{source}: video {vid!r} entry {i}: coordinates must be finite numbers, "
                                      f"got {coords!r}")
            x1, y1, x2, y2 = (float(c) for c in coords)
            frames.setdefault(frame, []).append([min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)])
        if vid in out:
            raise AnnotationError(f"{source}: video {vid!r} appears under two keys")
        out[vid] = {str(f): frames[f] for f in sorted(frames)}
    return out


def _finite_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond float range
        return False


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, (bytes, bytearray)) else str(value)


def find_boxes(root: Path) -> Path | None:
    """The single ``*box*.pkl|pickle|json`` file under ``root``, or ``None``."""
    hits = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        hits += [Path(dirpath, f) for f in filenames
                 if "box" in f.lower() and os.path.splitext(f)[1].lower() in BOX_SUFFIXES]
    if len(hits) > 1:
        raise AnnotationError(f"several box files under {root}: {sorted(str(h) for h in hits)}; "
                              "choose one with --boxes PATH")
    return hits[0] if hits else None


def build_manifest(root: str | Path, *, boxes: str | Path | None = None,
                   notes: list[str] | None = None) -> Manifest:
    """Build the UCF-Crime manifest from the official release under ``root``.

    Args:
        root: the data root (videos and split/annotation files anywhere below it).
        boxes: Liu & Ma's boxes file; ``None`` looks for one ``*box*.pkl`` under the root.
        notes: when given, receives one line per thing worth telling the user.

    Raises:
        FileNotFoundError: a required release file is missing (message names it).
        AnnotationError: a release file is malformed (message names file and line).
    """
    root = Path(root)
    notes = notes if notes is not None else []
    train_path = find_file(root, TRAIN_LIST, DATASET)
    temporal_path = find_file(root, TEMPORAL_ANNOTATION, DATASET)
    test_list_path = find_optional(root, TEST_LIST, DATASET)
    index = VideoIndex(root)
    videos: list[VideoEntry] = []

    for lineno, rel in parse_split_list(train_path):
        cls = class_of(rel, train_path, lineno)
        path, _found = index.locate(rel)
        videos.append(VideoEntry(id=video_id(rel), path=path, split="train", label=int(cls != NORMAL), cls=cls))

    annotations = parse_temporal_annotations(temporal_path)
    # Where the official folders put a test video; Anomaly_Test.txt overrides when present.
    hints = {vid: f"{NORMAL_TEST_DIR if a.cls == NORMAL else a.cls}/{vid}.mp4" for vid, a in annotations.items()}
    if test_list_path is not None:
        listed = {video_id(rel): (lineno, rel) for lineno, rel in parse_split_list(test_list_path)}
        for vid, (lineno, _rel) in listed.items():
            if vid not in annotations:
                raise annotation_error(test_list_path, lineno, f"{vid!r} has no line in {temporal_path.name}")
        for vid, a in annotations.items():
            if vid not in listed:
                raise annotation_error(temporal_path, a.lineno, f"{vid!r} is not listed in {test_list_path.name}")
            hints[vid] = listed[vid][1]
    else:
        notes.append(f"{TEST_LIST[0]} not found; test paths follow the official folders")

    train_ids = {v.id: v for v in videos}
    for vid, a in annotations.items():
        if vid in train_ids:
            raise annotation_error(temporal_path, a.lineno, f"{vid!r} is also a training video in {train_path.name}")
        path, _found = index.locate(hints[vid])
        videos.append(VideoEntry(id=vid, path=path, split="test", label=int(a.cls != NORMAL), cls=a.cls,
                                 intervals=a.intervals))

    boxes_path = Path(boxes) if boxes is not None else find_boxes(root)
    if boxes_path is not None:
        _attach_boxes(videos, load_boxes(boxes_path), boxes_path)
        notes.append(f"boxes from {boxes_path}: {sum(v.boxes is not None for v in videos)} videos")
    else:
        notes.append("no boxes file found (Liu & Ma's boxes are optional; TIoU needs them)")
    return Manifest(dataset=DATASET, videos=videos)


def _attach_boxes(videos: list[VideoEntry], boxes: dict[str, dict[str, list[list[float]]]], source: Path) -> None:
    by_id = {v.id: v for v in videos}
    for vid, frames in boxes.items():
        entry = by_id.get(vid)
        if entry is None or entry.split != "test" or entry.label != 1:
            raise AnnotationError(f"{source}: boxes for {vid!r}, which is not an abnormal test video")
        entry.boxes = frames
        entry.box_size = list(BOX_SIZE)


class ListedAnnotations:
    """The official annotation files under ``root``, for checking videos that a list made
    elsewhere names (VadCLIP's released features, :mod:`stprompt_core.features.released`).

    ``files`` are the files read; ``intervals`` the half-open anomalous frames ``[s, e + 1)``
    of every test video.
    """

    def __init__(self, root: Path):
        path = find_file(root, TEMPORAL_ANNOTATION, DATASET)
        self.files = [path]
        annotated = parse_temporal_annotations(path)
        self.intervals = {vid: a.intervals for vid, a in annotated.items()}
        self.classes = {vid: a.cls for vid, a in annotated.items()}
        self.train_ids: set[str] | None = None
        self.test_ids: set[str] | None = None
        self.test_list = find_optional(root, TEST_LIST, DATASET)
        train = find_optional(root, TRAIN_LIST, DATASET)
        if train is not None:
            self.files.append(train)
            self.train_ids = {video_id(rel) for _, rel in parse_split_list(train)}
        if self.test_list is not None:
            self.files.append(self.test_list)
            self.test_ids = {video_id(rel) for _, rel in parse_split_list(self.test_list)}

    def labels(self, video: str, listed: str, split: str) -> list[str]:
        """The video's labels (its class) when the listing agrees with the annotation files.

        Raises:
            ValueError: the listed label is no class, or the video is missing from the split's
                list or (a test video) from the temporal annotations, or annotated as another class.
        """
        if split == "test" and self.test_ids is not None and video not in self.test_ids:
            raise ValueError(f"not in {self.test_list.name}")
        if listed not in class_labels(DATASET):
            raise ValueError(f"label {listed!r} is not a UCF-Crime class {class_labels(DATASET)}")
        if split == "train" and self.train_ids is not None and video not in self.train_ids:
            raise ValueError(f"not in {TRAIN_LIST[0]}")
        if split == "test":
            if video not in self.classes:
                raise ValueError(f"not in {TEMPORAL_ANNOTATION[-1]} (no ground truth)")
            if self.classes[video] != listed:
                raise ValueError(f"listed as {listed!r}, annotated as {self.classes[video]!r}")
        return [listed]
