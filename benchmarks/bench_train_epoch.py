"""One training epoch of the ucf_crime profile on one GPU, at UCF-Crime scale (device_check.sh, stage 2).

The store is ``bench_temporal.write_store``'s: 1,610 training videos (805 normal, 805
abnormal over the 13 classes), each 256 snippets of planted random features (ViT-B/16
shapes: D = 512, K = 16, 14 x 14 patches), written through the real feature store. 256 is
``data.max_len``: UCF-Crime videos average ~7,000 frames (~440 snippets), so in the real
training nearly every video is pooled to 256 and every batch is padded to 256; what a
fixed length leaves out is the cost of reading and pooling the longer videos.

The epoch is ``stprompt_core.train.train`` itself (one epoch, no validation split unless
``--val-fraction``); per-step times come from global hooks (module forward pre-hook on
the STPrompt model, optimizer step post-hook), so the training code is timed as it is:

- ``load``: from the end of one optimizer step to the next forward: reading the Arrow
  store, length fitting, collation, the copy to the device (host side);
- ``compute``: forward, losses, backward and AdamW, synchronised on CUDA.

Result (``--out``, default ``benchmarks/results/gpu_train_epoch.json``): settings, the
store's write times, ``epoch_seconds`` (train's own log), per-step statistics, peak GPU
memory, the target (epoch <= 60 s: ``bench_temporal``'s CPU target, kept) and whether it
was met; with a multi-crop profile, the epoch that its views would take at the measured
step time (each view is one more sample per epoch), marked as a projection.

    python benchmarks/bench_train_epoch.py --device cuda
    python benchmarks/bench_train_epoch.py --device cpu --videos 12 --snippets 16 --model STP-Tiny \\
        --grid 8 --batch-size 4 --out /tmp/gpu_train_epoch.json   # smoke
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch

from bench_temporal import write_store
from device_report import RESULTS, StageTimer, check_out, machine, save
from stprompt_core.backbone.configs import embed_dim
from stprompt_core.config import load_config
from stprompt_core.model.stprompt import STPrompt
from stprompt_core.train.sampling import epoch_steps

WORK = Path(__file__).resolve().parent / "_work" / "train_epoch"


class StepClock:
    """Timestamps of every training step of ``train()``, taken by global hooks.

    ``forward_starts[i]``: the STPrompt forward of step ``i`` begins (its batch is on the
    device); ``step_ends[i]``: the optimizer step of step ``i`` returned. On CUDA both
    synchronise first, so a time covers the kernels launched before it.
    """

    def __init__(self, device: torch.device):
        self.cuda = device.type == "cuda"
        self.forward_starts: list[float] = []
        self.step_ends: list[float] = []
        self._handles: list[Any] = []

    def __enter__(self) -> StepClock:
        from torch.nn.modules.module import register_module_forward_pre_hook
        from torch.optim.optimizer import register_optimizer_step_post_hook

        self._handles = [register_module_forward_pre_hook(self._forward), register_optimizer_step_post_hook(self._step)]
        return self

    def __exit__(self, *exc: object) -> None:
        for h in self._handles:
            h.remove()

    def _now(self) -> float:
        if self.cuda:
            torch.cuda.synchronize()
        return time.perf_counter()

    def _forward(self, module: torch.nn.Module, args: tuple) -> None:
        # the first training forward after a step (validation scoring runs in eval mode)
        if isinstance(module, STPrompt) and module.training and len(self.forward_starts) == len(self.step_ends):
            self.forward_starts.append(self._now())

    def _step(self, optimizer: torch.optim.Optimizer, args: tuple, kwargs: dict) -> None:
        self.step_ends.append(self._now())

    def summary(self) -> dict[str, Any]:
        """Seconds per step (from step 2 on: step 1 has no start), load and compute medians."""
        n = len(self.step_ends)
        steps = [self.step_ends[i] - self.step_ends[i - 1] for i in range(1, n)]
        load = [self.forward_starts[i] - self.step_ends[i - 1] for i in range(1, n)]
        compute = [self.step_ends[i] - self.forward_starts[i] for i in range(n)]

        def stats(xs: list[float]) -> dict[str, float] | None:
            if not xs:
                return None
            return {"median": round(statistics.median(xs), 4), "mean": round(statistics.fmean(xs), 4),
                    "max": round(max(xs), 4)}

        return {"steps": n, "step_seconds": stats(steps), "load_seconds": stats(load),
                "compute_seconds": stats(compute), "first_step_compute_seconds": round(compute[0], 4) if n else None,
                "load_share": round(sum(load) / sum(steps), 3) if steps else None}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda", help="cuda, or cpu for the smoke run")
    ap.add_argument("--profile", default="ucf_crime")
    ap.add_argument("--videos", type=int, default=1610, help="training videos (UCF-Crime: 800 normal + 810 abnormal)")
    ap.add_argument("--snippets", type=int, default=256, help="snippets per video (the profile's data.max_len)")
    ap.add_argument("--model", default=None, help="backbone whose text tower trains (default: the profile's)")
    ap.add_argument("--grid", type=int, default=14, help="patches per side (ViT-B/16 at 224: 14)")
    ap.add_argument("--released", action="store_true",
                    help="a store as `stprompt data import-features vadclip` writes it: [CLS] only, no patch "
                         "tokens (K = 0), SA2 off; use with --profile ucf_crime_released")
    ap.add_argument("--batch-size", type=int, default=None, help="videos per step (default: the profile's)")
    ap.add_argument("--val-fraction", type=float, default=0.0,
                    help="validation share (0: the epoch is training only, as bench_temporal)")
    ap.add_argument("--store-workers", type=int, default=os.cpu_count() or 1, help="processes writing the store")
    ap.add_argument("--target-epoch-s", type=float, default=60.0)
    ap.add_argument("--time-cap", type=float, default=240.0, help="seconds for the stage (device_check.sh kills it)")
    ap.add_argument("--work", default=str(WORK), help="store and run dir (removed at the end)")
    ap.add_argument("--keep", action="store_true", help="keep the store and run dir")
    ap.add_argument("--out", default=None, help="result file (default: benchmarks/results/gpu_train_epoch.json)")
    args = ap.parse_args(argv)

    out = check_out(args.out or RESULTS / "gpu_train_epoch.json", args.device)
    timer = StageTimer(args.time_cap)
    work = Path(args.work)
    profile = load_config(args.profile)
    overrides: dict[str, Any] = {"backbone.pretrained": "", "data.feature_store": str(work / "store"),
                                 "data.val_fraction": args.val_fraction, "train.epochs": 1, "train.device": args.device}
    if args.model:
        overrides["backbone.model_name"] = args.model
    if args.batch_size:
        overrides["train.batch_size"] = args.batch_size
    profile_crops = int(getattr(profile.extract, "crops", 1))
    if hasattr(profile.extract, "crops"):
        overrides["extract.crops"] = 1  # the store holds one view; the profile's views are projected
    cfg = load_config(args.profile, overrides)
    top_k = 0 if args.released else cfg.extract.top_k_patches
    if args.released:
        args.grid = 0
        if cfg.model.sa2_mode != "none":
            raise SystemExit("--released stores have no patch tokens: use a profile with model.sa2_mode none "
                             "(ucf_crime_released, xd_violence_released)")
    result: dict[str, Any] = {
        "benchmark": "gpu_train_epoch",
        "what": "one epoch of stprompt_core.train.train with the profile's settings on a synthetic store "
                "(planted random features, fixed length)",
        "complete": False,
        "settings": {"profile": args.profile, "model": cfg.backbone.model_name, "weights": "random init",
                     "videos": args.videos, "snippets_per_video": args.snippets, "embed_dim": embed_dim(cfg.backbone.model_name),
                     "top_k": top_k, "patch_grid": [args.grid, args.grid], "batch_size": cfg.train.batch_size,
                     "sampling": getattr(cfg.train, "sampling", "balanced"), "max_len": cfg.data.max_len,
                     "val_fraction": args.val_fraction, "store_views": 1, "profile_crops": profile_crops,
                     "time_cap_s": args.time_cap},
        "target": {"epoch_seconds_max": args.target_epoch_s,
                   "source": "bench_temporal.py's CPU target for one UCF-Crime-scale epoch, kept for the GPU"},
        "meets_target": None,
        "machine": machine(args.device),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
    }
    save(out, result, timer)

    result["store"] = write_store(work / "store", args.videos, snippets=args.snippets, dim=embed_dim(cfg.backbone.model_name),
                                  top_k=top_k, grid=(args.grid, args.grid), workers=args.store_workers)
    result["store"]["train_split_gib"] = round(
        sum(f.stat().st_size for f in (work / "store" / "train").rglob("*") if f.is_file()) / 2**30, 3)
    save(out, result, timer)
    print(f"store: {result['store']}", flush=True)

    result.update(train_epoch(cfg, work / "run"))
    result["meets_target"] = result["epoch_seconds"] <= args.target_epoch_s
    median_step = (result["step_seconds"] or {}).get("median")
    if profile_crops > 1 and median_step:
        # write_store's videos: even ones normal, odd ones abnormal; every stored view one sample
        steps = epoch_steps(math.ceil(args.videos / 2) * profile_crops, args.videos // 2 * profile_crops,
                            cfg.train.batch_size, result["settings"]["sampling"])
        result["profile_crops_projection"] = {
            "views": profile_crops, "samples": args.videos * profile_crops, "steps": steps,
            "epoch_seconds": round(steps * median_step, 1),
            "note": "the profile's epoch (every stored view is one training sample) at the measured median "
                    "step time: projected, not measured"}
    result["complete"] = True
    save(out, result, timer)
    print({k: v for k, v in result.items() if k not in ("settings", "machine")}, flush=True)
    print(f"wrote {out} in {result['runtime_s']} s", flush=True)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return result


def train_epoch(cfg, run_dir: Path) -> dict[str, Any]:
    """``train()`` for one epoch under a :class:`StepClock`; times and peak GPU memory."""
    from stprompt_core.runtime import resolve_device
    from stprompt_core.train import train

    device = resolve_device(cfg.train.device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    t0 = time.perf_counter()
    with StepClock(device) as clock:
        summary = train(cfg, run_dir, overwrite=True, progress=False)
    call = time.perf_counter() - t0
    epoch = float(summary["log"][0]["seconds"])
    steps = clock.summary()
    per_step = epoch / steps["steps"] if steps["steps"] else math.nan
    cuda = device.type == "cuda"
    return {"epoch_seconds": round(epoch, 2), "seconds_per_step": round(per_step, 4), **steps,
            "train_call_seconds": round(call, 1),
            "setup_seconds": round(call - epoch, 1),  # store check (reads every video once), model build, checkpoint
            "peak_gpu_memory_gib": round(torch.cuda.max_memory_allocated(device) / 2**30, 2) if cuda else None,
            "peak_gpu_reserved_gib": round(torch.cuda.max_memory_reserved(device) / 2**30, 2) if cuda else None,
            "train_loss": round(float(summary["log"][0]["train_loss"]), 4)}


if __name__ == "__main__":
    main()
