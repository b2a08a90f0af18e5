"""The two heads on the temporal features (STPrompt §3.4).

* Binary branch: per-snippet anomaly confidence, an MLP → one logit (sigmoid = score).
* Vision-language alignment branch: cosine similarity between snippet features and the
  class text embeddings, divided by a temperature → per-class logits.
* Visual prompt (``model.visual_prompt``, VadCLIP's term, off by default): the class text
  embeddings of each video are shifted by a summary of that video before the alignment branch.
  It is not the learnable context prompt (:mod:`stprompt_core.model.prompt`), which makes
  those class text embeddings.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class QuickGELU(nn.Module):
    """``x * sigmoid(1.702 x)``: CLIP's (and VadCLIP's) GELU approximation."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(1.702 * x)


def wide_mlp(dim: int) -> nn.Sequential:
    """VadCLIP's MLP: ``Linear(D, 4D) → QuickGELU → Linear(4D, D)``."""
    return nn.Sequential(nn.Linear(dim, 4 * dim), QuickGELU(), nn.Linear(4 * dim, dim))


class BinaryBranch(nn.Module):
    """``head="mlp"``: ``hidden > 0``: LayerNorm → MLP → logit; ``hidden == 0``: a linear head (the
    baseline). ``head="vadclip"``: VadCLIP's ``Linear(x + MLP(x))`` (:func:`wide_mlp`)."""

    def __init__(self, dim: int, hidden: int, dropout: float = 0.1, head: str = "mlp"):
        super().__init__()
        self.residual = wide_mlp(dim) if head == "vadclip" else None
        if head == "vadclip":
            self.mlp = nn.Sequential(nn.Linear(dim, 1))
        elif hidden > 0:
            self.mlp = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(dropout),
                                     nn.Linear(hidden, 1))
        else:
            self.mlp = nn.Sequential(nn.Linear(dim, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, T, D]`` → anomaly logits ``[B, T]``."""
        if self.residual is not None:
            x = x + self.residual(x)
        return self.mlp(x).squeeze(-1)


class VisualPrompt(nn.Module):
    """VadCLIP's video-conditioned visual prompt (its ``model.py``, ``CLIPVAD.forward``), applied to
    the class text features the learnable context prompt produced::

        v   = sum_t l_t x_t / ||sum_t l_t x_t||     # l_t: binary logit of snippet t, [B, D]
        t_c = e_c + v                               # every class text feature, [B, C, D]
        t_c = t_c + MLP(t_c)                        # wide_mlp, [B, C, D]

    Padded snippets are left out of the sum (VadCLIP's sum runs over its padded rows too).
    """

    def __init__(self, dim: int):
        super().__init__()
        self.mlp = wide_mlp(dim)

    def forward(self, x: torch.Tensor, logits: torch.Tensor, mask: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        """``x [B, T, D]``, binary ``logits [B, T]``, ``mask [B, T]``, ``text [C, D]`` → ``[B, C, D]``."""
        weights = logits.masked_fill(~mask, 0.0).to(x.dtype)  # [B, T]
        v = torch.einsum("bt,btd->bd", weights, x)
        v = v / v.norm(dim=-1, keepdim=True)  # [B, D]
        prompted = text.to(x.dtype)[None] + v[:, None]  # [B, C, D]
        return prompted + self.mlp(prompted)


class AlignmentBranch(nn.Module):
    def __init__(self, temperature: float = 0.07):
        super().__init__()
        self.temperature = temperature

    def forward(self, x: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        """``x``: ``[B, T, D]``, ``text``: ``[C, D]`` (or per video ``[B, C, D]``) → logits ``[B, T, C]``
        = cos / temperature."""
        return F.normalize(x, dim=-1) @ F.normalize(text.to(x.dtype), dim=-1).transpose(-1, -2) / self.temperature
