"""Fault-injection sweep: every stage of the ``tiny`` chain killed (SIGKILL) at random instants and rerun.

For each stage (SynthVAD render, SynthCLIP training, extraction, temporal training,
evaluation, localization, book build) an uninterrupted reference run, then per trial: the
stage's ``stprompt`` command killed at a seeded random instant of its measured duration (in
CPU seconds of its process tree, so the point in the work does not move with the load),
rerun to completion, and its working tree compared with the reference's
(``tests/faults_harness.py`` says what "equal" means for each file).

    nice -n 10 .venv/bin/python benchmarks/faults.py --kills 20 --out benchmarks/results/faults.json

Trials run in rounds (one kill per stage per round) until every stage has ``--kills`` or its
share of ``--budget-min`` (the time left after the reference runs, split equally between the
stages) would be overrun by its next trial: a stage whose trial takes long (the book) gets
fewer kills than a quick one, and the file records how many each got. The results file is
rewritten after every round (``complete: false`` until the end). Work folders go to ``benchmarks/_work/faults``
(git-ignored); a failing trial's folder is kept there, with every command's output in ``logs/``.

The code under test is a snapshot of a commit (``--rev``, default HEAD; ``git archive`` into
the work folder), not the shared working tree, which others edit while a sweep runs;
``--live`` runs the working tree instead.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests package: the harness lives there

from _common import machine  # noqa: E402
from tests.faults_harness import (STAGE_NAMES, STAGES, Harness, Trial, kill_instants, snapshot_code,  # noqa: E402
                                  stage, summarize, trial_record)

WORK = Path(__file__).resolve().parent / "_work" / "faults"
DEFINITIONS = {
    "kills": "kills that landed (the command was still running at the instant)",
    "instants": "CPU seconds of the stage's process tree, stratified uniform over [0, span x the reference's)",
    "recovered": "of those, reruns of the same command that exited 0",
    "outputs_equal": "of those, working trees equal to the reference (nothing lost, nothing stray, every file equal)",
    "lost_files": "reference paths missing after the reruns, summed over the stage's trials",
    "stray_files": "paths the reruns left that the reference lacks (temporaries, partial files), summed",
    "finished_before_kill": "trials whose command exited before its kill instant (not counted in kills)",
}


def live_state() -> dict[str, Any]:
    """The working tree's commit and whether its package has uncommitted changes (``--live`` runs)."""
    root = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True).stdout.strip()

    return {"sha": git("rev-parse", "HEAD"), "snapshot": False,
            "package_dirty": bool(git("status", "--porcelain", "--", "stprompt_core"))}


