"""Notebook parameters: unknown names, wrong types and foreign run dirs fail before any work."""

import json
from pathlib import Path

import pytest

from stprompt_core.book import PARAMETERS, check_parameters, notebook_config, performance_markdown
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


def test_each_notebook_declares_its_own_parameters():
    import papermill

    from stprompt_core.book import NOTEBOOK_USES, NOTEBOOKS, REPO_ROOT

    assert list(NOTEBOOK_USES) == NOTEBOOKS
    for name in NOTEBOOKS:
        declared = papermill.inspect_notebook(str(REPO_ROOT / "notebooks" / f"{name}.ipynb"))
        assert set(declared) == set(NOTEBOOK_USES[name]), name
    assert set().union(*NOTEBOOK_USES.values()) == {p.name for p in PARAMETERS}  # every parameter has a notebook
    assert "ablation_variants" not in NOTEBOOK_USES["01_feature_extraction"]
    assert NOTEBOOK_USES["04_prompt_generation"] == ("profile", "overrides")


def test_a_parameter_of_another_notebook_is_refused_naming_its_notebook():
    with pytest.raises(ConfigError, match="'explorer_videos' is not a parameter of 01_feature_extraction but of "
                                          "05_localization"):
        notebook_config({"profile": "tiny", "explorer_videos": 3}, "01_feature_extraction")
    with pytest.raises(ConfigError, match="unknown notebook parameter 'epoch'.*'epochs'"):
        notebook_config({"epoch": 3}, "02_training")
    cfg, _ = notebook_config({"profile": "tiny", "explorer_videos": 3}, "05_localization")
    assert cfg.profile == "tiny"
    with pytest.raises(ConfigError, match="unknown notebook '06_x'"):
        notebook_config({}, "06_x")


def test_the_book_passes_each_notebook_only_its_parameters(tmp_path, monkeypatch):
    from stprompt_core.book import execute as book

    passed = {}
    monkeypatch.setattr(book, "ensure_kernel", lambda: "stprompt")
    monkeypatch.setattr(book, "strip_cdn_scripts", lambda path: 0)
    monkeypatch.setattr("papermill.execute_notebook",
                        lambda src, out, parameters, **kw: passed.__setitem__(Path(src).stem, parameters))
    params = {"profile": "tiny", "run_dir": str(tmp_path / "run"), "ablation_variants": ["full"],
              "explorer_videos": 2, "slider_video": "test_fire_000"}
    book.execute_notebooks(tmp_path / "out", params, log=lambda _: None)
    assert passed["01_feature_extraction"] == {"profile": "tiny"}
    assert passed["02_training"] == {"profile": "tiny", "run_dir": params["run_dir"], "ablation_variants": ["full"]}
    assert passed["03_evaluation"] == {"profile": "tiny", "run_dir": params["run_dir"], "slider_video": "test_fire_000"}
    assert passed["04_prompt_generation"] == {"profile": "tiny"}
    assert passed["05_localization"] == {"profile": "tiny", "run_dir": params["run_dir"], "explorer_videos": 2}


def test_the_book_refuses_a_name_no_notebook_declares_and_a_bad_value(tmp_path):
    from stprompt_core.book import check_book_parameters

    check_book_parameters({"profile": "tiny", "explorer_videos": 1})  # declared by 05 only: accepted
    with pytest.raises(ConfigError, match="unknown parameter 'explorer_video'.*'explorer_videos'"):
        check_book_parameters({"explorer_video": 1})
    with pytest.raises(ConfigError, match="slider_video must be a test video id"):
        check_book_parameters({"slider_video": 3})


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
        assert "colab.research.google.com" in nb.cells[0].source and "![" not in nb.cells[0].source  # text link
        # the page opens with what it teaches, before the parameters
        assert "What this notebook teaches" in nb.cells[1].source and "../book/method.md#" in nb.cells[1].source
        assert nb.cells[2].cell_type == "code" and "parameters" in nb.cells[3].metadata.get("tags", [])


