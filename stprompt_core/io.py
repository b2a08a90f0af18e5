"""Atomic file writes: a reader never sees a half-written file."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator


class DiskFullError(OSError):
    """The device ran out of space (or quota) while writing; the message names the file, what was
    written, what is free, and that nothing was replaced."""


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it over ``path`` on success.

    Works for files and directories. On error the temporary is removed and ``path``
    keeps its previous content. Running out of disk space raises :class:`DiskFullError`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_dead_temporaries(path)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent))
    except OSError as exc:
        if is_disk_full(exc):
            raise disk_full_error(exc, path, 0) from exc
        raise
    target = tmp / path.name
    try:
        try:
            yield target
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            raise disk_full_error(exc, path, _size(tmp)) from exc
        if path.is_dir() and not path.is_symlink():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
            os.replace(target, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(target, path)
        shutil.rmtree(path.with_name(f".{path.name}.old"), ignore_errors=True)  # left by a kill between renames
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


_SWEPT: set[str] = set()  # folders this process has cleared of dead writers' temporaries


def _remove_dead_temporaries(path: Path) -> None:
    """Remove what writers killed mid-write left in ``path``'s folder: temporaries
    ``.<name>.<pid>.<random>.tmp`` of processes that no longer run (live writers' are kept).
    Each folder is swept once per process, so a store of many parts is listed once."""
    folder = str(path.parent)
    if folder in _SWEPT:
        return
    _SWEPT.add(folder)
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(".") and e.name.endswith(".tmp")]
    except OSError:
        return
    for e in entries:
        parts = e.name[: -len(".tmp")].rsplit(".", 2)  # [".<name>", "<pid>", "<random>"]
        if len(parts) == 3 and parts[1].isdigit() and not _alive(int(parts[1])):
            shutil.rmtree(e.path, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_json(path: str | Path, obj: Any) -> None:
    """Write JSON atomically (sorted keys, indented)."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=_default) + "\n", encoding="utf-8")


class DamagedJSONError(ValueError):
    """A JSON file the package wrote cannot be parsed; the message names it."""


def read_json(path: str | Path) -> Any:
    """Parse a JSON file; a damaged one raises :class:`DamagedJSONError` naming it."""
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DamagedJSONError(f"{path} is not valid JSON ({exc}); it is damaged or was cut short: run the command "
                               f"that wrote it again") from None


def _default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


_FULL = (errno.ENOSPC, errno.EDQUOT)


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a full device or quota. Libraries that write through
    their own code (safetensors' Rust writer, Arrow) raise their own types with the OS message."""
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, OSError) and exc.errno in _FULL:
            return True
        text = str(exc)
        if "No space left on device" in text or "os error 28" in text or "Disk quota exceeded" in text:
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _size(path: Path) -> int:
    """Bytes under ``path`` (a file or a folder), 0 if it is gone."""
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


def disk_full_error(exc: BaseException, path: Path, written: int) -> DiskFullError:
    try:
        free = shutil.disk_usage(path.parent).free
    except OSError:
        free = -1
    return DiskFullError(errno.ENOSPC, f"no space left on the device while writing {path}: {written:,} bytes written "
                         f"before it filled, {free:,} bytes free in {path.parent}; nothing was replaced. Free at "
                         f"least {max(written, 1 << 20):,} bytes (more for the rest of the run) and run the same "
                         f"command again: finished work is kept")


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in 4 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 22):
            h.update(block)
    return h.hexdigest()
