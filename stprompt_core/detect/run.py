"""``detect(video, run_dir)``: where and when a trained run finds something abnormal in one file.

Numbered as the work flows:

    1. check    the video (exists, has a video stream, a usable frame size) and the run
                folder (config, weights), before anything is written
    2. score    pass 1, streamed in bounded memory (:mod:`~stprompt_core.detect.stream`):
                snippet scores equal to the run's own pipeline, patch maps
    3. box      the snippets at or above the run's threshold: heatmaps and boxes
                (the run's ``localize`` settings)
    4. render   pass 2 (:mod:`~stprompt_core.detect.video_writer`): the annotated MP4, and
                every frame's own timestamp
    5. write    per-frame scores, intervals, boxes, key frames, ``detect.json`` and the
                report (:mod:`~stprompt_core.detect.outputs`, :mod:`~stprompt_core.detect.report`)
                into a :class:`~stprompt_core.figures.detection_folder.DetectionFolder`

Steps 4-5 write into a staging folder beside the output folder, which replaces it in one
rename (:func:`~stprompt_core.io.atomic_path`): a killed run leaves the previous output (or
none) and a temporary the next run removes, never half an output.

Scores equal ``stprompt evaluate``'s for a video of the run's test split (the same frames,
geometry, precision and float16 rounding as the feature store). For a video longer than
``data.max_len`` snippets, ``evaluate`` scores consecutive pieces of ``max_len`` without
context across their borders, while detect scores the whole video as one sequence.
"""

from __future__ import annotations

import sys
import time
import warnings as pywarnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from stprompt_core.detect.detector import Detector, load_detector
from stprompt_core.detect.outputs import anomalous_intervals, snippet_boxes, write_scores_and_boxes
from stprompt_core.detect.report import render_report
from stprompt_core.detect.stream import score_stream
from stprompt_core.detect.video_writer import HEAT_ALPHA, write_annotated
from stprompt_core.figures.detection_folder import DetectionFolder
from stprompt_core.figures.spatial import overlay
from stprompt_core.io import atomic_path, file_sha256, write_json
from stprompt_core.localize.retrieval import map_boxes
from stprompt_core.metrics import expand_to_frames
from stprompt_core.runtime import progress_bar
from stprompt_core.video.decode import VideoDecodeError, VideoInfo, iter_timed_frames, probe_video
from stprompt_core.video.frames import runs_from_mask

FOLDER_FPS = 25.0  # frame rate assumed for a frame folder when none is given
MAX_KEY_FRAMES = 6


@dataclass
class Detection:
    """What :func:`detect` wrote: the output folder and ``detect.json``'s content."""

    out: Path
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def folder(self) -> DetectionFolder:
        """The output folder's files and readers."""
        return DetectionFolder(self.out)

    def path(self, name: str) -> Path:
        return self.out / name


def check_video(video: str | Path, det: Detector) -> VideoInfo:
    """Step 1 for the video: readable header and a frame size the backbone can see.

    Raises:
        VideoDecodeError: missing file, no video stream, unreadable header, or frames smaller
            than the backbone's patch grid (names the file).
    """
    info = probe_video(video)
    rows, cols = det.encoder.patch_grid
    if info.width < cols or info.height < rows:
        raise VideoDecodeError(video, f"frames are {info.width}x{info.height} pixels; the backbone "
                                      f"({det.cfg.backbone.model_name}) needs at least {cols}x{rows} (one pixel per "
                                      f"patch of its {cols}x{rows} grid)")
    return info


