"""The ``stprompt`` command line: one subcommand per stage, over the package's functions.

Each subcommand lives in its own module ``stprompt_core/cli/<name>.py`` exposing
``register(subparsers, name, help_text)``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# (subcommand = its module's name, one-line help)
COMMANDS: list[tuple[str, str]] = [
    ("synthvad", "render the SynthVAD benchmark (videos + manifest)"),
    ("data", "index and check real datasets (UCF-Crime, ShanghaiTech, UBnormal, XD-Violence)"),
    ("synthclip", "train or evaluate SynthCLIP, the offline CLIP-style backbone of the workshop profile"),
    ("extract", "decode videos and write CLIP frame + motion-patch features"),
    ("train", "train the STPrompt temporal detector on a feature store"),
    ("evaluate", "score the test split and write metrics.json"),
    ("prompts", "generate a prompt bank (static curated, local LLM, or OpenAI-compatible endpoint)"),
    ("localize", "training-free spatial localization of anomalies and TIoU"),
    ("detect", "find when and where a trained run sees anomalies in one video (annotated MP4, report)"),
    ("notebook", "execute one notebook with papermill in the book's kernel, its parameters checked first"),
    ("book", "execute the notebooks with papermill and build the Jupyter Book"),
    ("ablate", "train and evaluate the ablation variants (table JSON)"),
    ("demo", "run the workshop chain end to end"),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stprompt", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, help_text in COMMANDS:
        importlib.import_module(f"stprompt_core.cli.{name}").register(sub, name, help_text)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from stprompt_core.io import DiskFullError

    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, KeyError, DiskFullError) as exc:
        # Config, manifest and feature-store errors carry messages that name the cause.
        print(f"stprompt {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
