"""How well SynthCLIP's image and text sides agree on held-out SynthVAD frames.

On anomalous frames of held-out videos (boxes known), through the same
:class:`~stprompt_core.backbone.encoder.FrameEncoder` extraction uses:

1. **zero-shot event class** (6-way over the anomaly classes): the frame's [CLS] embedding
   against the class names of :mod:`stprompt_core.classes` in the project's zero-shot
   template (``canonical``), bare (``canonical_bare``), and replaced by the prompt bank's
   ``paraphrases`` (words the captions never use: ``brawl``, ``blaze``, ``left luggage``;
   one classifier per paraphrase index, averaged) and by its event descriptions
   (``descriptions``: one classifier per description index, averaged);
2. **pointing game**: the patch most similar to the true class prompt overlaps the
   annotated box, against the hit rate of a uniformly random patch (``pointing_chance``);
3. **the event alone** (``event``, 6-way as in 1): the mean of the patch tokens under the box
   (each patch weighted by the share of it the box covers: ``box_tokens``), and the [CLS]
   embedding of a square crop of the box grown by ``REGION_MARGIN`` of its size on each side
   (at least ``REGION_MIN_SIDE`` pixels), resized to the model's input (``region_crop``).
   Beside the whole-frame [CLS] of 1, they say whether the model knows a small event that
   the frame embedding has lost among the rest of the scene;
4. **mean IoU of the thresholded patch map**: each patch is abnormal when the softmax of
   its similarities to the localization queries (:func:`stprompt_core.prompts.queries.build_queries`
   of the curated bank: backgrounds + class names + event descriptions, temperature = the
   model's) puts more than half its mass on abnormal queries; IoU of the union of abnormal
   patches with the box, in frame pixels, over the frame area the backbone sees.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from stprompt_core.backbone.clip import load_clip
from stprompt_core.backbone.encoder import FrameEncoder
from stprompt_core.classes import class_labels, class_prompts
from stprompt_core.data.manifest import load_manifest
from stprompt_core.offline.synthclip.data import FrameSet, crop_resize, load_frames, split_videos
from stprompt_core.prompts.bank import load_curated_bank
from stprompt_core.prompts.queries import DEFAULT_TEMPLATE, build_queries, encode_texts
from stprompt_core.video.geometry import patch_boxes

REGION_MARGIN = 0.3  # region crops: the box grown by this share of its size on each side (the recipe's)
REGION_MIN_SIDE = 28.0  # ... and at least this many frame pixels on a side (the recipe's)
MAP_THRESHOLD = 0.5  # abnormal share of a patch's softmax mass above which it is abnormal


@torch.no_grad()
def embed_frames(model: nn.Module, frames: torch.Tensor, batch_size: int = 128, precision: str = "fp32"
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Normalised [CLS] ``[N, D]`` and patch tokens ``[N, P, D]`` through FrameEncoder, and
    the frame-pixel box of every patch ``[P, 4]``."""
    enc = FrameEncoder(model, device="cpu", precision=precision)
    cls, tokens = [], []
    for i in range(0, len(frames), batch_size):
        out = enc(frames[i : i + batch_size])
        cls.append(F.normalize(out.cls, dim=-1))
        tokens.append(F.normalize(out.tokens, dim=-1))
    frame_size = (int(frames.shape[2]), int(frames.shape[1]))
    boxes = patch_boxes(enc.geometry(frame_size), enc.patch_size)
    return torch.cat(cls), torch.cat(tokens), boxes


