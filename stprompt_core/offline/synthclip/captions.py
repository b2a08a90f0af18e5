"""The texts SynthCLIP learns from, derived from SynthVAD's frame captions.

A SynthVAD frame caption is ``prefix + ", ".join(events + activity) + " in " + place``
(:func:`stprompt_core.offline.synthvad.captions.frame_caption`): the anomalous event first (only on
anomalous frames), then the counted normal activity, then the place. From it we derive

- the **region caption** of an anomalous frame: the event phrase alone (``"two people
  fighting on the pavement"``), paired with a crop of the annotated box and with the patch
  tokens inside the box;
- the **context caption**: the caption without the event (``"a person walking in a
  street with ..."``), paired with the patch tokens outside the box;
- the **event caption**: the event phrase without where it happens (``"two people
  fighting"``), shared by every frame of one kind of event (the anchors of the
  ``anchored`` event loss);
- the **plain caption**: the caption without its style prefix (``"a cctv view of "``),
  which is drawn at random per video and cannot be seen in the frame.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stprompt_core.offline.synthvad.captions import PREFIXES

_WHERE = re.compile(r" (?:on the [a-z]+|in front of the wall)$")  # synthvad.anomalies._where
_PLACE_SPLIT = re.compile(r" in (?=an? )")  # parts end where " in a(n) <place>" begins
_PREFIXES = sorted((p for p in PREFIXES if p), key=len, reverse=True)


@dataclass(frozen=True)
class ParsedCaption:
    prefix: str  # one of offline.synthvad.captions.PREFIXES ("" when none)
    parts: tuple[str, ...]  # event phrase(s) first, then counted activity phrases
    place: str  # "a street with a road, pavements and a brick wall" (+ " at dusk")

    def text(self) -> str:
        """The caption again (round trip)."""
        return self.prefix + (f"{', '.join(self.parts)} in {self.place}" if self.parts else self.place)


def parse_caption(caption: str) -> ParsedCaption:
    """Split a SynthVAD frame caption into prefix, parts and place.

    Raises:
        ValueError: the caption does not have SynthVAD's form.
    """
    prefix = next((p for p in _PREFIXES if caption.startswith(p)), "")
    body = caption[len(prefix):]
    pieces = _PLACE_SPLIT.split(body, maxsplit=1)
    parsed = (ParsedCaption(prefix, tuple(pieces[0].split(", ")), pieces[1]) if len(pieces) == 2
              else ParsedCaption(prefix, (), body))
    if parsed.text() != caption or not parsed.place:
        raise ValueError(f"not a SynthVAD frame caption: {caption!r}")
    return parsed


def region_caption(caption: str) -> str:
    """The event phrase of an anomalous frame's caption (its first part).

    Raises:
        ValueError: the caption names no activity at all.
    """
    parsed = parse_caption(caption)
    if not parsed.parts:
        raise ValueError(f"caption names no event: {caption!r}")
    return parsed.parts[0]


def event_caption(region: str) -> str:
    """An event phrase without its location: ``"a fire burning on the grass"`` -> ``"a fire burning"``.

    Raises:
        ValueError: the phrase does not end with a SynthVAD location.
    """
    event, n = _WHERE.subn("", region)
    if n != 1 or not event:
        raise ValueError(f"not a located SynthVAD event phrase: {region!r}")
    return event


def event_captions(regions: list[str]) -> list[str]:
    """The distinct event captions of ``regions`` (event phrases; ``""`` skipped), sorted."""
    return sorted({event_caption(r) for r in regions if r})


def plain_caption(caption: str) -> str:
    """The caption without its style prefix."""
    parsed = parse_caption(caption)
    return ParsedCaption("", parsed.parts, parsed.place).text()


def context_caption(caption: str, anomalous: bool) -> str:
    """The caption without its event phrase (the whole caption, unprefixed, for normal frames)."""
    parsed = parse_caption(caption)
    parts = parsed.parts[1:] if anomalous else parsed.parts
    return ParsedCaption("", parts, parsed.place).text()
