"""Device choice, seeding, determinism and progress bars."""

from __future__ import annotations

import contextlib
import os
import random
from typing import Any, Iterator

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


@contextlib.contextmanager
def progress_bar(total: int | None, desc: str, unit: str, enabled: bool = True, **options: Any) -> Iterator[Any]:
    """A tqdm bar over ``total`` units (a notebook's widget bar inside Jupyter), or ``None``
    when ``enabled`` is false or ``TQDM_DISABLE`` is set (tqdm's own switch, which its notebook
    bar ignores). ``options`` go to tqdm (e.g. ``smoothing``). Closed on leaving the block."""
    if not enabled or os.environ.get("TQDM_DISABLE", "").lower() in ("1", "true"):
        yield None
        return
    from tqdm.auto import tqdm  # picks the notebook or terminal bar; importing it loads ipywidgets where present

    with tqdm(total=total, desc=desc, unit=unit, dynamic_ncols=True, **options) as bar:
        yield bar
