"""``stprompt detect`` on long footage: peak memory against length, and throughput (issue 23).

Measures, for a synthetic input of each length (a SynthVAD clip of the profile's world, from
the example seed no split uses, looped end to end and written as one H.264 file), the whole
``stprompt detect`` command in a fresh process: its peak resident memory (``ru_maxrss`` of
the child) and frames per second of both passes (``detect.json``). Peak memory that does not
grow with the length is the streaming's claim; throughput is what a user waits.

The detector's weights do not change either figure, so without ``--run-dir`` the script
writes a run folder of the profile with an untrained detector (its config, its shape, seed
0); with ``--run-dir`` it measures that run. Results go to ``benchmarks/results/detect.json``
with the command, the machine's load (these machines are shared) and the torch thread count.

    .venv/bin/python benchmarks/bench_detect.py --profile workshop --lengths 1500 6000 12000
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from _common import machine, write_result


REPO = Path(__file__).resolve().parents[1]
RESULT = REPO / "benchmarks" / "results" / "detect.json"
WORK = REPO / "benchmarks" / "_work" / "detect"


def untrained_run(profile: str, run_dir: Path) -> Path:
    """A run folder of ``profile`` whose detector is freshly initialised (seed ``train.seed``)."""
    from stprompt_core.config import load_config
    from stprompt_core.integrity import save_verified
    from stprompt_core.model.stprompt import trainable_state_dict
    from stprompt_core.train import build_model

    import torch

    cfg = load_config(profile)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.json").write_text(cfg.to_json())
    save_verified(trainable_state_dict(build_model(cfg, torch.device("cpu"))), run_dir / "best.safetensors",
                  {"epoch": "0"})
    return run_dir


def looped_video(preset: str, frames: int, out: Path) -> Path:
    """``frames`` frames of the example SynthVAD clip of ``preset``, looped, as one mp4 (reused)."""
    from stprompt_core.offline.synthvad.example import render_example
    from stprompt_core.video.write import write_mp4

    if out.is_file():
        return out
    import av

    clip = render_example(preset, WORK / "example")
    with av.open(str(clip)) as c:
        pictures = [f.to_ndarray(format="rgb24") for f in c.decode(c.streams.video[0])]
    write_mp4(out, (pictures[i % len(pictures)] for i in range(frames)), fps=25)
    return out


def measure(video: Path, run_dir: Path, out: Path) -> dict:
    """Run ``stprompt detect`` in a child process; its peak RSS and ``detect.json``'s figures."""
    cmd = [sys.executable, "-m", "stprompt_core.cli", "detect", str(video), "--run-dir", str(run_dir),
           "--out", str(out), "--no-progress"]
    import psutil

    # a fresh parent per measurement: RUSAGE_CHILDREN's ru_maxrss is the largest child it ever waited for
    probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", probe, *cmd], cwd=REPO, stdout=subprocess.PIPE, text=True)
    samples = []  # (seconds, RSS MiB of the detect process) every second: flat once loaded = bounded
    while proc.poll() is None:
        try:
            kids = psutil.Process(proc.pid).children()
            if kids:
                samples.append((round(time.perf_counter() - t0, 1), round(kids[0].memory_info().rss / 2**20, 1)))
        except psutil.NoSuchProcess:
            pass
        time.sleep(1.0)
    stdout, _ = proc.communicate()
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {proc.returncode})")
    wall = time.perf_counter() - t0
    peak_kib = int(stdout.split()[-1])
    step = max(1, len(samples) // 12)
    summary = json.loads((out / "detect.json").read_text())
    return {"frames": summary["num_frames"], "duration_s": summary["duration_s"],
            "frame_size": summary["frame_size"], "peak_rss_mib": round(peak_kib / 1024, 1),
            "rss_mib_over_time": samples[::step],
            "frames_per_s": summary["frames_per_s"], "seconds": summary["seconds"], "wall_seconds": round(wall, 2),
            "peak_buffered_snippets": summary["stream"]["peak_buffered_snippets"],
            "stream": summary["stream"], "precision": summary["precision"], "backbone": summary["backbone"]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--profile", default="workshop")
    p.add_argument("--run-dir", default="", help="a trained run (default: an untrained one of --profile)")
    p.add_argument("--lengths", type=int, nargs="+", default=[1500, 6000, 12000], help="frames of each input")
    p.add_argument("--out", default=str(RESULT))
    args = p.parse_args()

    from stprompt_core.config import load_config

    cfg = load_config(args.profile)
    run = Path(args.run_dir) if args.run_dir else untrained_run(args.profile, WORK / f"run-{args.profile}")
    rows = []
    for n in sorted(args.lengths):
        video = looped_video(cfg.synthvad.preset, n, WORK / f"{cfg.synthvad.preset}-{n}.mp4")
        load = os.getloadavg()[0]
        row = measure(video, run, WORK / f"out-{n}")
        row["load_average_1m_before"] = round(load, 2)
        rows.append(row)
        print(json.dumps({k: row[k] for k in ("frames", "peak_rss_mib", "frames_per_s")}), flush=True)
    result = {
        "what": "stprompt detect on a looped SynthVAD clip: peak RSS of the whole command and frames/s of both "
                "passes (decode, extract, score, annotated MP4, report), by input length",
        "command": " ".join([Path(sys.executable).name, "benchmarks/bench_detect.py", "--profile", args.profile,
                             "--lengths", *map(str, args.lengths)] + (["--run-dir", args.run_dir] if args.run_dir else [])),
        "profile": args.profile, "backbone": cfg.backbone.model_name,
        "detector": "trained run " + args.run_dir if args.run_dir else "untrained (weights do not change the figures)",
        "rows": rows,
        "peak_rss_growth_mib": round(rows[-1]["peak_rss_mib"] - rows[0]["peak_rss_mib"], 1),
        "machine": machine("cpu"),
        "date": datetime.date.today().isoformat(),
    }
    write_result(args.out, result)


if __name__ == "__main__":
    main()
