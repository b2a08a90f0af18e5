"""The dataset's own annotation files, read by its parser, for the videos VadCLIP's lists name.

Each dataset's parser module knows its files and labels (``ListedAnnotations`` of
:mod:`~stprompt_core.data.datasets.ucf_crime` and :mod:`~stprompt_core.data.datasets.xd_violence`);
here only VadCLIP's frame ground-truth convention is added (:func:`vadclip_frame_gt`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from stprompt_core.data.datasets import ucf_crime, xd_violence


class ListedAnnotations(Protocol):
    files: list[Path]  # the annotation files read
    intervals: dict[str, list[list[int]]]  # test video -> half-open [s, e + 1) anomalous frames

    def labels(self, video: str, listed: str, split: str) -> list[str]: ...


ANNOTATIONS: dict[str, type] = {"ucf_crime": ucf_crime.ListedAnnotations,
                                "xd_violence": xd_violence.ListedAnnotations}


def listed_annotations(dataset: str, root: Path) -> ListedAnnotations:
    """The annotation files of ``dataset`` under ``root``, read by its parser."""
    return ANNOTATIONS[dataset](root)


def vadclip_frame_gt(intervals: list[list[int]], num_frames: int) -> np.ndarray:
    """VadCLIP's frame labels ``[num_frames]`` uint8: an annotated ``s e`` marks ``[s, e)``,
    cut at ``num_frames`` (the parsers store ``[s, e + 1)``; VadCLIP's ``gt[s:e]``)."""
    gt = np.zeros(num_frames, np.uint8)
    for start, end in intervals:
        gt[max(0, start):min(num_frames, end - 1)] = 1
    return gt
