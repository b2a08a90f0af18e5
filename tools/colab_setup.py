"""Set this repository up in Colab, or on any machine that already has its own torch.

The notebooks' first code cell (:func:`notebook_cell`) runs this in Colab: it clones the
repository, imports this file from the clone and calls :func:`setup`. Run alone,
``python tools/colab_setup.py`` does the same from a clone, or from anywhere with the file
downloaded on its own (it then clones :data:`REPOSITORY` into ``./stprompt-notebooks``)::

    python colab_setup.py [--url URL] [--branch BRANCH] [--target DIR] [-- PIP ARGS...]

What it does:

1. finds the clone this file sits in (or the working directory is in), else clones ``url``
   at ``branch`` into ``target``;
2. ``pip install -e ".[book,synthclip]"`` there, with the installed torch and torchvision
   pinned through a constraints file: the package asks for ranges (``torch>=2.4``) and the
   ``torch`` extra, which pins this project's tested 2.14.1, is not asked for, so Colab's own
   CUDA build stays. Afterwards ``torch.__version__`` is read again in a fresh interpreter and
   a change is an error, not a warning;
3. changes the working directory to the clone (configs, runs and caches are relative to it)
   and puts it first on ``sys.path`` (a kernel that was running before the editable install
   does not see its import hook).

A second call finds the package already installed from the same clone and skips pip
(``force=True`` / ``--force`` reinstalls, e.g. after a ``git pull`` that changed the
dependencies).

:data:`REPOSITORY` is the one setting of the repository's address: the notebooks' Colab links
and install cell (:func:`colab_link`, :func:`notebook_cell`), the book's Pages address
(:func:`pages_url`, named in the README) and the README's tests badge (:func:`workflow_badge`)
are derived from it, and
``tests/unit/book/test_notebook_sources.py`` fails where a notebook or the README holds
anything else. To run the notebooks from a fork::

    python tools/colab_setup.py --retarget https://github.com/OWNER/NAME [--branch BRANCH]

rewrites the setting here and everything derived from it (notebooks, both files of each pair,
and the README).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPOSITORY = "https://github.com/stprompt/stprompt-notebooks"  # the one setting; see the docstring
BRANCH = "main"
EXTRAS = "book,synthclip"  # not "torch": that extra pins 2.14.1 and would replace Colab's build
DISTRIBUTION = "stprompt-notebooks"
KEPT = ("torch", "torchvision")  # pinned to what is installed


def github_slug(url: str = REPOSITORY) -> str:
    """``owner/name`` of a GitHub address (what colab.research.google.com/github/ expects)."""
    prefix = "https://github.com/"
    if not url.startswith(prefix):
        raise ValueError(f"not a GitHub https address: {url!r}")
    return url[len(prefix):].strip("/").removesuffix(".git")


def clone_name(url: str = REPOSITORY) -> str:
    """The folder ``git clone URL`` creates."""
    return url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")


def colab_url(notebook: str, url: str = REPOSITORY, branch: str = BRANCH) -> str:
    """The address that opens ``notebooks/<notebook>.ipynb`` of the repository in Colab."""
    return f"https://colab.research.google.com/github/{github_slug(url)}/blob/{branch}/notebooks/{notebook}.ipynb"


def colab_link(notebook: str, url: str = REPOSITORY, branch: str = BRANCH) -> str:
    """The notebook's first line: a text link to it in Colab (no badge image, which shows broken offline)."""
    return f"[Open this notebook in Colab]({colab_url(notebook, url, branch)})"


def pages_url(url: str = REPOSITORY) -> str:
    """Where ``.github/workflows/book.yml`` deploys the book: the repository's GitHub Pages site."""
    owner, name = github_slug(url).split("/")
    return f"https://{owner.lower()}.github.io/{name}/"


def workflow_badge(workflow: str, url: str = REPOSITORY) -> str:
    """The README's status badge of ``.github/workflows/<workflow>``, linking its runs."""
    runs = f"https://github.com/{github_slug(url)}/actions/workflows/{workflow}"
    return f"[![{workflow.removesuffix('.yml')}]({runs}/badge.svg)]({runs})"


