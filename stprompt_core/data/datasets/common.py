"""Helpers shared by the real-dataset parsers: file lookup, line reading, intervals, videos.

Conventions every parser follows (documented once here and in data_manifests/README.md):

- A video id is the file name without directory and extension (``Arson011_x264``).
- Intervals in manifests are half-open ``[start, end)`` frame indices. Annotation files
  that give inclusive end frames are converted with :func:`inclusive_to_half_open`
  (``end + 1``); the frame numbers themselves are taken as 0-based indices.
- Training videos carry no intervals, even where the release has frame labels
  (ShanghaiTech's and UBnormal's abnormal training videos): the protocol is weakly
  supervised, so the manifest does not hand training code what it must not see.
- Errors that come from a file name the file and, where there is one, the line:
  ``Temporal_Anomaly_Annotation_for_Testing_Videos.txt:12: expected 6 fields``.
- A video is a file or a frame folder (one image per frame, read as it is, never
  re-encoded; :mod:`stprompt_core.video.frames`); the helpers under "video files" take both.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from stprompt_core.io import file_sha256
from stprompt_core.video.frames import (FrameFolderError, frame_folder_sha256, is_frame_folder, list_frame_images,
                                        read_frame_image)

# Extensions a video of any supported dataset may have (lower case).
VIDEO_EXTS: tuple[str, ...] = (".mp4", ".avi", ".mkv", ".mov", ".webm", ".mpg", ".mpeg")


class AnnotationError(ValueError):
    """An annotation or split file is malformed; the message names the file and line."""


def annotation_error(path: str | Path, lineno: int | None, message: str) -> AnnotationError:
    """Build an :class:`AnnotationError` reading ``path:lineno: message``."""
    where = f"{path}:{lineno}" if lineno is not None else f"{path}"
    return AnnotationError(f"{where}: {message}")


@dataclass(frozen=True)
class SplitCount:
    """Expected number of videos in one split; ``None`` where the release does not say."""

    total: int
    abnormal: int | None = None
    normal: int | None = None

    def describe(self) -> str:
        if self.abnormal is None or self.normal is None:
            return f"{self.total}"
        return f"{self.total} ({self.abnormal} abnormal, {self.normal} normal)"


# ---------------------------------------------------------------- files and lines


def read_lines(path: Path) -> list[tuple[int, str]]:
    """Non-blank lines of a text file as ``(1-based line number, stripped text)``.

    Tolerates a UTF-8 byte-order mark and Windows or old Mac line endings. Lines are numbered
    as editors and ``grep -n`` number them: only ``\n``, ``\r\n`` and ``\r`` end a line (not
    the form feeds and Unicode separators that :meth:`str.splitlines` also splits on).
    """
    try:
        text = path.read_text(encoding="utf-8-sig")  # universal newlines: \r\n and \r become \n
    except UnicodeDecodeError as exc:
        raise annotation_error(path, None, f"not UTF-8 text ({exc.reason})") from None
    out = []
    for i, line in enumerate(text.split("\n"), start=1):
        line = line.strip()
        if line:
            out.append((i, line))
    return out


def find_file(root: Path, names: Sequence[str], what: str, *, directory: bool = False) -> Path:
    """Find a release file by name anywhere under ``root`` (case-insensitive).

    ``names`` are alternatives in order of preference (official spellings differ between
    mirrors); the first name that matches anything wins.

    Raises:
        FileNotFoundError: nothing matches; the message names the candidates and the root.
        AnnotationError: one name matches several paths; the message lists them.
    """
    hits = find_all(root, names, directory=directory)
    for name in names:
        found = hits.get(name.lower(), [])
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            listed = ", ".join(str(p.relative_to(root)) for p in found)
            raise AnnotationError(f"{what}: {name} found more than once under {root} ({listed}); "
                                  "keep one copy")
    kind = "directory" if directory else "file"
    raise FileNotFoundError(f"{what}: no {kind} named {' or '.join(names)} under {root} "
                            "(see data_manifests/README.md for the expected layout)")


def find_optional(root: Path, names: Sequence[str], what: str, *, directory: bool = False) -> Path | None:
    """Like :func:`find_file` but ``None`` when nothing matches."""
    try:
        return find_file(root, names, what, directory=directory)
    except FileNotFoundError:
        return None


def find_all(root: Path, names: Iterable[str], *, directory: bool = False) -> dict[str, list[Path]]:
    """Paths under ``root`` whose lower-cased name is in ``names``, sorted, keyed by that name."""
    wanted = {n.lower() for n in names}
    hits: dict[str, list[Path]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for entry in dirnames if directory else filenames:
            key = entry.lower()
            if key in wanted:
                hits.setdefault(key, []).append(Path(dirpath) / entry)
    return {k: sorted(v) for k, v in hits.items()}


def video_id(name: str) -> str:
    """Video id from a file name or relative path: the base name without a video extension."""
    base = PurePosixPath(name.replace("\\", "/")).name
    stem, ext = os.path.splitext(base)
    return stem if ext.lower() in VIDEO_EXTS else base


def trailing_int(text: str) -> int | None:
    """The last run of digits in a file name's stem (``img_00016.jpg`` -> 16), or ``None``."""
    stem = PurePosixPath(text.replace("\\", "/")).name
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    match = re.search(r"(\d+)\D*$", stem)
    return int(match.group(1)) if match else None


