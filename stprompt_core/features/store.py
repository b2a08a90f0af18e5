"""The feature store contract, on Hugging Face ``datasets`` saved to disk.

Layout of a store directory::

    store.json            StoreMeta: backbone, D, K, patch grid, snippet length, splits
    parts/<split>/<id>.safetensors   per-video staging files (atomic, resumable)
    <split>/              a ``datasets.Dataset`` per split (memory-mapped Arrow), one row a video
    <split>.crop<k>/      crop k of the same videos, same row order (multi-crop, k = 1..crops-1)
    tokens/               full patch tokens [T, P, D] for the videos localization needs

Multi-crop stores (``StoreMeta.crops`` > 1, see :mod:`stprompt_core.video.crops`) keep crop 0
(the centre crop) under the split's own name, so every reader that knows nothing of crops
(evaluation, localization, figures) sees the centre crop; training reads the other crops
through :meth:`FeatureStore.crop_split`. Only ``StoreMeta.crop_splits`` carry extra crops.

One row holds (T snippets, K top-motion patches, P patches per frame, D joint-space dim)::

    video_id     str
    label        int      1 = abnormal video
    class_name   str      dataset label (stprompt_core.classes)
    class_index  int      index into the dataset's class list, 0 = normal
    class_set    [n]      int32    all the video's class indices, first = class_index
                                   (XD-Violence videos carry up to three labels)
    num_frames   int      decoded frames of the video
    frame_feats  [T, D]   float16  projected [CLS] embedding per sampled frame
    patch_feats  [T, K, D] float16 projected patch tokens of the K highest-motion patches
    patch_idx    [T, K]   int32    their indices in the row-major patch grid
    patch_motion [T, P]   float16  motion magnitude of every patch
    frame_gt     [N]      uint8    per-frame ground truth (test videos; empty otherwise)

Extraction adds videos one at a time with :class:`FeatureStoreWriter` (each an atomic
file, so an interrupted run resumes) and calls :meth:`FeatureStoreWriter.finalize` to
build the Arrow datasets. Training and evaluation read with :class:`FeatureStore`.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from stprompt_core.integrity import DamagedFileError, check_record, file_record, load_verified, save_verified
from stprompt_core.io import DiskFullError, atomic_path, disk_full_error, is_disk_full, read_json, write_json

STORE_SCHEMA_VERSION = 1
REMEDY_DATASET = ("Run the same `stprompt extract` command again: it rebuilds the datasets from the stored parts "
                  "(`stprompt demo` does so by itself)")
ARRAY_FIELDS = ("frame_feats", "patch_feats", "patch_idx", "patch_motion", "frame_gt")


class FeatureStoreError(ValueError):
    """The store or one of its videos is invalid; the message names the video or field."""


@dataclass
class StoreMeta:
    dataset: str
    embed_dim: int  # D
    top_k: int  # K
    patch_grid: list[int]  # [rows, cols]; P = rows * cols
    snippet_len: int = 16
    backbone: dict[str, Any] = field(default_factory=dict)
    frame_size: list[int] | None = None  # decoded (width, height), for box scaling
    crops: int = 1  # crops per sampled frame (stprompt_core.video.crops)
    crop_resize: int = 0  # shorter side before multi-crop; 0 with crops == 1
    crop_resize_wh: list[int] = field(default_factory=list)  # [width, height] before multi-crop, instead
    crop_splits: list[str] = field(default_factory=list)  # splits holding all crops (crops > 1)
    # where imported features came from (stprompt_core.features.released: lists, annotation files and
    # their SHA-256, skipped videos); empty for extracted stores
    source: dict[str, Any] = field(default_factory=dict)
    schema_version: int = STORE_SCHEMA_VERSION

    def crops_of(self, split: str) -> int:
        """How many crops the store holds for ``split``."""
        return self.crops if split in self.crop_splits else 1

    @property
    def num_patches(self) -> int:
        return int(self.patch_grid[0] * self.patch_grid[1])

    @property
    def has_patches(self) -> bool:
        """Whether the store holds motion-patch tokens for SA2 (imported [CLS]-only features: K = 0)."""
        return self.top_k > 0


@dataclass
class VideoFeatures:
    """One video's features; arrays as documented in the module docstring."""

    video_id: str
    label: int
    class_name: str
    class_index: int
    num_frames: int
    frame_feats: np.ndarray
    patch_feats: np.ndarray
    patch_idx: np.ndarray
    patch_motion: np.ndarray
    frame_gt: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint8))
    class_set: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # empty = [class_index]

    @property
    def classes(self) -> list[int]:
        """The video's class indices, first = ``class_index``."""
        return [int(c) for c in self.class_set] if self.class_set.size else [int(self.class_index)]

    @property
    def num_snippets(self) -> int:
        return int(self.frame_feats.shape[0])

    def validate(self, meta: StoreMeta) -> None:
        """Check shapes, dtypes-able values and finiteness against the store's metadata."""
        vid, D, K, P = self.video_id, meta.embed_dim, meta.top_k, meta.num_patches
        T = self.frame_feats.shape[0] if self.frame_feats.ndim == 2 else -1
        if T <= 0:
            raise FeatureStoreError(f"video {vid!r}: zero snippets (frame_feats shape {self.frame_feats.shape})")
        expected = {"frame_feats": (T, D), "patch_feats": (T, K, D), "patch_idx": (T, K), "patch_motion": (T, P)}
        for name, shape in expected.items():
            got = getattr(self, name).shape
            if got != shape:
                raise FeatureStoreError(f"video {vid!r}: field {name} has shape {got}, expected {shape} "
                                        f"(T={T}, D={D} for backbone, K={K}, P={P})")
        for name in ("frame_feats", "patch_feats", "patch_motion"):
            if not np.isfinite(getattr(self, name)).all():
                raise FeatureStoreError(f"video {vid!r}: field {name} contains NaN or inf")
        if self.patch_idx.size and (self.patch_idx.min() < 0 or self.patch_idx.max() >= P):
            raise FeatureStoreError(f"video {vid!r}: patch_idx outside [0, {P})")
        if self.label not in (0, 1):
            raise FeatureStoreError(f"video {vid!r}: label {self.label!r} must be 0 or 1")
        if self.class_set.size and int(self.class_set[0]) != int(self.class_index):
            raise FeatureStoreError(f"video {vid!r}: class_set {self.class_set.tolist()} must start with "
                                    f"class_index {self.class_index}")

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "frame_feats": self.frame_feats.astype(np.float16),
            "patch_feats": self.patch_feats.astype(np.float16),
            "patch_idx": self.patch_idx.astype(np.int32),
            "patch_motion": self.patch_motion.astype(np.float16),
            "frame_gt": self.frame_gt.astype(np.uint8),
            "class_set": np.asarray(self.classes, np.int32),
        }

    def scalars(self) -> dict[str, str]:
        return {"video_id": self.video_id, "label": str(int(self.label)), "class_name": self.class_name,
                "class_index": str(int(self.class_index)), "num_frames": str(int(self.num_frames))}


