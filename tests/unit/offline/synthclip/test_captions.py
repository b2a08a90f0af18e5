"""Texts derived from SynthVAD captions: round trip, event phrases, context captions."""

from __future__ import annotations

import pytest

from stprompt_core.offline.synthvad import caption_at
from stprompt_core.offline.synthvad.captions import frame_caption
from stprompt_core.offline.synthclip.captions import context_caption, event_caption, parse_caption, region_caption

PLACE = "a street with a road, pavements and a brick wall"


def test_event_phrase_and_context_of_a_built_caption():
    caption = frame_caption(PLACE, ["person|walking", "two people fighting in front of the wall", "car|driving on the road",
                                    "person|walking"], prefix="a cctv view of ")
    assert caption == ("a cctv view of two people fighting in front of the wall, a car driving on the road, "
                       "two people walking in " + PLACE)
    assert region_caption(caption) == "two people fighting in front of the wall"
    assert context_caption(caption, anomalous=True) == f"a car driving on the road, two people walking in {PLACE}"
    assert context_caption(caption, anomalous=False) == caption.removeprefix("a cctv view of ")


def test_event_caption_drops_the_location():
    assert event_caption("two people fighting in front of the wall") == "two people fighting"
    assert event_caption("a fire burning on the grass") == "a fire burning"
    assert event_caption("a person chasing another person on the pavement") == "a person chasing another person"
    for bad in ("a fire burning", "on the grass", "a person walking in a park"):
        with pytest.raises(ValueError, match="not a located SynthVAD event phrase"):
            event_caption(bad)


def test_place_only_caption():
    parsed = parse_caption("surveillance footage of " + PLACE + " at dusk")
    assert parsed.parts == () and parsed.place == PLACE + " at dusk"
    with pytest.raises(ValueError):
        region_caption(PLACE)


def test_every_tiny_caption_parses_and_anomalous_frames_name_their_event(workdir):
    from stprompt_core.data.manifest import load_manifest

    manifest = load_manifest(workdir / "cache/synthvad/tiny/manifest.json")
    events = 0
    for v in manifest.videos:
        for t in range(v.num_frames):
            caption = caption_at(v.captions, t)
            assert parse_caption(caption).text() == caption
            if str(t) in v.boxes:
                phrase = region_caption(caption)
                assert " in a " not in phrase and ", " not in phrase
                assert phrase.startswith(event_caption(phrase))
                events += 1
    assert events > 0
