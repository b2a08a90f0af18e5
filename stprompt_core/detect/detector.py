"""A trained run, loaded for scoring one video: its backbone, detector, localization queries and settings.

Everything comes from the run folder, so ``stprompt detect`` scores a file exactly as the
run's own pipeline scored its test split:

- ``config.json``: the backbone (model, weights, the precision extraction chose), snippet
  length, top-K patches, the crop ``eval.crop`` scores (multi-crop extraction), and the ``localize``
  settings (prompt bank, temperature, map threshold, window, box mode);
- ``best.safetensors``: the detector's weights (:func:`~stprompt_core.train.load_run`,
  digest-checked; no pickle).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from stprompt_core.backbone.clip import load_clip
from stprompt_core.backbone.encoder import FrameEncoder
from stprompt_core.config import Config, LocalizeConfig, config_from_dict
from stprompt_core.io import read_json
from stprompt_core.localize.windows import window_geometries
from stprompt_core.model.stprompt import STPrompt
from stprompt_core.prompts.bank import resolve_bank
from stprompt_core.prompts.queries import encode_texts, settings_queries
from stprompt_core.runtime import resolve_device
from stprompt_core.train import load_run
from stprompt_core.video.crops import Crop
from stprompt_core.video.geometry import FrameGeometry


class RunFolderError(FileNotFoundError):
    """The run folder lacks what detection needs; the message names the file and the command that writes it."""


@dataclass
class Detector:
    """What scoring a video needs, loaded once.

    Attributes:
        cfg: the run's config.
        model: the STPrompt detector (eval mode) on ``device``.
        encoder: the frozen backbone's frame encoder (extraction's precision rule).
        text: ``[N, D]`` L2-normalised prompt embeddings of the run's localization bank.
        abnormal: ``[N]`` bool, which localization queries are abnormal.
        settings: the run's ``localize`` section.
        device: where the detector runs.
    """

    cfg: Config
    model: STPrompt
    encoder: FrameEncoder
    text: torch.Tensor
    abnormal: np.ndarray
    settings: LocalizeConfig
    device: torch.device
    run_dir: Path

    @property
    def snippet_len(self) -> int:
        return self.cfg.data.snippet_len

    @property
    def threshold(self) -> float:
        """The run's temporal threshold (``localize.score_threshold``): frames at or above it pass."""
        return self.settings.score_threshold

    def scored_crop(self, frame_size: tuple[int, int]) -> Crop:
        """The crop extraction gave the test split and ``eval.crop`` scores (the backbone's own
        transform unless the run extracted the test split multi-crop)."""
        x = self.cfg.extract
        crops = x.crops if x.crops > 1 and self.cfg.data.test_split in x.crop_splits else 1
        cut = self.encoder.crops(frame_size, crops, (x.crop_resize_wh or x.crop_resize) if crops > 1 else 0)
        return cut[self.cfg.eval.crop if crops > 1 else 0]

    def map_windows(self, frame_size: tuple[int, int]) -> list[FrameGeometry]:
        """The frame windows localization maps come from (``localize.window``; ``stored`` is the
        backbone's own transform, whose tokens the feature store keeps)."""
        return window_geometries(self.settings.window, frame_size, self.encoder.input_hw, self.encoder.resize_mode,
                                 self.settings.n_tiles)

    def reuses_scored_tokens(self, frame_size: tuple[int, int]) -> bool:
        """Whether the maps come from the very forward that scored the frame (no second encoding)."""
        s = self.settings
        return s.window == "stored" and not s.dense and self.scored_crop(frame_size).index == 0


def load_detector(run_dir: str | Path, checkpoint: str = "best", device: str | None = None,
                  precision: str = "auto") -> Detector:
    """Load a finished run for :func:`~stprompt_core.detect.run.detect`.

    Args:
        run_dir: a run folder written by ``stprompt train``.
        checkpoint: ``best`` or ``last`` weights.
        device: override the run's ``extract.device`` (backbone and detector run together).
        precision: backbone precision, as extraction's (``auto``: bf16 on CPUs with native bf16).

    Raises:
        RunFolderError: no ``config.json`` or no weights in ``run_dir`` (named).
        BackboneError: the run's backbone weights cannot be loaded offline.
    """
    run_dir = Path(run_dir)
    if not (run_dir / "config.json").is_file():
        raise RunFolderError(f"{run_dir}: not a run folder (no config.json); train one with `stprompt train "
                             f"--run-dir {run_dir}` or pass the folder `stprompt train` wrote")
    weights = run_dir / "best.safetensors"
    if checkpoint == "best" and not weights.is_file():
        raise RunFolderError(f"{weights}: the run has no trained weights (training never finished an epoch); "
                             f"run `stprompt train --run-dir {run_dir}` to finish it")

    probe = config_from_dict(read_json(run_dir / "config.json"))
    dev = resolve_device(device or probe.extract.device, "--device" if device else "extract.device")
    cfg, model = load_run(run_dir, dev, checkpoint)
    clip = load_clip(cfg.backbone, device="cpu")
    s = cfg.localize
    bank, _ = resolve_bank(s.bank or None, cfg.data.dataset)
    queries = settings_queries(bank, s)
    text = encode_texts(clip, cfg.backbone.model_name, queries.texts)  # [N, D]
    encoder = FrameEncoder.from_config(cfg.backbone, device=dev, precision=precision, model=clip)
    return Detector(cfg, model, encoder, text.to(dev), queries.abnormal, s, dev, run_dir)
