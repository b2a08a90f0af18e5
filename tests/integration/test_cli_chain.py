"""``stprompt demo`` and ``stprompt ablate`` run for real through the CLI on the tiny profile.

One epoch each, no book (the book has its own test); the SynthVAD tiny videos and
SynthCLIP-T come from the repository's ``cache/`` (the session fixture trains SynthCLIP-T),
the feature store and runs live in a tmp folder. About 40 s on 2 busy cores.
"""

import contextlib
import io
import json
from pathlib import Path

import pytest

from stprompt_core.cli import main

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """(out folder, the --set arguments, stdout) of one `stprompt demo --profile tiny --no-book`."""
    out = tmp_path_factory.mktemp("demo")
    sets = ["--set", f"data.feature_store={out / 'features'}", "--set", "train.epochs=1"]
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(REPO)  # the cache/ of SynthVAD tiny and SynthCLIP-T
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout):
            code = main(["demo", "--profile", "tiny", "--no-book", "--out", str(out), *sets])
    assert code == 0, stdout.getvalue()
    return out, sets, stdout.getvalue()


def test_demo_writes_the_summary_it_prints(demo):
    out, _, stdout = demo
    summary = json.loads((out / "summary.json").read_text())
    assert summary["profile"] == "tiny" and summary["book_html"] is None
    assert set(summary["stages_seconds"]) == {"synthvad", "synthclip", "extract", "train", "evaluate", "localize"}
    assert (out / "run" / "metrics.json").is_file() and (out / "run" / "localization.json").is_file()
    assert f"frame AUC {summary['auc']:.4f}   AP {summary['ap']:.4f}" in stdout
    assert f"TIoU {summary['tiou']:.4f}" in stdout
    assert f"summary: {out}/summary.json" in stdout


def test_ablate_reuses_the_store(demo, capsys, monkeypatch):
    out, sets, _ = demo
    monkeypatch.chdir(REPO)
    assert main(["ablate", "--profile", "tiny", "--out", str(out / "ablation"), "--variants", "full", *sets]) == 0
    table = json.loads((out / "ablation" / "ablation.json").read_text())
    assert [r["variant"] for r in table["rows"]] == ["full"]
    assert table["feature_store"] == str(out / "features")
    printed = capsys.readouterr().out
    for row in table["rows"]:
        assert f"{row['variant']:<24} {row['auc']:>7.4f} {row['ap']:>7.4f}" in printed


def test_ablate_reports_each_size_tercile_and_the_sa2_oracle(demo, monkeypatch):
    """Every row carries the AUC of each tercile of event size (its anomalous test videos against
    all normal ones), equal to scikit-learn's on those frames; the oracle variant trains on a store
    whose patch slots lie in the box wherever any top-K patch does."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    from stprompt_core.ablate import test_terciles
    from stprompt_core.compare import run_video_scores
    from stprompt_core.config import load_config

    out, sets, _ = demo
    monkeypatch.chdir(REPO)
    dest = out / "ablation_sizes"
    assert main(["ablate", "--profile", "tiny", "--out", str(dest), "--variants", "full", "SA2 oracle", *sets]) == 0
    table = json.loads((dest / "ablation.json").read_text())
    full, oracle = table["rows"]
    assert oracle["variant"] == "SA2 oracle" and set(oracle["minus_full_by_size"]) == {"small", "medium", "large"}
    cfg = load_config("tiny", {"data.feature_store": str(out / "features")})
    groups = test_terciles(cfg)["groups"]
    scores = run_video_scores(full["run_dir"])
    for name, ids in groups.items():
        sub = [v for v in scores if v.label == 0 or v.video_id in ids]
        expected = roc_auc_score(np.concatenate([v.gt for v in sub]), np.concatenate([v.scores for v in sub]))
        assert full["auc_by_size"][name] == pytest.approx(expected, abs=1e-4)
    assert table["size_terciles"]["videos"] == {k: len(v) for k, v in groups.items()}
