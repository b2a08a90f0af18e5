"""Device choice, seeding and determinism."""

from __future__ import annotations

import random

import numpy as np
import torch


def resolve_device(name: str, setting: str = "device") -> torch.device:
    """``auto`` → CUDA when available, else CPU; an explicit CUDA request without CUDA is an error.

    Raises:
        ValueError: CUDA asked for and not available; the message names ``setting`` (the
            config key the name came from, e.g. ``train.device``).
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"{setting}={name!r} but CUDA is not available; use 'cpu' or 'auto'")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def set_deterministic(num_threads: int = 0) -> None:
    """Deterministic kernels (same seed → same numbers on the same machine)."""
    torch.use_deterministic_algorithms(True, warn_only=True)
    if num_threads > 0:
        torch.set_num_threads(num_threads)
