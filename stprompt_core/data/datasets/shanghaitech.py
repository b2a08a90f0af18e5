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
- the videos, ``<video>.avi|.mp4`` anywhere under the root. The original test set ships as
  frame folders: encode each one to ``<video>.mp4`` first (:func:`encode_frames`).

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
    find_all,
    find_file,
    find_optional,
    read_lines,
    runs_from_mask,
    video_id,
)
from stprompt_core.data.manifest import Manifest, VideoEntry

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
        ValueError: not a plain 1-D array of 0/1 values; the message names the file.
    """
    try:
        mask = np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise ValueError(f"{path}: not a plain .npy array ({exc})") from None
    if mask.ndim != 1:
        raise ValueError(f"{path}: expected a 1-D per-frame mask, got shape {mask.shape}")
    if mask.size and not np.isin(mask, (0, 1)).all():
        raise ValueError(f"{path}: mask values must be 0 or 1, got {np.unique(mask)[:5].tolist()}")
    return mask


def name_label(vid: str) -> int | None:
    """Label implied by a video name: 1 for ``NN_NNNN``, 0 for ``NN_NNN``, else ``None``."""
    if ABNORMAL_NAME.match(vid):
        return 1
    if NORMAL_NAME.match(vid):
        return 0
    return None


def build_manifest(root: str | Path, *, notes: list[str] | None = None) -> Manifest:
    """Build the ShanghaiTech (weakly supervised split) manifest from the release under ``root``.

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
    index = VideoIndex(root)
    videos: list[VideoEntry] = []
    seen: dict[str, str] = {}

    for split, path in (("train", train_path), ("test", test_path)):
        for lineno, vid, listed in parse_split_list(path):
            if vid in seen:
                raise annotation_error(path, lineno, f"{vid!r} already listed in {seen[vid]}")
            seen[vid] = path.name
            entry = VideoEntry(id=vid, path=index.locate(f"{vid}.mp4")[0], split=split, label=0, cls="normal")
            if split == "test":
                label = _test_label(entry, mask_dir, listed, path, lineno, notes)
            else:
                label = listed if listed is not None else name_label(vid)
                if label is None:
                    raise annotation_error(path, lineno, f"no label column and {vid!r} is not named NN_NNN "
                                           "(normal) or NN_NNNN (abnormal)")
            entry.label, entry.cls = label, LABELS[label]
            videos.append(entry)

    missing = [v for v in videos if not (root / v.path).is_file()]
    frame_dirs = sorted(find_all(root, [v.id for v in missing], directory=True)) if missing else []
    if frame_dirs:
        notes.append(f"{len(frame_dirs)} videos exist only as frame folders (e.g. {frame_dirs[0]}); "
                     "encode them with stprompt_core.data.datasets.shanghaitech.encode_frames")
    return Manifest(dataset=DATASET, videos=videos)


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


def encode_frames(frames_dir: str | Path, out_path: str | Path, fps: int = 24) -> int:
    """Encode a folder of frame images (sorted by name) to an H.264 video with PyAV.

    ShanghaiTech's test set ships as ``testing/frames/<video>/000.jpg ...``; the manifest
    needs one video file per id, e.g. ``testing/videos/<video>.mp4``.

    Returns:
        The number of frames written.
    """
    import av

    frames_dir, out_path = Path(frames_dir), Path(out_path)
    images = sorted(p for p in frames_dir.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".bmp"))
    if not images:
        raise FileNotFoundError(f"no frame images in {frames_dir}")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(out_path), "w") as out:
        stream = None
        for image in images:
            with av.open(str(image)) as src:
                frame = next(src.decode(video=0))
            if stream is None:
                stream = out.add_stream("libx264", rate=fps)
                stream.width, stream.height = frame.width - frame.width % 2, frame.height - frame.height % 2
                stream.pix_fmt = "yuv420p"
            frame = frame.reformat(width=stream.width, height=stream.height, format="yuv420p")
            frame.pts = None
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return len(images)
