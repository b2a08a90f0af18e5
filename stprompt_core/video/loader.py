"""Decode many videos in parallel worker processes, feeding one consumer (the backbone).

Workers take the next video from a shared counter (so one long video does not stall a
fixed share of the list) and stream its :class:`~stprompt_core.video.decode.FrameChunk` s;
the consumer receives chunks of different videos interleaved, each video's in order.
A video that fails yields a :class:`DecodeFailure` instead of raising, so one corrupt file
(or frame folder with a corrupt image) never stops the others.
"""

from __future__ import annotations

import inspect
import multiprocessing as mp
import os
from dataclasses import dataclass
from typing import Iterator

from torch.utils.data import DataLoader, IterableDataset

from stprompt_core.video.decode import FrameChunk, VideoDecodeError, iter_snippet_frames


@dataclass(frozen=True)
class DecodeJob:
    """One video to decode: ``path`` is a video file or a frame folder (see ``decode``)."""

    video_id: str
    path: str


@dataclass
class DecodeFailure:
    """A video that could not be decoded; chunks it yielded before failing are void."""

    video_id: str
    path: str
    reason: str


class _SnippetStream(IterableDataset):
    def __init__(self, jobs: list[DecodeJob], stride: int, chunk_size: int, threads: int, counter=None):
        self.jobs, self.stride, self.chunk_size, self.threads = jobs, stride, chunk_size, threads
        self.counter = counter  # shared next-job index across workers, or None in-process

    def _next_job(self, local: list[int]) -> DecodeJob | None:
        if self.counter is None:
            i, local[0] = local[0], local[0] + 1
        else:
            with self.counter.get_lock():
                i = self.counter.value
                self.counter.value += 1
        return self.jobs[i] if i < len(self.jobs) else None

    def __iter__(self) -> Iterator[FrameChunk | DecodeFailure]:
        local = [0]
        while (job := self._next_job(local)) is not None:
            try:
                yield from iter_snippet_frames(job.path, self.stride, self.chunk_size, job.video_id, self.threads)
            except VideoDecodeError as exc:
                yield DecodeFailure(job.video_id, job.path, exc.reason)


def decode_videos(jobs: list[DecodeJob], stride: int = 16, chunk_size: int = 64, num_workers: int = 0,
                  pin_memory: bool = False, prefetch: int = 2) -> Iterator[FrameChunk | DecodeFailure]:
    """Chunks of all ``jobs``: in this process (``num_workers=0``) or in worker processes.

    Args:
        jobs: videos to decode.
        stride: frames per snippet.
        chunk_size: most sampled frames per chunk (the backbone batch size is a good value).
        num_workers: decoding processes; 0 decodes in the calling process.
        pin_memory: page-locked chunks, for asynchronous copies to a GPU.
        prefetch: chunks each worker decodes ahead.
    """
    if num_workers <= 0 or not jobs:
        yield from _SnippetStream(jobs, stride, chunk_size, threads=0)
        return
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    counter = ctx.Value("q", 0)
    workers = min(num_workers, len(jobs))
    threads = max(1, len(os.sched_getaffinity(0)) // workers) if hasattr(os, "sched_getaffinity") else 1
    stream = _SnippetStream(jobs, stride, chunk_size, threads, counter)
    options = {"in_order": False} if "in_order" in inspect.signature(DataLoader).parameters else {}  # torch >= 2.6
    loader = DataLoader(stream, batch_size=None, num_workers=workers, pin_memory=pin_memory,
                        prefetch_factor=prefetch, multiprocessing_context=ctx, **options)
    yield from loader
