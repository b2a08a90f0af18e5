"""Every data file inside ``stprompt_core/`` is declared package data, so a wheel carries it.

The wheel itself is built and installed by ``tests/integration/test_wheel_install.py``
(slow); this is the cheap guard that catches a new data file (a bank, a model config, a
profile) that ``[tool.setuptools.package-data]`` in ``pyproject.toml`` does not match.
"""

from pathlib import Path

import pytest

import stprompt_core

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11

PACKAGE = Path(stprompt_core.__file__).resolve().parent
PYPROJECT = PACKAGE.parent / "pyproject.toml"
NOT_DATA = {".py", ".pyc", ".md"}  # code, and documentation beside it (not read at run time)


def package_data_patterns() -> list[str]:
    """The globs ``pyproject.toml`` declares for ``stprompt_core`` (relative to the package)."""
    config = tomllib.loads(PYPROJECT.read_text())
    return config["tool"]["setuptools"]["package-data"]["stprompt_core"]


def data_files() -> set[Path]:
    """Data files under the package folder, relative to it (code, docs and ``__pycache__`` aside)."""
    return {p.relative_to(PACKAGE) for p in PACKAGE.rglob("*")
            if p.is_file() and p.suffix not in NOT_DATA and "__pycache__" not in p.parts}


def test_every_data_file_is_package_data():
    # setuptools expands each pattern with glob() inside the package folder, as here
    declared = {p.relative_to(PACKAGE) for pattern in package_data_patterns() for p in PACKAGE.glob(pattern)}
    missing = sorted(str(p) for p in data_files() - declared)
    assert not missing, f"not matched by [tool.setuptools.package-data] in {PYPROJECT}: {missing}"


def test_every_pattern_matches_a_file():
    stale = [pattern for pattern in package_data_patterns() if not list(PACKAGE.glob(pattern))]
    assert not stale, f"package-data patterns in {PYPROJECT} that match nothing (moved folder?): {stale}"


def test_runtime_data_is_found_through_the_package():
    from stprompt_core.config import CONFIG_DIR
    from stprompt_core.prompts.bank import CURATED_DIR

    for folder in (CONFIG_DIR, CURATED_DIR):
        assert PACKAGE in folder.resolve().parents
