"""SynthCLIP: a small CLIP-style model pretrained offline on SynthVAD for the workshop profile.

No reachable registry carries CLIP weights, so the project pretrains its own vision-language
backbone: a small open_clip ViT (its patch embedding replaced by a convolutional stem,
:mod:`stprompt_core.backbone.stem`) on SynthVAD frames with their captions, on crops of the
annotated anomalies with their event phrases, and with patch tokens under the boxes pulled
towards those phrases, against the frozen all-MiniLM-L6-v2 sentence encoder (design b;
design a, a from-scratch text transformer, is kept as ``SynthCLIP-S`` for comparison). The workshop weights are pretrained once on a corpus of their own and shipped in
``pretrained/`` with a card (:mod:`~stprompt_core.offline.synthclip.card`); the tiny CI profile trains
its own in seconds. The result is an ordinary open_clip checkpoint: the backbone interface
(``load_clip``, ``FrameEncoder``, prompt learners, localization) uses it like ViT-B/16.

Modules, one concern each, each importing only those listed before it: ``captions`` (texts
derived from frame captions), ``data`` (decoded frames, boxes, training views), ``model``
(the model configs and building models to train; the MiniLM files are the backbone's,
:mod:`stprompt_core.backbone.text_tower`), ``card`` (the shipped weights: where they live,
their card, how they are checked), ``train`` (the loop and losses), ``evaluate`` (zero-shot,
paraphrases, localization), ``cache`` (cache-or-compute of the weights), ``publish`` (shipping
trained weights with a card). The training recipe is the project config's ``synthclip``
section (:class:`stprompt_core.config.SynthClipConfig`), set by the profiles like any other.

Example::

    from stprompt_core.config import load_config
    from stprompt_core.offline.synthclip import ensure_synthclip
    info = ensure_synthclip(load_config("workshop"))   # {"reused": ..., "checkpoint": ...}
"""

from stprompt_core.offline.synthclip.cache import (
    default_checkpoint,
    ensure_synthclip,
    load_synthclip,
    save_checkpoint,
    synthvad_fingerprint,
)
from stprompt_core.offline.synthclip.evaluate import evaluate_checkpoint, evaluate_synthclip
from stprompt_core.offline.synthclip.model import DEFAULT_MODEL, SCRATCH_MODEL, build_model
from stprompt_core.offline.synthclip.train import TrainResult, train_synthclip

__all__ = ["DEFAULT_MODEL", "SCRATCH_MODEL", "TrainResult", "build_model",
           "default_checkpoint", "ensure_synthclip", "evaluate_checkpoint", "evaluate_synthclip",
           "load_synthclip", "save_checkpoint", "synthvad_fingerprint", "train_synthclip"]
