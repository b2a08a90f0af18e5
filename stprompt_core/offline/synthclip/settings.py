"""SynthCLIP's training recipe: one frozen dataclass, defaults per SynthVAD preset.

Every number of the recipe is a field here, with where its default comes from.
:func:`settings_for` applies overrides by field name to a preset's recipe (``stprompt
synthclip train --steps N`` overrides ``steps``); the project config has no section for
them, so the pipeline always trains the preset's recipe.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from stprompt_core.config import Config

# Design (b), the better of the two in benchmarks/bench_synthclip.py (results/synthclip.json):
# a small ViT trained against the frozen all-MiniLM-L6-v2 sentence encoder.
DEFAULT_MODEL = "SynthCLIP-S-MiniLM"
SCRATCH_MODEL = "SynthCLIP-S"  # design (a): text transformer from scratch, open_clip tokenizer
# Smaller model of the same design for a preset (tiny: 64 px, 8x8 grid, as STP-Tiny).
PRESET_MODELS: dict[str, str] = {"tiny": "SynthCLIP-T-MiniLM"}


def default_model(preset: str) -> str:
    """The SynthCLIP model config a preset's profile uses."""
    return PRESET_MODELS.get(preset, DEFAULT_MODEL)

EVENT_LOSSES = ("clip", "anchored")


@dataclass(frozen=True)
class SynthClipSettings:
    """How SynthCLIP is trained (everything but the model config and the data)."""

    # optimizer steps: 850 (~4.3 min on 2 idle cores with the conv stem) keeps a cold demo that
    # trains SynthCLIP within 10 minutes (step counts compared in results/synthclip.json)
    steps: int = 850
    batch_frames: int = 40  # whole frames per step, half of them anomalous, distinct captions
    batch_regions: int = 24  # region crops per step, distinct event phrases (the cleanest event signal)
    frame_stride: int = 4  # decode every 4th frame of each training video
    lr: float = 1e-3  # AdamW peak (small ViT from scratch; CLIP recipes use 5e-4 at batch 32k)
    weight_decay: float = 0.05  # on matrices only
    warmup_steps: int = 100  # linear warmup, then cosine to zero
    patch_loss_weight: float = 1.0  # weight of the patch-token contrastive loss (tokens under the box)
    event_loss_weight: float = 1.0  # weight of anomalous frames' embeddings vs their event phrase alone
    # "clip": InfoNCE of anomalous frames against their located event phrases, distinct in the batch
    # ("... on the grass" and "... on the road" are negatives of each other); "anchored": frames and
    # region crops classified over all event captions without location (one text per kind of event)
    event_loss: str = "clip"
    region_margin: float = 0.3  # region crop = box grown by this share of its size on each side
    region_min_side: float = 28.0  # region crops cover at least this many frame pixels
    corpus_per_class: int = 160  # extra short SynthVAD videos per anomaly class rendered for SynthCLIP only
    corpus_normal: int = 240  # extra normal videos (13 training videos per class overfit: measured)
    corpus_frames: int = 48  # length of a corpus video (SynthVAD's minimum is 32)
    corpus_anomaly_frames: tuple[int, int] = (16, 32)  # event length range in corpus videos
    corpus_stride: int = 3  # decode every 3rd corpus frame
    val_per_class: int = 2  # training videos per class held out for validation (never trained on)
    seed: int = 0  # initialisation, sampling and augmentation

    def __post_init__(self) -> None:
        if self.event_loss not in EVENT_LOSSES:
            raise ValueError(f"synthclip event_loss={self.event_loss!r} is not one of {EVENT_LOSSES}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# Recipes by SynthVAD preset; `tiny` is for tests and CI (seconds, not a useful model).
RECIPES: dict[str, SynthClipSettings] = {
    "tiny": SynthClipSettings(steps=30, batch_frames=16, batch_regions=8, frame_stride=4, warmup_steps=5,
                              lr=2e-3, corpus_per_class=1, corpus_normal=1, corpus_frames=32,
                              corpus_anomaly_frames=(12, 16), val_per_class=0),
    # Pretraining recipe of the shipped workshop weights (stprompt_core/offline/synthclip/pretrained/):
    # trained once, outside the demo, on a large corpus (1000 videos per class; with 160 per class
    # the model overfits: train 0.95-0.997 against test 0.35-0.49, results/synthclip_supervised.json).
    "workshop": SynthClipSettings(steps=6000, warmup_steps=300, corpus_per_class=1000, corpus_normal=1500),
    # A demo-sized recipe (850 steps on the default corpus), for training inside `make demo`.
    "workshop_v1": SynthClipSettings(),
}


def settings_for(preset: str, overrides: dict[str, Any] | Any | None = None) -> SynthClipSettings:
    """The recipe of ``preset`` (the workshop recipe for unknown presets), with ``overrides``
    (a mapping or a dataclass with some of the field names) applied.

    Raises:
        ValueError: an override names no field.
    """
    base = RECIPES.get(preset, RECIPES["workshop"])
    if overrides is None:
        return base
    if dataclasses.is_dataclass(overrides):
        overrides = dataclasses.asdict(overrides)
    names = {f.name for f in dataclasses.fields(SynthClipSettings)}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise ValueError(f"unknown SynthCLIP settings {unknown}; valid: {sorted(names)}")
    return dataclasses.replace(base, **dict(overrides))


def settings_for_config(cfg: Config) -> SynthClipSettings:
    """The recipe the pipeline trains for ``cfg``: ``synth.preset``'s, with
    ``backbone.synthclip_steps`` steps when that is set.

    Raises:
        ValueError: ``backbone.synthclip_steps`` is negative.
    """
    steps = cfg.backbone.synthclip_steps
    if steps < 0:
        raise ValueError(f"backbone.synthclip_steps={steps}: give a positive number of steps, or 0 for the recipe's")
    return settings_for(cfg.synth.preset, {"steps": steps} if steps else None)
