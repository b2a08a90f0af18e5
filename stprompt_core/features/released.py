"""VadCLIP's released CLIP features as a feature store (``stprompt data import-features vadclip``).

The authors of VadCLIP (AAAI 2024, github.com/nwpu-zxr/VadCLIP) released CLIP ViT-B/16 [CLS]
features of UCF-Crime and XD-Violence: one ``.npy`` per video and crop, ``[T, 512]``, one row
per 16-frame snippet, named ``<video>__<crop>.npy`` (UCF-Crime in class folders,
``Abuse/Abuse001_x264__0.npy``; XD-Violence flat). Crops are the ten crops in
torchvision's order (0 centre, 1-4 corners, 5-9 mirrored; their issue 2). Their lists name the
files, with absolute paths on the authors' machine::

    list/ucf_CLIP_rgb.csv       path,label   ten rows per training video (crops 0-9)
    list/ucf_CLIP_rgbtest.csv   path,label   one row per test video (crop 5)
    list/xd_CLIP_rgb.csv        path,label   ten rows per training video
    list/xd_CLIP_rgbtest.csv    path,label   one row per test video (crop 0)

Import, numbered as the data flows:

1. find  the two lists and the annotation files anywhere under the root (the project's
   parsers read ``Temporal_Anomaly_Annotation.txt``, ``Anomaly_Train.txt``/``Anomaly_Test.txt``
   and XD's ``annotations.txt``);
2. resolve every listed path by its file name under the root (the ``<Class>/<file>`` tail
   decides between equal names), never by the authors' absolute path;
3. check each video: every crop present, ``[T, 512]``, the same T in every crop, finite,
   its label agreeing with the annotations; a video that fails is skipped and listed with
   the reason (``strict``: the import stops instead, writing nothing);
4. frame ground truth of a test video in VadCLIP's convention (``list/make_gt_*.py``): 16·T
   frames (16 per snippet; the video's true length is not in the release, and VadCLIP
   truncates its ground truth to 16·T), an annotated pair ``s e`` marking frames ``[s, e)``
   (the end frame excluded, as VadCLIP's ``gt[s:e]``; the project's parsers store ``[s, e + 1)``,
   so one frame is taken off each interval);
5. write the store in a temporary folder and rename it into place at the end: an
   interrupted or failed import leaves no store, or the previous one, never half of one.

The training split keeps every listed crop as a stored crop (``<split>.crop<k>``, as extraction
with ``extract.crops: 10`` writes it); the test split keeps the one crop the test list names as
its only stored crop, crop 0 of the store (VadCLIP scores that crop). The features carry no patch tokens: the store records
``top_k = 0``, so SA2 has nothing to attend over; training refuses an SA2 mode other than
``none`` on such a store (:func:`stprompt_core.train.check_store`), and the ``*_released``
profiles set ``model.sa2_mode: none``.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
import numpy as np

from stprompt_core.backbone.configs import embed_dim
from stprompt_core.classes import class_index, class_labels
from stprompt_core.data.datasets import ucf_crime, xd_violence
from stprompt_core.data.datasets.common import AnnotationError, find_file, find_optional, video_id
from stprompt_core.features.store import FeatureStore, FeatureStoreError, FeatureStoreWriter, StoreMeta, VideoFeatures
from stprompt_core.io import atomic_path, file_sha256, read_json, write_json
from stprompt_core.runtime import progress_bar

SOURCE = "vadclip_released"
MODEL_NAME = "ViT-B-16"  # the released features: CLIP ViT-B/16, OpenAI weights (VadCLIP's clip.load("ViT-B/16"))
SNIPPET_LEN = 16  # frames per feature row (VadCLIP's clip_len)
LISTS = {  # dataset -> (training list, test list)
    "ucf_crime": ("ucf_CLIP_rgb.csv", "ucf_CLIP_rgbtest.csv"),
    "xd_violence": ("xd_CLIP_rgb.csv", "xd_CLIP_rgbtest.csv"),
}
SPLIT_OF_LIST = {0: "train", 1: "test"}
CROP_MARK = "__"  # <video>__<crop>.npy; XD video names contain "__" themselves: the last one counts


class ReleasedFeaturesError(ValueError):
    """The release under the root cannot be imported; the message names the file (and line)."""


@dataclass
class ImportSummary:
    """What one import did (also stored in ``store.json`` as ``source``)."""

    dataset: str
    store: str
    root: str
    imported: dict[str, int] = field(default_factory=dict)  # split -> videos written
    # split -> VadCLIP crop index of each stored crop k (the key `views` is what store.json records)
    views: dict[str, list[int]] = field(default_factory=dict)
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
            crops = self.views.get(split, [])
            lines.append(f"  {split}: {n} videos, crop{'s' * (len(crops) > 1)} {_crops_text(crops)}"
                         f"{' (each stored as its own crop split)' if len(crops) > 1 else ''}")
        if self.skipped:
            lines.append(f"  skipped {len(self.skipped)} videos:")
            lines += [f"    {vid}: {why}" for vid, why in sorted(self.skipped.items())]
        lines.append(f"  SA2 off: the released features are [CLS] embeddings only (no patch tokens); "
                     f"train with model.sa2_mode=none (the {self.dataset}_released profile sets it)")
        lines.append(f"store: {self.store}")
        return "\n".join(lines)


def _crops_text(crops: list[int]) -> str:
    if len(crops) > 2 and crops == list(range(crops[0], crops[-1] + 1)):
        return f"{crops[0]}-{crops[-1]}"
    return ", ".join(str(c) for c in crops)


@dataclass
class _Row:
    lineno: int
    path: str  # as written in the list
    label: str
    video: str
    crop: int


@dataclass
class _Video:
    split: str
    video: str
    label: str
    crops: dict[int, tuple[int, str]] = field(default_factory=dict)  # crop -> (line, listed path)


def parse_feature_list(path: Path) -> list[_Row]:
    """Rows of a VadCLIP feature list (``path,label`` CSV, any line endings).

    Raises:
        ReleasedFeaturesError: no ``path,label`` header, a row without two fields, a path
            that is not ``<video>__<crop>.npy``; names the file and line.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReleasedFeaturesError(f"{path}: not UTF-8 text ({exc.reason})") from None
    rows: list[_Row] = []
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if header is None or [h.strip() for h in header] != ["path", "label"]:
        raise ReleasedFeaturesError(f"{path}:1: expected the header 'path,label', got {header!r}")
    for lineno, fields in enumerate(reader, start=2):
        if not fields or not "".join(fields).strip():
            continue
        if len(fields) != 2:
            raise ReleasedFeaturesError(f"{path}:{lineno}: expected 2 fields (path,label), got {len(fields)}")
        listed, label = fields[0].strip(), fields[1].strip()
        name = PurePosixPath(listed.replace("\\", "/")).name
        stem, ext = os.path.splitext(name)
        video, mark, crop = stem.rpartition(CROP_MARK)
        if ext != ".npy" or not mark or not video or not crop.isdigit():
            raise ReleasedFeaturesError(f"{path}:{lineno}: {listed!r} is not a <video>__<crop>.npy feature file")
        rows.append(_Row(lineno, listed, label, video, int(crop)))
    if not rows:
        raise ReleasedFeaturesError(f"{path}: lists no feature files")
    return rows


