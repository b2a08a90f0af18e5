"""Temporal adapter: attention from relative distance only (STPrompt §3.3).

The attention weights between snippets i and j depend only on |i - j|, never on the
features, and there is no positional encoding::

    A_ij = softmax_j(-|i - j| / sigma)      over valid (unpadded) j
    h    = x + W_o (A · LN(x))              # context mixing
    y    = h + FFN(LN(h))                   # position-wise

``SelfAttentionBlock`` is the standard feature-similarity alternative for the ablation.
Padded positions never contribute to valid ones (their weight is exactly 0).
"""

from __future__ import annotations

import torch
from torch import nn

from stprompt_core.config import choices


def distance_attention(length: int, sigma: float, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Attention matrix ``A`` with ``A_ij = softmax_j(-|i-j| / sigma)``.

    Args:
        length: T, snippets per (padded) sequence.
        sigma: distance scale; larger spreads attention further.
        mask: optional ``[B, T]`` bool, True for valid snippets.

    Returns:
        ``[T, T]`` without a mask, else ``[B, T, T]``; rows of padded queries are
        computed over valid keys too (their outputs are discarded downstream).
    """
    pos = torch.arange(length, dtype=torch.float32, device=mask.device if mask is not None else None)
    logits = -(pos[:, None] - pos[None, :]).abs() / sigma  # [T, T]
    if mask is None:
        return logits.softmax(dim=-1)
    logits = logits.expand(mask.shape[0], length, length).masked_fill(~mask[:, None, :], float("-inf"))
    return logits.softmax(dim=-1)


class FeedForward(nn.Sequential):
    def __init__(self, dim: int, ratio: float, dropout: float):
        hidden = max(1, int(round(dim * ratio)))
        super().__init__(nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, dim))


class DistanceAttentionBlock(nn.Module):
    """One residual block whose mixing weights come from :func:`distance_attention`."""

    def __init__(self, dim: int, sigma: float, ffn_ratio: float = 1.0, dropout: float = 0.1):
        super().__init__()
        self.sigma = sigma
        self.norm1 = nn.LayerNorm(dim)
        self.out = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.ffn = FeedForward(dim, ffn_ratio, dropout)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``x``: ``[B, T, D]``, ``mask``: ``[B, T]`` bool → ``[B, T, D]``."""
        a = distance_attention(x.shape[1], self.sigma, mask).to(x.dtype)  # [B, T, T]
        x = x + self.drop(self.out(a @ self.norm1(x)))
        return x + self.drop(self.ffn(self.norm2(x)))


class SelfAttentionBlock(nn.Module):
    """Standard pre-norm self-attention block (feature similarity), for the ablation."""

    def __init__(self, dim: int, heads: int, ffn_ratio: float = 1.0, dropout: float = 0.1):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.ffn = FeedForward(dim, ffn_ratio, dropout)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        y, _ = self.attn(h, h, h, key_padding_mask=~mask, need_weights=False)
        x = x + self.drop(y)
        return x + self.drop(self.ffn(self.norm2(x)))


class TemporalAdapter(nn.Module):
    """A stack of ``depth`` blocks of the chosen kind (``distance``, ``self_attention``, ``none``)."""

    def __init__(self, dim: int, kind: str = "distance", depth: int = 1, sigma: float = 1.0,
                 heads: int = 8, ffn_ratio: float = 1.0, dropout: float = 0.1):
        super().__init__()
        if kind == "distance":
            blocks = [DistanceAttentionBlock(dim, sigma, ffn_ratio, dropout) for _ in range(depth)]
        elif kind == "self_attention":
            blocks = [SelfAttentionBlock(dim, heads, ffn_ratio, dropout) for _ in range(depth)]
        elif kind == "none":
            blocks = []
        else:
            raise ValueError(f"model.adapter_kind {kind!r} is not one of {list(choices('model.adapter_kind'))}")
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``x``: ``[B, T, D]``, ``mask``: ``[B, T]`` bool → ``[B, T, D]``; padded rows zeroed."""
        for block in self.blocks:
            x = block(x, mask)
        return x * mask[..., None].to(x.dtype)
