"""What the benchmark scripts share: the machine a result was measured on, and writing the result.

Scripts run as ``python benchmarks/NAME.py`` (``benchmarks/`` is then first on ``sys.path``, so
``from _common import machine`` needs no path edits) with the package installed (``make
install``; ``device_check.sh`` puts the checkout on ``PYTHONPATH`` on the device machine).
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import torch

from stprompt_core.io import write_json

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
WORK = ROOT / "benchmarks" / "_work"


def machine(device: str = "cpu", **extra: Any) -> dict[str, Any]:
    """The machine and software of this run: device and GPU, CPU cores (this process's
    affinity), torch threads, the 1-minute load average (a shared machine skews timings) and the
    versions of torch, CUDA, open_clip, PyAV and Python; ``extra`` adds entries."""
    import av  # imported here: each of open_clip and PyAV takes a second or two
    import open_clip

    cuda = device.startswith("cuda") and torch.cuda.is_available()
    props = torch.cuda.get_device_properties(torch.device(device)) if cuda else None
    return {"device": device,
            "gpu": props.name if props else None,
            "gpu_memory_gib": round(props.total_memory / 2**30, 1) if props else None,
            "cpu": platform.processor() or platform.machine(),
            "cpu_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "load_average_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
            "torch": torch.__version__, "cuda": torch.version.cuda if cuda else None,
            "open_clip": open_clip.__version__, "av": av.__version__, "python": platform.python_version(),
            **extra}


def write_result(path: str | Path, record: dict[str, Any]) -> Path:
    """Write a result JSON atomically and say where."""
    write_json(path, record)
    print(f"written to {path}", flush=True)
    return Path(path)
