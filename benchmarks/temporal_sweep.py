"""Temporal-model levers on the workshop profile, chosen on validation, reported on test.

Each lever trains the full model and the baseline ([CLS] + linear MIL) with one config
change over a few seeds. The selection figure is the run's best validation video-level AUC
(training videos held out, video labels only: what training itself selects on); the test
frame AUC is reported beside it and is not used to choose. Results:
``benchmarks/results/workshop_temporal_sweep.json``.

    .venv/bin/python benchmarks/temporal_sweep.py [--seeds 0 1] [--out benchmarks/_work/sweep]
"""

from __future__ import annotations

import argparse
import copy
import datetime
import json
from pathlib import Path

import numpy as np

RESULT = Path(__file__).parent / "results" / "workshop_temporal_sweep.json"
BASELINE = {"model.sa2_mode": "none", "model.adapter_kind": "none", "model.binary_hidden": 0}
LEVERS: dict[str, dict] = {
    "profile": {},
    "30 epochs": {"train.epochs": 30, "train.milestones": [20, 27]},
    "lr 1e-3": {"train.lr": 1e-3},
    "K=4 patches": {"extract.top_k_patches": 4},
    "sigma 2": {"model.sigma": 2.0},
    "adapter depth 2": {"model.adapter_depth": 2},
}


def main() -> None:
    from stprompt_core.config import apply_overrides, load_config
    from stprompt_core.evaluate import evaluate
    from stprompt_core.pipeline import ensure_features, ensure_trained

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="workshop")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--levers", nargs="+", default=list(LEVERS), choices=list(LEVERS))
    parser.add_argument("--out", default="benchmarks/_work/sweep")
    args = parser.parse_args()

    rows = []
    for lever in args.levers:
        for model, extra in (("full", {}), ("baseline", BASELINE)):
            vals, tests = [], []
            for seed in args.seeds:
                cfg = apply_overrides(copy.deepcopy(load_config(args.profile)),
                                      {**LEVERS[lever], **extra, "train.seed": seed})
                if "extract.top_k_patches" in LEVERS[lever]:
                    cfg = apply_overrides(cfg, {"data.feature_store": f"{cfg.data.feature_store}_k{cfg.extract.top_k_patches}"})
                ensure_features(cfg, progress=False)
                run_dir = Path(args.out) / lever.replace(" ", "_").replace("=", "") / f"{model}_seed{seed}"
                trained = ensure_trained(cfg, run_dir, progress=False, fresh=True)
                vals.append(trained["best"]["val_auc"])
                tests.append(evaluate(run_dir)["auc"])
            rows.append({"lever": lever, "model": model, "overrides": LEVERS[lever],
                         "val_video_auc": round(float(np.mean(vals)), 4), "test_frame_auc": round(float(np.mean(tests)), 4),
                         "test_frame_auc_each": [round(t, 4) for t in tests]})
            print(rows[-1], flush=True)
    RESULT.write_text(json.dumps({"benchmark": "workshop_temporal_sweep", "date": datetime.date.today().isoformat(),
                                  "command": f".venv/bin/python benchmarks/temporal_sweep.py --seeds {' '.join(map(str, args.seeds))}",
                                  "profile": args.profile, "seeds": args.seeds,
                                  "selection": "val_video_auc (held-out training videos, video labels); test is reported only",
                                  "rows": rows}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
