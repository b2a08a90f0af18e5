"""VadCLIP's feature lists: ``path,label`` CSV rows, grouped into videos and their crops.

    list/ucf_CLIP_rgb.csv       path,label   ten rows per training video (crops 0-9)
    list/ucf_CLIP_rgbtest.csv   path,label   one row per test video (crop 5)
    list/xd_CLIP_rgb.csv        path,label   ten rows per training video
    list/xd_CLIP_rgbtest.csv    path,label   one row per test video (crop 0)

Each listed path names ``<video>__<crop>.npy`` (:data:`CROP_MARK`); the file itself is found
by :mod:`~stprompt_core.features.released.files`.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

LISTS = {  # dataset -> (training list, test list)
    "ucf_crime": ("ucf_CLIP_rgb.csv", "ucf_CLIP_rgbtest.csv"),
    "xd_violence": ("xd_CLIP_rgb.csv", "xd_CLIP_rgbtest.csv"),
}
SPLIT_OF_LIST = {0: "train", 1: "test"}
CROP_MARK = "__"  # <video>__<crop>.npy; XD video names contain "__" themselves: the last one counts


class ReleasedFeaturesError(ValueError):
    """The release under the root cannot be imported; the message names the file (and line)."""


def crops_text(crops: list[int]) -> str:
    """``0-9`` for a run of crop indices, else ``5`` or ``0, 5``."""
    if len(crops) > 2 and crops == list(range(crops[0], crops[-1] + 1)):
        return f"{crops[0]}-{crops[-1]}"
    return ", ".join(str(c) for c in crops)


@dataclass
class ListedRow:
    lineno: int
    path: str  # as written in the list
    label: str
    video: str
    crop: int


@dataclass
class ListedVideo:
    split: str
    video: str
    label: str
    crops: dict[int, tuple[int, str]] = field(default_factory=dict)  # crop -> (line, listed path)


def parse_feature_list(path: Path) -> list[ListedRow]:
    """Rows of a VadCLIP feature list (``path,label`` CSV, any line endings).

    Raises:
        ReleasedFeaturesError: no ``path,label`` header, a row without two fields, a path
            that is not ``<video>__<crop>.npy``; names the file and line.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReleasedFeaturesError(f"{path}: not UTF-8 text ({exc.reason})") from None
    rows: list[ListedRow] = []
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if header is None or [h.strip() for h in header] != ["path", "label"]:
        raise ReleasedFeaturesError(f"{path}:1: expected the header 'path,label', got {header!r}")
    for lineno, fields in enumerate(reader, start=2):
        if not fields or not "".join(fields).strip():
            continue
        if len(fields) != 2:
            raise ReleasedFeaturesError(f"{path}:{lineno}: expected 2 fields (path,label), got {len(fields)}")
        listed, label = fields[0].strip(), fields[1].strip()
        name = PurePosixPath(listed.replace("\\", "/")).name
        stem, ext = os.path.splitext(name)
        video, mark, crop = stem.rpartition(CROP_MARK)
        if ext != ".npy" or not mark or not video or not crop.isdigit():
            raise ReleasedFeaturesError(f"{path}:{lineno}: {listed!r} is not a <video>__<crop>.npy feature file")
        rows.append(ListedRow(lineno, listed, label, video, int(crop)))
    if not rows:
        raise ReleasedFeaturesError(f"{path}: lists no feature files")
    return rows


def group_videos(rows: list[ListedRow], split: str, path: Path) -> dict[str, ListedVideo]:
    videos: dict[str, ListedVideo] = {}
    for r in rows:
        v = videos.setdefault(r.video, ListedVideo(split, r.video, r.label))
        if r.label != v.label:
            raise ReleasedFeaturesError(f"{path}:{r.lineno}: {r.video!r} labelled {r.label!r}, "
                                        f"line {next(iter(v.crops.values()))[0]} says {v.label!r}")
        if r.crop in v.crops:
            raise ReleasedFeaturesError(f"{path}:{r.lineno}: crop {r.crop} of {r.video!r} already listed "
                                        f"on line {v.crops[r.crop][0]}")
        v.crops[r.crop] = (r.lineno, r.path)
    return videos


def stored_crops(videos: dict[str, ListedVideo], split: str, path: Path) -> list[int]:
    """VadCLIP crop of each stored crop of the split: the crops most of its videos list, in order."""
    counts: dict[tuple[int, ...], int] = {}
    for v in videos.values():
        key = tuple(sorted(v.crops))
        counts[key] = counts.get(key, 0) + 1
    crops = list(max(counts, key=lambda k: (counts[k], len(k))))
    if split == "train" and len(crops) > 1 and crops != list(range(len(crops))):
        raise ReleasedFeaturesError(f"{path}: training videos list crops {crops}; a multi-crop store needs "
                                    f"crops 0..n-1")
    if len(crops) not in (1, 2, 5, 10):
        raise ReleasedFeaturesError(f"{path}: videos list {len(crops)} crops each; expected 1, 2, 5 or 10")
    if split == "test" and len(crops) != 1:
        raise ReleasedFeaturesError(f"{path}: test videos list crops {crops}; VadCLIP's test lists name one "
                                    f"crop per video")
    return crops
