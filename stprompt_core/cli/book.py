"""``stprompt book``: execute every notebook with papermill and build the Jupyter Book strictly."""

from __future__ import annotations

import argparse
from typing import Any

from stprompt_core.cli.common import add_config_args, config_from_args, parse_value
from stprompt_core.config import Config


def register(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text)
    add_config_args(p, default_profile="workshop")
    p.add_argument("--out", default="_build/book", help="build folder (executed notebooks, staged book, html)")
    p.add_argument("--run-dir", default=None, help="run folder the notebooks share (default OUT/run)")
    p.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                   help="extra notebook parameter, YAML-parsed (e.g. -p epochs 2); checked before execution")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from stprompt_core.book import build_book

    cfg = config_from_args(args)
    params = {name: parse_value(text) for name, text in args.parameter}
    if args.overrides:
        params["overrides"] = _accepted_values(cfg, args.overrides)
    record = build_book(cfg, args.out, args.run_dir, params)
    print(f"book ({cfg.profile}): notebooks {record['execute_seconds']:.0f} s, build {record['build_seconds']:.0f} s")
    print(f"open {record['html']}")
    return 0


def _accepted_values(cfg: Config, overrides: list[str]) -> dict[str, Any]:
    """``--set`` keys with the values the config accepted (so the notebooks read them the same way)."""
    values = cfg.to_dict()
    out: dict[str, Any] = {}
    for item in overrides:
        key = item.split("=", 1)[0].strip()
        section, _, name = key.partition(".")
        out[key] = values[section][name] if name else values[section]
    return out