@torch.no_grad()
def evaluate_synthclip(model: nn.Module, model_name: str, frames: FrameSet, dataset: str = "synthvad",
                       bank=None, precision: str = "fp32") -> dict:
    """Zero-shot, paraphrase and localization figures on anomalous ``frames``.

    Args:
        model: an open_clip model (eval mode).
        model_name: its open_clip name (for the tokenizer).
        frames: anomalous frames only (``labels > 0``) with boxes.
        bank: a :class:`~stprompt_core.prompts.bank.PromptBank`; the curated one by default.
    """
    if not bool(frames.anomalous.all()):
        raise ValueError("evaluate_synthclip expects anomalous frames only (load_frames(..., anomalous_only=True))")
    bank = bank or load_curated_bank(dataset)
    labels = class_labels(dataset)[1:]
    names = class_prompts(dataset)[1:]
    y = frames.labels - 1  # [N] index among anomaly classes
    cls, tokens, pboxes = embed_frames(model, frames.frames, precision=precision)

    def encode(texts: list[str]) -> torch.Tensor:
        return encode_texts(model, model_name, texts)  # [n, D] normalised

    def accuracy(text: torch.Tensor) -> float:
        return float(((cls @ text.T).argmax(dim=1) == y).float().mean())

    canonical = encode([DEFAULT_TEMPLATE.format(n) for n in names])  # [C, D]
    pred = (cls @ canonical.T).argmax(dim=1)
    out: dict = {"frames": len(frames), "videos": int(frames.video.unique().numel()),
                 "template": DEFAULT_TEMPLATE,
                 "zero_shot": {"canonical": accuracy(canonical), "canonical_bare": accuracy(encode(names)),
                               "canonical_per_class": {l: float((pred[y == c] == c).float().mean())
                                                       for c, l in enumerate(labels) if bool((y == c).any())}}}
    for key, source in (("paraphrase", bank.paraphrases), ("descriptions", bank.abnormal)):
        n = min((len(source.get(l, [])) for l in labels), default=0)
        accs = [accuracy(encode([source[l][j] for l in labels])) for j in range(n)]
        out["zero_shot"][key] = float(np.mean(accs)) if accs else None
        out["zero_shot"][f"{key}_each"] = accs
    # 2. pointing game with the true class's canonical prompt
    sims = torch.einsum("npd,nd->np", tokens, canonical[y])  # [N, P]
    area = (pboxes[:, 2:] - pboxes[:, :2]).prod(dim=1)  # [P]; 0 = patch wholly in padding
    b = frames.boxes
    ix = (torch.minimum(pboxes[None, :, 2], b[:, None, 2]) - torch.maximum(pboxes[None, :, 0], b[:, None, 0])).clamp(min=0)
    iy = (torch.minimum(pboxes[None, :, 3], b[:, None, 3]) - torch.maximum(pboxes[None, :, 1], b[:, None, 1])).clamp(min=0)
    inside = (ix * iy > 0) & (area[None] > 0)  # [N, P] patches overlapping the box
    visible = inside.any(dim=1)  # boxes the backbone's input shows at least in part
    sims = sims.masked_fill(area[None] <= 0, -2.0)
    hits = inside[torch.arange(len(frames)), sims.argmax(dim=1)]
    chance = inside.float().sum(dim=1) / (area > 0).sum()
    # 3. the event alone: tokens under the box, and a crop of the box
    cover = (ix * iy) / area.clamp(min=1e-6)[None]  # [N, P] share of each patch inside the box
    box_tok = F.normalize(torch.einsum("np,npd->nd", cover, tokens), dim=-1)  # [N, D]
    crops = _region_crops(frames, model)
    crop_cls, _, _ = embed_frames(model, crops, precision=precision)
    event = {"box_tokens": (box_tok @ canonical.T).argmax(dim=1), "region_crop": (crop_cls @ canonical.T).argmax(dim=1)}
    out["zero_shot"]["event"] = {k: float((p[visible] == y[visible]).float().mean()) for k, p in event.items()}
    out["zero_shot"]["event_per_class"] = {k: {l: float((p[visible & (y == c)] == c).float().mean())
                                               for c, l in enumerate(labels) if bool((visible & (y == c)).any())}
                                           for k, p in event.items()}
    # 4. thresholded patch map vs box
    queries = build_queries(bank)
    ptext = encode(queries.texts)  # [M, D]
    scale = float(model.logit_scale.exp())
    prob = torch.softmax(scale * tokens @ ptext.T, dim=-1)  # [N, P, M]
    p_abn = prob[..., torch.from_numpy(queries.abnormal)].sum(dim=-1)  # [N, P]
    ious = _box_ious(p_abn > MAP_THRESHOLD, pboxes, b, (int(frames.frames.shape[2]), int(frames.frames.shape[1])))
    v = visible
    out["localization"] = {
        "frames": int(v.sum()),
        "pointing": float(hits[v].float().mean()), "pointing_chance": float(chance[v].mean()),
        "mean_iou": float(ious[v].mean()), "threshold": MAP_THRESHOLD,
        "abnormal_patch_share": float((p_abn[v] > MAP_THRESHOLD).float().mean()),
        "box_patch_share": float(inside[v].float().sum(dim=1).div((area > 0).sum()).mean()),
    }
    return out


