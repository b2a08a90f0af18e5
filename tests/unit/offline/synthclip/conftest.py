"""Fixtures for SynthCLIP: a tiny SynthVAD dataset and a project-like working directory.

The MiniLM text tower is named by a path relative to the working directory
(``cache/models/all-MiniLM-L6-v2``), like every path of the project's configs, so the
tests run inside a temporary directory that holds the tiny dataset and the exported tower.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def workdir(tmp_path_factory) -> Path:
    """A directory with ``cache/synthvad/tiny`` (seed 0) and the exported MiniLM files."""
    from stprompt_core.offline.synthvad import generate
    from stprompt_core.backbone.text_tower import MINILM_DIR, ensure_minilm

    root = tmp_path_factory.mktemp("synthclip")
    generate("tiny", root / "cache/synthvad/tiny", seed=0, workers=1)
    ensure_minilm(root / MINILM_DIR)
    return root


@pytest.fixture
def fresh_workdir(workdir, tmp_path, monkeypatch):
    """A working directory of its own (a copy of the tiny dataset, the shared MiniLM files),
    for tests that re-render SynthVAD or write checkpoints."""
    import shutil

    from stprompt_core.backbone.text_tower import MINILM_DIR

    shutil.copytree(workdir / "cache/synthvad/tiny", tmp_path / "cache/synthvad/tiny")
    (tmp_path / MINILM_DIR).parent.mkdir(parents=True)
    (tmp_path / MINILM_DIR).symlink_to(workdir / MINILM_DIR, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def in_workdir(workdir, monkeypatch):
    """Run the test with ``workdir`` as the working directory."""
    monkeypatch.chdir(workdir)
    return workdir
