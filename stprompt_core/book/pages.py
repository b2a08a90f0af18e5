"""The book's generated pages: benchmark results rendered as markdown when the book is built.

Pages include these (``{include} ../_generated/NAME.md``), so every figure they show is read
from ``benchmarks/results/*.json`` at build time, never typed.
"""

from __future__ import annotations

from pathlib import Path

from stprompt_core.figures.gates import (ablation_seeds_table, effects_table, findings_sentences, gates_table,
                                        per_class_table, size_findings, world_markdown)
from stprompt_core.figures.sizes import (bias_table, effect_by_bias_figure, effect_by_size_figure, effects_by_size_table,
                                        size_histogram_figure, size_quantiles_table)
from stprompt_core.io import read_json

# plotly.js for figures on the markdown pages (vendored into _static by `stprompt book`, no CDN);
# pages live in book/, so the static folder is one level up
PLOTLY_JS = "../_static/vendor/plotly.min.js"


def figure_html(fig, name: str) -> str:
    """A plotly figure as a MyST ``{raw} html`` block for a markdown page: a div drawn by the
    vendored plotly.js. require.js is on every page (ipywidgets), and plotly.js registers itself
    as an anonymous AMD module when it sees ``define``, so ``define`` is hidden while it loads."""
    div = f"fig-{name}"
    return (f"```{{raw}} html\n<div id=\"{div}\" class=\"stprompt-figure\"></div>\n<script>\n"
            "(function () {\n"
            f"  var spec = {fig.to_json()};\n"
            "  function draw() { Plotly.newPlot(" + f"\"{div}\"" + ", spec.data, spec.layout, "
            "{responsive: true, displaylogo: false}); }\n"
            "  if (!window.stpromptPlotly) {\n"
            "    window.stpromptPlotly = new Promise(function (resolve) {\n"
            "      var saved = window.define; window.define = undefined;\n"
            "      var s = document.createElement('script');\n"
            f"      s.src = \"{PLOTLY_JS}\";\n"
            "      s.onload = function () { window.define = saved; resolve(); };\n"
            "      document.head.appendChild(s);\n"
            "    });\n"
            "  }\n"
            "  window.stpromptPlotly.then(draw);\n"
            "})();\n</script>\n```\n")


def ablation_markdown(path: Path) -> str:
    """The seeded ablation of ``workshop.json`` as markdown (the Ablations page): each variant's
    effect with its paired intervals, then the means ± std over the seeds."""

    if not Path(path).is_file():
        return "No workshop ablation results yet (`python benchmarks/workshop_gates.py`).\n"
    result = read_json(path)
    return (f"From `benchmarks/results/{Path(path).name}` ({result['date']}; `{result['command']}`), "
            f"training seeds {result['seeds']}, the workshop test split.\n\n"
            "**Effects**: the full model's frame AUC minus the variant's (positive: the removed part helps), "
            "mean ± std over the seeds, and each seed's paired bootstrap 95 % interval over test videos.\n\n"
            + _markdown_table(effects_table(result))
            + "\n\n**Each variant** (frame AUC, AP and false alarm rate, mean ± std over the seeds)\n\n"
            + _markdown_table(ablation_seeds_table(result)) + "\n\n" + size_effects_markdown(result) + "\n")


def size_effects_markdown(result: dict) -> str:
    """Each effect per tercile of event size: the table and the figure."""

    terciles = result.get("size_terciles")
    if not terciles or not any(v.get("by_size") for v in result["variants"].values()):
        return "*(These results hold no effects by event size.)*\n"
    edges = terciles["edges"]
    return (f"**By event size.** The test split's anomalous videos in three equal groups by the median share of the "
            f"frame their event's box covers (small: up to {100 * edges[0]:.1f} %, medium: up to "
            f"{100 * edges[1]:.1f} %, large: above; "
            + ", ".join(f"{n} {name}" for name, n in terciles["videos"].items()) + " videos), each against all normal test "
            "videos. Each cell: the variant's frame AUC on that group, and the full model minus the variant "
            "(mean ± std over the seeds, each seed's paired 95 % interval).\n\n"
            + _markdown_table(effects_by_size_table(result)) + "\n\n"
            + figure_html(effect_by_size_figure(result), "effect-by-size"))


def bias_markdown(path: Path) -> str:
    """The background-bias study of ``bias_study.json``: the table and the figure."""

    if not Path(path).is_file():
        return "No bias study yet (`python benchmarks/bias_study.py`).\n"
    bias = read_json(path)
    return (f"From `benchmarks/results/{Path(path).name}` ({bias['date']}; `{bias['command']}`), training seeds "
            f"{bias['seeds']}; the test split is the same, unbiased, at every level.\n\n"
            + _markdown_table(bias_table(bias)) + "\n\n" + figure_html(effect_by_bias_figure(bias), "effect-by-bias"))


