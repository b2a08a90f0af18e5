"""Options shared by subcommands: ``--profile``, repeatable ``--set KEY=VALUE``, ``-p NAME VALUE`` values."""

from __future__ import annotations

import argparse
from typing import Any

from stprompt_core.config import Config, available_profiles, load_config


def add_config_args(p: argparse.ArgumentParser, default_profile: str = "tiny") -> None:
    p.add_argument("--profile", default=default_profile,
                   help=f"config profile ({', '.join(available_profiles())}) or a YAML path")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value, e.g. --set train.lr=1e-3 (repeatable)")


def config_from_args(args: argparse.Namespace) -> Config:
    return load_config(args.profile, args.overrides)


def parse_value(text: str) -> Any:
    """A ``-p`` value as YAML (``2``, ``true``, ``[a, b]``); text that is not valid YAML stays text."""
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text
