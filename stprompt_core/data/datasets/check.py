"""Validate a real dataset on disk against its manifest: ``stprompt data check``.

Problems (the check fails):

- ``missing``: the manifest's file (or frame folder) is not under the root;
- ``corrupt``: empty, unreadable, or no decodable first frame (PyAV; a frame folder: no
  images, ambiguous or skipped frame numbers, or an unreadable first image);
- ``checksum``: the file's SHA-256 differs from the manifest's ``sha256``;
- ``count``: a split's size (total, abnormal, normal) differs from the official number;
- ``annotation``: an abnormal video of an annotated split has no frame intervals.

Warnings (reported, not failing): intervals or box frames beyond a known ``num_frames``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from stprompt_core.data.datasets.common import SplitCount, probe_video, video_sha256
from stprompt_core.data.datasets.registry import SplitTally, get_spec, split_tallies
from stprompt_core.data.manifest import Manifest, VideoEntry

PROBLEM_KINDS = ("missing", "corrupt", "checksum", "count", "annotation")


@dataclass
class Problem:
    kind: str  # one of PROBLEM_KINDS
    where: str  # relative file path, or the split for count problems
    detail: str

    def format(self) -> str:
        return f"{self.kind:<10} {self.where}: {self.detail}"


@dataclass
class CheckReport:
    """Result of :func:`check_dataset`; :meth:`format` is what the CLI prints."""

    dataset: str
    root: Path
    num_videos: int
    tallies: dict[str, SplitTally]
    expected: Mapping[str, SplitCount]
    decoded: bool
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def files_with(self, kind: str) -> list[str]:
        return [p.where for p in self.problems if p.kind == kind]

    def format(self) -> str:
        lines = [f"{self.dataset}: checked {self.num_videos} videos under {self.root}"
                 + ("" if self.decoded else " (existence only, --no-decode)")]
        for split in sorted(set(self.tallies) | set(self.expected), key=_split_order):
            got = self.tallies.get(split, SplitTally())
            exp = self.expected.get(split)
            verdict = "" if exp is None else ("  ok" if not _count_diffs(got, exp) else "  MISMATCH")
            lines.append(f"  {split}: {got.describe()}"
                         + ("" if exp is None else f", expected {exp.describe()}") + verdict)
        if self.problems:
            lines.append(f"problems ({len(self.problems)}):")
            lines += [f"  {p.format()}" for p in self.problems]
        if self.warnings:
            lines.append(f"warnings ({len(self.warnings)}):")
            lines += [f"  {w}" for w in self.warnings]
        if self.ok:
            lines.append(f"OK: {self.num_videos} videos"
                         + (" present and decodable" if self.decoded else " present")
                         + (", counts match" if self.expected else ""))
        else:
            kinds = Counter(p.kind for p in self.problems)
            lines.append(f"FAILED: {len(self.problems)} problems ("
                         + ", ".join(f"{kinds[k]} {k}" for k in PROBLEM_KINDS if kinds[k]) + ")")
        return "\n".join(lines)


def _split_order(split: str) -> int:
    order = ("train", "val", "test")
    return order.index(split) if split in order else len(order)


def _count_diffs(got: SplitTally, exp: SplitCount) -> list[str]:
    diffs = []
    for what in ("total", "abnormal", "normal"):
        want = getattr(exp, what)
        have = getattr(got, what)
        if want is not None and have != want:
            diffs.append(f"{have} {what if what != 'total' else 'videos'}, expected {want}")
    return diffs


def check_dataset(manifest: Manifest, root: str | Path, *,
                  expected_counts: Mapping[str, SplitCount] | None = None,
                  decode: bool = True, progress: bool | None = None) -> CheckReport:
    """Check the files of ``manifest`` under ``root``.

    Args:
        manifest: a manifest of one of the real datasets.
        root: the data root its relative paths resolve against.
        expected_counts: per-split counts to compare with; ``None`` uses the dataset's
            official numbers, ``{}`` skips the count check (small fixtures, subsets).
        decode: open every present file with PyAV and decode its first frame (a frame
            folder: its first image).
        progress: progress bar (``None``: only on a terminal).
    """
    spec = get_spec(manifest.dataset)
    root = Path(root)
    expected = spec.expected_counts if expected_counts is None else expected_counts
    tallies = split_tallies(manifest)
    report = CheckReport(dataset=manifest.dataset, root=root, num_videos=len(manifest.videos),
                         tallies=tallies, expected=expected, decoded=decode)

    for split, exp in expected.items():
        diffs = _count_diffs(tallies.get(split, SplitTally()), exp)
        if diffs:
            report.problems.append(Problem("count", split, "; ".join(diffs)))
    for split in tallies:
        if split not in expected and expected:
            report.problems.append(Problem("count", split, f"{tallies[split].total} videos in a split "
                                           "the release does not have"))

    bar = tqdm(manifest.videos, desc=f"{manifest.dataset}: checking", unit="video",
               disable=None if progress is None else not progress)
    for v in bar:
        path = root / v.path
        if not path.exists():
            report.problems.append(Problem("missing", v.path, "file not found"))
        else:  # a file or a frame folder
            reason = probe_video(path, decode=decode)
            if reason is not None:
                report.problems.append(Problem("corrupt", v.path, reason))
            elif v.sha256:
                digest = video_sha256(path)
                if digest.lower() != v.sha256.lower():
                    report.problems.append(Problem("checksum", v.path, f"sha256 {digest[:16]}..., "
                                                   f"manifest says {v.sha256[:16]}..."))
        if v.label == 1 and v.split in spec.annotated_splits and not v.intervals:
            report.problems.append(Problem("annotation", v.path, f"abnormal {v.split} video without frame intervals"))
        report.warnings += _range_warnings(v)
    return report


def _range_warnings(v: VideoEntry) -> list[str]:
    if v.num_frames is None:
        return []
    out = [f"{v.path}: interval {iv} ends after frame {v.num_frames}" for iv in v.intervals if iv[1] > v.num_frames]
    late = [int(f) for f in (v.boxes or {}) if int(f) >= v.num_frames]
    if late:
        out.append(f"{v.path}: {len(late)} box frames at or after frame {v.num_frames} (first {min(late)})")
    return out
