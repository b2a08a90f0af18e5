"""``stprompt notebook``: execute one notebook with papermill, in the kernel ``stprompt book`` uses.

``papermill notebooks/02_training.ipynb out.ipynb`` runs the notebook in whatever kernel its
metadata names (Colab's ``python3``), over unencrypted sockets (the kernel says so on
stderr). This command runs it as the book build does (:func:`stprompt_core.book.execute_notebook`):
this interpreter's ``stprompt`` kernel, encrypted sockets where the stack allows, no CDN
scripts in the outputs; and it checks every ``-p`` against that notebook before the kernel starts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stprompt_core.cli.common import parse_value


def register(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.add_argument("notebook", help="a notebook of the book by name or number (02_training, 02) or an .ipynb path "
                                    "(a jupytext .md runs through its paired .ipynb)")
    p.add_argument("output", help="where the executed notebook is written (.ipynb)")
    p.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                   help="notebook parameter, YAML-parsed (e.g. -p epochs 5); checked before the kernel starts")
    p.add_argument("--timeout", type=int, default=1800, help="seconds a cell may run (default 1800)")
    p.set_defaults(func=run)


def resolve_notebook(spec: str) -> Path:
    """The ``.ipynb`` that ``spec`` names: a path, a jupytext ``.md`` with its pair, or a book notebook
    by name or number.

    Raises:
        FileNotFoundError: naming ``spec`` and the book's notebooks.
    """
    from stprompt_core.book import NOTEBOOK_DIR, NOTEBOOKS

    path = Path(spec)
    if path.suffix == ".md":
        path = path.with_suffix(".ipynb")
    if path.suffix == ".ipynb" and path.is_file():
        return path
    named = [n for n in NOTEBOOKS if spec in (n, n[:2], f"{n}.ipynb")]
    if len(named) == 1 and (NOTEBOOK_DIR / f"{named[0]}.ipynb").is_file():
        return NOTEBOOK_DIR / f"{named[0]}.ipynb"
    raise FileNotFoundError(f"no notebook {spec!r}: give an .ipynb path or one of {', '.join(NOTEBOOKS)}")


def run(args: argparse.Namespace) -> int:
    import papermill

    from stprompt_core.book import NOTEBOOK_USES, check_parameters, execute_notebook, notebook_config

    source = resolve_notebook(args.notebook)
    output = Path(args.output)
    if output.suffix != ".ipynb":
        raise ValueError(f"output {args.output!r}: must end in .ipynb")
    params = {name: parse_value(text) for name, text in args.parameter}
    if source.stem in NOTEBOOK_USES:  # the book's notebook: the check its second cell runs, before any kernel
        notebook_config(params, source.stem)
    else:  # a notebook of one's own: the names its parameters cell declares
        check_parameters(source, params)
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        seconds = execute_notebook(source, output, params, timeout=args.timeout)
    except papermill.PapermillExecutionError as exc:
        print(f"stprompt notebook: {source.name} stopped in cell {exc.exec_count}: {exc.ename}: {exc.evalue}\n"
              f"the executed notebook, traceback included, is {output}", file=sys.stderr)
        return 1
    print(f"{source.name}: executed in {seconds:.1f} s -> {output}")
    return 0
