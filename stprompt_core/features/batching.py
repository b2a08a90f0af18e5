"""From stored videos to padded tensors: length fitting, chunking, collation.

Training fits each video to at most ``max_len`` snippets (average pooling over uniform
segments as VadCLIP does, or uniform sampling); evaluation instead cuts long videos into
consecutive chunks of ``max_len`` so every snippet is scored.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import torch

from stprompt_core.features.store import VideoFeatures


@dataclass
class Sequence:
    """One (possibly fitted or chunked) sequence of a video; arrays float32."""

    video_id: str
    label: int
    class_index: int
    frame: np.ndarray  # [T, D]
    patches: np.ndarray  # [T, K, D]
    motion: np.ndarray  # [T, K] motion of the selected patches
    classes: tuple[int, ...] = ()  # all class indices of the video, first = class_index; () = (class_index,)

    @property
    def class_set(self) -> list[int]:
        return list(self.classes) if self.classes else [self.class_index]


@dataclass
class Batch:
    video_ids: list[str]
    frame: torch.Tensor  # [B, T, D]
    patches: torch.Tensor  # [B, T, K, D]
    motion: torch.Tensor  # [B, T, K]
    mask: torch.Tensor  # [B, T] bool
    label: torch.Tensor  # [B] long
    class_index: torch.Tensor  # [B] long
    class_sets: list[list[int]] = field(default_factory=list)  # per video, all class indices

    def to(self, device: torch.device | str) -> "Batch":
        return Batch(self.video_ids, self.frame.to(device), self.patches.to(device), self.motion.to(device),
                     self.mask.to(device), self.label.to(device), self.class_index.to(device), self.class_sets)


def selected_motion(video: VideoFeatures) -> np.ndarray:
    """Motion of the stored top-K patches, ``[T, K]``."""
    return np.take_along_axis(np.asarray(video.patch_motion, np.float32), np.asarray(video.patch_idx), axis=1)


def to_sequence(video: VideoFeatures) -> Sequence:
    return Sequence(video.video_id, int(video.label), int(video.class_index),
                    np.asarray(video.frame_feats, np.float32), np.asarray(video.patch_feats, np.float32),
                    selected_motion(video), tuple(video.classes))


def fit_length(seq: Sequence, max_len: int, mode: str = "pool") -> Sequence:
    """Shorten a sequence longer than ``max_len`` by segment averaging or uniform sampling."""
    T = seq.frame.shape[0]
    if T <= max_len:
        return seq
    bounds = np.linspace(0, T, max_len + 1).astype(int)  # [max_len + 1]
    if mode == "sample":
        idx = (bounds[:-1] + bounds[1:]) // 2
        return replace(seq, frame=seq.frame[idx], patches=seq.patches[idx], motion=seq.motion[idx])
    if mode != "pool":
        raise ValueError(f"data.long_video {mode!r} is not 'pool' or 'sample'")
    seg = np.repeat(np.arange(max_len), np.diff(bounds))  # segment id of each snippet, [T]
    counts = np.bincount(seg, minlength=max_len).astype(np.float32)

    def pool(a: np.ndarray) -> np.ndarray:
        out = np.zeros((max_len,) + a.shape[1:], np.float32)
        np.add.at(out, seg, a)
        return out / counts.reshape((-1,) + (1,) * (a.ndim - 1))

    return replace(seq, frame=pool(seq.frame), patches=pool(seq.patches), motion=pool(seq.motion))


def chunk(seq: Sequence, max_len: int) -> list[Sequence]:
    """Consecutive pieces of at most ``max_len`` snippets (evaluation)."""
    T = seq.frame.shape[0]
    return [replace(seq, frame=seq.frame[s:s + max_len], patches=seq.patches[s:s + max_len],
                    motion=seq.motion[s:s + max_len]) for s in range(0, T, max_len)]


def collate(seqs: list[Sequence]) -> Batch:
    """Pad to the longest sequence of the batch; ``mask`` marks real snippets."""
    B, T = len(seqs), max(s.frame.shape[0] for s in seqs)
    K, D = seqs[0].patches.shape[1:]
    frame = np.zeros((B, T, D), np.float32)
    patches = np.zeros((B, T, K, D), np.float32)
    motion = np.zeros((B, T, K), np.float32)
    mask = np.zeros((B, T), bool)
    for i, s in enumerate(seqs):
        n = s.frame.shape[0]
        frame[i, :n], patches[i, :n], motion[i, :n], mask[i, :n] = s.frame, s.patches, s.motion, True
    return Batch([s.video_id for s in seqs], torch.from_numpy(frame), torch.from_numpy(patches),
                 torch.from_numpy(motion), torch.from_numpy(mask),
                 torch.tensor([s.label for s in seqs]), torch.tensor([s.class_index for s in seqs]),
                 [s.class_set for s in seqs])
