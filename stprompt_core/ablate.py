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
``SA2 oracle``             not in the default table: an upper bound that reads the boxes. SA2's
                           attention is forced onto the top-K patches inside the event's box
                           when there are any, else onto the highest-motion patch, in training
                           and test alike (see :func:`oracle_patch_store`)
=========================  ================================================================

Random patches: the feature store keeps only the motion top-K patch features, so the
variant needs every patch token. It extracts a companion store with
``extract.keep_tokens=all`` (cache-or-compute, ``<feature_store>_alltokens``) and derives
from it a store whose ``patch_feats`` are K patches drawn per frame without replacement
(seeded by ``train.seed`` and the video id, identical across runs), in training and test
alike. The rest of the store (frame features, motion) is unchanged. Once the config has
``extract.patch_selection`` this becomes a plain override.

Every row but ``full`` also holds ``minus_full``: its frame AUC minus the full model's, with
a paired bootstrap 95 % interval over the test videos (:mod:`stprompt_core.compare`). Where
the test videos carry boxes, every row also holds ``auc_by_size`` and ``minus_full_by_size``:
the same per tercile of event size (:mod:`stprompt_core.localize.event_size`: each tercile's
anomalous videos against all normal test videos).

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

from stprompt_core.compare import paired_difference, run_video_scores, split_ground_truth
from stprompt_core.config import Config, apply_overrides
from stprompt_core.data.manifest import load_manifest
from stprompt_core.features.store import FeatureStore, FeatureStoreWriter, StoreMeta, VideoFeatures
from stprompt_core.io import read_json, write_json
from stprompt_core.localize.baselines import inside, patch_centres
from stprompt_core.localize.event_size import size_terciles
from stprompt_core.localize.retrieval import frame_patch_boxes
from stprompt_core.localize.run import backbone_geometry
from stprompt_core.pipeline import ensure_features, ensure_metrics, ensure_trained

ABLATION_FILE = "ablation.json"
RANDOM = "random"
ORACLE = "oracle"

# (variant, run folder, config overrides); RANDOM marks the random-patch store.
VARIANTS: list[tuple[str, str, dict[str, Any] | str]] = [
    ("full", "full", {}),
    ("no SA2", "no_sa2", {"model.sa2_mode": "none"}),
    ("random patches", "random_patches", RANDOM),
    ("no adapter", "no_adapter", {"model.adapter_kind": "none"}),
    ("self-attention adapter", "self_attention", {"model.adapter_kind": "self_attention"}),
    ("no alignment branch", "no_align", {"loss.w_align": 0.0, "loss.w_text_sep": 0.0}),
    ("baseline", "baseline", {"model.sa2_mode": "none", "model.adapter_kind": "none", "model.binary_hidden": 0}),
    ("SA2 oracle", "sa2_oracle", ORACLE),
]
DEFAULT_VARIANTS = [name for name, _, _ in VARIANTS if name != "SA2 oracle"]  # the oracle reads boxes: asked for by name


def variant_names() -> list[str]:
    return [name for name, _, _ in VARIANTS]


def _store_ready(dst: Path) -> bool:
    return (dst / "store.json").exists() and bool(read_json(dst / "store.json").get("splits"))


def derived_patch_store(src: FeatureStore, dst: Path, selection: str,
                        choose: Callable[[VideoFeatures], tuple[np.ndarray, np.ndarray]]) -> Path:
    """A copy of ``src`` whose SA2 patch slots come from ``choose`` (video -> ``patch_feats`` ``[T, K, D]``,
    ``patch_idx`` ``[T, K]``); frame features, motion and labels are unchanged. ``selection`` is recorded
    as the store's ``backbone.patch_selection``. Resumes video by video; returns ``dst``."""
    meta_dict = asdict(src.meta)
    meta_dict["backbone"] = {**meta_dict["backbone"], "patch_selection": selection}
    writer = FeatureStoreWriter(dst, StoreMeta(**meta_dict))
    for split in sorted(src.splits):
        if split == "tokens":
            continue
        for v in src.videos(split):
            if writer.has(split, v.video_id):
                continue
            feats, idx = choose(v)
            writer.add(split, VideoFeatures(v.video_id, v.label, v.class_name, v.class_index, v.num_frames,
                                            v.frame_feats, feats, idx.astype(np.int32), v.patch_motion, v.frame_gt,
                                            v.class_set))
    writer.finalize()
    return dst


