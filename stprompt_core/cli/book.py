"""``stprompt book``: execute every notebook with papermill and build the Jupyter Book strictly."""

from __future__ import annotations

import argparse

from stprompt_core.cli.common import add_config_args, config_from_args


def register(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text)
    add_config_args(p, default_profile="workshop")
    p.add_argument("--out", default="_build/book", help="build folder (executed notebooks, staged book, html)")
    p.add_argument("--run-dir", default=None, help="run folder the notebooks share (default OUT/run)")
    p.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                   help="extra notebook parameter, YAML-parsed (e.g. -p epochs 2); checked before execution")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import yaml

    from stprompt_core.book import build_book

    cfg = config_from_args(args)
    params = {k: yaml.safe_load(v) for k, v in args.parameter}
    if args.overrides:
        params["overrides"] = {k: yaml.safe_load(v) for k, v in (o.split("=", 1) for o in args.overrides)}
    record = build_book(cfg, args.out, args.run_dir, params)
    print(f"book ({cfg.profile}): notebooks {record['execute_seconds']:.0f} s, build {record['build_seconds']:.0f} s")
    print(f"open {record['html']}")
    return 0
