"""``stprompt extract``: videos + manifest -> feature store (STPrompt's frozen-CLIP stage).

For every video of the manifest, numbered as the data flows::

    1. decode     one frame per snippet and its neighbour (worker processes)  [T, H, W, 3] x 2
    2. motion     raw frame difference pooled onto the patch grid             [T, P]
    3. select     the K highest-motion patches (SA2's selection)              [T, K]
    4. encode     projected [CLS] and patch tokens, batched across videos     [T, D], [T, P, D]
    5. write      one atomic part per video (FeatureStoreWriter)              [T, K, D] kept

With ``extract.crops`` > 1, steps 2-4 run once per crop of each sampled frame
(:mod:`stprompt_core.video.crops`: ten-crop as in VadCLIP's released features) for the
splits in ``extract.crop_splits``; every crop's motion map, top-K selection and tokens come
from that crop's own pixels, and crop 0 is the centre crop.

This module orchestrates; one job per module below it: steps 2-5, with frames of different
videos packed into full backbone batches so short videos cost no more per frame than long
ones, are :mod:`~stprompt_core.features.packer`'s; ranks and devices are
:mod:`~stprompt_core.features.distributed`'s. Finished videos are never recomputed: a restarted run
skips every video whose part exists (``FeatureStoreWriter.has``). A video that cannot be
decoded is reported by name and skipped; the others are kept and the summary says which
failed. Under ``torchrun`` (or any launcher setting ``RANK``/``WORLD_SIZE``/``LOCAL_RANK``)
the videos are sharded round-robin over ranks; rank 0 builds the datasets at the end::

    torchrun --nproc_per_node 4 -m stprompt_core.cli extract --profile ucf_crime
    torchrun --nproc_per_node 4 --no-python stprompt extract --profile ucf_crime
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any

from stprompt_core.backbone.encoder import FrameEncoder
from stprompt_core.config import Config, ConfigError
from stprompt_core.data.manifest import Manifest, VideoEntry, load_manifest
from stprompt_core.features.distributed import Dist
from stprompt_core.features.packer import ExtractSummary, VideoRun, keeps_tokens
from stprompt_core.features.store import FeatureStoreWriter, StoreMeta
from stprompt_core.io import DiskFullError, read_json, write_json
from stprompt_core.locks import exclusive
from stprompt_core.runtime import progress_bar
from stprompt_core.video.decode import VideoDecodeError, num_snippets, probe_video
from stprompt_core.video.loader import DecodeFailure, DecodeJob, decode_videos

__all__ = ["ExtractSummary", "check_free_space", "estimate_store_bytes", "extract_features", "keeps_tokens"]


def extract_features(cfg: Config, *, manifest: Manifest | None = None, video_ids: list[str] | None = None,
                     num_workers: int | None = None, precision: str = "auto", progress: bool = True,
                     finalize: bool = True, encoder: FrameEncoder | None = None) -> ExtractSummary:
    """Extract the feature store of ``cfg`` (resumable; distributed when launched so).

    Args:
        cfg: uses ``data.manifest`` (:meth:`Config.manifest`), ``data.data_root``, ``data.feature_store``,
            ``data.snippet_len``, ``backbone.*`` and ``extract.*``.
        manifest: use this manifest instead of reading ``cfg.manifest()``.
        video_ids: extract only these videos of the manifest.
        num_workers: decoding processes per rank; ``None`` picks from the CPU count.
        precision: backbone precision (``auto``: fp16 on CUDA, bf16 on CPUs with native
            bf16, else fp32); part of the store's identity, so a store never mixes two.
        progress: show a progress bar (rank 0) with sampled frames/s.
        finalize: build the Arrow datasets at the end (rank 0).
        encoder: a loaded :class:`FrameEncoder` to reuse (on this rank's device); built
            from ``cfg.backbone`` with ``precision`` otherwise.

    Returns:
        :class:`ExtractSummary`; ``summary.ok`` is False when a video failed.

    Raises:
        ConfigError, FileNotFoundError, ManifestError, BackboneError, FeatureStoreError:
            before any video is decoded, naming the cause.
    """
    manifest = manifest if manifest is not None else load_manifest(cfg.manifest())
    if manifest.dataset != cfg.data.dataset:
        raise ConfigError(f"manifest dataset {manifest.dataset!r} differs from data.dataset={cfg.data.dataset!r}")
    data_root = cfg.data_root()
    entries = manifest.videos
    if video_ids is not None:
        known = manifest.by_id()
        missing = [v for v in video_ids if v not in known]
        if missing:
            raise ConfigError(f"video ids not in the manifest: {missing[:5]}")
        entries = [known[v] for v in video_ids]

    dist = Dist.setup(cfg.extract.device, "extract.device")
    try:
        if encoder is None:
            encoder = FrameEncoder.from_config(cfg.backbone, device=dist.device, precision=precision)
        # one extraction per store at a time: a second waits for the first (which holds the lock
        # until its datasets are built), then skips what it finished; rank 0 speaks for its run
        with exclusive(cfg.data.feature_store) if dist.rank == 0 else contextlib.nullcontext():
            summary = _extract(cfg, manifest, entries, data_root, dist, encoder, num_workers, progress, finalize)
    except BaseException:
        dist.close(wait=False)  # never wait for ranks that will not come: the launcher stops them
        raise
    dist.close(wait=True)
    return summary


def estimate_store_bytes(meta: StoreMeta, entries: list[VideoEntry], extract: Any) -> int:
    """Bytes the store will need for ``entries`` (those with a known ``num_frames``): float16
    parts per crop, the same again for the Arrow datasets, plus full tokens where kept."""
    D, K, P = meta.embed_dim, meta.top_k, meta.num_patches
    per_snippet = 2 * D + 2 * K * D + 4 * K + 2 * P  # [CLS], K patch tokens, indices, motion
    total = 0
    for e in entries:
        if e.num_frames is None:
            continue
        T = num_snippets(e.num_frames, meta.snippet_len)
        total += 2 * T * per_snippet * meta.crops_of(e.split)
        if keeps_tokens(e, extract.keep_tokens):
            total += 2 * T * P * D * 2
    return total


def check_free_space(root: Path, needed: int) -> None:
    """Stop before any work when the store's disk cannot hold ``needed`` bytes.

    Raises:
        DiskFullError: naming the folder, the bytes needed and the bytes free.
    """
    import errno
    import shutil

    probe = root if root.exists() else root.parent
    free = shutil.disk_usage(probe).free
    if needed > free:
        raise DiskFullError(errno.ENOSPC, f"extraction needs about {needed / 1e9:.2f} GB in {root} (parts and "
                            f"datasets of the videos still to extract), {free / 1e9:.2f} GB are free; free space or "
                            f"set data.feature_store to a larger disk")


def _extract(cfg: Config, manifest: Manifest, entries: list[VideoEntry], data_root: Path, dist: Dist,
             encoder: FrameEncoder, num_workers: int | None, progress: bool, finalize: bool) -> ExtractSummary:
    K, P = cfg.extract.top_k_patches, encoder.num_patches
    if not 0 < K <= P:
        raise ConfigError(f"extract.top_k_patches={K} must be in [1, {P}] (patches per frame of {cfg.backbone.model_name})")
    crops = cfg.extract.crops
    if crops > 1 and cfg.extract.crop_resize and cfg.extract.crop_resize < min(encoder.input_hw):
        raise ConfigError(f"extract.crop_resize={cfg.extract.crop_resize} is smaller than the backbone input "
                          f"{encoder.input_hw}; use 0 or at least {min(encoder.input_hw)}")
    meta = StoreMeta(dataset=manifest.dataset, embed_dim=encoder.embed_dim, top_k=K,
                     patch_grid=list(encoder.patch_grid), snippet_len=cfg.data.snippet_len,
                     backbone=encoder.describe(), crops=crops,
                     crop_resize=cfg.extract.crop_resize if crops > 1 else 0,
                     crop_resize_wh=list(cfg.extract.crop_resize_wh) if crops > 1 else [],
                     crop_splits=sorted(set(cfg.extract.crop_splits)) if crops > 1 else [])
    writer = FeatureStoreWriter(cfg.data.feature_store, meta)
    summary = ExtractSummary(store=str(cfg.data.feature_store), world_size=dist.world, rank=dist.rank)
    shard = entries[dist.rank :: dist.world]
    done = [e for e in shard if writer.has(e.split, e.id)]  # finished by an earlier run: never redone
    todo = [e for e in shard if not writer.has(e.split, e.id)]
    check_free_space(writer.root, estimate_store_bytes(meta, todo, cfg.extract))
    summary.skipped = [e.id for e in done]
    sizes = {e.id: _probe_size(data_root / e.path) for e in done}

    run = VideoRun(cfg, encoder, writer, summary, {e.id: e for e in todo})
    workers = _auto_workers(dist) if num_workers is None else num_workers
    jobs = [DecodeJob(e.id, str(data_root / e.path)) for e in todo]
    known = [e.num_frames for e in todo]
    total = sum(num_snippets(e.num_frames, cfg.data.snippet_len) * meta.crops_of(e.split) for e in todo) \
        if None not in known else None
    start = time.perf_counter()
    with progress_bar(total, "extract", "frame", progress and dist.rank == 0 and bool(jobs), smoothing=0.1) as bar:
        run.bar = bar
        stream = decode_videos(jobs, cfg.data.snippet_len, cfg.extract.batch_size, workers,
                               pin_memory=dist.device.type == "cuda")
        for item in stream:
            if isinstance(item, DecodeFailure):
                run.fail(item.video_id, f"{item.path}: {item.reason}")
            else:
                run.add_chunk(item)
        run.flush()
    summary.seconds = time.perf_counter() - start
    for vid in run.unfinished():
        run.fail(vid, "decoding ended before all snippets arrived")

    summary = _merge(dist, summary)
    sizes = {k: v for part in dist.gather(sizes | run.sizes) for k, v in part.items()}
    if dist.rank == 0:
        _set_frame_size(writer, summary, sizes)
        if finalize:
            summary.splits = _finalize(writer, manifest, summary)
    summary = dist.broadcast(summary)
    summary.rank = dist.rank
    return summary


def _probe_size(path: Path) -> list[int] | None:
    try:
        return list(probe_video(path).frame_size)
    except VideoDecodeError:
        return None


def _set_frame_size(writer: FeatureStoreWriter, summary: ExtractSummary,
                    sizes: dict[str, list[int] | None]) -> None:
    """Record the decoded frame size in ``store.json`` when all videos share one."""
    distinct = {tuple(s) for s in sizes.values() if s}
    if len(distinct) == 1:
        summary.frame_size = list(distinct.pop())
    elif distinct:
        summary.warnings.append(f"videos have {len(distinct)} frame sizes; store.json frame_size left empty")
    meta_path = writer.root / "store.json"
    raw = read_json(meta_path)
    if summary.frame_size and raw.get("frame_size") != summary.frame_size:
        raw["frame_size"] = summary.frame_size
        write_json(meta_path, raw)
        writer.meta.frame_size = summary.frame_size


def _finalize(writer: FeatureStoreWriter, manifest: Manifest, summary: ExtractSummary) -> dict[str, int]:
    parts = writer.root / "parts"
    splits = sorted(p.name for p in parts.iterdir() if p.is_dir() and p.name != "tokens"
                    and any(p.glob("*.safetensors"))) if parts.exists() else []
    ids = {(e.split, e.id) for e in manifest.videos}
    base = [s for s in splits if ".crop" not in s]  # crop k of a split holds the same videos (store.crop_split)
    stale = [f"{s}/{f.stem}" for s in base for f in (parts / s).glob("*.safetensors") if (s, f.stem) not in ids]
    if stale:
        summary.warnings.append(f"{len(stale)} videos in the store are not in the manifest (e.g. {stale[0]})")
    return writer.finalize(splits) if splits else {}


def _auto_workers(dist: Dist) -> int:
    """Decoding processes per rank.

    GPU: every spare core decodes. CPU: none; decoding runs between forwards, because a
    worker process would take cores from the forward's threads (measured: no faster for
    ViT-B/16 on 2 cores, and decoding is ~4% of its CPU time). Small CPU models are
    decode-bound either way; ``--workers N`` overrides.
    """
    if dist.device.type != "cuda":
        return 0
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cpus // dist.local_world - 1)


def _merge(dist: Dist, summary: ExtractSummary) -> ExtractSummary:
    """All ranks' summaries as one (ids sorted; time = the slowest rank)."""
    parts = dist.gather(summary)
    if len(parts) == 1:
        return summary
    merged = ExtractSummary(store=summary.store, world_size=dist.world, rank=dist.rank)
    for s in parts:
        merged.extracted += s.extracted
        merged.skipped += s.skipped
        merged.failed.update(s.failed)
        merged.warnings += s.warnings
        merged.sampled_frames += s.sampled_frames
        merged.forwards += s.forwards
        merged.seconds = max(merged.seconds, s.seconds)
    merged.extracted.sort()
    merged.skipped.sort()
    return merged