class VideoIndex:
    """Every video file under a root, found once, looked up by id or by a relative hint.

    Releases are unpacked in different ways (``Anomaly-Videos-Part-1/Abuse/...`` versus
    ``Abuse/...``), so a path from a split list is a hint: used as is when the file is
    there, otherwise the file with the same id is used wherever it lies.
    """

    def __init__(self, root: Path, exts: Sequence[str] = VIDEO_EXTS):
        self.root = root
        self._by_id: dict[str, list[str]] = {}
        exts = tuple(e.lower() for e in exts)
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if os.path.splitext(name)[1].lower() in exts:
                    rel = Path(dirpath, name).relative_to(root).as_posix()
                    self._by_id.setdefault(video_id(name), []).append(rel)

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_id.values())

    def paths(self) -> list[str]:
        """All relative video paths, sorted."""
        return sorted(p for v in self._by_id.values() for p in v)

    def candidates(self, vid: str) -> list[str]:
        """Relative paths of the video files whose id is ``vid`` (any number)."""
        return list(self._by_id.get(vid, []))

    def locate(self, hint: str) -> tuple[str, bool]:
        """Relative path for a video named by ``hint``; ``(path, found)``.

        When no file matches, the hint itself is returned with ``found=False`` so that the
        manifest still names where the video was expected (``check`` reports it missing).

        Raises:
            AnnotationError: several files share the id and none matches the hint's path.
        """
        hint = hint.replace("\\", "/")
        hint = hint[2:] if hint.startswith("./") else hint
        candidates = self._by_id.get(video_id(hint), [])
        if hint in candidates:
            return hint, True
        if len(candidates) == 1:
            return candidates[0], True
        if not candidates:
            return hint, False
        tail = [c for c in candidates if c.endswith("/" + hint)]
        if len(tail) == 1:
            return tail[0], True
        raise AnnotationError(f"video {video_id(hint)!r} exists more than once under {self.root}: "
                              f"{candidates}; keep one copy")


# ---------------------------------------------------------------- intervals


def inclusive_to_half_open(start: int, end: int) -> list[int]:
    """``[start, end]`` with an inclusive end frame -> half-open ``[start, end + 1)``."""
    return [start, end + 1]


def merge_intervals(intervals: Iterable[Sequence[int]]) -> list[list[int]]:
    """Union of half-open intervals, sorted, overlapping and touching ones merged."""
    out: list[list[int]] = []
    for start, end in sorted((int(s), int(e)) for s, e in intervals):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return out


def parse_int(token: str, path: Path, lineno: int, what: str) -> int:
    """An integer field of an annotation line; accepts ``12`` and integral floats ``1.2e+01``."""
    try:
        return int(token)
    except ValueError:
        pass
    try:
        value = float(token)
    except ValueError:
        raise annotation_error(path, lineno, f"{what} {token!r} is not a number") from None
    if not value.is_integer():
        raise annotation_error(path, lineno, f"{what} {token!r} is not a whole frame number")
    return int(value)


# ---------------------------------------------------------------- video files


def find_frame_folders(root: Path, ids: Iterable[str]) -> dict[str, str]:
    """Frame folders under ``root`` named after one of ``ids``: id -> relative path.

    A directory counts when it holds frame images, so ``training/01_001/`` with other files
    in it is not taken for a video.

    Raises:
        AnnotationError: two frame folders share an id; the message lists them.
    """
    ids = list(ids)
    by_lower = {i.lower(): i for i in ids}
    out: dict[str, str] = {}
    for key, dirs in find_all(root, ids, directory=True).items():
        folders = [d.relative_to(root).as_posix() for d in dirs if is_frame_folder(d)]
        if len(folders) > 1:
            raise AnnotationError(f"video {by_lower[key]!r} exists more than once under {root}: {folders}; "
                                  "keep one copy")
        if folders:
            out[by_lower[key]] = folders[0]
    return out


def probe_video(path: Path, decode: bool = True) -> str | None:
    """Open a video with PyAV and decode its first frame; ``None`` when that works.

    A frame folder: its images are listed and the first one decoded.

    Args:
        path: a video file or a frame folder.
        decode: ``False`` only checks that the file is not empty (the folder lists images).

    Returns:
        A one-line reason when the video is empty, unreadable or has no decodable frame.
    """
    import av  # local: only the data commands need the decoder

    if path.is_dir():
        try:
            images = list_frame_images(path)
            if decode:
                read_frame_image(images[0])
        except FrameFolderError as exc:
            return str(exc)
        return None
    try:
        if path.stat().st_size == 0:
            return "empty file"
        if not decode:
            return None
        with av.open(str(path)) as container:
            if not container.streams.video:
                return "no video stream"
            for _frame in container.decode(video=0):
                return None
        return "no decodable frame"
    except Exception as exc:  # PyAV raises many FFmpeg error types; all mean unreadable
        return f"{type(exc).__name__}: {exc}".splitlines()[0]


def count_frames(path: Path) -> int:
    """Number of decoded frames of a video (decodes every frame: exact, and slow on long videos).

    A frame folder: the number of images (nothing decoded).

    Raises:
        ValueError: the file cannot be decoded or the folder listed; the message names it.
    """
    import av

    if path.is_dir():
        try:
            return len(list_frame_images(path))
        except FrameFolderError as exc:
            raise ValueError(f"{path}: {exc}") from None
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            return sum(1 for _ in container.decode(stream))
    except Exception as exc:
        raise ValueError(f"{path}: cannot decode: {exc}") from None


def video_sha256(path: Path) -> str:
    """SHA-256 of a video file, or of a frame folder (:func:`~stprompt_core.video.frames.frame_folder_sha256`)."""
    return frame_folder_sha256(path) if path.is_dir() else file_sha256(path)
