"""The training entry point on the tiny preset: the loss falls, a seed fixes the weights."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from stprompt_core.config import ConfigError, load_config
from stprompt_core.data.manifest import load_manifest
from stprompt_core.offline.synthvad.captions import PREFIXES
from stprompt_core.offline.synthclip import SCRATCH_MODEL, train_synthclip
from stprompt_core.offline.synthclip.data import load_frames, patch_weights, split_videos, training_views

from synthclip_fixtures import TINY_MODEL


@pytest.fixture(scope="module")
def frames(workdir):
    manifest = load_manifest(workdir / "cache/synthvad/tiny/manifest.json")
    return load_frames(split_videos(manifest, 0)["train"], workdir / "cache/synthvad/tiny", stride=4)


def test_frames_carry_boxes_captions_and_classes(frames):
    assert frames.frames.dtype == torch.uint8 and frames.frames.shape[1:] == (96, 128, 3)
    anomalous = frames.anomalous
    assert anomalous.any() and (~anomalous).any()
    assert torch.isnan(frames.boxes[~anomalous]).all() and not torch.isnan(frames.boxes[anomalous]).any()
    assert all(bool(r) == bool(a) for r, a in zip(frames.regions, anomalous.tolist()))
    assert "" not in frames.texts()
    assert not any(c.startswith(p) for c in frames.captions for p in PREFIXES if p)  # style prefixes dropped


def test_views_keep_the_box_on_its_pixels():
    # a white box on black frames: after crop/flip the box in input pixels must cover the white patch
    frames = torch.zeros(8, 96, 128, 3, dtype=torch.uint8)
    frames[:, 30:60, 50:80] = 255
    boxes = torch.tensor([[50.0, 30.0, 80.0, 60.0]]).repeat(8, 1)
    views = training_views(frames, boxes, (64, 64), torch.zeros(3), torch.ones(3), torch.Generator().manual_seed(0))
    w = patch_weights(views.boxes, (8, 8), (8, 8))  # [8, 64]
    brightness = views.pixels.mean(dim=1).unfold(1, 8, 8).unfold(2, 8, 8).mean(dim=(-1, -2)).reshape(8, 64)
    assert torch.all((brightness[w > 0.99] > 0.9))  # patches wholly under the box are white
    assert torch.all((brightness[w == 0] < 0.1))  # patches outside it are black


def test_loss_decreases_on_tiny(in_workdir, frames):
    settings = dataclasses.replace(load_config("tiny").synthclip, steps=30)
    result = train_synthclip(TINY_MODEL, frames, settings)
    first, last = sum(result.losses[:5]) / 5, sum(result.losses[-5:]) / 5
    assert last < 0.8 * first, result.losses
    assert not result.model.training
    assert all(not p.requires_grad for p in result.model.text.transformer.parameters())  # MiniLM locked


def test_anchored_event_loss_trains_and_rejects_unknown_losses(in_workdir, frames):
    settings = dataclasses.replace(load_config("tiny").synthclip, steps=30, event_loss="anchored")
    result = train_synthclip(TINY_MODEL, frames, settings)
    first, last = sum(result.losses[:5]) / 5, sum(result.losses[-5:]) / 5
    assert last < 0.8 * first, result.losses
    with pytest.raises(ConfigError, match="synthclip.event_loss"):
        load_config("tiny", ["synthclip.event_loss=supcon"])
    with pytest.raises(ConfigError, match="synthclip.event_loss"):  # a recipe built around the config
        train_synthclip(TINY_MODEL, frames, dataclasses.replace(settings, event_loss="supcon"))


def test_same_seed_same_weights_other_seed_other_weights(in_workdir, frames):
    settings = dataclasses.replace(load_config("tiny").synthclip, steps=3)
    a = train_synthclip(TINY_MODEL, frames, settings).model.visual.state_dict()
    b = train_synthclip(TINY_MODEL, frames, settings).model.visual.state_dict()
    c = train_synthclip(TINY_MODEL, frames, dataclasses.replace(settings, seed=1)).model.visual.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_scratch_design_trains_its_text_tower(in_workdir, frames):
    from stprompt_core.offline.synthclip import build_model

    settings = dataclasses.replace(load_config("tiny").synthclip, steps=2, batch_frames=8, batch_regions=4)
    model = build_model(SCRATCH_MODEL, 0)
    before = model.token_embedding.weight.detach().clone()
    train_synthclip(SCRATCH_MODEL, frames, settings, model=model)
    assert not torch.equal(before, model.token_embedding.weight)


def test_periodic_callback_sees_eval_mode_and_leaves_weights_unchanged(in_workdir, frames):
    """``on_every`` (the validation curve) runs in eval mode every ``every`` steps and, even when
    it draws random numbers and runs the model, the trained weights equal a run without it."""
    settings = dataclasses.replace(load_config("tiny").synthclip, steps=4)
    calls = []

    def on_every(step, model):
        calls.append((step, model.training))
        torch.rand(100)  # a callback that consumes the global random stream
        with torch.no_grad():
            model.encode_image(torch.randn(2, 3, 64, 64))

    a = train_synthclip(TINY_MODEL, frames, settings, every=2, on_every=on_every).model.visual.state_dict()
    b = train_synthclip(TINY_MODEL, frames, settings).model.visual.state_dict()
    assert calls == [(2, False), (4, False)]
    assert all(torch.equal(a[k], b[k]) for k in a)