def random_patch_store(cfg: Config, dst: str | Path | None = None, progress: bool = True) -> Path:
    """A copy of ``cfg``'s feature store with K random patches per frame instead of the motion top-K.

    Returns the new store's path (reused when already complete).
    """
    dst = Path(dst or f"{cfg.data.feature_store}_randompatches")
    if _store_ready(dst):
        return dst
    full = copy.deepcopy(cfg)
    # random patches are drawn from the stored tokens of crop 0, so the store holds one crop per frame
    apply_overrides(full, {"data.feature_store": f"{cfg.data.feature_store}_alltokens", "extract.keep_tokens": "all",
                           "extract.crops": 1})
    ensure_features(full, progress=progress)
    src = FeatureStore(full.data.feature_store)
    K, P = src.meta.top_k, src.meta.num_patches

    def choose(v: VideoFeatures) -> tuple[np.ndarray, np.ndarray]:
        tokens = src.tokens(v.video_id)  # [T, P, D]
        rng = np.random.default_rng([cfg.train.seed, zlib.crc32(v.video_id.encode())])
        idx = np.stack([rng.choice(P, K, replace=False) for _ in range(tokens.shape[0])])  # [T, K]
        return np.take_along_axis(tokens, idx[..., None], axis=1), idx  # [T, K, D], [T, K]

    return derived_patch_store(src, dst, f"random(seed={cfg.train.seed})", choose)


def oracle_slots(idx: np.ndarray, boxes: list[list[float]] | None, centres: np.ndarray) -> np.ndarray:
    """Which of a frame's K motion patches SA2's oracle attends to, as ``[K]`` slot indices.

    Args:
        idx: ``[K]`` patch indices, by decreasing motion.
        boxes: the frame's ground-truth boxes (frame pixels), or None on a normal frame.
        centres: ``[P, 2]`` patch centres in the same pixels.

    Returns:
        ``[K]`` slots: the slots whose patch centre lies in a box, repeated in turn to fill K;
        slot 0 (the highest-motion patch) K times when none does.
    """
    hit = inside(centres[idx], boxes or [])
    chosen = np.flatnonzero(hit) if hit.any() else np.zeros(1, int)
    return chosen[np.arange(len(idx)) % len(chosen)]


def oracle_patch_store(cfg: Config, dst: str | Path | None = None, progress: bool = True) -> Path:
    """A copy of ``cfg``'s feature store whose K patch slots hold only the patches SA2's oracle
    attends to (:func:`oracle_slots`, from the manifest's boxes at each snippet's sampled frame),
    so any attention over them is attention over the event's patches. An upper bound, never a
    method: it reads the ground truth of training and test videos alike.

    Returns the new store's path (reused when already complete).
    """
    dst = Path(dst or f"{cfg.data.feature_store}_oracle")
    if _store_ready(dst):
        return dst
    ensure_features(cfg, progress=progress)
    src = FeatureStore(cfg.data.feature_store)
    videos = {v.id: v for v in load_manifest(cfg.manifest()).videos}
    grid = tuple(src.meta.patch_grid)

    def choose(v: VideoFeatures) -> tuple[np.ndarray, np.ndarray]:
        entry = videos[v.video_id]
        size = tuple(entry.box_size or src.meta.frame_size)  # the boxes' coordinate frame
        centres = patch_centres(frame_patch_boxes(backbone_geometry(src, size), grid, size))  # [P, 2]
        idx, feats = np.asarray(v.patch_idx), np.asarray(v.patch_feats)
        slots = np.stack([oracle_slots(idx[t], entry.boxes.get(str(t * src.meta.snippet_len)), centres)
                          for t in range(idx.shape[0])])  # [T, K]
        return np.take_along_axis(feats, slots[..., None], axis=1), np.take_along_axis(idx, slots, axis=1)

    return derived_patch_store(src, dst, "oracle(boxes)", choose)


def variant_config(cfg: Config, change: dict[str, Any] | str, progress: bool = True) -> Config:
    """``cfg`` with one variant's change applied (building the random-patch or oracle store if needed)."""
    out = copy.deepcopy(cfg)
    if change == RANDOM:
        apply_overrides(out, {"data.feature_store": str(random_patch_store(cfg, progress=progress))})
    elif change == ORACLE:
        apply_overrides(out, {"data.feature_store": str(oracle_patch_store(cfg, progress=progress))})
    else:
        apply_overrides(out, change)
    return out


