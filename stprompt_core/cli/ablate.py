"""``stprompt ablate``: train and evaluate the ablation variants and write the table."""

from __future__ import annotations

import argparse

from stprompt_core.cli.common import add_config_args, config_from_args


def register(sub, name: str, help_text: str) -> None:
    from stprompt_core.ablate import variant_names

    p = sub.add_parser(name, help=help_text, description=help_text)
    add_config_args(p)
    p.add_argument("--out", required=True, help="folder for one run per variant and ablation.json")
    p.add_argument("--variants", nargs="+", choices=variant_names(), metavar="VARIANT",
                   help=f"subset of the variants (default all: {', '.join(variant_names())})")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from stprompt_core.ablate import run_ablation

    cfg = config_from_args(args)
    table = run_ablation(cfg, args.out, args.variants)
    print(f"{'variant':<24} {'AUC':>7} {'AP':>7}")
    for r in table["rows"]:
        print(f"{r['variant']:<24} {r['auc']:>7.4f} {r['ap']:>7.4f}")
    print(f"table: {args.out}/ablation.json")
    return 0
