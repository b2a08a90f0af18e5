"""ShanghaiTech Campus, weakly supervised split of Zhong et al. (CVPR 2019).

The original release has 330 normal training videos (``training/videos/01_001.avi``) and
107 test videos with anomalies (``testing/frames/01_0014/``, masks in
``testing/test_frame_mask/01_0014.npy``). Zhong et al. re-split them into 238 training
(63 abnormal, 175 normal) and 199 test (44 abnormal, 155 normal) videos.

Release files read (found anywhere under the root, names case-insensitive):

- ``SH_Train_new.txt`` and ``SH_Test_NEW.txt``: one video per line, ``01_0014`` (an
  extension or folder is ignored), optionally followed by a label column,
  ``01_0014,1`` or ``01_0014 1``.
- ``test_frame_mask/<video>.npy``: per-frame 0/1 arrays, loaded with
  ``np.load(allow_pickle=False)``.
- the videos, anywhere under the root: a frame folder ``<video>/`` of ``.jpg``/``.png``
  images (the original test set: ``testing/frames/01_0014/000.jpg ...``) or a file
  ``<video>.avi|.mp4|...`` (the original training set: ``training/videos/01_001.avi``).

Both forms are read as they are, through the same decoding functions
(:mod:`stprompt_core.video.decode`): nothing is re-encoded. Re-encoding only the frame
folders would add a codec that follows the label (every original test video is abnormal in
the weakly supervised split) in front of a model that looks at raw frame differences; the
difference the release itself has (JPEG frames versus the training videos' codec) remains.
A frame folder's manifest ``path`` is the folder (``testing/frames/01_0014``) and its
``num_frames`` the number of images (frame ``i`` = the ``i``-th image in natural numeric
order, see :mod:`stprompt_core.video.frames`; a test video keeps its mask length, with a note
where the two differ); it has no frame rate. When an id exists both as a folder and as a
video file (an earlier re-encode), the folder is used and a note says so.

Labels:
- test: abnormal exactly when the video's mask has a 1 (intervals = runs of 1s, half-open;
  ``num_frames`` = mask length). A label column, if present, must agree.
- train: the label column when present; otherwise the name: ``NN_NNNN`` videos come from
  the original test set and are abnormal, ``NN_NNN`` from the original training set and
  are normal. Training videos carry no intervals (weak supervision).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from stprompt_core.data.datasets.common import (
    SplitCount,
    VideoIndex,
    annotation_error,
    find_file,
    find_frame_folders,
    find_optional,
    read_lines,
    video_id,
)
from stprompt_core.data.manifest import Manifest, VideoEntry
from stprompt_core.video.frames import FrameFolderError, list_frame_images, runs_from_mask

DATASET = "shanghaitech"
EXPECTED_COUNTS: dict[str, SplitCount] = {
    "train": SplitCount(238, abnormal=63, normal=175),
    "test": SplitCount(199, abnormal=44, normal=155),
}
TRAIN_LIST = ("SH_Train_new.txt", "SH_Train.txt")
TEST_LIST = ("SH_Test_NEW.txt", "SH_Test_new.txt", "SH_Test.txt")
MASK_DIR = ("test_frame_mask",)
ABNORMAL_NAME = re.compile(r"^\d+_\d{4}$")  # original test set: 01_0014
NORMAL_NAME = re.compile(r"^\d+_\d{3}$")  # original training set: 01_001
LABELS = {0: "normal", 1: "abnormal"}


def parse_split_list(path: Path) -> list[tuple[int, str, int | None]]:
    """``(line number, video id, label or None)`` for each line of a split list."""
    out = []
    for lineno, line in read_lines(path):
        fields = [f for f in re.split(r"[,\s]+", line) if f]
        if len(fields) not in (1, 2):
            raise annotation_error(path, lineno, f"expected 'name' or 'name,label', got {len(fields)} fields")
        label = None
        if len(fields) == 2:
            if fields[1] not in ("0", "1"):
                raise annotation_error(path, lineno, f"label {fields[1]!r} must be 0 or 1")
            label = int(fields[1])
        out.append((lineno, video_id(fields[0]), label))
    return out


def load_mask(path: Path) -> np.ndarray:
    """A per-frame 0/1 mask (1-D) from ``.npy``, never unpickling.

    Raises:
        AnnotationError: not a plain 1-D array of 0/1 numbers; the message names the file.
    """
    try:
        mask = np.load(path, allow_pickle=False)
    except (ValueError, EOFError, OSError) as exc:  # an empty file raises EOFError
        raise annotation_error(path, None, f"not a plain .npy array ({type(exc).__name__}: {exc})") from None
    if not isinstance(mask, np.ndarray):  # an .npz archive
        raise annotation_error(path, None, "expected one .npy array, got an .npz archive")
    if mask.ndim != 1:
        raise annotation_error(path, None, f"expected a 1-D per-frame mask, got shape {mask.shape}")
    if mask.dtype.kind not in "biuf":
        raise annotation_error(path, None, f"mask values must be 0 or 1 numbers, got dtype {mask.dtype}")
    if mask.size and not np.isin(mask, (0, 1)).all():
        raise annotation_error(path, None, f"mask values must be 0 or 1, got {np.unique(mask)[:5].tolist()}")
    return mask


def name_label(vid: str) -> int | None:
    """Label implied by a video name: 1 for ``NN_NNNN``, 0 for ``NN_NNN``, else ``None``."""
    if ABNORMAL_NAME.match(vid):
        return 1
    if NORMAL_NAME.match(vid):
        return 0
    return None


def official_path(vid: str) -> str:
    """Where the original release keeps a video: the path a manifest names when it is missing."""
    return f"testing/frames/{vid}" if ABNORMAL_NAME.match(vid) else f"training/videos/{vid}.avi"


def build_manifest(root: str | Path, *, notes: list[str] | None = None) -> Manifest:
    """Build the ShanghaiTech (weakly supervised split) manifest from the release under ``root``.

    Videos are frame folders or video files (module docstring); a video found in neither
    form keeps its official path, so ``check`` reports it missing.

    Raises:
        FileNotFoundError: a split list is missing.
        AnnotationError / ValueError: a list line or a mask is malformed (names file and line).
    """
    root = Path(root)
    notes = notes if notes is not None else []
    train_path = find_file(root, TRAIN_LIST, DATASET)
    test_path = find_file(root, TEST_LIST, DATASET)
    mask_dir = find_optional(root, MASK_DIR, DATASET, directory=True)
    if mask_dir is None:
        notes.append(f"no {MASK_DIR[0]}/ directory: test videos get no frame labels")
    lists = {"train": (train_path, parse_split_list(train_path)), "test": (test_path, parse_split_list(test_path))}
    folders = find_frame_folders(root, [vid for _, rows in lists.values() for _, vid, _ in rows])
    index = VideoIndex(root)
    videos: list[VideoEntry] = []
    seen: dict[str, str] = {}
    shadowed: list[str] = []  # video files ignored because a frame folder has the same id

    for split, (path, rows) in lists.items():
        for lineno, vid, listed in rows:
            if vid in seen:
                raise annotation_error(path, lineno, f"{vid!r} already listed in {seen[vid]}")
            seen[vid] = path.name
            if vid in folders:
                rel = folders[vid]
                shadowed += index.candidates(vid)
            else:
                rel = index.locate(official_path(vid))[0]
            entry = VideoEntry(id=vid, path=rel, split=split, label=0, cls="normal")
            if split == "test":
                label = _test_label(entry, mask_dir, listed, path, lineno, notes)
            else:
                label = listed if listed is not None else name_label(vid)
                if label is None:
                    raise annotation_error(path, lineno, f"no label column and {vid!r} is not named NN_NNN "
                                           "(normal) or NN_NNNN (abnormal)")
            entry.label, entry.cls = label, LABELS[label]
            if vid in folders:
                _count_images(root, entry, notes)
            videos.append(entry)

    if shadowed:
        notes.append(f"{len(shadowed)} video files have the id of a frame folder: the frame folders are read, "
                     f"the files ignored (e.g. {shadowed[0]})")
    return Manifest(dataset=DATASET, videos=videos)


def _count_images(root: Path, entry: VideoEntry, notes: list[str]) -> None:
    """A frame folder's ``num_frames`` from its listing (no decoding); a note where its mask disagrees."""
    try:
        n = len(list_frame_images(root / entry.path))
    except FrameFolderError as exc:
        notes.append(f"{entry.path}: {exc}")
        return
    if entry.num_frames is None:
        entry.num_frames = n
    elif entry.num_frames != n:
        notes.append(f"{entry.path}: {n} images, but its mask covers {entry.num_frames} frames")


def _test_label(entry: VideoEntry, mask_dir: Path | None, listed: int | None, path: Path, lineno: int,
                notes: list[str]) -> int:
    """Label of a test video from its mask; fills intervals and num_frames."""
    mask_path = mask_dir / f"{entry.id}.npy" if mask_dir is not None else None
    if mask_path is not None and mask_path.is_file():
        mask = load_mask(mask_path)
        entry.num_frames = int(mask.size)
        entry.intervals = runs_from_mask(mask)
        label = int(bool(entry.intervals))
        if listed is not None and listed != label:
            raise annotation_error(path, lineno, f"label {listed} disagrees with {mask_path.name} "
                                   f"({'has' if label else 'has no'} anomalous frames)")
        return label
    label = listed if listed is not None else (name_label(entry.id) or 0)
    if label == 1:
        notes.append(f"abnormal test video {entry.id} has no mask {MASK_DIR[0]}/{entry.id}.npy")
    return label