def _hf_features(meta: StoreMeta):
    from datasets import Array2D, Array3D, Features, Sequence, Value

    D, K, P = meta.embed_dim, meta.top_k, meta.num_patches
    return Features({
        "video_id": Value("string"),
        "label": Value("int32"),
        "class_name": Value("string"),
        "class_index": Value("int32"),
        "num_frames": Value("int32"),
        "frame_feats": Array2D((None, D), "float16"),
        "patch_feats": Array3D((None, K, D), "float16"),
        "patch_idx": Array2D((None, K), "int32"),
        "patch_motion": Array2D((None, P), "float16"),
        "frame_gt": Sequence(Value("uint8")),
        "class_set": Sequence(Value("int32")),
    })


def _token_features(meta: StoreMeta):
    from datasets import Array3D, Features, Value

    return Features({"video_id": Value("string"),
                     "tokens": Array3D((None, meta.num_patches, meta.embed_dim), "float16")})


def crop_split(split: str, crop: int) -> str:
    """Directory name of crop ``crop`` of ``split``: the split itself for crop 0."""
    return split if crop == 0 else f"{split}.crop{crop}"


def _meta_diff(old: dict[str, Any], new: StoreMeta) -> list[str]:
    """Fields of ``new`` that differ from a recorded ``store.json`` (absent fields read as their
    defaults, so stores written before a field existed stay readable)."""
    defaults = asdict(StoreMeta(dataset="", embed_dim=0, top_k=0, patch_grid=[]))
    return sorted(k for k, v in asdict(new).items() if k != "frame_size" and old.get(k, defaults[k]) != v)


