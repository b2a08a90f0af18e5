"""``stprompt ablate``: the ablation table of the book, one trained run per variant.

Every variant trains with the same config, seed and data except for one change, then is
evaluated on the test split; ``OUT/ablation.json`` holds the table:

=========================  ================================================================
``full``                   the config as given (SA2 + distance adapter)
``no SA2``                 ``model.sa2_mode=none``: the [CLS] feature alone
``random patches``         K patches per frame drawn uniformly at random instead of SA2's
                           motion top-K (see :func:`random_patch_store`)
``no adapter``             ``model.adapter_kind=none``
``self-attention adapter`` ``model.adapter_kind=self_attention`` (feature-similarity attention)
``no alignment branch``    ``loss.w_align=0``, ``loss.w_text_sep=0``: the vision-language
                           branch is not trained, so it no longer shapes the shared features
``baseline``               the simplest detector: [CLS] feature, no adapter, a linear MIL head
                           (``sa2_mode=none``, ``adapter_kind=none``, ``binary_hidden=0``)
=========================  ================================================================

Random patches: the feature store keeps only the motion top-K patch features, so the
variant needs every patch token. It extracts a companion store with
``extract.keep_tokens=all`` (cache-or-compute, ``<feature_store>_alltokens``) and derives
from it a store whose ``patch_feats`` are K patches drawn per frame without replacement
(seeded by ``train.seed`` and the video id, identical across runs), in training and test
alike. The rest of the store (frame features, motion) is unchanged. Once the config has
``extract.patch_selection`` this becomes a plain override.

Every row but ``full`` also holds ``minus_full``: its frame AUC minus the full model's, with
a paired bootstrap 95 % interval over the test videos (:mod:`stprompt_core.compare`).

Each variant's run folder is cache-or-compute (:mod:`stprompt_core.pipeline`): re-running
reuses finished runs and metrics.
"""

from __future__ import annotations

import copy
import time
import zlib
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

import numpy as np

from stprompt_core.config import Config, apply_overrides
from stprompt_core.io import read_json, write_json

ABLATION_FILE = "ablation.json"
RANDOM = "random"

# (variant, run folder, config overrides); RANDOM marks the random-patch store.
VARIANTS: list[tuple[str, str, dict[str, Any] | str]] = [
    ("full", "full", {}),
    ("no SA2", "no_sa2", {"model.sa2_mode": "none"}),
    ("random patches", "random_patches", RANDOM),
    ("no adapter", "no_adapter", {"model.adapter_kind": "none"}),
    ("self-attention adapter", "self_attention", {"model.adapter_kind": "self_attention"}),
    ("no alignment branch", "no_align", {"loss.w_align": 0.0, "loss.w_text_sep": 0.0}),
    ("baseline", "baseline", {"model.sa2_mode": "none", "model.adapter_kind": "none", "model.binary_hidden": 0}),
]


def variant_names() -> list[str]:
    return [name for name, _, _ in VARIANTS]


def random_patch_store(cfg: Config, dst: str | Path | None = None, progress: bool = True) -> Path:
    """A copy of ``cfg``'s feature store with K random patches per frame instead of the motion top-K.

    Returns the new store's path (reused when already complete).
    """
    from stprompt_core.features.store import FeatureStore, FeatureStoreWriter, StoreMeta, VideoFeatures
    from stprompt_core.pipeline import ensure_features

    dst = Path(dst or f"{cfg.data.feature_store}_randompatches")
    if (dst / "store.json").exists() and read_json(dst / "store.json").get("splits"):
        return dst
    full = copy.deepcopy(cfg)
    # random patches are drawn from the stored tokens of crop 0, so the store holds one crop per frame
    apply_overrides(full, {"data.feature_store": f"{cfg.data.feature_store}_alltokens", "extract.keep_tokens": "all",
                           "extract.crops": 1})
    ensure_features(full, progress=progress)
    src = FeatureStore(full.data.feature_store)
    meta_dict = asdict(src.meta)
    meta_dict["backbone"] = {**meta_dict["backbone"], "patch_selection": f"random(seed={cfg.train.seed})"}
    writer = FeatureStoreWriter(dst, StoreMeta(**meta_dict))
    K, P = src.meta.top_k, src.meta.num_patches
    for split in sorted(src.splits):
        if split == "tokens":
            continue
        for v in src.videos(split):
            if writer.has(split, v.video_id):
                continue
            tokens = src.tokens(v.video_id)  # [T, P, D]
            rng = np.random.default_rng([cfg.train.seed, zlib.crc32(v.video_id.encode())])
            idx = np.stack([rng.choice(P, K, replace=False) for _ in range(tokens.shape[0])])  # [T, K]
            feats = np.take_along_axis(tokens, idx[..., None], axis=1)  # [T, K, D]
            writer.add(split, VideoFeatures(v.video_id, v.label, v.class_name, v.class_index, v.num_frames,
                                            v.frame_feats, feats, idx.astype(np.int32), v.patch_motion, v.frame_gt,
                                            v.class_set))
    writer.finalize()
    return dst


