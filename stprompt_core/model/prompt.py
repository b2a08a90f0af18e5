"""The learnable context prompt: CoOp-style context vectors through the frozen text encoder.

"Learnable context prompt" is the project's name for these vectors (``model.prompt_ctx_len``
of them); it is distinct from the prompt bank (texts for localization), from the localization
queries built from that bank, and from VadCLIP's visual prompt (``model.visual_prompt``,
:class:`~stprompt_core.model.branches.VisualPrompt`).

Each class text is ``[SOT] X_1 … X_n <class name> . [EOT]``: the n context vectors X are
learned and shared by all classes, the class-name tokens and the whole text tower stay
frozen. Only the positions up to the longest [EOT] are run through the causal text
transformer — later positions cannot influence the [EOT] output — so a 77-token CLIP
context costs ~16 positions.
"""

from __future__ import annotations

import torch
from torch import nn


class ContextPrompt(nn.Module):
    """The learnable context prompt: ``n_ctx`` context vectors in place of the placeholder words
    after the first token, through a frozen text tower; subclasses tokenize and wrap the tower.

    The tower is a plain holder (``_text``: ``embed(tokens)``, ``encode(emb, select)``,
    ``module``) outside the state dict: checkpoints store only the context vectors, and the
    tower is rebuilt from the backbone config.
    """

    def _setup(self, tokens: torch.Tensor, select: torch.Tensor, width: int, n_ctx: int, text) -> None:
        """``tokens [C, L']``; ``select``: what ``text.encode`` reads the output with."""
        self.n_ctx = n_ctx
        self.register_buffer("tokens", tokens, persistent=False)  # [C, L']
        self.register_buffer("select", select, persistent=False)
        self.ctx = nn.Parameter(torch.randn(n_ctx, width) * 0.02)  # [n_ctx, W]
        self._text = text

    def forward(self) -> torch.Tensor:
        """Class text features ``[C, D]`` (not normalised)."""
        emb = self._text.embed(self.tokens)  # [C, L', W]
        ctx = self.ctx.to(emb.dtype).expand(emb.shape[0], -1, -1)
        emb = torch.cat([emb[:, :1], ctx, emb[:, 1 + self.n_ctx:]], dim=1)
        return self._text.encode(emb, self.select)

    def _apply(self, fn, recurse=True):  # keep the hidden tower on the same device/dtype
        super()._apply(fn, recurse)
        self._text.module._apply(fn)
        return self


class PromptLearner(ContextPrompt):
    """Class text embeddings ``[C, D]`` through an open_clip text tower (read at each [EOT])."""

    def __init__(self, clip_model: nn.Module, model_name: str, class_names: list[str], n_ctx: int):
        super().__init__()
        import open_clip

        for attr in ("token_embedding", "positional_embedding", "transformer", "ln_final", "attn_mask"):
            if not hasattr(clip_model, attr):
                raise ValueError(f"backbone {model_name!r} has no open_clip text tower attribute {attr!r}")
        tokenizer = open_clip.get_tokenizer(model_name)
        placeholder = " ".join(["X"] * n_ctx)
        tokens = tokenizer([f"{placeholder} {name}." for name in class_names])  # [C, L]
        eot = tokens.argmax(dim=-1)  # EOT has the largest id in CLIP's vocabulary
        length = int(eot.max()) + 1
        self._setup(tokens[:, :length].clone(), eot, clip_model.token_embedding.weight.shape[1], n_ctx,
                    _FrozenTextTower(clip_model, length))


class _FrozenTextTower:
    """Plain holder (not an ``nn.Module``) so the tower stays out of ``state_dict``."""

    def __init__(self, clip_model: nn.Module, length: int):
        self.module = nn.ModuleDict({
            "token_embedding": clip_model.token_embedding,
            "transformer": clip_model.transformer,
            "ln_final": clip_model.ln_final,
        })
        self.positional = clip_model.positional_embedding
        self.attn_mask = clip_model.attn_mask
        self.projection = clip_model.text_projection
        self.length = length
        for p in self.module.parameters():
            p.requires_grad_(False)

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.module["token_embedding"](tokens)

    def encode(self, emb: torch.Tensor, eot: torch.Tensor) -> torch.Tensor:
        L = self.length
        x = emb + self.positional[:L].to(emb.device, emb.dtype)
        mask = self.attn_mask[:L, :L].to(emb.device) if self.attn_mask is not None else None
        x = self.module["transformer"](x, attn_mask=mask)  # [C, L, W]
        x = self.module["ln_final"](x)
        x = x[torch.arange(x.shape[0], device=x.device), eot]  # [C, W]
        proj = self.projection
        if isinstance(proj, nn.Linear):
            return proj(x)
        return x @ proj.to(x.device, x.dtype) if proj is not None else x
