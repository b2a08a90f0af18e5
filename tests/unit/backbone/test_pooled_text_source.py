"""The text encoder's seam: inside ``pooled_text_source`` a frozen HF tower's pooled outputs come
from the given source, for training's text bank and for text encoding alike; outside, the tower's."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from stprompt_core.backbone.text_tower import frozen_pooled, has_pooled_source, is_locked_hf_text, pooled_text_source
from stprompt_core.offline.synthclip.train import TextBank
from stprompt_core.prompts.queries import encode_texts

pytestmark = pytest.mark.pure  # no model, no features


class _Text(nn.Module):
    """A frozen HF-style tower (``transformer`` without gradients, a ``pooler``) and a projection."""

    def __init__(self):
        super().__init__()
        self.transformer = nn.Linear(4, 4).requires_grad_(False)
        self.pooler = object()
        self.proj = nn.Linear(4, 3)


class _Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.text = _Text()

    def encode_text(self, tokens):
        raise AssertionError("the tower ran although a source was set")


def _features(texts: list[str]) -> torch.Tensor:  # [N, 4]: one distinct row per text
    return torch.stack([torch.tensor([len(t), 1.0, 0.0, t.count("a")]) for t in texts])


def test_inside_the_seam_bank_and_encoder_read_the_source():
    model = _Model()
    assert is_locked_hf_text(model) and not has_pooled_source()
    texts = ["a fire", "a person walking", "an empty road"]
    with pooled_text_source(_features):
        assert has_pooled_source()
        torch.testing.assert_close(frozen_pooled(model, "unused", texts), _features(texts))
        torch.testing.assert_close(TextBank(model, "unused", texts).pooled, _features(texts))
        emb = encode_texts(model, "unused", texts, batch_size=2)  # two batches
    with torch.no_grad():
        torch.testing.assert_close(emb, F.normalize(model.text.proj(_features(texts)), dim=-1))
    assert not has_pooled_source()  # left on leaving the block


def test_the_source_is_left_even_when_the_block_fails():
    with pytest.raises(RuntimeError), pooled_text_source(_features):
        raise RuntimeError("inside")
    assert not has_pooled_source()
