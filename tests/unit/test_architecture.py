"""The README's Architecture section stays true to the tree.

Every path it names (in the data-flow picture and in backticks: folders ending in ``/``,
modules ending in ``.py``, relative to ``stprompt_core/`` or the repository root) exists,
and every folder directly under ``stprompt_core/`` has its own line
``- `stprompt_core/<folder>/`: ...``.
"""

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.pure  # no model, no features

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "stprompt_core"
PATH_TOKEN = re.compile(r"(?<![\w/.-])(\w+(?:/\w+)*/|\w+(?:/\w+)*\.py)(?![\w/])")
FOLDER_LINE = re.compile(r"^- `stprompt_core/(\w+)/`", re.MULTILINE)


def section(text: str, title: str = "Architecture") -> str:
    """The body of the ``## <title>`` section of a markdown text."""
    match = re.search(rf"^## {title}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    if match is None:
        pytest.fail(f"README.md has no '## {title}' section")
    return match.group(1)


def named_paths(body: str) -> list[str]:
    """Paths named in the section: every token of the fenced picture, and backticked spans."""
    pictures = re.findall(r"^```\w*\n(.*?)^```", body, re.MULTILINE | re.DOTALL)
    spans = re.findall(r"`([^`\n]+)`", re.sub(r"^```\w*\n.*?^```", "", body, flags=re.MULTILINE | re.DOTALL))
    return [tok for text in pictures + spans for tok in PATH_TOKEN.findall(text)]


def exists(token: str) -> bool:
    return (PACKAGE / token).exists() or (REPO / token).exists()


def package_folders() -> list[str]:
    return sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__")


@pytest.fixture(scope="module")
def body() -> str:
    return section((REPO / "README.md").read_text())


def test_every_named_path_exists(body):
    paths = named_paths(body)
    assert len(paths) > 20  # the picture and the folder lines were read
    missing = sorted({p for p in paths if not exists(p)})
    assert not missing, f"README.md Architecture names paths that do not exist: {missing}"


def test_every_package_folder_has_one_line(body):
    lines = FOLDER_LINE.findall(body)
    assert sorted(set(lines)) == sorted(lines), f"a folder has two lines: {lines}"
    missing = [name for name in package_folders() if name not in lines]
    assert not missing, f"README.md Architecture has no '- `stprompt_core/<folder>/`: ...' line for {missing}"


def test_reader_finds_paths_and_misses():
    body = ("```text\nvideos  video/  features/store.py  ->  HTML\n```\n"
            "- `stprompt_core/model/`: see `model/stprompt.py`, `tiny`, `no_such/`.\n")
    assert named_paths(body) == ["video/", "features/store.py", "stprompt_core/model/", "model/stprompt.py",
                                 "no_such/"]
    assert FOLDER_LINE.findall(body) == ["model"]
    assert exists("video/") and exists("notebooks/") and not exists("no_such/")
