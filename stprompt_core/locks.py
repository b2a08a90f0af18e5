"""One writer per cache entry or run folder: an advisory file lock that names its holder.

Two ``stprompt`` processes that would write the same SynthVAD render, SynthCLIP checkpoint,
feature store, run folder or book never interleave: the second waits, saying which process
holds the entry, and then finds the work done (every stage is cache-or-compute or resumes).

The lock is ``filelock``'s (``flock`` on POSIX) on ``<entry>.lock`` beside the entry. The
kernel releases it when its process dies, however it dies, so a lock left by a killed run
is taken over at once; ``<entry>.lock.json`` records the holder (pid, host, command, start)
for the waiting message only. Locks are re-entrant within a process, so a stage may call
another that locks the same entry.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

from filelock import FileLock, Timeout

_HELD: dict[str, tuple[FileLock, int]] = {}  # lock path -> (lock, depth) held by this process
_GUARD = threading.Lock()
NOTICE_EVERY_S = 60.0


def lock_path(entry: str | Path) -> Path:
    """``<entry>.lock``, beside the entry (a file or a folder)."""
    entry = Path(entry)
    return entry.with_name(f"{entry.name}.lock")


def holder(entry: str | Path) -> dict | None:
    """What the current or last holder of ``entry``'s lock recorded, or None."""
    try:
        return json.loads(lock_path(entry).with_suffix(".lock.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def describe(info: dict | None) -> str:
    if not info:
        return "another process"
    return f"pid {info.get('pid')} on {info.get('host')} ({info.get('command', '?')}, since {info.get('since', '?')})"


@contextlib.contextmanager
def exclusive(entry: str | Path, poll_s: float = 0.2, log=None) -> Iterator[None]:
    """Hold ``entry``'s lock for the block; wait (with a message naming the holder) while
    another process holds it.

    Args:
        entry: the cache entry or run folder about to be written.
        poll_s: seconds between attempts while waiting.
        log: ``callable(str)`` for the waiting messages; default: print to stderr.
    """
    path = lock_path(entry)
    key = str(path.resolve())
    with _GUARD:
        if key in _HELD:  # re-entrant within this process
            lock, depth = _HELD[key]
            _HELD[key] = (lock, depth + 1)
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            _release(key)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path))
    say = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    last_notice = None
    while True:
        try:
            lock.acquire(timeout=poll_s)
            break
        except Timeout:
            now = time.monotonic()
            if last_notice is None or now - last_notice >= NOTICE_EVERY_S:
                say(f"waiting for {entry}: it is being written by {describe(holder(entry))}")
                last_notice = now
    if last_notice is not None:
        say(f"{entry}: lock released, continuing")
    info = {"pid": os.getpid(), "host": socket.gethostname(), "command": " ".join(sys.argv[:3]) or "python",
            "since": time.strftime("%Y-%m-%dT%H:%M:%S")}
    try:
        path.with_suffix(".lock.json").write_text(json.dumps(info), encoding="utf-8")
    except OSError:
        pass  # the description is a courtesy; the lock itself is held
    with _GUARD:
        _HELD[key] = (lock, 1)
    try:
        yield
    finally:
        _release(key)


def _release(key: str) -> None:
    with _GUARD:
        lock, depth = _HELD[key]
        if depth > 1:
            _HELD[key] = (lock, depth - 1)
            return
        del _HELD[key]
    lock.release()
