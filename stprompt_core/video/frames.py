"""Frame folders: a video stored as one image per frame (ShanghaiTech's test set).

A frame folder is a directory of ``.jpg``/``.jpeg``/``.png``/``.bmp`` images, one per
frame. Frame ``i`` of the video is the ``i``-th image in natural numeric order of the
names (``2.jpg`` before ``10.jpg``; ``000.jpg``, ``001.jpg``, ... as ShanghaiTech ships
them), so the number of frames is the number of images, and per-frame labels index the
images in that order. A folder has no frame rate. Hidden files and files with other
extensions (``Thumbs.db``) are ignored; sub-folders are not looked into.

Since a dataset's per-frame labels count images, two numbering mistakes are errors rather
than a silent shift of every later label: two names that give the same number
(``001.jpg`` and ``001.png``, ``1.jpg`` and ``001.jpg``) and, where all names share one
pattern (``img_00016.jpg``), a number that is skipped.

Images are read with Pillow (libjpeg-turbo, libpng) and converted to RGB. Nothing here
imports torch, so the data commands can use it cheaply.

Per-frame masks, whatever the video's storage: :func:`runs_from_mask` turns one into the
half-open runs of frames it marks (a dataset's anomalous frames, detect's frames over the
threshold, the shading of a score curve).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import numpy as np

from stprompt_core.io import file_sha256

IMAGE_EXTS: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".bmp")


class FrameFolderError(ValueError):
    """A frame folder or one of its images cannot be used; the message names the image."""


def _is_image(name: str) -> bool:
    return not name.startswith(".") and os.path.splitext(name)[1].lower() in IMAGE_EXTS


def _natural_key(stem: str) -> tuple:
    """``"img_016"`` -> ``("img_", 16, "")``: text parts compare as text, digit runs as numbers."""
    return tuple(int(part) if i % 2 else part.lower() for i, part in enumerate(re.split(r"(\d+)", stem)))


def is_frame_folder(path: str | Path) -> bool:
    """Whether ``path`` is a directory holding at least one frame image."""
    try:
        with os.scandir(path) as entries:
            return any(e.is_file() and _is_image(e.name) for e in entries)
    except OSError:  # not a directory, missing, unreadable
        return False


def list_frame_images(folder: str | Path) -> list[Path]:
    """The frame images of ``folder`` in frame order.

    Raises:
        FrameFolderError: no images, two images with the same frame number, or a skipped
            number; the message names the images.
    """
    folder = Path(folder)
    try:
        with os.scandir(folder) as entries:
            names = [e.name for e in entries if e.is_file() and _is_image(e.name)]
    except OSError as exc:
        raise FrameFolderError(f"cannot list frame images: {exc.strerror or exc}") from None
    if not names:
        raise FrameFolderError(f"no frame images ({', '.join(IMAGE_EXTS)})")
    keys = {name: _natural_key(os.path.splitext(name)[0]) for name in names}
    names.sort(key=lambda n: (keys[n], n))
    for a, b in zip(names, names[1:]):
        if keys[a] == keys[b]:
            raise FrameFolderError(f"images {a} and {b} give the same frame number; keep one")
    # names of one pattern (same text around one number): the numbers must run without gaps
    patterns = {(k[0], k[2]) if len(k) == 3 else None for k in keys.values()}  # text before/after the number
    if len(patterns) == 1 and None not in patterns:
        for a, b in zip(names, names[1:]):
            if keys[b][1] != keys[a][1] + 1:
                raise FrameFolderError(f"frame numbers skip from {a} to {b}: image missing")
    return [folder / name for name in names]


def image_size(path: Path) -> tuple[int, int]:
    """``(width, height)`` of an image from its header.

    Raises:
        FrameFolderError: unreadable image; the message names it.
    """
    from PIL import Image

    try:
        with Image.open(path) as image:
            return image.size
    except Exception as exc:  # as in read_frame_image
        raise FrameFolderError(f"cannot read image {path.name}: {type(exc).__name__}: {exc}") from None


def read_frame_image(path: Path, size: tuple[int, int] | None = None) -> np.ndarray:
    """One frame image as RGB ``[H, W, 3]`` uint8.

    Args:
        path: the image.
        size: ``(width, height)`` to resize to (bilinear) when the image differs, as video
            decoding rescales frames to the first frame's size; ``None`` keeps it.

    Raises:
        FrameFolderError: missing, truncated or corrupt image; the message names it.
    """
    from PIL import Image

    try:
        with Image.open(path) as image:
            rgb = image.convert("RGB")  # decodes the whole image: truncation is caught here
    except Exception as exc:  # Pillow raises OSError, SyntaxError, EOFError, ... for broken files
        raise FrameFolderError(f"cannot read image {path.name}: {type(exc).__name__}: {exc}") from None
    if size is not None and rgb.size != tuple(size):
        rgb = rgb.resize(tuple(size), Image.Resampling.BILINEAR)
    return np.asarray(rgb)


def frame_folder_sha256(folder: str | Path) -> str:
    """SHA-256 of a frame folder: of the lines ``<name> <sha256 of the image>`` in frame order.

    The digest changes when an image's bytes, its name or the set of images changes.
    """
    lines = "".join(f"{p.name} {file_sha256(p)}\n" for p in list_frame_images(folder))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def runs_from_mask(mask: np.ndarray) -> list[list[int]]:
    """Half-open ``[start, end)`` runs of non-zero values in a 1-D per-frame mask."""
    m = np.asarray(mask).astype(bool).astype(np.int8)
    edges = np.diff(np.concatenate([[0], m, [0]]))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return [[int(s), int(e)] for s, e in zip(starts, ends)]
