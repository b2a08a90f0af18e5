"""``localize(run_dir)``: boxes and TIoU for the test videos that carry ground-truth boxes.

Inputs, all from the run dir and what it names:

- ``config.json`` (the run's config): dataset, feature store, manifest, backbone;
- ``scores.json`` (written by ``stprompt evaluate``): temporal snippet scores per video;
- the feature store's full patch tokens ``[T, P, D]`` of the boxed test videos
  (``extract.keep_tokens`` = ``boxed_test``), or, with ``dense`` or a ``window`` other than
  ``stored`` (:mod:`~stprompt_core.localize.windows`), the videos themselves, re-encoded;
- the manifest's boxes ``{frame: [[x1, y1, x2, y2]]}`` in ``box_size`` coordinates (taken
  as decoded-frame coordinates when ``box_size`` is null), frame size from the store's
  ``frame_size`` (or the ``frame_size`` argument);
- a prompt bank (the dataset's curated bank by default).

For every annotated frame ``f`` of a boxed test video: the snippet ``t = f // snippet_len``
(whose sampled frame is ``t * snippet_len``) gives the patch maps of its ``V`` windows
(:mod:`~stprompt_core.localize.retrieval`) and the temporal score; the boxes of their
stitched heatmap are compared with the ground truth scaled to the decoded frame size
(:mod:`~stprompt_core.localize.tiou`).

Writes into the run dir:

- ``localization.json``: ``tiou``, ``mean_iou`` (the same frames, temporal gate ignored),
  ``threshold``, ``n_frames``, ``n_passed``, ``per_class`` ({label: tiou, mean_iou,
  n_frames, ...}), the settings, the bank's provenance, prompt counts, and throughput;
  ``iou_ceiling`` and ``tiou_ceiling``: the same two figures for the best map the patch
  grid allows (:mod:`~stprompt_core.localize.ceiling`, over the cells of the
  ``localize.window`` windows), what the temporal scores and the grid leave reachable;
  ``pointing`` (the localizer's own: its map's top patch inside the ground truth) with
  ``pointing_chance``, and ``baselines``: TIoU and mean IoU of the prompt-free boxes
  (:mod:`~stprompt_core.localize.baselines`) on the same frames under the same gate, each with
  ``method_minus``, the paired interval over videos of TIoU(method) - TIoU(baseline), and
  ``best_baseline``; overall and per class;
- ``localization_frames.json``: one record per annotated frame (score, boxes, IoU);
- ``localization_maps.safetensors`` (:mod:`~stprompt_core.localize.maps`): the patch maps
  ``[T, V, rows, cols]`` of every snippet, the scores, and the windows' geometry.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch

from stprompt_core.backbone.clip import load_clip
from stprompt_core.backbone.encoder import FrameEncoder
from stprompt_core.config import Config, LocalizeConfig, config_from_dict, localize_settings
from stprompt_core.data.manifest import VideoEntry, load_manifest
from stprompt_core.features.store import FeatureStore, FeatureStoreError
from stprompt_core.io import read_json, write_json
from stprompt_core.localize.baselines import BASELINES, paired_tiou_difference, pointing, prompt_free_boxes
from stprompt_core.localize.ceiling import grid_iou_ceiling
from stprompt_core.localize.maps import MAPS_FILE, LocalizationMaps, load_maps, save_maps
from stprompt_core.localize.retrieval import frame_cells, frame_patch_boxes, map_boxes, patch_anomaly_probs
from stprompt_core.localize.tiou import region_iou, scale_boxes, tiou
from stprompt_core.localize.windows import encode_windows, window_geometries
from stprompt_core.prompts.bank import PromptBank, resolve_bank
from stprompt_core.prompts.queries import LocalizationQueries, encode_texts, settings_queries
from stprompt_core.runtime import resolve_device
from stprompt_core.video.decode import VideoDecodeError, decode_snippet_frames
from stprompt_core.video.geometry import FrameGeometry, frame_geometry

TokenSource = Callable[[VideoEntry], np.ndarray]  # video -> [T, V, P, D]


class LocalizationError(ValueError):
    """Localization cannot run on these inputs; the message names the file, video or field."""


RESULT_FILE = "localization.json"
BOX_SETTINGS = ("map_normalize", "map_threshold", "box_mode", "min_area")  # what turns a map into boxes


@dataclass
class LocalizationContext:
    """What every localization of one run shares (loaded once; the prompt study reuses it)."""

    run_dir: Path
    cfg: Config
    store: FeatureStore
    videos: list[VideoEntry]  # test videos with boxes
    scores: dict[str, dict[str, Any]]  # scores.json
    model: torch.nn.Module  # frozen open_clip model (text tower used; visual for localize.dense)
    frame_size: tuple[int, int]  # decoded (width, height)
    geometry: FrameGeometry | None  # backbone crop/resize of the frame; None = whole frame
    split: str
    # keep re-encoded tokens (dense / windows other than "stored") for later calls on this context, float16:
    # T * V * P * D * 2 bytes a video (100 MB for 250 snippets, two ViT-B/16 tiles)
    cache_tokens: bool = True
    _tokens: dict[tuple, np.ndarray] = field(default_factory=dict)
    _encoder: Any = None
    _ceilings: dict[tuple, dict[tuple[str, int], float]] = field(default_factory=dict)  # (grid, windows) -> grid_ceilings()
    _prompt_free: dict[tuple[str, int], dict[str, float]] | None = None  # prompt_free_ious()

    def encoder(self):
        """The backbone's :class:`~stprompt_core.backbone.encoder.FrameEncoder` for re-encoding
        frames: ``extract.device``, precision ``auto`` (as extraction)."""
        if self._encoder is None:
            self._encoder = FrameEncoder(self.model, device=resolve_device(self.cfg.extract.device, "extract.device"))
        return self._encoder

    def windows(self, s: LocalizeConfig) -> list[FrameGeometry | None]:
        """The frame windows of ``s.window`` (:mod:`~stprompt_core.localize.windows`); ``stored``
        is the store's recorded geometry."""
        if s.window == "stored" and not s.dense:
            return [self.geometry]
        enc = self.encoder()
        return window_geometries(s.window, self.frame_size, enc.input_hw, enc.resize_mode, s.n_tiles)