class _NpyIndex:
    """Every ``.npy`` under the root by file name; a listed path resolves by its name, and by
    its ``<parent>/<name>`` tail when several files share the name."""

    def __init__(self, root: Path):
        self.root = root
        self.by_name: dict[str, list[Path]] = {}
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for f in filenames:
                if f.endswith(".npy"):
                    self.by_name.setdefault(f, []).append(Path(dirpath, f))

    def fingerprint(self) -> str:
        """SHA-256 over every feature file's relative path, size and modification time (cheap: no reading)."""
        h = hashlib.sha256()
        for name in sorted(self.by_name):
            for p in sorted(self.by_name[name]):
                st = p.stat()
                h.update(f"{p.relative_to(self.root)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        return h.hexdigest()

    def resolve(self, listed: str) -> Path | None:
        parts = PurePosixPath(listed.replace("\\", "/")).parts
        hits = self.by_name.get(parts[-1], [])
        if len(hits) > 1 and len(parts) > 1:
            hits = [h for h in hits if h.parent.name == parts[-2]]
        if len(hits) > 1:
            raise ReleasedFeaturesError(f"{listed!r}: {len(hits)} files under {self.root} match its "
                                        f"<folder>/<file> tail ({', '.join(str(h) for h in hits[:3])}); keep one copy")
        return hits[0] if hits else None


def _group(rows: list[_Row], split: str, path: Path) -> dict[str, _Video]:
    videos: dict[str, _Video] = {}
    for r in rows:
        v = videos.setdefault(r.video, _Video(split, r.video, r.label))
        if r.label != v.label:
            raise ReleasedFeaturesError(f"{path}:{r.lineno}: {r.video!r} labelled {r.label!r}, "
                                        f"line {next(iter(v.crops.values()))[0]} says {v.label!r}")
        if r.crop in v.crops:
            raise ReleasedFeaturesError(f"{path}:{r.lineno}: crop {r.crop} of {r.video!r} already listed "
                                        f"on line {v.crops[r.crop][0]}")
        v.crops[r.crop] = (r.lineno, r.path)
    return videos


def _stored_crops(videos: dict[str, _Video], split: str, path: Path) -> list[int]:
    """VadCLIP crop of each stored crop of the split: the crops most of its videos list, in order."""
    counts: dict[tuple[int, ...], int] = {}
    for v in videos.values():
        key = tuple(sorted(v.crops))
        counts[key] = counts.get(key, 0) + 1
    crops = list(max(counts, key=lambda k: (counts[k], len(k))))
    if split == "train" and len(crops) > 1 and crops != list(range(len(crops))):
        raise ReleasedFeaturesError(f"{path}: training videos list crops {crops}; a multi-crop store needs "
                                    f"crops 0..n-1")
    if len(crops) not in (1, 2, 5, 10):
        raise ReleasedFeaturesError(f"{path}: videos list {len(crops)} crops each; expected 1, 2, 5 or 10")
    if split == "test" and len(crops) != 1:
        raise ReleasedFeaturesError(f"{path}: test videos list crops {crops}; VadCLIP's test lists name one "
                                    f"crop per video")
    return crops


class _Annotations:
    """The dataset's labels and test intervals from its official annotation files."""

    def __init__(self, dataset: str, root: Path):
        self.dataset, self.files = dataset, []
        self.train_ids: set[str] | None = None
        self.intervals: dict[str, list[list[int]]] = {}  # test video -> half-open [s, e + 1)
        self.classes: dict[str, str] = {}  # test video -> annotated class (UCF-Crime)
        if dataset == "ucf_crime":
            path = find_file(root, ucf_crime.TEMPORAL_ANNOTATION, dataset)
            self.files.append(path)
            for vid, a in ucf_crime.parse_temporal_annotations(path).items():
                self.intervals[vid], self.classes[vid] = a.intervals, a.cls
            train = find_optional(root, ucf_crime.TRAIN_LIST, dataset)
            if train is not None:
                self.files.append(train)
                self.train_ids = {video_id(rel) for _, rel in ucf_crime.parse_split_list(train)}
            self.test_list: Path | None = find_optional(root, ucf_crime.TEST_LIST, dataset)
            if self.test_list is not None:
                self.files.append(self.test_list)
        else:
            self.test_list = None
            path = find_file(root, xd_violence.ANNOTATIONS, dataset)
            self.files.append(path)
            self.intervals = {vid: iv for vid, (_, iv) in xd_violence.parse_annotations(path).items()}

    def labels(self, v: _Video) -> list[str]:
        """The video's dataset labels (first = its class); raises ValueError naming the conflict."""
        if self.dataset == "ucf_crime":
            if v.label not in class_labels(self.dataset):
                raise ValueError(f"label {v.label!r} is not a UCF-Crime class {class_labels(self.dataset)}")
            if v.split == "train" and self.train_ids is not None and v.video not in self.train_ids:
                raise ValueError(f"not in {ucf_crime.TRAIN_LIST[0]}")
            if v.split == "test":
                if v.video not in self.classes:
                    raise ValueError(f"not in {ucf_crime.TEMPORAL_ANNOTATION[-1]} (no ground truth)")
                if self.classes[v.video] != v.label:
                    raise ValueError(f"listed as {v.label!r}, annotated as {self.classes[v.video]!r}")
            return [v.label]
        labels = xd_violence.labels_from_name(v.video)
        listed = [t for t in v.label.split("-") if t != "0"]
        if listed != labels:
            raise ValueError(f"listed label {v.label!r} disagrees with its name's label {labels}")
        if v.split == "test" and labels != [xd_violence.NORMAL] and v.video not in self.intervals:
            raise ValueError(f"abnormal test video not in {xd_violence.ANNOTATIONS[0]} (no ground truth)")
        return labels

    def frame_gt(self, video: str, num_frames: int) -> np.ndarray:
        """VadCLIP's frame labels: annotated ``s e`` marks ``[s, e)``, cut at ``num_frames``."""
        gt = np.zeros(num_frames, np.uint8)
        for start, end in self.intervals.get(video, []):
            gt[max(0, start):min(num_frames, end - 1)] = 1  # parsers store [s, e + 1); VadCLIP: gt[s:e]
        return gt


def load_crops(video: _Video, crops: list[int], index: _NpyIndex, dim: int) -> list[np.ndarray]:
    """The video's feature arrays in stored-crop order; raises ValueError naming what is wrong."""
    missing = [c for c in crops if c not in video.crops]
    if missing:
        raise ValueError(f"crops {missing} not listed (the split's videos list {_crops_text(crops)})")
    arrays, length = [], None
    for c in crops:
        lineno, listed = video.crops[c]
        path = index.resolve(listed)
        if path is None:
            raise ValueError(f"crop {c}: no file {PurePosixPath(listed.replace(chr(92), '/')).name} under the root")
        try:
            a = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError) as exc:
            raise ValueError(f"crop {c}: {path} is not a readable .npy ({type(exc).__name__}: {exc})") from None
        if a.ndim != 2 or a.shape[1] != dim or a.shape[0] == 0:
            raise ValueError(f"crop {c}: {path} has shape {list(a.shape)}, expected [T, {dim}] with T > 0")
        if not np.issubdtype(a.dtype, np.floating):
            raise ValueError(f"crop {c}: {path} holds {a.dtype}, expected floats")
        bad = np.flatnonzero(~np.isfinite(a).all(axis=1))
        if bad.size:
            raise ValueError(f"crop {c}: {path} has NaN or inf in {bad.size} rows (first: row {int(bad[0])})")
        if length is not None and a.shape[0] != length:
            raise ValueError(f"crop {c}: {path} has {a.shape[0]} snippets, crop {crops[0]} has {length}")
        length = a.shape[0]
        arrays.append(a.astype(np.float32))
    return arrays


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
    ann = _Annotations(dataset, root)
    summary = ImportSummary(dataset=dataset, store=str(store), root=str(root))
    index = _NpyIndex(root)
    summary.inputs = {str(p.relative_to(root)): file_sha256(p) for p in [*lists, *ann.files]}
    summary.inputs["*.npy"] = index.fingerprint()
    if not overwrite and _same_import(store, summary.inputs, dataset):
        return _reused(store, summary)
    if (store / "store.json").exists() and not overwrite:
        raise FeatureStoreError(f"{store} holds another feature store; pass --overwrite to replace it, or choose "
                                f"another data.feature_store")
    dim = embed_dim(MODEL_NAME)
    splits: dict[str, tuple[dict[str, _Video], list[int]]] = {}
    for i, path in enumerate(lists):
        split = SPLIT_OF_LIST[i]
        videos = _group(parse_feature_list(path), split, path)
        splits[split] = (videos, _stored_crops(videos, split, path))
    both = set(splits["train"][0]) & set(splits["test"][0])
    if both:
        raise ReleasedFeaturesError(f"{len(both)} videos are in both lists (e.g. {sorted(both)[0]!r})")
    if ann.test_list is not None:  # Anomaly_Test.txt names the test videos
        named = {video_id(rel) for _, rel in ucf_crime.parse_split_list(ann.test_list)}
        for vid in sorted(set(splits["test"][0]) - named):
            _skip(summary, strict, "test", vid, f"not in {ann.test_list.name}")
    summary.views = {split: crops for split, (_, crops) in splits.items()}

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
                    labels = ann.labels(v)
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
        meta.source = {k: v for k, v in record.items() if v is not None} | {"kind": SOURCE}
        writer.meta = meta
        _write_meta_source(tmp, meta)
        writer.finalize(sorted(splits))
        shutil.rmtree(tmp / "parts", ignore_errors=True)  # the datasets hold everything; halves the disk used
    return summary


def _features(dataset: str, v: _Video, labels: list[str], arrays: list[np.ndarray], ann: _Annotations):
    """(crop 0, tokens, extra crops) of one video for :meth:`FeatureStoreWriter.add`."""
    T, D = arrays[0].shape
    n = SNIPPET_LEN * T
    gt = ann.frame_gt(v.video, n) if v.split == "test" else np.zeros(0, np.uint8)
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


def _write_meta_source(root: Path, meta: StoreMeta) -> None:
    write_json(root / "store.json", asdict(meta))


def _same_import(store: Path, inputs: dict[str, str], dataset: str) -> bool:
    if not (store / "store.json").is_file():
        return False
    source = read_json(store / "store.json").get("source") or {}
    return source.get("kind") == SOURCE and source.get("dataset") == dataset and source.get("inputs") == inputs


def _reused(store: Path, summary: ImportSummary) -> ImportSummary:
    meta = FeatureStore(store).meta
    for k in ("imported", "views", "skipped"):
        setattr(summary, k, meta.source.get(k, getattr(summary, k)))
    summary.reused = True
    return summary
