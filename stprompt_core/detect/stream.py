"""Pass 1 of detection: decode, extract and score a video as a stream, in bounded memory.

Numbered as the data flows, for each chunk of ``extract.batch_size`` sampled frames::

    1. decode   sampled frames and their motion partners (video.decode)     [n, H, W, 3] x 2
    2. extract  motion on the patch grid, SA2's top-K, one backbone forward  [n, D], [n, K, D], [n, K]
                rounded to float16 as the feature store keeps them, so a test-split video
                scores exactly as ``stprompt evaluate`` scores it
    3. maps     patch-to-prompt anomaly maps of the run's localize.window    [n, V, rows, cols]
    4. score    the detector over a window of snippets (:class:`StreamScorer`)

The temporal adapter mixes snippets by distance only, with weights ``exp(-|i-j| / sigma)``,
so a snippet's score depends on a neighbourhood whose reach :func:`context_snippets`
bounds. The scorer keeps ``chunk + 2 * context`` snippets of features, scores them, keeps
the ``chunk`` scores in the middle, and slides on: its scores equal those of one forward
over the whole video (to float rounding), while memory stays the same for a minute or an
hour. What grows with the length is only the per-snippet output (a score and a
``V x rows x cols`` map, under a kilobyte per snippet).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import torch

from stprompt_core.config import ModelConfig
from stprompt_core.detect.detector import Detector
from stprompt_core.features.motion import patch_motion
from stprompt_core.localize.retrieval import patch_anomaly_probs
from stprompt_core.localize.windows import encode_windows
from stprompt_core.model.sa2 import select_topk_patches
from stprompt_core.model.stprompt import STPrompt
from stprompt_core.video.decode import FrameChunk, iter_snippet_frames

CONTEXT_TOLERANCE = 1e-9  # attention mass a window may leave out (scores then agree far below 1e-5)


def context_snippets(m: ModelConfig, tol: float = CONTEXT_TOLERANCE, branch: str = "binary") -> int | None:
    """Snippets on each side that a snippet's score depends on, up to ``tol``.

    ``distance``: each block mixes with weights ``softmax_j(-|i-j| / sigma)``; the mass beyond
    distance ``L`` is below ``exp(-L / sigma) / (1 - exp(-1 / sigma))``, so
    ``L = sigma * ln(1 / (tol * (1 - exp(-1/sigma))))`` per block, ``depth`` blocks in a row.
    ``none``: 0. ``self_attention`` (feature similarity): unbounded, ``None``. The alignment
    branch with ``model.visual_prompt`` pools the whole video into its class prompts: ``None``.
    """
    if branch == "align" and m.visual_prompt:
        return None
    if m.adapter_kind == "none" or m.adapter_depth == 0:
        return 0
    if m.adapter_kind != "distance":
        return None
    per_block = m.sigma * math.log(1.0 / (tol * (1.0 - math.exp(-1.0 / m.sigma))))
    return m.adapter_depth * (math.ceil(per_block) + 1)


@dataclass
class SnippetFeatures:
    """Consecutive snippets ``start .. start + n`` of the video, as the detector reads them.

    Attributes:
        frame: ``[n, D]`` float32 [CLS] features (float16 values, as stored).
        patches: ``[n, K, D]`` float32 features of the top-K motion patches.
        motion: ``[n, K]`` float32 motion of those patches.
        maps: ``[n, V, rows, cols]`` float32 anomaly probability per patch of each window.
    """

    start: int
    frame: np.ndarray
    patches: np.ndarray
    motion: np.ndarray
    maps: np.ndarray

    def __len__(self) -> int:
        return int(self.frame.shape[0])


@torch.no_grad()
def chunk_features(det: Detector, chunk: FrameChunk) -> SnippetFeatures:
    """Steps 2-3 for one decoded chunk (what extraction's packer and localization do)."""
    enc, size = det.encoder, chunk.frame_size
    frames = chunk.frames.to(enc.device)  # [n, H, W, 3]
    partners = chunk.partners.to(enc.device)
    crop = det.scored_crop(size)
    motion = crop.flip_grid(patch_motion(frames, partners, crop.geometry, enc.patch_size), enc.patch_grid)  # [n, P]
    topk = select_topk_patches(motion, det.cfg.extract.top_k_patches)  # [n, K]
    out = enc.encode(enc.preprocess(frames, crop))  # [n, D], [n, P, D]
    index = topk[..., None].expand(-1, -1, out.tokens.shape[-1])  # [n, K, D]
    patches = out.tokens.gather(1, index)
    motion16 = motion.half().float()
    # 3. maps: the stored window's tokens are the scored forward's, kept in float16 by the store
    s = det.settings
    if det.reuses_scored_tokens(size):
        tokens = out.tokens.half().float()[:, None]  # [n, 1, P, D]
    else:
        tokens = encode_windows(enc, frames, det.map_windows(size), s.dense_attention if s.dense else None)
    n, V, P, D = tokens.shape
    rows, cols = enc.patch_grid
    probs = patch_anomaly_probs(tokens.reshape(n * V, P, D).cpu(), det.text.cpu(), det.abnormal, s.temperature,
                                s.balance_groups).reshape(n, V, rows, cols)
    return SnippetFeatures(chunk.start, out.cls.half().float().cpu().numpy(), patches.half().float().cpu().numpy(),
                           torch.take_along_dim(motion16, topk, dim=1).cpu().numpy(), probs.numpy())


class StreamScorer:
    """Snippet scores of a stream of features, equal to one forward over the whole video.

    Args:
        model: the detector (eval mode).
        device: where it runs.
        chunk: snippets whose scores each forward finalises.
        context: snippets of context kept on each side (:func:`context_snippets`); ``None``
            keeps every snippet and scores once at the end (an adapter without a bounded reach).
    """

    def __init__(self, model: STPrompt, device: torch.device, chunk: int, context: int | None,
                 branch: str = "binary"):
        if chunk < 1:
            raise ValueError(f"chunk must be >= 1, got {chunk}")
        self.model, self.device, self.chunk, self.context = model, device, chunk, context
        self.branch = branch  # eval.score_branch: the scores evaluate reports
        self._frame: list[np.ndarray] = []  # buffered [n, D] pieces, starting at snippet self._base
        self._patches: list[np.ndarray] = []
        self._motion: list[np.ndarray] = []
        self._base = 0  # snippet index of the buffer's first row
        self._done = 0  # snippets whose scores are final
        self.peak_buffered = 0  # most snippets held at once (bounded: chunk + 2 * context + one push)

    @property
    def _end(self) -> int:
        return self._base + sum(len(f) for f in self._frame)

    def push(self, feats: SnippetFeatures) -> np.ndarray:
        """Add the next snippets (in order); returns the scores that became final ``[m]``."""
        if feats.start != self._end:
            raise ValueError(f"snippets arrive out of order: expected {self._end}, got {feats.start}")
        self._frame.append(feats.frame)
        self._patches.append(feats.patches)
        self._motion.append(feats.motion)
        self.peak_buffered = max(self.peak_buffered, self._end - self._base)
        out = []
        if self.context is not None:
            while self._end - self._done >= self.chunk + self.context:
                out.append(self._score_until(self._done + self.chunk))
        return np.concatenate(out) if out else np.zeros(0, np.float32)

    def finish(self) -> np.ndarray:
        """The scores of the snippets not final yet (the video has ended)."""
        if self._done >= self._end:
            return np.zeros(0, np.float32)
        return self._score_until(self._end)

    @torch.no_grad()
    def _score_until(self, stop: int) -> np.ndarray:
        """Score snippets ``[done, stop)`` with the context the buffer holds; drop what is no longer needed."""
        frame, patches, motion = (np.concatenate(x) for x in (self._frame, self._patches, self._motion))
        hi = min(self._end, stop + (self.context or 0)) - self._base
        lo = max(0, self._done - (self.context or 0) - self._base)
        mask = torch.ones(1, hi - lo, dtype=torch.bool, device=self.device)
        scores = self.model(torch.from_numpy(frame[lo:hi])[None].to(self.device),
                            torch.from_numpy(patches[lo:hi])[None].to(self.device),
                            torch.from_numpy(motion[lo:hi])[None].to(self.device), mask).branch_scores(self.branch)[0]  # [hi - lo]
        a = self._done - self._base - lo
        out = scores[a : a + stop - self._done].float().cpu().numpy()
        self._done = stop
        drop = self._done - self.context - self._base if self.context is not None else 0
        drop = max(drop, 0)  # keep `context` snippets before the next unscored one
        self._frame, self._patches, self._motion = [frame[drop:]], [patches[drop:]], [motion[drop:]]
        self._base += drop
        return out


@dataclass
class StreamResult:
    """What pass 1 found in a video.

    Attributes:
        snippet_scores: ``[T]`` float32 anomaly score per snippet.
        maps: ``[T, V, rows, cols]`` float16 patch anomaly maps.
        num_frames: decoded frames.
        frame_size: decoded ``(width, height)``.
        peak_buffered: most snippets of features held at once.
    """

    snippet_scores: np.ndarray
    maps: np.ndarray
    num_frames: int
    frame_size: tuple[int, int]
    peak_buffered: int
    context: int | None
    chunk: int


def score_stream(det: Detector, path: str | Path, *, chunk: int | None = None, bar=None) -> StreamResult:
    """Pass 1 over ``path`` (a video file or a frame folder): snippet scores and maps.

    Args:
        det: the loaded run.
        path: the video.
        chunk: snippets each scoring forward finalises (default ``data.max_len``).
        bar: a tqdm bar advanced by decoded frames, or None.

    Raises:
        VideoDecodeError: the file cannot be decoded (names it).
    """
    m = det.cfg.model
    context = context_snippets(m, branch=det.cfg.eval.score_branch)
    if context is None:
        why = (f"model.adapter_kind={m.adapter_kind!r} mixes every snippet with every other"
               if m.adapter_kind not in ("distance", "none") else
               "the alignment branch's visual prompt (model.visual_prompt) pools the whole video")
        warnings.warn(f"{why}: the whole video's features are kept and scored at the end (memory grows with "
                      f"the length)",
                      RuntimeWarning, stacklevel=2)
    scorer = StreamScorer(det.model, det.device, chunk or det.cfg.data.max_len, context, det.cfg.eval.score_branch)
    scores, maps, last = [], [], None
    for c in frames_in_chunks(det, path):
        feats = chunk_features(det, c)
        maps.append(feats.maps.astype(np.float16))
        scores.append(scorer.push(feats))
        last = c
        if bar is not None:
            bar.update(min(len(c) * det.snippet_len, (c.num_frames or 1 << 62) - c.start * det.snippet_len))
    scores.append(scorer.finish())
    return StreamResult(np.concatenate(scores), np.concatenate(maps), int(last.num_frames), last.frame_size,
                        scorer.peak_buffered, context, scorer.chunk)


def frames_in_chunks(det: Detector, path: str | Path) -> Iterator[FrameChunk]:
    """Step 1: the sampled frames and partners of ``path`` in chunks of ``extract.batch_size``."""
    yield from iter_snippet_frames(path, det.snippet_len, det.cfg.extract.batch_size, video_id=Path(path).stem)
