"""Dense refinement of CLIP's last block for patch-level retrieval (optional, ``--set localize.dense=true``).

CLIP's patch tokens after the last block are poorly localized: the last attention mixes
every patch with the global context (and the residual stream carries it on). Training-free
dense-prediction work on CLIP replaces the last block's query-key attention with
self-self attention and drops what spoils locality:

- CLIP Surgery (Li et al. 2023) and GEM (Bousselham et al. 2024): value-value attention;
- SCLIP (Wang et al. 2024): correlative q-q + k-k attention;
- ClearCLIP (Lan et al. 2024): self-self attention with the residual connection and the
  feed-forward network of the last block removed.

:func:`dense_patch_tokens` recomputes the last block of an open_clip ``VisionTransformer``
that way (default: v-v attention, no residual, no FFN, as ClearCLIP does with q-q) and
projects the patch tokens into the joint space exactly as the regular path does (``ln_post``
then ``proj``). With ``attention='qk', residual=True, ffn=True`` it reproduces the
regular tokens, which the tests check.

The feature store keeps only the final projected tokens, not the last block's input, so
this needs the frames again: :mod:`stprompt_core.localize.run` re-decodes the sampled frames
of the videos it localizes (``localize.dense`` requires the videos under the data root).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from stprompt_core.config import choices

ATTENTIONS = choices("localize.dense_attention")


@torch.no_grad()
def dense_patch_tokens(visual: nn.Module, pixels: torch.Tensor, attention: str = "vv", residual: bool = False,
                       ffn: bool = False) -> torch.Tensor:
    """Projected patch tokens with the last block recomputed.

    Args:
        visual: open_clip ``VisionTransformer`` (``model.visual``) with a [CLS] token,
            ``pool_type='tok'`` and a projection.
        pixels: ``[B, 3, h, w]`` preprocessed frames.
        attention: ``vv``, ``qq``, ``kk`` (self-self) or ``qk`` (CLIP's own).
        residual: keep the last block's residual connection around attention.
        ffn: keep the last block's feed-forward branch.

    Returns:
        ``[B, P, D]`` float32 patch embeddings in the joint space, row-major grid order.
    """
    if attention not in ATTENTIONS:
        raise ValueError(f"attention {attention!r} is not one of {list(ATTENTIONS)}")
    if getattr(visual, "attn_pool", None) is not None or getattr(visual, "pool_type", "tok") != "tok" \
            or getattr(visual, "final_ln_after_pool", False) or visual.proj is None:
        raise ValueError("dense refinement needs an open_clip VisionTransformer with a [CLS] token "
                         "(pool_type='tok'), no attentional pooling and a projection")
    dtype = visual.proj.dtype
    x = visual._embeds(pixels.to(dtype))  # [B, 1 + P, width]
    transformer = visual.transformer
    blocks = transformer.resblocks
    if not getattr(transformer, "batch_first", True):
        raise ValueError("dense refinement expects a batch-first open_clip transformer")
    for block in blocks[:-1]:
        x = block(x)
    last = blocks[-1]
    y = _self_attention(last, last.ln_1(x), attention)  # [B, 1 + P, width]
    y = last.ls_1(y)
    x = x + y if residual else y
    if ffn:
        x = x + last.ls_2(last.mlp(last.ln_2(x)))
    tokens = visual.ln_post(x)[:, 1:]  # [B, P, width]
    return (tokens @ visual.proj).float()  # [B, P, D]


def _self_attention(block: nn.Module, x: torch.Tensor, attention: str) -> torch.Tensor:
    """Multi-head attention of ``block.attn`` (``nn.MultiheadAttention``) with chosen scores."""
    attn: nn.MultiheadAttention = block.attn
    B, L, C = x.shape
    H = attn.num_heads
    q, k, v = F.linear(x, attn.in_proj_weight, attn.in_proj_bias).chunk(3, dim=-1)  # [B, L, C] each
    q, k, v = (t.reshape(B, L, H, C // H).transpose(1, 2) for t in (q, k, v))  # [B, H, L, C/H]
    left, right = {"vv": (v, v), "qq": (q, q), "kk": (k, k), "qk": (q, k)}[attention]
    weights = torch.softmax(left @ right.transpose(-2, -1) * (C // H) ** -0.5, dim=-1)  # [B, H, L, L]
    out = (weights @ v).transpose(1, 2).reshape(B, L, C)  # [B, L, C]
    return attn.out_proj(out)
