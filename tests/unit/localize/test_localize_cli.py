import json

from tests.cli import run_cli


def _run(argv):
    return run_cli(["localize", *argv])


def test_localize_through_the_cli(planted_run, capsys):
    assert _run(["--run-dir", str(planted_run), "--set", "localize.score_threshold=0.1"]) == 0
    out = capsys.readouterr().out
    assert '"tiou": 1.0' in out and "localization.json" in out
    assert json.loads((planted_run / "localization.json").read_text())["threshold"] == 0.1


def test_study_through_the_cli(planted_run, capsys):
    assert _run(["--run-dir", str(planted_run), "--study"]) == 0
    out = capsys.readouterr().out
    assert "curated, no backgrounds" in out and "skipped: no generated bank" in out
    rows = json.loads((planted_run / "prompt_study.json").read_text())["rows"]
    assert rows[0]["variant"] == "curated" and rows[0]["status"] == "ok"


def test_the_runs_localize_section_is_used_and_set_replaces_it(planted_run, tmp_path, capsys):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(planted_run, run)
    cfg = json.loads((run / "config.json").read_text())
    cfg["localize"].update({"balance_groups": True, "map_threshold": 0.7})
    (run / "config.json").write_text(json.dumps(cfg))
    assert _run(["--run-dir", str(run)]) == 0
    settings = json.loads((run / "localization.json").read_text())["settings"]
    assert settings["balance_groups"] is True and settings["map_threshold"] == 0.7 and settings["window"] == "stored"
    assert _run(["--run-dir", str(run), "--set", "localize.balance_groups=false", "--set", "localize.map_threshold=0.6"]) == 0
    settings = json.loads((run / "localization.json").read_text())["settings"]
    assert settings["balance_groups"] is False and settings["map_threshold"] == 0.6
    capsys.readouterr()


def test_set_outside_localize_or_a_bad_value_fails_naming_it(planted_run, capsys):
    from stprompt_core.cli import main

    argv = ["localize", "--run-dir", str(planted_run), "--set"]
    assert main([*argv, "model.sigma=2"]) == 2
    assert "localize takes localize.KEY=VALUE" in capsys.readouterr().err
    assert main([*argv, "localize.window=tile"]) == 2
    assert "localize.window='tile' is not one of ['stored', 'squash', 'pad', 'tiles']" in capsys.readouterr().err
    assert main([*argv, "localize.map_treshold=0.9"]) == 2
    assert "did you mean 'localize.map_threshold'" in capsys.readouterr().err
