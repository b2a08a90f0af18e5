import open_clip
import pytest
import torch

from stprompt_core.backbone.clip import load_clip
from stprompt_core.classes import class_prompts
from stprompt_core.config import load_config
from stprompt_core.model.prompt import PromptLearner
from stprompt_core.model.stprompt import STPrompt, trainable_state_dict
from tests.planted import PLANTED_BACKBONE


@pytest.fixture(scope="module")
def clip():
    return load_clip(load_config("tiny", PLANTED_BACKBONE).backbone)


def test_prompt_learner_equals_encode_text_for_real_word_context(clip):
    learner = PromptLearner(clip, "STP-Tiny", ["normal", "fighting"], n_ctx=4)
    tokens = open_clip.get_tokenizer("STP-Tiny")(["a photo of the fighting."])
    with torch.no_grad():
        learner.ctx.copy_(clip.token_embedding(tokens)[0, 1:5])  # "a photo of the"
        ref = clip.encode_text(tokens)[0]
        out = learner()[1]
    assert torch.allclose(ref, out, atol=1e-5)


def test_checkpoint_holds_only_trainable_parts(clip):
    model = STPrompt(load_config("tiny", PLANTED_BACKBONE), clip)
    keys = trainable_state_dict(model).keys()
    assert "prompt.ctx" in keys
    assert not any("transformer" in k or "token_embedding" in k for k in keys)
    assert all(not p.requires_grad for p in clip.parameters())


def _batch(T=6, pad=0, B=2, K=4, D=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    frame, patches, motion = torch.randn(B, T, D, generator=g), torch.randn(B, T, K, D, generator=g), torch.rand(B, T, K, generator=g)
    if pad:
        frame = torch.cat([frame, 50 * torch.randn(B, pad, D)], 1)
        patches = torch.cat([patches, 50 * torch.randn(B, pad, K, D)], 1)
        motion = torch.cat([motion, torch.rand(B, pad, K)], 1)
    mask = torch.zeros(B, T + pad, dtype=torch.bool)
    mask[:, :T] = True
    return frame, patches, motion, mask


@pytest.mark.parametrize("sa2_mode", ["attention", "mean", "motion_softmax", "none"])
@pytest.mark.parametrize("adapter", ["distance", "self_attention", "none"])
def test_shapes_and_padding_never_reaches_valid_frames(clip, sa2_mode, adapter):
    cfg = load_config("tiny", {**PLANTED_BACKBONE, "model.sa2_mode": sa2_mode, "model.adapter_kind": adapter, "model.adapter_heads": 2})
    torch.manual_seed(0)
    model = STPrompt(cfg, clip).eval()
    out = model(*_batch())
    C = len(class_prompts("synthvad"))
    assert out.binary_logits.shape == (2, 6) and out.align_logits.shape == (2, 6, C)
    assert out.text_features.shape == (C, 64)
    padded = model(*_batch(pad=5))
    assert torch.allclose(padded.scores[:, :6], out.scores, atol=1e-5)
    assert torch.allclose(padded.align_logits[:, :6], out.align_logits, atol=1e-4)


def test_text_features_cached_in_eval_and_fresh_in_training(clip):
    model = STPrompt(load_config("tiny", PLANTED_BACKBONE), clip)
    model.eval()
    assert model.text_features() is model.text_features()
    model.train()
    a = model.text_features()
    assert a.requires_grad and a is not model.text_features()


def test_linear_baseline_head(clip):
    cfg = load_config("tiny", {**PLANTED_BACKBONE, "model.binary_hidden": 0, "model.sa2_mode": "none", "model.adapter_kind": "none"})
    model = STPrompt(cfg, clip)
    linears = [m for m in model.binary.modules() if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 1 and linears[0].in_features == 64
    assert model(*_batch()).binary_logits.shape == (2, 6)
