"""Temporal detector at UCF-Crime scale on CPU: epoch time, peak memory, scoring throughput.

Scale (issue 2): 1610 training videos × 256 snippets × 512-d, K = 16 (ViT-B/16 shapes,
random-init text tower: speed does not depend on weights). The features are planted
random data written through the real feature store, so loading cost is included.

    .venv/bin/python benchmarks/bench_temporal.py [--videos 1610] [--out benchmarks/results/temporal_cpu.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from _common import machine
from stprompt_core.classes import DATASET_CLASSES
from stprompt_core.config import load_config
from stprompt_core.features.store import FeatureStore, FeatureStoreWriter, StoreMeta, VideoFeatures
from stprompt_core.io import write_json

D, K, GRID, T = 512, 16, (14, 14), 256
LOAD0 = [round(v, 2) for v in os.getloadavg()]  # other jobs on the machine skew timings


def write_store(root: Path, n_videos: int, seed: int = 0, snippets: int = T, dim: int = D, top_k: int = K,
                grid: tuple[int, int] = GRID, workers: int = 1) -> dict[str, float]:
    """UCF-scale training split: half normal, half abnormal (the 13 classes in turn), ``snippets`` each.

    Video ``i`` draws its arrays from its own seed ``(seed, i)``, so the store is the same
    for any number of ``workers`` (processes writing the per-video parts).
    """
    if root.exists():
        shutil.rmtree(root)
    meta = StoreMeta(dataset="ucf_crime", embed_dim=dim, top_k=top_k, patch_grid=list(grid))
    FeatureStoreWriter(root, meta)  # store.json, before the workers open the store
    t0 = time.perf_counter()
    chunks = [c.tolist() for c in np.array_split(np.arange(n_videos), max(1, min(workers, n_videos)))]
    if len(chunks) > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(len(chunks), mp_context=mp.get_context("fork")) as pool:
            list(pool.map(_write_videos, [root] * len(chunks), [meta] * len(chunks), chunks,
                          [seed] * len(chunks), [snippets] * len(chunks)))
    else:
        _write_videos(root, meta, chunks[0], seed, snippets)
    t_parts = time.perf_counter() - t0
    t0 = time.perf_counter()
    FeatureStoreWriter(root, meta).finalize()
    return {"write_parts_s": round(t_parts, 1), "finalize_s": round(time.perf_counter() - t0, 1),
            "workers": len(chunks)}


def _write_videos(root: Path, meta: StoreMeta, ids: list[int], seed: int, snippets: int) -> None:
    """Planted random features of videos ``ids`` (even: normal, odd: abnormal), one part each."""
    classes = DATASET_CLASSES[meta.dataset]
    writer = FeatureStoreWriter(root, meta)
    D, K, P = meta.embed_dim, meta.top_k, meta.num_patches
    for i in ids:
        rng = np.random.default_rng([seed, i])
        label = i % 2
        cls = 1 + (i // 2) % (len(classes) - 1) if label else 0
        writer.add("train", VideoFeatures(
            video_id=f"v{i:05d}", label=label, class_name=classes[cls][0], class_index=cls,
            num_frames=snippets * 16, frame_feats=rng.standard_normal((snippets, D), np.float32),
            patch_feats=rng.standard_normal((snippets, K, D), np.float32),
            patch_idx=np.tile(np.arange(K, dtype=np.int32), (snippets, 1)),
            patch_motion=rng.random((snippets, P), np.float32)))


def bench_scoring(cfg, dtype: torch.dtype, batch: int = 64, reps: int = 3) -> float:
    """Snippets/s of the model's forward on in-memory padded batches (no data loading)."""
    from stprompt_core.backbone.clip import load_clip
    from stprompt_core.model.stprompt import STPrompt

    model = STPrompt(cfg, load_clip(cfg.backbone)).eval().to(dtype)
    g = torch.Generator().manual_seed(0)
    f = torch.randn(batch, T, D, generator=g).to(dtype)
    p = torch.randn(batch, T, K, D, generator=g).to(dtype)
    m = torch.rand(batch, T, K, generator=g).to(dtype)
    mask = torch.ones(batch, T, dtype=torch.bool)
    with torch.no_grad():
        model(f, p, m, mask)
        t0 = time.perf_counter()
        for _ in range(reps):
            model(f, p, m, mask).scores.float()
    return batch * T * reps / (time.perf_counter() - t0)


def train_phase(work: Path) -> dict:
    """One training epoch in this (fresh) process; peak RSS is this phase's alone."""
    from stprompt_core.train import train

    cfg = load_config("ucf_crime", {"backbone.pretrained": "", "data.feature_store": str(work / "store"),
                                    "data.val_fraction": 0.0, "train.epochs": 1, "train.device": "cpu"})
    t0 = time.perf_counter()
    summary = train(cfg, work / "run", overwrite=True, progress=False)
    return {"epoch_seconds": summary["log"][0]["seconds"], "train_call_seconds": round(time.perf_counter() - t0, 1),
            "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
            "batch_size": cfg.train.batch_size,
            "scoring_snippets_per_s_fp32": round(bench_scoring(cfg, torch.float32)),
            "scoring_snippets_per_s_bf16": round(bench_scoring(cfg, torch.bfloat16))}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--videos", type=int, default=1610)
    ap.add_argument("--work", default="benchmarks/_work/temporal")
    ap.add_argument("--out", default="benchmarks/results/temporal_cpu.json")
    ap.add_argument("--keep", action="store_true", help="keep the generated store (reused by the next run)")
    ap.add_argument("--phase", choices=("all", "train"), default="all", help=argparse.SUPPRESS)
    args = ap.parse_args()
    work = Path(args.work)
    if args.phase == "train":
        print(json.dumps(train_phase(work)))
        return
    meta = work / "store" / "store.json"
    reuse = meta.exists() and json.loads(meta.read_text()).get("splits", {}).get("train") == args.videos
    io_times = {"reused": True} if reuse else write_store(work / "store", args.videos)
    store_bytes = sum(f.stat().st_size for f in (work / "store" / "train").rglob("*") if f.is_file())
    child = subprocess.run([sys.executable, __file__, "--phase", "train", "--work", str(work)], check=True,
                           capture_output=True, text=True)
    phase = json.loads(child.stdout.strip().splitlines()[-1])
    result = {
        "what": "STPrompt temporal detector, UCF-Crime scale, CPU",
        "shape": {"videos": args.videos, "snippets": T, "dim": D, "top_k": K, "batch_size": phase.pop("batch_size")},
        **phase,
        "steps_per_epoch": -(-args.videos // 2 // 32),
        "store_train_split_gib": round(store_bytes / 2**30, 2),
        "store_write": io_times,
        "targets": {"epoch_seconds_max": 60, "scoring_snippets_per_s_min": 100_000},
        "machine": machine("cpu"),
        "load_average_at_start": LOAD0,
        "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
        "notes": "training runs in a child process: peak RSS is the training process's, and includes "
                 "memory-mapped Arrow pages touched while streaming the store",
    }
    write_json(args.out, result)
    print(result)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
