"""One SynthVAD video no split contains: the default input of "your own video" (notebook 06).

The benchmark draws video ``i`` from ``[seed, i, ...]`` with ``synthvad.seed`` (0 by default),
and SynthCLIP's pretraining corpus from ``CORPUS_SEED_OFFSET + seed``
(:mod:`stprompt_core.offline.synthclip.data`); :data:`EXAMPLE_SEED` is neither, so the
example is footage the detector and its backbone have never seen, from the same world.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from stprompt_core.offline.synthvad.generate import plan, render_entry
from stprompt_core.offline.synthvad.presets import get_preset

EXAMPLE_SEED = 2_000_003  # no benchmark seed (0) and no SynthCLIP corpus seed (1_000_003 + seed) draws from it


def render_example(preset: str, out_dir: str | Path, cls: str = "fighting", seed: int = EXAMPLE_SEED) -> Path:
    """Render the first test-split video of class ``cls`` that ``preset`` plans from ``seed``
    into ``out_dir`` (reused when already there); returns the mp4's path."""
    p = get_preset(preset)
    spec = next((s for s in plan(p, seed) if s.split == "test" and s.cls == cls), None)
    if spec is None:
        raise ValueError(f"SynthVAD preset {preset!r} has no test video of class {cls!r}")
    name = f"example_{cls}_seed{seed}"  # not a split's name: its detections never mix with a test video's
    spec = dataclasses.replace(spec, id=name, path=f"{name}.mp4")
    path = Path(out_dir) / spec.path
    if not path.is_file():
        render_entry(spec, p, out_dir)
    return path
