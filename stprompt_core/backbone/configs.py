"""The project's open_clip model configs (``model_configs/*.json``): registration and reading.

The small architectures this project defines (``STP-Tiny``, ``STP-Small``, the SynthCLIP
models) are JSON files in ``model_configs/`` registered with ``open_clip.add_model_config``;
those that replace the patch embedding by a convolutional stem are listed in
``model_configs/conv_stems.json`` (:mod:`stprompt_core.backbone.stem`).
"""

from __future__ import annotations

from pathlib import Path

from stprompt_core.backbone.stem import conv_stem_channels

MODEL_CONFIG_DIR = Path(__file__).parent / "model_configs"
_registered = False


def register_model_configs() -> None:
    """Make open_clip know the project's model configs (once per process)."""
    global _registered
    if not _registered:
        import open_clip

        open_clip.add_model_config(MODEL_CONFIG_DIR)
        _registered = True


def model_config(model_name: str) -> dict:
    """The open_clip config of ``model_name`` (project configs registered first), with
    ``conv_stem``: its stem's channels where it has one (:mod:`stprompt_core.backbone.stem`).

    Raises:
        KeyError: no such model config.
    """
    import open_clip

    register_model_configs()
    cfg = open_clip.get_model_config(model_name)
    if cfg is None:
        raise KeyError(f"unknown open_clip model {model_name!r}")
    channels = conv_stem_channels(model_name)
    return {**cfg, "conv_stem": channels} if channels is not None else cfg


def embed_dim(model_name: str) -> int:
    """Width ``D`` of ``model_name``'s joint image-text space (its config's ``embed_dim``)."""
    return int(model_config(model_name)["embed_dim"])
