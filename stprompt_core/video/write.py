"""Write frames as an H.264 mp4 with PyAV (test fixtures, benchmarks, synthetic data)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np

from stprompt_core.io import atomic_path


def write_mp4(path: str | Path, frames: Iterable[np.ndarray], fps: int = 25, crf: int = 18,
              preset: str = "veryfast") -> int:
    """Encode RGB frames ``[H, W, 3]`` uint8 (even H and W) to ``path``; returns the frame count.

    The file appears atomically, so a reader never sees half a video.
    """
    import av

    n = 0
    with atomic_path(path) as tmp:
        with av.open(str(tmp), "w", format="mp4") as container:
            stream = None
            for frame in frames:
                if stream is None:
                    stream = container.add_stream("libx264", rate=fps,
                                                  options={"crf": str(crf), "preset": preset})
                    stream.height, stream.width = frame.shape[:2]
                    stream.pix_fmt = "yuv420p"
                container.mux(stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")))
                n += 1
            if stream is None:
                raise ValueError(f"{path}: no frames to write")
            container.mux(stream.encode())
    return n
