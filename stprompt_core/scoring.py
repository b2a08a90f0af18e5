"""Scoring videos with a trained detector: chunk, batch, forward, stitch back per video."""

from __future__ import annotations

from typing import Iterable

import numpy as np
import torch

from stprompt_core.features.batching import chunk, collate, to_sequence
from stprompt_core.features.store import FeatureStore, VideoFeatures
from stprompt_core.model.stprompt import SCORE_BRANCHES, STPrompt


def score_videos(model: STPrompt, videos: Iterable[VideoFeatures], max_len: int, batch_size: int,
                 device: torch.device, branch: str = "binary") -> dict[str, np.ndarray]:
    """Snippet anomaly scores per video id, ``{id: [T]}``; long videos scored in chunks.

    ``branch`` (``eval.score_branch``): ``"binary"`` (sigmoid of the binary branch) or ``"align"``
    (1 − the normal class's softmax probability in the alignment branch)."""
    return score_branches(model, videos, max_len, batch_size, device, (branch,))[branch]


@torch.no_grad()
def score_branches(model: STPrompt, videos: Iterable[VideoFeatures], max_len: int, batch_size: int,
                   device: torch.device, branches: tuple[str, ...] = SCORE_BRANCHES) -> dict[str, dict[str, np.ndarray]]:
    """:func:`score_videos` for several branches from one forward: ``{branch: {id: [T]}}``."""
    model.eval()
    pieces: dict[str, dict[str, list[np.ndarray]]] = {b: {} for b in branches}
    pending = []

    def flush() -> None:
        batch = collate(pending).to(device)
        out = model(batch.frame, batch.patches, batch.motion, batch.mask)
        for b in branches:
            scores = out.branch_scores(b).float().cpu().numpy()
            for i, vid in enumerate(batch.video_ids):
                pieces[b].setdefault(vid, []).append(scores[i, : int(batch.mask[i].sum())])
        pending.clear()

    for video in videos:
        for piece in chunk(to_sequence(video), max_len):
            pending.append(piece)
            if len(pending) == batch_size:
                flush()
    if pending:
        flush()
    return {b: {vid: np.concatenate(p) for vid, p in per.items()} for b, per in pieces.items()}


def iter_split(store: FeatureStore, split: str, indices: list[int] | None = None,
               group: int = 64) -> Iterable[VideoFeatures]:
    """Stream a split's videos in groups of rows (memory stays bounded on large stores)."""
    rows = list(range(len(store.split(split)))) if indices is None else list(indices)
    for s in range(0, len(rows), group):
        yield from store.videos(split, rows[s:s + group])