@dataclass
class FrameRecord:
    video_id: str
    class_name: str
    frame: int
    snippet: int
    score: float
    iou: float
    pred_boxes: list[list[float]]
    gt_boxes: list[list[float]]
    iou_ceiling: float = float("nan")  # best IoU any union of patches reaches on this frame
    pointing: float = float("nan")  # share of the map's top-tied patches inside the ground truth (baselines.pointing)
    chance: float = float("nan")  # share of all the view's patches inside it
    ties: int = 0  # patches tied at the map's maximum
    baselines: dict[str, float] = field(default_factory=dict)  # IoU of each prompt-free box (baselines.BASELINES)


def load_context(run_dir: str | Path, split: str = "", frame_size: tuple[int, int] | None = None,
                 cache_tokens: bool = True) -> LocalizationContext:
    """Read the run's config, scores, store and manifest and load the backbone.

    ``cache_tokens``: keep re-encoded tokens for later calls on the context (the prompt
    study reuses them; see :class:`LocalizationContext`).

    Raises:
        FileNotFoundError: no config.json / scores.json / manifest (names the file and the
            command that writes it).
        LocalizationError: no boxed videos in the split, a boxed video without scores, or
            an unknown frame size.
    """
    run_dir = Path(run_dir)
    if not (run_dir / "config.json").exists():
        raise FileNotFoundError(f"no config.json in run dir {run_dir}; train first (`stprompt train`)")
    cfg = config_from_dict(read_json(run_dir / "config.json"))
    scores_path = run_dir / "scores.json"
    if not scores_path.exists():
        raise FileNotFoundError(f"no scores.json in run dir {run_dir}; run `stprompt evaluate --run-dir {run_dir}`")
    scores = read_json(scores_path)
    split = split or cfg.data.test_split
    store = FeatureStore(cfg.data.feature_store)
    manifest = load_manifest(cfg.manifest())
    videos = [v for v in manifest.split(split) if v.boxes and any(v.boxes.values())]
    if not videos:
        raise LocalizationError(f"manifest {cfg.manifest()}: no {split!r} video has boxes; nothing to localize")
    missing = [v.id for v in videos if v.id not in scores]
    if missing:
        raise LocalizationError(f"{scores_path}: no temporal scores for boxed videos {missing[:5]} "
                                f"(evaluate the {split!r} split)")
    size = tuple(frame_size) if frame_size else (tuple(store.meta.frame_size) if store.meta.frame_size else None)
    if size is None:
        raise LocalizationError(f"feature store {store.root}: store.json has no frame_size (videos of several "
                                f"sizes?); pass frame_size=(width, height)")
    model = load_clip(cfg.backbone)
    return LocalizationContext(run_dir, cfg, store, videos, scores, model, (int(size[0]), int(size[1])),
                               backbone_geometry(store, size), split, cache_tokens)


