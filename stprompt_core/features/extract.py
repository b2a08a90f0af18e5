"""``stprompt extract``: videos + manifest -> feature store (STPrompt's frozen-CLIP stage).

For every video of the manifest, numbered as the data flows::

    1. decode     one frame per snippet and its neighbour (worker processes)  [T, H, W, 3] x 2
    2. motion     raw frame difference pooled onto the patch grid             [T, P]
    3. select     the K highest-motion patches (SA2's selection)              [T, K]
    4. encode     projected [CLS] and patch tokens, batched across videos     [T, D], [T, P, D]
    5. write      one atomic part per video (FeatureStoreWriter)              [T, K, D] kept

With ``extract.crops`` > 1, steps 2-4 run once per view of each sampled frame
(:mod:`stprompt_core.video.views`: ten-crop as in VadCLIP's released features) for the
splits in ``extract.crop_splits``; every view's motion map, top-K selection and tokens come
from that view's own pixels, and view 0 is the centre crop.

Frames of different videos are packed into full backbone batches, so short videos cost
no more per frame than long ones. Finished videos are never recomputed: a restarted run
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
import sys
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch

from stprompt_core.backbone.encoder import FrameEncoder
from stprompt_core.classes import class_index
from stprompt_core.config import Config, ConfigError
from stprompt_core.data.manifest import Manifest, VideoEntry, load_manifest
from stprompt_core.features.motion import patch_motion
from stprompt_core.features.store import FeatureStoreError, FeatureStoreWriter, StoreMeta, VideoFeatures
from stprompt_core.io import DiskFullError, read_json, write_json
from stprompt_core.locks import exclusive
from stprompt_core.model.sa2 import select_topk_patches
from stprompt_core.video.decode import FrameChunk, VideoDecodeError, num_snippets, probe_video
from stprompt_core.video.loader import DecodeFailure, DecodeJob, decode_videos


@dataclass
class ExtractSummary:
    """What one extraction did; identical on every rank of a distributed run."""

    store: str
    extracted: list[str] = field(default_factory=list)  # video ids written by this run
    skipped: list[str] = field(default_factory=list)  # already in the store (resume)
    failed: dict[str, str] = field(default_factory=dict)  # video id -> "path: reason"
    warnings: list[str] = field(default_factory=list)
    sampled_frames: int = 0  # decoded sampled frames (one per snippet) in this run
    forwards: int = 0  # images through the backbone: sampled frames x views
    seconds: float = 0.0
    world_size: int = 1
    rank: int = 0
    splits: dict[str, int] = field(default_factory=dict)  # videos per finalized split
    frame_size: list[int] | None = None  # decoded (width, height) when all videos share it

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def frames_per_s(self) -> float:
        return self.sampled_frames / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "frames_per_s": self.frames_per_s}

    def format(self) -> str:
        lines = [f"extract: {len(self.extracted)} videos extracted, {len(self.skipped)} already in the store, "
                 f"{len(self.failed)} failed; {self.sampled_frames} sampled frames in {self.seconds:.1f} s "
                 f"({self.frames_per_s:.1f} frames/s, {self.world_size} process{'es' * (self.world_size > 1)})"
                 + (f"; {self.forwards} backbone images (multi-crop views)" if self.forwards != self.sampled_frames else "")]
        lines += [f"  failed {vid}: {why}" for vid, why in sorted(self.failed.items())]
        lines += [f"  warning: {w}" for w in self.warnings]
        splits = ", ".join(f"{k}: {v}" for k, v in sorted(self.splits.items())) or "not built"
        lines.append(f"store: {self.store} ({splits})")
        return "\n".join(lines)


def extract_features(cfg: Config, *, manifest: Manifest | None = None, video_ids: list[str] | None = None,
                     num_workers: int | None = None, precision: str = "auto", progress: bool = True,
                     finalize: bool = True, encoder: FrameEncoder | None = None) -> ExtractSummary:
    """Extract the feature store of ``cfg`` (resumable; distributed when launched so).

    Args:
        cfg: uses ``data.manifest``, ``data.data_root``, ``data.feature_store``,
            ``data.snippet_len``, ``backbone.*`` and ``extract.*``.
        manifest: use this manifest instead of reading ``cfg.data.manifest``.
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
    stride = cfg.extract.frame_stride
    if stride != cfg.data.snippet_len:
        raise ConfigError(f"extract.frame_stride={stride} differs from data.snippet_len={cfg.data.snippet_len}; "
                          f"one sampled frame represents one snippet, so set both to the same value")
    manifest = manifest if manifest is not None else load_manifest(cfg.data.manifest)
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

    dist = _Dist.setup(cfg.extract.device)
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
    parts per view, the same again for the Arrow datasets, plus full tokens where kept."""
    D, K, P = meta.embed_dim, meta.top_k, meta.num_patches
    per_snippet = 2 * D + 2 * K * D + 4 * K + 2 * P  # [CLS], K patch tokens, indices, motion
    total = 0
    for e in entries:
        if e.num_frames is None:
            continue
        T = num_snippets(e.num_frames, meta.snippet_len)
        total += 2 * T * per_snippet * meta.views_of(e.split)
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


def keeps_tokens(entry: VideoEntry, policy: str, test_split: str = "test") -> bool:
    """Whether the full patch tokens ``[T, P, D]`` of a video are stored (``extract.keep_tokens``)."""
    if policy == "all":
        return True
    if policy == "test":
        return entry.split == test_split
    if policy == "boxed_test":
        return entry.split == test_split and bool(entry.boxes)
    return False


def _extract(cfg: Config, manifest: Manifest, entries: list[VideoEntry], data_root: Path, dist: _Dist,
             encoder: FrameEncoder, num_workers: int | None, progress: bool, finalize: bool) -> ExtractSummary:
    K, P = cfg.extract.top_k_patches, encoder.num_patches
    if not 0 < K <= P:
        raise ConfigError(f"extract.top_k_patches={K} must be in [1, {P}] (patches per frame of {cfg.backbone.model_name})")
    crops = cfg.extract.crops
    if crops > 1 and cfg.extract.crop_resize and cfg.extract.crop_resize < min(encoder.input_hw):
        raise ConfigError(f"extract.crop_resize={cfg.extract.crop_resize} is smaller than the backbone input "
                          f"{encoder.input_hw}; use 0 or at least {min(encoder.input_hw)}")
    meta = StoreMeta(dataset=manifest.dataset, embed_dim=encoder.embed_dim, top_k=K,
                     patch_grid=list(encoder.patch_grid), snippet_len=cfg.extract.frame_stride,
                     backbone=encoder.describe(), crops=crops,
                     crop_resize=cfg.extract.crop_resize if crops > 1 else 0,
                     crop_splits=sorted(set(cfg.extract.crop_splits)) if crops > 1 else [])
    writer = FeatureStoreWriter(cfg.data.feature_store, meta)
    summary = ExtractSummary(store=str(cfg.data.feature_store), world_size=dist.world, rank=dist.rank)
    shard = entries[dist.rank :: dist.world]
    done = [e for e in shard if writer.has(e.split, e.id)]  # finished by an earlier run: never redone
    todo = [e for e in shard if not writer.has(e.split, e.id)]
    check_free_space(writer.root, estimate_store_bytes(meta, todo, cfg.extract))
    summary.skipped = [e.id for e in done]
    sizes = {e.id: _probe_size(data_root / e.path) for e in done}

    run = _VideoRun(cfg, encoder, writer, summary, {e.id: e for e in todo})
    workers = _auto_workers(dist) if num_workers is None else num_workers
    jobs = [DecodeJob(e.id, str(data_root / e.path)) for e in todo]
    known = [e.num_frames for e in todo]
    total = sum(num_snippets(e.num_frames, cfg.extract.frame_stride) * meta.views_of(e.split) for e in todo) \
        if None not in known else None
    start = time.perf_counter()
    with _progress_bar(total, enabled=progress and dist.rank == 0 and bool(jobs)) as bar:
        run.bar = bar
        stream = decode_videos(jobs, cfg.extract.frame_stride, cfg.extract.batch_size, workers,
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

    summary = dist.merge(summary)
    sizes = {k: v for part in dist.gather(sizes | run.sizes) for k, v in part.items()}
    if dist.rank == 0:
        _set_frame_size(writer, summary, sizes)
        if finalize:
            summary.splits = _finalize(writer, manifest, summary)
    summary = dist.broadcast(summary)
    summary.rank = dist.rank
    return summary


@dataclass
class _Piece:
    """Consecutive snippets of one video waiting for the backbone."""

    video_id: str
    start: int
    pixels: torch.Tensor  # [n, 3, h, w] preprocessed
    motion: torch.Tensor  # [n, P]
    topk: torch.Tensor  # [n, K] long
    view: int = 0  # index of the multi-crop view

    def __len__(self) -> int:
        return int(self.pixels.shape[0])

    def split(self, n: int) -> tuple[_Piece, _Piece]:
        head = _Piece(self.video_id, self.start, self.pixels[:n], self.motion[:n], self.topk[:n], self.view)
        tail = _Piece(self.video_id, self.start + n, self.pixels[n:], self.motion[n:], self.topk[n:], self.view)
        return head, tail


@dataclass
class _Partial:
    """A video whose snippets are being assembled from backbone batches."""

    entry: VideoEntry
    keep_tokens: bool
    views: int = 1
    parts: list[tuple[int, int, dict[str, np.ndarray]]] = field(default_factory=list)  # (view, start, arrays)
    received: int = 0
    num_frames: int | None = None

    def complete(self, stride: int) -> bool:
        return self.num_frames is not None and self.received == num_snippets(self.num_frames, stride) * self.views

    def arrays(self, view: int = 0) -> dict[str, np.ndarray]:
        ordered = [a for _, _, a in sorted((p for p in self.parts if p[0] == view), key=lambda p: p[1])]
        return {k: np.concatenate([a[k] for a in ordered]) for k in ordered[0]}


class _VideoRun:
    """Steps 2-5 for a stream of chunks: motion, selection, packed forwards, writes."""

    def __init__(self, cfg: Config, encoder: FrameEncoder, writer: FeatureStoreWriter, summary: ExtractSummary,
                 entries: dict[str, VideoEntry]):
        self.cfg, self.encoder, self.writer, self.summary = cfg, encoder, writer, summary
        self.entries = entries
        self.sizes: dict[str, list[int]] = {}
        self.partial: dict[str, _Partial] = {}
        self.void: set[str] = set()
        self.pending: list[_Piece] = []  # preprocessed snippets waiting for a full batch
        self.inflight: deque[tuple[Any, list]] = deque()  # batches whose outputs are on their way to the host
        self.bar = None

    def add_chunk(self, chunk: FrameChunk) -> None:
        vid = chunk.video_id
        if vid in self.void:
            return
        if vid not in self.partial:
            entry = self.entries[vid]
            keep = keeps_tokens(entry, self.cfg.extract.keep_tokens, self.cfg.data.test_split)
            self.partial[vid] = _Partial(entry, keep, self.writer.meta.views_of(entry.split))
            self.sizes[vid] = list(chunk.frame_size)
        device = self.encoder.device
        frames = chunk.frames.to(device, non_blocking=True)  # [n, H, W, 3]
        partners = chunk.partners.to(device, non_blocking=True)
        meta = self.writer.meta
        n_views = self.partial[vid].views
        for view in self.encoder.views(chunk.frame_size, meta.crops if n_views > 1 else 1, meta.crop_resize):
            motion = view.flip_grid(patch_motion(frames, partners, view.geometry, self.encoder.patch_size),
                                    self.encoder.patch_grid)  # [n, P]
            topk = select_topk_patches(motion, self.cfg.extract.top_k_patches)  # [n, K]
            self.pending.append(_Piece(vid, chunk.start, self.encoder.preprocess(frames, view), motion, topk, view.index))
        if chunk.last:
            self.partial[vid].num_frames = chunk.num_frames
        while sum(len(p) for p in self.pending) >= self.cfg.extract.batch_size:
            self._forward(self._take(self.cfg.extract.batch_size))

    def flush(self) -> None:
        """Encode what is left and wait for every output."""
        if self.pending:
            self._forward(self._take(sum(len(p) for p in self.pending)))
        self._collect(keep=0)

    def fail(self, vid: str, reason: str) -> None:
        self.void.add(vid)
        self.partial.pop(vid, None)
        self.summary.failed[vid] = reason
        _log(f"extract: skipped video {vid!r}: {reason}", self.bar)

    def unfinished(self) -> list[str]:
        return list(self.partial)

    def _take(self, n: int) -> list[_Piece]:
        batch, count = [], 0
        while count < n:
            piece = self.pending.pop(0)
            if count + len(piece) > n:
                piece, rest = piece.split(n - count)
                self.pending.insert(0, rest)
            batch.append(piece)
            count += len(piece)
        return batch

    def _forward(self, batch: list[_Piece]) -> None:
        """Encode one batch; its outputs travel to the host while the next batch runs."""
        batch = [p for p in batch if p.video_id not in self.void]
        if not batch:
            return
        out = self.encoder.encode(torch.cat([p.pixels for p in batch]))  # [B, D], [B, P, D]
        results, offset = [], 0
        for piece in batch:
            n = len(piece)
            tokens = out.tokens[offset : offset + n]  # [n, P, D]
            index = piece.topk[..., None].expand(-1, -1, tokens.shape[-1])  # [n, K, D]
            arrays = {"frame_feats": out.cls[offset : offset + n], "patch_feats": tokens.gather(1, index),
                      "patch_idx": piece.topk, "patch_motion": piece.motion}
            if piece.view == 0 and self.partial[piece.video_id].keep_tokens:
                arrays["tokens"] = tokens.half()
            # asynchronous device-to-host copies (pinned) on CUDA; no-ops on CPU
            results.append((piece.video_id, piece.view, piece.start, n,
                            {k: v.to("cpu", non_blocking=True) for k, v in arrays.items()}))
            offset += n
        event = None
        if self.encoder.device.type == "cuda":
            event = torch.cuda.Event()
            event.record()
        self.inflight.append((event, results))
        self._collect(keep=1 if event is not None else 0)

    def _collect(self, keep: int) -> None:
        """Assemble the outputs of all but the ``keep`` newest batches; write finished videos."""
        while len(self.inflight) > keep:
            event, results = self.inflight.popleft()
            if event is not None:
                event.synchronize()
            for vid, view, start, n, tensors in results:
                self.summary.forwards += n
                self.summary.sampled_frames += n if view == 0 else 0
                if vid in self.void:
                    continue
                part = self.partial[vid]
                part.parts.append((view, start, {k: v.numpy() for k, v in tensors.items()}))
                part.received += n
                if part.complete(self.cfg.extract.frame_stride):
                    self._write(self.partial.pop(vid))
            if self.bar is not None:
                self.bar.update(sum(r[3] for r in results))
                self.bar.set_postfix(videos=len(self.summary.extracted), failed=len(self.summary.failed))

    def _write(self, part: _Partial) -> None:
        e = part.entry
        n = int(part.num_frames)
        if e.num_frames is not None and e.num_frames != n:
            self.summary.warnings.append(f"{e.id}: decoded {n} frames, manifest says {e.num_frames}")
        gt = e.frame_labels(n) if e.split != "train" else np.zeros(0, np.uint8)
        dataset = self.writer.meta.dataset
        classes = np.asarray([class_index(dataset, c) for c in e.class_list()], np.int32)
        views = []
        for view in range(part.views):
            arrays = part.arrays(view)
            views.append(VideoFeatures(video_id=e.id, label=e.label, class_name=e.cls,
                                       class_index=int(classes[0]), num_frames=n,
                                       frame_feats=arrays["frame_feats"], patch_feats=arrays["patch_feats"],
                                       patch_idx=arrays["patch_idx"], patch_motion=arrays["patch_motion"],
                                       frame_gt=gt, class_set=classes))
        try:
            self.writer.add(e.split, views[0], tokens=part.arrays(0).get("tokens"), views=views[1:])
        except FeatureStoreError as exc:
            self.fail(e.id, str(exc))
            return
        self.summary.extracted.append(e.id)


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
    base = [s for s in splits if ".crop" not in s]  # view k of a split holds the same videos (store.view_split)
    stale = [f"{s}/{f.stem}" for s in base for f in (parts / s).glob("*.safetensors") if (s, f.stem) not in ids]
    if stale:
        summary.warnings.append(f"{len(stale)} videos in the store are not in the manifest (e.g. {stale[0]})")
    return writer.finalize(splits) if splits else {}


def _auto_workers(dist: _Dist) -> int:
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


@contextlib.contextmanager
def _progress_bar(total: int | None, enabled: bool) -> Iterator[Any]:
    """tqdm over sampled frames (its rate is frames/s), or None."""
    if not enabled:
        yield None
        return
    from tqdm.auto import tqdm

    with tqdm(total=total, unit="frame", desc="extract", dynamic_ncols=True, smoothing=0.1) as bar:
        yield bar


def _log(message: str, bar=None) -> None:
    if bar is not None:
        bar.write(message, file=sys.stderr)
    else:
        print(message, file=sys.stderr, flush=True)


@dataclass
class _Dist:
    """This process's place in a (possibly single-process) distributed run."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    local_world: int = 1
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    owns_group: bool = False

    @classmethod
    def setup(cls, device_name: str) -> _Dist:
        """Read ``RANK``/``WORLD_SIZE``/``LOCAL_RANK``; join the process group (gloo on CPU, nccl on CUDA)."""
        import torch.distributed as td

        env = os.environ
        world = int(env.get("WORLD_SIZE", "1"))
        rank, local_rank = int(env.get("RANK", "0")), int(env.get("LOCAL_RANK", "0"))
        local_world = int(env.get("LOCAL_WORLD_SIZE", str(world)))
        if td.is_available() and td.is_initialized():
            rank, world = td.get_rank(), td.get_world_size()
        device = _device(device_name, local_rank)
        if device.type == "cuda":
            torch.cuda.set_device(device)
        d = cls(rank, world, local_rank, local_world, device)
        if world > 1 and not td.is_initialized():
            td.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
            d.owns_group = True
        return d

    def gather(self, obj: Any) -> list[Any]:
        if self.world == 1:
            return [obj]
        import torch.distributed as td

        out: list[Any] = [None] * self.world
        td.all_gather_object(out, obj)
        return out

    def broadcast(self, obj: Any) -> Any:
        if self.world == 1:
            return obj
        import torch.distributed as td

        box = [obj]
        td.broadcast_object_list(box, src=0)
        return box[0]

    def merge(self, summary: ExtractSummary) -> ExtractSummary:
        """All ranks' summaries as one (ids sorted; time = the slowest rank)."""
        parts = self.gather(summary)
        if len(parts) == 1:
            return summary
        merged = ExtractSummary(store=summary.store, world_size=self.world, rank=self.rank)
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

    def close(self, wait: bool) -> None:
        if self.owns_group:
            import torch.distributed as td

            if wait:
                td.barrier()
            td.destroy_process_group()


def _device(name: str, local_rank: int) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError(f"extract.device={name!r} but CUDA is not available; use 'cpu' or 'auto'")
        return torch.device(name if ":" in name else f"cuda:{local_rank}")
    return torch.device(name)
