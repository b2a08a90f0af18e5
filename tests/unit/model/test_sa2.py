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
