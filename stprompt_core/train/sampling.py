"""Which videos train and validate, and the batches of an epoch (``train.sampling``)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from stprompt_core.config import Config
from stprompt_core.features.batching import Sequence, fit_length, to_sequence
from stprompt_core.features.store import FeatureStore, FeatureStoreError

PRELOAD_BYTES = 4 << 30  # training crops smaller than this (as float32) are held in memory

Pair = tuple[int, int]  # (row of the training split, crop index)


@dataclass
class SplitPlan:
    train_split: str
    train_rows: list[int]
    val_split: str | None
    val_rows: list[int]


def plan_splits(cfg: Config, store: FeatureStore) -> SplitPlan:
    """Training rows and validation rows; validation never comes from the test split."""
    labels = np.asarray(store.split("train")["label"])
    rows = np.arange(labels.shape[0])
    if store.has_split("val"):
        return SplitPlan("train", rows.tolist(), "val", list(range(len(store.split("val")))))
    if cfg.data.val_fraction <= 0:
        return SplitPlan("train", rows.tolist(), None, [])
    rng = np.random.default_rng(cfg.train.seed)
    val: list[int] = []
    for lab in (0, 1):
        group = rng.permutation(rows[labels == lab])
        n = int(round(cfg.data.val_fraction * group.size))
        val += group[: max(1, n) if group.size >= 2 else 0].tolist()
    val_set = set(val)
    train_rows = [int(r) for r in rows if r not in val_set]
    return SplitPlan("train", train_rows, "train", sorted(int(v) for v in val))


def epoch_steps(n_normal: int, n_abnormal: int, batch_size: int, sampling: str) -> int:
    """Optimizer steps of one epoch over ``n_normal`` and ``n_abnormal`` samples (``train.sampling``;
    :meth:`TrainingData.epoch_batches` says how each mode fills its batches)."""
    if sampling == "shuffle":
        return math.ceil((n_normal + n_abnormal) / max(1, batch_size))
    half = max(1, batch_size // 2)
    if sampling == "balanced_min":
        return min(n_normal, n_abnormal) // half
    return math.ceil(max(n_normal, n_abnormal) / half)


class TrainingData:
    """Training sequences of every stored crop, held in memory for small stores and read per
    batch otherwise. A sample is a (row, crop) pair; single-crop stores have crop 0 only."""

    def __init__(self, cfg: Config, store: FeatureStore, split: str, rows: list[int]):
        self.cfg, self.store, self.split, self.rows = cfg, store, split, rows
        self.crop_splits = [store.crop_split(split, c) for c in range(store.meta.crops_of(split))]
        labels = np.asarray(store.split(split)["label"])[rows]
        self.normal = [(r, v) for r, lab in zip(rows, labels) if lab == 0 for v in range(len(self.crop_splits))]
        self.abnormal = [(r, v) for r, lab in zip(rows, labels) if lab == 1 for v in range(len(self.crop_splits))]
        if not self.normal or not self.abnormal:
            raise FeatureStoreError(f"{store.root}: training split needs normal and abnormal videos "
                                    f"(has {len(self.normal)} normal, {len(self.abnormal)} abnormal)")
        size = sum(store.split(name).data.nbytes for name in self.crop_splits) * 2
        self.cache: dict[Pair, Sequence] | None = None
        if size < PRELOAD_BYTES:
            pairs = [(r, v) for v in range(len(self.crop_splits)) for r in rows]
            self.cache = dict(zip(pairs, self._load(pairs)))

    def _load(self, pairs: list[Pair]) -> list[Sequence]:
        out: dict[Pair, Sequence] = {}
        for v in sorted({v for _, v in pairs}):
            rows = [r for r, w in pairs if w == v]
            for r, video in zip(rows, self.store.videos(self.crop_splits[v], rows)):
                out[(r, v)] = fit_length(to_sequence(video), self.cfg.data.max_len, self.cfg.data.long_video)
        return [out[p] for p in pairs]

    def get(self, pairs: list[Pair]) -> list[Sequence]:
        return [self.cache[p] for p in pairs] if self.cache is not None else self._load(pairs)

    def epoch_batches(self, epoch: int) -> list[list[Pair]]:
        """One epoch's batches of (row, crop) pairs (``train.sampling``).

        ``balanced``: each batch holds half normal and half abnormal pairs; steps =
        ceil(max(#normal, #abnormal) / half), the smaller side cycled with fresh shuffles, so
        every pair is seen at least once per epoch. ``balanced_min`` (VadCLIP's two loaders with
        ``drop_last``): each side shuffled once, min(#normal // half, #abnormal // half) steps, the
        rest of the larger side unseen that epoch. ``shuffle``: all pairs in one random
        order, cut into batches of ``train.batch_size`` (the last may be smaller).
        """
        g = torch.Generator().manual_seed(self.cfg.train.seed * 1_000_003 + epoch)
        if self.cfg.train.sampling == "shuffle":
            pool = self.normal + self.abnormal
            order = [pool[i] for i in torch.randperm(len(pool), generator=g).tolist()]
            size = max(1, self.cfg.train.batch_size)
            return [order[s:s + size] for s in range(0, len(order), size)]
        half = max(1, self.cfg.train.batch_size // 2)
        steps = epoch_steps(len(self.normal), len(self.abnormal), self.cfg.train.batch_size, self.cfg.train.sampling)
        if self.cfg.train.sampling == "balanced_min":
            if steps == 0:
                raise FeatureStoreError(f"train.sampling=balanced_min drops incomplete batches: {len(self.normal)} "
                                        f"normal and {len(self.abnormal)} abnormal samples make no batch of "
                                        f"{half} + {half}; lower train.batch_size")
            sides = [[pool[i] for i in torch.randperm(len(pool), generator=g).tolist()]
                     for pool in (self.normal, self.abnormal)]
            return [sides[0][s * half:(s + 1) * half] + sides[1][s * half:(s + 1) * half] for s in range(steps)]
        sides = []
        for pool in (self.normal, self.abnormal):
            order: list[Pair] = []
            while len(order) < steps * half:
                order += [pool[i] for i in torch.randperm(len(pool), generator=g).tolist()]
            sides.append(order)
        return [sides[0][s * half:(s + 1) * half] + sides[1][s * half:(s + 1) * half] for s in range(steps)]