def notebook_cell(url: str = REPOSITORY, branch: str = BRANCH) -> str:
    """The source of every notebook's first code cell: in Colab, clone the repository (a notebook
    opened from GitHub has no other file of it) and hand over to this file's :func:`setup`."""
    name = clone_name(url)
    return f'''\
import os
import subprocess
import sys

if "google.colab" in sys.modules:  # in Colab: clone this repository, install it keeping Colab's own torch
    if not os.path.isfile("tools/colab_setup.py"):  # not inside the clone yet
        if not os.path.isdir("{name}"):
            subprocess.run(["git", "clone", "-q", "--depth", "1", "-b", "{branch}", "{url}"],
                           check=True)
        os.chdir("{name}")
    sys.path.insert(0, os.path.abspath("tools"))
    from colab_setup import setup

    setup()  # pip install -e ".[{EXTRAS}]" keeping torch (checked after), then cd into the clone'''


def retarget(url: str, branch: str = BRANCH, root: str | os.PathLike | None = None) -> list[Path]:
    """Point a clone at another repository address (a fork): this file's setting, every
    notebook's Colab link and install cell (text and paired ``.ipynb``) and the README's Pages
    address and tests badge. Returns the files rewritten."""
    import nbformat

    github_slug(url)  # a GitHub https address, or ValueError
    root = Path(root or Path(__file__).resolve().parent.parent)
    old_cell, old_pages = notebook_cell(), pages_url()
    swaps = [(old_cell, notebook_cell(url, branch))]
    written = []
    for md in sorted((root / "notebooks").glob("*.md")):
        pair = [(colab_link(md.stem), colab_link(md.stem, url, branch)), *swaps]
        text = md.read_text()
        for old, new in pair:
            text = text.replace(old, new)
        md.write_text(text)
        nb_path = md.with_suffix(".ipynb")
        nb = nbformat.read(nb_path, as_version=4)
        for cell in nb.cells:
            for old, new in pair:
                cell.source = cell.source.replace(old, new)
        nbformat.write(nb, nb_path)
        written += [md, nb_path]
    readme = root / "README.md"
    text = readme.read_text().replace(workflow_badge("tests.yml"), workflow_badge("tests.yml", url))
    readme.write_text(text.replace(old_pages, pages_url(url)))
    this = root / "tools" / "colab_setup.py"
    text = this.read_text().replace(f'REPOSITORY = "{REPOSITORY}"', f'REPOSITORY = "{url}"', 1)
    this.write_text(text.replace(f'BRANCH = "{BRANCH}"', f'BRANCH = "{branch}"', 1))
    return [*written, readme, this]


def find_clone(start: str | os.PathLike) -> Path | None:
    """The clone of this repository that holds ``start`` (a git work tree carrying this script)."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if ((folder / "tools" / "colab_setup.py").is_file() and (folder / "pyproject.toml").is_file()
                and (folder / ".git").exists()):
            return folder
    return None


def ensure_clone(url: str = REPOSITORY, branch: str = BRANCH, target: str | os.PathLike | None = None) -> Path:
    """The clone to set up: the one this file or the working directory is in, else a new one.

    ``target`` (default ``./<repository name>``) is reused when it is a clone already; an
    existing folder that is not one is an error, never overwritten.
    """
    here = find_clone(Path(__file__).parent) or find_clone(Path.cwd())
    if here is not None:
        return here
    target = Path(target if target is not None else clone_name(url)).resolve()
    if find_clone(target) == target:
        return target
    if target.exists() and any(target.iterdir()):
        raise RuntimeError(f"{target} exists and is not a clone of this repository; pass another target")
    print(f"cloning {url} ({branch}) into {target}", flush=True)
    subprocess.run(["git", "clone", "-q", "--depth", "1", "-b", branch, url, str(target)], check=True)
    return target


_PROBE = """
import importlib.metadata as m, json
out = {"dists": {}, "editable_from": None}
for name in %r:
    try:
        out["dists"][name] = m.version(name)
    except m.PackageNotFoundError:
        pass
try:
    import torch
    out["torch"] = torch.__version__