def findings_markdown(path: Path) -> str:
    """The Results page's findings: the world's regime beside the benchmark (quantiles and a
    histogram of event size), then one generated sentence per component, overall and per size."""

    if not Path(path).is_file():
        return "No workshop results yet (`python benchmarks/workshop_gates.py`).\n"
    result = read_json(path)
    loc = result["localization"]
    world = result.get("world") or {}
    sizes = ""
    if world.get("histogram"):
        sizes = ("\n**Event size**: the share of the frame the event's box covers, over every annotated test frame "
                 "(quantiles, and the histogram on the same bins for both).\n\n"
                 + _markdown_table(size_quantiles_table(world), digits=3) + "\n\n"
                 + figure_html(size_histogram_figure(world), "event-sizes") + "\n")
    by_size = size_findings(result)
    if by_size:
        by_size = ("\n**By event size** (full model minus the variant per tercile of event size, mean over the "
                   "seeds, and the verdict of every seed's interval; {doc}`ablations` has the intervals):\n\n"
                   + by_size)
    return (f"From `benchmarks/results/{Path(path).name}` ({result['date']}; `{result['command']}`), "
            f"training seeds {result['seeds']}.\n\n" + world_markdown(result) + sizes + "\n**Overall**:\n\n"
            + findings_sentences(result) + by_size
            + f"\nLocalization with each seed's full model: TIoU {loc['tiou']['mean']:.3f} ± {loc['tiou']['std']:.3f}, "
            f"against a ceiling (the best union of patches on the frames the temporal model passes) of "
            f"{loc['tiou_ceiling']['mean']:.3f}." + prompt_free_sentence(loc) + "\n\n**Per class** (frame AUC, mean over the seeds; localization of "
            "the full model)\n\n" + _markdown_table(per_class_table(result), digits=3) + "\n")


def benchmark_boxes_markdown(path: Path) -> str:
    """Boxes that need no model on the benchmark's own annotations (``benchmark_boxes.json``): the
    TIoU each would score with every annotated frame passing the temporal gate, and with half."""
    import pandas as pd

    if not Path(path).is_file():
        return "No benchmark annotation figures yet (`python benchmarks/benchmark_boxes.py FILE`).\n"
    data = read_json(path)
    t = data["annotations"]["test"]
    rows = [{"box": name, "mean IoU": b["mean_iou"], **{f"TIoU, {float(g):.0%} of frames pass": v
                                                        for g, v in b["tiou_if_gate_passes"].items()}}
            for name, b in t["prompt_free_baselines"].items()]
    frame = pd.DataFrame(rows).set_index("box")
    return (f"From `benchmarks/results/{Path(path).name}` ({data['date']}; `{data['command']}`): "
            f"`{t['file']}` (SHA-256 `{t['sha256'][:16]}…`), {t['videos']} test videos, {t['annotated_frames']} "
            "annotated frames of 320×240. A box that ignores the video, scored as TIoU scores a localizer:\n\n"
            + _markdown_table(frame, digits=3) + "\n")


def prompt_free_sentence(loc: dict) -> str:
    """The localizer beside the boxes that need no prompts, and its own pointing (``workshop.json``'s
    ``localization``), or "" when the results predate them."""
    if not loc.get("baselines"):
        return ""
    best = max(loc["baselines"], key=lambda k: loc["baselines"][k]["tiou"]["mean"])
    b = loc["baselines"][best]
    seeds = ", ".join(f"{e['diff']:+.3f} [{e['low']:+.3f}, {e['high']:+.3f}]" for e in b["method_minus"])
    motion = loc["baselines"].get("motion")
    text = (f" The best box that needs no prompts is the {best} (TIoU {b['tiou']['mean']:.3f}); the method minus it, "
            f"per seed with its paired 95 % interval over videos: {seeds}.")
    if motion and best != "motion":
        text += f" Boxing the four highest-motion patches scores {motion['tiou']['mean']:.3f}."
    if loc.get("pointing", {}).get("mean") is not None:
        text += (f" The localizer's own map puts its top patch inside the event on {loc['pointing']['mean']:.3f} of "
                 f"the annotated frames, where a random patch would on {loc['pointing_chance']['mean']:.3f}.")
    return text


