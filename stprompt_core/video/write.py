"""Write frames as an H.264 mp4 with PyAV (SynthVAD, test fixtures, benchmarks)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np

from stprompt_core.io import atomic_path


def write_mp4(path: str | Path, frames: Iterable[np.ndarray], fps: int = 25, crf: int = 18,
              preset: str = "veryfast") -> int:
    """Encode RGB frames ``[H, W, 3]`` uint8 (even H and W) to ``path``; returns the frame count.

    Identical frames give identical bytes: one x264 thread, explicit pts and our own
    RGB -> YUV (FFmpeg's converter made the same frames encode differently depending on what
    the process had encoded before). The file appears atomically, so a reader never sees half
    a video.
    """
    import av

    n = 0
    with atomic_path(path) as tmp:
        with av.open(str(tmp), "w", format="mp4") as container:
            stream = None
            for frame in frames:
                if stream is None:
                    stream = container.add_stream("libx264", rate=fps)
                    stream.height, stream.width = frame.shape[:2]
                    stream.pix_fmt = "yuv420p"
                    stream.options = {"crf": str(crf), "preset": preset, "threads": "1"}
                    stream.codec_context.thread_count = 1
                vf = av.VideoFrame.from_ndarray(rgb_to_yuv420p(frame), format="yuv420p")
                vf.pts = n
                container.mux(stream.encode(vf))
                n += 1
            if stream is None:
                raise ValueError(f"{path}: no frames to write")
            container.mux(stream.encode())
    return n


def rgb_to_yuv420p(rgb: np.ndarray) -> np.ndarray:
    """BT.601 limited-range YUV 4:2:0 of ``rgb [H, W, 3]`` uint8 (even H, W), as PyAV's
    ``yuv420p`` array: ``[H * 3 / 2, W]`` uint8 (Y rows, then the U and V planes)."""
    x = rgb.astype(np.float32)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    y = 16.0 + 0.257 * r + 0.504 * g + 0.098 * b
    u = 128.0 - 0.148 * r - 0.291 * g + 0.439 * b
    v = 128.0 + 0.439 * r - 0.368 * g - 0.071 * b
    H, W = y.shape

    def half(c: np.ndarray) -> np.ndarray:  # 2x2 mean: [H/2, W/2]
        return c.reshape(H // 2, 2, W // 2, 2).mean(axis=(1, 3))

    planes = [np.rint(y), np.rint(half(u)).reshape(H // 4, W), np.rint(half(v)).reshape(H // 4, W)]
    return np.clip(np.concatenate(planes), 0, 255).astype(np.uint8)
