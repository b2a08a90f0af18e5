"""The ``stprompt`` command line: one subcommand per stage, over the package's functions.

Each subcommand lives in its own module ``stprompt_core/cli/<name>.py`` exposing
``register(subparsers)``; stages not built yet are listed and say so.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# (subcommand, module, one-line help); module None = not built yet (issue named in help).
COMMANDS: list[tuple[str, str | None, str]] = [
    ("synth", "synth", "render the SynthVAD benchmark (videos + manifest)"),
    ("data", "data", "index and check real datasets (UCF-Crime, ShanghaiTech, UBnormal, XD-Violence)"),
    ("synthclip", "synthclip", "train or evaluate SynthCLIP, the offline CLIP-style backbone of the workshop profile"),
    ("extract", "extract", "decode videos and write CLIP frame + motion-patch features"),
    ("train", "train", "train the STPrompt temporal detector on a feature store"),
    ("evaluate", "evaluate", "score the test split and write metrics.json"),
    ("prompts", "prompts", "generate a prompt bank (static curated, local LLM, or OpenAI-compatible endpoint)"),
    ("localize", "localize", "training-free spatial localization of anomalies and TIoU"),
    ("detect", "detect", "find when and where a trained run sees anomalies in one video (annotated MP4, report)"),
    ("book", "book", "execute the notebooks with papermill and build the Jupyter Book"),
    ("ablate", "ablate", "train and evaluate the ablation variants (table JSON)"),
    ("demo", "demo", "run the workshop chain end to end"),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stprompt", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module, help_text in COMMANDS:
        mod = None
        if module is not None:
            try:
                mod = importlib.import_module(f"stprompt_core.cli.{module}")
            except ModuleNotFoundError as exc:
                if exc.name != f"stprompt_core.cli.{module}":
                    raise
        if mod is None:
            p = sub.add_parser(name, help=help_text, description=help_text)
            p.set_defaults(func=_unbuilt(name, help_text))
        else:
            mod.register(sub, name, help_text)
    return parser


def _unbuilt(name: str, help_text: str):
    def run(args: argparse.Namespace) -> int:
        print(f"stprompt {name}: {help_text}", file=sys.stderr)
        return 2

    return run


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
