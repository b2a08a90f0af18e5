"""The Colab path of VadCLIP's released features: notebooks 01-03 on the released layout.

Fixture features in the exact released layout (``tests/unit/features/released_fixtures.py``),
the ``ucf_crime_released`` profile with a random-init ViT-B/16 (no CLIP weights offline):
notebook 01 imports the features instead of extracting (and says SA2 is off where it would
show SA2's patches), 02 trains, 03 evaluates. Executed by ``stprompt book``'s own runner.
"""

import sys
from pathlib import Path

import nbformat
import pytest

from stprompt_core.book import execute_notebooks

pytestmark = pytest.mark.slow
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "features"))
from released_fixtures import write_ucf_release  # noqa: E402


def test_notebooks_import_train_and_evaluate_released_features(tmp_path, monkeypatch):
    root = write_ucf_release(tmp_path / "release")
    monkeypatch.chdir(tmp_path)
    params = {"profile": "ucf_crime_released", "data_root": str(root), "feature_store": str(tmp_path / "store"),
              "run_dir": str(tmp_path / "run"), "device": "cpu", "epochs": 1, "ablation_variants": [],
              "overrides": {"backbone.pretrained": "", "train.batch_size": 4, "data.val_fraction": 0.0,
                            "train.num_threads": 1}}
    execute_notebooks(tmp_path / "out", params, notebooks=["01_feature_extraction", "02_training", "03_evaluation"],
                      log=lambda _: None)
    text = {name: "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                            for c in nbformat.read(tmp_path / "out" / f"{name}.ipynb", 4).cells
                            for o in c.get("outputs", []))
            for name in ("01_feature_extraction", "03_evaluation")}
    assert "SA2 is off" in text["01_feature_extraction"] and "SA2 is off" in text["03_evaluation"]
    assert (tmp_path / "store" / "store.json").is_file() and (tmp_path / "run" / "metrics.json").is_file()
