"""``stprompt localize``: training-free boxes and TIoU for a run; ``--study`` for the prompt table.

Settings are the run's own ``localize`` section (its profile's, in ``config.json``); each flag
given on the command line replaces one of them.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from stprompt_core.config import CHOICES, LocalizeConfig

# flag destination -> LocalizeConfig field, for the flags that replace a run setting when given
FLAG_FIELDS = {"bank": "bank", "threshold": "score_threshold", "map_threshold": "map_threshold",
               "map_normalize": "map_normalize", "temperature": "temperature", "box_mode": "box_mode",
               "min_area": "min_area", "class_names": "class_names", "split": "split", "view": "view",
               "n_tiles": "n_tiles", "balance_groups": "balance_groups"}


def register(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text + " (settings: the run's localize section; "
                                                                     "flags replace them)")
    p.add_argument("--run-dir", required=True,
                   help="a run folder with config.json and scores.json (`stprompt evaluate`)")
    p.add_argument("--bank", default=None, help="prompt bank JSON (default: the dataset's curated bank)")
    p.add_argument("--threshold", type=float, default=None, help="temporal score a frame needs to count in TIoU")
    p.add_argument("--map-threshold", type=float, default=None, help="anomaly probability boxed in a map")
    p.add_argument("--map-normalize", choices=CHOICES["localize.map_normalize"], default=None)
    p.add_argument("--temperature", type=float, default=None, help="softmax temperature over cosines")
    p.add_argument("--box-mode", choices=CHOICES["localize.box_mode"], default=None)
    p.add_argument("--min-area", type=float, default=None, help="smallest component kept (fraction of frame)")
    p.add_argument("--no-backgrounds", action="store_true", help="drop the bank's normal background descriptions")
    p.add_argument("--class-names", choices=CHOICES["localize.class_names"], default=None)
    p.add_argument("--balance-groups", action=argparse.BooleanOptionalAction, default=None,
                   help="divide each prompt side's softmax mass by its number of prompts")
    p.add_argument("--view", choices=CHOICES["localize.view"], default=None,
                   help="windows of the frame the maps come from (all but 'stored' re-decode the videos)")
    p.add_argument("--n-tiles", type=int, default=None, help="--view tiles: windows along the long side (0: fewest)")
    p.add_argument("--dense", action="store_true", help="recompute CLIP's last block with v-v attention "
                                                        "(re-decodes the videos under the data root)")
    p.add_argument("--split", default=None, help="split to localize (default: the run's data.test_split)")
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
        rows = prompt_study(args.run_dir, args.generated_bank, curated_bank=args.bank, settings=s, dense=args.dense,
                            frame_size=frame_size)
        print(format_table(rows))
        print(f"study written to {args.run_dir}/{STUDY_FILE}")
        return 0
    with exclusive(args.run_dir):  # one writer per run folder (stprompt_core.locks)
        result = localize(args.run_dir, settings=s, frame_size=frame_size)
    head = {k: result[k] for k in ("tiou", "mean_iou", "tiou_ceiling", "iou_ceiling", "threshold", "n_frames", "n_passed")}
    head["frames_per_s"] = result["timing"]["frames_per_s"]
    print(json.dumps(head, indent=2))
    print(f"localization written to {args.run_dir}/localization.json", file=sys.stdout)
    return 0


def settings_from_args(args: argparse.Namespace) -> LocalizeConfig:
    """The run's ``localize`` settings (project defaults without a ``config.json``) with the given flags."""
    from stprompt_core.config import config_from_dict
    from stprompt_core.io import read_json

    cfg_path = Path(args.run_dir) / "config.json"
    s = config_from_dict(read_json(cfg_path)).localize if cfg_path.exists() else LocalizeConfig()
    given = {field: getattr(args, flag) for flag, field in FLAG_FIELDS.items() if getattr(args, flag) is not None}
    if args.no_backgrounds:
        given["use_backgrounds"] = False
    if args.dense:
        given["dense"] = True
    return dataclasses.replace(s, **given)
