"""Decode the frames STPrompt looks at: one per snippet, plus its neighbour for motion.

A video of ``N`` frames is cut into ``T = ceil(N / stride)`` snippets of ``stride`` frames
(``extract.frame_stride``, 16 after VadCLIP). Snippet ``t`` is represented by its first
frame ``t * stride``; its *partner* is the next frame, whose difference gives the motion
map of SA2 (the previous frame when the sampled frame is the video's last, the frame
itself when the video has one frame).

Decoding streams through the file once (H.264 cannot skip to arbitrary frames cheaply)
and converts to RGB only the frames it keeps, yielding them in chunks so that an hour of
video never sits in memory at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import torch

DEFAULT_MAX_CHUNK_BYTES = 32 * 2**20  # frames + partners of one chunk, uint8 (shared memory per chunk)


class VideoDecodeError(RuntimeError):
    """A video is missing, empty, corrupt or unreadable; the message names the file."""

    def __init__(self, path: str | Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


@dataclass(frozen=True)
class VideoInfo:
    """Container header facts (``num_frames`` and ``fps`` may be absent or approximate)."""

    path: str
    width: int
    height: int
    num_frames: int | None
    fps: float | None

    @property
    def frame_size(self) -> tuple[int, int]:
        return self.width, self.height


@dataclass
class FrameChunk:
    """Consecutive sampled frames of one video.

    ``frames[i]`` is the sampled frame of snippet ``start + i`` and ``partners[i]`` its
    neighbour. ``num_frames`` (decoded frames of the whole video) is set on the video's
    last chunk only.
    """

    video_id: str
    start: int
    frames: torch.Tensor  # [B, H, W, 3] uint8 RGB
    partners: torch.Tensor  # [B, H, W, 3] uint8 RGB
    num_frames: int | None = None

    @property
    def last(self) -> bool:
        return self.num_frames is not None

    @property
    def frame_size(self) -> tuple[int, int]:
        """Decoded ``(width, height)``."""
        return int(self.frames.shape[2]), int(self.frames.shape[1])

    def __len__(self) -> int:
        return int(self.frames.shape[0])

    def pin_memory(self) -> FrameChunk:
        """Called by ``DataLoader(pin_memory=True)`` for fast host-to-GPU copies."""
        return FrameChunk(self.video_id, self.start, self.frames.pin_memory(), self.partners.pin_memory(),
                          self.num_frames)


def num_snippets(num_frames: int, stride: int) -> int:
    """``T = ceil(num_frames / stride)``: every frame belongs to one snippet."""
    return math.ceil(num_frames / stride)


def sampled_indices(num_frames: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Frame indices of the sampled frames ``[T]`` and of their partners ``[T]``."""
    if num_frames <= 0:
        raise ValueError("num_frames must be positive")
    sampled = np.arange(0, num_frames, stride)
    partner = sampled + 1
    partner[partner >= num_frames] = max(num_frames - 2, 0)
    return sampled, partner


def probe_video(path: str | Path) -> VideoInfo:
    """Read the container header only.

    Raises:
        VideoDecodeError: the file is missing, has no video stream or cannot be opened.
    """
    import av

    path = Path(path)
    if not path.is_file():
        raise VideoDecodeError(path, "file not found")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoDecodeError(path, "no video stream")
            stream = container.streams.video[0]
            ctx = stream.codec_context
            fps = float(stream.average_rate) if stream.average_rate else None
            return VideoInfo(str(path), int(ctx.width), int(ctx.height), int(stream.frames) or None, fps)
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise VideoDecodeError(path, f"cannot open: {_reason(exc)}") from exc


