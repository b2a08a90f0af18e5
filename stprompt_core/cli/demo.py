"""``stprompt demo``: run the workshop chain end to end and print the headline metrics."""

from __future__ import annotations

import argparse

from stprompt_core.cli.common import add_config_args, config_from_args


def register(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text)
    add_config_args(p, default_profile="workshop")
    p.add_argument("--out", default="demo_out", help="output folder (run dir, book and summary.json)")
    p.add_argument("--no-book", action="store_true", help="stop after localization (skip the notebooks and book)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from stprompt_core.demo import run_demo

    cfg = config_from_args(args)
    s = run_demo(cfg, args.out, book=not args.no_book)
    print(f"\nSTPrompt demo ({s['profile']}, backbone {s['backbone']['model_name']}, "
          f"{s['backbone']['pretrained']}) finished in {s['total_seconds']:.0f} s")
    print(f"  frame AUC {s['auc']:.4f}   AP {s['ap']:.4f}   FAR@0.5 {s['far']:.4f}   TIoU {s['tiou']:.4f}")
    best = s.get("best_baseline")
    if best:
        d = best["method_minus"]
        print(f"  best prompt-free box ({best['name']}): TIoU {best['tiou']:.4f}; method minus it {d['diff']:+.4f} "
              f"[{d['low']:+.4f}, {d['high']:+.4f}] (paired 95 % interval over videos); pointing {s['pointing']:.3f}")
    print(f"  stages (s): {s['stages_seconds']}")
    if s["book_html"]:
        print(f"  book: {s['book_html']}")
    print(f"  summary: {args.out}/summary.json   run: {s['run_dir']}")
    return 0
