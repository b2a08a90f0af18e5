import json
import subprocess
import sys

import pytest

from stprompt_core.cli import main
from tests.planted import planted_cli_sets, write_planted_store

SUBCOMMANDS = ["extract", "synth", "train", "evaluate", "prompts", "localize", "book", "demo"]


def test_help_lists_every_stage():
    out = subprocess.run([sys.executable, "-m", "stprompt_core.cli", "--help"], capture_output=True, text=True,
                         check=True).stdout
    for name in SUBCOMMANDS:
        assert f"    {name}" in out, name


def test_train_then_evaluate_through_cli(tmp_path, capsys):
    store = write_planted_store(tmp_path / "store", n_train=32, n_test=12)
    common = ["--set", "data.dataset=planted", "--set", f"data.feature_store={store}", "--set", "train.epochs=2",
              *planted_cli_sets()]
    assert main(["train", "--profile", "tiny", "--run-dir", str(tmp_path / "run"), *common]) == 0
    assert main(["evaluate", "--run-dir", str(tmp_path / "run")]) == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert 0.0 <= metrics["auc"] <= 1.0


def test_mistyped_key_is_reported_before_work(tmp_path, capsys):
    assert main(["train", "--run-dir", str(tmp_path / "r"), "--set", "train.epoch=3"]) == 2
    assert "did you mean 'train.epochs'" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
