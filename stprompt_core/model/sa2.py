"""SA2, spatial attention aggregation (STPrompt §3.2).

Moving foreground carries the anomaly; static background misleads frame features. SA2
keeps the K patches of each frame with the largest motion magnitude (selected once, at
extraction, by :func:`select_topk_patches`), aggregates them with attention weights and
fuses the result with the frame's [CLS] feature::

    a_k   = softmax_k(score(p_k))            # over the K selected patches
    s     = sum_k a_k p_k                    # [D]
    x     = f_cls + W_fuse s                 # residual fusion, [D]

``mode`` picks the score: ``attention`` (learned, default: q·p_k / sqrt(D) with a query
computed from the frame feature), ``query`` (learned: one query vector q shared by all
frames, attention pooling that does not depend on what the [CLS] feature has seen), ``text``
(prompt-guided: a patch's score is its largest cosine similarity to an anomaly class's text
embedding minus its similarity to the normal class's, times a learned scale; the patches the
alignment branch's prompts call abnormal get the weight), ``mean``
(uniform), ``motion_softmax`` (softmax of the patches' motion / temperature), ``none`` (no
spatial branch: x = f_cls).
"""

from __future__ import annotations

import math

import torch
from torch import nn


def select_topk_patches(motion: torch.Tensor, k: int) -> torch.Tensor:
    """Indices of the ``k`` highest-motion patches per frame.

    Args:
        motion: ``[T, P]`` (or ``[..., P]``) motion magnitude per patch.
        k: patches to keep, ``k <= P``.

    Returns:
        ``[T, k]`` long indices, sorted by decreasing motion (ties: lower index first).
    """
    if k > motion.shape[-1]:
        raise ValueError(f"top_k_patches={k} exceeds the {motion.shape[-1]} patches of a frame")
    # stable descending sort so ties resolve deterministically to the lower patch index
    return torch.sort(motion, dim=-1, descending=True, stable=True).indices[..., :k]


class SpatialAttentionAggregation(nn.Module):
    """Aggregates the K motion patches of each frame and fuses them with its [CLS] feature."""

    def __init__(self, dim: int, mode: str = "attention", motion_temperature: float = 1.0):
        super().__init__()
        self.mode = mode
        self.motion_temperature = motion_temperature
        self.query = nn.Linear(dim, dim) if mode == "attention" else None
        self.static_query = nn.Parameter(torch.zeros(dim)) if mode == "query" else None  # starts uniform
        self.text_scale = nn.Parameter(torch.tensor(math.log(10.0))) if mode == "text" else None  # exp() = 10
        self.fuse = nn.Linear(dim, dim) if mode != "none" else None
        if self.fuse is not None:
            nn.init.zeros_(self.fuse.weight)  # starts as the frame feature alone
            nn.init.zeros_(self.fuse.bias)

    def weights(self, frame: torch.Tensor, patches: torch.Tensor, motion: torch.Tensor,
                text: torch.Tensor | None = None) -> torch.Tensor:
        """Attention weights ``[B, T, K]`` over the selected patches (sum to 1 over K); ``text``
        ``[C, D]`` class embeddings (index 0 = normal) for ``mode="text"``."""
        if self.mode == "attention":
            q = self.query(frame)  # [B, T, D]
            scores = torch.einsum("btd,btkd->btk", q, patches) / math.sqrt(frame.shape[-1])
        elif self.mode == "text":
            if text is None:
                raise ValueError("model.sa2_mode='text' needs the class text embeddings")
            sim = torch.einsum("btkd,cd->btkc", nn.functional.normalize(patches, dim=-1),
                               nn.functional.normalize(text, dim=-1))  # [B, T, K, C]
            scores = self.text_scale.exp() * (sim[..., 1:].amax(dim=-1) - sim[..., 0])
        elif self.mode == "query":
            scores = torch.einsum("d,btkd->btk", self.static_query, patches) / math.sqrt(frame.shape[-1])
        elif self.mode == "mean":
            scores = torch.zeros(patches.shape[:-1], dtype=patches.dtype, device=patches.device)
        elif self.mode == "motion_softmax":
            scores = motion / self.motion_temperature
        else:
            raise ValueError(f"model.sa2_mode {self.mode!r} has no attention weights")
        return scores.softmax(dim=-1)

    def forward(self, frame: torch.Tensor, patches: torch.Tensor, motion: torch.Tensor,
                text: torch.Tensor | None = None) -> torch.Tensor:
        """
        Args:
            frame: ``[B, T, D]`` [CLS] features.
            patches: ``[B, T, K, D]`` features of the K highest-motion patches.
            motion: ``[B, T, K]`` their motion magnitudes.
            text: ``[C, D]`` class text embeddings (index 0 = normal), used by ``mode="text"``.

        Returns:
            ``[B, T, D]`` fused frame features.
        """
        if self.mode == "none":
            return frame
        a = self.weights(frame, patches, motion, text)  # [B, T, K]
        pooled = torch.einsum("btk,btkd->btd", a, patches)  # [B, T, D]
        return frame + self.fuse(pooled)
