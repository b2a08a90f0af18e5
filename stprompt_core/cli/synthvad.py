"""``stprompt synthvad``: render the SynthVAD benchmark (videos + manifest) into a folder.

``stprompt synth``, the command's old name, still runs it.
"""

from __future__ import annotations

import argparse
import sys
import time

from stprompt_core.offline.synthvad.presets import PRESETS

OLD_NAMES = ["synth"]  # names this command had before; argparse aliases, so old scripts still run


def register(sub: argparse._SubParsersAction, name: str, help_text: str) -> None:
    old = ", ".join(OLD_NAMES)
    p = sub.add_parser(name, aliases=OLD_NAMES, help=f"{help_text}; {old} is its old name",
                       description=f"{help_text}. `stprompt {old}` is its old name and runs it too.")
    p.add_argument("--preset", default="tiny", help=f"preset name ({', '.join(sorted(PRESETS))})")
    p.add_argument("--out", required=True, help="output folder (manifest.json and videos/ go here)")
    p.add_argument("--seed", type=int, default=0, help="seed; the same seed gives the same dataset")
    p.add_argument("--workers", type=int, default=None, help="rendering processes (default: CPU count)")
    p.add_argument("--set", dest="knobs", action="append", default=[], metavar="KNOB=VALUE",
                   help="override a preset knob, e.g. --set clutter=2 --set contrast=0.4,0.8 (repeatable)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from stprompt_core.offline.synthvad import generate, get_preset, with_overrides

    preset = get_preset(args.preset)
    if args.knobs:
        preset = with_overrides(preset, args.knobs)
    start = time.perf_counter()
    manifest = generate(preset, args.out, seed=args.seed, workers=args.workers, progress=sys.stderr.isatty())
    seconds = time.perf_counter() - start
    frames = sum(v.num_frames or 0 for v in manifest.videos)
    abnormal = sum(v.label for v in manifest.videos)
    print(f"synthvad {preset.name}: {len(manifest.videos)} videos ({abnormal} abnormal), {frames} frames "
          f"at {preset.width}x{preset.height} in {seconds:.1f} s -> {args.out}/manifest.json")
    return 0
