"""``stprompt train``: train the temporal detector into a run folder (resumes when re-run)."""

from __future__ import annotations

import argparse

from stprompt_core.cli.common import add_config_args, config_from_args


def register(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text)
    add_config_args(p)
    p.add_argument("--run-dir", required=True, help="run folder (config, checkpoints, logs)")
    p.add_argument("--overwrite", action="store_true", help="discard an existing run in --run-dir")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from stprompt_core.train import train

    cfg = config_from_args(args)
    summary = train(cfg, args.run_dir, overwrite=args.overwrite)
    best = summary["best"]
    print(f"trained {summary['epochs']} epochs into {args.run_dir}; best epoch {best.get('epoch')} "
          f"(validation video AUC {best.get('val_auc', float('nan')):.4f})")
    return 0
