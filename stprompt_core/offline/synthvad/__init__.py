"""SynthVAD: a procedurally rendered, fixed-camera surveillance benchmark with spatial labels.

Textured scenes (road, pavement, grass, walls) with busy normal activity (walkers, vehicles,
swaying vegetation, flicker, sensor noise, hard negatives) and six anomaly classes with
per-frame boxes: fighting, falling, chasing, fire, crash, abandoned (see ``anomalies``).
Videos are H.264 mp4 written with PyAV; the manifest uses the real datasets' schema.

Modules, one concept each: ``draw`` (raster primitives), ``scene`` (layouts, textures,
vegetation, camera), ``actors`` (people, bags, vehicles), ``traffic`` (normal activity and
distractors), ``anomalies`` (one builder per class), ``captions``, ``presets`` (sizes and
difficulty knobs), ``render`` (one video), ``generate`` (a dataset), ``bikes`` (optional
real-footage plates).

Example::

    from stprompt_core.offline.synthvad import generate
    manifest = generate("tiny", "cache/synthvad/tiny", seed=0)
"""

from stprompt_core.offline.synthvad.captions import caption_at
from stprompt_core.offline.synthvad.generate import ensure_generated, generate, plan, render_entry
from stprompt_core.offline.synthvad.presets import PRESETS, SynthPreset, get_preset, preset_of, with_overrides
from stprompt_core.offline.synthvad.render import RenderedVideo, VideoSpec, render_video

__all__ = ["PRESETS", "RenderedVideo", "SynthPreset", "VideoSpec", "caption_at", "ensure_generated", "generate", "get_preset",
           "plan", "preset_of", "render_entry", "render_video", "with_overrides"]
