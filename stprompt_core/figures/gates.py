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
                     "met": "–" if g["met"] is None else "yes" if g["met"] else "no"})  # None: measured only
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


# what each variant takes away, for the findings' sentences
REMOVES: dict[str, str] = {
    "no SA2": "SA2 (the [CLS] feature alone)",
    "random patches": "the motion prior (K random patches instead of the K highest-motion ones)",
    "no adapter": "the distance adapter",
    "self-attention adapter": "relative-distance attention (feature-similarity self-attention instead)",
    "no alignment branch": "the vision-language alignment branch",
    "baseline": "everything but the [CLS] feature and a linear MIL head (the baseline)",
    "SA2 oracle": "SA2's learned attention over its K motion patches, against attention forced onto the event's "
                  "patches among them (an upper bound that reads the boxes; a negative effect is what better attention "
                  "could still gain)",
}


def verdict(effect: dict[str, Any]) -> str:
    """``"helps"`` when every seed's interval of ``full - variant`` is above 0, ``"hurts"`` when
    every one is below, ``"not resolved"`` otherwise."""
    intervals = [(-e["high"], -e["low"]) for e in effect["each"]]
    if all(lo > 0 for lo, _ in intervals):
        return "helps"
    if all(hi < 0 for _, hi in intervals):
        return "hurts"
    return "not resolved"


def effects_table(result: dict[str, Any]) -> pd.DataFrame:
    """What each component is worth: ``full - variant`` frame AUC, mean ± std over the seeds,
    each seed's paired bootstrap 95 % interval, and the verdict of :func:`verdict`."""
    rows = []
    for name, v in result["variants"].items():
        effect = v.get("minus_full")
        if not effect:
            continue
        seeds = ", ".join(f"[{-e['high']:+.3f}, {-e['low']:+.3f}]" for e in effect["each"])
        rows.append({"variant": name, "full minus variant": f"{plus3(-effect['mean'])} ± {effect['std']:.3f}",
                     "95 % interval per seed": seeds, "the component": verdict(effect)})
    columns = ["full minus variant", "95 % interval per seed", "the component"]
    return pd.DataFrame(rows, columns=["variant", *columns]).set_index("variant")


def plus3(value: float) -> str:
    """``+0.012``: three decimals with the sign; a value that rounds to zero prints ``+0.000``, never ``-0.000``."""
    return f"{(0.0 if abs(value) < 0.0005 else value):+.3f}"


def _signed(value: float) -> str:
    """A mean difference with its sign, or "under 0.001 either way" where three decimals show none (not -0.000)."""
    return plus3(value) if abs(value) >= 0.0005 else "under 0.001 either way"


def findings_sentences(result: dict[str, Any]) -> str:
    """One sentence per component from its effect (mean over seeds, intervals, verdict)."""
    lines = []
    for name, v in result["variants"].items():
        effect = v.get("minus_full")
        if not effect or name not in REMOVES:
            continue
        word = verdict(effect)
        gain = -effect["mean"]
        width = max(e["half_width"] for e in effect["each"])
        what = {"helps": f"the full model is ahead by {gain:.3f} AUC on average, and every seed's interval excludes 0",
                "hurts": f"the variant is ahead by {-gain:.3f} AUC on average, and every seed's interval excludes 0",
                "not resolved": f"the difference ({_signed(gain)} on average) is inside at least one seed's interval "
                                f"around 0 (half-width up to {width:.3f})"}[word]
        lines.append(f"- **{REMOVES[name][0].upper() + REMOVES[name][1:]}**: {word}; {what}.")
    return "\n".join(lines) + "\n"


def world_markdown(result: dict[str, Any]) -> str:
    """The regime the world puts the method in: how much of the frame an event covers, beside the
    benchmark's boxes, and what the backbone recognises from the whole frame and from the event alone."""
    w, zs = result.get("world"), result["synthclip_test"]["zero_shot"]
    if not w:
        return ""
    event = zs.get("event", {})
    text = (f"On the test videos an event's box covers a median {100 * w['median']:.1f} % of the frame "
            f"({w['median_patches']:.1f} of the {w['grid_patches']} patches; 10th-90th percentile "
            f"{100 * w['p10']:.1f}-{100 * w['p90']:.1f} %)")
    bench = w.get("benchmark")
    if bench:
        text += (f"; {bench['name']}, the boxes the paper's TIoU is computed on, cover a median "
                 f"{100 * bench['median']:.1f} % ({100 * bench['p10']:.1f}-{100 * bench['p90']:.1f} %)")
    text += (f". SynthCLIP names the event (6-way zero-shot, {result['synthclip_test']['frames']} anomalous test "
             f"frames) in {zs['canonical']:.2f} of frames from the whole-frame [CLS] embedding")
    if event:
        text += (f", in {event['box_tokens']:.2f} from the mean of the patch tokens under its box, and in "
                 f"{event['region_crop']:.2f} from the [CLS] of a crop of the box")
    return text + ".\n"


def size_findings(result: dict[str, Any]) -> str:
    """One line per component: its verdict (:func:`verdict`) and mean effect in each tercile of event size."""
    lines = []
    for name, v in result["variants"].items():
        by = v.get("by_size", {}).get("minus_full")
        if not by or name not in REMOVES:
            continue
        parts = [f"{t} {_signed(-e['mean'])} ({verdict(e)})" for t, e in by.items()]
        lines.append(f"- **{REMOVES[name][0].upper() + REMOVES[name][1:]}**: " + "; ".join(parts) + ".")
    return "\n".join(lines) + "\n" if lines else ""


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
    if any(loc.get(c, {}).get("motion_tiou") for c in classes):
        data["TIoU, motion box"] = [loc.get(c, {}).get("motion_tiou", {}).get("mean") for c in classes]
        data["pointing"] = [loc.get(c, {}).get("pointing", {}).get("mean") for c in classes]
    return pd.DataFrame(data, index=pd.Index(classes, name="class")).round(3)
