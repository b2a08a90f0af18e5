"""Learnable text prompts through a frozen Hugging Face text tower (CoOp-style, ``inputs_embeds``).

The counterpart of :class:`stprompt_core.model.prompt.PromptLearner` for open_clip's
``CustomTextCLIP`` with an ``HFTextEncoder`` (``model.text``), e.g. SynthCLIP's locked
all-MiniLM-L6-v2. Each class text is ``[CLS] X_1 … X_n <class name> . [SEP]``: the n
context vectors X replace the placeholders' word embeddings and go through the frozen
encoder as ``inputs_embeds`` (the encoder adds position and token-type embeddings and its
LayerNorm itself), then the tower's own pooler (mean over real tokens) and projection.
With X set to real words' embeddings the output equals ``model.encode_text`` of that text.
"""

from __future__ import annotations

import torch
from torch import nn

from stprompt_core.model.prompt import ContextPrompt


def has_hf_text_tower(clip_model: nn.Module) -> bool:
    """True for an open_clip model whose text tower is an ``HFTextEncoder``."""
    text = getattr(clip_model, "text", None)
    return text is not None and all(hasattr(text, a) for a in ("transformer", "pooler", "proj", "config"))


class HFPromptLearner(ContextPrompt):
    """Class text embeddings ``[C, D]`` through a frozen Hugging Face text tower (mean-pooled)."""

    def __init__(self, clip_model: nn.Module, model_name: str, class_names: list[str], n_ctx: int):
        super().__init__()
        import open_clip

        if not has_hf_text_tower(clip_model):
            raise ValueError(f"backbone {model_name!r} has no Hugging Face text tower (model.text)")
        text = clip_model.text
        tokenizer = open_clip.get_tokenizer(model_name)
        placeholder = " ".join(["X"] * n_ctx)
        tokens = tokenizer([f"{placeholder} {name}." for name in class_names])  # [C, L]
        pad = text.config.pad_token_id
        length = int((tokens != pad).sum(dim=1).max())
        tokens = tokens[:, :length].clone()  # padding beyond the longest text cannot change the mean
        x_id = tokens[0, 1]
        if not bool((tokens[:, 1 : 1 + n_ctx] == x_id).all()):
            raise ValueError(f"the tokenizer of {model_name!r} does not map each placeholder 'X' to one token")
        width = text.transformer.get_input_embeddings().weight.shape[1]
        self._setup(tokens, (tokens != pad).long(), width, n_ctx, _FrozenHFTower(text))  # select = attention mask


class _FrozenHFTower:
    """Plain holder (not an ``nn.Module``) so the tower stays out of ``state_dict``."""

    def __init__(self, text: nn.Module):
        self.module = text  # open_clip HFTextEncoder: .transformer (HF model), .pooler, .proj
        self.module.eval()  # frozen: no dropout
        for p in self.module.parameters():
            p.requires_grad_(False)

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.module.transformer.get_input_embeddings()(tokens)

    def encode(self, emb: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        out = self.module.transformer(inputs_embeds=emb, attention_mask=mask)  # last_hidden_state [C, L', W]
        return self.module.proj(self.module.pooler(out, mask))  # [C, D]
