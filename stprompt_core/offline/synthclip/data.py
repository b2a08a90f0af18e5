"""SynthCLIP's training and evaluation data: decoded SynthVAD frames with their texts.

:func:`load_frames` decodes every ``stride``-th frame of the chosen videos with PyAV
(:func:`stprompt_core.video.decode.decode_snippet_frames`, the decoder extraction uses, so
SynthCLIP sees the same H.264 artefacts as the frozen backbone later does) and attaches to
each frame its caption (:func:`stprompt_core.offline.synthvad.caption_at`), its anomaly box and the
class of its event. :func:`split_videos` holds out a few training videos per class for
validation; SynthCLIP never trains on the test split.

The benchmark's training split alone is too small to learn events from (13 videos per
class: a ViT trained on it reached 0.95 zero-shot accuracy on its own frames and 0.33 on
held-out ones), so SynthCLIP also renders a *corpus*: more, shorter SynthVAD videos from
the same generator and preset knobs, drawn from another random stream (:func:`corpus_seed`),
written as H.264 like the benchmark and decoded the same way (:func:`corpus_preset`).

:func:`training_views` turns a batch of frames into backbone inputs: a random crop of the
frame as the backbone's test transform would see it (shorter side to the input size, a
random window of the longer side, optional flip) and a crop of the annotated box grown by a
margin, both with one ``grid_sample``; it also returns the box in input pixels, which the
patch-level loss pools tokens under.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from stprompt_core.classes import class_index
from stprompt_core.data.manifest import Manifest, VideoEntry
from stprompt_core.offline.synthclip.captions import context_caption, plain_caption, region_caption
from stprompt_core.offline.synthvad import caption_at
from stprompt_core.offline.synthvad.presets import ANOMALY_CLASSES, SynthPreset, get_preset
from stprompt_core.video.decode import decode_snippet_frames

CORPUS_SEED_OFFSET = 1_000_003  # corpus seeds: CORPUS_SEED_OFFSET + the benchmark's seed


@dataclass
class FrameSet:
    """``N`` decoded frames and what SynthVAD says about each."""

    frames: torch.Tensor  # [N, H, W, 3] uint8 RGB
    captions: list[str]  # [N] frame captions without their style prefix
    regions: list[str]  # [N] event phrase ("" on normal frames)
    contexts: list[str]  # [N] caption without the event phrase
    boxes: torch.Tensor  # [N, 4] float32 (x1, y1, x2, y2) frame pixels, x2/y2 exclusive; NaN on normal frames
    labels: torch.Tensor  # [N] int64 class index of the frame's event (0 = normal frame)
    video: torch.Tensor  # [N] int64 index into video_ids
    frame_index: torch.Tensor  # [N] int64 frame number in its video
    video_ids: list[str]

    def __len__(self) -> int:
        return int(self.frames.shape[0])

    @property
    def anomalous(self) -> torch.Tensor:
        """``[N]`` bool: the frame has an anomaly box."""
        return self.labels > 0

    def texts(self) -> list[str]:
        """Every distinct text of the set, sorted (what the text tower must encode)."""
        return sorted((set(self.captions) | set(self.regions) | set(self.contexts)) - {""})


def concat_frames(sets: list[FrameSet]) -> FrameSet:
    """One :class:`FrameSet` of several (video indices renumbered)."""
    offsets, n = [], 0
    for fs in sets:
        offsets.append(n)
        n += len(fs.video_ids)
    return FrameSet(torch.cat([fs.frames for fs in sets]), sum((fs.captions for fs in sets), []),
                    sum((fs.regions for fs in sets), []), sum((fs.contexts for fs in sets), []),
                    torch.cat([fs.boxes for fs in sets]), torch.cat([fs.labels for fs in sets]),
                    torch.cat([fs.video + o for fs, o in zip(sets, offsets)]),
                    torch.cat([fs.frame_index for fs in sets]), sum((fs.video_ids for fs in sets), []))


def corpus_preset(preset: str | SynthPreset, per_class: int, normal: int, frames: int,
                  anomaly_frames: tuple[int, int]) -> SynthPreset:
    """The SynthVAD preset of SynthCLIP's extra corpus: ``preset``'s look and knobs, short
    videos, ``per_class`` videos of every anomaly class and ``normal`` normal ones, all "train"."""
    base = get_preset(preset) if isinstance(preset, str) else preset
    counts = {"normal": normal, **{c: per_class for c in ANOMALY_CLASSES}}
    return dataclasses.replace(base, name=f"{base.name}-synthclip", frames=(frames,), anomaly_frames=tuple(anomaly_frames),
                               train_counts=counts, test_counts={})


def corpus_seed(seed: int) -> int:
    """SynthVAD seed of the corpus of benchmark seed ``seed``: another random stream, so no
    corpus video repeats a benchmark video (SynthVAD draws video ``i`` from ``[seed, i, ...]``)."""
    return CORPUS_SEED_OFFSET + seed


def split_videos(manifest: Manifest, val_per_class: int) -> dict[str, list[VideoEntry]]:
    """``train`` (minus the held-out videos), ``val`` (the first ``val_per_class`` training
    videos of every class, in manifest order) and ``test`` (the manifest's test split)."""
    train, val, seen = [], [], {}
    for v in manifest.split("train"):
        seen[v.cls] = seen.get(v.cls, 0) + 1
        (val if seen[v.cls] <= val_per_class else train).append(v)
    return {"train": train, "val": val, "test": manifest.split("test")}


def load_frames(videos: list[VideoEntry], root: str | Path, stride: int, dataset: str = "synthvad",
                anomalous_only: bool = False, progress: bool = False) -> FrameSet:
    """Decode every ``stride``-th frame of ``videos`` (paths relative to ``root``).

    Args:
        anomalous_only: keep only frames with an anomaly box (evaluation).

    Raises:
        VideoDecodeError: a video is missing or unreadable.
        ValueError: a video has no captions (not a SynthVAD manifest).
    """
    frames, captions, regions, contexts, boxes, labels, vid, fidx = [], [], [], [], [], [], [], []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(videos), desc="synthclip decode", unit="video")
    for i, entry in enumerate(videos):
        if not entry.captions:
            raise ValueError(f"video {entry.id!r} has no captions: SynthCLIP needs a SynthVAD manifest")
        chunk = decode_snippet_frames(Path(root) / entry.path, stride=stride, video_id=entry.id)
        W, H = chunk.frame_size
        bw, bh = entry.box_size or (W, H)
        scale = torch.tensor([W / bw, H / bh, W / bw, H / bh])
        cls = class_index(dataset, entry.cls)
        for k in range(len(chunk)):
            t = k * stride
            box = (entry.boxes or {}).get(str(t))
            if anomalous_only and box is None:
                continue
            caption = caption_at(entry.captions, t)
            frames.append(chunk.frames[k])
            captions.append(plain_caption(caption))
            regions.append(region_caption(caption) if box is not None else "")
            contexts.append(context_caption(caption, anomalous=box is not None))
            boxes.append(torch.tensor(box[0], dtype=torch.float32) * scale if box is not None
                         else torch.full((4,), math.nan))
            labels.append(cls if box is not None else 0)
            vid.append(i)
            fidx.append(t)
        if bar:
            bar.update()
    if bar:
        bar.close()
    if not frames:
        raise ValueError("no frames selected")
    return FrameSet(torch.stack(frames), captions, regions, contexts, torch.stack(boxes),
                    torch.tensor(labels), torch.tensor(vid), torch.tensor(fidx), [v.id for v in videos])