def localize_windows_markdown(path: Path) -> str:
    """The ``localize.window`` study of ``localize_views.json`` (benchmarks/select_localize_window.py)
    as markdown: its set, then per window mode mean IoU and TIoU at the paper profiles' threshold and
    at the mode's best one, and the grid's IoU ceiling (``balance_groups`` on)."""
    import pandas as pd

    if not Path(path).is_file():
        return "No window study yet (`python benchmarks/select_localize_window.py`).\n"
    result = read_json(path)
    info, labels = result["set"], {"stored": "`stored` (centre crop)", "squash": "`squash`", "pad": "`pad`",
                                   "tiles": "`tiles`, 2 windows", "tiles3": "`tiles`, 3 windows"}
    rows = []
    for mode, label in labels.items():
        s = result["summary"].get(mode)
        if s:
            paper, best = s["paper_settings"]["balanced"], s["best_threshold"]["balanced"]
            rows.append({"window": label, "mean IoU, θ = 0.5": paper["mean_iou"], "TIoU, θ = 0.5": paper["tiou"],
                         "best θ": best["map_threshold"], "mean IoU, best θ": best["mean_iou"],
                         "TIoU, best θ": best["tiou"], "IoU ceiling": paper["iou_ceiling"]})
    frame = pd.DataFrame(rows).set_index("window").round(3)
    return (f"From `benchmarks/results/{Path(path).name}` ({result['date']}): {info['videos']} videos of the SynthVAD "
            f"preset {info['preset']}, {info['annotated_frames']} annotated frames, {info['margin_frames']} of them with "
            "a box reaching into the margin the centre crop drops.\n\n" + _markdown_table(frame) + "\n")


def workshop_markdown(path: Path) -> str:
    """The workshop gates of ``workshop.json`` as markdown (the Performance page)."""

    if not Path(path).is_file():
        return "No workshop gate results yet (`python benchmarks/workshop_gates.py`).\n"
    result = read_json(path)
    return (f"From `benchmarks/results/{Path(path).name}` ({result['date']}; `{result['command']}`), "
            f"training seeds {result['seeds']}, test split.\n\n" + _markdown_table(gates_table(result)) + "\n")


def _markdown_table(frame, digits: int | None = None) -> str:
    """A DataFrame as a GitHub-style markdown table, its index as the first column; with
    ``digits``, every float in the same fixed format (``0.070``, not ``0.07`` beside ``0.081``)."""
    def cell(v) -> str:
        if v is None or (isinstance(v, float) and v != v):
            return "–"
        return f"{v:.{digits}f}" if digits is not None and isinstance(v, float) else str(v)

    cols = [frame.index.name or ""] + [str(c) for c in frame.columns]
    rows = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for idx, row in frame.iterrows():
        cells = [str(idx)] + [cell(v) for v in row]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def performance_markdown(results_dir: Path) -> str:
    """Every ``benchmarks/results/*.json`` as markdown: its scalar fields, then one table per list of records."""
    files = sorted(Path(results_dir).glob("*.json"))
    if not files:
        return "No benchmark results yet (`make bench`).\n"
    out = []
    for path in files:
        data = read_json(path)
        out.append(f"## {data.get('benchmark', path.stem)}\n\nFrom `benchmarks/results/{path.name}`.\n")
        scalars = {k: v for k, v in data.items() if isinstance(v, (str, int, float, bool)) and k != "benchmark"}
        out += [f"- **{k}**: {v}" for k, v in scalars.items()]
        for key, value in data.items():
            if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
                cols = [c for c in value[0] if not isinstance(value[0][c], (dict, list))]
                out.append(f"\n**{key}**\n\n| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
                out += ["| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in value]
        out.append("")
    return "\n".join(out) + "\n"




def variation_markdown(workshop: Path, cpu: Path) -> str:
    """How much the figures move with the training seed (``workshop.json``) and with the CPU
    (``cpu_variation.json``, benchmarks/cpu_variation.py), as one paragraph of measured figures."""
    if not Path(workshop).is_file():
        return "No seeded results yet (`python benchmarks/workshop_gates.py`).\n"
    result = read_json(workshop)
    full, loc = result["variants"]["full"], result["localization"]
    text = (f"**Across training seeds** ({len(result['seeds'])} seeds, `benchmarks/results/{Path(workshop).name}`), "
            f"the full model's frame AUC has a standard deviation of {full['auc']['std']:.3f}, its AP "
            f"{full['ap']['std']:.3f}, its false alarm rate {full['far']['std']:.3f} and its TIoU "
            f"{loc['tiou']['std']:.3f}.")
    if not Path(cpu).is_file():
        return text + " The CPU's share has not been measured (`python benchmarks/cpu_variation.py`).\n"
    c = read_json(cpu)
    diff = {k: (f"{v:.3f}" if v >= 0.0005 else "less than 0.001") for k, v in c["cpu_mean_abs_difference"].items()}
    seeds = c["per_seed"]
    resolved = sum(1 for s in seeds if s["auc_diff_low"] > 0 or s["auc_diff_high"] < 0)
    text += (f"\n\n**Across CPUs** (`benchmarks/results/{Path(cpu).name}`: features from bf16-rounded backbone "
             f"arithmetic against fp32, the same {len(seeds)} seed(s)), the frame AUC moves by "
             f"{diff['auc']} on average, AP by {diff['ap']}, the false alarm rate by {diff['far']} "
             f"and TIoU by {diff['tiou']}; the paired interval of the AUC difference excludes zero for "
             f"{resolved} of {len(seeds)} seed(s).")
    return text + "\n"