def run_ablation(cfg: Config, out_dir: str | Path, variants: list[str] | None = None, progress: bool = True,
                 log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train and evaluate each variant into ``out_dir/<variant>``; write and return the table.

    Args:
        cfg: the full model's config (its seed is every variant's seed).
        variants: a subset of :func:`variant_names` (default: :data:`DEFAULT_VARIANTS`, in table order).
    """

    wanted = variants or DEFAULT_VARIANTS
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
    terciles = test_terciles(cfg)
    add_paired_differences(rows, groups=terciles["groups"] if terciles else None)
    table = {"profile": cfg.profile, "seed": cfg.train.seed, "epochs": cfg.train.epochs,
             "feature_store": cfg.data.feature_store, "rows": rows}
    if terciles:
        table["size_terciles"] = {"edges": terciles["edges"],
                                  "videos": {k: len(v) for k, v in terciles["groups"].items()}}
    write_json(out_dir / ABLATION_FILE, table)
    return table


def test_terciles(cfg: Config) -> dict[str, Any] | None:
    """The test split's anomalous videos by event size (:func:`~stprompt_core.localize.event_size.size_terciles`),
    or None when the manifest has no boxes for them."""

    try:
        manifest = load_manifest(cfg.manifest())
    except (FileNotFoundError, ValueError):
        return None
    terciles = size_terciles(manifest, cfg.data.test_split)
    return terciles if all(terciles["groups"].values()) else None


def add_paired_differences(rows: list[dict[str, Any]], reference: str = "full",
                           groups: dict[str, list[str]] | None = None) -> None:
    """Give every row but the reference its ``minus_full``: ``AUC(variant) - AUC(full)`` with a
    paired bootstrap 95 % interval over test videos (:func:`stprompt_core.compare.paired_difference`,
    the same resamples for every variant). The test split's ground truth is read once.

    With ``groups`` (name -> anomalous video ids, e.g. size terciles), every row also gets
    ``auc_by_size`` (the group's anomalous videos with all normal videos) and every row but the
    reference ``minus_full_by_size``, the same paired difference on those videos."""

    ref = next((r for r in rows if r["variant"] == reference), None)
    if ref is None:
        return
    gt = split_ground_truth(ref["run_dir"])
    ref_scores = run_video_scores(ref["run_dir"], gt)
    for r in rows:
        scores = ref_scores if r is ref else run_video_scores(r["run_dir"], gt)
        if r is not ref:
            d = paired_difference(scores, ref_scores)
            r["minus_full"] = {k: round(d[k], 4) for k in ("diff", "low", "high", "half_width")}
            r["minus_full"]["n_videos"] = d["n_videos"]
        if not groups:
            continue
        r["auc_by_size"], by_size = {}, {}
        for name, ids in groups.items():
            keep = set(ids)
            sub = [v for v in scores if v.label == 0 or v.video_id in keep]
            sub_ref = [v for v in ref_scores if v.label == 0 or v.video_id in keep]
            d = paired_difference(sub, sub_ref)
            r["auc_by_size"][name] = round(d["auc_a"], 4)
            by_size[name] = {k: round(d[k], 4) for k in ("diff", "low", "high", "half_width")} | {
                "n_videos": d["n_videos"]}
        if r is not ref:
            r["minus_full_by_size"] = by_size


def mean_std(values: list[float | None]) -> dict[str, Any]:
    """``{"mean", "std", "n", "each"}`` of the values that are numbers (None and NaN left out)."""
    vals = [float(v) for v in values if v is not None and not np.isnan(v)]
    if not vals:
        return {"mean": None, "std": None, "n": 0}
    return {"mean": round(float(np.mean(vals)), 4), "std": round(float(np.std(vals)), 4), "n": len(vals),
            "each": [round(v, 4) for v in vals]}


def _seed_effect(each: list[dict[str, Any]]) -> dict[str, Any]:
    return {"mean": round(float(np.mean([e["diff"] for e in each])), 4),
            "std": round(float(np.std([e["diff"] for e in each])), 4),
            "each": each, "max_half_width": max(e["half_width"] for e in each)}


def summarize_seeds(tables: dict[int, dict[str, Any]], seeds: list[int]) -> dict[str, Any]:
    """The ablation tables of several training seeds as one: per variant, frame AUC, AP, false
    alarm rate and per-class AUC as :func:`mean_std`; ``minus_full`` with every seed's paired
    interval (``each``); and ``by_size``, the same per tercile of event size where the tables have it."""
    variants: dict[str, Any] = {}
    names = [r["variant"] for r in tables[seeds[0]]["rows"]]
    for name in names:
        rows = [next(r for r in tables[s]["rows"] if r["variant"] == name) for s in seeds]
        classes = sorted({c for r in rows for c in (r.get("per_class_auc") or {})})
        entry: dict[str, Any] = {
            "auc": mean_std([r["auc"] for r in rows]), "ap": mean_std([r["ap"] for r in rows]),
            "far": mean_std([r["far"] for r in rows]),
            "per_class_auc": {c: mean_std([(r.get("per_class_auc") or {}).get(c) for r in rows]) for c in classes}}
        if name != "full":
            entry["minus_full"] = _seed_effect([dict(r["minus_full"], seed=s) for s, r in zip(seeds, rows)])
        if all(r.get("auc_by_size") for r in rows):
            sizes = list(rows[0]["auc_by_size"])
            entry["by_size"] = {"auc": {t: mean_std([r["auc_by_size"][t] for r in rows]) for t in sizes}}
            if name != "full":
                entry["by_size"]["minus_full"] = {
                    t: _seed_effect([dict(r["minus_full_by_size"][t], seed=s) for s, r in zip(seeds, rows)])
                    for t in sizes}
        variants[name] = entry
    return variants


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
