"""SynthCLIP through the backbone interface: load_clip, encode_*, FrameEncoder, prompt learners, CLI."""

from __future__ import annotations

import dataclasses
import json

import open_clip
import pytest
import torch

from stprompt_core.backbone.clip import load_clip
from stprompt_core.classes import class_prompts
from stprompt_core.config import load_config
from stprompt_core.offline.synthclip import ensure_synthclip
from tests.cli import run_cli

from synthclip_fixtures import TINY_MODEL, tiny_config


@pytest.fixture(scope="module")
def trained(workdir):
    import os

    before = os.getcwd()
    os.chdir(workdir)
    try:
        cfg = tiny_config(str(workdir / "cache/synthclip/iface/tiny.safetensors"))
        ensure_synthclip(cfg, progress=False, settings=dataclasses.replace(load_config("tiny").synthclip, steps=4))
    finally:
        os.chdir(before)
    return cfg


@pytest.fixture
def model(trained, in_workdir):
    return load_clip(trained.backbone)


def test_load_clip_gives_the_trained_weights(model, trained, in_workdir):
    from safetensors.torch import load_file

    from stprompt_core.backbone.stem import FROZEN_TEXT_PREFIX

    saved = load_file(trained.backbone.pretrained)
    state = model.state_dict()
    # the frozen MiniLM is left out of the file (its weights are its package's); everything else is saved
    assert set(saved) == {k for k in state if not k.startswith(FROZEN_TEXT_PREFIX)}
    assert any(k.startswith(FROZEN_TEXT_PREFIX) for k in state)
    from stprompt_core.offline.synthclip import build_model

    fresh = build_model(TINY_MODEL, seed=123).state_dict()  # MiniLM's pretrained weights, any seed
    assert all(torch.equal(fresh[k], state[k]) for k in state if k.startswith(FROZEN_TEXT_PREFIX))
    assert all(torch.equal(saved[k], state[k]) for k in ("visual.proj", "visual.conv1.net.0.weight", "visual.conv1.net.1.running_mean", "logit_scale"))
    assert not model.training and all(not p.requires_grad for p in model.parameters())


def test_encode_shapes(model, in_workdir):
    images = torch.randn(3, 3, 64, 64)
    tokens = open_clip.get_tokenizer(TINY_MODEL)(["a fire burning on the road", "a brawl"])
    with torch.no_grad():
        assert model.encode_image(images).shape == (3, 384)
        assert model.encode_text(tokens).shape == (2, 384)


def test_frame_encoder_works_unchanged(model, in_workdir):
    from stprompt_core.backbone.encoder import FrameEncoder

    enc = FrameEncoder(model, precision="fp32")
    frames = torch.randint(0, 256, (2, 96, 128, 3), dtype=torch.uint8)
    out = enc(frames)
    assert enc.patch_grid == (8, 8) and enc.embed_dim == 384
    assert out.cls.shape == (2, 384) and out.tokens.shape == (2, 64, 384)
    with torch.no_grad():
        torch.testing.assert_close(out.cls, model.encode_image(enc.preprocess(frames)), rtol=0, atol=1e-5)


def test_hf_prompt_learner_equals_encode_text_for_real_word_context(model, in_workdir):
    from stprompt_core.model.stprompt import build_prompt_learner
    from stprompt_core.model.prompt_hf import HFPromptLearner

    learner = build_prompt_learner(model, TINY_MODEL, ["normal", "fighting"], n_ctx=4)
    assert isinstance(learner, HFPromptLearner)
    tokens = open_clip.get_tokenizer(TINY_MODEL)(["a photo of the fighting."])
    with torch.no_grad():
        learner.ctx.copy_(model.text.transformer.get_input_embeddings()(tokens)[0, 1:5])  # "a photo of the"
        ref = model.encode_text(tokens)[0]
        out = learner()
    assert out.shape == (2, 384)
    torch.testing.assert_close(out[1], ref, rtol=0, atol=1e-5)
    assert set(learner.state_dict()) == {"ctx"}  # the frozen tower stays out of checkpoints
    learner.train()
    assert learner().requires_grad


def test_stprompt_alignment_branch_with_synthclip(model, trained, in_workdir):
    from stprompt_core.model.stprompt import build_prompt_learner

    learner = build_prompt_learner(model, TINY_MODEL, class_prompts("synthvad"), n_ctx=trained.model.prompt_ctx_len)
    opt = torch.optim.SGD(learner.parameters(), lr=0.1)
    loss = learner().pow(2).mean()
    loss.backward()
    opt.step()
    assert learner.ctx.grad is not None and learner.ctx.grad.abs().sum() > 0


@pytest.mark.slow  # trains and evaluates through the CLI
def test_cli_train_then_evaluate(trained, in_workdir, capsys):
    out = in_workdir / "cache/synthclip/cli"
    train = ["synthclip", "train", "--preset", "tiny", "--model", TINY_MODEL, "--steps", "2", "--out", str(out)]
    assert run_cli(train) == 0
    assert "trained" in capsys.readouterr().out and (out / "tiny-seed0.safetensors").is_file()
    assert run_cli(train) == 0
    assert "reused" in capsys.readouterr().out
    report = in_workdir / "eval.json"
    assert run_cli(["synthclip", "evaluate", "--preset", "tiny", "--model", TINY_MODEL, "--steps", "2",
                    "--out", str(out), "--json", str(report)]) == 0
    figures = json.loads(report.read_text())
    assert figures["split"] == "test" and figures["frames"] > 0
    for key in ("canonical", "paraphrase", "descriptions"):  # accuracies over the report's frames: counts / frames
        count = figures["zero_shot"][key] * figures["frames"]
        assert abs(count - round(count)) < 1e-6 * figures["frames"], (key, figures["zero_shot"][key])
    loc = figures["localization"]
    assert 0 < loc["pointing_chance"] < 1 and loc["mean_iou"] <= 1.0