except ImportError:
    out["torch"] = None
try:
    direct = json.loads(m.distribution(%r).read_text("direct_url.json") or "{}")
    if direct.get("dir_info", {}).get("editable"):
        out["editable_from"] = direct.get("url")
except m.PackageNotFoundError:
    pass
print(json.dumps(out))
"""


def probe(python: str = sys.executable) -> dict:
    """What ``python`` has: ``torch.__version__`` (imported), the versions of :data:`KEPT` and the
    clone the package is installed editable from (a ``file://`` address), read in a fresh process."""
    code = _PROBE % (KEPT, DISTRIBUTION)
    proc = subprocess.run([python, "-c", code], capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"could not inspect {python}: {proc.stderr.strip()}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def install(root: str | os.PathLike, extras: str = EXTRAS, pip_args: tuple[str, ...] | list[str] = (),
            python: str = sys.executable, force: bool = False) -> dict:
    """``pip install -e ROOT[extras]`` keeping the installed torch; returns ``{"torch", "pip"}``.

    Raises:
        RuntimeError: pip failed (a dependency that needs another torch fails here, since the
            installed one is a constraint), or torch's version changed anyway.
    """
    root = Path(root).resolve()
    before = probe(python)
    if not force and before["editable_from"] == root.as_uri():
        return {"torch": before["torch"], "pip": "skipped: already installed from this clone"}
    pins = [f"{name}=={version}" for name, version in before["dists"].items()]
    with tempfile.NamedTemporaryFile("w", prefix="keep-torch-", suffix=".txt", delete=False) as f:
        f.write("".join(f"{pin}\n" for pin in pins))
    cmd = [python, "-m", "pip", "install", "-q", "-c", f.name, *pip_args, "-e", f".[{extras}]"]
    try:
        proc = subprocess.run(cmd, cwd=root)
    finally:
        os.unlink(f.name)
    if proc.returncode:
        raise RuntimeError(f"pip install failed (exit {proc.returncode}): {' '.join(cmd)}; the installed "
                           f"{', '.join(pins) or 'torch (none)'} were kept as constraints, so a dependency "
                           "that needs another torch fails here instead of replacing it")
    after = probe(python)
    if before["torch"] is not None and after["torch"] != before["torch"]:
        raise RuntimeError(f"pip replaced torch {before['torch']} with {after['torch']}: the preinstalled "
                           f"build is gone; reinstall it (pip install torch=={before['dists'].get('torch')}) "
                           "and report the dependency that asked for another torch")
    return {"torch": after["torch"], "pip": "installed"}


def setup(url: str = REPOSITORY, branch: str = BRANCH, target: str | os.PathLike | None = None,
          extras: str = EXTRAS, pip_args: tuple[str, ...] | list[str] = (), force: bool = False) -> Path:
    """Clone (if needed), install keeping torch, and change into the clone; returns the clone."""
    root = ensure_clone(url, branch, target)
    result = install(root, extras, pip_args, force=force)
    os.chdir(root)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    print(f"{DISTRIBUTION}: {root} ({result['pip']}); torch {result['torch']} kept; working directory {root}",
          flush=True)
    return root


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    pip_args = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="arguments after -- go to pip (e.g. -- --no-index)")
    parser.add_argument("--url", default=REPOSITORY, help="repository to clone when not inside a clone")
    parser.add_argument("--branch", default=BRANCH)
    parser.add_argument("--target", default=None, help="where to clone (default ./<repository name>)")
    parser.add_argument("--extras", default=EXTRAS)
    parser.add_argument("--force", action="store_true", help="run pip even if already installed from the clone")
    parser.add_argument("--retarget", metavar="URL", help="point this clone's notebooks, README and setting at "
                        "another GitHub address (a fork), with --branch; installs nothing")
    args = parser.parse_args(argv)
    if args.retarget:
        for path in retarget(args.retarget, args.branch):
            print(f"rewrote {path}")
        return 0
    try:
        setup(args.url, args.branch, args.target, args.extras, pip_args, args.force)
    except (RuntimeError, subprocess.CalledProcessError) as err:
        print(f"colab_setup: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
