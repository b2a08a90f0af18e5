import math

import torch
import torch.nn.functional as F

from stprompt_core.losses import mil_align, mil_bce, text_separation, topk_counts, topk_mean


def test_topk_counts_follow_floor_rule():
    mask = torch.zeros(3, 40, dtype=torch.bool)
    mask[0, :15] = True  # 15 // 16 + 1 = 1
    mask[1, :16] = True  # 2
    mask[2, :40] = True  # 3
    assert topk_counts(mask, 16).tolist() == [1, 2, 3]


def test_topk_mean_on_hand_made_bags_ignores_padding():
    values = torch.tensor([[0.1, 0.9, 0.5, 99.0], [0.3, 0.2, 0.4, 0.6]])
    mask = torch.tensor([[True, True, True, False], [True, True, True, True]])
    k = torch.tensor([2, 3])
    out = topk_mean(values, mask, k)
    assert torch.allclose(out, torch.tensor([(0.9 + 0.5) / 2, (0.6 + 0.4 + 0.3) / 3]))


def test_mil_bce_matches_manual_computation():
    logits = torch.tensor([[2.0, -1.0, 0.5, 7.0], [-2.0, -3.0, 0.0, 0.0]])
    mask = torch.tensor([[True, True, True, False], [True, True, False, False]])
    labels = torch.tensor([1, 0])
    # k = 1 for both (lengths 3 and 2, divisor 16): max valid logit
    expected = (F.softplus(torch.tensor(-2.0)) + F.softplus(torch.tensor(-2.0))) / 2
    assert torch.allclose(mil_bce(logits, mask, labels, 16), expected)


def test_mil_bce_k_divisor_changes_k():
    logits = torch.tensor([[4.0, 2.0, 0.0, -2.0]])
    mask = torch.ones(1, 4, dtype=torch.bool)
    # divisor 2 -> k = 3 -> mean(4, 2, 0) = 2
    assert math.isclose(float(mil_bce(logits, mask, torch.tensor([1]), 2)), float(F.softplus(torch.tensor(-2.0))),
                        rel_tol=1e-6)


def test_mil_align_uses_classwise_topk():
    logits = torch.zeros(1, 3, 3)
    logits[0, :, 2] = torch.tensor([5.0, 1.0, -100.0])  # class 2 top-1 = 5
    logits[0, 2, :] = torch.tensor([50.0, 50.0, 50.0])  # padded row, must be ignored
    mask = torch.tensor([[True, True, False]])
    video = torch.tensor([[0.0, 0.0, 5.0]])
    expected = F.cross_entropy(video, torch.tensor([2]))
    assert torch.allclose(mil_align(logits, mask, torch.tensor([2]), 16), expected)


def test_text_separation_is_mean_abs_cosine_to_normal():
    t = torch.tensor([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0]])
    assert math.isclose(float(text_separation(t)), (0.0 + 1.0) / 2)


def test_zero_length_video_is_an_error():
    import pytest

    with pytest.raises(ValueError, match="zero valid snippets"):
        topk_counts(torch.tensor([[True, False], [False, False]]), 16)
