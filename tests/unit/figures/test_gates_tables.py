"""Tables of benchmarks/results/workshop.json (figures.gates) on a constructed result."""

from __future__ import annotations

import pytest

from stprompt_core.book import workshop_markdown
from stprompt_core.figures.gates import (ablation_seeds_table, effects_table, findings_sentences, gates_table,
                                        per_class_table, verdict, world_markdown)


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
    assert "No workshop gate results" in workshop_markdown(tmp_path / "missing.json")


def test_per_class_markdown_prints_every_figure_to_three_decimals():
    from stprompt_core.book.pages import _markdown_table

    lines = _markdown_table(per_class_table(RESULT), digits=3).splitlines()
    assert "| fire | 1.000 | 1.000 | 0.400 | 0.300 |" in lines
    assert "| abandoned | 0.800 | 0.800 | – | – |" in lines


def _effect(*intervals):
    """``minus_full`` (variant - full) from per-seed intervals of full - variant."""
    each = [{"diff": -(lo + hi) / 2, "low": -hi, "high": -lo, "half_width": (hi - lo) / 2} for lo, hi in intervals]
    diffs = [e["diff"] for e in each]
    return {"mean": sum(diffs) / len(diffs), "std": 0.0, "each": each}


def test_verdict_needs_every_seed_interval_on_one_side_of_zero():
    assert verdict(_effect((0.01, 0.05), (0.02, 0.04))) == "helps"
    assert verdict(_effect((-0.05, -0.01), (-0.03, -0.02))) == "hurts"
    assert verdict(_effect((0.01, 0.05), (-0.01, 0.04))) == "not resolved"


def test_effects_table_and_findings_sentences():
    result = {"variants": {"full": RESULT["variants"]["full"],
                           "no SA2": {**RESULT["variants"]["full"], "minus_full": _effect((0.01, 0.05), (0.02, 0.04))},
                           "baseline": {**RESULT["variants"]["baseline"], "minus_full": _effect((-0.02, 0.04), (0.0, 0.06))}}}
    t = effects_table(result)
    assert list(t.index) == ["no SA2", "baseline"]
    assert t.loc["no SA2", "full minus variant"] == "+0.030 ± 0.000"
    assert t.loc["no SA2", "95 % interval per seed"] == "[+0.010, +0.050], [+0.020, +0.040]"
    assert t.loc["no SA2", "the component"] == "helps" and t.loc["baseline", "the component"] == "not resolved"
    md = findings_sentences(result)
    assert "**SA2 (the [CLS] feature alone)**: helps; the full model is ahead by 0.030 AUC" in md
    assert "(the baseline)**: not resolved; the difference (+0.020 on average)" in md
    assert effects_table({"variants": {"full": RESULT["variants"]["full"]}}).empty
    tiny = {"variants": {"full": RESULT["variants"]["full"],
                         "random patches": {**RESULT["variants"]["full"], "minus_full": _effect((-0.0204, 0.0200))}}}
    assert "the difference (under 0.001 either way on average)" in findings_sentences(tiny)  # not "-0.000"


def test_world_markdown_states_event_share_and_zero_shot():
    result = {"world": {"median": 0.0164, "p10": 0.005, "p90": 0.08, "grid_patches": 196, "median_patches": 3.21},
              "synthclip_test": {"frames": 100, "zero_shot": {"canonical": 0.53,
                                                              "event": {"box_tokens": 0.71, "region_crop": 0.6}}}}
    md = world_markdown(result)
    assert "a median 1.6 % of the frame (3.2 of the 196 patches" in md
    assert "in 0.53 of frames from the whole-frame [CLS]" in md and "0.71 from the mean of the patch tokens" in md


def test_world_markdown_puts_the_benchmark_beside_the_world():
    result = {"world": {"median": 0.19, "p10": 0.04, "p90": 0.48, "grid_patches": 196, "median_patches": 37.2,
                        "benchmark": {"name": "UCF-Crime test boxes (Liu & Ma)", "median": 0.2013, "p10": 0.0579,
                                      "p90": 0.4561}},
              "synthclip_test": {"frames": 100, "zero_shot": {"canonical": 0.53}}}
    md = world_markdown(result)
    assert "UCF-Crime test boxes (Liu & Ma), the boxes the paper's TIoU is computed on, cover a median 20.1 % (5.8-45.6 %)" in md


def test_size_findings_give_each_tercile_its_verdict():
    from stprompt_core.figures.gates import size_findings

    by = {"small": _effect((0.01, 0.05), (0.02, 0.04)), "large": _effect((-0.02, 0.01), (-0.01, 0.02))}
    result = {"variants": {"full": {}, "no SA2": {"by_size": {"minus_full": by}}}}
    assert size_findings(result) == ("- **SA2 (the [CLS] feature alone)**: small +0.030 (helps); "
                                     "large under 0.001 either way (not resolved).\n")
    assert size_findings({"variants": {"full": {}}}) == ""


