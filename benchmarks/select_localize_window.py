"""Choose ``localize.window`` and ``localize.balance_groups`` by measurement on 4:3 SynthVAD frames.

The workshop frames are square (112x112, the backbone's input), so every window mode gives the
same window there. UCF-Crime's are 4:3 (320x240), and CLIP's centre crop drops a quarter of them.
This renders a validation-style SynthVAD set at 4:3 (the ``workshop`` preset's scenes and
knobs, 150x112: the same object sizes in a wider frame, so the centre crop drops 19 px on each
side as CLIP's drops 40 of 320), from a seed no other set uses: SynthCLIP and the temporal
model never saw these videos, and no other setting was chosen on them. Only anomalous videos
are rendered: localization is scored on annotated frames.

Temporal scores come from a trained workshop run (``--run-dir``; ``stprompt demo --profile
workshop`` leaves one in ``demo_out/run``) applied to these videos' features (extracted as the
profile extracts, the store keeping every video's tokens). Then every window mode of
:mod:`stprompt_core.localize.windows` (``stored`` = the centre crop, ``squash``, ``pad``,
``tiles`` with 2 and 3 windows) is localized with the same functions ``stprompt localize``
runs, with and without ``balance_groups``, over a grid of map thresholds (map_normalize
``none``, the curated bank, the project's temperature), and scored by mean IoU, TIoU and the
grid ceilings, on all annotated frames and on those whose box reaches into the part the
centre crop drops. Writes ``benchmarks/results/localize_views.json`` (its rows name the mode
``window``; files written before the rename, ``view``: both are read).

    .venv/bin/python benchmarks/select_localize_window.py [--run-dir demo_out/run] [--per-class 8]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from _common import machine

RESULT = Path(__file__).parent / "results" / "localize_views.json"
WORK = Path(__file__).parent / "_work" / "localize_views"
SEED = 5  # a SynthVAD seed no other set uses (workshop data: 0; SynthCLIP corpora: 1_000_003 + seed)
WIDTH = 150  # 4:3 at the workshop's 112 px height (149.3, rounded to the even width SynthVAD needs)
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99)  # 0.5: the paper profiles' map_threshold
MODES = (("stored", 0), ("squash", 0), ("pad", 0), ("tiles", 0), ("tiles", 3))  # (localize.window, n_tiles)
PAPER_THRESHOLD = 0.5  # the paper profiles' map_threshold (the project default)
RULE = ("window: among the window modes whose maps cover the whole frame (all but 'stored', the centre-crop baseline), "
        "the highest mean IoU at the paper profiles' map settings (map_threshold 0.5, balance_groups on); "
        "balance_groups: on unless the summed mass has the higher mean IoU there")
NOTES = ["margin_frames: annotated frames whose box reaches outside the columns the centre crop keeps; "
         "inside_frames: the others",
         "iou_ceiling of tiles: over the cells all windows' patch edges cut the frame into, an upper "
         "bound (a stitched map averages overlapping patches)",
         "encode_seconds: the first localization of each window mode, with re-decoding and re-encoding "
         "(stored: the store's tokens), on a shared 2-core machine"]


def render(out: Path, per_class: int) -> Path:
    """The 4:3 validation-style set (anomalous videos only); reused when already rendered."""
    from stprompt_core.io import read_json
    from stprompt_core.offline.synthvad import generate, get_preset
    from stprompt_core.offline.synthvad.presets import ANOMALY_CLASSES, with_overrides

    preset = dataclasses.replace(with_overrides(get_preset("workshop"), {"width": str(WIDTH)}),
                                 name=f"workshop_{WIDTH}x112_val", test_counts={},
                                 train_counts={c: per_class for c in ANOMALY_CLASSES})
    done = out / "synthvad.json"
    if not (done.exists() and read_json(done).get("seed") == SEED
            and read_json(done).get("preset", {}).get("train_counts") == preset.train_counts):
        generate(preset, out, seed=SEED, progress=True)
    return out / "manifest.json"


def scored_run(run_dir: Path, manifest: Path, work: Path) -> Path:
    """A run folder for localization: the trained run's config pointed at the 4:3 set, and its
    temporal scores of these videos."""
    import torch

    from stprompt_core.config import apply_overrides
    from stprompt_core.features.extract import extract_features
    from stprompt_core.features.store import FeatureStore
    from stprompt_core.io import write_json
    from stprompt_core.scoring import iter_split, score_videos
    from stprompt_core.train import load_run

    cfg, model = load_run(run_dir, "cpu")
    apply_overrides(cfg, {"data.manifest": str(manifest), "data.data_root": str(manifest.parent),
                          "data.feature_store": str(work / "features"), "extract.keep_tokens": "all",
                          "extract.device": "cpu", "localize.split": "train"})
    summary = extract_features(cfg, progress=True)
    if not summary.ok:
        raise RuntimeError(summary.format())
    store = FeatureStore(cfg.data.feature_store)
    videos = list(iter_split(store, "train"))
    snippet = score_videos(model, videos, cfg.data.max_len, cfg.eval.batch_size, torch.device("cpu"))
    run = work / "run"
    run.mkdir(parents=True, exist_ok=True)
    (run / "config.json").write_text(cfg.to_json())
    write_json(run / "scores.json", {v.video_id: {"label": v.label, "class_name": v.class_name,
                                                  "num_frames": v.num_frames, "snippet_len": store.meta.snippet_len,
                                                  "snippet_scores": [round(float(s), 6) for s in snippet[v.video_id]]}
                                     for v in videos})
    return run


def in_margin(gt: list[list[float]], crop_x: tuple[float, float]) -> bool:
    """Whether a ground-truth box reaches outside the centre crop's columns ``[x0, x1)``."""
    return any(b[0] < crop_x[0] or b[2] > crop_x[1] for b in gt)


