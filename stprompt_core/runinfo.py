"""Run manifests: what produced a run folder (code version, packages, inputs, seed)."""

from __future__ import annotations

import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from stprompt_core.io import file_sha256

PACKAGES = ("stprompt-notebooks", "torch", "torchvision", "open_clip_torch", "datasets", "numpy",
            "scikit-learn", "safetensors", "av")


def git_state(path: Path | None = None) -> dict[str, Any]:
    """Commit SHA and dirty flag of the checkout holding the package ("unknown" outside git)."""
    cwd = path or Path(__file__).resolve().parent
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True,
                             check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, check=True, timeout=10).stdout.strip() != ""
        return {"sha": sha, "dirty": dirty}
    except (OSError, subprocess.SubprocessError):
        return {"sha": "unknown", "dirty": None}


def package_versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def hash_inputs(paths: list[Path]) -> dict[str, str]:
    """sha256 of every file under the given files/directories, keyed by path."""
    out: dict[str, str] = {}
    for root in paths:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for f in files:
            out[str(f)] = file_sha256(f)
    return out


def run_manifest(command: str, seed: int, inputs: dict[str, str], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "command": command,
        "argv": sys.argv,
        "seed": seed,
        "git": git_state(),
        "packages": package_versions(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "inputs": inputs,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **(extra or {}),
    }
