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
strip stays legible; odd sizes are padded to even ones (H.264 4:2:0). Encoding is
deterministic as in :func:`~stprompt_core.video.write.write_mp4`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from stprompt_core.figures.spatial import PRED_COLOR, overlay
from stprompt_core.video.decode import VideoDecodeError, _reason
from stprompt_core.video.frames import FrameFolderError, list_frame_images, read_frame_image
from stprompt_core.video.write import rgb_to_yuv420p

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
class DecodedFrame:
    """One input frame: ``rgb [H, W, 3]`` uint8 and its time in seconds from the first frame."""

    rgb: np.ndarray
    time_s: float
    pts: int | None


@dataclass
class Timing:
    """The input's timing: the frame rate the output is written at and every frame's time."""

    rate: Fraction  # frames per second (average)
    times: np.ndarray  # [N] seconds from the first frame
    variable: bool  # frame intervals differ by more than 1 % of the mean

    @property
    def fps(self) -> float:
        return float(self.rate)


def iter_frames(path: str | Path, frame_size: tuple[int, int], fps: float | None = None
                ) -> tuple[Fraction, Fraction | None, Iterator[DecodedFrame]]:
    """Every frame of a video file or frame folder, RGB at ``frame_size``, with its time.

    Returns:
        (frame rate, the stream's time base or None, the frames). A frame folder has no
        rate of its own: ``fps`` (required for one).
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

        def folder() -> Iterator[DecodedFrame]:
            for i, image in enumerate(images):
                try:
                    yield DecodedFrame(read_frame_image(image, frame_size), float(i / rate), None)
                except FrameFolderError as exc:
                    raise VideoDecodeError(path, f"frame {i}: {exc}") from exc

        return rate, None, folder()
    import av

    container = av.open(str(path))
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    rate = stream.average_rate or stream.guessed_rate or (Fraction(fps).limit_denominator(1001) if fps else None)
    if not rate:
        container.close()
        raise VideoDecodeError(path, "the stream has no frame rate")
    tb = stream.time_base

    def frames() -> Iterator[DecodedFrame]:
        first, n = None, 0
        with container:
            try:
                for n, f in enumerate(container.decode(stream)):
                    pts = f.pts
                    if first is None:
                        first = pts
                    t = float((pts - first) * tb) if pts is not None and first is not None and tb else n / float(rate)
                    yield DecodedFrame(f.to_ndarray(format="rgb24", width=frame_size[0], height=frame_size[1]), t,
                                       None if pts is None or first is None else pts - first)
            except (av.FFmpegError, OSError, ValueError) as exc:
                raise VideoDecodeError(path, f"decoding failed after {n} frames: {_reason(exc)}") from exc

    return Fraction(rate), tb, frames()


class ScoreStrip:
    """The strip under each frame: the score curve of the whole video and a cursor.

    Args:
        frame_scores: ``[N]`` per-frame scores.
        threshold: drawn as a line; frames at or above it are shaded.
        width, height: strip size in pixels.
    """

    def __init__(self, frame_scores: np.ndarray, threshold: float, width: int, height: int):
        from PIL import Image, ImageDraw

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
        from PIL import Image, ImageDraw

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
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: one bitmap size
        return ImageFont.load_default()


def write_annotated(out: Path, frames: Iterator[DecodedFrame], rate: Fraction, time_base: Fraction | None,
                    frame_scores: np.ndarray, threshold: float, snippet_len: int,
                    heat_boxes: Callable[[int], tuple[np.ndarray | None, list[list[float]]]],
                    on_frame: Callable[[], None] | None = None, crf: int = 23) -> Timing:
    """Encode the annotated video to ``out`` (H.264 MP4); returns the input's timing.

    Args:
        frames: pass 2's decoded frames (:func:`iter_frames`), ``N`` of them.
        rate, time_base: the input's frame rate and timestamp unit (None: frame index at ``rate``).
        frame_scores: ``[N]`` per-frame scores.
        threshold: frames at or above it get their snippet's heatmap and boxes.
        heat_boxes: snippet -> (heatmap ``[H, W]`` in [0, 1], boxes), for passing snippets.
        on_frame: called after each frame (progress).
    """
    import av

    times: list[float] = []
    with av.open(str(out), "w", format="mp4") as container:
        stream, strip, scale = None, None, 1
        for i, fr in enumerate(frames):
            if i >= len(frame_scores):
                raise VideoDecodeError(out, f"pass 2 decoded more frames than pass 1 ({len(frame_scores)})")
            H, W = fr.rgb.shape[:2]
            if stream is None:
                scale = max(1, math.ceil(MIN_WIDTH / W))
                sw, sh = W * scale, H * scale
                strip_h = max(MIN_STRIP, int(sh * STRIP_FRACTION))
                strip = ScoreStrip(np.asarray(frame_scores, np.float64), threshold, sw, strip_h)
                stream = container.add_stream("libx264", rate=rate)
                stream.width, stream.height = sw + sw % 2, sh + strip_h + (sh + strip_h) % 2
                stream.pix_fmt = "yuv420p"
                stream.options = {"crf": str(crf), "preset": "veryfast", "threads": "1", "x264-params": "mbtree=0"}
                stream.codec_context.thread_count = 1
                tb = time_base if time_base is not None else 1 / rate  # a frame folder: one tick a frame
                stream.codec_context.time_base = tb
            score = float(frame_scores[i])
            passed = score >= threshold
            heat, boxes = heat_boxes(i // snippet_len) if passed else (None, [])
            image = overlay(fr.rgb, heat, boxes, alpha=HEAT_ALPHA, scale=scale)
            canvas = np.zeros((stream.height, stream.width, 3), np.uint8)
            canvas[: image.shape[0], : image.shape[1]] = image
            canvas[image.shape[0] : image.shape[0] + strip.height, : strip.width] = strip.draw(i, fr.time_s, score,
                                                                                                passed)
            vf = av.VideoFrame.from_ndarray(rgb_to_yuv420p(canvas), format="yuv420p")
            vf.pts = fr.pts if (fr.pts is not None and time_base is not None) else int(round(i / rate / tb))
            vf.time_base = tb
            container.mux(stream.encode(vf))
            times.append(fr.time_s)
            if on_frame is not None:
                on_frame()
        if stream is None:
            raise VideoDecodeError(out, "no frames to write")
        container.mux(stream.encode())
    t = np.asarray(times, np.float64)
    d = np.diff(t)
    variable = bool(len(d) > 1 and d.mean() > 0 and (np.abs(d - d.mean()).max() > 0.01 * d.mean()))
    return Timing(rate, t, variable)