def figures(records: list, threshold: float) -> dict[str, Any]:
    from stprompt_core.localize.tiou import tiou

    ious = [r.iou for r in records]
    scores = [r.score for r in records]
    best = [r.iou_ceiling for r in records]
    return {"mean_iou": round(float(np.mean(ious)), 4), "tiou": round(tiou(ious, scores, threshold), 4),
            "iou_ceiling": round(float(np.mean(best)), 4), "tiou_ceiling": round(tiou(best, scores, threshold), 4),
            "n_frames": len(records)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", default="demo_out/run", help="a trained workshop run (best.safetensors)")
    parser.add_argument("--per-class", type=int, default=8, help="videos per anomaly class")
    parser.add_argument("--work", default=str(WORK))
    parser.add_argument("--out", default=str(RESULT))
    parser.add_argument("--rows-from", default=None,
                        help="recompute summary and choice from the rows of an earlier result (no localization)")
    args = parser.parse_args()
    if args.rows_from:
        from stprompt_core.io import read_json, write_json

        write_json(args.out, with_choice(read_json(args.rows_from)))
        print(f"chosen: {read_json(args.out)['chosen']}; wrote {args.out}")
        return

    from stprompt_core.io import write_json
    from stprompt_core.prompts.queries import build_queries
    from stprompt_core.localize.run import evaluate_queries, load_context
    from stprompt_core.prompts.bank import resolve_bank

    work = Path(args.work)
    load = os.getloadavg()[0]
    manifest = render(work / "synthvad", args.per_class)
    run = scored_run(Path(args.run_dir), manifest, work)
    ctx = load_context(run, split="train")
    s0 = ctx.cfg.localize
    bank, label = resolve_bank(None, ctx.cfg.data.dataset)
    queries = build_queries(bank, use_backgrounds=s0.use_backgrounds, use_augmentations=s0.use_augmentations,
                            class_names=s0.class_names, template=s0.template)
    crop = ctx.geometry  # the backbone's centre crop of the 150x112 frame
    (_, rw), (_, w), (_, ox) = crop.resized_hw, crop.input_hw, crop.offset
    scale = ctx.frame_size[0] / rw
    crop_x = (-ox * scale, (-ox + w) * scale)  # frame columns the centre crop keeps
    rows: list[dict[str, Any]] = []
    encode_seconds: dict[str, float] = {}
    for mode, n_tiles in MODES:
        name = mode if not n_tiles else f"{mode}{n_tiles}"
        for balance in (False, True):
            for thr in THRESHOLDS:
                s = dataclasses.replace(s0, window=mode, n_tiles=n_tiles, balance_groups=balance, map_threshold=thr,
                                        map_normalize="none")
                t0 = time.perf_counter()
                _, records, _ = evaluate_queries(ctx, queries, s)
                encode_seconds.setdefault(name, round(time.perf_counter() - t0, 2))  # first call re-encodes
                margin = [in_margin(r.gt_boxes, crop_x) for r in records]
                rows.append({"window": name, "windows": len(ctx.windows(s)), "balance_groups": balance,
                             "map_threshold": thr, **figures(records, s.score_threshold),
                             "margin_frames": figures([r for r, m in zip(records, margin) if m], s.score_threshold),
                             "inside_frames": figures([r for r, m in zip(records, margin) if not m],
                                                      s.score_threshold)})
        at = next(r for r in rows if _mode(r) == name and r["balance_groups"] and r["map_threshold"] == 0.5)
        print(f"{name:8s} balanced, threshold 0.5: mean IoU {at['mean_iou']:.4f} TIoU {at['tiou']:.4f} "
              f"ceiling {at['iou_ceiling']:.4f}; margin frames {at['margin_frames']['mean_iou']:.4f}", flush=True)

    result = {
        "benchmark": "localize_views", "date": datetime.date.today().isoformat(),
        "backbone": ctx.cfg.backbone.model_name, "run_dir": str(args.run_dir),
        "set": {"preset": f"workshop at {ctx.frame_size[0]}x{ctx.frame_size[1]} (4:3)", "seed": SEED,
                "videos": len(ctx.videos), "per_class": args.per_class, "split": "validation-style (own seed stream)",
                "annotated_frames": rows[0]["n_frames"], "margin_frames": rows[0]["margin_frames"]["n_frames"],
                "centre_crop_columns": [round(x, 2) for x in crop_x]},
        "bank": label, "prompts": {"n_normal": queries.n_normal, "n_abnormal": queries.n_abnormal},
        "settings": {"temperature": s0.temperature, "map_normalize": "none", "score_threshold": s0.score_threshold,
                     "box_mode": s0.box_mode},
        "encode_seconds": encode_seconds,
        "rows": rows,
        "machine": machine("cpu", load_average_1m_start=load),
    }
    result = with_choice(result)
    write_json(args.out, result)
    print(f"chosen: {result['chosen']}; wrote {args.out}")


def with_choice(result: dict[str, Any]) -> dict[str, Any]:
    """``result`` with ``summary`` (per window mode: the paper profiles' map settings, the best threshold)
    and ``chosen`` computed from its ``rows`` by :data:`RULE`."""
    rows = result["rows"]

    def at(mode: str, balance: bool, thr: float) -> dict[str, Any]:
        return next(r for r in rows if _mode(r) == mode and r["balance_groups"] == balance
                    and r["map_threshold"] == thr)

    names = list(dict.fromkeys(_mode(r) for r in rows))
    summary: dict[str, Any] = {}
    for name in names:
        summary[name] = {"paper_settings": {}, "best_threshold": {}}
        for side, balance in (("summed", False), ("balanced", True)):
            r = at(name, balance, PAPER_THRESHOLD)
            summary[name]["paper_settings"][side] = {k: r[k] for k in ("mean_iou", "tiou", "iou_ceiling",
                                                                       "tiou_ceiling")}
            best = max((r for r in rows if _mode(r) == name and r["balance_groups"] == balance),
                       key=lambda r: r["mean_iou"])
            summary[name]["best_threshold"][side] = {k: best[k] for k in ("map_threshold", "mean_iou", "tiou")}
    whole = [n for n in names if n != "stored"]
    mode = max(whole, key=lambda n: summary[n]["paper_settings"]["balanced"]["mean_iou"])
    paper = summary[mode]["paper_settings"]
    balance = paper["balanced"]["mean_iou"] >= paper["summed"]["mean_iou"]
    return {**result, "rule": RULE, "summary": summary,
            "chosen": {"window": mode, "balance_groups": balance, **paper["balanced" if balance else "summed"],
                       "best_window_at_its_best_threshold": max(
                           names, key=lambda n: summary[n]["best_threshold"]["balanced"]["mean_iou"])},
            "notes": NOTES}


def _mode(row: dict[str, Any]) -> str:
    """A row's ``localize.window`` (rows written before the rename call it ``view``)."""
    return row["window"] if "window" in row else row["view"]


if __name__ == "__main__":
    main()