def write_json(path: str | Path, obj: Any) -> None:
    """Write ``obj`` as indented JSON, atomically (a rename over the old file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(obj, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def machine_facts() -> dict[str, Any]:
    return machine("cpu", nice=os.nice(0), platform=platform.platform())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kills", type=int, default=20, help="kills per stage at most (rounds)")
    p.add_argument("--seed", type=int, default=0, help="seed of the kill instants")
    p.add_argument("--stages", nargs="+", default=list(STAGE_NAMES), choices=STAGE_NAMES, metavar="STAGE",
                   help=f"stages to kill ({', '.join(STAGE_NAMES)}); earlier ones still get a reference run")
    p.add_argument("--span", type=float, default=0.95,
                   help="kill instants over [0, SPAN x the reference's CPU seconds) (below 1: a run uses a "
                        "little more or less CPU than its reference)")
    p.add_argument("--budget-min", type=float, default=30.0,
                   help="sweep time; each stage starts no trial that would overrun its share (0: no limit)")
    p.add_argument("--work", default=str(WORK), help="work folder (references, trials, logs)")
    p.add_argument("--reuse-references", action="store_true",
                   help="keep reference runs already in --work (only while the code has not changed)")
    p.add_argument("--rev", default="HEAD", help="commit whose code is swept (exported into the work folder)")
    p.add_argument("--live", action="store_true", help="run the working tree's code instead of a snapshot")
    p.add_argument("--out", default="benchmarks/results/faults.json")
    args = p.parse_args(argv)
    if args.kills < 1:
        p.error("--kills must be at least 1")

    work = Path(args.work)
    if work.exists() and not args.reuse_references:
        shutil.rmtree(work)
    if args.live:
        code, code_info = None, live_state()
    else:
        code = work / "code"
        code_info = {"sha": snapshot_code(code, args.rev), "snapshot": True, "rev": args.rev}
        sys.path.insert(0, str(code))  # the store comparison imports the snapshot's package too
    h = Harness(work, code)
    facts = machine_facts()
    start = time.perf_counter()
    stages = [s.name for s in STAGES if s.name in args.stages]
    for name in stages:
        cpu = h.reference(name)
        print(f"[faults] reference {name}: {h.durations[name]:.1f} s, {cpu:.1f} CPU s", flush=True)
    refs_seconds = round(time.perf_counter() - start, 1)
    instants = {name: kill_instants(h.cpu[name], args.kills, args.seed, STAGE_NAMES.index(name), args.span)
                for name in stages}
    trials: dict[str, list[Trial]] = {name: [] for name in stages}
    cost = {name: 1.6 * h.durations[name] + 5 for name in stages}  # a trial's seconds, re-measured as they run
    spent = {name: 0.0 for name in stages}
    result: dict[str, Any] = {}

    def record(complete: bool, rounds: int, stopped: str | None) -> None:
        failures = [f for name in stages for t in trials[name] if (f := t.failure())]
        result.update({
            "benchmark": "faults", "date": time.strftime("%Y-%m-%d"),
            "command": "python benchmarks/faults.py " + " ".join(argv if argv is not None else sys.argv[1:]),
            "complete": complete, "rounds": rounds, "kills_requested": args.kills, "stopped": stopped,
            "share_per_stage_s": round(share, 1) if share != float("inf") else None,
            "settings": {"seed": args.seed, "span": args.span, "budget_min": args.budget_min, "profile": "tiny",
                         "env": "OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 TQDM_DISABLE=1 HF_*_OFFLINE=1",
                         "commands": {name: "stprompt " + " ".join(stage(name).argv) for name in stages}},
            "definitions": DEFINITIONS, "code": code_info, "machine": facts,
            "reference_seconds": {name: h.durations[name] for name in stages},
            "reference_cpu_seconds": {name: h.cpu[name] for name in stages}, "references_total_s": refs_seconds,
            "sweep_seconds": round(time.perf_counter() - start, 1),
            "stages": {name: summarize(trials[name]) for name in stages},
            "trials": {name: [trial_record(t) for t in trials[name]] for name in stages},
            "failures": failures,
        })
        write_json(args.out, result)

    budget = args.budget_min * 60 if args.budget_min > 0 else float("inf")
    share = max(0.0, budget - (time.perf_counter() - start)) / len(stages)
    rounds, stopped = 0, None
    for r in range(args.kills):
        due = [name for name in stages if spent[name] + cost[name] <= share]
        if not due:
            stopped = f"time budget: no stage's next trial fits in its share ({share:.0f} s each)"
            break
        for name in due:
            t0 = time.perf_counter()
            t = h.trial(name, r, instants[name][r])
            cost[name] = time.perf_counter() - t0
            spent[name] += cost[name]
            trials[name].append(t)
            status = "ok" if t.recovered and t.equal else f"FAILED ({t.failure()})"
            print(f"[faults] {name} kill {r + 1} at {t.kill_at:.2f} CPU s"
                  f"{f' ({t.kill_wall:.2f} s)' if t.landed else ' (had finished)'}: {status}", flush=True)
        rounds = r + 1
        record(False, rounds, None)
    short = {name: len(trials[name]) for name in stages if len(trials[name]) < args.kills}
    if short and stopped is None:
        stopped = "time budget"
    if short:
        stopped += f"; trials run where fewer than {args.kills}: {short}"
        print(f"[faults] {stopped}", flush=True)
    record(True, rounds, stopped)
    for name in stages:
        print(f"[faults] {name}: {result['stages'][name]}")
    print(f"[faults] {len(result['failures'])} failures; written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
