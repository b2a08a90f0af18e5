"""A planted feature-level dataset: random features with an anomaly signature in the
top-motion patches of anomalous snippets. Used by tests and benchmarks."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from stprompt_core.features.store import FeatureStoreWriter, StoreMeta, VideoFeatures


# Feature-level tests plant 64-d features: they run the temporal model with the random-init
# STP-Tiny backbone (its open_clip text tower gives the alignment branch its class texts)
# instead of the tiny profile's SynthCLIP-T (384-d).
PLANTED_BACKBONE = {"backbone.model_name": "STP-Tiny", "backbone.pretrained": "",
                    "backbone.synthclip": False}


def planted_cli_sets() -> list[str]:
    """:data:`PLANTED_BACKBONE` as ``--set`` arguments of the CLI."""
    return [a for k, v in PLANTED_BACKBONE.items() for a in ("--set", f"{k}={v}")]


def write_planted_store(root: str | Path, n_train: int = 96, n_test: int = 40, dim: int = 64, top_k: int = 4,
                        grid: tuple[int, int] = (8, 8), snippets: tuple[int, int] = (16, 48), seed: int = 0,
                        signal: float = 2.0, snippet_len: int = 16) -> Path:
    """Write a store with train/test splits; half the videos are abnormal (classes 1..6)."""
    rng = np.random.default_rng(seed)
    P = grid[0] * grid[1]
    # a direction shared by all anomalies plus one per class, unit length each
    direction = rng.normal(size=(7, dim))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    shared, per_class = direction[0], direction[1:]
    meta = StoreMeta(dataset="planted", embed_dim=dim, top_k=top_k, patch_grid=list(grid), snippet_len=snippet_len)
    writer = FeatureStoreWriter(root, meta)
    names = ["normal", "fighting", "falling", "chasing", "fire", "crash", "abandoned"]
    for split, n in (("train", n_train), ("test", n_test)):
        for i in range(n):
            label = i % 2
            cls = 1 + (i // 2) % 6 if label else 0
            T = int(rng.integers(*snippets))
            frame = rng.normal(size=(T, dim)) * 0.5
            patches = rng.normal(size=(T, top_k, dim)) * 0.5
            motion = rng.random((T, P))
            gt_snip = np.zeros(T, bool)
            if label:
                s = int(rng.integers(0, T - 4))
                e = int(min(T, s + rng.integers(3, max(4, T // 3))))
                gt_snip[s:e] = True
                planted = signal * (2.0 * shared + 1.5 * per_class[cls - 1])
                patches[gt_snip, 0] += planted  # the highest-motion patch carries the event
                frame[gt_snip] += 0.2 * planted  # the whole frame sees it only faintly
            idx = np.argsort(-motion, axis=1, kind="stable")[:, :top_k]
            frames = np.repeat(gt_snip, snippet_len).astype(np.uint8)
            writer.add(split, VideoFeatures(
                video_id=f"{split}_{i:03d}", label=label, class_name=names[cls], class_index=cls,
                num_frames=T * snippet_len, frame_feats=frame, patch_feats=patches, patch_idx=idx,
                patch_motion=motion, frame_gt=frames if split == "test" else np.zeros(0, np.uint8)))
    writer.finalize()
    return Path(root)