@dataclass
class Views:
    """Backbone inputs of one batch (see :func:`training_views`)."""

    pixels: torch.Tensor  # [B, 3, h, w] normalised
    boxes: torch.Tensor  # [B, 4] the anomaly box in input pixels (NaN where none)


def training_views(frames: torch.Tensor, boxes: torch.Tensor, input_hw: tuple[int, int], mean: torch.Tensor,
                   std: torch.Tensor, generator: torch.Generator, jitter: bool = True) -> Views:
    """Random frame crops as the backbone's ``shortest`` transform sees frames, plus flips.

    Args:
        frames: ``[B, H, W, 3]`` uint8.
        boxes: ``[B, 4]`` frame pixels (NaN rows allowed).
        input_hw: backbone input ``(h, w)``.
        mean, std: ``[3]`` normalisation of the backbone.
        jitter: random window, scale (0.85-1) and flip; else the centre crop.
    """
    B, H, W = frames.shape[:3]
    h, w = input_hw
    side = min(H / h, W / w)  # frame pixels per input pixel at scale 1
    scale = torch.full((B,), side)
    if jitter:
        scale = scale * (0.85 + 0.15 * torch.rand(B, generator=generator))
    span_x, span_y = scale * w, scale * h  # frame pixels the crop covers
    if jitter:
        x0 = torch.rand(B, generator=generator) * (W - span_x)
        y0 = torch.rand(B, generator=generator) * (H - span_y)
        flip = torch.rand(B, generator=generator) < 0.5
    else:
        x0, y0, flip = (W - span_x) / 2, (H - span_y) / 2, torch.zeros(B, dtype=torch.bool)
    windows = torch.stack([x0, y0, x0 + span_x, y0 + span_y], dim=1)  # [B, 4] frame pixels
    pixels = crop_resize(frames, windows, input_hw, flip)
    # box in input pixels: shift and scale by the window, mirror where flipped
    sx = (w / span_x).unsqueeze(1)
    sy = (h / span_y).unsqueeze(1)
    b = torch.stack([(boxes[:, 0:1] - x0[:, None]) * sx, (boxes[:, 1:2] - y0[:, None]) * sy,
                     (boxes[:, 2:3] - x0[:, None]) * sx, (boxes[:, 3:4] - y0[:, None]) * sy], dim=1).squeeze(-1)
    b[flip] = torch.stack([w - b[flip, 2], b[flip, 1], w - b[flip, 0], b[flip, 3]], dim=1)
    b[..., 0::2] = b[..., 0::2].clamp(0, w)
    b[..., 1::2] = b[..., 1::2].clamp(0, h)
    return Views((pixels - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1), b)


