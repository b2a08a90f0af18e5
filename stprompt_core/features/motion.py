"""Motion magnitude per patch, the prior SA2 uses to pick foreground patches (STPrompt §3.2).

For a sampled frame ``f_t`` and its neighbour ``f_t'`` (``stprompt_core.video.decode``)::

    m_t(x, y) = mean_c |f_t'(x, y, c) - f_t(x, y, c)| / 255     raw difference, in [0, 1]
    M_t[p]    = mean of m_t over the pixels patch p sees          pooled onto the patch grid

The pooling follows the backbone's own crop/resize (:class:`FrameGeometry`), so patch ``p``
of the motion map and patch ``p`` of the image tokens cover the same pixels.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from stprompt_core.video.geometry import FrameGeometry


def frame_motion(frames: torch.Tensor, partners: torch.Tensor) -> torch.Tensor:
    """Per-pixel motion magnitude.

    Args:
        frames: ``[B, H, W, 3]`` uint8 sampled frames.
        partners: ``[B, H, W, 3]`` uint8 adjacent frames.

    Returns:
        ``[B, H, W]`` float32 in ``[0, 1]``.
    """
    diff = (partners.to(torch.int16) - frames.to(torch.int16)).abs_()  # [B, H, W, 3]
    return diff.sum(dim=-1, dtype=torch.float32).div_(3 * 255.0)


def pool_to_patches(motion: torch.Tensor, geometry: FrameGeometry, patch_size: tuple[int, int]) -> torch.Tensor:
    """Average a motion map over each patch of the backbone input.

    Args:
        motion: ``[B, H, W]`` per-pixel motion at the decoded frame size.
        geometry: the frame's crop/resize into the backbone input.
        patch_size: ``(height, width)`` of a patch in input pixels.

    Returns:
        ``[B, P]`` float32, patches in row-major grid order; padding counts as no motion.
    """
    warped = geometry.warp(motion[:, None], mode="area", fill=0.0)  # [B, 1, h, w], box-averaged
    pooled = F.avg_pool2d(warped, kernel_size=patch_size, stride=patch_size)  # [B, 1, rows, cols]
    return pooled.flatten(1)


def patch_motion(frames: torch.Tensor, partners: torch.Tensor, geometry: FrameGeometry,
                 patch_size: tuple[int, int]) -> torch.Tensor:
    """Motion magnitude per patch, ``[B, P]``, from raw adjacent-frame differences."""
    return pool_to_patches(frame_motion(frames, partners), geometry, patch_size)
