"""XD-Violence (Wu et al., ECCV 2020): six violence classes in movies and online videos.

The release has no split list, so the files decide:

- videos ``*.mp4`` anywhere under the root. A video is a test video when a folder on its
  path has ``test`` in its name (unpack the test archive into ``test/``) or when the
  annotation file names it; every other video is a training video.
- the label is in the file name after ``_label_``: ``A`` is normal; otherwise one to three
  of ``B1 B2 B4 B5 B6 G`` joined by ``-`` and padded with ``0``
  (``..._label_B2-G-0``). ``cls`` is the first of them; a video with several keeps all in
  ``classes`` (``["B2", "G"]``), which MIL-Align turns into soft targets (VadCLIP's CLASM).
- ``annotations.txt``: lines ``name s1 e1 s2 e2 ...`` (pairs, variable count; the name
  sometimes carries ``.mp4``) for the abnormal test videos. The numbers are read as 0-based
  frames with an inclusive end, stored half-open (VadCLIP's ``gt[s:e]`` drops the last frame
  of each pair). A name in the annotation file without a video on disk still becomes a
  test entry, so ``check`` reports it missing.
"""

from __future__ import annotations

from pathlib import Path

from stprompt_core.classes import class_labels
from stprompt_core.data.datasets.common import (
    AnnotationError,
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

DATASET = "xd_violence"
# Wu et al. 2020, Sec. 3: training 1905 violent + 2049 non-violent, test 500 + 300.
EXPECTED_COUNTS: dict[str, SplitCount] = {
    "train": SplitCount(3954, abnormal=1905, normal=2049),
    "test": SplitCount(800, abnormal=500, normal=300),
}
ANNOTATIONS = ("annotations.txt", "test_annotations.txt")
VIDEO_EXTS = (".mp4",)
NORMAL = "A"
LABEL_MARK = "_label_"


def labels_from_name(name: str) -> list[str]:
    """Dataset labels encoded in a video name, in order (``[..._label_B2-G-0]`` -> ``["B2", "G"]``).

    Raises:
        AnnotationError: no ``_label_`` part, or a token that is not a valid label.
    """
    if LABEL_MARK not in name:
        raise AnnotationError(f"video name {name!r} has no '{LABEL_MARK}' part")
    tokens = [t for t in name.rsplit(LABEL_MARK, 1)[1].split("-") if t != "0"]
    valid = class_labels(DATASET)
    if tokens == [NORMAL]:
        return tokens
    if not tokens or NORMAL in tokens or any(t not in valid for t in tokens):
        raise AnnotationError(f"video name {name!r}: label {name.rsplit(LABEL_MARK, 1)[1]!r} is not 'A' "
                         f"or one to three of {valid[1:]} joined by '-'")
    return tokens


def parse_annotations(path: Path) -> dict[str, tuple[int, list[list[int]]]]:
    """Parse ``annotations.txt`` into ``{video id: (line number, half-open intervals)}``."""
    out: dict[str, tuple[int, list[list[int]]]] = {}
    for lineno, line in read_lines(path):
        name, *nums = line.split()
        if not nums or len(nums) % 2:
            raise annotation_error(path, lineno, f"expected a name and start/end pairs, got {len(nums)} numbers")
        values = [parse_int(v, path, lineno, "frame") for v in nums]
        intervals = []
        for start, end in zip(values[0::2], values[1::2]):
            if start < 0 or end < start:
                raise annotation_error(path, lineno, f"bad interval ({start}, {end})")
            intervals.append(inclusive_to_half_open(start, end))
        vid = video_id(name)
        try:
            labels = labels_from_name(vid)
        except ValueError as exc:
            raise annotation_error(path, lineno, str(exc)) from None
        if labels == [NORMAL]:
            raise annotation_error(path, lineno, f"normal video {vid!r} has anomalous intervals")
        if vid in out:
            raise annotation_error(path, lineno, f"video {vid!r} already annotated on line {out[vid][0]}")
        out[vid] = (lineno, merge_intervals(intervals))
    return out


def is_test_path(rel_path: str) -> bool:
    """True when a folder on the relative path has ``test`` in its name."""
    return any("test" in part.lower() for part in rel_path.split("/")[:-1])


def build_manifest(root: str | Path, *, notes: list[str] | None = None) -> Manifest:
    """Build the XD-Violence manifest from the release under ``root``.

    Raises:
        FileNotFoundError: ``annotations.txt`` is missing.
        AnnotationError: an annotation line or a video name is malformed (names the file).
    """
    root = Path(root)
    notes = notes if notes is not None else []
    ann_path = find_file(root, ANNOTATIONS, DATASET)
    annotations = parse_annotations(ann_path)
    index = VideoIndex(root, exts=VIDEO_EXTS)
    videos: list[VideoEntry] = []
    seen: set[str] = set()
    for rel in index.paths():
        vid = video_id(rel)
        if vid in seen:
            raise AnnotationError(f"video {vid!r} exists more than once under {root}; keep one copy")
        seen.add(vid)
        try:
            labels = labels_from_name(vid)
        except ValueError as exc:
            raise AnnotationError(f"{root / rel}: {exc}") from None
        cls = labels[0]
        split = "test" if is_test_path(rel) or vid in annotations else "train"
        intervals = annotations[vid][1] if vid in annotations else []
        videos.append(VideoEntry(id=vid, path=rel, split=split, label=int(cls != NORMAL), cls=cls,
                                 intervals=intervals, classes=labels if len(labels) > 1 else None))
    absent = [vid for vid in annotations if vid not in seen]
    for vid in absent:
        labels = labels_from_name(vid)
        videos.append(VideoEntry(id=vid, path=f"test/{vid}.mp4", split="test", label=1, cls=labels[0],
                                 intervals=annotations[vid][1], classes=labels if len(labels) > 1 else None))
    if absent:
        notes.append(f"{len(absent)} annotated test videos not found under the root (e.g. {absent[0]})")
    return Manifest(dataset=DATASET, videos=videos)


class ListedAnnotations:
    """The official annotation file under ``root``, for checking videos that a list made
    elsewhere names (VadCLIP's released features, :mod:`stprompt_core.features.released`).

    ``files`` are the files read; ``intervals`` the half-open anomalous frames of every
    annotated test video.
    """

    def __init__(self, root: Path):
        path = find_file(root, ANNOTATIONS, DATASET)
        self.files = [path]
        self.intervals = {vid: iv for vid, (_, iv) in parse_annotations(path).items()}

    def labels(self, video: str, listed: str, split: str) -> list[str]:
        """The labels the video's name carries, when the listed label (``B1-0-0``) agrees.

        Raises:
            ValueError: the listed label disagrees with the name's, or an abnormal test video
                has no annotation.
        """
        labels = labels_from_name(video)
        if [t for t in listed.split("-") if t != "0"] != labels:
            raise ValueError(f"listed label {listed!r} disagrees with its name's label {labels}")
        if split == "test" and labels != [NORMAL] and video not in self.intervals:
            raise ValueError(f"abnormal test video not in {ANNOTATIONS[0]} (no ground truth)")
        return labels
