"""MIL losses on video-level labels (VadCLIP/STPrompt).

k = floor(T / k_divisor) + 1 snippets per video (T = its valid length). Padding never
enters a top-k or a mean.

Two forms of the binary MIL loss (``loss.bce_pool``):

- ``prob`` (VadCLIP's ``CLAS2``): sigmoid per snippet, top-k mean of the probabilities,
  BCE with the video label;
- ``logit``: top-k mean of the logits, BCE with logits (numerically safer; the ranking of
  snippets is the same, the gradient weights differ).

MIL-Align (VadCLIP's ``CLASM``) takes a target distribution over classes per video: one-hot
for single-label datasets, uniform over the video's labels for XD-Violence's multi-label
videos (``class_targets``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from stprompt_core.config import choices


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


BCE_POOLS = choices("loss.bce_pool")


def mil_bce(logits: torch.Tensor, mask: torch.Tensor, labels: torch.Tensor, k_divisor: int,
            pool: str = "prob") -> torch.Tensor:
    """Binary MIL loss (scalar).

    Args:
        logits: ``[B, T]`` snippet logits of the binary branch.
        mask: ``[B, T]`` bool, valid snippets.
        labels: ``[B]`` video labels, 1 = abnormal.
        k_divisor: k = floor(T / k_divisor) + 1.
        pool: ``prob``: top-k mean of sigmoid probabilities, then BCE (VadCLIP);
            ``logit``: top-k mean of logits, then BCE with logits.
    """
    k = topk_counts(mask, k_divisor)
    target = labels.to(logits.dtype)
    if pool == "logit":
        return F.binary_cross_entropy_with_logits(topk_mean(logits, mask, k), target)
    if pool != "prob":
        raise ValueError(f"loss.bce_pool {pool!r} is not one of {list(BCE_POOLS)}")
    video_prob = topk_mean(torch.sigmoid(logits), mask, k)  # [B]; sigmoid is monotone, same top-k
    return F.binary_cross_entropy(video_prob, target)


def class_targets(class_sets: list[list[int]], num_classes: int, mode: str = "soft") -> torch.Tensor:
    """MIL-Align targets ``[B, C]``: each row sums to 1.

    Args:
        class_sets: per video, its class indices in the dataset's order (first = primary).
        num_classes: C.
        mode: ``soft``: uniform over the video's classes (VadCLIP's ``labels / labels.sum``);
            ``first``: one-hot on the first class.
    """
    if mode not in ("soft", "first"):
        raise ValueError(f"loss.align_targets {mode!r} is not 'soft' or 'first'")
    out = torch.zeros(len(class_sets), num_classes)
    for i, classes in enumerate(class_sets):
        if not classes:
            raise ValueError(f"video {i} of the batch has no class")
        chosen = sorted(set(classes)) if mode == "soft" else [classes[0]]
        out[i, chosen] = 1.0 / len(chosen)
    return out


def mil_align(logits: torch.Tensor, mask: torch.Tensor, targets: torch.Tensor, k_divisor: int) -> torch.Tensor:
    """MIL-Align: per class, top-k mean of alignment logits → cross-entropy with the targets.

    Args:
        logits: ``[B, T, C]`` alignment logits.
        mask: ``[B, T]`` bool.
        targets: ``[B]`` class indices, or ``[B, C]`` distributions (:func:`class_targets`).
    """
    video_logits = topk_mean(logits, mask, topk_counts(mask, k_divisor))  # [B, C]
    if targets.dim() == 1:
        return F.cross_entropy(video_logits, targets)
    return -(targets.to(video_logits.dtype) * F.log_softmax(video_logits, dim=1)).sum(dim=1).mean()


def text_separation(text: torch.Tensor) -> torch.Tensor:
    """Mean |cos| between the normal text embedding (row 0) and each abnormal one."""
    t = F.normalize(text, dim=-1)
    return (t[1:] @ t[0]).abs().mean()
