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
