"""``stprompt demo``: the whole workshop chain with cache-or-compute, ending in a summary.

SynthVAD → SynthCLIP (when the profile's backbone is SynthCLIP) → extract → train → evaluate → localize (curated prompt bank) → book.
Writes ``OUT/summary.json`` with the headline metrics, stage timings and paths.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from stprompt_core.config import Config
from stprompt_core.io import write_json
from stprompt_core.book import build_book
from stprompt_core.pipeline import (ensure_backbone, ensure_features, ensure_localization, ensure_metrics,
                                    ensure_synthvad, ensure_trained, timed)


def run_demo(cfg: Config, out_dir: str | Path, progress: bool = True, book: bool = True) -> dict[str, Any]:
    """Run the chain for ``cfg`` into ``out_dir``; returns (and writes) the summary."""
    out_dir = Path(out_dir)
    run_dir = out_dir / "run"
    stages: dict[str, float] = {}
    t0 = time.perf_counter()
    synthvad = timed(stages, "synthvad", lambda: ensure_synthvad(cfg, progress))
    backbone = timed(stages, "synthclip", lambda: ensure_backbone(cfg, progress))
    features = timed(stages, "extract", lambda: ensure_features(cfg, progress))
    trained = timed(stages, "train", lambda: ensure_trained(cfg, run_dir, progress, fresh=True))
    metrics = timed(stages, "evaluate", lambda: ensure_metrics(run_dir))
    loc = timed(stages, "localize", lambda: ensure_localization(run_dir))
    book_record = timed(stages, "book", lambda: build_book(cfg, out_dir / "book", run_dir=run_dir)) if book else None
    summary = {
        "profile": cfg.profile,
        "auc": metrics["auc"],
        "ap": metrics["ap"],
        "auc_abnormal": metrics.get("auc_abnormal"),
        "far": metrics.get("far"),
        "tiou": loc["tiou"],
        "mean_iou": loc.get("mean_iou"),
        "pointing": loc.get("pointing"),
        "best_baseline": ({"name": loc["best_baseline"], **loc["baselines"][loc["best_baseline"]]}
                          if loc.get("best_baseline") else None),
        "book_html": book_record["html"] if book_record else None,
        "run_dir": str(run_dir),
        "backbone": {"model_name": cfg.backbone.model_name, "pretrained": cfg.backbone.pretrained or "random init"},
        "stages_seconds": stages,
        "total_seconds": round(time.perf_counter() - t0, 2),
        "synthvad": synthvad,
        "synthclip": backbone,
        "features": features,
        "train": trained,
    }
    write_json(out_dir / "summary.json", summary)
    return summary
