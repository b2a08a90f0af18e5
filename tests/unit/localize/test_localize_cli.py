import json

from tests.cli import run_cli


def _run(argv):
    return run_cli(["localize", *argv])


def test_localize_through_the_cli(planted_run, capsys):
    assert _run(["--run-dir", str(planted_run), "--threshold", "0.1"]) == 0
    out = capsys.readouterr().out
    assert '"tiou": 1.0' in out and "localization.json" in out
    assert json.loads((planted_run / "localization.json").read_text())["threshold"] == 0.1


def test_study_through_the_cli(planted_run, capsys):
    assert _run(["--run-dir", str(planted_run), "--study"]) == 0
    out = capsys.readouterr().out
    assert "curated, no backgrounds" in out and "skipped: no generated bank" in out
    rows = json.loads((planted_run / "prompt_study.json").read_text())["rows"]
    assert rows[0]["variant"] == "curated" and rows[0]["status"] == "ok"


def test_the_runs_localize_section_is_used_and_flags_replace_it(planted_run, tmp_path, capsys):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(planted_run, run)
    cfg = json.loads((run / "config.json").read_text())
    cfg["localize"].update({"balance_groups": True, "map_threshold": 0.7})
    (run / "config.json").write_text(json.dumps(cfg))
    assert _run(["--run-dir", str(run)]) == 0
    settings = json.loads((run / "localization.json").read_text())["settings"]
    assert settings["balance_groups"] is True and settings["map_threshold"] == 0.7 and settings["view"] == "stored"
    assert _run(["--run-dir", str(run), "--no-balance-groups", "--map-threshold", "0.6"]) == 0
    settings = json.loads((run / "localization.json").read_text())["settings"]
    assert settings["balance_groups"] is False and settings["map_threshold"] == 0.6
    capsys.readouterr()
