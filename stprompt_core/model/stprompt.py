"""The STPrompt temporal detector: SA2 → temporal adapter → binary and alignment branches.

Shapes: B videos, T snippets (padded), K motion patches per snippet, D joint-space dim,
C classes (index 0 = normal).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from stprompt_core.backbone.configs import embed_dim
from stprompt_core.classes import class_prompts
from stprompt_core.config import Config
from stprompt_core.model.adapter import TemporalAdapter
from stprompt_core.model.branches import AlignmentBranch, BinaryBranch, VisualPrompt
from stprompt_core.model.prompt import PromptLearner
from stprompt_core.model.prompt_hf import HFPromptLearner, has_hf_text_tower
from stprompt_core.model.sa2 import SpatialAttentionAggregation


@dataclass
class Outputs:
    binary_logits: torch.Tensor  # [B, T]
    align_logits: torch.Tensor  # [B, T, C]
    text_features: torch.Tensor  # [C, D]
    features: torch.Tensor  # [B, T, D] after the adapter

    @property
    def scores(self) -> torch.Tensor:
        """Per-snippet anomaly confidence in [0, 1], ``[B, T]``."""
        return torch.sigmoid(self.binary_logits)

    @property
    def align_scores(self) -> torch.Tensor:
        """1 − softmax probability of the normal class (index 0) in the alignment branch, ``[B, T]``
        (VadCLIP's XD-Violence score, ``xd_test.py``)."""
        return 1.0 - self.align_logits.softmax(dim=-1)[..., 0]

    def branch_scores(self, branch: str) -> torch.Tensor:
        """``[B, T]`` scores of ``eval.score_branch``: ``"binary"`` or ``"align"``."""
        if branch not in SCORE_BRANCHES:
            raise ValueError(f"score branch {branch!r} is not one of {list(SCORE_BRANCHES)}")
        return self.scores if branch == "binary" else self.align_scores


SCORE_BRANCHES = ("binary", "align")


def build_prompt_learner(clip_model: nn.Module, model_name: str, class_names: list[str], n_ctx: int) -> nn.Module:
    """The learnable prompts for ``clip_model``'s text tower: :class:`~stprompt_core.model.prompt.PromptLearner`
    for an open_clip one, :class:`~stprompt_core.model.prompt_hf.HFPromptLearner` for a Hugging Face
    one (SynthCLIP's MiniLM); both return ``[C, D]`` from ``forward()``."""
    cls = HFPromptLearner if has_hf_text_tower(clip_model) else PromptLearner
    return cls(clip_model, model_name, class_names, n_ctx)


class STPrompt(nn.Module):
    def __init__(self, cfg: Config, clip_model: nn.Module):
        super().__init__()
        m, dim = cfg.model, embed_dim(cfg.backbone.model_name)
        self.sa2 = SpatialAttentionAggregation(dim, m.sa2_mode, m.sa2_motion_temperature)
        self.adapter = TemporalAdapter(dim, m.adapter_kind, m.adapter_depth, m.sigma, m.adapter_heads,
                                       m.ffn_ratio, m.dropout)
        self.binary = BinaryBranch(dim, m.binary_hidden, m.dropout, m.binary_head)
        self.visual_prompt = VisualPrompt(dim) if m.visual_prompt else None
        self.prompt = build_prompt_learner(clip_model, cfg.backbone.model_name, class_prompts(cfg.data.dataset),
                                           m.prompt_ctx_len)
        self.align = AlignmentBranch(m.logit_temperature)
        self._text_cache: torch.Tensor | None = None

    def text_features(self) -> torch.Tensor:
        """``[C, D]``; recomputed every training step, cached while in eval mode."""
        if self.training:
            self._text_cache = None
            return self.prompt()
        if self._text_cache is None:
            with torch.no_grad():
                self._text_cache = self.prompt()
        return self._text_cache

    def train(self, mode: bool = True) -> "STPrompt":
        self._text_cache = None
        return super().train(mode)

    def forward(self, frame: torch.Tensor, patches: torch.Tensor, motion: torch.Tensor,
                mask: torch.Tensor) -> Outputs:
        """
        Args:
            frame: ``[B, T, D]`` [CLS] features.
            patches: ``[B, T, K, D]`` top-K motion patch features.
            motion: ``[B, T, K]`` their motion magnitudes.
            mask: ``[B, T]`` bool, True for real (unpadded) snippets.
        """
        text = self.text_features()  # [C, D]
        # 1. SA2: fuse each frame with its attention-weighted motion patches
        x = self.sa2(frame, patches, motion, text)  # [B, T, D]
        # 2. temporal adapter: mixing by relative distance, padding excluded
        x = self.adapter(x, mask)  # [B, T, D]
        # 3. binary branch: per-snippet anomaly logit
        binary = self.binary(x)  # [B, T]
        # 4. alignment branch: cosine to the class embeddings of the learnable context prompt (with
        #    model.visual_prompt, each video's own: shifted by its binary-weighted summary, [B, C, D])
        prompted = self.visual_prompt(x, binary, mask, text) if self.visual_prompt is not None else text
        align = self.align(x, prompted)  # [B, T, C]
        return Outputs(binary, align, text, x)


def trainable_state_dict(model: STPrompt) -> dict[str, torch.Tensor]:
    """Parameters and persistent buffers, without the frozen text tower (never in state_dict)."""
    return {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
