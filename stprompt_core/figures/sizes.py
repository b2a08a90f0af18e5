"""Event size and background bias: the world beside the benchmark, and each effect against both.

Read from ``benchmarks/results/workshop.json`` (``world``, each variant's ``by_size``) and
``benchmarks/results/bias_study.json`` (``levels``); these functions only format them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from stprompt_core.figures.gates import plus3
from stprompt_core.figures.style import set_title

QUANTILES = ("p10", "p25", "median", "p75", "p90", "mean")
TERCILES = ("small", "medium", "large")
# the variants whose effect the size and bias figures draw, in legend order
EFFECTS = ("baseline", "no SA2", "random patches", "no adapter", "SA2 oracle")


def size_quantiles_table(world: dict[str, Any]) -> pd.DataFrame:
    """Share of the frame an annotated event covers: quantiles over annotated test frames, this world
    and (when recorded) the benchmark's boxes."""
    rows = {"this world (test split)": {**{q: world.get(q) for q in QUANTILES}, "frames": world.get("frames")}}
    bench = world.get("benchmark")
    if bench:
        rows[bench["name"]] = {**{q: bench.get(q) for q in QUANTILES}, "frames": bench.get("frames")}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame["frames"] = [f"{int(n):,}" if n is not None else "–" for n in frame["frames"]]  # a count, not a share
    frame.index.name = "annotated frames of"
    return frame


def size_histogram_figure(world: dict[str, Any]) -> go.Figure:
    """Histogram of the box's share of the frame, this world against the benchmark (same bins)."""
    fig = go.Figure()
    series = [("this world", world.get("histogram"))]
    if world.get("benchmark"):
        series.append((world["benchmark"]["name"], world["benchmark"].get("histogram")))
    for name, hist in series:
        if not hist:
            continue
        edges = hist["edges"]
        centres = [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:])]
        fig.add_trace(go.Bar(x=centres, y=hist["fraction"], name=name, width=(edges[1] - edges[0]) * 0.45,
                             offsetgroup=name, hovertemplate="%{y:.3f} of frames at %{x:.3f}<extra>" + name + "</extra>"))
    height = 330
    fig.update_layout(height=height, margin=dict(l=50, r=10, t=60, b=45), barmode="group",
                      xaxis_title="share of the frame the event's box covers", yaxis_title="share of annotated frames",
                      legend=dict(orientation="h", y=-0.25), template="plotly_white")
    set_title(fig, "Event sizes: this world and the benchmark", height)
    return fig


def _effect_point(effect: dict[str, Any]) -> tuple[float, float]:
    """``full - variant``: mean over seeds and its standard deviation."""
    return -effect["mean"], effect["std"]


def effects_by_size_table(result: dict[str, Any]) -> pd.DataFrame:
    """``full - variant`` frame AUC per tercile of event size: mean ± std over seeds and each seed's
    interval, one row per variant; then each variant's AUC per tercile."""
    rows = []
    for name, v in result["variants"].items():
        by = v.get("by_size", {})
        row: dict[str, Any] = {"variant": name}
        for t in TERCILES:
            auc = by.get("auc", {}).get(t)
            e = by.get("minus_full", {}).get(t)
            cell = f"AUC {auc['mean']:.3f}" if auc and auc.get("mean") is not None else "–"
            if e:
                gain, std = _effect_point(e)
                seeds = " ".join(f"[{-x['high']:+.3f}, {-x['low']:+.3f}]" for x in e["each"])
                cell += f"; full − variant {plus3(gain)} ± {std:.3f}, per seed {seeds}"
            row[t] = cell
        rows.append(row)
    return pd.DataFrame(rows).set_index("variant")


def effect_by_size_figure(result: dict[str, Any]) -> go.Figure:
    """``full - variant`` frame AUC against the tercile of event size, mean ± std over seeds."""
    fig = go.Figure()
    for name in EFFECTS:
        e = result["variants"].get(name, {}).get("by_size", {}).get("minus_full")
        if not e:
            continue
        points = [_effect_point(e[t]) for t in TERCILES]
        fig.add_trace(go.Scatter(x=list(TERCILES), y=[p[0] for p in points], name=f"full − {name}",
                                 mode="lines+markers", error_y=dict(type="data", array=[p[1] for p in points])))
    fig.add_hline(y=0, line=dict(color="grey", dash="dot"))
    height = 360
    fig.update_layout(height=height, margin=dict(l=55, r=10, t=60, b=45), template="plotly_white",
                      xaxis_title="tercile of event size (test videos)", yaxis_title="frame AUC difference",
                      legend=dict(orientation="h", y=-0.3))
    set_title(fig, "What each part is worth, by event size (mean ± std over seeds)", height)
    return fig


def effect_by_bias_figure(bias: dict[str, Any]) -> go.Figure:
    """``full - variant`` frame AUC against the training split's background bias (mean ± std over seeds)."""
    fig = go.Figure()
    levels = bias["levels"]
    for name in EFFECTS:
        pts = [(lv["scene_bias"], *_effect_point(lv["variants"][name]["minus_full"]))
               for lv in levels if lv["variants"].get(name, {}).get("minus_full")]
        if pts:
            fig.add_trace(go.Scatter(x=[p[0] for p in pts], y=[p[1] for p in pts], name=f"full − {name}",
                                     mode="lines+markers", error_y=dict(type="data", array=[p[2] for p in pts])))
    fig.add_hline(y=0, line=dict(color="grey", dash="dot"))
    height = 360
    fig.update_layout(height=height, margin=dict(l=55, r=10, t=60, b=45), template="plotly_white",
                      xaxis_title="scene_bias of the training split (test split unbiased)",
                      yaxis_title="frame AUC difference", legend=dict(orientation="h", y=-0.3))
    set_title(fig, "What each part is worth against background bias", height)
    return fig


def bias_table(bias: dict[str, Any]) -> pd.DataFrame:
    """Per bias level: the full model's and the baseline's AUC, and ``full - variant`` (mean ± std) per variant."""
    rows = []
    for lv in bias["levels"]:
        v = lv["variants"]
        row: dict[str, Any] = {"scene_bias": lv["scene_bias"],
                               "AUC full": f"{v['full']['auc']['mean']:.3f} ± {v['full']['auc']['std']:.3f}"}
        for name, entry in v.items():
            if entry.get("minus_full"):
                gain, std = _effect_point(entry["minus_full"])
                lows = [-e["high"] for e in entry["minus_full"]["each"]]
                highs = [-e["low"] for e in entry["minus_full"]["each"]]
                mark = " (all seeds > 0)" if min(lows) > 0 else (" (all seeds < 0)" if max(highs) < 0 else "")
                row[f"full − {name}"] = f"{plus3(gain)} ± {std:.3f}{mark}"
        rows.append(row)
    return pd.DataFrame(rows).set_index("scene_bias")