class FeatureStoreWriter:
    """Adds videos to a store, one atomic file each; ``finalize`` builds the datasets.

    Re-opening an existing store with different metadata is an error, so features from
    two backbones never mix. ``has`` lets an interrupted extraction skip finished videos.
    """

    def __init__(self, root: str | Path, meta: StoreMeta):
        self.root = Path(root)
        self.meta = meta
        meta_path = self.root / "store.json"
        if meta_path.exists():
            diff = _meta_diff(read_json(meta_path), meta)
            if diff:
                raise FeatureStoreError(f"{meta_path}: existing store differs in {diff}; "
                                        f"use another directory or delete it")
        else:
            write_json(meta_path, asdict(meta))

    def part_path(self, split: str, video_id: str, crop: int = 0) -> Path:
        return self.root / "parts" / crop_split(split, crop) / f"{video_id}.safetensors"

    def token_path(self, video_id: str) -> Path:
        return self.root / "parts" / "tokens" / f"{video_id}.safetensors"

    def has(self, split: str, video_id: str) -> bool:
        """Whether the video is complete: crop 0 is written last, so it implies the others."""
        return self.part_path(split, video_id).exists()

    def add(self, split: str, video: VideoFeatures, tokens: np.ndarray | None = None,
            crops: list[VideoFeatures] | None = None) -> None:
        """Validate and write one video atomically: tokens and crops 1.. first, crop 0 last, so a
        finished crop 0 implies the rest.

        Args:
            video: crop 0 (the centre crop, or the only one).
            tokens: full patch tokens ``[T, P, D]`` of crop 0, or None.
            crops: crops 1..n-1 of a multi-crop split (``meta.crops_of(split) - 1`` of them).
        """
        crops = crops or []
        want = self.meta.crops_of(split) - 1
        if len(crops) != want:
            raise FeatureStoreError(f"video {video.video_id!r}: {len(crops)} extra crops for split {split!r}, "
                                    f"the store keeps {want}")
        for v in [video, *crops]:
            v.validate(self.meta)
        for k, v in enumerate(crops, start=1):
            save_verified(v.arrays(), self.part_path(split, video.video_id, k), v.scalars())
        if tokens is not None:
            want = (video.num_snippets, self.meta.num_patches, self.meta.embed_dim)
            if tokens.shape != want:
                raise FeatureStoreError(f"video {video.video_id!r}: tokens shape {tokens.shape}, expected {want}")
            save_verified({"tokens": tokens.astype(np.float16)}, self.token_path(video.video_id))
        save_verified(video.arrays(), self.part_path(split, video.video_id), video.scalars())

    def finalize(self, splits: list[str] | None = None, source: dict[str, Any] | None = None) -> dict[str, int]:
        """Build one Arrow dataset per split (and ``tokens``) from the parts; returns counts.

        ``source``: where the features came from (an import's record), kept as ``store.json``'s
        ``source`` (and ``meta.source``).
        """
        import datasets

        datasets.disable_progress_bars()
        try:
            return self._finalize(splits, source)
        except Exception as exc:
            shutil.rmtree(self.root / ".hf_cache", ignore_errors=True)
            if is_disk_full(exc) and not isinstance(exc, DiskFullError):  # e.g. inside datasets' own writer
                raise disk_full_error(exc, self.root / ".hf_cache", 0) from exc
            raise

    def _finalize(self, splits: list[str] | None, source: dict[str, Any] | None) -> dict[str, int]:
        parts = self.root / "parts"
        splits = splits or sorted(p.name for p in parts.iterdir() if p.is_dir() and p.name != "tokens")
        counts: dict[str, int] = {}
        for split in [s for s in splits if ".crop" not in s]:  # crops follow their split
            files = sorted((parts / split).glob("*.safetensors"))
            if not files:
                raise FeatureStoreError(f"{self.root}: split {split!r} has no videos")
            for crop in range(self.meta.crops_of(split)):
                # crop k holds the same videos in the same order; a crop-k part without its crop 0
                # (an interrupted write) is left out, a missing one is an error naming it
                crop_files = [self.part_path(split, f.stem, crop) for f in files]
                missing = [str(f) for f in crop_files if not f.exists()]
                if missing:
                    raise FeatureStoreError(f"{self.root}: crop {crop} of split {split!r} lacks {len(missing)} "
                                            f"videos (e.g. {missing[0]}); re-run `stprompt extract`")
                name = crop_split(split, crop)
                ds = _build(_rows, crop_files, _hf_features(self.meta), self.root)
                with atomic_path(self.root / name) as tmp:
                    ds.save_to_disk(str(tmp))
                counts[name] = len(files)
        token_files = sorted((parts / "tokens").glob("*.safetensors")) if (parts / "tokens").exists() else []
        if token_files:
            ds = _build(_token_rows, token_files, _token_features(self.meta), self.root)
            with atomic_path(self.root / "tokens") as tmp:
                ds.save_to_disk(str(tmp))
            counts["tokens"] = len(token_files)
        shutil.rmtree(self.root / ".hf_cache", ignore_errors=True)
        meta = read_json(self.root / "store.json")
        meta["splits"] = counts
        if source is not None:
            meta["source"] = self.meta.source = source
        # size and SHA-256 of every dataset file, checked when a split is opened
        meta["files"] = {str(f.relative_to(self.root)): file_record(f) for name in counts
                         for f in sorted((self.root / name).iterdir()) if f.is_file()}
        write_json(self.root / "store.json", meta)
        return counts


