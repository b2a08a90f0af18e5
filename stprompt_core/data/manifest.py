"""Dataset manifests: one JSON file per dataset, the same schema for real and synthetic data.

Schema (``schema_version`` 1)::

    {
      "schema_version": 1,
      "dataset": "ucf_crime",            # key of stprompt_core.classes.DATASET_CLASSES
      "videos": [
        {
          "id": "Arson011_x264",          # unique video id
          "path": "Arson/Arson011_x264.mp4",  # relative to the data root
          "split": "test",                # "train" or "test" ("val" for UBnormal's own)
          "label": 1,                     # video-level label, 1 = abnormal
          "cls": "Arson",                 # dataset label, as in classes.py
          "num_frames": 2794,             # decoded frames, or null when unknown
          "intervals": [[880, 1040]],     # anomalous frames, half-open [start, end)
          "boxes": {"880": [[x1, y1, x2, y2]]},  # frame index -> boxes, or null
          "box_size": [320, 240],         # (width, height) the boxes are given in
          "sha256": null,                 # checksum of the file where known
          "captions": null,               # SynthVAD only: per-frame captions
          "classes": ["B2", "G"]          # optional, multi-label videos: all labels, first = cls
        }
      ]
    }

Paths are relative; the data root comes from the config or ``$STPROMPT_DATA_ROOT``.
A video is a file or a frame folder (one image per frame, ShanghaiTech's test set; see
:mod:`stprompt_core.video.frames`): a folder's ``path`` is the folder, its ``num_frames``
the number of images, its ``sha256`` that of :func:`~stprompt_core.video.frames.frame_folder_sha256`.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from stprompt_core.classes import class_index, class_labels
from stprompt_core.io import read_json, write_json

SCHEMA_VERSION = 1
SPLITS = ("train", "val", "test")


class ManifestError(ValueError):
    """A manifest is malformed; the message names the file and the video."""


@dataclass
class VideoEntry:
    id: str
    path: str
    split: str
    label: int
    cls: str
    num_frames: int | None = None
    intervals: list[list[int]] = field(default_factory=list)
    boxes: dict[str, list[list[float]]] | None = None
    box_size: list[int] | None = None
    sha256: str | None = None
    captions: dict[str, str] | None = None
    classes: list[str] | None = None  # all labels of a multi-label video, first = cls (XD-Violence)

    def class_list(self) -> list[str]:
        """The video's labels, first = ``cls``."""
        return list(self.classes) if self.classes else [self.cls]

    def frame_labels(self, num_frames: int | None = None) -> np.ndarray:
        """Per-frame ground truth, shape ``[num_frames]`` uint8, from the intervals."""
        n = num_frames if num_frames is not None else self.num_frames
        if n is None:
            raise ManifestError(f"video {self.id!r}: num_frames unknown, cannot build frame labels")
        gt = np.zeros(n, dtype=np.uint8)
        for start, end in self.intervals:
            gt[max(0, start) : min(n, end)] = 1
        return gt


@dataclass
class Manifest:
    dataset: str
    videos: list[VideoEntry]
    schema_version: int = SCHEMA_VERSION

    def split(self, name: str) -> list[VideoEntry]:
        return [v for v in self.videos if v.split == name]

    def by_id(self) -> dict[str, VideoEntry]:
        return {v.id: v for v in self.videos}

    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": self.schema_version, "dataset": self.dataset,
                "videos": [_entry_dict(v) for v in self.videos]}

    def save(self, path: str | Path) -> None:
        write_json(path, self.to_dict())


