"""The ``stprompt`` command line: every subcommand is built, documented and run by some test.

Real runs of most subcommands live beside their stage's tests (``tests/unit/<stage>/``;
``demo`` and ``ablate`` in ``tests/integration/test_cli_chain.py``);
:func:`test_every_subcommand_is_run_by_a_test` finds them by reading the test sources, so a
subcommand added to :data:`stprompt_core.cli.COMMANDS` without a test fails here.
"""

import argparse
import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from stprompt_core.cli import COMMANDS, build_parser, main
from stprompt_core.cli.synthvad import OLD_NAMES
from tests.planted import planted_cli_sets, write_planted_store

SUBCOMMANDS = [name for name, _ in COMMANDS]
TESTS = Path(__file__).resolve().parents[1]


def test_help_lists_every_stage():
    out = subprocess.run([sys.executable, "-m", "stprompt_core.cli", "--help"], capture_output=True, text=True,
                         check=True).stdout
    for name in SUBCOMMANDS:
        assert f"    {name}" in out, name


def test_every_subcommand_is_built():
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert [name for name in sub.choices if name not in OLD_NAMES] == SUBCOMMANDS


def test_old_subcommand_name_still_runs_it(capsys):
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for old in OLD_NAMES:  # `stprompt synth` is `stprompt synthvad` under its old name
        assert sub.choices[old] is sub.choices["synthvad"]
    with pytest.raises(SystemExit) as exit_:
        main(["synth", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: stprompt synthvad") and "stprompt synth` is its old name" in " ".join(out.split())
    assert "synthvad (synth)" in build_parser().format_help()


@pytest.mark.parametrize("name,help_text", COMMANDS)
def test_subcommand_help(name, help_text, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([name, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: stprompt {name}")
    assert help_text in " ".join(out.split())


def invoked_subcommands(tests: Path = TESTS) -> dict[str, list[str]]:
    """Subcommands that tests run for real -> the files that do: the literal first item of a
    list passed to ``main(...)`` / ``run_cli(...)``, or the item after ``"stprompt"`` or
    ``"stprompt_core.cli"`` in a command line (``--help`` with a variable name is not a run)."""
    found: dict[str, list[str]] = {}
    for path in sorted(tests.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            words: list[str] = []
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.List):
                func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                first = node.args[0].elts[:1]
                if func in ("main", "run_cli") and first and isinstance(first[0], ast.Constant):
                    words = [first[0].value]
            elif isinstance(node, ast.List):
                items = [e.value if isinstance(e, ast.Constant) else None for e in node.elts]
                words = [b for a, b in zip(items, items[1:]) if a in ("stprompt", "stprompt_core.cli")]
            for word in words:
                if isinstance(word, str) and not word.startswith("-"):
                    found.setdefault(word, []).append(str(path.relative_to(tests)))
    return found


def test_every_subcommand_is_run_by_a_test():
    invoked = invoked_subcommands()
    missing = [name for name in SUBCOMMANDS if name not in invoked]
    assert not missing, f"subcommands no test runs (main([...]) / run_cli([...]) with the name first): {missing}"


def test_invoked_subcommands_reads_calls_and_command_lines(tmp_path):
    (tmp_path / "test_x.py").write_text(
        'main(["synthvad", "--out", "d"])\nrun_cli(["train"])\nsubprocess.run(["stprompt", "book"])\n'
        'main([name, "--help"])\nbench.main(["--device-check"])\n')
    assert invoked_subcommands(tmp_path) == {"synthvad": ["test_x.py"], "train": ["test_x.py"], "book": ["test_x.py"]}


def test_train_then_evaluate_through_cli(tmp_path, capsys):
    store = write_planted_store(tmp_path / "store", n_train=32, n_test=12)
    common = ["--set", "data.dataset=planted", "--set", f"data.feature_store={store}", "--set", "train.epochs=2",
              *planted_cli_sets()]
    assert main(["train", "--profile", "tiny", "--run-dir", str(tmp_path / "run"), *common]) == 0
    assert main(["evaluate", "--run-dir", str(tmp_path / "run")]) == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    from stprompt_core.evaluate import evaluate

    again = evaluate(tmp_path / "run")  # what the CLI wrote is what evaluate computes for the run
    assert [metrics[k] for k in ("auc", "ap", "far", "n_videos")] == [again[k] for k in ("auc", "ap", "far", "n_videos")]
    assert metrics["n_videos"] == 12 and metrics["auc"] > 0.5  # 2 epochs on planted anomalies: above chance


def test_mistyped_key_is_reported_before_work(tmp_path, capsys):
    assert main(["train", "--run-dir", str(tmp_path / "r"), "--set", "train.epoch=3"]) == 2
    assert "did you mean 'train.epochs'" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()

