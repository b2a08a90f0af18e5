"""Background bias: each component's effect when the training scene goes with the label.

Liu & Ma ("Exploring Background-bias for Anomaly Detection in Surveillance Videos", ACM MM
2019) found that weakly supervised detectors trained on UCF-Crime learn the scene rather than
the event; STPrompt motivates SA2 by the same danger ("misled by the dominant background").
SynthVAD's ``scene_bias`` knob ties the *training* split's scene (layout, colour cast,
contrast) to the label with that probability; the test split is never biased, so a model
that learned the scene loses there. SynthCLIP stays the shipped, frozen backbone at every
level (pretrained once on the unbiased world, as CLIP is pretrained on data it never sees).

For each level, every default ablation variant (:data:`stprompt_core.ablate.DEFAULT_VARIANTS`)
is trained with each training seed and compared with the full model on the same test videos
(paired bootstrap intervals, overall and per tercile of event size). Level 0 is the workshop
profile itself; its runs are the ones ``benchmarks/workshop_gates.py`` trains (``--gates``),
reused when there.

    .venv/bin/python benchmarks/bias_study.py [--levels 0 0.5 0.9] [--seeds 0 1 2]

Writes ``benchmarks/results/bias_study.json``. Cache-or-compute: a rerun reuses finished runs.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from stprompt_core.ablate import DEFAULT_VARIANTS, run_ablation, summarize_seeds
from stprompt_core.config import apply_overrides, load_config
from stprompt_core.pipeline import ensure_synthvad

RESULT = Path(__file__).parent / "results" / "bias_study.json"


def level_config(profile: str, level: float):
    """The profile with ``synthvad.scene_bias = level``, rendered and extracted into folders of its own,
    and whether that is the profile itself (its own folders, the runs of ``workshop_gates.py``)."""
    cfg = load_config(profile)
    if level == cfg.synthvad.scene_bias:
        return cfg, True
    tag = f"bias{level:g}"
    return apply_overrides(cfg, {"synthvad.scene_bias": level,
                                 "data.data_root": f"{cfg.data.data_root}-{tag}",
                                 "data.feature_store": f"{cfg.data.feature_store}-{tag}"}), False


def run(profile: str, levels: list[float], seeds: list[int], out: Path, gates_out: Path) -> list[dict[str, Any]]:
    results = []
    for level in levels:
        t0 = time.perf_counter()
        cfg, own = level_config(profile, level)
        base = gates_out if own else out / f"bias{level:g}"
        ensure_synthvad(cfg, progress=False)  # the level's own training split (the test split is the same)
        tables = {}
        for seed in seeds:
            scfg = apply_overrides(copy.deepcopy(cfg), {"train.seed": seed})
            tables[seed] = run_ablation(scfg, base / f"seed{seed}", variants=DEFAULT_VARIANTS, progress=False)
        variants = summarize_seeds(tables, seeds)
        results.append({"scene_bias": level, "data_root": cfg.data.data_root, "runs": str(base),
                        "variants": variants, "seconds": round(time.perf_counter() - t0, 1)})
        full, base_auc = variants["full"]["auc"]["mean"], variants["baseline"]["auc"]["mean"]
        print(f"[bias {level:g}] full {full:.4f}  baseline {base_auc:.4f}  "
              + "  ".join(f"{n}: {-v['minus_full']['mean']:+.4f}" for n, v in variants.items() if "minus_full" in v),
              flush=True)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="workshop")
    ap.add_argument("--levels", type=float, nargs="+", default=[0.0, 0.5, 0.9])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--out", default="benchmarks/_work/bias")
    ap.add_argument("--gates", default="benchmarks/_work/gates", help="workshop_gates.py's runs (level 0)")
    ap.add_argument("--result", default=str(RESULT))
    args = ap.parse_args()
    t0 = time.perf_counter()
    levels = run(args.profile, args.levels, args.seeds, Path(args.out), Path(args.gates))
    result = {
        "benchmark": "bias_study", "date": datetime.date.today().isoformat(),
        "command": ".venv/bin/python benchmarks/bias_study.py --levels " + " ".join(f"{x:g}" for x in args.levels)
                   + " --seeds " + " ".join(map(str, args.seeds)),
        "profile": args.profile, "seeds": args.seeds,
        "what": ("scene_bias: probability that a training video's scene (layout, colour cast, contrast) comes from its "
                 "label's family (anomalous: street/crossroad, warm, hazy; normal: park/plaza, cool, clear); the test "
                 "split is never biased. minus_full = AUC(variant) - AUC(full), each seed's paired bootstrap 95 % "
                 "interval over test videos; by_size: the same per tercile of event size"),
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version()},
        "levels": levels, "seconds": round(time.perf_counter() - t0, 1),
    }
    Path(args.result).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
