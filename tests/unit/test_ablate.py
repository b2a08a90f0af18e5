"""The ablation's pure parts: the SA2 oracle's patch choice and the seed summary."""

from __future__ import annotations

import numpy as np
import pytest

from stprompt_core.ablate import DEFAULT_VARIANTS, mean_std, oracle_slots, summarize_seeds, variant_names

pytestmark = pytest.mark.pure

# a 2x2 grid of 10-px patches: centres (5, 5), (15, 5), (5, 15), (15, 15)
CENTRES = np.array([[5, 5], [15, 5], [5, 15], [15, 15]], float)


def test_oracle_attends_to_the_motion_patches_inside_the_box():
    idx = np.array([3, 0, 1])  # top-3 by motion: patch 3 first
    # the box holds patches 0 and 1 (top row): slots 1 and 2, repeated in turn to fill K
    assert oracle_slots(idx, [[0, 0, 20, 10]], CENTRES).tolist() == [1, 2, 1]


def test_oracle_falls_back_to_the_highest_motion_patch():
    idx = np.array([3, 0, 1])
    assert oracle_slots(idx, [[0, 10, 10, 20]], CENTRES).tolist() == [0, 0, 0]  # patch 2 is not in the top-K
    assert oracle_slots(idx, None, CENTRES).tolist() == [0, 0, 0]  # a normal frame


def test_the_oracle_is_asked_for_by_name_only():
    assert "SA2 oracle" in variant_names() and "SA2 oracle" not in DEFAULT_VARIANTS


def _row(variant, auc, diff=None, small=None):
    row = {"variant": variant, "auc": auc, "ap": auc, "far": 0.1, "per_class_auc": {"fire": auc},
           "auc_by_size": {"small": auc - 0.1, "large": auc}}
    if diff is not None:
        row["minus_full"] = {"diff": diff, "low": diff - 0.01, "high": diff + 0.01, "half_width": 0.01}
        row["minus_full_by_size"] = {t: {"diff": small, "low": small - 0.02, "high": small + 0.02, "half_width": 0.02}
                                     for t in ("small", "large")}
    return row


def test_summarize_seeds_keeps_every_seed_interval_and_the_sizes():
    tables = {0: {"rows": [_row("full", 0.8), _row("no SA2", 0.7, -0.1, -0.2)]},
              1: {"rows": [_row("full", 0.9), _row("no SA2", 0.85, -0.05, -0.1)]}}
    out = summarize_seeds(tables, [0, 1])
    assert out["full"]["auc"] == {"mean": 0.85, "std": 0.05, "n": 2, "each": [0.8, 0.9]}
    effect = out["no SA2"]["minus_full"]
    assert effect["mean"] == pytest.approx(-0.075) and [e["seed"] for e in effect["each"]] == [0, 1]
    assert out["no SA2"]["by_size"]["minus_full"]["small"]["mean"] == pytest.approx(-0.15)
    assert out["full"]["by_size"]["auc"]["small"]["mean"] == pytest.approx(0.75)
    assert "minus_full" not in out["full"]["by_size"]


def test_mean_std_leaves_out_missing_values():
    assert mean_std([None, float("nan")]) == {"mean": None, "std": None, "n": 0}
    assert mean_std([1.0, None, 3.0])["mean"] == 2.0
