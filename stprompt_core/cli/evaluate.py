"""``stprompt evaluate``: score the test split of a run and write metrics.json."""

from __future__ import annotations

import argparse
import json


def register(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.add_argument("--run-dir", required=True, help="a run folder written by `stprompt train`")
    p.add_argument("--split", default=None, help="split to score (default: the config's data.test_split)")
    p.add_argument("--checkpoint", choices=("best", "last"), default="best")
    p.add_argument("--device", default=None, help="override the run's device (cpu, cuda, auto)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from stprompt_core.evaluate import evaluate

    m = evaluate(args.run_dir, args.split, args.checkpoint, args.device)
    head = {k: m.get(k) for k in ("auc", "ap", "auc_abnormal", "far", "auc_micro", "auc_macro") if k in m}
    print(json.dumps(head, indent=2))
    print(f"metrics written to {args.run_dir}/metrics.json")
    return 0