def iter_snippet_frames(path: str | Path, stride: int = 16, chunk_size: int = 64, video_id: str = "",
                        threads: int = 0, max_chunk_bytes: int = DEFAULT_MAX_CHUNK_BYTES) -> Iterator[FrameChunk]:
    """Stream the sampled frames and their partners of one video, in chunks.

    Args:
        path: video file (any container/codec FFmpeg reads).
        stride: frames per snippet (``extract.frame_stride``).
        chunk_size: most sampled frames per chunk; lowered for large frames so that one
            chunk stays under ``max_chunk_bytes``.
        video_id: copied into each chunk (the file stem when empty).
        threads: FFmpeg decoding threads, 0 = FFmpeg's choice.

    Yields:
        :class:`FrameChunk` s in snippet order; the last one carries ``num_frames``.

    Raises:
        VideoDecodeError: missing, empty, corrupt or unreadable file (raised at the point
            decoding fails, so chunks already yielded belong to a video that failed).
    """
    import av

    path = Path(path)
    video_id = video_id or path.stem
    if stride < 1:
        raise ValueError(f"frame stride must be >= 1, got {stride}")
    if not path.is_file():
        raise VideoDecodeError(path, "file not found")
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise VideoDecodeError(path, f"cannot open: {_reason(exc)}") from exc
    with container:
        if not container.streams.video:
            raise VideoDecodeError(path, "no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.thread_count = threads
        frames: list[np.ndarray] = []
        partners: list[np.ndarray] = []
        held: FrameChunk | None = None  # a full chunk, yielded once we know it is not the last
        pending: np.ndarray | None = None  # sampled frame waiting for its next frame
        pending_prev = None  # the frame before it, in case the video ends first
        prev = None
        size: tuple[int, int] | None = None  # (width, height) of the first frame
        start, n, limit = 0, 0, chunk_size

        def rgb(frame) -> np.ndarray:  # [H, W, 3] uint8, at the first frame's size
            return frame.to_ndarray(format="rgb24", width=size[0], height=size[1])

        try:
            for n, frame in enumerate(container.decode(stream), start=1):
                if size is None:
                    size = (frame.width, frame.height)
                    limit = max(1, min(chunk_size, max_chunk_bytes // (2 * 3 * frame.width * frame.height)))
                if pending is not None:
                    frames.append(pending)
                    partners.append(rgb(frame))
                    pending = None
                    if len(frames) == limit:
                        if held is not None:
                            yield held
                        held = _chunk(video_id, start, frames, partners)
                        start, frames, partners = start + limit, [], []
                if (n - 1) % stride == 0:
                    pending, pending_prev = rgb(frame), prev
                prev = frame
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise VideoDecodeError(path, f"decoding failed after {n} frames: {_reason(exc)}") from exc
        if n == 0:
            raise VideoDecodeError(path, "no decodable video frames")
        if pending is not None:  # the last frame was sampled: pair it with the one before
            frames.append(pending)
            partners.append(rgb(pending_prev) if pending_prev is not None else pending)
        if frames:
            if held is not None:
                yield held
            held = _chunk(video_id, start, frames, partners)
        held.num_frames = n
        yield held


def decode_snippet_frames(path: str | Path, stride: int = 16, video_id: str = "") -> FrameChunk:
    """All sampled frames of a video as one :class:`FrameChunk` (short videos, notebooks)."""
    chunks = list(iter_snippet_frames(path, stride, chunk_size=2**31, video_id=video_id,
                                      max_chunk_bytes=2**62))
    if len(chunks) == 1:
        return chunks[0]
    return FrameChunk(chunks[0].video_id, 0, torch.cat([c.frames for c in chunks]),
                      torch.cat([c.partners for c in chunks]), chunks[-1].num_frames)


def _chunk(video_id: str, start: int, frames: list[np.ndarray], partners: list[np.ndarray]) -> FrameChunk:
    return FrameChunk(video_id, start, torch.from_numpy(np.stack(frames)), torch.from_numpy(np.stack(partners)))


def _reason(exc: Exception) -> str:
    """FFmpeg's message without the errno and the repeated file name."""
    return getattr(exc, "strerror", None) or f"{type(exc).__name__}: {exc}"