REMEDY_PART = "It was deleted: run the same `stprompt extract` command again to recompute that video"


def _build(generator, files: list[Path], features, root: Path):
    """A ``datasets.Dataset`` from part files; a damaged part is deleted and reported by name."""
    from datasets import Dataset

    damaged = _Damaged()
    try:
        return Dataset.from_generator(generator, gen_kwargs={"files": [str(f) for f in files], "damaged": damaged},
                                      features=features, cache_dir=str(root / ".hf_cache"))
    except Exception:
        if not damaged.errors:
            raise
        for err in damaged.errors:
            err.path.unlink(missing_ok=True)
        raise FeatureStoreError(str(damaged.errors[0])) from None


class _Damaged:
    """Damaged parts met by a generator (an object, not a list: ``datasets`` shards lists)."""

    def __init__(self) -> None:
        self.errors: list[DamagedFileError] = []


def _load_part(f: str, damaged: _Damaged) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    try:
        return load_verified(f, remedy=REMEDY_PART)
    except DamagedFileError as exc:
        damaged.errors.append(exc)
        raise


def _rows(files: list[str], damaged: _Damaged) -> Iterator[dict[str, Any]]:
    for f in files:
        arrays, md = _load_part(f, damaged)
        arrays.setdefault("class_set", np.asarray([int(md["class_index"])], np.int32))  # parts written before it
        yield {"video_id": md["video_id"], "label": int(md["label"]), "class_name": md["class_name"],
               "class_index": int(md["class_index"]), "num_frames": int(md["num_frames"]), **arrays}


def _token_rows(files: list[str], damaged: _Damaged) -> Iterator[dict[str, Any]]:
    for f in files:
        yield {"video_id": Path(f).stem, "tokens": _load_part(f, damaged)[0]["tokens"]}


def _column_arrays(table, name: str, inner_shape: tuple[int, ...]) -> list[np.ndarray]:
    """One numpy array ``[T, *inner_shape]`` per row of a (nested) list column, without copies
    beyond the Arrow → numpy view."""
    import pyarrow as pa

    out: list[np.ndarray] = []
    inner = int(np.prod(inner_shape)) if inner_shape else 1
    for chunk in table.column(name).chunks:
        storage = chunk.storage if isinstance(chunk, pa.ExtensionArray) else chunk
        lengths = storage.value_lengths().to_numpy(zero_copy_only=False).astype(np.int64)  # [rows]
        flat = storage
        while pa.types.is_list(flat.type) or pa.types.is_large_list(flat.type) or pa.types.is_fixed_size_list(flat.type):
            flat = flat.flatten()
        values = flat.to_numpy(zero_copy_only=False)
        if inner == 0:  # [T, 0, ...]: a store without patch tokens (imported [CLS]-only features)
            out += [np.zeros((int(n),) + inner_shape, values.dtype) for n in lengths]
            continue
        bounds = np.cumsum(lengths * inner)[:-1]
        out += [v.reshape((-1,) + inner_shape) for v in np.split(values, bounds)]
    return out


