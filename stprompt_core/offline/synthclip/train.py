"""Train SynthCLIP: open_clip's model classes and ``open_clip.ClipLoss`` on SynthVAD.

Each step draws (see :mod:`stprompt_core.offline.synthclip.data`)

1. ``batch_frames`` whole frames, half anomalous, with distinct captions, as random crops
   of what the backbone's test transform sees;
2. ``batch_regions`` crops of annotated anomaly boxes with distinct event phrases;

and sums three contrastive losses (CLIP's symmetric InfoNCE, ``open_clip.ClipLoss``) with
the model's learnable temperature:

- **global**: pooled image embeddings of frames and crops against their captions / event
  phrases;
- **patch**: projected patch tokens (``visual.output_tokens``, ``@ visual.proj``: exactly
  the tokens extraction stores) averaged under the anomaly box against the event phrase,
  and averaged outside it against the rest of the caption. Without it only the [CLS]
  token would be trained to mean something, and patch-to-text localization would compare
  text with untrained tokens;
- **event**: the anomalous frames' pooled embeddings against their event phrase alone, so
  that the frame embedding is nearest to what happens, not only to the whole scene
  description (a caption is mostly normal activity and place). ``event_loss="clip"``:
  InfoNCE over the batch's distinct located phrases; ``"anchored"``: anomalous frames and
  region crops classified (cross-entropy, the model's temperature) over every event
  caption of the data without its location (:func:`~stprompt_core.offline.synthclip.captions.event_caption`),
  so frames of one kind of event share one positive and are never each other's negatives.

A locked HF text tower (design b) is run once per distinct text before training; its
linear projection trains. A from-scratch text tower (design a) runs every step.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from stprompt_core.backbone.text_tower import frozen_pooled, is_locked_hf_text
from stprompt_core.config import ConfigError, SynthClipConfig, choices
from stprompt_core.offline.synthclip.captions import event_caption, event_captions
from stprompt_core.offline.synthclip.data import FrameSet, patch_weights, region_views, training_views
from stprompt_core.offline.synthclip.model import build_model


class TextBank:
    """Text features of a fixed set of texts for a model that trains.

    Design (b): the frozen MiniLM's pooled outputs are computed once (``[U, 384]``) and only
    the projection runs per step, which equals ``model.encode_text`` as the tower is frozen
    and in eval mode. Design (a): tokens are stored and ``encode_text`` runs per step.
    """

    def __init__(self, model: nn.Module, model_name: str, texts: list[str], batch_size: int = 256):
        self.index = {t: i for i, t in enumerate(texts)}
        self.device = torch.device("cpu")
        self.locked = is_locked_hf_text(model)
        if self.locked:
            self.pooled = frozen_pooled(model, model_name, texts, batch_size)  # [U, W] mean-pooled MiniLM outputs
        else:
            import open_clip  # as in train_synthclip

            self.tokens = open_clip.get_tokenizer(model_name)(texts)  # [U, L]

    def to(self, device: torch.device) -> "TextBank":
        """Keep the stored features or tokens on ``device`` (the model's)."""
        self.device = device
        if self.locked:
            self.pooled = self.pooled.to(device)
        else:
            self.tokens = self.tokens.to(device)
        return self

    def features(self, model: nn.Module, texts: list[str]) -> torch.Tensor:
        """Unnormalised text embeddings ``[n, D]`` with gradients to the trainable parts."""
        idx = torch.tensor([self.index[t] for t in texts], dtype=torch.long, device=self.device)
        if self.locked:
            return model.text.proj(self.pooled[idx])
        return model.encode_text(self.tokens[idx])


@dataclass
class TrainResult:
    model: nn.Module
    losses: list[float] = field(default_factory=list)  # total loss per step
    global_losses: list[float] = field(default_factory=list)
    patch_losses: list[float] = field(default_factory=list)
    seconds: float = 0.0  # optimisation only (text features of a locked tower included)


def train_synthclip(model_name: str, frames: FrameSet, settings: SynthClipConfig, progress: bool = False,
                    model: nn.Module | None = None, device: str | torch.device = "cpu",
                    every: int = 0, on_every: Callable[[int, nn.Module], None] | None = None) -> TrainResult:
    """Train ``model_name`` (from :func:`build_model`: random, or ``settings.init``; or ``model``) on ``frames``.

    Deterministic for ``settings.seed`` on a given machine and thread count (on CPU).

    Args:
        device: where the model trains; batches are cut from ``frames`` on the CPU, so the
            random stream (and, up to floating point, the run) is the same on any device.
        every, on_every: call ``on_every(step, model)`` after every ``every`` steps (e.g. a
            validation curve); the model is in eval mode during the call and the training
            random streams are not touched, so the weights do not depend on it.

    Returns:
        :class:`TrainResult` with the model in eval mode, on the CPU.

    Raises:
        ConfigError: ``settings.event_loss`` is not one of the losses (a recipe built around
            :func:`~stprompt_core.config.apply_overrides`, e.g. with ``dataclasses.replace``).
    """
    import open_clip

    s = settings
    losses = choices("synthclip.event_loss")
    if s.event_loss not in losses:
        raise ConfigError(f"synthclip.event_loss={s.event_loss!r} is not one of {list(losses)}")
    start = time.perf_counter()
    device = torch.device(device)
    model = (model if model is not None else build_model(model_name, s.seed, s.init)).cpu()
    visual = model.visual
    pp = open_clip.get_model_preprocess_cfg(model)
    size = pp.get("size", visual.image_size)
    input_hw = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    mean, std = torch.tensor(pp["mean"]), torch.tensor(pp["std"])
    grid = tuple(int(g) for g in visual.grid_size)
    patch_hw = tuple(int(p) for p in visual.patch_size)

    anchors = event_captions(frames.regions) if s.event_loss == "anchored" else []
    bank = TextBank(model, model_name, sorted(set(frames.texts()) | set(anchors))).to(device)
    model.to(device)
    anchor_index = {t: i for i, t in enumerate(anchors)}
    opt, sched = make_optimizer([p for p in model.parameters() if p.requires_grad], s)
    loss_fn = open_clip.ClipLoss()
    rng = np.random.default_rng([s.seed, 1])
    gen = torch.Generator().manual_seed(s.seed)
    anomalous = frames.anomalous.numpy()
    anom_pool, normal_pool = np.flatnonzero(anomalous), np.flatnonzero(~anomalous)
    result = TrainResult(model)

    model.train()
    if bank.locked:
        model.text.transformer.eval()  # frozen: no dropout (its features are precomputed anyway)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=s.steps, desc=f"synthclip {model_name}", unit="step")
    before = visual.output_tokens
    visual.output_tokens = True
    try:
        for step in range(1, s.steps + 1):
            # 1. whole frames (half anomalous) and region crops, texts distinct within each group
            seen: set[str] = set()
            idx_a = _distinct(anom_pool, frames.captions, s.batch_frames // 2, rng, seen)
            idx_n = _distinct(normal_pool, frames.captions, s.batch_frames - len(idx_a), rng, seen)
            idx_f = np.concatenate([idx_a, idx_n])
            views = training_views(frames.frames[idx_f], frames.boxes[idx_f], input_hw, mean, std, gen)
            idx_r = _distinct(anom_pool, frames.regions, s.batch_regions, rng, set())
            pixels = views.pixels
            if len(idx_r):
                crops = region_views(frames.frames[idx_r], frames.boxes[idx_r], input_hw, mean, std, gen,
                                     s.region_margin, s.region_min_side)
                pixels = torch.cat([pixels, crops])
            pooled, tokens = visual(pixels.to(device))  # [B, D], [B, P, width]
            scale = model.logit_scale.exp()
            # 2. global loss: frames vs captions, crops vs event phrases
            texts = [frames.captions[i] for i in idx_f] + [frames.regions[i] for i in idx_r]
            loss_g = loss_fn(F.normalize(pooled, dim=-1), F.normalize(bank.features(model, texts), dim=-1), scale)
            # 3. patch loss: tokens under the box vs event phrase, the others vs the rest of the caption
            nf = len(idx_f)
            tok = tokens[:nf] @ visual.proj  # [nf, P, D]
            w_in = patch_weights(views.boxes, grid, patch_hw).to(device)  # [nf, P]
            feats, ptexts = _patch_pairs(tok, w_in, [frames.regions[i] for i in idx_f],
                                         [frames.contexts[i] for i in idx_f])
            loss_p = loss_fn(F.normalize(feats, dim=-1), F.normalize(bank.features(model, ptexts), dim=-1), scale)
            # 4. event loss: anomalous frames' embeddings vs their event phrase alone
            loss_e = torch.zeros((), device=device)
            keep = [] if anchors else _first_per_text([frames.regions[i] for i in idx_a])
            if anchors:
                rows = torch.cat([pooled[: len(idx_a)], pooled[nf:]])  # anomalous frames, then region crops
                target = torch.tensor([anchor_index[event_caption(frames.regions[i])]
                                       for i in np.concatenate([idx_a, idx_r])], device=device)
                text_e = F.normalize(bank.features(model, anchors), dim=-1)  # [A, D]
                loss_e = F.cross_entropy(scale * F.normalize(rows, dim=-1) @ text_e.T, target)
            elif len(keep) > 1:
                etexts = [frames.regions[idx_a[k]] for k in keep]
                loss_e = loss_fn(F.normalize(pooled[keep], dim=-1), F.normalize(bank.features(model, etexts), dim=-1),
                                 scale)
            loss = loss_g + s.patch_loss_weight * loss_p + s.event_loss_weight * loss_e
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            with torch.no_grad():
                model.logit_scale.clamp_(0, math.log(100))  # CLIP's clamp
            result.losses.append(float(loss.detach()))
            result.global_losses.append(float(loss_g.detach()))
            result.patch_losses.append(float(loss_p.detach()))
            if bar:
                bar.update()
                bar.set_postfix(loss=f"{result.losses[-1]:.3f}")
            if on_every is not None and every > 0 and step % every == 0:
                visual.output_tokens = before
                model.eval()
                with torch.random.fork_rng(devices=[]):
                    on_every(step, model)
                model.train()
                if bank.locked:
                    model.text.transformer.eval()
                visual.output_tokens = True
    finally:
        visual.output_tokens = before
        if bar:
            bar.close()
    model.eval().cpu()
    result.seconds = time.perf_counter() - start
    return result


def _patch_pairs(tok: torch.Tensor, w_in: torch.Tensor, regions: list[str], contexts: list[str]
                 ) -> tuple[torch.Tensor, list[str]]:
    """Box-pooled and outside-pooled token features with their texts, each text once."""
    feats, texts, seen = [], [], set()
    covered = w_in.sum(dim=1)  # [nf] patches' worth under the box
    inside = (w_in[:, :, None] * tok).sum(dim=1) / covered.clamp(min=1e-6)[:, None]  # [nf, D]
    w_out = 1.0 - w_in
    outside = (w_out[:, :, None] * tok).sum(dim=1) / w_out.sum(dim=1).clamp(min=1e-6)[:, None]  # [nf, D]
    for i in range(len(regions)):
        if regions[i] and covered[i] >= 0.5 and regions[i] not in seen:
            seen.add(regions[i])
            feats.append(inside[i])
            texts.append(regions[i])
        if contexts[i] not in seen:
            seen.add(contexts[i])
            feats.append(outside[i])
            texts.append(contexts[i])
    return torch.stack(feats), texts


def _first_per_text(texts: list[str]) -> list[int]:
    """Positions of the first occurrence of each distinct text."""
    seen: dict[str, int] = {}
    for i, t in enumerate(texts):
        seen.setdefault(t, i)
    return sorted(seen.values())


def _distinct(pool: np.ndarray, texts: list[str], k: int, rng: np.random.Generator, seen: set[str]) -> np.ndarray:
    """Up to ``k`` random indices of ``pool`` whose texts differ from each other and from ``seen``."""
    out = []
    if k <= 0 or len(pool) == 0:
        return np.zeros(0, dtype=np.int64)
    for i in rng.permutation(pool):
        if texts[i] not in seen:
            seen.add(texts[i])
            out.append(int(i))
            if len(out) == k:
                break
    return np.asarray(out, dtype=np.int64)


def make_optimizer(params: list[nn.Parameter], settings: SynthClipConfig, steps: int | None = None
                   ) -> tuple[torch.optim.AdamW, torch.optim.lr_scheduler.LambdaLR]:
    """The recipe's optimizer: AdamW at ``settings.lr``, weight decay on matrices only, and a
    per-step schedule of linear warmup then cosine to zero over ``steps`` (default ``settings.steps``)."""
    total = settings.steps if steps is None else steps
    opt = torch.optim.AdamW([{"params": [p for p in params if p.ndim >= 2], "weight_decay": settings.weight_decay},
                             {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0}], lr=settings.lr)
    return opt, torch.optim.lr_scheduler.LambdaLR(opt, lambda k: _lr_factor(k, settings.warmup_steps, total))


def _lr_factor(step: int, warmup: int, total: int) -> float:
    """Linear warmup to 1, then cosine to 0."""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
