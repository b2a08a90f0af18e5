"""The crops of multi-crop extraction: CLIP ten-crop as in VadCLIP's released features.

A *crop* here is one of the ``extract.crops`` images extraction cuts from each sampled frame
(stored as the ``<split>.crop<k>`` splits of the feature store); the windows a localization map
is computed on are another thing (``localize.window``, :mod:`stprompt_core.localize.windows`).

VadCLIP trains on CLIP features of ten crops per sampled frame and its feature files are
numbered so (nwpu-zxr/VadCLIP, issue 2): ``_0`` the centre crop, ``_1``-``_4`` the four
corners, ``_5``-``_9`` the same five mirrored. This module describes each crop as a
:class:`FrameGeometry` (resize, then a crop window) plus a horizontal flip, so pixels
(:meth:`Crop.apply`), motion maps (:meth:`Crop.flip_grid`) and patch indices stay aligned
exactly as they are for the backbone's single transform.

``crops``: 1 = the backbone's own transform; 2 = centre and its mirror; 5 = centre and
corners; 10 = those five and their mirrors, exactly as torchvision's ``ten_crop`` cuts them
(mirrored crops are the same windows cut from the mirrored frame). With more than one crop, the frame's shorter
side is first resized to ``resize`` pixels (torchvision ``Resize`` rounding), or the whole
frame to ``resize = (width, height)`` whatever its aspect (VadCLIP's crop code: 340x256), and
each crop is ``input_hw`` from that.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from stprompt_core.config import choices
from stprompt_core.video.geometry import FrameGeometry, frame_geometry

CROP_COUNTS = choices("extract.crops")
CROP_NAMES = ("centre", "top-left", "top-right", "bottom-left", "bottom-right")


@dataclass(frozen=True)
class Crop:
    """One crop: the frame warped by ``geometry``, then mirrored left-right when ``flip``."""

    index: int
    name: str
    geometry: FrameGeometry
    flip: bool = False

    def apply(self, x: torch.Tensor) -> torch.Tensor:
        """Mirror ``[..., h, w]`` input-space maps when this crop is flipped."""
        return x.flip(-1) if self.flip else x

    def flip_grid(self, values: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
        """Mirror per-patch values ``[B, P]`` (row-major ``grid``) when this crop is flipped."""
        if not self.flip:
            return values
        rows, cols = grid
        return values.reshape(values.shape[0], rows, cols).flip(-1).reshape(values.shape[0], rows * cols)


def frame_crops(frame_size: tuple[int, int], input_hw: tuple[int, int], crops: int,
               resize: int | tuple[int, int] | list[int], resize_mode: str = "shortest") -> list[Crop]:
    """The ``crops`` crops of a ``(width, height)`` frame for a backbone of input ``(h, w)``.

    Args:
        frame_size: decoded ``(width, height)``.
        input_hw: backbone input ``(height, width)``.
        crops: 1, 2, 5 or 10 (see the module docstring for the order).
        resize: shorter side before cropping when ``crops > 1``; 0 = ``min(input_hw)``; a
            ``(width, height)`` pair: the frame squashed to that size.
        resize_mode: the backbone's own transform, used when ``crops == 1``.

    Raises:
        ValueError: an unsupported count, or a resized frame smaller than the crop.
    """
    if crops not in CROP_COUNTS:
        raise ValueError(f"extract.crops={crops} is not one of {list(CROP_COUNTS)}")
    if crops == 1:
        return [Crop(0, "centre", frame_geometry(frame_size, input_hw, resize_mode))]
    h, w = input_hw
    if isinstance(resize, (tuple, list)):  # every frame to (width, height), aspect ignored
        base = frame_geometry(frame_size, (int(resize[1]), int(resize[0])), "squash")
    else:
        base = frame_geometry(frame_size, resize or min(input_hw), "shortest")  # short side = resize
    rh, rw = base.resized_hw
    if rh < h or rw < w:
        raise ValueError(f"extract.crop_resize={resize} gives a {rw}x{rh} frame, smaller than the {w}x{h} crop")
    centre = (int(round((rh - h) / 2.0)), int(round((rw - w) / 2.0)))  # torchvision CenterCrop
    origins = [centre, (0, 0), (0, rw - w), (rh - h, 0), (rh - h, rw - w)][: 1 if crops == 2 else 5]
    size = (int(frame_size[0]), int(frame_size[1]))
    out = [Crop(i, CROP_NAMES[i], FrameGeometry(size, (h, w), (rh, rw), (-oy, -ox))) for i, (oy, ox) in enumerate(origins)]
    if crops in (2, 10):
        # torchvision's ten_crop: the same windows cut from the mirrored frame, i.e. the window
        # at the mirrored position, then mirrored (its "top-left mirrored" shows the top-right)
        out += [Crop(len(origins) + i, f"{CROP_NAMES[i]} mirrored",
                     FrameGeometry(size, (h, w), (rh, rw), (-oy, -(rw - w - ox))), flip=True)
                for i, (oy, ox) in enumerate(origins)]
    return out
