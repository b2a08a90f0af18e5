"""``stprompt extract``: decode videos and write the feature store (see ``features/extract.py``).

Distributed: ``torchrun --nproc_per_node N -m stprompt_core.cli extract [options]``
or ``torchrun --nproc_per_node N --no-python stprompt extract [options]``.
"""

from __future__ import annotations

import argparse
import sys

from stprompt_core.backbone.encoder import PRECISIONS
from stprompt_core.cli.common import add_config_args, config_from_args


def register(sub: argparse._SubParsersAction, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text)
    add_config_args(p)
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="decoding processes per rank (default: spare cores on a GPU, 0 = in-process on CPU)")
    p.add_argument("--precision", choices=PRECISIONS, default="auto",
                   help="backbone precision (auto: fp16 on CUDA, bf16 on CPUs with native bf16, else fp32)")
    p.add_argument("--videos", nargs="+", default=None, metavar="ID", help="extract only these video ids")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Extract; print the summary (rank 0). Exit 0 when every video was extracted, 1 otherwise.

    Under torchrun only rank 0 exits non-zero, once every rank is done, so the launcher
    reports the failure without killing ranks that are still shutting down.
    """
    from stprompt_core.backbone.clip import BackboneError
    from stprompt_core.features.extract import extract_features

    cfg = config_from_args(args)
    try:
        summary = extract_features(cfg, video_ids=args.videos, num_workers=args.workers, precision=args.precision,
                                   progress=not args.no_progress)
    except BackboneError as exc:  # e.g. weights not reachable offline; the message says what to do
        print(f"stprompt extract: error: {exc}", file=sys.stderr)
        return 2
    if summary.rank == 0:
        print(summary.format(), file=sys.stderr if summary.failed else sys.stdout)
    return 0 if summary.ok or summary.rank != 0 else 1
