"""``DetectionFolder``: the one description of what ``stprompt detect`` writes for a video.

``stprompt detect`` (:func:`~stprompt_core.detect.run.detect`) writes it; the detection
figures (:mod:`~stprompt_core.figures.detect`), detect's report and the book's landing picture
read it. It lives here, in the lowest layer that reads it, so that the writer above and the
readers at and above this layer name each file once.

Files (all written into a staging folder that replaces the folder in one rename):

- ``frame_scores.csv`` / ``frame_scores.json``: per frame ``frame, time_s, score, snippet,
  passed`` (times are the frames' own timestamps, in seconds from the first frame); the JSON
  also holds the snippet scores, the threshold and the frame rate. (Named apart from a run's
  ``scores.json``, which ``stprompt evaluate`` writes: snippet scores of many videos.)
- ``intervals.json``: runs of consecutive frames whose score is at or above the run's
  threshold (``localize.score_threshold``), with start and end in frames and seconds;
- ``boxes.json``: for every snippet that passes, its frames, score and boxes (frame pixels),
  boxed with the run's ``localize`` settings (named apart from a run's ``localization.json``,
  which ``stprompt localize`` writes: TIoU against ground truth);
- ``localization_maps.safetensors``: the patch maps of every snippet
  (:mod:`~stprompt_core.localize.maps`' format, video id :data:`VIDEO_KEY`);
- ``annotated.mp4``: every frame with its heatmap and boxes where the score passes, and a
  score strip; ``keyframes.json`` and ``keyframes/``: the key frames as JPEGs;
- ``report.html``: the offline page; ``detect.json``: the summary (video, run, timing, warnings).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stprompt_core.io import read_json
from stprompt_core.localize.maps import MAPS_FILE, LocalizationMaps, load_maps

VIDEO_KEY = "video"  # the video's id in the maps file
DETECT_DIR = "detect"  # detections of a run: <run_dir>/detect/<video stem>


@dataclass(frozen=True)
class DetectionFolder:
    """The output folder of one detection: its file paths and readers."""

    root: Path

    SCORES_CSV = "frame_scores.csv"
    SCORES = "frame_scores.json"
    INTERVALS = "intervals.json"
    BOXES = "boxes.json"
    MAPS = MAPS_FILE
    VIDEO = "annotated.mp4"
    KEYFRAMES = "keyframes.json"
    KEYFRAME_DIR = "keyframes"
    REPORT = "report.html"
    SUMMARY = "detect.json"

    def __post_init__(self):
        object.__setattr__(self, "root", Path(self.root))

    @classmethod
    def default(cls, video: str | Path, run_dir: str | Path) -> DetectionFolder:
        """``<run_dir>/detect/<video stem>``: results stay with the run that produced them."""
        return cls(Path(run_dir) / DETECT_DIR / Path(video).stem)

    @classmethod
    def in_run(cls, run_dir: str | Path) -> list[DetectionFolder]:
        """The detections of a run that hold an annotated video, newest (by that video's
        modification time) first; ties in name order."""
        found = sorted((Path(run_dir) / DETECT_DIR).glob(f"*/{cls.VIDEO}"))
        found.sort(key=lambda p: p.stat().st_mtime, reverse=True)  # stable: equal times keep name order
        return [cls(p.parent) for p in found]

    def path(self, name: str) -> Path:
        return self.root / name

    @property
    def name(self) -> str:
        """The folder's name (the video's stem by default)."""
        return self.root.name

    @property
    def video(self) -> Path:
        return self.root / self.VIDEO

    @property
    def report(self) -> Path:
        return self.root / self.REPORT

    def scores(self) -> dict[str, Any]:
        """``frame_scores.json``: ``video``, ``num_frames``, ``fps``, ``snippet_len``, ``threshold``,
        ``snippet_scores [T]``, ``time_s [N]`` and ``score [N]``."""
        return read_json(self.root / self.SCORES)

    def intervals(self) -> dict[str, Any]:
        """``intervals.json``: ``threshold`` and ``intervals`` (start/end frame and second, peak, mean)."""
        return read_json(self.root / self.INTERVALS)

    def boxes(self) -> dict[str, Any]:
        """``boxes.json``: ``threshold``, ``frame_size``, ``settings`` and ``snippets`` (each passing
        snippet's frames, score and boxes)."""
        return read_json(self.root / self.BOXES)

    def summary(self) -> dict[str, Any]:
        """``detect.json``."""
        return read_json(self.root / self.SUMMARY)

    def key_frames(self) -> list[dict[str, Any]]:
        """The key frames (``keyframes.json``), each with its image's ``path``."""
        return [{**k, "path": self.root / k["image"]} for k in read_json(self.root / self.KEYFRAMES)]

    def maps(self) -> LocalizationMaps:
        """The patch maps of every snippet (video id :data:`VIDEO_KEY`)."""
        return load_maps(self.root / self.MAPS)
