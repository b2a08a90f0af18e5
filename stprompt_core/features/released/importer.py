"""The import: VadCLIP's released features of one dataset into a feature store.

Numbered as the data flows (the package's docstring says what the release is):

1. find the two lists (:mod:`~stprompt_core.features.released.lists`) and the dataset's
   annotation files (:mod:`~stprompt_core.features.released.annotations`, read by the
   dataset's own parser) anywhere under the root;
2. resolve every listed path by its file name under the root
   (:mod:`~stprompt_core.features.released.files`), never by the authors' absolute path;
3. check each video: every crop present, ``[T, 512]``, the same T in every crop, finite,
   its label agreeing with the annotations; a video that fails is skipped and listed with
   the reason (``strict``: the import stops instead, writing nothing);
4. frame ground truth of a test video in VadCLIP's convention
   (:func:`~stprompt_core.features.released.annotations.vadclip_frame_gt`): 16·T frames (16
   per snippet; the video's true length is not in the release, and VadCLIP truncates its
   ground truth to 16·T);
5. write the store through :class:`~stprompt_core.features.store.FeatureStoreWriter` (which
   alone writes ``store.json``, this import's record as its ``source``) in a temporary folder
   renamed into place at the end: an interrupted or failed import leaves no store, or the
   previous one, never half of one.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from stprompt_core.backbone.configs import embed_dim
from stprompt_core.classes import class_index, class_labels
from stprompt_core.data.datasets.common import AnnotationError, find_file
from stprompt_core.features.released.annotations import ListedAnnotations, listed_annotations, vadclip_frame_gt
from stprompt_core.features.released.files import NpyIndex, load_crops
from stprompt_core.features.released.lists import (LISTS, SPLIT_OF_LIST, ListedVideo, ReleasedFeaturesError, crops_text,
                                                   group_videos, parse_feature_list, stored_crops)
from stprompt_core.features.store import FeatureStore, FeatureStoreError, FeatureStoreWriter, StoreMeta, VideoFeatures
from stprompt_core.io import atomic_path, file_sha256, read_json
from stprompt_core.runtime import progress_bar

SOURCE = "vadclip_released"
MODEL_NAME = "ViT-B-16"  # the released features: CLIP ViT-B/16, OpenAI weights (VadCLIP's clip.load("ViT-B/16"))
SNIPPET_LEN = 16  # frames per feature row (VadCLIP's clip_len)


@dataclass
class ImportSummary:
    """What one import did (also stored in ``store.json`` as ``source``)."""

    dataset: str
    store: str
    root: str
    imported: dict[str, int] = field(default_factory=dict)  # split -> videos written
    # split -> VadCLIP crop index of each stored crop k (stores imported before the rename call it `views`)
    crops: dict[str, list[int]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # "split/video" -> reason
    inputs: dict[str, str] = field(default_factory=dict)  # list/annotation file -> SHA-256
    seconds: float = 0.0
    reused: bool = False  # the store already held this import

    @property
    def ok(self) -> bool:
        return not self.skipped

    def format(self) -> str:
        head = "reused" if self.reused else f"imported in {self.seconds:.1f} s"
        lines = [f"import-features vadclip {self.dataset}: {head} from {self.root}"]
        for split, n in sorted(self.imported.items()):
            crops = self.crops.get(split, [])
            lines.append(f"  {split}: {n} videos, crop{'s' * (len(crops) > 1)} {crops_text(crops)}"
                         f"{' (each stored as its own crop split)' if len(crops) > 1 else ''}")
        if self.skipped:
            lines.append(f"  skipped {len(self.skipped)} videos:")
            lines += [f"    {vid}: {why}" for vid, why in sorted(self.skipped.items())]
        lines.append(f"  SA2 off: the released features are [CLS] embeddings only (no patch tokens); "
                     f"train with model.sa2_mode=none (the {self.dataset}_released profile sets it)")
        lines.append(f"store: {self.store}")
        return "\n".join(lines)


def import_vadclip(root: str | Path, dataset: str, store: str | Path, *, strict: bool = False,
                   overwrite: bool = False, progress: bool = True) -> ImportSummary:
    """Import VadCLIP's released CLIP features of ``dataset`` under ``root`` into the store ``store``.

    Cache-or-compute: a store that already holds an import of the same list and annotation
    files (same SHA-256) and the same feature files (same names, sizes and modification times)
    is reused; another store at ``store`` is replaced only with ``overwrite``, which always
    imports again.

    Args:
        root: folder holding the feature files and the lists and annotation files (anywhere below it).
        dataset: ``ucf_crime`` or ``xd_violence``.
        store: the feature store folder to write (``data.feature_store``).
        strict: stop at the first bad video instead of skipping it.
        overwrite: replace a store at ``store`` that holds something else.
        progress: a progress bar over videos.

    Returns:
        :class:`ImportSummary`; ``skipped`` lists every video left out and why.

    Raises:
        ReleasedFeaturesError, AnnotationError, FileNotFoundError: a list or annotation file is
            missing or malformed, a video is bad under ``strict``, or nothing is left to import.
        FeatureStoreError: ``store`` holds another store and ``overwrite`` is not set.
    """
    if dataset not in LISTS:
        raise ReleasedFeaturesError(f"VadCLIP released features exist for {sorted(LISTS)}, not {dataset!r}")
    root, store = Path(root), Path(store)
    if not root.is_dir():
        raise FileNotFoundError(f"released features root is not a directory: {root}")
    t0 = time.perf_counter()
    # 1. find and parse the lists and the annotation files
    lists = [find_file(root, (name,), f"{dataset} released features") for name in LISTS[dataset]]
    ann = listed_annotations(dataset, root)
    summary = ImportSummary(dataset=dataset, store=str(store), root=str(root))
    index = NpyIndex(root)
    summary.inputs = {str(p.relative_to(root)): file_sha256(p) for p in [*lists, *ann.files]}
    summary.inputs["*.npy"] = index.fingerprint()
    if not overwrite and _same_import(store, summary.inputs, dataset):
        return _reused(store, summary)
    if (store / "store.json").exists() and not overwrite:
        raise FeatureStoreError(f"{store} holds another feature store; pass --overwrite to replace it, or choose "
                                f"another data.feature_store")
    dim = embed_dim(MODEL_NAME)
    splits: dict[str, tuple[dict[str, ListedVideo], list[int]]] = {}
    for i, path in enumerate(lists):
        split = SPLIT_OF_LIST[i]
        videos = group_videos(parse_feature_list(path), split, path)
        splits[split] = (videos, stored_crops(videos, split, path))
    both = set(splits["train"][0]) & set(splits["test"][0])
    if both:
        raise ReleasedFeaturesError(f"{len(both)} videos are in both lists (e.g. {sorted(both)[0]!r})")
    summary.crops = {split: crops for split, (_, crops) in splits.items()}

    train_crops = splits["train"][1]
    meta = StoreMeta(dataset=dataset, embed_dim=dim, top_k=0, patch_grid=[0, 0], snippet_len=SNIPPET_LEN,
                     backbone={"model_name": MODEL_NAME, "pretrained": "openai", "source": SOURCE},
                     crops=len(train_crops), crop_resize=0,
                     crop_splits=["train"] if len(train_crops) > 1 else [])
    total = sum(len(v) for v, _ in splits.values())
    with atomic_path(store) as tmp, progress_bar(total, "import", "video", progress) as bar:
        writer = FeatureStoreWriter(tmp, meta)
        for split, (videos, crops) in splits.items():
            written = 0
            for vid in sorted(videos):
                if bar is not None:
                    bar.update(1)
                key = f"{split}/{vid}"
                if key in summary.skipped:
                    continue
                v = videos[vid]
                try:
                    labels = ann.labels(v.video, v.label, v.split)
                    arrays = load_crops(v, crops, index, dim)
                except (ValueError, AnnotationError) as exc:
                    _skip(summary, strict, split, vid, str(exc))
                    continue
                writer.add(split, *_features(dataset, v, labels, arrays, ann))
                written += 1
            if not written:
                raise ReleasedFeaturesError(f"no {split} video of {dataset} could be imported "
                                            f"({len(summary.skipped)} skipped, e.g. "
                                            f"{next(iter(summary.skipped.items()), ('', ''))})")
            summary.imported[split] = written
        summary.seconds = round(time.perf_counter() - t0, 2)
        record = {**asdict(summary), "store": None, "seconds": None, "reused": None}
        writer.finalize(sorted(splits), source={k: v for k, v in record.items() if v is not None} | {"kind": SOURCE})
        shutil.rmtree(tmp / "parts", ignore_errors=True)  # the datasets hold everything; halves the disk used
    return summary


def _features(dataset: str, v: ListedVideo, labels: list[str], arrays: list[np.ndarray], ann: ListedAnnotations):
    """(crop 0, tokens, extra crops) of one video for :meth:`FeatureStoreWriter.add`."""
    T, D = arrays[0].shape
    n = SNIPPET_LEN * T
    gt = vadclip_frame_gt(ann.intervals.get(v.video, []), n) if v.split == "test" else np.zeros(0, np.uint8)
    classes = np.asarray([class_index(dataset, c) for c in labels], np.int32)
    label = int(labels[0] != class_labels(dataset)[0])
    crops = [VideoFeatures(video_id=v.video, label=label, class_name=labels[0], class_index=int(classes[0]),
                           num_frames=n, frame_feats=a, patch_feats=np.zeros((T, 0, D), np.float16),
                           patch_idx=np.zeros((T, 0), np.int32), patch_motion=np.zeros((T, 0), np.float16),
                           frame_gt=gt, class_set=classes) for a in arrays]
    return crops[0], None, crops[1:]


def _skip(summary: ImportSummary, strict: bool, split: str, vid: str, reason: str) -> None:
    if strict:
        raise ReleasedFeaturesError(f"{split} video {vid!r}: {reason} (without --strict it is skipped and listed)")
    summary.skipped[f"{split}/{vid}"] = reason


def _same_import(store: Path, inputs: dict[str, str], dataset: str) -> bool:
    if not (store / "store.json").is_file():
        return False
    source = read_json(store / "store.json").get("source") or {}
    return source.get("kind") == SOURCE and source.get("dataset") == dataset and source.get("inputs") == inputs


def _reused(store: Path, summary: ImportSummary) -> ImportSummary:
    source = FeatureStore(store).meta.source
    summary.imported = source.get("imported", summary.imported)
    summary.crops = source.get("crops", source.get("views", summary.crops))  # "views": stores of older imports
    summary.skipped = source.get("skipped", summary.skipped)
    summary.reused = True
    return summary
