"""The real datasets by name: their parsers, official counts, and the index step.

``stprompt data index NAME`` and notebooks both call :func:`index_dataset`; each dataset
module exposes ``build_manifest(root, *, notes=None, ...) -> Manifest`` and
``EXPECTED_COUNTS``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

import stprompt_core.data.datasets.shanghaitech as shanghaitech
import stprompt_core.data.datasets.ubnormal as ubnormal
import stprompt_core.data.datasets.ucf_crime as ucf_crime
import stprompt_core.data.datasets.xd_violence as xd_violence
from stprompt_core.data.datasets.common import SplitCount, count_frames, video_sha256
from stprompt_core.data.manifest import Manifest, load_manifest, manifest_from_dict


@dataclass(frozen=True)
class DatasetSpec:
    """What the data commands need to know about one real dataset."""

    name: str  # key of stprompt_core.classes.DATASET_CLASSES and of the config profile
    title: str
    build: Callable[..., Manifest]  # build(root, *, notes=None, **options) -> Manifest
    expected_counts: Mapping[str, SplitCount]  # official numbers, per split
    annotated_splits: tuple[str, ...]  # splits whose abnormal videos must carry intervals
    options: tuple[str, ...] = ()  # extra keyword options of ``build`` (e.g. "boxes")


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec("ucf_crime", "UCF-Crime", ucf_crime.build_manifest, ucf_crime.EXPECTED_COUNTS,
                    ("test",), options=("boxes",)),
        DatasetSpec("shanghaitech", "ShanghaiTech (weakly supervised split)", shanghaitech.build_manifest,
                    shanghaitech.EXPECTED_COUNTS, ("test",)),
        DatasetSpec("ubnormal", "UBnormal", ubnormal.build_manifest, ubnormal.EXPECTED_COUNTS,
                    ubnormal.ANNOTATED_SPLITS),
        DatasetSpec("xd_violence", "XD-Violence", xd_violence.build_manifest, xd_violence.EXPECTED_COUNTS,
                    ("test",)),
    )
}


def dataset_names() -> list[str]:
    return sorted(DATASETS)


def get_spec(name: str) -> DatasetSpec:
    """The spec of a real dataset; ``KeyError`` naming the valid names."""
    if name not in DATASETS:
        raise KeyError(f"unknown real dataset {name!r}; valid: {dataset_names()}")
    return DATASETS[name]


@dataclass
class SplitTally:
    total: int = 0
    abnormal: int = 0
    normal: int = 0

    def describe(self) -> str:
        return f"{self.total} ({self.abnormal} abnormal, {self.normal} normal)"


def split_tallies(manifest: Manifest) -> dict[str, SplitTally]:
    """Videos per split, with abnormal/normal counts, in train/val/test order."""
    out: dict[str, SplitTally] = {}
    for split in ("train", "val", "test"):
        for v in manifest.split(split):
            t = out.setdefault(split, SplitTally())
            t.total += 1
            t.abnormal += v.label
            t.normal += 1 - v.label
    return out


@dataclass
class IndexResult:
    """A freshly built manifest and what the builder wants the user to know."""

    manifest: Manifest
    root: Path
    notes: list[str] = field(default_factory=list)

    def missing(self) -> list[str]:
        return [v.path for v in self.manifest.videos if not (self.root / v.path).exists()]  # file or frame folder


def index_dataset(name: str, root: str | Path, *, with_frames: bool = False, with_sha256: bool = False,
                  progress: bool | None = None, **options: Any) -> IndexResult:
    """Build and validate the manifest of a real dataset from its official release.

    Args:
        name: a key of :data:`DATASETS`.
        root: the data root holding the release.
        with_frames: decode every present video to fill ``num_frames`` (slow: all frames).
        with_sha256: record each present file's SHA-256 so later ``check`` runs verify it.
        progress: show a progress bar (``None``: only on a terminal).
        **options: dataset options, e.g. ``boxes=PATH`` for UCF-Crime; ``None`` values are ignored.

    Raises:
        KeyError: unknown dataset; ValueError: an option the dataset does not take.
        FileNotFoundError / AnnotationError: from the parser, naming the file (and line).
        ManifestError: the built manifest breaks the schema (a parser bug).
    """
    spec = get_spec(name)
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"data root is not a directory: {root}")
    options = {k: v for k, v in options.items() if v is not None}
    unknown = sorted(set(options) - set(spec.options))
    if unknown:
        raise ValueError(f"{name} takes no option {', '.join(unknown)} (options: {list(spec.options) or 'none'})")
    notes: list[str] = []
    manifest = spec.build(root, notes=notes, **options)
    manifest_from_dict(manifest.to_dict(), source=f"{name} manifest built from {root}")
    if with_frames or with_sha256:
        present = [v for v in manifest.videos if (root / v.path).exists()]
        bar = tqdm(present, desc=f"{name}: reading videos", unit="video",
                   disable=None if progress is None else not progress)
        for v in bar:
            if with_sha256:
                v.sha256 = video_sha256(root / v.path)
            if with_frames:
                try:
                    decoded = count_frames(root / v.path)
                except ValueError as exc:
                    notes.append(f"num_frames not filled: {exc}")
                    continue
                if v.num_frames is not None and v.num_frames != decoded:
                    notes.append(f"{v.path}: annotation covers {v.num_frames} frames, video decodes to {decoded}")
                v.num_frames = decoded
    return IndexResult(manifest=manifest, root=root, notes=notes)


def write_manifest(manifest: Manifest, out: str | Path) -> Manifest:
    """Save atomically and read back through :func:`load_manifest` (the round trip is the check)."""
    manifest.save(out)
    return load_manifest(out)