def detect(video: str | Path, run_dir: str | Path, out: str | Path | None = None, *, fps: float | None = None,
           checkpoint: str = "best", device: str | None = None, chunk: int | None = None, progress: bool = True,
           detector: Detector | None = None) -> Detection:
    """Score, localize and annotate one video with a trained run.

    Args:
        video: a video file (any container and codec FFmpeg reads) or a frame folder.
        run_dir: a run folder written by ``stprompt train``.
        out: the output folder (replaced whole); default
            :meth:`DetectionFolder.default <stprompt_core.figures.detection_folder.DetectionFolder.default>`
            (``<run_dir>/detect/<video stem>``).
        fps: a frame folder's frame rate (default 25, with a warning); ignored for files.
        checkpoint: ``best`` or ``last``.
        device: override the run's ``extract.device``.
        chunk: snippets each scoring forward finalises (default ``data.max_len``).
        progress: tqdm bars over the frames of both passes.
        detector: a loaded run to reuse (notebooks, tests).

    Returns:
        :class:`Detection`.

    Raises:
        VideoDecodeError: the video is missing, has no video stream or no frames, is too small,
            or cannot be decoded (the message names the file).
        RunFolderError: the run folder has no config or no weights (names the file).
    """
    video, run_dir = Path(video), Path(run_dir)
    if not video.exists():
        raise VideoDecodeError(video, "file not found")
    probe_video(video)  # a file that is no video fails before the run is loaded
    det = detector or load_detector(run_dir, checkpoint, device)
    info = check_video(video, det)
    t0 = time.perf_counter()  # throughput: both passes and the writes, not loading the run
    out = Path(out) if out is not None else DetectionFolder.default(video, run_dir).root
    notes: list[str] = []
    if video.is_dir() and fps is None:
        fps = FOLDER_FPS
        notes.append(f"{video}: a frame folder has no frame rate; times assume {FOLDER_FPS:g} fps (pass --fps)")

    # 2. score (pass 1)
    with progress_bar(info.num_frames, "detect: score", "frame", progress, smoothing=0.1) as bar, \
            pywarnings.catch_warnings(record=True) as caught:
        pywarnings.simplefilter("always", RuntimeWarning)
        result = score_stream(det, video, chunk=chunk, bar=bar)
    notes += [str(w.message) for w in caught]
    t_score = time.perf_counter() - t0
    n, L, thr = result.num_frames, det.snippet_len, det.threshold
    if info.num_frames and not video.is_dir() and n < info.num_frames:
        notes.append(f"{video}: the header promises {info.num_frames} frames but only {n} decode (the file is cut "
                     f"off or damaged); frames {n}-{info.num_frames - 1} are skipped")
    frame_scores = expand_to_frames(result.snippet_scores, L, n)  # [N]

    # 3. box
    windows = det.map_windows(result.frame_size)
    boxes = snippet_boxes(result.maps, result.snippet_scores, thr, result.frame_size, windows, det.settings)
    keys = _key_frames(result.snippet_scores, thr, L)
    heat_cache: dict[int, np.ndarray] = {}

    def heat_boxes(t: int) -> tuple[np.ndarray | None, list[list[float]]]:
        if t not in heat_cache:
            heat_cache.clear()  # frames arrive in order: one snippet's heatmap at a time
            heat_cache[t] = map_boxes(result.maps[t][None], result.frame_size, windows, det.settings)[0][0]
        return np.clip(heat_cache[t], 0, 1), boxes.get(t, [])

    # 4-5. render and write into a staging folder that replaces `out` at the end
    with atomic_path(out) as staging:
        staging.mkdir()
        stage = DetectionFolder(staging)
        rate, time_base, frames = iter_timed_frames(video, result.frame_size, fps)
        key_images: dict[int, np.ndarray] = {}

        def frames_with_keys():
            for i, fr in enumerate(frames):
                if i in keys:
                    t = i // L
                    heat, bx = heat_boxes(t) if result.snippet_scores[t] >= thr else (None, [])
                    key_images[i] = overlay(fr.rgb, heat, bx, alpha=HEAT_ALPHA, scale=max(1, 480 // fr.rgb.shape[1]))
                yield fr

        with progress_bar(n, "detect: video", "frame", progress, smoothing=0.1) as bar:
            timing = write_annotated(stage.video, frames_with_keys(), rate, time_base, frame_scores, thr,
                                     L, heat_boxes, on_frame=bar.update if bar is not None else None)
        if len(timing.times) != n:
            raise VideoDecodeError(video, f"the second pass decoded {len(timing.times)} frames, the first {n}: the "
                                          f"file changed or decodes differently each time")
        if timing.variable:
            d = np.diff(timing.times)
            notes.append(f"{video}: variable frame rate (frame intervals {d.min() * 1000:.1f}-{d.max() * 1000:.1f} ms): "
                         f"times are each frame's own timestamp and the annotated video keeps them; "
                         f"fps is the average, {timing.fps:.3f}")
        frame_s = float(1.0 / timing.rate)
        intervals = anomalous_intervals(frame_scores, timing.times, thr, frame_s)
        write_scores_and_boxes(stage, video=video.name, frame_scores=frame_scores,
                               snippet_scores=result.snippet_scores,
                               times=timing.times, fps=timing.fps, snippet_len=L, threshold=thr,
                               intervals=intervals, boxes=boxes, maps=result.maps, frame_size=result.frame_size,
                               windows=windows, patch_grid=det.encoder.patch_grid, s=det.settings)
        _write_key_frames(stage, key_images, frame_scores, timing.times, thr)
        summary = {
            "video": str(video), "video_name": video.name, "run_dir": str(run_dir), "checkpoint": checkpoint,
            "backbone": det.cfg.backbone.model_name, "precision": det.encoder.precision,
            "num_frames": n, "num_snippets": int(len(result.snippet_scores)), "frame_size": list(result.frame_size),
            "fps": round(timing.fps, 6), "variable_frame_rate": timing.variable,
            "duration_s": round(float(timing.times[-1]) + frame_s, 4), "snippet_len": L, "threshold": thr,
            "intervals": len(intervals), "snippets_passed": len(boxes),
            "stream": {"chunk": result.chunk, "context": result.context, "peak_buffered_snippets": result.peak_buffered},
            "warnings": notes,
            "video_sha256": file_sha256(video) if video.is_file() else None,
            "seconds": {"score": round(t_score, 3), "total": round(time.perf_counter() - t0, 3)},
        }
        summary["frames_per_s"] = round(n / summary["seconds"]["total"], 2)
        write_json(stage.path(stage.SUMMARY), summary)
        stage.report.write_text(render_report(stage), encoding="utf-8")
    for note in notes:
        print(f"stprompt detect: warning: {note}", file=sys.stderr, flush=True)
    return Detection(out, summary)


def _key_frames(snippet_scores: np.ndarray, threshold: float, snippet_len: int) -> set[int]:
    """Sampled frames to show: the peak snippet of each anomalous stretch of snippets (the
    highest peaks first, at most :data:`MAX_KEY_FRAMES`); without any, the highest-scoring snippets."""
    s = np.asarray(snippet_scores)
    peaks = [int(a + np.argmax(s[a:b])) for a, b in runs_from_mask(s >= threshold)]
    if not peaks:
        peaks = [int(t) for t in np.argsort(-s, kind="stable")[:3]]
    peaks = sorted(peaks, key=lambda t: -s[t])[:MAX_KEY_FRAMES]
    return {t * snippet_len for t in peaks}


def _write_key_frames(stage: DetectionFolder, images: dict[int, np.ndarray], frame_scores: np.ndarray,
                      times: np.ndarray, threshold: float) -> None:
    stage.path(stage.KEYFRAME_DIR).mkdir()
    records = []
    for i in sorted(images):
        name = f"{stage.KEYFRAME_DIR}/frame_{i:06d}.jpg"
        Image.fromarray(images[i]).save(stage.path(name), format="JPEG", quality=90)
        records.append({"frame": i, "time_s": round(float(times[i]), 4), "score": round(float(frame_scores[i]), 6),
                        "passed": bool(frame_scores[i] >= threshold), "image": name})
    write_json(stage.path(stage.KEYFRAMES), records)
