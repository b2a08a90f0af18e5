"""Extraction throughput on CPU: end to end vs the pure backbone forward, and bf16 vs fp32.

For each backbone (ViT-B/16 at 224 = the paper's, STP-Small, STP-Tiny; random init: speed
does not depend on the weights) the same run measures, at the same batch size and
precision,

- ``forward_fps``: ``FrameEncoder.encode`` on in-memory preprocessed batches (no video), and
- ``end_to_end_fps``: ``extract_features`` on 320x240 H.264 videos (UCF-Crime's size):
  decoding, preprocessing, motion, top-K, forward, per-video writes (not the final Arrow
  build, a one-off after the last video),

in sampled frames per second; the target is ``end_to_end >= 0.9 x forward``. Forward and
end-to-end runs alternate and the median ratio is reported. Because the machine is shared
(other jobs swing wall-clock rates by 2-30x), each row also gives ``cpu_ratio``: CPU seconds
per frame of the forward over those of the whole pipeline (decoding workers included), and
a one-thread CPU-time breakdown per stage; both are insensitive to other jobs. A last table
times the forward with fp32 weights against bf16 weights.

    .venv/bin/python benchmarks/bench_extract.py [--quick] [--out benchmarks/results/extract_throughput.json]
    .venv/bin/python benchmarks/bench_extract.py --device-check --device cuda   # what device_check.sh runs
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stprompt_core.backbone.encoder import FrameEncoder, cpu_has_native_bf16  # noqa: E402
from stprompt_core.config import load_config  # noqa: E402
from stprompt_core.data.manifest import Manifest, VideoEntry  # noqa: E402
from stprompt_core.features.extract import extract_features  # noqa: E402
from stprompt_core.io import write_json  # noqa: E402
from stprompt_core.video.write import write_mp4  # noqa: E402

WORK = Path(__file__).resolve().parent / "_work" / "extract"
STRIDE = 16
# (open_clip name, joint dim, batch size, sampled frames end to end, end-to-end runs)
MODELS = [("ViT-B-16", 512, 32, 64, 3), ("STP-Small", 128, 64, 512, 2), ("STP-Tiny", 64, 64, 512, 2)]


def surveillance_frames(n: int, seed: int, size: tuple[int, int] = (320, 240)) -> np.ndarray:
    """A fixed camera: textured static scene, a few moving blobs, sensor noise. ``[n, H, W, 3]``."""
    W, H = size
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W]
    scene = np.stack([96 + 40 * np.sin(xx / (9 + c) + yy / (13 + 2 * c)) for c in range(3)], -1)
    scene += rng.normal(0, 12, (H, W, 3))
    noise = rng.normal(0, 3, (7, H, W, 3))  # a pool of sensor-noise fields, cycled
    out = np.empty((n, H, W, 3), np.uint8)
    blobs = rng.uniform([0, 0, 1, -1], [W, H, 3, 1], (4, 4))  # x, y, vx, vy
    for i in range(n):
        f = scene + noise[i % len(noise)]
        for x, y, vx, vy in blobs:
            cx, cy = int(x + vx * i) % W, int(y + vy * i) % H
            f[max(0, cy - 18) : cy + 18, max(0, cx - 8) : cx + 8] = (200, 60, 60)
        out[i] = np.clip(f, 0, 255)
    return out


def make_videos(root: Path, sampled: int, per_video: int = 16, unique: int | None = None) -> Manifest:
    """A manifest of ``sampled // per_video`` 320x240 videos of ``per_video`` snippets each.

    With ``unique``, only that many files are written and the manifest cycles over them
    (decoding cost is per entry; it saves generation time on the GPU machine).
    """
    from concurrent.futures import ProcessPoolExecutor

    entries, missing = [], {}
    for i in range(max(1, sampled // per_video)):
        path = root / f"v{(i % unique if unique else i):03d}_{per_video}.mp4"
        if not path.exists():
            missing[path] = i
        entries.append(VideoEntry(id=f"v{i:04d}", path=path.name, split="train", label=0, cls="normal",
                                  num_frames=per_video * STRIDE))
    if missing:
        with ProcessPoolExecutor(max_workers=min(len(missing), os.cpu_count() or 1)) as pool:
            list(pool.map(_write_video, missing, missing.values(), [per_video * STRIDE] * len(missing)))
    return Manifest("synthvad", entries)


def _write_video(path: Path, seed: int, n: int) -> None:
    write_mp4(path, surveillance_frames(n, seed), fps=25, crf=23)


def forward_fps(enc: FrameEncoder, batch: int, seconds: float) -> tuple[float, float]:
    """Sampled frames/s of ``enc.encode`` on one in-memory batch, repeated; and CPU s per frame."""
    pixels = torch.randn(batch, 3, *enc.input_hw, device=enc.device)
    enc.encode(pixels)  # warm-up: kernel selection, weight layouts
    _sync(enc.device)
    n, t0, c0 = 0, time.perf_counter(), cpu_seconds()
    while time.perf_counter() - t0 < seconds or n < 2 * batch:
        enc.encode(pixels)
        n += batch
    _sync(enc.device)
    return n / (time.perf_counter() - t0), (cpu_seconds() - c0) / n


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the decoding workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def bench_model(name: str, dim: int, batch: int, sampled: int, seconds: float, device: str = "cpu",
                per_video: int = 16, unique: int | None = None, workers: int | None = None, reps: int = 1) -> dict:
    """Forward, end to end, forward, ... (``reps`` end-to-end runs): one row of the result.

    Each end-to-end run is compared with the mean of the forwards timed just before and
    just after it; the row reports the median over runs (a shared machine is noisy).
    """
    cfg = load_config("tiny", {"backbone.model_name": name, "backbone.embed_dim": dim, "backbone.pretrained": "",
                               "extract.batch_size": batch, "extract.top_k_patches": 16, "extract.device": device,
                               "extract.keep_tokens": "none", "data.data_root": str(WORK / "videos"),
                               "data.feature_store": str(WORK / f"store_{name}")})
    manifest = make_videos(WORK / "videos", sampled, per_video, unique)
    enc = FrameEncoder.from_config(cfg.backbone, device=device)
    run = dict(manifest=manifest, num_workers=workers, progress=False, finalize=False, encoder=enc)
    if device != "cpu":  # CUDA context, cuBLAS handles and worker start-up outside the timing
        shutil.rmtree(cfg.data.feature_store, ignore_errors=True)
        extract_features(cfg, **{**run, "manifest": Manifest(manifest.dataset, manifest.videos[:2])})
    first = forward_fps(enc, batch, seconds)
    forwards, forward_cpu, e2e, e2e_cpu, failed = [first[0]], [first[1]], [], [], 0
    for _ in range(reps):
        shutil.rmtree(cfg.data.feature_store, ignore_errors=True)
        c0 = cpu_seconds()
        summary = extract_features(cfg, **run)
        e2e_cpu.append((cpu_seconds() - c0) / summary.sampled_frames)
        e2e.append(summary.frames_per_s)
        failed += len(summary.failed)
        fps, cpu = forward_fps(enc, batch, seconds)
        forwards.append(fps)
        forward_cpu.append(cpu)
    ratios = [e / ((forwards[i] + forwards[i + 1]) / 2) for i, e in enumerate(e2e)]
    ratio = float(np.median(ratios))
    cpu_ratio = float(np.median(forward_cpu)) / float(np.median(e2e_cpu))
    return {"model": name, "device": str(enc.device), "image_size": list(enc.input_hw),
            "patch_grid": list(enc.patch_grid), "batch_size": batch, "precision": enc.precision,
            "sampled_frames": summary.sampled_frames, "videos": len(summary.extracted),
            "forward_fps": round(float(np.median(forwards)), 2), "end_to_end_fps": round(float(np.median(e2e)), 2),
            "ratio": round(ratio, 3), "target_ratio": 0.9, "meets_target": ratio >= 0.9,
            "forward_fps_runs": [round(f, 2) for f in forwards], "end_to_end_fps_runs": [round(e, 2) for e in e2e],
            "ratio_runs": [round(r, 3) for r in ratios],
            "forward_cpu_ms_per_frame": round(1e3 * float(np.median(forward_cpu)), 2),
            "end_to_end_cpu_ms_per_frame": round(1e3 * float(np.median(e2e_cpu)), 2),
            "cpu_ratio": round(cpu_ratio, 3), "failed": failed}


def cpu_time_breakdown(name: str, dim: int, batch: int = 16) -> dict:
    """CPU milliseconds per sampled frame of each stage, one thread: robust to other jobs.

    ``implied_ratio = forward / (decode + preprocess + motion + forward)`` is the end-to-end
    share of a fully sequential pipeline; decoding in a worker process can only raise it.
    """
    from stprompt_core.features.motion import patch_motion
    from stprompt_core.model.sa2 import select_topk_patches
    from stprompt_core.video.decode import iter_snippet_frames

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        manifest = make_videos(WORK / "videos", batch)
        clock = time.process_time
        t = clock()
        chunks = [c for e in manifest.videos for c in iter_snippet_frames(WORK / "videos" / e.path, STRIDE, batch, threads=1)]
        n = sum(len(c) for c in chunks)
        decode = (clock() - t) / n
        cfg = load_config("tiny", {"backbone.model_name": name, "backbone.embed_dim": dim}).backbone
        enc = FrameEncoder.from_config(cfg)
        frames, partners = torch.cat([c.frames for c in chunks]), torch.cat([c.partners for c in chunks])
        t = clock()
        pixels = enc.preprocess(frames)
        preprocess = (clock() - t) / n
        t = clock()
        select_topk_patches(patch_motion(frames, partners, enc.geometry(chunks[0].frame_size), enc.patch_size), 16)
        motion = (clock() - t) / n
        enc.encode(pixels[:2])
        t = clock()
        enc.encode(pixels)
        forward = (clock() - t) / n
    finally:
        torch.set_num_threads(threads)
    ms = {k: round(v * 1e3, 2) for k, v in
          {"decode": decode, "preprocess": preprocess, "motion_topk": motion, "forward": forward}.items()}
    return {"model": name, "precision": enc.precision, "frames": n, "cpu_ms_per_sampled_frame": ms,
            "implied_ratio": round(forward / (decode + preprocess + motion + forward), 3)}


def bench_dtypes(name: str, batch: int, seconds: float) -> dict:
    cfg = load_config("tiny", {"backbone.model_name": name, "backbone.pretrained": ""}).backbone
    from stprompt_core.backbone.clip import load_clip

    model = load_clip(cfg)
    out = {"model": name, "batch_size": batch}
    for precision in ("fp32", "bf16"):
        out[f"{precision}_fps"] = round(forward_fps(FrameEncoder(model, precision=precision), batch, seconds)[0], 2)
    out["bf16_speedup"] = round(out["bf16_fps"] / out["fp32_fps"], 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer frames (a smoke run, not for the record)")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "extract_throughput.json"))
    parser.add_argument("--device-check", action="store_true",
                        help="one ViT-B/16 end-to-end row against --target-fps (see device_check.sh)")
    parser.add_argument("--device", default="cuda", help="device of the --device-check run")
    parser.add_argument("--batch", type=int, default=256, help="batch size of the --device run")
    parser.add_argument("--sampled", type=int, default=16384, help="sampled frames of the --device run")
    parser.add_argument("--target-fps", type=float, default=2000.0, help="end-to-end target of the --device run")
    args = parser.parse_args()
    if args.device_check:
        device_check(args)
        return
    (WORK / "videos").mkdir(parents=True, exist_ok=True)
    seconds = 2.0 if args.quick else 6.0
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    rows = []
    for name, dim, batch, sampled, reps in MODELS:
        if args.quick:
            batch, sampled, reps = min(batch, 16), min(sampled, 32), 1
        rows.append(bench_model(name, dim, batch, sampled, seconds, reps=reps))
        print(rows[-1], flush=True)
    breakdown = [cpu_time_breakdown(name, dim) for name, dim, *_ in MODELS]
    print(breakdown, flush=True)
    dtypes = []
    for name, _, batch, _, _ in MODELS:
        dtypes.append(bench_dtypes(name, 16 if name == "ViT-B-16" else batch, seconds / 2))
        print(dtypes[-1], flush=True)
    import av
    import open_clip

    result = {
        "benchmark": "extract_throughput",
        "what": "sampled frames/s: end-to-end extract_features vs FrameEncoder.encode alone, same batch/precision",
        "video": {"size": [320, 240], "codec": "h264 crf 23", "frame_stride": STRIDE, "frames_per_video": 256},
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": len(os.sched_getaffinity(0)),
                    "native_bf16": cpu_has_native_bf16(), "torch": torch.__version__,
                    "open_clip": open_clip.__version__, "av": av.__version__,
                    "torch_threads": torch.get_num_threads(),
                    "loadavg_1min_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
                    "note": "shared 2-core machine: other jobs inflate the load and slow both measurements"},
        "quick": args.quick,
        "end_to_end": rows,
        "cpu_time_breakdown": breakdown,
        "bf16_vs_fp32_forward": dtypes,
        "bf16_decision": ("precision='auto' casts weights to bf16 on CPUs with native bf16 (avx512_bf16/amx_bf16), "
                          "fp32 elsewhere; fp16 autocast on CUDA"),
        "runtime_s": round(time.perf_counter() - t0, 1),
    }
    write_json(args.out, result)
    print(f"wrote {args.out} in {result['runtime_s']} s")


def device_check(args: argparse.Namespace) -> None:
    """ViT-B/16 end to end on one accelerator (fp16 autocast on CUDA): frames/s vs a target."""
    import av
    import open_clip

    (WORK / "videos").mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    per_video = min(256, args.sampled)  # 4096-frame videos (2.7 min at 25 fps), cycled over 8 files
    row = bench_model("ViT-B-16", 512, args.batch, args.sampled, 10.0 if args.device != "cpu" else 2.0,
                      device=args.device, per_video=per_video, unique=8)
    cuda = torch.cuda.is_available() and args.device.startswith("cuda")
    result = {
        "benchmark": "extract_device_check",
        "what": "ViT-B/16 (random init) end-to-end sampled frames/s, 320x240 H.264, stride 16",
        "device": args.device,
        "target_end_to_end_fps": args.target_fps,
        "meets_fps_target": row["end_to_end_fps"] >= args.target_fps,
        "row": row,
        "machine": {"gpu": torch.cuda.get_device_name() if cuda else None,
                    "cores": len(os.sched_getaffinity(0)), "torch": torch.__version__,
                    "open_clip": open_clip.__version__, "av": av.__version__},
        "runtime_s": round(time.perf_counter() - t0, 1),
    }
    write_json(args.out, result)
    print(result, flush=True)


if __name__ == "__main__":
    main()
