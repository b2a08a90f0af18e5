"""The frozen CLIP image encoder as STPrompt uses it: [CLS] and patch tokens in the joint space.

For a batch of decoded frames the encoder

1. applies the backbone's own test-time preprocessing (size, resize mode, interpolation,
   mean/std from open_clip's ``preprocess_cfg``) in torch, on whole batches, on the device;
2. runs the ViT once with ``visual.output_tokens = True``, which returns the projected
   pooled [CLS] (exactly what ``model.encode_image`` returns) and the patch tokens after
   ``ln_post``;
3. projects the patch tokens into the joint image-text space with ``visual.proj``.

Precision (``precision="auto"``): fp16 autocast on CUDA; on CPU, weights cast to bf16
where the CPU has native bf16 instructions (AVX512-BF16 / AMX), fp32 elsewhere. Measured
on this project's CPU (AVX512-BF16, 2 cores): ViT-B/16 1.8 -> 7.2 img/s, STP-Small 511 ->
759, STP-Tiny 3741 -> 6016 (bf16 autocast alone did not help); see
``benchmarks/results/extract_throughput.json``.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import sys
import warnings
from dataclasses import dataclass
from typing import Any, Iterator

import torch
from torch import nn

from stprompt_core.backbone.clip import BackboneError, load_clip
from stprompt_core.config import BackboneConfig
from stprompt_core.io import file_sha256
from stprompt_core.video.crops import Crop, frame_crops
from stprompt_core.video.geometry import FrameGeometry, frame_geometry


def weights_sha256(pretrained: str) -> str | None:
    """SHA-256 of a local weights file (None for an open_clip tag or a random init): part of
    a feature store's identity, so retrained weights never mix with old features."""
    from pathlib import Path

    return file_sha256(Path(pretrained)) if pretrained and Path(pretrained).is_file() else None

PRECISIONS = ("auto", "fp32", "bf16", "fp16")


@dataclass
class FrameEmbeddings:
    """Backbone output for ``B`` frames in the joint space of dimension ``D``."""

    cls: torch.Tensor  # [B, D] float32, equals model.encode_image
    tokens: torch.Tensor  # [B, P, D] float32, patch tokens in row-major grid order


@functools.lru_cache(maxsize=1)
def cpu_has_native_bf16() -> bool:
    """True where the CPU executes bf16 matmuls natively (x86 AVX512-BF16 or AMX-BF16)."""
    if not torch.backends.mkldnn.is_available() or not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        return False
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/cpuinfo", encoding="utf-8") as fh:
                flags = next((line for line in fh if line.startswith("flags")), "").split()
        except OSError:
            return False
        return "avx512_bf16" in flags or "amx_bf16" in flags
    return False


