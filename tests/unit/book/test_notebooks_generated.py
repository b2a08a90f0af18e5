"""``notebooks/*.ipynb`` are exactly what ``tools/make_notebooks.py`` writes.

The generator runs from a copy in a temp folder (it writes ``<its parent>/../notebooks``), so
the working tree is never touched; every notebook's JSON must equal the committed one, cell
ids, metadata and nbformat version included, and no notebook may exist on only one side.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
GENERATOR = REPO_ROOT / "tools" / "make_notebooks.py"


def generate(root: Path) -> dict[str, str]:
    """Run a copy of the generator under ``root``; returns {file name: text} of what it wrote."""
    (root / "tools").mkdir(parents=True)
    for tool in (GENERATOR, GENERATOR.with_name("colab_setup.py")):  # the generator reads the repository address there
        shutil.copy2(tool, root / "tools" / tool.name)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, str(root / "tools" / GENERATOR.name)], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return {p.name: p.read_text() for p in sorted((root / "notebooks").glob("*.ipynb"))}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, str]:
    return generate(tmp_path_factory.mktemp("generated"))


def test_generator_is_deterministic(generated, tmp_path):
    assert generated and generate(tmp_path) == generated


def test_committed_notebooks_equal_the_generator(generated):
    committed = {p.name: p.read_text() for p in sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))}
    assert sorted(committed) == sorted(generated), "notebooks/ and tools/make_notebooks.py name different notebooks"
    for name, text in generated.items():
        want, have = json.loads(text), json.loads(committed[name])
        if want == have:
            continue
        cells = [i for i, (a, b) in enumerate(zip(want["cells"], have["cells"])) if a != b]
        where = f"cell {cells[0]}" if cells else "metadata or cell count"
        pytest.fail(f"notebooks/{name} differs from what tools/make_notebooks.py writes ({where}); "
                    f"edit the generator and run `python tools/make_notebooks.py`")
