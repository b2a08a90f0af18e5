"""Damaged files are detected, never used: content digests recorded when written, checked when read.

Every ``.safetensors`` file the package writes (feature-store parts, SynthCLIP checkpoints,
training checkpoints) carries, in its own header, the SHA-256 of its tensors and metadata
(``stprompt_sha256``); the header also fixes each tensor's byte range, so a truncated file
cannot be read at all. :func:`load_verified` recomputes the digest and raises
:class:`DamagedFileError`, naming the file and the command that rebuilds it, on any
mismatch or unreadable file. Other files (Arrow shards, optimizer state, JSON cards) are
covered by :func:`file_record` / :func:`check_record`: size and SHA-256 written beside them
in the JSON that indexes them.

Files written before digests existed carry none; they are read as they are (a truncated one
still fails to load).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from stprompt_core.io import atomic_path, file_sha256

DIGEST_KEY = "stprompt_sha256"


class DamagedFileError(ValueError):
    """A file on disk is truncated or altered; the message names it and what rebuilds it."""

    def __init__(self, path: str | Path, reason: str, remedy: str = ""):
        self.path = Path(path)
        super().__init__(f"{path} is damaged ({reason}); it was not used" + (f". {remedy}" if remedy else ""))


def _bytes(value: Any) -> bytes:
    """Raw bytes of a numpy array or torch tensor (any dtype, bfloat16 included)."""
    if isinstance(value, np.ndarray):
        return np.ascontiguousarray(value).tobytes()
    import torch

    t = value.detach().to("cpu").contiguous()
    return t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""


def content_digest(tensors: Mapping[str, Any], metadata: Mapping[str, str] | None = None) -> str:
    """SHA-256 over the tensors (name, dtype, shape, bytes, in name order) and the metadata."""
    h = hashlib.sha256()
    for name in sorted(tensors):
        value = tensors[name]
        h.update(f"{name}|{value.dtype}|{tuple(value.shape)}|".encode())
        h.update(_bytes(value))
    for key, val in sorted((metadata or {}).items()):
        if key != DIGEST_KEY:
            h.update(f"{key}={val}\n".encode())
    return h.hexdigest()


def save_verified(tensors: Mapping[str, Any], path: str | Path, metadata: Mapping[str, str] | None = None) -> None:
    """Write a ``.safetensors`` file atomically with its content digest in the header
    (numpy arrays or torch tensors)."""
    meta = {**(metadata or {}), DIGEST_KEY: content_digest(tensors, metadata)}
    first = next(iter(tensors.values()), None)
    if isinstance(first, np.ndarray) or first is None:
        from safetensors.numpy import save_file
    else:
        from safetensors.torch import save_file
    with atomic_path(path) as tmp:
        save_file(dict(tensors), str(tmp), metadata=meta)


def load_verified(path: str | Path, framework: str = "numpy", remedy: str = "",
                  device: str = "cpu") -> tuple[dict[str, Any], dict[str, str]]:
    """Tensors and metadata of a ``.safetensors`` file, after checking its digest.

    Args:
        framework: ``numpy`` or ``pt``.
        remedy: what rebuilds the file (the command), appended to the error.
        device: torch device for ``pt``.

    Raises:
        FileNotFoundError: no such file.
        DamagedFileError: unreadable (truncated, garbled header) or a digest mismatch.
    """
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found")
    try:
        with safe_open(str(path), framework=framework, device=device) as fh:
            metadata = dict(fh.metadata() or {})
            tensors = {k: fh.get_tensor(k) for k in fh.keys()}
    except Exception as exc:  # safetensors raises its own error types for every malformed file
        raise DamagedFileError(path, f"unreadable: {str(exc)[:200]}", remedy) from None
    recorded = metadata.get(DIGEST_KEY)
    if recorded is not None and recorded != content_digest(tensors, metadata):
        raise DamagedFileError(path, "its content does not match the SHA-256 recorded when it was written", remedy)
    return tensors, metadata


JSON_DIGEST_KEY = "json_sha256"


def json_digest(obj: Mapping[str, Any]) -> str:
    """SHA-256 of a JSON object's canonical form (sorted keys), its own ``json_sha256`` left out."""
    import json

    return hashlib.sha256(json.dumps({k: v for k, v in obj.items() if k != JSON_DIGEST_KEY}, sort_keys=True,
                                     separators=(",", ":")).encode()).hexdigest()


def seal_json(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` with its digest under ``json_sha256`` (for cards: a JSON file that vouches for others)."""
    return {**obj, JSON_DIGEST_KEY: json_digest(obj)}


def read_sealed_json(path: str | Path, remedy: str = "") -> dict[str, Any]:
    """A JSON object, checked against its ``json_sha256`` when it has one.

    Raises:
        DamagedFileError: not JSON, not an object, or the digest differs.
    """
    import json

    try:
        obj = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DamagedFileError(path, f"not valid JSON: {exc}", remedy) from None
    if not isinstance(obj, dict):
        raise DamagedFileError(path, "not a JSON object", remedy)
    if JSON_DIGEST_KEY in obj and obj[JSON_DIGEST_KEY] != json_digest(obj):
        raise DamagedFileError(path, "its content does not match the SHA-256 recorded in it", remedy)
    return obj


def file_record(path: str | Path) -> dict[str, Any]:
    """``{"size", "sha256"}`` of a file, to store in the JSON that indexes it."""
    path = Path(path)
    return {"size": path.stat().st_size, "sha256": file_sha256(path)}


def check_record(path: str | Path, record: Mapping[str, Any], remedy: str = "") -> None:
    """Raise :class:`DamagedFileError` when ``path`` no longer has the recorded size and hash."""
    path = Path(path)
    if not path.is_file():
        raise DamagedFileError(path, "missing", remedy)
    size = path.stat().st_size
    if size != record["size"]:
        raise DamagedFileError(path, f"{size} bytes, {record['size']} when written", remedy)
    if file_sha256(path) != record["sha256"]:
        raise DamagedFileError(path, "its SHA-256 differs from the one recorded when it was written", remedy)
