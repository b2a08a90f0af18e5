"""Where a decoded frame lands in the backbone's input, and where each patch lands in the frame.

open_clip's test-time transform is one of three resize modes (``preprocess_cfg``):

- ``shortest``: scale so the shorter side fills the input, centre-crop the rest (CLIP's);
- ``squash``: scale each side to the input, ignoring the aspect ratio;
- ``longest``: scale so the longer side fits, pad the rest with ``fill_color``.

:class:`FrameGeometry` describes all three the same way, with torchvision's rounding: the
frame is resized, then centred on the input canvas (cropped where it overhangs, padded
where it falls short). Frames (:meth:`FrameGeometry.warp`), motion
maps (``stprompt_core.features.motion``) and patch boxes for localization
(:func:`patch_boxes`) all go through it, so the three agree pixel for pixel.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

RESIZE_MODES = ("shortest", "squash", "longest")


@dataclass(frozen=True)
class FrameGeometry:
    """A ``(width, height)`` frame resized to ``resized_hw``, then placed on the ``input_hw``
    canvas with its top-left corner at ``offset`` (negative: cropped, positive: padded).
    """

    frame_size: tuple[int, int]  # decoded (width, height)
    input_hw: tuple[int, int]  # backbone input (height, width)
    resized_hw: tuple[int, int]  # the frame after resizing (height, width)
    offset: tuple[int, int]  # (y, x) of the resized frame's origin on the input canvas

    def _windows(self) -> tuple[slice, slice, slice, slice]:
        """Source rows/cols of the resized frame and destination rows/cols on the canvas."""
        (rh, rw), (h, w), (oy, ox) = self.resized_hw, self.input_hw, self.offset
        sy0, sy1, sx0, sx1 = max(0, -oy), min(rh, h - oy), max(0, -ox), min(rw, w - ox)
        return slice(sy0, sy1), slice(sx0, sx1), slice(sy0 + oy, sy1 + oy), slice(sx0 + ox, sx1 + ox)

    def warp(self, x: torch.Tensor, mode: str = "bicubic", fill: float = 0.0) -> torch.Tensor:
        """Map frame-space maps into input space.

        Args:
            x: ``[B, C, H, W]`` float, ``(H, W)`` the frame size.
            mode: ``interpolate`` mode; ``bicubic``/``bilinear`` antialias when shrinking
                (as torchvision's ``Resize`` does, matching PIL).
            fill: value of padded pixels (``longest`` mode).

        Returns:
            ``[B, C, h, w]`` with ``(h, w) = input_hw``.
        """
        if tuple(x.shape[-2:]) != self.resized_hw:
            if mode in ("bilinear", "bicubic"):
                x = F.interpolate(x, size=self.resized_hw, mode=mode, align_corners=False, antialias=True)
            else:
                x = F.interpolate(x, size=self.resized_hw, mode=mode)
        sy, sx, dy, dx = self._windows()
        if (dy.stop - dy.start, dx.stop - dx.start) == self.input_hw:  # a crop (or nothing)
            return x[..., sy, sx]
        canvas = x.new_full((*x.shape[:-2], *self.input_hw), fill)
        canvas[..., dy, dx] = x[..., sy, sx]
        return canvas


def frame_geometry(frame_size: tuple[int, int], input_hw: tuple[int, int] | int,
                   resize_mode: str = "shortest") -> FrameGeometry:
    """The geometry of open_clip's test transform (torchvision ``Resize`` + ``CenterCrop``,
    ``ResizeKeepRatio`` + ``CenterCropOrPad``) for one frame size, with the same rounding.

    Args:
        frame_size: decoded ``(width, height)``.
        input_hw: backbone input ``(height, width)`` (or one int for a square input).
        resize_mode: ``shortest``, ``squash`` or ``longest`` (open_clip ``preprocess_cfg``).
    """
    W, H = int(frame_size[0]), int(frame_size[1])
    h, w = (input_hw, input_hw) if isinstance(input_hw, int) else (int(input_hw[0]), int(input_hw[1]))
    if W <= 0 or H <= 0:
        raise ValueError(f"frame size {frame_size} must be positive")
    if resize_mode == "squash":
        return FrameGeometry((W, H), (h, w), (h, w), (0, 0))
    if resize_mode == "shortest":
        if h == w:  # torchvision Resize(int): shorter side to h, longer side truncated
            rh, rw = (int(h * H / W), h) if W <= H else (h, int(h * W / H))
        else:  # ResizeKeepRatio(longest=0)
            ratio = min(H / h, W / w)
            rh, rw = round(H / ratio), round(W / ratio)
    elif resize_mode == "longest":  # ResizeKeepRatio(longest=1)
        ratio = max(H / h, W / w)
        rh, rw = round(H / ratio), round(W / ratio)
    else:
        raise ValueError(f"resize_mode {resize_mode!r} is not one of {RESIZE_MODES}")
    return FrameGeometry((W, H), (h, w), (rh, rw), (_centre(rh, h), _centre(rw, w)))


def _centre(size: int, target: int) -> int:
    """Offset of a ``size`` span centred on a ``target`` span (CenterCropOrPad's rounding)."""
    if size < target:
        return (target - size) // 2
    return -int(round((size - target) / 2.0))


def patch_boxes(geometry: FrameGeometry, patch_size: tuple[int, int]) -> torch.Tensor:
    """Frame-space box of every patch, for turning patch maps into boxes on the frame.

    Args:
        geometry: from :func:`frame_geometry`.
        patch_size: ``(height, width)`` of one patch in input pixels.

    Returns:
        ``[P, 4]`` float ``(x0, y0, x1, y1)`` in decoded-frame pixels, patches in row-major
        grid order; a patch that lies wholly in padding has zero area.
    """
    h, w = geometry.input_hw
    ph, pw = patch_size
    ys = torch.arange(h // ph, dtype=torch.float64) * ph
    xs = torch.arange(w // pw, dtype=torch.float64) * pw
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    boxes = torch.stack([gx, gy, gx + pw, gy + ph], dim=-1).reshape(-1, 4)  # [P, 4] input pixels
    (rh, rw), (oy, ox) = geometry.resized_hw, geometry.offset
    W, H = geometry.frame_size
    boxes = boxes - torch.tensor([ox, oy, ox, oy], dtype=torch.float64)  # resized-frame pixels
    boxes = torch.minimum(boxes.clamp(min=0), torch.tensor([rw, rh, rw, rh], dtype=torch.float64))
    return (boxes * torch.tensor([W / rw, H / rh] * 2, dtype=torch.float64)).float()


def tile_geometries(frame_size: tuple[int, int], input_hw: tuple[int, int] | int, n_tiles: int = 0
                    ) -> list[FrameGeometry]:
    """Input-sized windows that together cover the whole frame at the ``shortest`` scale.

    The frame is resized as the ``shortest`` mode does (its shorter side fills the input),
    then ``n_tiles`` windows of the input's size are placed along the longer side, evenly
    spaced from one edge to the other (window ``k`` starts at ``round(k * (L - l) / (n - 1))``
    with ``L`` the resized long side and ``l`` the input's), so neighbours overlap and the
    first and last touch the frame's edges. The middle window of an odd count is the
    ``shortest`` mode's centre crop.

    Args:
        frame_size: decoded ``(width, height)``.
        input_hw: backbone input ``(height, width)`` (or one int for a square input).
        n_tiles: windows along the long side; 0 = the fewest that cover it, ``ceil(L / l)``.

    Returns:
        ``n`` geometries (one, the centre crop, when the frame has the input's aspect ratio
        and ``n_tiles`` is 0), left to right or top to bottom.
    """
    if n_tiles < 0:
        raise ValueError(f"n_tiles must be >= 0, got {n_tiles}")
    base = frame_geometry(frame_size, input_hw, "shortest")
    (rh, rw), (h, w) = base.resized_hw, base.input_hw
    wide = rw - w >= rh - h  # the long side is the one the centre crop cuts
    span, size = (rw, w) if wide else (rh, h)
    n = n_tiles or max(1, -(-span // size))
    if n == 1:
        return [base]
    starts = [int(round(k * (span - size) / (n - 1))) for k in range(n)]
    return [FrameGeometry(base.frame_size, base.input_hw, base.resized_hw,
                          (base.offset[0], -s) if wide else (-s, base.offset[1])) for s in starts]
