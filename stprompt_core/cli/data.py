"""``stprompt data``: build and check manifests of the real datasets.

    stprompt data index NAME --root DIR [--out PATH] [--boxes PATH] [--count-frames] [--sha256]
    stprompt data check NAME --root DIR [--manifest PATH] [--boxes PATH] [--no-decode]
                                        [--expect SPLIT=TOTAL[:ABNORMAL:NORMAL]]
    stprompt data import-features vadclip --dataset {ucf_crime,xd_violence} --root DIR
                                        [--store PATH] [--strict] [--overwrite]

``--root`` defaults to ``$STPROMPT_DATA_ROOT``; the manifest path defaults to the
profile's ``data.manifest`` (``cache/manifests/NAME.json``, relative to the working
directory). ``check`` without a manifest on disk indexes the release in memory first.
``import-features vadclip`` writes VadCLIP's released CLIP features (lists, annotation files and
``.npy`` files anywhere under ``--root``) as a feature store (default: the ``NAME_released``
profile's ``data.feature_store``); see :mod:`stprompt_core.features.released`.
Exit status: 0 fine, 1 problems found (import: videos skipped, listed), 2 unusable input
(missing release files, bad lines).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from stprompt_core.config import DATA_ROOT_ENV, ConfigError, load_config
from stprompt_core.data.datasets import (
    SplitCount,
    check_dataset,
    dataset_names,
    get_spec,
    index_dataset,
    split_tallies,
    write_manifest,
)
from stprompt_core.data.manifest import load_manifest


def register(sub: argparse._SubParsersAction, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text)
    actions = p.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    pi = actions.add_parser("index", help="build a dataset's manifest JSON from its official release",
                            description="Build a dataset's manifest JSON from its official release.")
    _common(pi)
    pi.add_argument("--out", type=Path, default=None, metavar="PATH",
                    help="manifest path (default: the profile's data.manifest, cache/manifests/NAME.json)")
    pi.add_argument("--count-frames", action="store_true",
                    help="decode every video to fill num_frames (exact, slow: hours for UCF-Crime)")
    pi.add_argument("--sha256", action="store_true",
                    help="record each video's SHA-256 so later checks verify the files")

    pc = actions.add_parser("check", help="report missing, corrupt, miscounted or altered videos",
                            description="Report missing, corrupt, miscounted or altered videos.")
    _common(pc)
    pc.add_argument("--manifest", type=Path, default=None, metavar="PATH",
                    help="manifest to check (default: the profile's data.manifest; indexed in memory if absent)")
    pc.add_argument("--no-decode", dest="decode", action="store_false",
                    help="only test that files exist and are non-empty (no PyAV decoding)")
    pc.add_argument("--expect", action="append", default=[], metavar="SPLIT=TOTAL[:ABNORMAL:NORMAL]",
                    help="replace the official counts (repeatable), e.g. --expect test=290:140:150")

    pf = actions.add_parser("import-features", help="import released features as a feature store (VadCLIP's CLIP ViT-B/16)",
                            description="Import VadCLIP's released CLIP ViT-B/16 features (one .npy per video and "
                                        "crop, lists list/*_CLIP_rgb*.csv, the official annotation files) as a "
                                        "feature store. They carry no patch tokens: SA2 is off on them.")
    pf.add_argument("source", choices=["vadclip"], help="whose release: vadclip (nwpu-zxr/VadCLIP)")
    pf.add_argument("--dataset", required=True, choices=["ucf_crime", "xd_violence"])
    pf.add_argument("--root", type=Path, default=None, metavar="DIR",
                    help=f"folder holding the features, lists and annotation files (default: ${DATA_ROOT_ENV})")
    pf.add_argument("--store", type=Path, default=None, metavar="PATH",
                    help="feature store to write (default: data.feature_store of the NAME_released profile)")
    pf.add_argument("--strict", action="store_true", help="stop at the first bad video instead of skipping it")
    pf.add_argument("--overwrite", action="store_true", help="replace another feature store at --store")
    pf.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("dataset", metavar="NAME", choices=dataset_names(),
                   help=f"one of {', '.join(dataset_names())}")
    p.add_argument("--root", type=Path, default=None, metavar="DIR",
                   help=f"data root holding the official release (default: ${DATA_ROOT_ENV})")
    p.add_argument("--boxes", type=Path, default=None, metavar="PATH",
                   help="ucf_crime only: Liu & Ma's boxes (.pkl read with a restricted unpickler, or .json)")


def run(args: argparse.Namespace) -> int:
    root = _root(args.root)
    if args.data_command == "import-features":
        return _import(args, root)
    if args.boxes is not None and "boxes" not in get_spec(args.dataset).options:
        raise ValueError(f"--boxes applies to ucf_crime only, not {args.dataset}")
    if args.data_command == "index":
        return _index(args, root)
    return _check(args, root)


def default_manifest_path(dataset: str) -> Path:
    """The profile's ``data.manifest`` for a dataset, or ``cache/manifests/NAME.json``."""
    try:
        path = load_config(dataset).data.manifest
    except ConfigError:
        path = ""
    return Path(path or f"cache/manifests/{dataset}.json")