def variant_config(cfg: Config, change: dict[str, Any] | str, progress: bool = True) -> Config:
    """``cfg`` with one variant's change applied (building the random-patch store if needed)."""
    out = copy.deepcopy(cfg)
    if change == RANDOM:
        apply_overrides(out, {"data.feature_store": str(random_patch_store(cfg, progress=progress))})
    else:
        apply_overrides(out, change)
    return out


def run_ablation(cfg: Config, out_dir: str | Path, variants: list[str] | None = None, progress: bool = True,
                 log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train and evaluate each variant into ``out_dir/<variant>``; write and return the table.

    Args:
        cfg: the full model's config (its seed is every variant's seed).
        variants: a subset of :func:`variant_names` (default: all, in table order).
    """
    from stprompt_core.pipeline import ensure_features, ensure_metrics, ensure_trained

    wanted = variants or variant_names()
    unknown = [v for v in wanted if v not in variant_names()]
    if unknown:
        raise ValueError(f"unknown ablation variants {unknown}; choose from {variant_names()}")
    out_dir = Path(out_dir)
    ensure_features(cfg, progress=progress)
    rows = []
    for name, folder, change in VARIANTS:
        if name not in wanted:
            continue
        t0 = time.perf_counter()
        vcfg = variant_config(cfg, change, progress)
        run_dir = out_dir / folder
        trained = ensure_trained(vcfg, run_dir, progress=progress, fresh=True)  # the table is this call's output
        m = ensure_metrics(run_dir)
        rows.append({"variant": name, "run_dir": str(run_dir), "auc": m["auc"], "ap": m["ap"],
                     "auc_abnormal": m.get("auc_abnormal"), "far": m.get("far"),
                     "per_class_auc": m.get("per_class_auc"),
                     "best_epoch": trained["best"].get("epoch"), "seconds": round(time.perf_counter() - t0, 2)})
        log(f"[ablate] {name}: AUC {m['auc']:.4f}  AP {m['ap']:.4f}  ({rows[-1]['seconds']:.1f} s)")
    add_paired_differences(rows)
    table = {"profile": cfg.profile, "seed": cfg.train.seed, "epochs": cfg.train.epochs,
             "feature_store": cfg.data.feature_store, "rows": rows}
    write_json(out_dir / ABLATION_FILE, table)
    return table


def add_paired_differences(rows: list[dict[str, Any]], reference: str = "full") -> None:
    """Give every row but the reference its ``minus_full``: ``AUC(variant) - AUC(full)`` with a
    paired bootstrap 95 % interval over test videos (:func:`stprompt_core.compare.paired_difference`,
    the same resamples for every variant). The test split's ground truth is read once."""
    from stprompt_core.compare import paired_difference, run_video_scores, split_ground_truth

    ref = next((r for r in rows if r["variant"] == reference), None)
    if ref is None:
        return
    gt = split_ground_truth(ref["run_dir"])
    ref_scores = run_video_scores(ref["run_dir"], gt)
    for r in rows:
        if r is not ref:
            d = paired_difference(run_video_scores(r["run_dir"], gt), ref_scores)
            r["minus_full"] = {k: round(d[k], 4) for k in ("diff", "low", "high", "half_width")}
            r["minus_full"]["n_videos"] = d["n_videos"]


def ablation_frame(table: dict[str, Any]):
    """The table as a pandas DataFrame indexed by variant; ``minus full`` and its interval
    (``low``, ``high``) where the table has them."""
    import pandas as pd

    frame = pd.DataFrame(table["rows"]).set_index("variant")[["auc", "ap", "auc_abnormal", "far", "best_epoch"]]
    diffs = {r["variant"]: r["minus_full"] for r in table["rows"] if r.get("minus_full")}
    if diffs:
        frame["minus full"] = [diffs.get(v, {}).get("diff") for v in frame.index]
        frame["low"] = [diffs.get(v, {}).get("low") for v in frame.index]
        frame["high"] = [diffs.get(v, {}).get("high") for v in frame.index]
    return frame