def region_views(frames: torch.Tensor, boxes: torch.Tensor, input_hw: tuple[int, int], mean: torch.Tensor,
                 std: torch.Tensor, generator: torch.Generator, margin: float, min_side: float) -> torch.Tensor:
    """Crops of the anomaly boxes, grown by ``margin`` of their size on each side, made square
    (at least ``min_side`` frame pixels), jittered and randomly flipped: ``[B, 3, h, w]`` normalised."""
    B = frames.shape[0]
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    side = torch.maximum((boxes[:, 2:] - boxes[:, :2]).amax(dim=1) * (1 + 2 * margin), torch.full((B,), min_side))
    side = side * (0.9 + 0.2 * torch.rand(B, generator=generator))
    cx = cx + (torch.rand(B, generator=generator) - 0.5) * 0.2 * side
    cy = cy + (torch.rand(B, generator=generator) - 0.5) * 0.2 * side
    windows = torch.stack([cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2], dim=1)
    flip = torch.rand(B, generator=generator) < 0.5
    pixels = crop_resize(frames, windows, input_hw, flip)
    return (pixels - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1)


def crop_resize(frames: torch.Tensor, windows: torch.Tensor, out_hw: tuple[int, int], flip: torch.Tensor) -> torch.Tensor:
    """Bilinear crops ``[B, 3, h, w]`` in [0, 1] of ``windows [B, 4]`` (frame pixels, may
    overhang: border pixels repeat) from ``frames [B, H, W, 3]`` uint8."""
    B, H, W = frames.shape[:3]
    h, w = out_hw
    x = frames.permute(0, 3, 1, 2).float().div_(255.0)  # [B, 3, H, W]
    # output pixel centres -> frame coordinates -> [-1, 1] (align_corners=False)
    u = (torch.arange(w, dtype=torch.float32) + 0.5) / w  # [w]
    v = (torch.arange(h, dtype=torch.float32) + 0.5) / h  # [h]
    u = torch.where(flip[:, None], 1 - u[None], u[None])  # [B, w]
    gx = windows[:, 0:1] + u * (windows[:, 2:3] - windows[:, 0:1])  # [B, w] frame pixels
    gy = windows[:, 1:2] + v[None] * (windows[:, 3:4] - windows[:, 1:2])  # [B, h]
    gx, gy = gx / W * 2 - 1, gy / H * 2 - 1
    grid = torch.stack([gx[:, None, :].expand(B, h, w), gy[:, :, None].expand(B, h, w)], dim=-1)  # [B, h, w, 2]
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def patch_weights(boxes: torch.Tensor, grid: tuple[int, int], patch_hw: tuple[int, int]) -> torch.Tensor:
    """Share of each patch covered by the box: ``[B, P]`` in [0, 1] (row-major), from
    ``boxes [B, 4]`` in input pixels (NaN rows give zeros)."""
    rows, cols = grid
    ph, pw = patch_hw
    x0 = torch.arange(cols, dtype=torch.float32) * pw  # [cols]
    y0 = torch.arange(rows, dtype=torch.float32) * ph  # [rows]
    b = torch.nan_to_num(boxes, nan=0.0)
    ox = (torch.minimum(b[:, 2:3], x0 + pw) - torch.maximum(b[:, 0:1], x0)).clamp(min=0) / pw  # [B, cols]
    oy = (torch.minimum(b[:, 3:4], y0 + ph) - torch.maximum(b[:, 1:2], y0)).clamp(min=0) / ph  # [B, rows]
    return (oy[:, :, None] * ox[:, None, :]).reshape(len(b), rows * cols)


