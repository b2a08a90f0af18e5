"""Benchmark SynthCLIP's two designs on the workshop preset; writes benchmarks/results/synthclip.json.

    python benchmarks/bench_synthclip.py [--preset workshop] [--seed 0] [--designs SynthCLIP-S SynthCLIP-S-MiniLM]

For each design (issue 4): (a) ``SynthCLIP-S``, ViT + text transformer from scratch with
open_clip's tokenizer; (b) ``SynthCLIP-S-MiniLM``, the same ViT against the frozen
all-MiniLM-L6-v2. Each is trained from scratch through :func:`ensure_synthclip` (weights
under ``benchmarks/_work/synthclip``, the SynthVAD corpus shared under
``cache/synthclip/corpus``), timed (wall and process CPU seconds, with the machine's load:
the machine may be shared), then evaluated on the anomalous frames of the held-out
validation videos and of the test split (:func:`evaluate_checkpoint`). The design with the
higher validation zero-shot accuracy (canonical + paraphrase) is marked ``chosen``; test
figures are reported, never used to choose. The results file it replaces is kept under
``previous`` (older runs are in git history).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "synthclip.json"
WORK = Path("benchmarks/_work/synthclip")
CORPUS = Path("cache/synthclip/corpus")


def run_design(preset: str, seed: int, model: str) -> dict:
    from stprompt_core.backbone.configs import embed_dim
    from stprompt_core.cli.synthclip import synthclip_config
    from stprompt_core.offline.synthclip import ensure_synthclip, evaluate_checkpoint
    from stprompt_core.offline.synthclip.cache import machine_facts, meta_path

    cfg = synthclip_config(preset, seed, model, out=str(WORK / model))
    ckpt = Path(cfg.backbone.pretrained)
    ckpt.unlink(missing_ok=True)
    meta_path(ckpt).unlink(missing_ok=True)
    settings = cfg.synthclip  # the recipe of the preset's profile
    load_before = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    info = ensure_synthclip(cfg, progress=False, settings=settings, corpus_root=CORPUS)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    meta = json.loads(meta_path(ckpt).read_text())
    figures = {split: evaluate_checkpoint(cfg, split=split, settings=settings) for split in ("val", "test")}
    return {
        "model_name": model, "embed_dim": embed_dim(model), "settings": meta["settings"],
        "model_config": meta["model_config"],
        "train": {**meta["train"], "wall_seconds": round(wall, 1), "process_cpu_seconds": round(cpu, 1),
                  "load_average_1m_before": load_before, "load_average_1m_after": os.getloadavg()[0]},
        "reused": info["reused"],
        "val": _summary(figures["val"]), "test": _summary(figures["test"]),
        "machine": machine_facts(),
    }


def _summary(fig: dict) -> dict:
    z, loc = fig["zero_shot"], fig["localization"]
    return {"frames": fig["frames"], "videos": fig["videos"],
            "zero_shot_canonical": round(z["canonical"], 4), "zero_shot_canonical_bare": round(z["canonical_bare"], 4),
            "zero_shot_paraphrase": round(z["paraphrase"], 4),
            "zero_shot_paraphrase_each": [round(a, 4) for a in z["paraphrase_each"]],
            "zero_shot_descriptions": round(z["descriptions"], 4),
            "canonical_per_class": {k: round(v, 4) for k, v in z["canonical_per_class"].items()},
            "pointing": round(loc["pointing"], 4), "pointing_chance": round(loc["pointing_chance"], 4),
            "mean_iou": round(loc["mean_iou"], 4), "localization_frames": loc["frames"],
            "abnormal_patch_share": round(loc["abnormal_patch_share"], 4),
            "box_patch_share": round(loc["box_patch_share"], 4)}


def main() -> None:
    from stprompt_core.offline.synthclip import DEFAULT_MODEL, SCRATCH_MODEL

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="workshop")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--designs", nargs="+", default=[SCRATCH_MODEL, DEFAULT_MODEL])
    parser.add_argument("--fresh-corpus", action="store_true", help="re-render the corpus (its time is then measured)")
    args = parser.parse_args()
    os.chdir(ROOT)
    if args.fresh_corpus:
        shutil.rmtree(CORPUS, ignore_errors=True)
    designs = {}
    for model in args.designs:
        print(f"training {model} ...", flush=True)
        designs[model] = run_design(args.preset, args.seed, model)
        print(json.dumps({k: designs[model][k] for k in ("val", "test")}, indent=1), flush=True)

    def score(d: dict) -> float:
        return d["val"]["zero_shot_canonical"] + d["val"]["zero_shot_paraphrase"]

    chosen = max(designs, key=lambda m: score(designs[m]))
    out = {"benchmark": "synthclip", "date": datetime.date.today().isoformat(), "preset": args.preset,
           "seed": args.seed, "chosen": chosen, "chosen_by": "validation zero-shot canonical + paraphrase",
           "designs": designs,
           "notes": ["times are wall seconds on a shared 2-core machine: see load averages and process CPU seconds",
                     "seconds_render covers the SynthVAD benchmark check and the SynthCLIP corpus (rendered once, "
                     "then reused by the second design: compare seconds_train)"]}
    if RESULTS.is_file():  # one level of history: the run this one replaces (older ones stay in git)
        old = json.loads(RESULTS.read_text(encoding="utf-8"))
        out["previous"] = {k: v for k, v in old.items() if k != "previous"}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"chosen: {chosen}; wrote {RESULTS}")


if __name__ == "__main__":
    main()