class FeatureStore:
    """Read side of the contract: memory-mapped datasets with numpy formatting."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        meta_path = self.root / "store.json"
        if not meta_path.exists():
            raise FeatureStoreError(f"feature store not found at {self.root} (no store.json); "
                                    f"run `stprompt extract` first")
        raw = read_json(meta_path)
        if raw.get("schema_version") != STORE_SCHEMA_VERSION:
            raise FeatureStoreError(f"{meta_path}: schema_version {raw.get('schema_version')!r}, "
                                    f"expected {STORE_SCHEMA_VERSION}")
        self.splits: dict[str, int] = raw.pop("splits", {})
        self.files: dict[str, dict[str, Any]] = raw.pop("files", {})  # dataset file -> size, sha256
        self.meta = StoreMeta(**raw)
        self._cache: dict[str, Any] = {}

    def has_split(self, split: str) -> bool:
        return (self.root / split / "dataset_info.json").exists()

    def verify(self, split: str) -> None:
        """Check the split's dataset files against the sizes and hashes recorded when they were
        built (stores built before records existed are not checked).

        Raises:
            DamagedFileError: naming the file; `stprompt extract` rebuilds the datasets from the parts.
        """
        for rel, record in self.files.items():
            if rel.split("/", 1)[0] == split:
                check_record(self.root / rel, record, remedy=REMEDY_DATASET)

    def crop_split(self, split: str, crop: int) -> str:
        """The split holding crop ``crop`` of ``split``'s videos (same rows); raises naming the
        setting when the store was not extracted with that crop."""
        n = self.meta.crops_of(split)
        if not 0 <= crop < n:
            raise FeatureStoreError(f"feature store {self.root} holds {n} crop(s) of split {split!r}, not crop "
                                    f"{crop}; extract with extract.crops > {crop} and {split!r} in extract.crop_splits")
        return crop_split(split, crop)

    def split(self, split: str):
        """The split as a ``datasets.Dataset`` (numpy format); raises naming the split."""
        if split not in self._cache:
            from datasets import load_from_disk

            if not self.has_split(split):
                raise FeatureStoreError(f"feature store {self.root} has no split {split!r} "
                                        f"(has: {sorted(self.splits)})")
            self.verify(split)
            ds = load_from_disk(str(self.root / split))
            if len(ds) == 0:
                raise FeatureStoreError(f"feature store {self.root}: split {split!r} is empty")
            self._cache[split] = ds.with_format("numpy")
        return self._cache[split]

    def videos(self, split: str, indices: list[int] | None = None) -> list[VideoFeatures]:
        """Rows as :class:`VideoFeatures` (all, or the given row indices).

        Arrays are cut straight out of the memory-mapped Arrow buffers (float16 as stored);
        ``datasets``' numpy formatter is ~1000x slower on these nested columns.
        """
        ds = self.split(split).with_format("arrow")
        table = ds[indices] if indices is not None else ds[:]
        m = self.meta
        shapes = {"frame_feats": (m.embed_dim,), "patch_feats": (m.top_k, m.embed_dim), "patch_idx": (m.top_k,),
                  "patch_motion": (m.num_patches,), "frame_gt": ()}
        if "class_set" in table.column_names:
            shapes["class_set"] = ()
        arrays = {name: _column_arrays(table, name, shape) for name, shape in shapes.items()}
        scalars = {name: table.column(name).to_pylist()
                   for name in ("video_id", "label", "class_name", "class_index", "num_frames")}
        return [VideoFeatures(video_id=scalars["video_id"][i], label=int(scalars["label"][i]),
                              class_name=scalars["class_name"][i], class_index=int(scalars["class_index"][i]),
                              num_frames=int(scalars["num_frames"][i]),
                              **{k: arrays[k][i] for k in arrays}) for i in range(table.num_rows)]

    def tokens(self, video_id: str) -> np.ndarray:
        """Full patch tokens ``[T, P, D]`` of one video; raises when the store has none."""
        if "tokens" not in self._cache:
            from datasets import load_from_disk

            if not (self.root / "tokens" / "dataset_info.json").exists():
                raise FeatureStoreError(f"feature store {self.root} has no patch tokens; extract with "
                                        f"extract.keep_tokens set to keep them")
            self.verify("tokens")
            ds = load_from_disk(str(self.root / "tokens"))
            self._cache["tokens"] = (ds.with_format("numpy"), {v: i for i, v in enumerate(ds["video_id"])})
        ds, index = self._cache["tokens"]
        if video_id not in index:
            raise FeatureStoreError(f"feature store {self.root}: no patch tokens for video {video_id!r}")
        return np.asarray(ds[index[video_id]]["tokens"])