def test_size_tables_and_figures():
    from stprompt_core.figures.sizes import (bias_table, effect_by_bias_figure, effect_by_size_figure,
                                             effects_by_size_table, size_histogram_figure, size_quantiles_table)

    hist = {"edges": [0.0, 0.5, 1.0], "fraction": [0.75, 0.25]}
    world = {"p10": 0.04, "p25": 0.1, "median": 0.19, "p75": 0.3, "p90": 0.48, "mean": 0.22, "frames": 10,
             "histogram": hist, "benchmark": {"name": "bench", "p10": 0.06, "p25": 0.1, "median": 0.2, "p75": 0.33,
                                              "p90": 0.46, "mean": 0.23, "frames": 3102, "histogram": hist}}
    t = size_quantiles_table(world)
    assert list(t.index) == ["this world (test split)", "bench"] and t.loc["bench", "frames"] == "3,102"
    fig = size_histogram_figure(world)
    assert [tr.name for tr in fig.data] == ["this world", "bench"] and list(fig.data[0].x) == [0.25, 0.75]
    by = {"auc": {t: _stat(0.8) for t in ("small", "medium", "large")},
          "minus_full": {t: _effect((0.01, 0.05)) for t in ("small", "medium", "large")}}
    result = {"variants": {"full": {"by_size": {"auc": by["auc"]}}, "no SA2": {"by_size": by}}}
    table = effects_by_size_table(result)
    assert table.loc["no SA2", "small"] == "AUC 0.800; full − variant +0.030 ± 0.000, per seed [+0.010, +0.050]"
    assert table.loc["full", "large"] == "AUC 0.800"
    size_fig = effect_by_size_figure(result)
    assert [tr.name for tr in size_fig.data] == ["full − no SA2"] and list(size_fig.data[0].y) == pytest.approx([0.03] * 3)
    bias = {"levels": [{"scene_bias": b, "variants": {"full": {"auc": _stat(0.8)},
                                                      "no SA2": {"minus_full": _effect((lo, lo + 0.02))}}}
                       for b, lo in ((0.0, -0.01), (0.9, 0.02))]}
    bt = bias_table(bias)
    assert bt.loc[0.9, "full − no SA2"] == "+0.030 ± 0.000 (all seeds > 0)" and bt.loc[0.0, "full − no SA2"] == "+0.000 ± 0.000"
    assert list(effect_by_bias_figure(bias).data[0].x) == [0.0, 0.9]


def test_figure_html_hides_define_while_plotly_loads():
    import plotly.graph_objects as go

    from stprompt_core.book.pages import PLOTLY_JS, figure_html

    html = figure_html(go.Figure(go.Bar(x=[1], y=[2])), "demo")
    assert html.startswith("```{raw} html\n<div id=\"fig-demo\"") and html.endswith("</script>\n```\n")
    assert f's.src = "{PLOTLY_JS}"' in html and "window.define = undefined" in html and "Plotly.newPlot(\"fig-demo\"" in html


def test_benchmark_boxes_markdown_states_what_a_box_gets_for_free(tmp_path):
    import json

    from stprompt_core.book.pages import benchmark_boxes_markdown

    data = {"date": "2026-12-08", "command": "benchmarks/benchmark_boxes.py T.pkl",
            "annotations": {"test": {"file": "Test_annotation.pkl", "sha256": "0339095e546514c9" + "0" * 48,
                                     "videos": 140, "annotated_frames": 3102,
                                     "prompt_free_baselines": {"whole frame": {"mean_iou": 0.2307,
                                                                               "tiou_if_gate_passes": {"1.0": 0.2307,
                                                                                                       "0.5": 0.1153}}}}}}
    path = tmp_path / "benchmark_boxes.json"
    path.write_text(json.dumps(data))
    md = benchmark_boxes_markdown(path)
    assert "| box | mean IoU | TIoU, 100% of frames pass | TIoU, 50% of frames pass |" in md
    assert "| whole frame | 0.231 | 0.231 | 0.115 |" in md and "3102 annotated frames" in md
    assert "No benchmark annotation figures" in benchmark_boxes_markdown(tmp_path / "missing.json")


def test_prompt_free_sentence_names_the_best_box_and_every_seed_interval():
    from stprompt_core.book.pages import prompt_free_sentence

    loc = {"baselines": {"whole view": {"tiou": _stat(0.10), "method_minus": [{"diff": 0.045, "low": 0.027, "high": 0.065}]},
                         "motion": {"tiou": _stat(0.07), "method_minus": [{"diff": 0.08, "low": 0.05, "high": 0.1}]}},
           "pointing": _stat(0.415), "pointing_chance": _stat(0.225)}
    text = prompt_free_sentence(loc)
    assert "the whole view (TIoU 0.100)" in text and "+0.045 [+0.027, +0.065]" in text
    assert "four highest-motion patches scores 0.070" in text and "on 0.415 of the annotated frames" in text
    assert prompt_free_sentence({}) == ""
