"""``localization_maps.safetensors``: the patch maps of every snippet of the localized videos.

Tensors (safetensors, no pickle):

- ``maps/<video_id>``: ``[T, V, rows, cols]`` float32 anomaly probabilities (float16 would tie a
  saturated map's top patches and change its ranking), one patch map per window ``V`` of each snippet's sampled frame (``localize.window``,
  :mod:`~stprompt_core.localize.windows`);
- ``scores/<video_id>``: ``[T]`` float32 temporal snippet scores.

Metadata (strings): ``patch_grid``, ``frame_size`` (decoded ``[width, height]``),
``snippet_len``, ``window`` (``localize.window``; older files call it ``view``), ``geometries``
(JSON list of the ``V`` windows'
:class:`~stprompt_core.video.geometry.FrameGeometry` fields; ``null`` for a grid over the
whole frame) and ``temperature``. :meth:`LocalizationMaps.heatmaps` puts the maps on the
frame exactly as ``stprompt localize`` boxed them. A file with ``[T, rows, cols]`` maps and
one ``geometry`` (one window) reads as ``V = 1``.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stprompt_core.config import LocalizeConfig
from stprompt_core.io import atomic_path
from stprompt_core.localize.retrieval import map_boxes, windows_heatmap
from stprompt_core.video.geometry import FrameGeometry

MAPS_FILE = "localization_maps.safetensors"


@dataclass
class LocalizationMaps:
    """The content of a maps file."""

    maps: dict[str, np.ndarray]  # video id -> [T, V, rows, cols] float32
    scores: dict[str, np.ndarray]  # video id -> [T] float32
    frame_size: tuple[int, int]  # decoded (width, height)
    snippet_len: int
    geometries: list[FrameGeometry | None]  # the V windows
    window: str  # localize.window
    settings: LocalizeConfig | None = None  # how the maps were boxed (:func:`~stprompt_core.localize.run.load_localized`)

    def heatmaps(self, video_id: str) -> np.ndarray:
        """``[T, H, W]`` float32 maps of one video at frame resolution (windows stitched)."""
        return windows_heatmap(self.maps[video_id], self.frame_size, self.geometries)

    def boxed(self, video_id: str) -> tuple[np.ndarray, list[list[list[float]]]]:
        """One video's heatmaps ``[T, H, W]`` normalised and boxed as ``stprompt localize`` did:
        the maps and, per snippet, the predicted boxes in frame pixels.

        Raises:
            ValueError: the maps were read without the settings they were boxed with (read
                them with :func:`~stprompt_core.localize.run.load_localized`).
        """
        s = self.settings
        if s is None:
            raise ValueError("these maps carry no box settings; read them with localize.run.load_localized(run_dir)")
        return map_boxes(self.maps[video_id], self.frame_size, self.geometries, s)


def save_maps(path: str | Path, maps: dict[str, np.ndarray], scores: dict[str, np.ndarray], *,
              frame_size: tuple[int, int], snippet_len: int, patch_grid: tuple[int, int],
              geometries: list[FrameGeometry | None], window: str, extra: dict[str, Any] | None = None) -> None:
    """Write a maps file; ``maps`` are ``[T, V, rows, cols]`` per video, ``extra`` more metadata."""
    from safetensors.numpy import save_file

    tensors: dict[str, np.ndarray] = {}
    for vid, m in maps.items():
        if m.ndim != 4 or m.shape[1] != len(geometries):
            raise ValueError(f"maps of {vid!r} have shape {m.shape}; expected [T, {len(geometries)}, rows, cols]")
        tensors[f"maps/{vid}"] = m.astype(np.float32)
        tensors[f"scores/{vid}"] = np.asarray(scores[vid], np.float32)
    meta = {"patch_grid": json.dumps(list(patch_grid)), "frame_size": json.dumps(list(frame_size)),
            "snippet_len": str(snippet_len), "window": window,
            "geometries": json.dumps([dataclasses.asdict(g) if g else None for g in geometries]),
            **{k: str(v) for k, v in (extra or {}).items()}}
    with atomic_path(Path(path)) as tmp:
        save_file(tensors, str(tmp), metadata=meta)


def load_maps(path: str | Path) -> LocalizationMaps:
    """Read a maps file written by :func:`save_maps` (or a one-window file, see the module docstring)."""
    from safetensors import safe_open
    from safetensors.numpy import load_file

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no {path.name} at {path.parent}; run `stprompt localize --run-dir {path.parent}` "
                                f"first")
    tensors = load_file(str(path))
    with safe_open(str(path), framework="numpy") as fh:
        meta = fh.metadata() or {}
    if "geometries" in meta:
        geometries = [_geometry(g) for g in json.loads(meta["geometries"])]
    else:
        geometries = [_geometry(json.loads(meta.get("geometry", "null")))]
    maps = {}
    for key, m in tensors.items():
        if key.startswith("maps/"):
            m = m.astype(np.float32)
            maps[key.split("/", 1)[1]] = m[:, None] if m.ndim == 3 else m  # [T, V, rows, cols]
    scores = {k.split("/", 1)[1]: v.astype(np.float32) for k, v in tensors.items() if k.startswith("scores/")}
    return LocalizationMaps(maps, scores, tuple(json.loads(meta["frame_size"])), int(meta["snippet_len"]),
                            geometries, meta.get("window", meta.get("view", "stored")))  # "view": older files


def _geometry(d: dict[str, Any] | None) -> FrameGeometry | None:
    if d is None:
        return None
    return FrameGeometry(**{k: tuple(v) for k, v in d.items()})