def resolve_precision(precision: str, device: torch.device) -> str:
    """``auto`` -> ``fp16`` on CUDA, ``bf16`` on a CPU with native bf16, else ``fp32``."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r} is not one of {list(PRECISIONS)}")
    if precision == "auto":
        if device.type == "cuda":
            return "fp16"
        return "bf16" if device.type == "cpu" and cpu_has_native_bf16() else "fp32"
    if precision == "fp16" and device.type == "cpu":
        raise ValueError("precision 'fp16' needs a GPU; on CPU use 'bf16' or 'fp32'")
    return precision


class FrameEncoder:
    """Projected [CLS] and patch embeddings of video frames from an open_clip ViT.

    Args:
        model: an open_clip model (``CLIP``) with a ``VisionTransformer`` visual tower;
            its ``visual`` is moved to ``device`` (and copied when cast to bf16).
        device: where preprocessing and the forward run.
        precision: ``auto``, ``fp32``, ``bf16`` (CPU: weights cast; CUDA: autocast) or
            ``fp16`` (CUDA autocast).
        describe: facts recorded with the features (model name, weights, ...).
    """

    def __init__(self, model: nn.Module, device: str | torch.device = "cpu", precision: str = "auto",
                 describe: dict[str, Any] | None = None):
        import open_clip

        visual = getattr(model, "visual", model)
        if not all(hasattr(visual, a) for a in ("grid_size", "patch_size", "proj", "output_tokens", "ln_post")) \
                or visual.proj is None or getattr(visual, "attn_pool", None) is not None:
            raise BackboneError(f"{type(visual).__name__}: patch tokens in the joint space need an open_clip "
                                f"VisionTransformer with a [CLS] token and a projection")
        self.device = torch.device(device)
        pp = open_clip.get_model_preprocess_cfg(model)
        size = pp.get("size", visual.image_size)
        self.input_hw: tuple[int, int] = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
        self.resize_mode: str = pp.get("resize_mode", "shortest")
        self.interpolation: str = "bilinear" if pp.get("interpolation") == "bilinear" else "bicubic"
        self.fill: float = float(pp.get("fill_color", 0)) / 255.0
        self.mean = torch.tensor(pp["mean"], dtype=torch.float32, device=self.device).view(1, 3, 1, 1)
        self.std = torch.tensor(pp["std"], dtype=torch.float32, device=self.device).view(1, 3, 1, 1)
        self.patch_size: tuple[int, int] = tuple(int(p) for p in visual.patch_size)  # (height, width)
        self.patch_grid: tuple[int, int] = tuple(int(g) for g in visual.grid_size)  # (rows, cols)
        self.embed_dim: int = int(visual.proj.shape[1])
        self.precision = resolve_precision(precision, self.device)
        self.visual = visual.to(self.device).eval()
        if self.precision == "bf16" and self.device.type == "cpu":
            self._cast_bf16_or_fall_back()
        self._geometries: dict[tuple[int, int], FrameGeometry] = {}
        self._crops: dict[tuple[int, int, int, int], list[Crop]] = {}
        self._describe = dict(describe or {})

    @classmethod
    def from_config(cls, cfg: BackboneConfig, device: str | torch.device = "cpu",
                    precision: str = "auto", model: nn.Module | None = None) -> FrameEncoder:
        """Load ``cfg``'s backbone with :func:`load_clip` (or take ``model``, already loaded from
        ``cfg``, e.g. for its text tower too) and wrap it.

        Raises:
            BackboneError: unknown model, or weights that cannot be loaded offline.
        """
        model = model if model is not None else load_clip(cfg, device="cpu")
        enc = cls(model, device=device, precision=precision,
                  describe={"model_name": cfg.model_name, "pretrained": cfg.pretrained, "init_seed": cfg.init_seed,
                            "weights_sha256": weights_sha256(cfg.pretrained)})
        return enc

    @property
    def num_patches(self) -> int:
        return self.patch_grid[0] * self.patch_grid[1]

    def describe(self) -> dict[str, Any]:
        """What produced the features: recorded in the feature store's metadata."""
        return {**self._describe, "input_size": list(self.input_hw), "resize_mode": self.resize_mode,
                "patch_size": list(self.patch_size), "precision": self.precision}

    def geometry(self, frame_size: tuple[int, int]) -> FrameGeometry:
        """Crop/resize of a ``(width, height)`` frame into this backbone's input."""
        key = (int(frame_size[0]), int(frame_size[1]))
        if key not in self._geometries:
            self._geometries[key] = frame_geometry(key, self.input_hw, self.resize_mode)
        return self._geometries[key]

    def crops(self, frame_size: tuple[int, int], crops: int = 1, resize: int | tuple[int, int] | list[int] = 0
              ) -> list[Crop]:
        """The ``crops`` crops of a ``(width, height)`` frame (:func:`frame_crops`); crop 0
        of a single-crop list is :meth:`geometry`. ``resize``: short side, or ``(width, height)``."""
        size = tuple(int(r) for r in resize) if isinstance(resize, (tuple, list)) else int(resize)
        key = (int(frame_size[0]), int(frame_size[1]), int(crops), size)
        if key not in self._crops:
            self._crops[key] = frame_crops(key[:2], self.input_hw, crops, size, self.resize_mode)
        return self._crops[key]

    def preprocess(self, frames: torch.Tensor, crop: Crop | None = None) -> torch.Tensor:
        """The backbone's test-time transform on a batch, or one multi-crop ``crop`` of it.

        Args:
            frames: ``[B, H, W, 3]`` uint8 RGB (any device).
            crop: a crop from :meth:`crops`; None = the backbone's own transform.

        Returns:
            ``[B, 3, h, w]`` float32 normalized pixels on :attr:`device`.
        """
        geometry = crop.geometry if crop is not None else self.geometry((frames.shape[2], frames.shape[1]))
        x = frames.to(self.device, non_blocking=True).permute(0, 3, 1, 2).float().div_(255.0)  # [B, 3, H, W]
        x = geometry.warp(x, mode=self.interpolation, fill=self.fill).clamp_(0.0, 1.0)  # [B, 3, h, w]
        if crop is not None:
            x = crop.apply(x)
        return (x - self.mean) / self.std

    @torch.no_grad()
    def encode(self, pixels: torch.Tensor) -> FrameEmbeddings:
        """[CLS] and projected patch embeddings of preprocessed pixels ``[B, 3, h, w]``."""
        weight_dtype = self.visual.proj.dtype
        with self._autocast(), _output_tokens(self.visual):
            pooled, tokens = self.visual(pixels.to(self.device, weight_dtype))  # [B, D], [B, P, width]
            tokens = tokens @ self.visual.proj  # [B, P, D]
        return FrameEmbeddings(cls=pooled.float(), tokens=tokens.float())

    def __call__(self, frames: torch.Tensor) -> FrameEmbeddings:
        """Preprocess and encode ``[B, H, W, 3]`` uint8 frames."""
        return self.encode(self.preprocess(frames))

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.device.type == "cuda" and self.precision in ("fp16", "bf16"):
            dtype = torch.float16 if self.precision == "fp16" else torch.bfloat16
            return torch.autocast("cuda", dtype=dtype)
        return contextlib.nullcontext()

    def _cast_bf16_or_fall_back(self) -> None:
        fp32 = self.visual
        self.visual = copy.deepcopy(fp32).to(torch.bfloat16)
        probe = torch.zeros(1, 3, *self.input_hw)
        try:
            self.encode(probe)
        except RuntimeError as exc:  # a CPU build without bf16 kernels for some op
            warnings.warn(f"bf16 forward failed on this CPU ({exc}); using fp32", RuntimeWarning, stacklevel=3)
            self.visual, self.precision = fp32, "fp32"


@contextlib.contextmanager
def _output_tokens(visual: nn.Module) -> Iterator[None]:
    """Make ``visual`` return ``(pooled, tokens)`` for one call, leaving the model as it was."""
    before = visual.output_tokens
    visual.output_tokens = True
    try:
        yield
    finally:
        visual.output_tokens = before