def load_manifest(path: str | Path) -> Manifest:
    """Read and validate a manifest.

    Raises:
        FileNotFoundError: the file is missing (message names it).
        ManifestError: a field is missing or invalid (message names file and video).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"manifest not found: {path}")
    try:
        raw = read_json(path)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:  # json.JSONDecodeError is a ValueError
        raise ManifestError(f"{path}: not a readable JSON manifest ({type(exc).__name__}: {exc})") from None
    return manifest_from_dict(raw, source=str(path))


def _entry_dict(entry: VideoEntry) -> dict[str, Any]:
    """An entry as JSON; ``classes`` only where a video has several labels."""
    d = asdict(entry)
    if d["classes"] is None:
        del d["classes"]
    return d


def manifest_from_dict(raw: dict[str, Any], source: str = "manifest") -> Manifest:
    """Validate a manifest's JSON structure (schema above) and build the :class:`Manifest`.

    Raises:
        ManifestError: naming ``source``, the video and the field that is missing or invalid.
    """
    if not isinstance(raw, dict):
        raise ManifestError(f"{source}: a manifest is a JSON object with schema_version, dataset and videos, "
                            f"got {type(raw).__name__}")
    version = raw.get("schema_version")
    if isinstance(version, bool) or version != SCHEMA_VERSION:
        raise ManifestError(f"{source}: schema_version {version!r}, expected {SCHEMA_VERSION}")
    dataset = raw.get("dataset")
    if not isinstance(dataset, str):
        raise ManifestError(f"{source}: dataset must be a string, got {dataset!r}")
    try:
        labels = class_labels(dataset)
    except KeyError as exc:
        raise ManifestError(f"{source}: {exc.args[0]}") from None
    entries = raw.get("videos", [])
    if not isinstance(entries, list):
        raise ManifestError(f"{source}: videos must be a list of objects, got {type(entries).__name__}")
    videos, seen = [], set()
    known = set(VideoEntry.__dataclass_fields__)
    for i, v in enumerate(entries):
        if not isinstance(v, dict):
            raise ManifestError(f"{source}: video #{i} must be an object, got {type(v).__name__}")
        vid = v.get("id", f"#{i}")
        extra = set(v) - known
        if extra:
            raise ManifestError(f"{source}: video {vid!r} has unknown fields {sorted(map(str, extra))}")
        _check_field_types(v, f"{source}: video {vid!r}")
        try:
            entry = VideoEntry(**v)
        except TypeError as exc:
            raise ManifestError(f"{source}: video {vid!r}: {exc}") from None
        if entry.id in seen:
            raise ManifestError(f"{source}: duplicate video id {entry.id!r}")
        seen.add(entry.id)
        if entry.split not in SPLITS:
            raise ManifestError(f"{source}: video {vid!r} split {entry.split!r} not in {SPLITS}")
        if not _is_int(entry.label) or entry.label not in (0, 1):
            raise ManifestError(f"{source}: video {vid!r} label {entry.label!r} must be 0 or 1")
        if entry.cls not in labels:
            raise ManifestError(f"{source}: video {vid!r} class {entry.cls!r} not in {labels}")
        if (class_index(dataset, entry.cls) > 0) != bool(entry.label):
            raise ManifestError(f"{source}: video {vid!r} label {entry.label} disagrees with class {entry.cls!r}")
        if entry.classes is not None:
            bad = [c for c in entry.classes if c not in labels]
            if bad or not entry.classes or entry.classes[0] != entry.cls:
                raise ManifestError(f"{source}: video {vid!r} classes {entry.classes!r} must be labels in {labels} "
                                    f"starting with cls {entry.cls!r}")
        for iv in entry.intervals:
            if not (isinstance(iv, (list, tuple)) and len(iv) == 2 and all(_is_int(x) and x >= 0 for x in iv)
                    and iv[0] <= iv[1]):
                raise ManifestError(f"{source}: video {vid!r} bad interval {iv!r}: expected [start, end] frame "
                                    "numbers with 0 <= start <= end")
        videos.append(entry)
    return Manifest(dataset=dataset, videos=videos)


def _is_int(x: Any) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def _is_number(x: Any) -> bool:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        return False
    try:
        return math.isfinite(x)
    except OverflowError:  # an int beyond float range
        return False


def _check_field_types(v: dict[str, Any], where: str) -> None:
    """JSON types of a video's fields (values are checked in :func:`manifest_from_dict`)."""
    def fail(name: str, expected: str) -> ManifestError:
        shown = repr(v[name])
        return ManifestError(f"{where}: {name} must be {expected}, got {shown[:80]}{'...' if len(shown) > 80 else ''}")

    for name in ("id", "path", "split", "cls"):
        if name in v and not (isinstance(v[name], str) and v[name]):
            raise fail(name, "a non-empty string")
    if v.get("num_frames") is not None and not (_is_int(v["num_frames"]) and v["num_frames"] >= 0):
        raise fail("num_frames", "a frame count >= 0 or null")
    if "intervals" in v and not isinstance(v["intervals"], (list, tuple)):
        raise fail("intervals", "a list of [start, end] pairs")
    boxes = v.get("boxes")
    if boxes is not None and not (
            isinstance(boxes, dict)
            and all(isinstance(f, str) and f.isascii() and f.isdigit() and isinstance(rows, (list, tuple))
                    and all(isinstance(b, (list, tuple)) and len(b) == 4 and all(map(_is_number, b)) for b in rows)
                    for f, rows in boxes.items())):
        raise fail("boxes", 'null or {"<frame>": [[x1, y1, x2, y2], ...]} with finite numbers')
    size = v.get("box_size")
    if size is not None and not (isinstance(size, (list, tuple)) and len(size) == 2
                                 and all(_is_int(x) and x > 0 for x in size)):
        raise fail("box_size", "null or [width, height] in pixels")
    if v.get("sha256") is not None and not isinstance(v["sha256"], str):
        raise fail("sha256", "null or a hex string")
    captions = v.get("captions")
    if captions is not None and not (isinstance(captions, dict)
                                     and all(isinstance(k, str) and isinstance(c, str) for k, c in captions.items())):
        raise fail("captions", 'null or {"<frame>": "caption"}')
    classes = v.get("classes")
    if classes is not None and not (isinstance(classes, (list, tuple)) and all(isinstance(c, str) for c in classes)):
        raise fail("classes", "null or a list of class labels")
