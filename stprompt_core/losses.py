"""MIL losses on video-level labels (VadCLIP/STPrompt).

k = floor(T / k_divisor) + 1 snippets per video (T = its valid length). Padding never
enters a top-k or a mean.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def topk_counts(mask: torch.Tensor, k_divisor: int) -> torch.Tensor:
    """k per video ``[B]`` from the valid lengths of ``mask`` ``[B, T]``."""
    lengths = mask.sum(dim=1)
    if (lengths == 0).any():
        raise ValueError("a video in the batch has zero valid snippets")
    return torch.div(lengths, k_divisor, rounding_mode="floor") + 1


def topk_mean(values: torch.Tensor, mask: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Mean of the k largest valid entries along dim 1.

    Args:
        values: ``[B, T]`` or ``[B, T, C]``.
        mask: ``[B, T]`` bool.
        k: ``[B]`` counts, ``1 <= k <= valid length``.

    Returns:
        ``[B]`` or ``[B, C]``.
    """
    m = mask if values.dim() == 2 else mask[..., None]
    low = torch.finfo(values.dtype).min
    ranked = values.masked_fill(~m, low).sort(dim=1, descending=True).values  # [B, T(, C)]
    keep = torch.arange(values.shape[1], device=values.device)[None, :] < k[:, None]  # [B, T]
    if values.dim() == 3:
        keep = keep[..., None]
    total = torch.where(keep, ranked, torch.zeros_like(ranked)).sum(dim=1)
    return total / (k if values.dim() == 2 else k[:, None]).to(values.dtype)


def mil_bce(logits: torch.Tensor, mask: torch.Tensor, labels: torch.Tensor, k_divisor: int) -> torch.Tensor:
    """Top-k mean of snippet logits per video → BCE with the video label (scalar)."""
    video_logit = topk_mean(logits, mask, topk_counts(mask, k_divisor))  # [B]
    return F.binary_cross_entropy_with_logits(video_logit, labels.to(logits.dtype))


def mil_align(logits: torch.Tensor, mask: torch.Tensor, class_index: torch.Tensor, k_divisor: int) -> torch.Tensor:
    """MIL-Align: per class, top-k mean of alignment logits → cross-entropy with the video class."""
    video_logits = topk_mean(logits, mask, topk_counts(mask, k_divisor))  # [B, C]
    return F.cross_entropy(video_logits, class_index)


def text_separation(text: torch.Tensor) -> torch.Tensor:
    """Mean |cos| between the normal text embedding (row 0) and each abnormal one."""
    t = F.normalize(text, dim=-1)
    return (t[1:] @ t[0]).abs().mean()
