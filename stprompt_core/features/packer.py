"""Steps 2-5 of extraction for a stream of decoded chunks: the batch packer.

Each chunk (consecutive sampled frames of one video, with their motion partners) becomes
one :class:`_Piece` per crop (multi-crop extraction): motion on the patch grid ``[n, P]``, SA2's top-K
selection ``[n, K]`` and the preprocessed pixels. Pieces of different videos are packed
into full backbone batches of ``extract.batch_size`` images (a piece is split across two
batches when it does not fit), so short videos cost no more per frame than long ones. On
CUDA a batch's outputs travel to the host while the next batch runs. Each video is
assembled from its pieces (:class:`_Partial`) and written to the store as one part once
all its snippets and crops have arrived. What happened is recorded in an
:class:`ExtractSummary`.
"""

from __future__ import annotations

import sys
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from stprompt_core.backbone.encoder import FrameEncoder
from stprompt_core.classes import class_index
from stprompt_core.config import Config
from stprompt_core.data.manifest import VideoEntry
from stprompt_core.features.motion import patch_motion
from stprompt_core.features.store import FeatureStoreError, FeatureStoreWriter, VideoFeatures
from stprompt_core.model.sa2 import select_topk_patches
from stprompt_core.video.decode import FrameChunk, num_snippets


@dataclass
class ExtractSummary:
    """What one extraction did; identical on every rank of a distributed run."""

    store: str
    extracted: list[str] = field(default_factory=list)  # video ids written by this run
    skipped: list[str] = field(default_factory=list)  # already in the store (resume)
    failed: dict[str, str] = field(default_factory=dict)  # video id -> "path: reason"
    warnings: list[str] = field(default_factory=list)
    sampled_frames: int = 0  # decoded sampled frames (one per snippet) in this run
    forwards: int = 0  # images through the backbone: sampled frames x crops
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
                 + (f"; {self.forwards} backbone images (multi-crop)" if self.forwards != self.sampled_frames else "")]
        lines += [f"  failed {vid}: {why}" for vid, why in sorted(self.failed.items())]
        lines += [f"  warning: {w}" for w in self.warnings]
        splits = ", ".join(f"{k}: {v}" for k, v in sorted(self.splits.items())) or "not built"
        lines.append(f"store: {self.store} ({splits})")
        return "\n".join(lines)


def keeps_tokens(entry: VideoEntry, policy: str, test_split: str = "test") -> bool:
    """Whether the full patch tokens ``[T, P, D]`` of a video are stored (``extract.keep_tokens``)."""
    if policy == "all":
        return True
    if policy == "test":
        return entry.split == test_split
    if policy == "boxed_test":
        return entry.split == test_split and bool(entry.boxes)
    return False


@dataclass
class _Piece:
    """Consecutive snippets of one video waiting for the backbone."""

    video_id: str
    start: int
    pixels: torch.Tensor  # [n, 3, h, w] preprocessed
    motion: torch.Tensor  # [n, P]
    topk: torch.Tensor  # [n, K] long
    crop: int = 0  # index of the crop (multi-crop extraction)

    def __len__(self) -> int:
        return int(self.pixels.shape[0])

    def split(self, n: int) -> tuple[_Piece, _Piece]:
        head = _Piece(self.video_id, self.start, self.pixels[:n], self.motion[:n], self.topk[:n], self.crop)
        tail = _Piece(self.video_id, self.start + n, self.pixels[n:], self.motion[n:], self.topk[n:], self.crop)
        return head, tail


@dataclass
class _Partial:
    """A video whose snippets are being assembled from backbone batches."""

    entry: VideoEntry
    keep_tokens: bool
    crops: int = 1
    parts: list[tuple[int, int, dict[str, np.ndarray]]] = field(default_factory=list)  # (crop, start, arrays)
    received: int = 0
    num_frames: int | None = None

    def complete(self, stride: int) -> bool:
        return self.num_frames is not None and self.received == num_snippets(self.num_frames, stride) * self.crops

    def arrays(self, crop: int = 0) -> dict[str, np.ndarray]:
        ordered = [a for _, _, a in sorted((p for p in self.parts if p[0] == crop), key=lambda p: p[1])]
        return {k: np.concatenate([a[k] for a in ordered]) for k in ordered[0]}


class VideoRun:
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
            self.partial[vid] = _Partial(entry, keep, self.writer.meta.crops_of(entry.split))
            self.sizes[vid] = list(chunk.frame_size)
        device = self.encoder.device
        frames = chunk.frames.to(device, non_blocking=True)  # [n, H, W, 3]
        partners = chunk.partners.to(device, non_blocking=True)
        meta = self.writer.meta
        n_crops = self.partial[vid].crops
        resize = meta.crop_resize_wh or meta.crop_resize
        for crop in self.encoder.crops(chunk.frame_size, meta.crops if n_crops > 1 else 1, resize):
            motion = crop.flip_grid(patch_motion(frames, partners, crop.geometry, self.encoder.patch_size),
                                    self.encoder.patch_grid)  # [n, P]
            topk = select_topk_patches(motion, self.cfg.extract.top_k_patches)  # [n, K]
            self.pending.append(_Piece(vid, chunk.start, self.encoder.preprocess(frames, crop), motion, topk, crop.index))
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
        log(f"extract: skipped video {vid!r}: {reason}", self.bar)

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
            if piece.crop == 0 and self.partial[piece.video_id].keep_tokens:
                arrays["tokens"] = tokens.half()
            # asynchronous device-to-host copies (pinned) on CUDA; no-ops on CPU
            results.append((piece.video_id, piece.crop, piece.start, n,
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
            for vid, crop, start, n, tensors in results:
                self.summary.forwards += n
                self.summary.sampled_frames += n if crop == 0 else 0
                if vid in self.void:
                    continue
                part = self.partial[vid]
                part.parts.append((crop, start, {k: v.numpy() for k, v in tensors.items()}))
                part.received += n
                if part.complete(self.cfg.data.snippet_len):
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
        crops = []
        for crop in range(part.crops):
            arrays = part.arrays(crop)
            crops.append(VideoFeatures(video_id=e.id, label=e.label, class_name=e.cls,
                                       class_index=int(classes[0]), num_frames=n,
                                       frame_feats=arrays["frame_feats"], patch_feats=arrays["patch_feats"],
                                       patch_idx=arrays["patch_idx"], patch_motion=arrays["patch_motion"],
                                       frame_gt=gt, class_set=classes))
        try:
            self.writer.add(e.split, crops[0], tokens=part.arrays(0).get("tokens"), crops=crops[1:])
        except FeatureStoreError as exc:
            self.fail(e.id, str(exc))
            return
        self.summary.extracted.append(e.id)


def log(message: str, bar=None) -> None:
    if bar is not None:
        bar.write(message, file=sys.stderr)
    else:
        print(message, file=sys.stderr, flush=True)
