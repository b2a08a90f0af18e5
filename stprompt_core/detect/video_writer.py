"""Pass 2 of detection: the annotated MP4, frame for frame with the input.

Every input frame is decoded again (decoding is cheap next to the backbone, and a second
pass keeps memory bounded where buffering frames until their scores are final would not)
and written with:

- the anomaly heatmap of its snippet blended in, and the predicted boxes drawn, when the
  snippet's score passes the run's threshold (:func:`~stprompt_core.figures.spatial.overlay`);
- a score strip below it: the whole video's score curve, the threshold, the anomalous
  stretches shaded, a cursor at this frame and its time and score in seconds.

Timing follows the input: the output stream has the input's frame rate and each frame
keeps its own timestamp, so a variable-frame-rate file stays in sync (and is reported).
Frames narrower than :data:`MIN_WIDTH` are upscaled by an integer factor (nearest) so the
strip stays legible; odd sizes are padded to even ones (H.264 4:2:0). The frames come from
:func:`~stprompt_core.video.decode.iter_timed_frames` and are encoded by
:class:`~stprompt_core.video.write.H264Writer` (deterministic).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from stprompt_core.figures.spatial import PRED_COLOR, overlay
from stprompt_core.video.decode import TimedFrame, VideoDecodeError
from stprompt_core.video.write import H264Writer

MIN_WIDTH = 360  # narrower frames are upscaled (nearest, integer factor) so the strip text is legible
STRIP_FRACTION = 0.22  # strip height as a fraction of the (scaled) frame height, at least MIN_STRIP px
MIN_STRIP = 56
BACKGROUND = (24, 24, 28)
CURVE = (90, 170, 255)
THRESHOLD = (200, 200, 200)
SHADE = (90, 30, 30)
CURSOR = (255, 220, 0)
HEAT_ALPHA = 0.45  # heatmap opacity where the map is 1: the frame stays readable under a warm crop


@dataclass
class Timing:
    """The input's timing: the frame rate the output is written at and every frame's time."""

    rate: Fraction  # frames per second (average)
    times: np.ndarray  # [N] seconds from the first frame
    variable: bool  # frame intervals differ by more than 1 % of the mean

    @property
    def fps(self) -> float:
        return float(self.rate)


class ScoreStrip:
    """The strip under each frame: the score curve of the whole video and a cursor.

    Args:
        frame_scores: ``[N]`` per-frame scores.
        threshold: drawn as a line; frames at or above it are shaded.
        width, height: strip size in pixels.
    """

    def __init__(self, frame_scores: np.ndarray, threshold: float, width: int, height: int):
        self.n, self.width, self.height = len(frame_scores), width, height
        self.pad_top = max(14, height // 3)  # room for the time and score text
        plot_h = height - self.pad_top - 4
        img = Image.new("RGB", (width, height), BACKGROUND)
        draw = ImageDraw.Draw(img)
        xs = self.x(np.arange(self.n))
        ys = self.pad_top + (1.0 - np.clip(frame_scores, 0, 1)) * plot_h
        passed = frame_scores >= threshold
        for i in np.flatnonzero(passed):
            draw.rectangle([int(xs[i]), self.pad_top, max(int(xs[i]), int(self.x(i + 1)) - 1), height - 4], fill=SHADE)
        ty = self.pad_top + (1.0 - threshold) * plot_h
        for x0 in range(0, width, 8):  # dashed threshold line
            draw.line([(x0, ty), (min(x0 + 4, width - 1), ty)], fill=THRESHOLD, width=1)
        draw.line(list(zip(xs.tolist(), ys.tolist())) if self.n > 1 else [(0, ys[0]), (width - 1, ys[0])],
                  fill=CURVE, width=2)
        self.base = np.asarray(img)
        self.font = _font(max(10, self.pad_top - 4))

    def x(self, i: np.ndarray | int) -> np.ndarray:
        """Pixel column of frame ``i``."""
        return np.asarray(i, np.float64) * (self.width - 1) / max(self.n - 1, 1)

    def draw(self, i: int, time_s: float, score: float, passed: bool) -> np.ndarray:
        """``[height, width, 3]`` uint8 strip with the cursor at frame ``i``."""
        img = Image.fromarray(self.base.copy())
        draw = ImageDraw.Draw(img)
        x = float(self.x(i))
        draw.line([(x, self.pad_top), (x, self.height - 1)], fill=CURSOR, width=2)
        label = f"{_clock(time_s)}   score {score:.2f}" + ("   ANOMALY" if passed else "")
        draw.text((4, 1), label, fill=PRED_COLOR if passed else (235, 235, 235), font=self.font)
        return np.asarray(img)


def _clock(t: float) -> str:
    """``m:ss.ss`` (``h:mm:ss.s`` past an hour)."""
    h, rest = divmod(t, 3600)
    m, s = divmod(rest, 60)
    return f"{int(h)}:{int(m):02d}:{s:04.1f}" if h else f"{int(m)}:{s:05.2f}"


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: one bitmap size
        return ImageFont.load_default()


def write_annotated(out: Path, frames: Iterator[TimedFrame], rate: Fraction, time_base: Fraction | None,
                    frame_scores: np.ndarray, threshold: float, snippet_len: int,
                    heat_boxes: Callable[[int], tuple[np.ndarray | None, list[list[float]]]],
                    on_frame: Callable[[], None] | None = None, crf: int = 23) -> Timing:
    """Encode the annotated video to ``out`` (H.264 MP4); returns the input's timing.

    Args:
        frames: pass 2's decoded frames (:func:`~stprompt_core.video.decode.iter_timed_frames`), ``N`` of them.
        rate, time_base: the input's frame rate and timestamp unit (None: frame index at ``rate``).
        frame_scores: ``[N]`` per-frame scores.
        threshold: frames at or above it get their snippet's heatmap and boxes.
        heat_boxes: snippet -> (heatmap ``[H, W]`` in [0, 1], boxes), for passing snippets.
        on_frame: called after each frame (progress).
    """
    times: list[float] = []
    tb = time_base if time_base is not None else 1 / rate  # a frame folder: one tick a frame
    with H264Writer(out, rate, crf, time_base=tb) as writer:
        strip, scale, size = None, 1, (0, 0)
        for i, fr in enumerate(frames):
            if i >= len(frame_scores):
                raise VideoDecodeError(out, f"pass 2 decoded more frames than pass 1 ({len(frame_scores)})")
            if strip is None:
                H, W = fr.rgb.shape[:2]
                scale = max(1, math.ceil(MIN_WIDTH / W))
                sw, sh = W * scale, H * scale
                strip = ScoreStrip(np.asarray(frame_scores, np.float64), threshold, sw, max(MIN_STRIP,
                                                                                            int(sh * STRIP_FRACTION)))
                size = (sh + strip.height + (sh + strip.height) % 2, sw + sw % 2)  # (height, width), even
            score = float(frame_scores[i])
            passed = score >= threshold
            heat, boxes = heat_boxes(i // snippet_len) if passed else (None, [])
            image = overlay(fr.rgb, heat, boxes, alpha=HEAT_ALPHA, scale=scale)
            canvas = np.zeros((*size, 3), np.uint8)
            canvas[: image.shape[0], : image.shape[1]] = image
            canvas[image.shape[0] : image.shape[0] + strip.height, : strip.width] = strip.draw(i, fr.time_s, score,
                                                                                                passed)
            pts = fr.pts if (fr.pts is not None and time_base is not None) else int(round(i / rate / tb))
            writer.write(canvas, pts)
            times.append(fr.time_s)
            if on_frame is not None:
                on_frame()
        if writer.count == 0:
            raise VideoDecodeError(out, "no frames to write")
    t = np.asarray(times, np.float64)
    d = np.diff(t)
    variable = bool(len(d) > 1 and d.mean() > 0 and (np.abs(d - d.mean()).max() > 0.01 * d.mean()))
    return Timing(rate, t, variable)
