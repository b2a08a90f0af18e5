"""``stprompt localize``: training-free boxes and TIoU for a run; ``--study`` for the prompt table."""

from __future__ import annotations

import argparse
import json
import sys

from stprompt_core.localize.settings import LocalizeSettings


def register(sub, name: str, help_text: str) -> None:
    d = LocalizeSettings()
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.add_argument("--run-dir", required=True,
                   help="a run folder with config.json and scores.json (`stprompt evaluate`)")
    p.add_argument("--bank", default=None, help="prompt bank JSON (default: the dataset's curated bank)")
    p.add_argument("--threshold", type=float, default=d.score_threshold,
                   help="temporal score a frame needs to count in TIoU")
    p.add_argument("--map-threshold", type=float, default=d.map_threshold, help="anomaly probability boxed in a map")
    p.add_argument("--map-normalize", choices=("none", "minmax"), default=d.map_normalize)
    p.add_argument("--temperature", type=float, default=d.temperature, help="softmax temperature over cosines")
    p.add_argument("--box-mode", choices=("largest", "all"), default=d.box_mode)
    p.add_argument("--min-area", type=float, default=d.min_area, help="smallest component kept (fraction of frame)")
    p.add_argument("--no-backgrounds", action="store_true", help="drop the bank's normal background descriptions")
    p.add_argument("--class-names", choices=("canonical", "paraphrased", "none"), default=d.class_names)
    p.add_argument("--dense", action="store_true", help="recompute CLIP's last block with v-v attention "
                                                        "(re-decodes the videos under the data root)")
    p.add_argument("--split", default=d.split, help="split to localize (default: the run's data.test_split)")
    p.add_argument("--frame-size", type=int, nargs=2, metavar=("W", "H"), default=None,
                   help="decoded frame size when the feature store does not record one")
    p.add_argument("--study", action="store_true", help="run the prompt study and write prompt_study.json")
    p.add_argument("--generated-bank", default=None, help="--study: an LLM-written bank for the generated rows")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from stprompt_core.localize.run import localize
    from stprompt_core.localize.study import STUDY_FILE, format_table, prompt_study

    s = LocalizeSettings(bank=args.bank or "", score_threshold=args.threshold, map_threshold=args.map_threshold,
                         map_normalize=args.map_normalize, temperature=args.temperature, box_mode=args.box_mode,
                         min_area=args.min_area, use_backgrounds=not args.no_backgrounds,
                         class_names=args.class_names, dense=args.dense, split=args.split)
    frame_size = tuple(args.frame_size) if args.frame_size else None
    if args.study:
        rows = prompt_study(args.run_dir, args.generated_bank, curated_bank=args.bank, settings=s, dense=args.dense,
                            frame_size=frame_size)
        print(format_table(rows))
        print(f"study written to {args.run_dir}/{STUDY_FILE}")
        return 0
    result = localize(args.run_dir, settings=s, frame_size=frame_size)
    head = {k: result[k] for k in ("tiou", "mean_iou", "tiou_ceiling", "iou_ceiling", "threshold", "n_frames", "n_passed")}
    head["frames_per_s"] = result["timing"]["frames_per_s"]
    print(json.dumps(head, indent=2))
    print(f"localization written to {args.run_dir}/localization.json", file=sys.stdout)
    return 0
