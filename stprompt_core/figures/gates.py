"""Tables of ``benchmarks/results/workshop.json``: the workshop gates and the seeded ablation.

That file is written by ``benchmarks/workshop_gates.py`` (every ablation variant over several
training seeds, localization, SynthCLIP's zero-shot accuracy); these functions only format it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd


def _pm(stat: dict[str, Any] | None) -> str:
    """``"0.912 ± 0.004"`` from ``{"mean": ..., "std": ...}``."""
    if not stat or stat.get("mean") is None:
        return "–"
    return f"{stat['mean']:.3f} ± {stat['std']:.3f}"


def gates_table(result: dict[str, Any]) -> pd.DataFrame:
    """One row per gate: target, measured value (with the figures it is judged against), met."""
    rows = []
    for g in result["gates"]:
        rows.append({"gate": g["gate"], "target": g["target"], "measured": _measured(g),
                     "met": "yes" if g["met"] else "no"})
    return pd.DataFrame(rows).set_index("gate")


def _measured(g: dict[str, Any]) -> str:
    value = g["value"]
    if isinstance(value, list):
        return f"{len(value)} variants"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_pm(v) if isinstance(v, dict) else (f'{v:.3f}' if isinstance(v, float) else v)}"
                         for k, v in value.items())
    text = f"{value:.3f}" if isinstance(value, float) else str(value)
    extra = {k: v for k, v in g.items() if k not in ("gate", "target", "value", "met")}
    return text + "".join(f", {k.replace('_', ' ')} {v:.3f}" for k, v in extra.items() if isinstance(v, float))


def ablation_seeds_table(result: dict[str, Any], static_class: str = "abandoned") -> pd.DataFrame:
    """Frame AUC, AP and false alarm rate of every variant as mean ± std over the seeds, and the
    static anomaly's per-class AUC."""
    rows = []
    for name, v in result["variants"].items():
        rows.append({"variant": name, "frame AUC": _pm(v["auc"]), "AP": _pm(v["ap"]), "false alarms": _pm(v["far"]),
                     f"AUC on {static_class}": _pm(v["per_class_auc"].get(static_class)),
                     "seeds": v["auc"]["n"]})
    return pd.DataFrame(rows).set_index("variant")


def per_class_table(result: dict[str, Any], variants: tuple[str, ...] = ("full", "baseline")) -> pd.DataFrame:
    """Per-class frame AUC (mean over seeds) of some variants, and per-class localization IoU."""
    classes = sorted(result["variants"]["full"]["per_class_auc"])
    loc = result["localization"]["per_class"]
    data = {f"AUC {v}": [result["variants"][v]["per_class_auc"][c]["mean"] for c in classes] for v in variants}
    data["mean IoU (full)"] = [loc.get(c, {}).get("mean_iou", {}).get("mean") for c in classes]
    data["TIoU (full)"] = [loc.get(c, {}).get("tiou", {}).get("mean") for c in classes]
    return pd.DataFrame(data, index=pd.Index(classes, name="class")).round(3)
