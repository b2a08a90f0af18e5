"""How much the book's figures move with the CPU: fp32 features against bf16-rounded ones.

    python benchmarks/cpu_variation.py [--profile workshop] [--seeds 0 1 2] [--out benchmarks/results/cpu_variation.json]

``precision: auto`` runs the backbone in bf16 on a CPU with native bf16 kernels (AVX512-BF16,
AMX) and in fp32 elsewhere, so two machines extract slightly different features from the same
videos and train slightly different detectors. Emulating bf16 kernels on a CPU without them is
tens of times slower (measured here: a bf16 matmul 35x an fp32 one), so this script rounds
instead: the backbone's weights are cast to bf16 and back, and every module's output is
rounded to bf16, while the arithmetic stays fp32. That reproduces the rounding a bf16 machine
applies to weights and activations, not its exact accumulation order; the difference it
measures is the order of magnitude of the CPU effect, not its exact value.

For each seed both stores train the profile's detector and are evaluated on the same test
videos; the record holds every run's frame AUC, AP, false alarm rate and TIoU, the per-seed
paired bootstrap interval of the AUC difference (``stprompt_core.compare``), and the spread
across seeds of each store, so the two sources of variation can be compared.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]

from stprompt_core.backbone.encoder import FrameEncoder
from stprompt_core.compare import paired_difference, run_video_scores, split_ground_truth
from stprompt_core.config import load_config
from stprompt_core.io import write_json
from stprompt_core.pipeline import ensure_features, ensure_localization, ensure_metrics, ensure_trained

KEYS = ("auc", "ap", "far")


def round_to_bf16() -> None:
    """Make every FrameEncoder built from now on hold bf16-rounded weights and round each
    module's output to bf16 (fp32 arithmetic)."""
    original = FrameEncoder.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        with torch.no_grad():
            for p in self.visual.parameters():
                p.copy_(p.to(torch.bfloat16).float())

        def hook(module, inputs, output):
            if isinstance(output, torch.Tensor) and output.is_floating_point():
                return output.to(torch.bfloat16).float()
            return output

        for module in self.visual.modules():
            module.register_forward_hook(hook)

    FrameEncoder.__init__ = init


def run(profile: str, store: str | None, seed: int, run_dir: Path) -> dict:
    overrides = {"train.seed": seed, **({"data.feature_store": store} if store else {})}
    cfg = load_config(profile, overrides)
    ensure_features(cfg, progress=False)
    ensure_trained(cfg, run_dir, progress=False)
    metrics = ensure_metrics(run_dir)
    loc = ensure_localization(run_dir)
    return {**{k: metrics[k] for k in KEYS}, "tiou": loc["tiou"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="workshop")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "_work" / "cpu_variation")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "cpu_variation.json")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    base = load_config(args.profile)
    rounded_store = str(Path(base.data.feature_store).with_name(Path(base.data.feature_store).name + "_bf16round"))
    runs: dict[str, dict[int, dict]] = {"fp32": {}, "bf16_rounded": {}}
    for seed in args.seeds:  # fp32 first: the rounding hook stays installed once set
        runs["fp32"][seed] = run(args.profile, None, seed, args.work / f"fp32-seed{seed}")
    round_to_bf16()
    for seed in args.seeds:
        runs["bf16_rounded"][seed] = run(args.profile, rounded_store, seed, args.work / f"bf16-seed{seed}")
    per_seed = []
    for seed in args.seeds:
        fp32_dir, bf16_dir = args.work / f"fp32-seed{seed}", args.work / f"bf16-seed{seed}"
        gt = split_ground_truth(fp32_dir)
        d = paired_difference(run_video_scores(bf16_dir, gt), run_video_scores(fp32_dir, gt))
        per_seed.append({"seed": seed, **{f"{k}_fp32": runs["fp32"][seed][k] for k in (*KEYS, "tiou")},
                         **{f"{k}_bf16_rounded": runs["bf16_rounded"][seed][k] for k in (*KEYS, "tiou")},
                         "auc_diff": round(d["diff"], 4), "auc_diff_low": round(d["low"], 4),
                         "auc_diff_high": round(d["high"], 4)})

    def spread(kind: str, key: str) -> dict:
        values = np.array([runs[kind][s][key] for s in args.seeds])
        return {"mean": round(float(values.mean()), 4), "std": round(float(values.std(ddof=1)), 4)
                if len(values) > 1 else None}

    cpu_abs = {k: round(float(np.mean([abs(runs["bf16_rounded"][s][k] - runs["fp32"][s][k]) for s in args.seeds])), 4)
               for k in (*KEYS, "tiou")}
    record = {
        "benchmark": "cpu_variation",
        "date": datetime.date.today().isoformat(),
        "command": f"python benchmarks/cpu_variation.py --profile {args.profile} --seeds "
                   + " ".join(map(str, args.seeds)),
        "profile": args.profile,
        "seeds": args.seeds,
        "emulation": "backbone weights and every module output rounded to bf16, fp32 arithmetic (see the script)",
        "per_seed": per_seed,
        "seed_spread": {kind: {k: spread(kind, k) for k in (*KEYS, "tiou")} for kind in runs},
        "cpu_mean_abs_difference": cpu_abs,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    write_json(args.out, record)
    print(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
