"""The offline world: stand-ins for real videos and for OpenAI's CLIP, so the workshop runs
offline on a CPU.

- :mod:`~stprompt_core.offline.synthvad`: SynthVAD, a procedurally rendered fixed-camera
  surveillance benchmark with frame-level and box labels, written as mp4 videos with a
  manifest in the real datasets' schema (the stand-in for UCF-Crime and the others).
- :mod:`~stprompt_core.offline.synthclip`: SynthCLIP, a small CLIP-style backbone
  pretrained on SynthVAD renders and shipped with its card (the stand-in for ViT-B/16).

Neither is part of the method: the method's folders (``video``, ``data``, ``backbone``,
``features``, ``model``, training, evaluation, ``localize``, ``prompts``, ``figures``)
never import this package; only the cache-or-compute stages (``pipeline.py``) and the
``stprompt synthvad`` / ``stprompt synthclip`` commands (``cli/``) do. SynthCLIP's weights load
through :func:`stprompt_core.backbone.clip.load_clip` like any open_clip checkpoint, and a
SynthVAD manifest is read like any other.
"""
