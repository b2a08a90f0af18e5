"""Notebook parameters: unknown names, wrong types and foreign run dirs fail before any work."""

import json

import pytest

from stprompt_core.book import NOTEBOOK_PARAMETERS, check_parameters, notebook_config, performance_markdown
from stprompt_core.config import ConfigError

NOTEBOOK = "notebooks/01_feature_extraction.ipynb"


def params(**kw):
    base = {"profile": "tiny", "run_dir": "", "epochs": 0, "device": "", "overrides": {}}
    return {**base, **kw}


def test_parameters_become_config_values(tmp_path):
    cfg, run_dir = notebook_config(params(epochs=2, device="cpu", run_dir=str(tmp_path / "r"),
                                          overrides={"model.sigma": 2.0}))
    assert (cfg.train.epochs, cfg.train.device, cfg.extract.device, cfg.model.sigma) == (2, "cpu", "cpu", 2.0)
    assert run_dir == tmp_path / "r"


def test_unset_values_keep_the_profile():
    cfg, run_dir = notebook_config(params())
    assert cfg.train.epochs == 3 and str(run_dir) == "runs/tiny"


def test_unknown_name_names_the_nearest_parameter():
    with pytest.raises(ConfigError, match="unknown notebook parameter 'epoch'.*'epochs'"):
        notebook_config(params(epoch=3))


def test_modules_functions_and_ipython_names_are_ignored():
    import json as some_module

    notebook_config({**params(), "In": [], "Out": {}, "_i1": "", "json": some_module, "f": print})


def test_wrong_type_fails_in_apply_overrides():
    with pytest.raises(ConfigError, match="train.epochs expects an integer"):
        notebook_config(params(epochs="three"))


def test_unknown_profile_fails():
    with pytest.raises(ConfigError, match="unknown profile"):
        notebook_config(params(profile="tinny"))


def test_run_dir_of_another_profile_fails(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"profile": "workshop"}))
    with pytest.raises(ConfigError, match="profile 'workshop'"):
        notebook_config(params(run_dir=str(tmp_path)))


def test_every_notebook_declares_every_parameter():
    import papermill

    from stprompt_core.book import NOTEBOOKS, REPO_ROOT

    for name in NOTEBOOKS:
        declared = papermill.inspect_notebook(str(REPO_ROOT / "notebooks" / f"{name}.ipynb"))
        assert set(declared) == set(NOTEBOOK_PARAMETERS), name


def test_check_parameters_rejects_undeclared_names():
    from stprompt_core.book import REPO_ROOT

    check_parameters(REPO_ROOT / NOTEBOOK, {"profile": "tiny"})
    with pytest.raises(ConfigError, match="unknown parameter 'profle'.*'profile'"):
        check_parameters(REPO_ROOT / NOTEBOOK, {"profle": "tiny"})


def test_notebooks_are_committed_without_outputs_or_definitions():
    import nbformat

    from stprompt_core.book import NOTEBOOKS, REPO_ROOT

    for name in NOTEBOOKS:
        nb = nbformat.read(REPO_ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), name
        assert not any(line.lstrip().startswith(("def ", "class ")) for c in code for line in c.source.splitlines())
        assert sum("parameters" in c.metadata.get("tags", []) for c in code) == 1
        assert "colab.research.google.com" in nb.cells[0].source


def test_performance_markdown_tables(tmp_path):
    (tmp_path / "b.json").write_text(json.dumps({"benchmark": "x", "seconds": 1.5,
                                                 "runs": [{"preset": "tiny", "fps": 3}, {"preset": "w", "fps": 4}]}))
    md = performance_markdown(tmp_path)
    assert "## x" in md and "- **seconds**: 1.5" in md and "| preset | fps |" in md and "| w | 4 |" in md
