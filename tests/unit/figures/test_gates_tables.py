"""Tables of benchmarks/results/workshop.json (figures.gates) on a constructed result."""

from __future__ import annotations

from stprompt_core.book import workshop_markdown
from stprompt_core.figures.gates import ablation_seeds_table, gates_table, per_class_table


def _stat(*values):
    import numpy as np

    return {"mean": float(np.mean(values)), "std": float(np.std(values)), "n": len(values), "each": list(values)}


RESULT = {
    "date": "2026-12-01", "command": "python benchmarks/workshop_gates.py --seeds 0 1", "seeds": [0, 1],
    "gates": [
        {"gate": "full", "target": ">= 0.92", "value": 0.85, "margin_over_baseline": 0.03, "met": False},
        {"gate": "rows", "target": "all", "value": ["full", "baseline"], "met": True},
        {"gate": "static", "target": "reported", "value": {"auc_full": _stat(0.8, 0.9)}, "met": True},
    ],
    "variants": {v: {"auc": _stat(a, a + 0.02), "ap": _stat(0.5, 0.5), "far": _stat(0.1, 0.3),
                     "per_class_auc": {"abandoned": _stat(0.7, 0.9), "fire": _stat(1.0, 1.0)}}
                 for v, a in (("full", 0.84), ("baseline", 0.8))},
    "localization": {"per_class": {"fire": {"mean_iou": _stat(0.4, 0.4), "tiou": _stat(0.2, 0.4)}}},
}


def test_gates_table_shows_value_and_what_it_is_judged_against():
    t = gates_table(RESULT)
    assert t.loc["full", "measured"] == "0.850, margin over baseline 0.030" and t.loc["full", "met"] == "no"
    assert t.loc["rows", "measured"] == "2 variants"
    assert t.loc["static", "measured"] == "auc_full 0.850 ± 0.050"


def test_ablation_table_is_mean_plus_minus_std():
    t = ablation_seeds_table(RESULT)
    assert t.loc["full", "frame AUC"] == "0.850 ± 0.010" and t.loc["baseline", "false alarms"] == "0.200 ± 0.100"
    assert t.loc["full", "AUC on abandoned"] == "0.800 ± 0.100" and t.loc["full", "seeds"] == 2


def test_per_class_table_and_markdown(tmp_path):
    t = per_class_table(RESULT)
    assert t.loc["fire", "AUC full"] == 1.0 and t.loc["fire", "TIoU (full)"] == 0.3
    assert t.loc["abandoned", "mean IoU (full)"] is None or t["mean IoU (full)"].isna()["abandoned"]
    import json

    path = tmp_path / "workshop.json"
    path.write_text(json.dumps(RESULT))
    md = workshop_markdown(path)
    assert "| full | >= 0.92 | 0.850, margin over baseline 0.030 | no |" in md
    assert "| full | 0.850 ± 0.010 |" in md
    assert "No workshop gate results" in workshop_markdown(tmp_path / "missing.json")
