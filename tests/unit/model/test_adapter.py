import math

import torch

from stprompt_core.model.adapter import TemporalAdapter, distance_attention


def test_distance_attention_matches_hand_computed_values():
    a = distance_attention(3, sigma=2.0)
    # row 0: exp(0), exp(-1/2), exp(-2/2) normalised
    e = [1.0, math.exp(-0.5), math.exp(-1.0)]
    assert torch.allclose(a[0], torch.tensor([v / sum(e) for v in e]), atol=1e-6)
    # row 1 is symmetric: exp(-1/2), 1, exp(-1/2)
    m = [math.exp(-0.5), 1.0, math.exp(-0.5)]
    assert torch.allclose(a[1], torch.tensor([v / sum(m) for v in m]), atol=1e-6)


def test_distance_attention_gives_padding_zero_weight():
    mask = torch.tensor([[True, True, False, False]])
    a = distance_attention(4, sigma=1.0, mask=mask)[0]
    assert torch.all(a[:, 2:] == 0)
    e = [1.0, math.exp(-1.0)]
    assert torch.allclose(a[0, :2], torch.tensor([e[0] / sum(e), e[1] / sum(e)]), atol=1e-6)


def test_distance_attention_rows_are_normalised_and_mirror_symmetric():
    a = distance_attention(5, 1.0)
    # only |i - j| matters: reversing time maps the matrix onto itself
    assert torch.allclose(a, a.flip(0).flip(1)) and torch.allclose(a.sum(-1), torch.ones(5))


def test_distance_block_mixes_by_distance_not_by_content():
    # Identical inputs at two positions get different mixing only through their distance:
    # swapping the content of two frames permutes nothing in the weights.
    torch.manual_seed(0)
    block = TemporalAdapter(8, "distance", depth=1, sigma=1.0, dropout=0.0).blocks[0].eval()
    captured = {}
    block.out.register_forward_hook(lambda m, i, o: captured.setdefault("mixed", i[0]))
    x = torch.randn(1, 5, 8)
    block(x, torch.ones(1, 5, dtype=torch.bool))
    expected = distance_attention(5, 1.0) @ block.norm1(x)[0]
    assert torch.allclose(captured["mixed"][0], expected, atol=1e-6)


def _valid_outputs_unchanged_by_padding(kind):
    torch.manual_seed(0)
    adapter = TemporalAdapter(8, kind, depth=2, sigma=1.5, heads=2, dropout=0.0).eval()
    x = torch.randn(1, 4, 8)
    short = adapter(x, torch.ones(1, 4, dtype=torch.bool))
    padded_x = torch.cat([x, 100 * torch.randn(1, 3, 8)], dim=1)
    mask = torch.tensor([[True] * 4 + [False] * 3])
    long = adapter(padded_x, mask)
    assert torch.allclose(long[:, :4], short, atol=1e-5)
    assert torch.all(long[:, 4:] == 0)


def test_distance_adapter_ignores_padding():
    _valid_outputs_unchanged_by_padding("distance")


def test_self_attention_adapter_ignores_padding():
    _valid_outputs_unchanged_by_padding("self_attention")