def test_ablation_markdown_is_a_table_of_the_seeded_rows(tmp_path):
    from stprompt_core.book import ablation_markdown

    stat = {"mean": 0.85, "std": 0.01, "n": 3}
    result = {"date": "2026-12-01", "command": "gates", "seeds": [0, 1, 2],
              "variants": {"full": {"auc": stat, "ap": stat, "far": stat, "per_class_auc": {"abandoned": stat}}}}
    (tmp_path / "workshop.json").write_text(json.dumps(result))
    md = ablation_markdown(tmp_path / "workshop.json")
    assert "| variant | frame AUC |" in md and "| full | 0.850 ± 0.010 |" in md and "seeds [0, 1, 2]" in md
    assert "| variant | full minus variant | 95 % interval per seed | the component |" in md
    assert "No workshop ablation results" in ablation_markdown(tmp_path / "missing.json")


def test_performance_markdown_tables(tmp_path):
    (tmp_path / "b.json").write_text(json.dumps({"benchmark": "x", "seconds": 1.5,
                                                 "runs": [{"preset": "tiny", "fps": 3}, {"preset": "w", "fps": 4}]}))
    md = performance_markdown(tmp_path)
    assert "## x" in md and "- **seconds**: 1.5" in md and "| preset | fps |" in md and "| w | 4 |" in md


def test_parameters_markdown_lists_each_notebooks_own_parameters():
    from stprompt_core.book import parameters_markdown

    md = parameters_markdown()
    row = {line.split("|")[1].strip(" `"): [c.strip() for c in line.split("|")[2:-1]] for line in md.splitlines()[2:]}
    assert row["explorer_videos"][:3] == ["`3`", "05", "–"]
    assert row["epochs"][1:3] == ["02, 03, 05", "`train.epochs`"] and row["profile"][1] == "all"
    assert row["device"][2] == "`extract.device`, `train.device`"


def test_localize_windows_markdown_is_the_study_table(tmp_path):
    from stprompt_core.book import localize_windows_markdown

    def figures(iou):
        return {"paper_settings": {"balanced": {"mean_iou": iou, "tiou": iou / 2, "iou_ceiling": 0.6}},
                "best_threshold": {"balanced": {"map_threshold": 0.99, "mean_iou": 2 * iou, "tiou": iou}}}

    result = {"date": "2026-12-01", "set": {"videos": 4, "preset": "workshop at 150x112 (4:3)", "annotated_frames": 90,
                                            "margin_frames": 12},
              "summary": {"stored": figures(0.1), "tiles3": figures(0.2)}}
    (tmp_path / "localize_views.json").write_text(json.dumps(result))
    md = localize_windows_markdown(tmp_path / "localize_views.json")
    assert "4 videos of the SynthVAD preset workshop at 150x112 (4:3), 90 annotated frames, 12 of them" in md
    assert "| `stored` (centre crop) | 0.1 | 0.05 | 0.99 | 0.2 | 0.1 | 0.6 |" in md
    assert "| `tiles`, 3 windows | 0.2 | 0.1 | 0.99 | 0.4 | 0.2 | 0.6 |" in md and "squash" not in md
    assert "No window study" in localize_windows_markdown(tmp_path / "missing.json")


def test_variation_markdown_quotes_the_seed_and_cpu_measurements(tmp_path):
    from stprompt_core.book import pages

    stat = lambda std: {"mean": 0.8, "std": std, "n": 3}  # noqa: E731
    (tmp_path / "workshop.json").write_text(json.dumps({
        "seeds": [0, 1, 2], "variants": {"full": {"auc": stat(0.004), "ap": stat(0.009), "far": stat(0.02)}},
        "localization": {"tiou": stat(0.002)}}))
    md = pages.variation_markdown(tmp_path / "workshop.json", tmp_path / "cpu.json")
    assert "3 seeds" in md and "frame AUC has a standard deviation of 0.004" in md and "TIoU 0.002" in md
    assert "has not been measured" in md
    (tmp_path / "cpu.json").write_text(json.dumps({
        "cpu_mean_abs_difference": {"auc": 0.012, "ap": 0.01, "far": 0.03, "tiou": 0.0003},
        "per_seed": [{"auc_diff_low": 0.001, "auc_diff_high": 0.02}, {"auc_diff_low": -0.01, "auc_diff_high": 0.01}]}))
    md = pages.variation_markdown(tmp_path / "workshop.json", tmp_path / "cpu.json")
    assert "frame AUC moves by 0.012 on average" in md and "excludes zero for 1 of 2 seed(s)" in md
    assert "TIoU by less than 0.001" in md  # not printed as 0.000
