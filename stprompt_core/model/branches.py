"""The two heads on the temporal features (STPrompt §3.4).

* Binary branch: per-snippet anomaly confidence, an MLP → one logit (sigmoid = score).
* Vision-language alignment branch: cosine similarity between snippet features and the
  class text embeddings, divided by a temperature → per-class logits.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class BinaryBranch(nn.Module):
    """``hidden > 0``: LayerNorm → MLP → logit; ``hidden == 0``: a linear head (the baseline)."""

    def __init__(self, dim: int, hidden: int, dropout: float = 0.1):
        super().__init__()
        if hidden > 0:
            self.mlp = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(dropout),
                                     nn.Linear(hidden, 1))
        else:
            self.mlp = nn.Sequential(nn.Linear(dim, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, T, D]`` → anomaly logits ``[B, T]``."""
        return self.mlp(x).squeeze(-1)


class AlignmentBranch(nn.Module):
    def __init__(self, temperature: float = 0.07):
        super().__init__()
        self.temperature = temperature

    def forward(self, x: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        """``x``: ``[B, T, D]``, ``text``: ``[C, D]`` → logits ``[B, T, C]`` = cos / temperature."""
        return F.normalize(x, dim=-1) @ F.normalize(text.to(x.dtype), dim=-1).t() / self.temperature
