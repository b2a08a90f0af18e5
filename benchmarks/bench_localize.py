"""Localization on a trained workshop run: TIoU, mean IoU and throughput (issue 5).

Needs a run folder with ``scores.json`` (``stprompt demo --profile workshop --out demo_out``
leaves one in ``demo_out/run``). Localizes its boxed test videos with the curated bank from
the stored patch tokens and with the dense refinement (re-decodes the videos and recomputes
the backbone's last block), runs the prompt study, and writes
``benchmarks/results/localization_workshop.json``: TIoU, mean IoU, frames/s of both, the
study table, the backbone and the machine's load (these machines are shared).

    .venv/bin/python benchmarks/bench_localize.py [--run-dir demo_out/run] [--out PATH]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import time
from pathlib import Path

from _common import machine
from stprompt_core.io import read_json, write_json

RESULT = Path(__file__).parent / "results" / "localization_workshop.json"
TARGET_TIOU = 0.30  # issue 5, workshop profile with SynthCLIP
GRIDS = (7, 14, 28)  # patch grids whose IoU ceiling is reported (7: the workshop backbone's)


def grid_ceilings(run: Path, grids: tuple[int, ...] = GRIDS) -> dict[str, float]:
    """Mean best IoU a union of patches reaches over the run's annotated test frames, for
    square grids of ``grids`` cells over the backbone's input (its crop of the frame)."""
    import numpy as np

    from stprompt_core.localize.run import grid_ceilings as frame_ceilings, load_context

    ctx = load_context(run)
    return {f"{g}x{g}": round(float(np.mean(list(frame_ceilings(ctx, (g, g)).values()))), 4) for g in grids}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", default="demo_out/run")
    parser.add_argument("--out", default=str(RESULT))
    parser.add_argument("--profile", default=None,
                        help="take the localize settings from this profile instead of the run's config.json")
    parser.add_argument("--generated-bank", default=None, help="an LLM-written bank (`stprompt prompts`) for the study")
    args = parser.parse_args()

    from stprompt_core.localize import localize
    from stprompt_core.localize.study import prompt_study

    from stprompt_core.config import load_config

    run = Path(args.run_dir)
    cfg = read_json(run / "config.json")
    settings = load_config(args.profile).localize if args.profile else None
    load = os.getloadavg()[0]
    rows = {}
    for name, dense in (("store_tokens", False), ("dense_vv", True)):
        t0 = time.perf_counter()
        res = localize(run, overrides={"dense": dense}, write=False, settings=settings)
        rows[name] = {"tiou": res["tiou"], "mean_iou": res["mean_iou"], "tiou_ceiling": res["tiou_ceiling"],
                      "iou_ceiling": res["iou_ceiling"], "threshold": res["threshold"],
                      "n_frames": res["n_frames"], "n_passed": res["n_passed"], "per_class": res["per_class"],
                      "frames_per_s": res["timing"]["frames_per_s"], "wall_seconds": round(time.perf_counter() - t0, 2)}
    study = prompt_study(run, generated_bank=args.generated_bank, write=False, settings=settings)
    out = {
        "benchmark": "localization_workshop",
        "date": datetime.date.today().isoformat(),
        "run_dir": str(run),
        "backbone": cfg["backbone"],
        "localize_settings": dataclasses.asdict(settings) if settings else cfg["localize"],
        "target_tiou": TARGET_TIOU,
        "met": rows["store_tokens"]["tiou"] >= TARGET_TIOU,
        "variants": rows,
        "grid_ceilings": grid_ceilings(run),
        "prompt_study": [{k: r.get(k) for k in ("variant", "bank", "tiou", "mean_iou", "n_normal", "n_abnormal", "status")}
                         for r in study],
        "machine": machine("cpu", load_average_1m_start=load),
        "notes": ["frames_per_s counts annotated test frames localized (maps, boxes, IoU); dense_vv includes "
                  "decoding the videos and recomputing the backbone's last block",
                  "tiou_ceiling / iou_ceiling: the same figures for the best union of patches on every frame "
                  "(stprompt_core.localize.ceiling): what the patch grid and the temporal gate leave reachable"],
    }
    write_json(args.out, out)
    for name, r in rows.items():
        print(f"{name}: TIoU {r['tiou']:.3f} (ceiling {r['tiou_ceiling']:.3f}), mean IoU {r['mean_iou']:.3f} "
              f"(ceiling {r['iou_ceiling']:.3f}), {r['frames_per_s']} frames/s")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