def _root(root: Path | None) -> Path:
    if root is None:
        env = os.environ.get(DATA_ROOT_ENV, "")
        if not env:
            raise ValueError(f"--root is required (or set ${DATA_ROOT_ENV})")
        root = Path(env)
    if not root.is_dir():
        raise FileNotFoundError(f"data root is not a directory: {root}")
    return root


def _index(args: argparse.Namespace, root: Path) -> int:
    result = index_dataset(args.dataset, root, with_frames=args.count_frames, with_sha256=args.sha256,
                           boxes=args.boxes)
    out = args.out or default_manifest_path(args.dataset)
    manifest = write_manifest(result.manifest, out)
    spec = get_spec(args.dataset)
    print(f"{args.dataset}: indexed {len(manifest.videos)} videos from {root}")
    for split, tally in split_tallies(manifest).items():
        exp = spec.expected_counts.get(split)
        annotated = sum(bool(v.intervals) for v in manifest.split(split))
        boxed = sum(v.boxes is not None for v in manifest.split(split))
        extra = (f", {annotated} with intervals" if annotated else "") + (f", {boxed} with boxes" if boxed else "")
        official = "" if exp is None else f" [official: {exp.describe()}]"
        print(f"  {split}: {tally.describe()}{extra}{official}")
    for note in result.notes:
        print(f"  note: {note}")
    missing = result.missing()
    if missing:
        print(f"  {len(missing)} videos not found under the root (first: {missing[0]}); "
              f"`stprompt data check {args.dataset}` lists them")
    print(f"wrote {out}")
    return 0


def _import(args: argparse.Namespace, root: Path) -> int:
    from stprompt_core.features.released import import_vadclip

    store = args.store or Path(load_config(f"{args.dataset}_released").data.feature_store)
    summary = import_vadclip(root, args.dataset, store, strict=args.strict, overwrite=args.overwrite,
                             progress=not args.no_progress)
    print(summary.format())
    return 0 if summary.ok else 1


def _check(args: argparse.Namespace, root: Path) -> int:
    path = args.manifest or default_manifest_path(args.dataset)
    if path.exists():
        manifest = load_manifest(path)
        if manifest.dataset != args.dataset:
            raise ValueError(f"{path} is a {manifest.dataset} manifest, not {args.dataset}")
        source = str(path) + (" (--boxes ignored: the manifest already holds its boxes)" if args.boxes else "")
    elif args.manifest is not None:
        raise FileNotFoundError(f"manifest not found: {path}")
    else:
        result = index_dataset(args.dataset, root, boxes=args.boxes)
        manifest = result.manifest
        source = f"indexed in memory ({path} does not exist)"
    expected = _parse_expect(args.expect) if args.expect else None
    report = check_dataset(manifest, root, expected_counts=expected, decode=args.decode)
    print(f"manifest: {source}")
    print(report.format())
    return 0 if report.ok else 1


def _parse_expect(items: list[str]) -> dict[str, SplitCount]:
    out: dict[str, SplitCount] = {}
    for item in items:
        split, _, counts = item.partition("=")
        try:
            numbers = [int(n) for n in counts.split(":")]
        except ValueError:
            numbers = []
        if not split or len(numbers) not in (1, 3):
            raise ValueError(f"--expect {item!r}: expected SPLIT=TOTAL or SPLIT=TOTAL:ABNORMAL:NORMAL")
        out[split] = SplitCount(*numbers)
    return out
