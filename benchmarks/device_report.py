"""What every stage of ``device_check.sh`` records, and where a result may be written.

Each stage (``bench_extract.py --device-check``, ``bench_train_epoch.py``) writes one JSON
file as soon as it has something to say and again when it ends, so a stage killed by its
time cap still leaves what it measured (``complete: false``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from _common import RESULTS, machine
from stprompt_core.io import write_json

__all__ = ["RESULTS", "StageTimer", "check_out", "machine", "save"]


def check_out(path: str | Path, device: str) -> Path:
    """``path``, unless a run off the GPU would write ``benchmarks/results/gpu_*.json``.

    Those files hold accelerator measurements only: a CPU smoke run never replaces them.

    Raises:
        SystemExit: naming the path and where smoke runs go instead.
    """
    out = Path(path).resolve()
    if not device.startswith("cuda") and out.parent == RESULTS.resolve() and out.name.startswith("gpu_"):
        raise SystemExit(f"--out {path}: benchmarks/results/gpu_*.json hold GPU measurements only; write a "
                         f"--device {device} run elsewhere (DEVICE=cpu device_check.sh writes to "
                         f"benchmarks/_work/device_check_smoke)")
    return out


class StageTimer:
    """Seconds since the stage began, against its cap (``device_check.sh`` kills it at the cap)."""

    def __init__(self, cap_s: float):
        self.cap_s = cap_s
        self.t0 = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def allows(self, seconds: float) -> bool:
        """Whether ``seconds`` more fit under the cap."""
        return self.elapsed + seconds <= self.cap_s


def save(path: Path, result: dict[str, Any], timer: StageTimer) -> None:
    """Write ``result`` atomically with the stage's running time so far."""
    result["runtime_s"] = round(timer.elapsed, 1)
    write_json(path, result)
