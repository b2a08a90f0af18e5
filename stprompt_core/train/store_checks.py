"""Checks that a feature store can serve a training config, before any work."""

from __future__ import annotations

import numpy as np

from stprompt_core.backbone.configs import embed_dim
from stprompt_core.classes import class_labels
from stprompt_core.config import Config
from stprompt_core.features.store import FeatureStore, FeatureStoreError


def check_store(cfg: Config, store: FeatureStore, splits: list[str]) -> None:
    """Fail before training on a store that cannot serve this config; messages name the field/video."""
    meta = store.meta
    if not meta.has_patches and cfg.model.sa2_mode != "none":
        raise FeatureStoreError(f"{store.root}: the store holds no patch tokens ({sa2_off_reason(meta)}), so SA2 "
                                f"has nothing to attend over; set model.sa2_mode=none (model.sa2_mode is "
                                f"{cfg.model.sa2_mode!r})")
    dim = embed_dim(cfg.backbone.model_name)
    if meta.embed_dim != dim:
        raise FeatureStoreError(f"{store.root}: features have D={meta.embed_dim} but backbone "
                                f"{cfg.backbone.model_name!r} projects to {dim}")
    if meta.dataset != cfg.data.dataset:
        raise FeatureStoreError(f"{store.root}: store holds dataset {meta.dataset!r}, config data.dataset "
                                f"is {cfg.data.dataset!r}")
    n_classes = len(class_labels(cfg.data.dataset))
    for split in splits:
        ds = store.split(split)  # raises on missing/empty split
        for start in range(0, len(ds), 64):
            for v in store.videos(split, list(range(start, min(start + 64, len(ds))))):
                if v.frame_feats.shape[0] == 0:
                    raise FeatureStoreError(f"{store.root}: video {v.video_id!r} in split {split!r} has zero snippets")
                for name in ("frame_feats", "patch_feats", "patch_motion"):
                    if not np.isfinite(getattr(v, name)).all():
                        raise FeatureStoreError(f"{store.root}: video {v.video_id!r} field {name} has NaN or inf")
                if not all(0 <= c < n_classes for c in v.classes):
                    raise FeatureStoreError(f"{store.root}: video {v.video_id!r} classes {v.classes} "
                                            f"outside the {n_classes} classes of {cfg.data.dataset!r}")
        ids = list(ds["video_id"])
        for crop in range(1, meta.crops_of(split)):  # other crops: same videos in the same rows
            name = store.crop_split(split, crop)
            if list(store.split(name)["video_id"]) != ids:
                raise FeatureStoreError(f"{store.root}: split {name!r} does not hold the videos of {split!r} in "
                                        f"the same order; re-run `stprompt extract`")


def sa2_off_reason(meta) -> str:
    """Why a store without patch tokens has them not (said in the CLI output and the run manifest)."""
    kind = meta.source.get("kind", "")
    return f"{kind}: [CLS] features only" if kind else "top_k = 0"
