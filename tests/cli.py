"""Run a ``stprompt`` subcommand in-process through the real parser, letting exceptions through."""


def run_cli(argv: list[str]) -> int:
    from stprompt_core.cli import build_parser

    args = build_parser().parse_args(argv)
    return args.func(args)
