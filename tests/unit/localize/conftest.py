"""A planted localization run: a feature store whose patch tokens *are* prompt embeddings.

Two boxed test videos on SynthVAD's classes, frames 128x96 (grid 8x8, so one patch is 16x12
pixels), boxes given in 320x240 coordinates. Patches inside the planted regions carry the
embedding of an abnormal prompt of the tiny backbone, all others a normal prompt's, so
retrieval must find exactly the planted patches. Expected (every IoU 1): six annotated
frames, one of them (v_fight frame 80) below the 0.5 score threshold -> TIoU 5/6.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from stprompt_core.config import load_config
from stprompt_core.data.manifest import Manifest, VideoEntry
from stprompt_core.features.store import FeatureStoreWriter, StoreMeta, VideoFeatures

FRAME = (128, 96)
GRID = (8, 8)
SNIPPET = 16
# video -> (class, snippets, planted (rows, cols) slices, planted snippets, snippet scores, annotated frames)
VIDEOS = {
    "v_fight": ("fighting", 6, (slice(2, 4), slice(4, 6)), [1, 2, 3, 4, 5], [0.1, 0.9, 0.9, 0.9, 0.9, 0.2],
                [16, 32, 48, 64, 80]),
    "v_fire": ("fire", 4, (slice(5, 7), slice(1, 3)), [2], [0.2, 0.3, 0.8, 0.4], [40]),
}


def planted_box_320(rows: slice, cols: slice) -> list[float]:
    """The planted patch region in 320x240 coordinates."""
    pw, ph = FRAME[0] / GRID[1], FRAME[1] / GRID[0]
    sx, sy = 320 / FRAME[0], 240 / FRAME[1]
    return [cols.start * pw * sx, rows.start * ph * sy, cols.stop * pw * sx, rows.stop * ph * sy]


@pytest.fixture(scope="session")
def tiny_clip():
    from stprompt_core.backbone.clip import load_clip

    return load_clip(load_config("tiny").backbone)


@pytest.fixture(scope="session")
def planted_run(tmp_path_factory, tiny_clip) -> Path:
    from stprompt_core.prompts.queries import build_queries, encode_texts
    from stprompt_core.prompts.bank import load_curated_bank

    root = tmp_path_factory.mktemp("loc")
    queries = build_queries(load_curated_bank("synthvad"))
    text = encode_texts(tiny_clip, load_config("tiny").backbone.model_name, queries.texts).numpy()
    abnormal_vec = {"fighting": text[queries.texts.index("two people fighting")],
                    "fire": text[queries.texts.index("a fire burning")]}
    normal_vec = text[queries.texts.index("a photo of a road")]
    D, P = text.shape[1], GRID[0] * GRID[1]
    meta = StoreMeta(dataset="synthvad", embed_dim=D, top_k=4, patch_grid=list(GRID), snippet_len=SNIPPET,
                     frame_size=list(FRAME))
    writer = FeatureStoreWriter(root / "store", meta)
    rng = np.random.default_rng(0)
    entries, scores = [], {}
    for vid, (cls, T, (rows, cols), planted, snip_scores, frames) in VIDEOS.items():
        tokens = np.tile(normal_vec, (T, GRID[0], GRID[1], 1))  # [T, rows, cols, D]
        for t in planted:
            tokens[t, rows, cols] = abnormal_vec[cls]
        n = T * SNIPPET
        writer.add("test", VideoFeatures(
            video_id=vid, label=1, class_name=cls, class_index=1, num_frames=n,
            frame_feats=rng.normal(size=(T, D)), patch_feats=rng.normal(size=(T, 4, D)),
            patch_idx=np.tile(np.arange(4), (T, 1)), patch_motion=rng.random((T, P)),
            frame_gt=np.ones(n, np.uint8)), tokens=tokens.reshape(T, P, D))
        box = planted_box_320(rows, cols)
        entries.append(VideoEntry(id=vid, path=f"{vid}.mp4", split="test", label=1, cls=cls, num_frames=n,
                                  intervals=[[0, n]], boxes={str(f): [box] for f in frames}, box_size=[320, 240]))
        scores[vid] = {"label": 1, "class_name": cls, "num_frames": n, "snippet_len": SNIPPET,
                       "snippet_scores": snip_scores}
    # a normal test video without boxes: ignored by localization, needs no tokens
    writer.add("test", VideoFeatures(
        video_id="v_normal", label=0, class_name="normal", class_index=0, num_frames=32,
        frame_feats=rng.normal(size=(2, D)), patch_feats=rng.normal(size=(2, 4, D)),
        patch_idx=np.tile(np.arange(4), (2, 1)), patch_motion=rng.random((2, P)), frame_gt=np.zeros(32, np.uint8)))
    entries.append(VideoEntry(id="v_normal", path="v_normal.mp4", split="test", label=0, cls="normal", num_frames=32))
    writer.finalize()
    Manifest("synthvad", entries).save(root / "manifest.json")
    run = root / "run"
    run.mkdir()
    cfg = load_config("tiny", {"data.dataset": "synthvad", "data.feature_store": str(root / "store"),
                               "data.manifest": str(root / "manifest.json")})
    (run / "config.json").write_text(cfg.to_json())
    (run / "scores.json").write_text(json.dumps(scores))
    return run
