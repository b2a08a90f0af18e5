"""The released ``.npy`` files: found by name under the root, read and checked per video."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path, PurePosixPath

import numpy as np

from stprompt_core.features.released.lists import ListedVideo, ReleasedFeaturesError, crops_text


class NpyIndex:
    """Every ``.npy`` under the root by file name; a listed path resolves by its name, and by
    its ``<parent>/<name>`` tail when several files share the name."""

    def __init__(self, root: Path):
        self.root = root
        self.by_name: dict[str, list[Path]] = {}
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for f in filenames:
                if f.endswith(".npy"):
                    self.by_name.setdefault(f, []).append(Path(dirpath, f))

    def fingerprint(self) -> str:
        """SHA-256 over every feature file's relative path, size and modification time (cheap: no reading)."""
        h = hashlib.sha256()
        for name in sorted(self.by_name):
            for p in sorted(self.by_name[name]):
                st = p.stat()
                h.update(f"{p.relative_to(self.root)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        return h.hexdigest()

    def resolve(self, listed: str) -> Path | None:
        parts = PurePosixPath(listed.replace("\\", "/")).parts
        hits = self.by_name.get(parts[-1], [])
        if len(hits) > 1 and len(parts) > 1:
            hits = [h for h in hits if h.parent.name == parts[-2]]
        if len(hits) > 1:
            raise ReleasedFeaturesError(f"{listed!r}: {len(hits)} files under {self.root} match its "
                                        f"<folder>/<file> tail ({', '.join(str(h) for h in hits[:3])}); keep one copy")
        return hits[0] if hits else None


def load_crops(video: ListedVideo, crops: list[int], index: NpyIndex, dim: int) -> list[np.ndarray]:
    """The video's feature arrays in stored-crop order; raises ValueError naming what is wrong."""
    missing = [c for c in crops if c not in video.crops]
    if missing:
        raise ValueError(f"crops {missing} not listed (the split's videos list {crops_text(crops)})")
    arrays, length = [], None
    for c in crops:
        lineno, listed = video.crops[c]
        path = index.resolve(listed)
        if path is None:
            raise ValueError(f"crop {c}: no file {PurePosixPath(listed.replace(chr(92), '/')).name} under the root")
        try:
            a = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError) as exc:
            raise ValueError(f"crop {c}: {path} is not a readable .npy ({type(exc).__name__}: {exc})") from None
        if a.ndim != 2 or a.shape[1] != dim or a.shape[0] == 0:
            raise ValueError(f"crop {c}: {path} has shape {list(a.shape)}, expected [T, {dim}] with T > 0")
        if not np.issubdtype(a.dtype, np.floating):
            raise ValueError(f"crop {c}: {path} holds {a.dtype}, expected floats")
        bad = np.flatnonzero(~np.isfinite(a).all(axis=1))
        if bad.size:
            raise ValueError(f"crop {c}: {path} has NaN or inf in {bad.size} rows (first: row {int(bad[0])})")
        if length is not None and a.shape[0] != length:
            raise ValueError(f"crop {c}: {path} has {a.shape[0]} snippets, crop {crops[0]} has {length}")
        length = a.shape[0]
        arrays.append(a.astype(np.float32))
    return arrays
