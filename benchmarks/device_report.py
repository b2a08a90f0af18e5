"""What every stage of ``device_check.sh`` records, and where a result may be written.

Each stage (``bench_extract.py --device-check``, ``bench_train_epoch.py``) writes one JSON
file as soon as it has something to say and again when it ends, so a stage killed by its
time cap still leaves what it measured (``complete: false``).
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stprompt_core.io import write_json  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


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


def machine(device: str) -> dict[str, Any]:
    """Device name and software versions of this run."""
    import av
    import open_clip

    cuda = device.startswith("cuda") and torch.cuda.is_available()
    props = torch.cuda.get_device_properties(torch.device(device)) if cuda else None
    return {"device": device,
            "gpu": props.name if props else None,
            "gpu_memory_gib": round(props.total_memory / 2**30, 1) if props else None,
            "torch": torch.__version__, "cuda": torch.version.cuda if cuda else None,
            "open_clip": open_clip.__version__, "av": av.__version__,
            "python": platform.python_version(),
            "cpu_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()}


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
