"""The notebooks are text: ``notebooks/NN_name.md`` is the source, its ``.ipynb`` the paired copy.

Authors edit the MyST markdown text (or the ``.ipynb`` in Jupyter or Colab, where jupytext's
pairing writes both); ``make notebooks`` (``jupytext --sync``) brings a pair back in step. A
pair out of step fails here, naming the first cell that differs. The cells every notebook
shares are checked against their one source instead of being generated: the parameters cell
and the cell after it against :data:`stprompt_core.book.PARAMETERS`, the Colab link and the
install cell against ``tools/colab_setup.py``.
"""

import importlib.util
import shutil
from pathlib import Path

import jupytext
import nbformat
import pytest

from stprompt_core.book import NOTEBOOKS, parameters_cell, setup_cell

pytestmark = pytest.mark.pure  # no model, no features

REPO = Path(__file__).resolve().parents[3]
SETUP = REPO / "tools" / "colab_setup.py"


def load_colab_setup(path: Path = SETUP):
    spec = importlib.util.spec_from_file_location(f"colab_setup_{abs(hash(path))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


colab_setup = load_colab_setup()


def cells(nb) -> list[tuple[str, str, tuple[str, ...]]]:
    """What a pair must agree on: each cell's kind, source and tags."""
    return [(c.cell_type, c.source, tuple(c.metadata.get("tags", []))) for c in nb.cells]


def first_difference(a: list, b: list) -> str:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"cell {i}: {x[1][:60]!r} vs {y[1][:60]!r}"
    return f"{len(a)} cells vs {len(b)}"


def pair_problems(folder: Path) -> list[str]:
    """Every notebook in ``folder`` whose text and ``.ipynb`` differ, or that lacks one of them."""
    problems = []
    names = {p.stem for p in folder.glob("*.md")} | {p.stem for p in folder.glob("*.ipynb")}
    for name in sorted(names):
        md, ipynb = folder / f"{name}.md", folder / f"{name}.ipynb"
        if not (md.exists() and ipynb.exists()):
            problems.append(f"{name}: only {'the text' if md.exists() else 'the .ipynb'} exists")
            continue
        text, paired = jupytext.read(md), nbformat.read(ipynb, as_version=4)
        if text.metadata.get("jupytext", {}).get("formats") != "ipynb,md:myst":
            problems.append(f"{name}.md is not paired (jupytext formats: ipynb,md:myst)")
        if cells(text) != cells(paired):
            problems.append(f"{name}: {first_difference(cells(text), cells(paired))}")
    return problems


def test_every_notebook_is_a_text_and_ipynb_pair_in_step():
    assert sorted(p.stem for p in (REPO / "notebooks").glob("*.md")) == sorted(NOTEBOOKS)
    problems = pair_problems(REPO / "notebooks")
    assert not problems, f"notebook pairs out of step (run `make notebooks`): {problems}"


def test_an_edit_to_one_side_of_a_pair_is_caught(tmp_path):
    for name in ("03_evaluation.md", "03_evaluation.ipynb"):
        shutil.copy2(REPO / "notebooks" / name, tmp_path / name)
    md = tmp_path / "03_evaluation.md"
    md.write_text(md.read_text().replace("## Per class", "## Per anomaly class"))
    assert pair_problems(tmp_path) == ["03_evaluation: cell "
                                       + first_difference(cells(jupytext.read(md)),
                                                          cells(nbformat.read(tmp_path / "03_evaluation.ipynb", 4)))
                                       .removeprefix("cell ")]
    (tmp_path / "03_evaluation.md").unlink()
    assert pair_problems(tmp_path) == ["03_evaluation: only the .ipynb exists"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_shared_cells_equal_their_one_source(name):
    nb = jupytext.read(REPO / "notebooks" / f"{name}.md")
    code = [c for c in nb.cells if c.cell_type == "code"]
    title = nb.cells[0].source.splitlines()
    assert title[0].startswith("# ") and title[-1] == colab_setup.colab_link(name), title
    assert "What this notebook teaches" in nb.cells[1].source  # the page opens with what it teaches
    assert code[0].source == colab_setup.notebook_cell() and code[0].metadata["tags"] == ["remove-cell"]
    assert code[1].source == parameters_cell(name) and code[1].metadata["tags"] == ["parameters"]
    assert code[2].source == setup_cell(name)
    assert sum("parameters" in c.metadata.get("tags", []) for c in code) == 1
    assert not any(line.lstrip().startswith(("def ", "class ")) for c in code for line in c.source.splitlines())


def test_committed_ipynb_carry_no_outputs():
    for name in NOTEBOOKS:
        nb = nbformat.read(REPO / "notebooks" / f"{name}.ipynb", as_version=4)
        assert all(not c.outputs and c.execution_count is None for c in nb.cells if c.cell_type == "code"), name


def test_readme_names_the_workflow_address_and_badge_and_claims_no_deployment():
    readme = (REPO / "README.md").read_text()
    assert colab_setup.pages_url() in readme and colab_setup.workflow_badge("tests.yml") in readme
    assert "No deployment has happened yet" in readme and "make book" in readme


def test_retarget_rewrites_every_derived_address_and_keeps_pairs_in_step(tmp_path):
    """A fork: the setting, both sides of every pair and the README follow; nothing else changes."""
    for folder in ("notebooks", "tools"):
        (tmp_path / folder).mkdir()
    for path in (REPO / "notebooks").iterdir():
        shutil.copy2(path, tmp_path / "notebooks" / path.name)
    shutil.copy2(SETUP, tmp_path / "tools" / SETUP.name)
    shutil.copy2(REPO / "README.md", tmp_path / "README.md")
    old_slug = colab_setup.github_slug()
    fork = "https://github.com/Someone/stprompt-fork"
    written = load_colab_setup(tmp_path / "tools" / SETUP.name).retarget(fork, "dev", tmp_path)
    assert len(written) == 2 * len(NOTEBOOKS) + 2
    moved = load_colab_setup(tmp_path / "tools" / SETUP.name)
    assert (moved.REPOSITORY, moved.BRANCH) == (fork, "dev")
    assert moved.pages_url() == "https://someone.github.io/stprompt-fork/"
    assert moved.pages_url() in (tmp_path / "README.md").read_text()
    assert moved.workflow_badge("tests.yml") in (tmp_path / "README.md").read_text()
    assert old_slug not in (tmp_path / "README.md").read_text().split("## Two commands")[0]
    assert pair_problems(tmp_path / "notebooks") == []
    for path in (tmp_path / "notebooks").iterdir():
        text = path.read_text()
        assert old_slug not in text and "Someone/stprompt-fork/blob/dev/" in text, path.name
        assert 'os.chdir(\\"stprompt-fork\\")' in text or 'os.chdir("stprompt-fork")' in text, path.name
    for name in NOTEBOOKS:
        nb = jupytext.read(tmp_path / "notebooks" / f"{name}.md")
        assert nb.cells[0].source.splitlines()[-1] == moved.colab_link(name)
        assert [c for c in nb.cells if c.cell_type == "code"][0].source == moved.notebook_cell()
