"""Decode the frames STPrompt looks at: one per snippet, plus its neighbour for motion.

A video of ``N`` frames is cut into ``T = ceil(N / stride)`` snippets of ``stride`` frames
(``data.snippet_len``, 16 after VadCLIP). Snippet ``t`` is represented by its first
frame ``t * stride``; its *partner* is the next frame, whose difference gives the motion
map of SA2 (the previous frame when the sampled frame is the video's last, the frame
itself when the video has one frame).

A video is a file FFmpeg reads or a frame folder (one image per frame, see
:mod:`stprompt_core.video.frames`); both give the same sampled indices, the same chunks,
RGB uint8 frames and :class:`VideoDecodeError` for anything unreadable, so datasets that
ship frame folders (ShanghaiTech's test set) are never re-encoded.

A file is streamed through once (H.264 cannot skip to arbitrary frames cheaply), converting
to RGB only the frames it keeps; a frame folder is read image by image, only the sampled
frames and their partners. Both yield chunks so that an hour of video never sits in memory
at once.

:func:`iter_timed_frames` is the other way through a video: every frame, at a given size, with
its own timestamp (detect's second pass, which writes the annotated video frame for frame).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import av
import numpy as np
import torch

from stprompt_core.video.frames import FrameFolderError, image_size, list_frame_images, read_frame_image

DEFAULT_MAX_CHUNK_BYTES = 32 * 2**20  # frames + partners of one chunk, uint8 (shared memory per chunk)


class VideoDecodeError(RuntimeError):
    """A video is missing, empty, corrupt or unreadable; the message names the file
    (for a frame folder: the folder, and the image in the reason)."""

    def __init__(self, path: str | Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


@dataclass(frozen=True)
class VideoInfo:
    """Container header facts (``num_frames`` and ``fps`` may be absent or approximate).

    For a frame folder: the first image's size, ``num_frames`` = the number of images
    (exact), ``fps`` = ``None``.
    """

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
    """Read the container header only (of a frame folder: the listing and the first image's header).

    Raises:
        VideoDecodeError: the file is missing, has no video stream or cannot be opened; the
            folder has no images, ambiguous numbering or an unreadable first image.
    """
    path = Path(path)
    if path.is_dir():
        try:
            images = list_frame_images(path)
            width, height = image_size(images[0])
        except FrameFolderError as exc:
            raise VideoDecodeError(path, str(exc)) from exc
        return VideoInfo(str(path), width, height, len(images), None)
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
        path: video file (any container/codec FFmpeg reads) or frame folder.
        stride: frames per snippet (``data.snippet_len``).
        chunk_size: most sampled frames per chunk; lowered for large frames so that one
            chunk stays under ``max_chunk_bytes``.
        video_id: copied into each chunk (the file stem, or the folder name, when empty).
        threads: FFmpeg decoding threads, 0 = FFmpeg's choice (files; a frame folder is
            read one image at a time).

    Yields:
        :class:`FrameChunk` s in snippet order; the last one carries ``num_frames``.

    Raises:
        VideoDecodeError: missing, empty, corrupt or unreadable file (raised at the point
            decoding fails, so chunks already yielded belong to a video that failed).
    """
    path = Path(path)
    if stride < 1:
        raise ValueError(f"frame stride must be >= 1, got {stride}")
    if path.is_dir():
        yield from _iter_folder_frames(path, stride, chunk_size, video_id or path.name, max_chunk_bytes)
        return
    video_id = video_id or path.stem
    container, stream = _open_stream(path)
    with container:
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


def _iter_folder_frames(folder: Path, stride: int, chunk_size: int, video_id: str,
                        max_chunk_bytes: int) -> Iterator[FrameChunk]:
    """:func:`iter_snippet_frames` for a frame folder: reads only the sampled images and partners."""
    try:
        images = list_frame_images(folder)
    except FrameFolderError as exc:
        raise VideoDecodeError(folder, str(exc)) from exc
    n = len(images)
    sampled, partners = sampled_indices(n, stride)
    last: tuple[int, np.ndarray] | None = None  # the image read last (stride 1 reads each twice)
    size: tuple[int, int] | None = None  # (width, height) of the first frame

    def read(i: int) -> np.ndarray:  # [H, W, 3] uint8, at the first frame's size
        nonlocal last
        if last is None or last[0] != i:
            try:
                last = (i, read_frame_image(images[i], size))
            except FrameFolderError as exc:
                raise VideoDecodeError(folder, f"frame {i}: {exc}") from exc
        return last[1]

    first = read(0)
    size = (first.shape[1], first.shape[0])
    limit = max(1, min(chunk_size, max_chunk_bytes // (2 * first.nbytes)))
    for start in range(0, len(sampled), limit):
        frames, partner_frames = [], []
        for s, p in zip(sampled[start : start + limit], partners[start : start + limit]):
            frames.append(read(int(s)))
            partner_frames.append(read(int(p)))
        chunk = _chunk(video_id, start, frames, partner_frames)
        if start + limit >= len(sampled):
            chunk.num_frames = n
        yield chunk


@dataclass
class TimedFrame:
    """One frame of a video: ``rgb [H, W, 3]`` uint8, its time in seconds from the first frame,
    and its timestamp in the stream's time base from the first frame (None for a frame folder)."""

    rgb: np.ndarray
    time_s: float
    pts: int | None


def iter_timed_frames(path: str | Path, frame_size: tuple[int, int], fps: float | None = None
                      ) -> tuple[Fraction, Fraction | None, Iterator[TimedFrame]]:
    """Every frame of a video file or frame folder, RGB at ``frame_size``, with its time.

    Args:
        path: video file or frame folder.
        frame_size: ``(width, height)`` every frame is converted to.
        fps: a frame folder's frame rate (required for one); a file's stream without a rate of
            its own takes it too.

    Returns:
        (frame rate, the stream's time base or None, the frames). Decoding starts when the
        frames are iterated; it raises :class:`VideoDecodeError` where it fails.
    """
    path = Path(path)
    if path.is_dir():
        if fps is None:
            raise ValueError(f"{path}: a frame folder has no frame rate; pass fps")
        rate = Fraction(fps).limit_denominator(1001)
        try:
            images = list_frame_images(path)
        except FrameFolderError as exc:
            raise VideoDecodeError(path, str(exc)) from exc

        def folder() -> Iterator[TimedFrame]:
            for i, image in enumerate(images):
                try:
                    yield TimedFrame(read_frame_image(image, frame_size), float(i / rate), None)
                except FrameFolderError as exc:
                    raise VideoDecodeError(path, f"frame {i}: {exc}") from exc

        return rate, None, folder()
    container, stream = _open_stream(path)
    rate = stream.average_rate or stream.guessed_rate or (Fraction(fps).limit_denominator(1001) if fps else None)
    if not rate:
        container.close()
        raise VideoDecodeError(path, "the stream has no frame rate")
    tb = stream.time_base

    def frames() -> Iterator[TimedFrame]:
        first, n = None, 0
        with container:
            try:
                for n, f in enumerate(container.decode(stream)):
                    pts = f.pts
                    if first is None:
                        first = pts
                    t = float((pts - first) * tb) if pts is not None and first is not None and tb else n / float(rate)
                    yield TimedFrame(f.to_ndarray(format="rgb24", width=frame_size[0], height=frame_size[1]), t,
                                     None if pts is None or first is None else pts - first)
            except (av.FFmpegError, OSError, ValueError) as exc:
                raise VideoDecodeError(path, f"decoding failed after {n} frames: {_reason(exc)}") from exc

    return Fraction(rate), tb, frames()


def decode_snippet_frames(path: str | Path, stride: int = 16, video_id: str = "") -> FrameChunk:
    """All sampled frames of a video (file or frame folder) as one :class:`FrameChunk` (short videos, notebooks)."""
    chunks = list(iter_snippet_frames(path, stride, chunk_size=2**31, video_id=video_id,
                                      max_chunk_bytes=2**62))
    if len(chunks) == 1:
        return chunks[0]
    return FrameChunk(chunks[0].video_id, 0, torch.cat([c.frames for c in chunks]),
                      torch.cat([c.partners for c in chunks]), chunks[-1].num_frames)


def _open_stream(path: Path):
    """An open container and its first video stream (multithreaded decoding), or a
    :class:`VideoDecodeError` naming the file."""
    if not path.is_file():
        raise VideoDecodeError(path, "file not found")
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise VideoDecodeError(path, f"cannot open: {_reason(exc)}") from exc
    if not container.streams.video:
        container.close()
        raise VideoDecodeError(path, "no video stream")
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    return container, stream


def _chunk(video_id: str, start: int, frames: list[np.ndarray], partners: list[np.ndarray]) -> FrameChunk:
    return FrameChunk(video_id, start, torch.from_numpy(np.stack(frames)), torch.from_numpy(np.stack(partners)))


def _reason(exc: Exception) -> str:
    """FFmpeg's message without the errno and the repeated file name."""
    return getattr(exc, "strerror", None) or f"{type(exc).__name__}: {exc}"
