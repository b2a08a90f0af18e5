"""Render one SynthVAD video: frames, anomaly boxes, intervals, captions; write H.264 mp4.

:func:`render_video` turns a :class:`VideoSpec` into frames ``[T, H, W, 3]`` uint8 and their
annotation, all from the spec's seed: layout and textures, vegetation and camera, the
anomalous event (when the class is not ``normal``) and the normal activity around it.
Frames are painted back to front by each actor's ground row. The anomaly box of a frame is
the union of what the anomalous actors drew on it; intervals are the runs of frames that
have a box. Encoding is
:func:`stprompt_core.video.write.write_mp4`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stprompt_core.offline.synthvad.anomalies import BUILDERS
from stprompt_core.offline.synthvad.bikes import BIKES_STILLS, bikes_plate
from stprompt_core.offline.synthvad.captions import caption_keys, frame_caption
from stprompt_core.offline.synthvad.draw import Box, union
from stprompt_core.offline.synthvad.presets import SynthPreset
from stprompt_core.offline.synthvad.scene import Camera, Vegetation, make_layout, paint_background
from stprompt_core.offline.synthvad.traffic import populate


@dataclass(frozen=True)
class VideoSpec:
    """What the plan fixes for one video; the rest is drawn from ``seed`` while rendering."""

    id: str
    path: str  # relative to the dataset root
    split: str
    cls: str  # dataset label: "normal" or an anomaly class
    num_frames: int
    layout: str
    contrast: float
    anomaly_frames: int  # length of the anomalous event (ignored for normal videos)
    caption_prefix: str
    seed: tuple[int, ...]  # entropy of the video's generator
    zoom: float = 1.0  # camera nearness (scene.Layout.zoom)
    tint: float = 0.0  # colour cast in 0..255 units: > 0 warm, < 0 cool
    biased: bool = False  # the scene was drawn from its label's family (training split's scene bias)


@dataclass
class RenderedVideo:
    """Frames and annotation of one rendered video."""

    frames: np.ndarray  # [T, H, W, 3] uint8 RGB
    boxes: list[Box | None]  # [T] anomaly box per frame (x1, y1, x2, y2), None = normal frame
    intervals: list[list[int]]  # half-open [start, end) runs of anomalous frames
    captions: dict[int, str]  # caption per stored frame (see captions.caption_keys)


def render_video(spec: VideoSpec, preset: SynthPreset) -> RenderedVideo:
    """Render ``spec`` at the preset's size and knobs. Deterministic in ``spec.seed``.

    Raises:
        RuntimeError: an anomalous video ended up without anomalous frames (a bug).
    """
    rng = np.random.default_rng(list(spec.seed))
    T, H, W = spec.num_frames, preset.height, preset.width
    plate = None
    if spec.layout == "real":
        plate = bikes_plate(int(rng.integers(len(BIKES_STILLS))), W, H)
    layout = make_layout(spec.layout, W, H, rng, preset.object_scale, plate, preset.bag_scale, spec.zoom)
    background, tree_bases = paint_background(layout, rng, preset.clutter)
    vegetation = Vegetation(layout, tree_bases, rng)
    camera = Camera(H, W, rng, spec.contrast, preset.noise_std, tint=spec.tint)
    actors, blocks = [], []
    if spec.cls != "normal":
        event = BUILDERS[spec.cls](layout, T, rng, spec.anomaly_frames)
        actors, blocks = list(event.actors), event.blocks
    actors += populate(layout, T, rng, preset.clutter, preset.distractors, blocks)

    place = layout.phrase + (" at dusk" if camera.brightness < -12 else "")
    frames = np.empty((T, H, W, 3), np.uint8)
    boxes: list[Box | None] = []
    tags: list[list[str]] = []
    canvas = np.empty((H, W, 3), np.float32)
    for t in range(T):
        canvas[...] = background
        vegetation.draw(canvas, t)
        order = sorted((d, i) for i, a in enumerate(actors) if (d := a.depth(t)) is not None)
        box, frame_tags, flash = None, [], 0.0
        for _, i in order:
            actor = actors[i]
            drawn = actor.draw(canvas, t, layout)
            flash += actor.flash_gain(t)
            if drawn is None:
                continue
            if actor.anomalous[t]:
                box = union(box, drawn)
            if actor.tags[t] is not None and (actor.anomalous[t] or "|" in actor.tags[t]):
                frame_tags.append(actor.tags[t])
        if box is None:  # only anomalous frames name the anomaly
            frame_tags = [tg for tg in frame_tags if "|" in tg]
        frames[t] = camera.finish(canvas, t, flash)
        boxes.append(box)
        tags.append(frame_tags)
    intervals = runs([b is not None for b in boxes])
    if spec.cls != "normal" and not intervals:
        raise RuntimeError(f"video {spec.id}: the {spec.cls} event drew nothing")
    captions = {k: frame_caption(place, tags[k], spec.caption_prefix)
                for k in caption_keys(T, intervals, preset.caption_stride)}
    return RenderedVideo(frames, boxes, intervals, captions)


def runs(flags: list[bool]) -> list[list[int]]:
    """Half-open ``[start, end)`` runs of ``True`` in ``flags``."""
    out, start = [], None
    for i, f in enumerate(flags):
        if f and start is None:
            start = i
        elif not f and start is not None:
            out.append([start, i])
            start = None
    if start is not None:
        out.append([start, len(flags)])
    return out