def backbone_geometry(store: FeatureStore, frame_size: tuple[int, int]) -> FrameGeometry | None:
    """The crop/resize the backbone applied, from the store's backbone record (None if unrecorded)."""
    info = store.meta.backbone or {}
    if "input_size" not in info:
        return None
    return frame_geometry(tuple(frame_size), tuple(info["input_size"]), info.get("resize_mode", "shortest"))


def localize(run_dir: str | Path, bank: str | Path | PromptBank | None = None, *,
             settings: LocalizeConfig | None = None, overrides: Mapping[str, Any] | list[str] | None = None,
             frame_size: tuple[int, int] | None = None, write: bool = True,
             context: LocalizationContext | None = None) -> dict[str, Any]:
    """Localize the boxed test videos of a run; returns (and writes) ``localization.json``'s content.

    Args:
        run_dir: a run folder with ``config.json`` and ``scores.json``.
        bank: a bank path or object; default ``settings.bank``, else the curated bank.
        settings: the ``localize`` settings (:class:`LocalizeConfig`); default the run's own.
        overrides: settings to replace, checked as ``stprompt localize --set`` checks them
            (:func:`~stprompt_core.config.localize_settings`): ``{"score_threshold": 0.3}``
            (the temporal threshold of TIoU), ``{"dense": True}`` (recompute the last block
            from the videos), ``{"window": "tiles"}`` (:mod:`~stprompt_core.localize.windows`).
        frame_size: decoded ``(width, height)`` when the store does not record it.
        write: write the three output files into the run dir.
        context: a loaded :class:`LocalizationContext` to reuse.

    Raises:
        ConfigError: an unknown setting or a bad value (named), in ``settings`` or ``overrides``.
    """
    if settings is None:  # the run's own config (its profile's localize section)
        cfg_path = Path(run_dir) / "config.json"
        if not cfg_path.exists():
            raise FileNotFoundError(f"no config.json in run dir {run_dir}; train first (`stprompt train`)")
        settings = config_from_dict(read_json(cfg_path)).localize
    s = localize_settings(settings, overrides, source="localize")
    ctx = context or load_context(run_dir, s.split, frame_size, cache_tokens=False)
    bank_obj, bank_label = resolve_bank(bank if bank is not None else (s.bank or None), ctx.cfg.data.dataset)
    result, records, maps = evaluate_queries(ctx, settings_queries(bank_obj, s), s)
    result.update({"bank": bank_label, "bank_provenance": bank_obj.provenance})
    if write:
        write_localization(ctx, s, result, records, maps if s.save_maps else None)
    return result


