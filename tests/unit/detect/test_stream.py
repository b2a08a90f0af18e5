"""Streaming scores equal one forward over the whole video, in bounded memory."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from stprompt_core.config import load_config
from stprompt_core.detect.stream import SnippetFeatures, StreamScorer, context_snippets


def _model(**over):
    from stprompt_core.train import build_model

    cfg = load_config("tiny", {"model.dropout": 0.0, **over})
    model = build_model(cfg, torch.device("cpu")).eval()
    with torch.no_grad():  # a trained SA2 fusion is not zero: make the patches matter
        model.sa2.fuse.weight.normal_(0, 0.05)
    return cfg, model


def _features(T: int, K: int, D: int, seed: int = 0) -> SnippetFeatures:
    rng = np.random.default_rng(seed)
    return SnippetFeatures(0, rng.normal(size=(T, D)).astype(np.float32), rng.normal(size=(T, K, D)).astype(np.float32),
                           rng.random((T, K)).astype(np.float32), np.zeros((T, 1, 1, 1), np.float32))


def _stream(model, feats: SnippetFeatures, chunk: int, context: int | None, pieces: list[int]) -> tuple[np.ndarray, int]:
    scorer = StreamScorer(model, torch.device("cpu"), chunk, context)
    out, start = [], 0
    for n in pieces:
        sl = slice(start, start + n)
        out.append(scorer.push(SnippetFeatures(start, feats.frame[sl], feats.patches[sl], feats.motion[sl],
                                               feats.maps[sl])))
        start += n
    out.append(scorer.finish())
    return np.concatenate(out), scorer.peak_buffered


@torch.no_grad()
def _whole(model, feats: SnippetFeatures) -> np.ndarray:
    T = len(feats)
    return model(torch.from_numpy(feats.frame)[None], torch.from_numpy(feats.patches)[None],
                 torch.from_numpy(feats.motion)[None], torch.ones(1, T, dtype=torch.bool)).scores[0].numpy()


# the deeper adapter is the slow case
@pytest.mark.parametrize("sigma,depth", [(1.0, 1), pytest.param(3.0, 2, marks=pytest.mark.slow)])
def test_stream_equals_whole_video_and_holds_a_bounded_window(sigma, depth):
    cfg, model = _model(**{"model.sigma": sigma, "model.adapter_depth": depth})
    context = context_snippets(cfg.model)
    D, K = model.sa2.fuse.in_features, cfg.extract.top_k_patches
    rng = np.random.default_rng(1)
    peaks = {}
    for T in (400, 1200):
        feats = _features(T, K, D, seed=T)
        pieces = list(rng.integers(1, 40, size=T))  # uneven decode chunks
        pieces = [p for p in np.diff(np.minimum(np.cumsum([0] + pieces), T)) if p > 0]
        streamed, peaks[T] = _stream(model, feats, chunk=32, context=context, pieces=pieces)
        whole = _whole(model, feats)
        assert streamed.shape == (T,)
        np.testing.assert_allclose(streamed, whole, atol=1e-5, rtol=0)
    # what it holds depends on the chunk, the context and one push, never on the length
    assert max(peaks.values()) <= 32 + 2 * context + 40


def test_without_context_the_chunk_borders_show():
    cfg, model = _model(**{"model.sigma": 3.0})
    feats = _features(300, cfg.extract.top_k_patches, model.sa2.fuse.in_features)
    cut, _ = _stream(model, feats, chunk=32, context=0, pieces=[300])
    assert np.abs(cut - _whole(model, feats)).max() > 1e-4  # so the equality above is the context's doing


def test_context_reach():
    m = load_config("tiny").model
    assert context_snippets(m) == pytest.approx(m.adapter_depth * 23, abs=m.adapter_depth * 2)  # sigma 1: ~21 + 1
    assert context_snippets(load_config("tiny", {"model.adapter_kind": "none"}).model) == 0
    assert context_snippets(load_config("tiny", {"model.adapter_kind": "self_attention"}).model) is None
    prompted = load_config("tiny", {"model.visual_prompt": True}).model  # pools the whole video into the prompts
    assert context_snippets(prompted, branch="align") is None and context_snippets(prompted) == context_snippets(m)


@pytest.mark.parametrize("prompted", [False, True], ids=["align", "align with visual prompt"])
def test_stream_scores_the_runs_branch(prompted):
    """eval.score_branch=align (the XD-Violence profiles) streams the alignment branch's score,
    1 - softmax of the normal class; with the visual prompt the whole video is held."""
    cfg, model = _model(**{"eval.score_branch": "align", "model.visual_prompt": prompted})
    context = context_snippets(cfg.model, branch="align")
    assert (context is None) == prompted
    feats = _features(300, cfg.extract.top_k_patches, model.sa2.fuse.in_features, seed=3)
    scorer = StreamScorer(model, torch.device("cpu"), 32, context, "align")
    out = [scorer.push(feats), scorer.finish()]
    with torch.no_grad():
        whole = model(torch.from_numpy(feats.frame)[None], torch.from_numpy(feats.patches)[None],
                      torch.from_numpy(feats.motion)[None], torch.ones(1, 300, dtype=torch.bool))
    np.testing.assert_allclose(np.concatenate(out), whole.branch_scores("align")[0].numpy(), atol=1e-5, rtol=0)
    assert np.abs(whole.branch_scores("align")[0].numpy() - whole.scores[0].numpy()).max() > 1e-3  # not the binary
