import math

import torch
import torch.nn.functional as F

import pytest

from stprompt_core.losses import class_targets, mil_align, mil_bce, text_separation, topk_counts, topk_mean

pytestmark = pytest.mark.pure  # no model, no features


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
    assert torch.allclose(mil_bce(logits, mask, labels, 16, pool="logit"), expected)


def test_mil_bce_k_divisor_changes_k():
    logits = torch.tensor([[4.0, 2.0, 0.0, -2.0]])
    mask = torch.ones(1, 4, dtype=torch.bool)
    # divisor 2 -> k = 3 -> mean(4, 2, 0) = 2
    assert math.isclose(float(mil_bce(logits, mask, torch.tensor([1]), 2, pool="logit")),
                        float(F.softplus(torch.tensor(-2.0))), rel_tol=1e-6)


def test_mil_bce_prob_pool_averages_probabilities_as_vadclip():
    # one abnormal video, T=4, divisor 2 -> k = 3: top-3 logits 4, 2, 0
    logits = torch.tensor([[4.0, 2.0, 0.0, -2.0]])
    mask = torch.ones(1, 4, dtype=torch.bool)
    p = (1 / (1 + math.exp(-4)) + 1 / (1 + math.exp(-2)) + 0.5) / 3  # 0.8380
    got = float(mil_bce(logits, mask, torch.tensor([1]), 2, pool="prob"))
    assert math.isclose(got, -math.log(p), rel_tol=1e-6)
    # the logit form differs on the same bag: -log(sigmoid(2)) = 0.1269 vs -log(0.8380) = 0.1767
    assert not math.isclose(got, float(mil_bce(logits, mask, torch.tensor([1]), 2, pool="logit")), rel_tol=1e-3)


def test_mil_bce_prob_pool_normal_video_and_padding():
    logits = torch.tensor([[0.0, 99.0]])  # the padded snippet must not enter the top-k
    mask = torch.tensor([[True, False]])
    assert math.isclose(float(mil_bce(logits, mask, torch.tensor([0]), 16, pool="prob")), math.log(2), rel_tol=1e-6)


def test_mil_bce_rejects_unknown_pool():
    with pytest.raises(ValueError, match="bce_pool"):
        mil_bce(torch.zeros(1, 2), torch.ones(1, 2, dtype=torch.bool), torch.tensor([1]), 16, pool="max")


def test_mil_align_uses_classwise_topk():
    logits = torch.zeros(1, 3, 3)
    logits[0, :, 2] = torch.tensor([5.0, 1.0, -100.0])  # class 2 top-1 = 5
    logits[0, 2, :] = torch.tensor([50.0, 50.0, 50.0])  # padded row, must be ignored
    mask = torch.tensor([[True, True, False]])
    video = torch.tensor([[0.0, 0.0, 5.0]])
    expected = F.cross_entropy(video, torch.tensor([2]))
    assert torch.allclose(mil_align(logits, mask, torch.tensor([2]), 16), expected)


def test_class_targets_soft_multi_label_and_first():
    sets = [[0], [2, 4], [3, 1, 3]]
    soft = class_targets(sets, 5, "soft")
    assert torch.allclose(soft, torch.tensor([[1.0, 0, 0, 0, 0], [0, 0, 0.5, 0, 0.5], [0, 0.5, 0, 0.5, 0]]))
    first = class_targets(sets, 5, "first")
    assert first.argmax(1).tolist() == [0, 2, 3] and torch.allclose(first.sum(1), torch.ones(3))
    with pytest.raises(ValueError, match="align_targets"):
        class_targets(sets, 5, "all")


def test_mil_align_soft_targets_match_vadclip_clasm():
    # VadCLIP CLASM: -mean(sum(labels / labels.sum * log_softmax(topk-mean logits)))
    logits = torch.tensor([[[1.0, 2.0, 0.0], [0.0, 0.0, 3.0]]])  # [B=1, T=2, C=3], k = 1
    mask = torch.ones(1, 2, dtype=torch.bool)
    video = torch.tensor([1.0, 2.0, 3.0])  # class-wise max over the two snippets
    logp = video - torch.logsumexp(video, 0)
    expected = -(0.5 * logp[1] + 0.5 * logp[2])
    got = mil_align(logits, mask, class_targets([[1, 2]], 3), 16)
    assert torch.allclose(got, expected)
    # a one-hot target equals the index form
    assert torch.allclose(mil_align(logits, mask, class_targets([[2]], 3), 16), mil_align(logits, mask, torch.tensor([2]), 16))


def test_text_separation_is_mean_abs_cosine_to_normal():
    t = torch.tensor([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0]])
    assert math.isclose(float(text_separation(t)), (0.0 + 1.0) / 2)


def test_zero_length_video_is_an_error():
    import pytest

    with pytest.raises(ValueError, match="zero valid snippets"):
        topk_counts(torch.tensor([[True, False], [False, False]]), 16)