def evaluate_queries(ctx: LocalizationContext, queries: LocalizationQueries, s: LocalizeConfig
                     ) -> tuple[dict[str, Any], list[FrameRecord], dict[str, np.ndarray]]:
    """Maps, boxes and TIoU of every annotated frame for one set of localization queries."""
    text = encode_texts(ctx.model, ctx.cfg.backbone.model_name, queries.texts)  # [N, D]
    D = ctx.store.meta.embed_dim
    if text.shape[1] != D:
        raise LocalizationError(f"text embeddings have {text.shape[1]} dims, the store's patch tokens {D}: the run's "
                                f"backbone ({ctx.cfg.backbone.model_name}) is not the one that extracted the store")
    windows = ctx.windows(s)
    source = _store_source(ctx) if s.window == "stored" and not s.dense else _reencoded_source(ctx, s, windows)
    rows, cols = ctx.store.meta.patch_grid
    V = len(windows)
    snippet_len = ctx.store.meta.snippet_len
    records: list[FrameRecord] = []
    maps: dict[str, np.ndarray] = {}
    t0 = time.perf_counter()
    cells = [frame_patch_boxes(g, (rows, cols), ctx.frame_size) for g in windows]  # V x [P, 4] frame pixels
    patches = np.concatenate(cells)  # [V * P, 4]
    for entry in ctx.videos:
        tokens = source(entry)  # [T, V, P, D]
        snippet_scores = np.asarray(ctx.scores[entry.id]["snippet_scores"], np.float64)  # [T]
        T = tokens.shape[0]
        if snippet_scores.shape[0] != T:
            raise LocalizationError(f"video {entry.id!r}: {T} snippets of patch tokens but {snippet_scores.shape[0]} "
                                    f"temporal scores (scores.json and the store disagree)")
        probs = patch_anomaly_probs(tokens.reshape(T * V, -1, D), text, queries.abnormal, s.temperature,
                                    s.balance_groups).reshape(T, V, rows, cols)
        maps[entry.id] = probs.numpy()
        frames = sorted((int(f), b) for f, b in entry.boxes.items() if b)
        snippets = [min(f // snippet_len, T - 1) for f, _ in frames]
        _, predicted = map_boxes(probs[snippets], ctx.frame_size, windows, s)  # boxes of the n annotated frames
        box_size = entry.box_size or list(ctx.frame_size)
        for (f, gt), t, pred in zip(frames, snippets, predicted):
            gt_scaled = scale_boxes(gt, box_size, ctx.frame_size)
            point, chance, ties = pointing(probs[t].reshape(-1).numpy(), patches, gt_scaled)
            records.append(FrameRecord(entry.id, entry.cls, f, t, float(snippet_scores[t]),
                                       region_iou(pred, gt_scaled), pred, gt_scaled.round(2).tolist(),
                                       pointing=point, chance=chance, ties=ties))
    seconds = time.perf_counter() - t0
    ceilings = grid_ceilings(ctx, windows=windows)  # the queries do not change them: once per context, not timed
    free = prompt_free_ious(ctx)  # nor the prompt-free boxes
    for r in records:
        r.iou_ceiling = ceilings[(r.video_id, r.frame)]
        r.baselines = free[(r.video_id, r.frame)]
    result = summarize(records, s, queries, seconds, len(ctx.videos), ctx.split)
    result["windows"] = len(windows)
    return result, records, maps


def prompt_free_ious(ctx: LocalizationContext) -> dict[tuple[str, int], dict[str, float]]:
    """``{(video_id, frame): {baseline: IoU}}`` of the prompt-free boxes
    (:func:`~stprompt_core.localize.baselines.prompt_free_boxes`, on the store's patch grid and
    motion) for every annotated frame. Computed once per context."""
    if ctx._prompt_free is None:
        cells = frame_patch_boxes(ctx.geometry, tuple(ctx.store.meta.patch_grid), ctx.frame_size)  # [P, 4]
        snippet_len = ctx.store.meta.snippet_len
        boxed = {v.id: v for v in ctx.videos}
        ctx._prompt_free = {}
        for v in ctx.store.videos(ctx.split):
            entry = boxed.get(v.video_id)
            if entry is None:
                continue
            motion = np.asarray(v.patch_motion, np.float64)  # [T, P]
            for f, gt in entry.boxes.items():
                if not gt:
                    continue
                t = min(int(f) // snippet_len, motion.shape[0] - 1)
                gt_scaled = scale_boxes(gt, entry.box_size or list(ctx.frame_size), ctx.frame_size)
                free = prompt_free_boxes(cells, motion[t], entry.id, int(f))
                ctx._prompt_free[(entry.id, int(f))] = {k: region_iou([b], gt_scaled) for k, b in free.items()}
    return ctx._prompt_free


def grid_ceilings(ctx: LocalizationContext, grid: tuple[int, int] | None = None,
                  windows: list[FrameGeometry | None] | None = None) -> dict[tuple[str, int], float]:
    """``{(video_id, frame): best IoU a union of patches reaches}`` for every annotated frame
    (:mod:`~stprompt_core.localize.ceiling`), for the store's patch grid or another
    ``(rows, cols)`` grid over the same backbone input, in the given frame ``windows``
    (default: the store's; several: over the cells of their patches,
    :func:`~stprompt_core.localize.retrieval.frame_cells`). Computed once per context."""
    grid = tuple(grid or ctx.store.meta.patch_grid)
    windows = list(windows) if windows is not None else [ctx.geometry]
    key = (grid, tuple(windows))
    if key not in ctx._ceilings:
        patches = frame_cells(windows, grid, ctx.frame_size)  # [C, 4] frame pixels
        ctx._ceilings[key] = {
            (entry.id, int(f)): grid_iou_ceiling(scale_boxes(gt, entry.box_size or list(ctx.frame_size), ctx.frame_size),
                                                 patches)
            for entry in ctx.videos for f, gt in entry.boxes.items() if gt}
    return ctx._ceilings[key]


def summarize(records: list[FrameRecord], s: LocalizeConfig, queries: LocalizationQueries, seconds: float, n_videos: int,
              split: str) -> dict[str, Any]:
    """``localization.json`` content from per-frame records."""
    def figures(sub: list[FrameRecord]) -> dict[str, Any]:
        scores = [r.score for r in sub]
        ious, best = [r.iou for r in sub], [r.iou_ceiling for r in sub]
        out: dict[str, Any] = {"tiou": tiou(ious, scores, s.score_threshold),
                               "mean_iou": float(np.mean(ious)) if sub else float("nan"),
                               "tiou_ceiling": tiou(best, scores, s.score_threshold),
                               "iou_ceiling": float(np.mean(best)) if sub else float("nan")}
        if sub and sub[0].baselines:
            out["pointing"] = float(np.mean([r.pointing for r in sub]))
            out["pointing_chance"] = float(np.mean([r.chance for r in sub]))
            out["baselines"] = {k: {"tiou": tiou([r.baselines[k] for r in sub], scores, s.score_threshold),
                                    "mean_iou": float(np.mean([r.baselines[k] for r in sub]))} for k in BASELINES}
        return out

    scores = [r.score for r in records]
    per_class: dict[str, dict[str, Any]] = {}
    for label in sorted({r.class_name for r in records}):
        sub = [r for r in records if r.class_name == label]
        per_class[label] = {**figures(sub), "n_frames": len(sub)}
    overall = figures(records)
    if "baselines" in overall:  # TIoU(method) - TIoU(baseline), paired over videos, and the best baseline
        ids, passed = [r.video_id for r in records], [r.score >= s.score_threshold for r in records]
        for k, b in overall["baselines"].items():
            d = paired_tiou_difference(ids, [r.iou for r in records], [r.baselines[k] for r in records], passed)
            b["method_minus"] = {key: round(v, 4) if isinstance(v, float) else v for key, v in d.items()}
        overall["best_baseline"] = max(overall["baselines"], key=lambda k: overall["baselines"][k]["tiou"])
        overall["median_ties"] = float(np.median([r.ties for r in records]))
    return {
        **overall,
        "threshold": s.score_threshold,
        "n_frames": len(records),
        "n_passed": int(sum(sc >= s.score_threshold for sc in scores)),
        "n_videos": n_videos,
        "split": split,
        "per_class": per_class,
        "prompts": {"n_normal": queries.n_normal, "n_abnormal": queries.n_abnormal},  # key as stored
        "settings": dataclasses.asdict(s),
        "timing": {"frames": len(records), "seconds": round(seconds, 4),
                   "frames_per_s": round(len(records) / seconds, 1) if seconds > 0 else None},
    }


def load_localized(run_dir: str | Path) -> LocalizationMaps:
    """The maps a localization of ``run_dir`` saved, with the settings it boxed them with
    (from ``localization.json``), so :meth:`LocalizationMaps.boxed` gives its boxes."""
    run_dir = Path(run_dir)
    saved = load_maps(run_dir / MAPS_FILE)
    recorded = read_json(run_dir / RESULT_FILE)["settings"]
    saved.settings = dataclasses.replace(LocalizeConfig(), **{k: recorded[k] for k in BOX_SETTINGS})
    return saved


def write_localization(ctx: LocalizationContext, s: LocalizeConfig, result: dict[str, Any], records: list[FrameRecord],
                       maps: dict[str, np.ndarray] | None) -> None:
    """``localization.json``, ``localization_frames.json`` and (``maps`` given) the maps file."""
    write_json(ctx.run_dir / RESULT_FILE, result)
    write_json(ctx.run_dir / "localization_frames.json", [dataclasses.asdict(r) for r in records])
    if maps is None:
        return
    save_maps(ctx.run_dir / MAPS_FILE, maps, {vid: ctx.scores[vid]["snippet_scores"] for vid in maps},
              frame_size=ctx.frame_size, snippet_len=ctx.store.meta.snippet_len,
              patch_grid=tuple(ctx.store.meta.patch_grid), geometries=ctx.windows(s), window=s.window,
              extra={"temperature": s.temperature, "balance_groups": s.balance_groups})


def _store_source(ctx: LocalizationContext) -> TokenSource:
    def tokens(entry: VideoEntry) -> np.ndarray:
        try:
            return ctx.store.tokens(entry.id)[:, None]  # [T, 1, P, D]
        except FeatureStoreError as exc:
            raise LocalizationError(f"video {entry.id!r} has boxes but no patch tokens in the store ({exc}); "
                                    f"re-extract with extract.keep_tokens=boxed_test") from None

    return tokens


def _reencoded_source(ctx: LocalizationContext, s: LocalizeConfig, windows: list[FrameGeometry]) -> TokenSource:
    """Tokens ``[T, V, P, D]`` of the ``windows`` of re-decoded sampled frames, with the last
    block recomputed when ``s.dense`` (kept per context when ``ctx.cache_tokens``)."""
    root = ctx.cfg.data_root()
    why = "localize.dense" if s.dense else f"localize.window={s.window!r}"
    attention = s.dense_attention if s.dense else None
    batch = ctx.cfg.extract.batch_size

    def tokens(entry: VideoEntry) -> np.ndarray:
        key = (entry.id, tuple(windows), attention)
        if key in ctx._tokens:
            return ctx._tokens[key]
        try:
            chunk = decode_snippet_frames(root / entry.path, ctx.store.meta.snippet_len, entry.id)
        except VideoDecodeError as exc:
            raise LocalizationError(f"{why} re-encodes frames, but video {entry.id!r} cannot be decoded: "
                                    f"{exc}") from None
        if tuple(chunk.frame_size) != ctx.frame_size:
            raise LocalizationError(f"video {entry.id!r} decodes at {chunk.frame_size}, the store's frame size is "
                                    f"{ctx.frame_size}")
        out = np.concatenate([encode_windows(ctx.encoder(), chunk.frames[i : i + batch], windows, attention).half()
                              .numpy() for i in range(0, len(chunk), batch)])  # [T, V, P, D]
        if ctx.cache_tokens:
            ctx._tokens[key] = out
        return out

    return tokens
