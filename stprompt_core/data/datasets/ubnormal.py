"""UBnormal (Acsintoae et al., CVPR 2022), evaluated as normal vs abnormal.

Release files read (found anywhere under the root, names case-insensitive):

- six name lists, one video name per line (``abnormal_scene_2_scenario_6``; an extension
  is ignored): ``{abnormal,normal}_{training,validation,test}_video_names.txt`` as in the
  official repository (the spellings ``train``/``val`` are accepted too). The list decides
  split and label: train 268, validation 64, test 211 videos.
- videos ``Scene<k>/<name>.mp4`` where ``k`` is the name's third ``_`` field
  (``abnormal_scene_2_scenario_6`` -> ``Scene2``); elsewhere under the root is accepted.
- per abnormal video ``Scene<k>/<name>_annotations/<name>_tracks.txt``: one anomalous object
  per line, ``object_id, start_frame, end_frame`` (numbers may be written as floats by
  ``np.savetxt``, e.g. ``1.0e+00,5.3e+01,1.44e+02``); frames are 0-based with an inclusive
  end (the official statistics count ``end - start + 1`` frames), stored half-open and
  merged over objects. Read for validation and test videos only (weak supervision).
"""

from __future__ import annotations

import re
from pathlib import Path

from stprompt_core.data.datasets.common import (
    SplitCount,
    VideoIndex,
    annotation_error,
    find_file,
    inclusive_to_half_open,
    merge_intervals,
    parse_int,
    read_lines,
    video_id,
)
from stprompt_core.data.manifest import Manifest, VideoEntry

DATASET = "ubnormal"
EXPECTED_COUNTS: dict[str, SplitCount] = {
    "train": SplitCount(268),
    "val": SplitCount(64),
    "test": SplitCount(211),
}
_SPLIT_WORDS = {"train": ("training", "train"), "val": ("validation", "val"), "test": ("test", "testing")}
LABELS = {0: "normal", 1: "abnormal"}
ANNOTATED_SPLITS = ("val", "test")


def list_names(split: str, kind: str) -> tuple[str, ...]:
    """Accepted file names of one name list, official spelling first."""
    return tuple(f"{kind}_{word}_video_names.txt" for word in _SPLIT_WORDS[split])


def parse_name_list(path: Path) -> list[tuple[int, str]]:
    """``(line number, video name)`` of each line of a name list."""
    out = []
    for lineno, line in read_lines(path):
        fields = line.split()
        if len(fields) != 1:
            raise annotation_error(path, lineno, f"expected 1 field (a video name), got {len(fields)}")
        out.append((lineno, video_id(fields[0])))
    return out


def scene_of(name: str) -> str | None:
    """``Scene<k>`` folder of a video name, or ``None`` when the name has no scene number."""
    parts = name.split("_")
    return f"Scene{parts[2]}" if len(parts) > 2 and parts[2].isdigit() else None


def parse_tracks(path: Path) -> list[list[int]]:
    """Anomalous frames of one video from its ``_tracks.txt``: merged half-open intervals."""
    intervals = []
    for lineno, line in read_lines(path):
        fields = [f for f in re.split(r"[,\s]+", line) if f]
        if len(fields) != 3:
            raise annotation_error(path, lineno,
                                   f"expected 3 fields (object_id, start_frame, end_frame), got {len(fields)}")
        start = parse_int(fields[1], path, lineno, "start_frame")
        end = parse_int(fields[2], path, lineno, "end_frame")
        if start < 0 or end < start:
            raise annotation_error(path, lineno, f"bad frame range {start}..{end}")
        intervals.append(inclusive_to_half_open(start, end))
    return merge_intervals(intervals)


def build_manifest(root: str | Path, *, notes: list[str] | None = None) -> Manifest:
    """Build the UBnormal manifest from the official release under ``root``.

    Raises:
        FileNotFoundError: a name list is missing (message names it).
        AnnotationError: a list or tracks file is malformed (names file and line).
    """
    root = Path(root)
    notes = notes if notes is not None else []
    index = VideoIndex(root)
    videos: list[VideoEntry] = []
    seen: dict[str, str] = {}
    for split in ("train", "val", "test"):
        for label, kind in ((1, "abnormal"), (0, "normal")):
            path = find_file(root, list_names(split, kind), DATASET)
            for lineno, name in parse_name_list(path):
                if name in seen:
                    raise annotation_error(path, lineno, f"{name!r} already listed in {seen[name]}")
                seen[name] = path.name
                scene = scene_of(name)
                hint = f"{scene}/{name}.mp4" if scene else f"{name}.mp4"
                entry = VideoEntry(id=name, path=index.locate(hint)[0], split=split, label=label, cls=LABELS[label])
                if label == 1 and split in ANNOTATED_SPLITS:
                    tracks = root / Path(entry.path).parent / f"{name}_annotations" / f"{name}_tracks.txt"
                    if tracks.is_file():
                        entry.intervals = parse_tracks(tracks)
                    else:
                        notes.append(f"no tracks file for abnormal {split} video {name} "
                                     f"(expected {tracks.relative_to(root).as_posix()})")
                videos.append(entry)
    return Manifest(dataset=DATASET, videos=videos)