def _region_crops(frames: FrameSet, model: nn.Module) -> torch.Tensor:
    """``[N, h, w, 3]`` uint8 square crops of the boxes (``REGION_MARGIN``, ``REGION_MIN_SIDE``)
    at the model's input size (the one :class:`~stprompt_core.backbone.encoder.FrameEncoder` reads)."""
    b = frames.boxes
    cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    side = torch.clamp((b[:, 2:] - b[:, :2]).amax(dim=1) * (1 + 2 * REGION_MARGIN), min=REGION_MIN_SIDE)
    windows = torch.stack([cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2], dim=1)
    pixels = crop_resize(frames.frames, windows, FrameEncoder(model, device="cpu").input_hw,
                         torch.zeros(len(b), dtype=torch.bool))  # [N, 3, h, w] in [0, 1]
    return (pixels * 255.0).round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).contiguous()


def _box_ious(mask: torch.Tensor, pboxes: torch.Tensor, boxes: torch.Tensor, frame_size: tuple[int, int]) -> torch.Tensor:
    """IoU ``[N]`` of the union of ``mask [N, P]`` patches with ``boxes [N, 4]``, in frame
    pixels inside the area the patches cover."""
    W, H = frame_size
    ys = torch.arange(H, dtype=torch.float32) + 0.5
    xs = torch.arange(W, dtype=torch.float32) + 0.5

    def raster(bx: torch.Tensor) -> torch.Tensor:  # [K, 4] -> [K, H*W] bool
        inx = (xs[None] >= bx[:, 0:1]) & (xs[None] < bx[:, 2:3])  # [K, W]
        iny = (ys[None] >= bx[:, 1:2]) & (ys[None] < bx[:, 3:4])  # [K, H]
        return (iny[:, :, None] & inx[:, None, :]).reshape(len(bx), H * W)

    patches = raster(pboxes).float()  # [P, HW]
    seen = patches.sum(dim=0) > 0  # [HW]
    pred = (mask.float() @ patches) > 0  # [N, HW]
    gt = raster(boxes) & seen[None]
    inter = (pred & gt).sum(dim=1).float()
    union = (pred | gt).sum(dim=1).float()
    return torch.where(union > 0, inter / union.clamp(min=1), torch.zeros_like(union))


EVAL_STRIDE = 2  # every 2nd anomalous frame of each held-out video


def evaluation_frames(cfg, split: str, settings=None) -> FrameSet:
    """Every ``EVAL_STRIDE``-th anomalous frame of the anomalous videos of ``split`` (``train``:
    SynthCLIP's training videos of the benchmark; ``val``: those the recipe holds out; ``test``:
    the manifest's test split).

    Raises:
        ValueError: the split has no anomalous video.
    """
    settings = settings or cfg.synthclip
    videos = split_videos(load_manifest(cfg.manifest()), settings.val_per_class)[split]
    videos = [v for v in videos if v.label]
    if not videos:
        raise ValueError(f"no anomalous videos in split {split!r}")
    return load_frames(videos, cfg.data_root(), EVAL_STRIDE, cfg.data.dataset, anomalous_only=True)


def evaluate_checkpoint(cfg, split: str = "test", settings=None, precision: str = "fp32") -> dict:
    """Load ``backbone.pretrained`` through :func:`~stprompt_core.backbone.clip.load_clip` and
    evaluate it on the anomalous frames of ``split`` (:func:`evaluation_frames`).
    """
    frames = evaluation_frames(cfg, split, settings)
    model = load_clip(cfg.backbone)
    out = evaluate_synthclip(model, cfg.backbone.model_name, frames, cfg.data.dataset, precision=precision)
    return {"split": split, "model_name": cfg.backbone.model_name, "checkpoint": cfg.backbone.pretrained, **out}
