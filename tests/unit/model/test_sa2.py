import torch

from stprompt_core.model.sa2 import SpatialAttentionAggregation, select_topk_patches


def test_selects_k_highest_motion_patches():
    motion = torch.tensor([[0.1, 0.9, 0.3, 0.8, 0.0, 0.5],
                           [0.7, 0.7, 0.1, 0.2, 0.9, 0.0]])
    idx = select_topk_patches(motion, 3)
    assert idx.tolist() == [[1, 3, 5], [4, 0, 1]]  # descending; tie 0.7/0.7 -> lower index first


def test_select_rejects_k_above_patch_count():
    import pytest

    with pytest.raises(ValueError, match="top_k_patches=7"):
        select_topk_patches(torch.rand(2, 6), 7)


def _inputs(B=2, T=3, K=4, D=8):
    g = torch.Generator().manual_seed(0)
    return torch.randn(B, T, D, generator=g), torch.randn(B, T, K, D, generator=g), torch.rand(B, T, K, generator=g)


def test_mean_mode_is_uniform_average():
    frame, patches, motion = _inputs()
    sa2 = SpatialAttentionAggregation(8, "mean")
    with torch.no_grad():
        sa2.fuse.weight.copy_(torch.eye(8))
    assert torch.allclose(sa2(frame, patches, motion), frame + patches.mean(dim=2), atol=1e-6)


def test_motion_softmax_weights_follow_motion():
    frame, patches, motion = _inputs()
    sa2 = SpatialAttentionAggregation(8, "motion_softmax", motion_temperature=0.5)
    w = sa2.weights(frame, patches, motion)
    assert torch.allclose(w, torch.softmax(motion / 0.5, dim=-1))


def test_learned_attention_weights_sum_to_one_and_depend_on_patches():
    frame, patches, motion = _inputs()
    sa2 = SpatialAttentionAggregation(8, "attention")
    w = sa2.weights(frame, patches, motion)
    assert w.shape == (2, 3, 4)
    assert torch.allclose(w.sum(-1), torch.ones(2, 3))
    w2 = sa2.weights(frame, patches * 3, motion)
    assert not torch.allclose(w, w2)


def test_none_mode_returns_frame_feature():
    frame, patches, motion = _inputs()
    assert torch.equal(SpatialAttentionAggregation(8, "none")(frame, patches, motion), frame)


def test_query_mode_starts_uniform_and_ignores_the_frame():
    frame, patches, motion = _inputs()
    sa2 = SpatialAttentionAggregation(8, "query")
    assert torch.allclose(sa2.weights(frame, patches, motion), torch.full((2, 3, 4), 0.25))
    with torch.no_grad():
        sa2.static_query.copy_(torch.arange(8.0))
    w = sa2.weights(frame, patches, motion)
    want = torch.softmax(torch.einsum("d,btkd->btk", torch.arange(8.0), patches) / 8 ** 0.5, dim=-1)
    assert torch.allclose(w, want, atol=1e-6)
    assert torch.allclose(sa2.weights(frame * 5, patches, motion), w)


def test_text_mode_weighs_the_patch_the_prompts_call_abnormal():
    """Patch k's score is exp(scale) * (max over anomaly classes of cos(p_k, t_c) - cos(p_k, t_0))."""
    import math

    import pytest

    text = torch.eye(3, 8)  # normal, class 1, class 2
    patches = torch.zeros(1, 1, 3, 8)
    patches[0, 0, 0, 0] = 1.0  # looks normal
    patches[0, 0, 1, 2] = 1.0  # looks like class 2
    patches[0, 0, 2, 5] = 1.0  # unrelated to every prompt
    sa2 = SpatialAttentionAggregation(8, "text")
    w = sa2.weights(torch.zeros(1, 1, 8), patches, torch.zeros(1, 1, 3), text)[0, 0]
    assert torch.allclose(w, torch.softmax(10.0 * torch.tensor([-1.0, 1.0, 0.0]), dim=0), atol=1e-6)
    assert w.argmax() == 1 and math.isclose(float(sa2.text_scale.detach().exp()), 10.0, rel_tol=1e-6)
    with pytest.raises(ValueError, match="text embeddings"):
        sa2.weights(torch.zeros(1, 1, 8), patches, torch.zeros(1, 1, 3))
