"""Rehearse the book workflow on this machine: its build job's steps, in order, from a fresh clone.

    python tools/rehearse_workflow.py [--profile tiny] [--keep DIR] [--out FILE]

Reads ``.github/workflows/book.yml``, clones this repository's committed ``HEAD`` into a
temporary folder and runs every ``run:`` step of the ``build`` job there with the job's
environment, then checks that the folder the job uploads holds a built book. Steps that
use a GitHub action are stood in for by this machine: ``actions/checkout`` by the fresh
clone, ``setup-python``/``setup-node`` by its own ``python3`` and ``node``, the caches by
nothing (a cold run), the upload by the check. ``PIP_EXTRA_INDEX_URL`` (the CPU wheels'
index) is dropped where that host cannot be reached: pip then takes the pinned torch from
the indexes it has. ``--profile`` sets the Makefile's ``PROFILE`` for ``make demo`` (the
workflow builds ``workshop``; ``tiny`` rehearses the same steps in minutes). Writes a JSON
record of every step (command, seconds, exit code) to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = REPO / ".github" / "workflows" / "book.yml"


def build_steps(workflow: Path = WORKFLOW) -> tuple[dict[str, str], list[dict], str]:
    """The build job's environment, its steps, and the path it uploads."""
    job = yaml.safe_load(workflow.read_text())["jobs"]["build"]
    upload = next(s["with"]["path"] for s in job["steps"] if str(s.get("uses", "")).startswith(
        "actions/upload-pages-artifact"))
    return {k: str(v) for k, v in job.get("env", {}).items()}, job["steps"], upload


def reachable(url: str, timeout: float = 5.0) -> bool:
    try:
        urllib.request.urlopen(url, timeout=timeout)
        return True
    except OSError:
        return False


def rehearse(profile: str | None, keep: Path | None = None) -> dict:
    env_job, steps, upload = build_steps()
    root = keep or Path(tempfile.mkdtemp(prefix="book-workflow-"))
    clone = root / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    env = {**os.environ, **env_job}
    dropped = []
    index = env_job.get("PIP_EXTRA_INDEX_URL")
    if index and not reachable(index):
        env.pop("PIP_EXTRA_INDEX_URL")
        dropped.append(f"PIP_EXTRA_INDEX_URL ({index} unreachable here)")
    if profile:
        env["PROFILE"] = profile
    record = {"workflow": str(WORKFLOW.relative_to(REPO)), "commit": subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=clone, capture_output=True, text=True).stdout.strip(),
              "profile": profile or "workshop", "dropped_env": dropped, "steps": []}
    for step in steps:
        name = step.get("name") or step.get("uses") or step.get("run")
        if "run" not in step:
            record["steps"].append({"step": name, "stood_in_by": "this machine (see the module docstring)"})
            continue
        t0 = time.perf_counter()
        proc = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=clone, env=env)
        record["steps"].append({"step": name, "run": step["run"], "seconds": round(time.perf_counter() - t0, 1),
                                "exit": proc.returncode})
        print(f"[rehearse] {name}: exit {proc.returncode} in {record['steps'][-1]['seconds']} s", flush=True)
        if proc.returncode:
            record["ok"] = False
            return record
    record["uploaded_index_html"] = (clone / upload / "index.html").is_file()
    record["ok"] = record["uploaded_index_html"]
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default=None, help="PROFILE for make demo (default: the workflow's)")
    parser.add_argument("--keep", type=Path, default=None, help="rehearse in this folder and keep it")
    parser.add_argument("--out", type=Path, default=None, help="write the record here (JSON)")
    args = parser.parse_args(argv)
    record = rehearse(args.profile, args.keep)
    text = json.dumps(record, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0 if record["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
