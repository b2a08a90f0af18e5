"""``stprompt localize``: training-free boxes and TIoU for a run; ``--study`` for the prompt table.

Settings are the run's own ``localize`` section (its profile's, in ``config.json``);
``--set localize.KEY=VALUE`` replaces one of them, checked as every other subcommand checks
its config values (e.g. ``--set localize.map_threshold=0.9 --set localize.window=tiles``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from stprompt_core.config import ConfigError, LocalizeConfig


def register(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text + " (settings: the run's localize section; "
                                                                     "--set localize.KEY=VALUE replaces one)")
    p.add_argument("--run-dir", required=True,
                   help="a run folder with config.json and scores.json (`stprompt evaluate`)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="localize.KEY=VALUE",
                   help="replace one of the run's localize settings, e.g. --set localize.map_threshold=0.9 "
                        "(repeatable; keys: localize.bank, score_threshold, map_threshold, window, dense, ...)")
    p.add_argument("--frame-size", type=int, nargs=2, metavar=("W", "H"), default=None,
                   help="decoded frame size when the feature store does not record one")
    p.add_argument("--study", action="store_true", help="run the prompt study and write prompt_study.json")
    p.add_argument("--generated-bank", default=None, help="--study: an LLM-written bank for the generated rows")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from stprompt_core.localize.run import localize
    from stprompt_core.locks import exclusive
    from stprompt_core.localize.study import STUDY_FILE, format_table, prompt_study

    s = settings_from_args(args)
    frame_size = tuple(args.frame_size) if args.frame_size else None
    if args.study:
        rows = prompt_study(args.run_dir, args.generated_bank, curated_bank=s.bank or None, settings=s, dense=s.dense,
                            frame_size=frame_size)
        print(format_table(rows))
        print(f"study written to {args.run_dir}/{STUDY_FILE}")
        return 0
    with exclusive(args.run_dir):  # one writer per run folder (stprompt_core.locks)
        result = localize(args.run_dir, settings=s, frame_size=frame_size)
    head = {k: result[k] for k in ("tiou", "mean_iou", "tiou_ceiling", "iou_ceiling", "threshold", "n_frames", "n_passed")}
    head["frames_per_s"] = result["timing"]["frames_per_s"]
    if result.get("baselines"):  # prompt-free boxes on the same frames and gate (localize/baselines.py)
        head["pointing"], head["pointing_chance"] = result["pointing"], result["pointing_chance"]
        head["prompt_free_tiou"] = {k: round(b["tiou"], 4) for k, b in result["baselines"].items()}
        head["best_baseline"] = result["best_baseline"]
    print(json.dumps(head, indent=2))
    print(f"localization written to {args.run_dir}/localization.json", file=sys.stdout)
    return 0


def settings_from_args(args: argparse.Namespace) -> LocalizeConfig:
    """The run's ``localize`` settings (project defaults without a ``config.json``) with ``--set`` applied.

    Raises:
        ConfigError: a key outside ``localize``, an unknown key or a bad value (named).
    """
    from stprompt_core.config import Config, config_from_dict, localize_settings
    from stprompt_core.io import read_json

    cfg_path = Path(args.run_dir) / "config.json"
    cfg = config_from_dict(read_json(cfg_path)) if cfg_path.exists() else Config()
    for item in args.overrides:
        if not item.split("=", 1)[0].strip().startswith("localize."):
            raise ConfigError(f"--set {item}: localize takes localize.KEY=VALUE; the run's other settings are "
                              "fixed by its training (run `stprompt train` again to change them)")
    return localize_settings(cfg.localize, args.overrides, source="--set")
