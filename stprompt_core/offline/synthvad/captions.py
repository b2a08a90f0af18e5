"""Frame captions of SynthVAD and the rule that resolves a caption for any frame.

A caption names the anomalous event first (when there is one), then the normal activity
with counts, then the place: ``"two people fighting on the pavement, a person walking, a
car driving on the road in a street with a road, pavements and a brick wall"``.

Storage rule (``VideoEntry.captions``): captions are stored for frames ``0, stride,
2*stride, ...`` and for the first frame of every anomaly interval and the first frame
after it; the caption of frame ``t`` is the one stored at the largest key ``<= t``
(:func:`caption_at`). Because interval boundaries are keys, a resolved caption mentions
the anomaly exactly on the anomalous frames.
"""

from __future__ import annotations

from collections import Counter
from typing import Mapping

_PLURAL = {"person": "people", "bus": "buses"}
_NUMBERS = {1: "a", 2: "two", 3: "three"}
PREFIXES = ("", "a cctv view of ", "surveillance footage of ", "a security camera shot of ")


def _count_phrase(noun: str, verb: str, n: int) -> str:
    plural = _PLURAL.get(noun, noun + "s")
    if n == 1:
        return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun} {verb}"
    return f"{_NUMBERS.get(n, 'several')} {plural} {verb}"


def frame_caption(place: str, tags: list[str], prefix: str = "") -> str:
    """Caption of one frame from its actors' tags (see :class:`~stprompt_core.offline.synthvad.actors.Actor`).

    Args:
        place: the layout's phrase, e.g. ``"a park with grass, trees and a footpath next to a road"``.
        tags: tags of the actors visible in the frame; ``"noun|verb"`` are counted, others
            (anomaly phrases) are kept once each, first.
        prefix: a style prefix such as ``"a cctv view of "``.
    """
    events: list[str] = []
    counts: Counter[tuple[str, str]] = Counter()
    for tag in tags:
        if "|" in tag:
            noun, verb = tag.split("|", 1)
            counts[(noun, verb)] += 1
        elif tag not in events:
            events.append(tag)
    parts = events + [_count_phrase(noun, verb, n) for (noun, verb), n in sorted(counts.items())]
    return prefix + (f"{', '.join(parts)} in {place}" if parts else place)


def caption_keys(num_frames: int, intervals: list[list[int]], stride: int) -> list[int]:
    """Frames whose captions are stored: every ``stride``-th frame plus interval boundaries."""
    keys = set(range(0, num_frames, stride))
    for start, end in intervals:
        keys.add(start)
        if end < num_frames:
            keys.add(end)
    return sorted(keys)


def caption_at(captions: Mapping[str, str], frame: int) -> str:
    """Caption of ``frame``: the stored caption at the largest key ``<= frame``."""
    best = max((int(k) for k in captions if int(k) <= frame), default=None)
    if best is None:
        raise KeyError(f"no caption at or before frame {frame}")
    return captions[str(best)]
