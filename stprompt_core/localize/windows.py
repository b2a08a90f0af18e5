"""Which windows of a frame the backbone encodes for a localization map (``localize.window``).

CLIP's test transform (``shortest``: shorter side to the input, centre crop) never shows the
backbone the sides of a frame wider than the input: on a 320x240 UCF-Crime frame and a
224x224 ViT-B/16 input, 40 px on each side (a quarter of the frame) get no map, and no box
can be found there. The window modes:

==========  ===============================================================================
``stored``  the feature store's patch tokens: the backbone's own transform, as extraction
            ran it (one window; CLIP's centre crop)
``squash``  the whole frame resized to the input, aspect ratio ignored (open_clip ``squash``)
``pad``     the longer side fitted to the input, the rest padded (open_clip ``longest``)
``tiles``   the shorter side fitted as ``shortest`` does, then input-sized windows across
            the longer side, edge to edge (:func:`~stprompt_core.video.geometry.tile_geometries`)
==========  ===============================================================================

Every mode but ``stored`` re-encodes the sampled frames from the videos
(:func:`encode_windows`); each window gives a patch map, and
:func:`~stprompt_core.localize.retrieval.windows_heatmap` places them on the frame, averaging
where windows overlap. On a frame with the input's aspect ratio all modes give the same
single window. The paper profiles use three tiles, chosen on 4:3 SynthVAD frames
(``benchmarks/select_localize_window.py``, ``benchmarks/results/localize_views.json``).

These windows are not the crops of multi-crop extraction (``extract.crops``,
:mod:`stprompt_core.video.crops`).
"""

from __future__ import annotations

import torch

from stprompt_core.config import choices
from stprompt_core.localize.dense import dense_patch_tokens
from stprompt_core.video.geometry import FrameGeometry, frame_geometry, tile_geometries

WINDOW_MODES: tuple[str, ...] = choices("localize.window")  # stored, squash, pad, tiles


def window_geometries(mode: str, frame_size: tuple[int, int], input_hw: tuple[int, int],
                      resize_mode: str = "shortest", n_tiles: int = 0) -> list[FrameGeometry]:
    """The windows of ``mode`` for a ``(width, height)`` frame and a backbone input ``(h, w)``.

    Args:
        mode: ``localize.window``, one of :data:`WINDOW_MODES`.
        resize_mode: the backbone's own resize mode (the ``stored`` mode's window).
        n_tiles: ``tiles`` only: windows along the long side; 0 = the fewest that cover it.

    Returns:
        ``V`` geometries (``V = 1`` but for ``tiles``).
    """
    if mode == "stored":
        return [frame_geometry(frame_size, input_hw, resize_mode)]
    if mode == "squash":
        return [frame_geometry(frame_size, input_hw, "squash")]
    if mode == "pad":
        return [frame_geometry(frame_size, input_hw, "longest")]
    if mode == "tiles":
        return tile_geometries(frame_size, input_hw, n_tiles)
    raise ValueError(f"localize.window={mode!r} is not one of {list(WINDOW_MODES)}")


@torch.no_grad()
def encode_windows(encoder, frames: torch.Tensor, geometries: list[FrameGeometry],
                   dense_attention: str | None = None) -> torch.Tensor:
    """Projected patch tokens of every window of every frame.

    Args:
        encoder: a :class:`~stprompt_core.backbone.encoder.FrameEncoder` (its interpolation,
            fill, mean/std, device and precision are used).
        frames: ``[B, H, W, 3]`` uint8 RGB.
        geometries: ``V`` windows (:func:`window_geometries`) for this frame size.
        dense_attention: recompute the last block with this attention
            (:func:`~stprompt_core.localize.dense.dense_patch_tokens`); None = the regular tokens.

    Returns:
        ``[B, V, P, D]`` float32.
    """
    x = frames.to(encoder.device).permute(0, 3, 1, 2).float().div_(255.0)  # [B, 3, H, W]
    out = []
    for g in geometries:  # the backbone's preprocessing (FrameEncoder.preprocess) with this window
        pixels = (g.warp(x, mode=encoder.interpolation, fill=encoder.fill).clamp(0.0, 1.0) - encoder.mean) / encoder.std
        if dense_attention is None:
            tokens = encoder.encode(pixels).tokens  # [B, P, D]
        else:
            tokens = dense_patch_tokens(encoder.visual, pixels, dense_attention).float()
        out.append(tokens.cpu())
    return torch.stack(out, dim=1)  # [B, V, P, D]
