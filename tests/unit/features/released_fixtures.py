"""Tiny fakes of VadCLIP's released CLIP features, in the release's exact layout and file formats.

File names, folders, list files (``list/ucf_CLIP_rgb.csv`` ..., ``path,label`` with the authors'
absolute paths and Windows line endings) and annotation files (double-spaced
``Temporal_Anomaly_Annotation.txt``, ``annotations.txt``) are as in nwpu-zxr/VadCLIP's ``list/``
folder; the arrays are random ``[T, 512]`` float32, a few snippets long.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

D = 512
AUTHORS = "/home/xbgydx/Desktop"  # the absolute prefix VadCLIP's lists carry

# (folder, video, label, snippets); UCF-Crime test abnormal videos sit in their class folder
UCF_TRAIN = [("Abuse", "Abuse001_x264", "Abuse", 6), ("Arrest", "Arrest002_x264", "Arrest", 9),
             ("Training_Normal_Videos_Anomaly", "Normal_Videos001_x264", "Normal", 7),
             ("Training_Normal_Videos_Anomaly", "Normal_Videos308_x264", "Normal", 5)]
UCF_TEST = [("Abuse", "Abuse028_x264", "Abuse", 20), ("Testing_Normal_Videos_Anomaly", "Normal_Videos_003_x264",
                                                      "Normal", 8)]
UCF_TEMPORAL = ["Abuse028_x264  Abuse  165  240  -1  -1  ", "Normal_Videos_003_x264  Normal  -1  -1  -1  -1  "]

XD_TRAIN = [("Bad.Boys.1995__#00-26-51_00-27-53_label_B2-0-0", "B2-0-0", 6),
            ("v=u5SF4SlqNDQ__#00-00-00_00-01-00_label_G-B2-0", "G-B2-0", 5),
            ("A.Beautiful.Mind.2001__#00-01-45_00-02-50_label_A", "A", 7),
            ("v=xxRm9dLpmzE__#1_label_A", "A", 4)]
XD_TEST = [("Bad.Boys.1995__#01-11-55_01-12-40_label_G-B2-B6", "G-B2-B6", 12),
           ("Bad.Boys.1995__#01-33-51_01-34-37_label_B2-0-0", "B2-0-0", 10),
           ("v=wVey5JjTKT4__#1_label_A", "A", 6)]
XD_ANNOTATIONS = ["Bad.Boys.1995__#01-11-55_01-12-40_label_G-B2-B6 16 40 100 130",
                  "Bad.Boys.1995__#01-33-51_01-34-37_label_B2-0-0 0 1517"]


def features(rng: np.random.Generator, T: int) -> np.ndarray:
    return rng.standard_normal((T, D)).astype(np.float32)


def write_ucf_release(root: Path, seed: int = 0) -> Path:
    """UCF-Crime: ``UCFClipFeatures/<Class>/<video>__<crop>.npy`` and VadCLIP's ``list/`` files."""
    rng = np.random.default_rng(seed)
    feats = root / "UCFClipFeatures"
    train_rows, normal_rows, test_rows = [], [], []
    for folder, video, label, T in UCF_TRAIN:
        base = features(rng, T)
        for crop in range(10):  # each crop its own features, same length
            path = feats / folder / f"{video}__{crop}.npy"
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, base + 0.01 * crop)
            row = f"{AUTHORS}/UCFClipFeatures/{folder}/{video}__{crop}.npy,{label}"
            (normal_rows if label == "Normal" else train_rows).append(row)
    for folder, video, label, T in UCF_TEST:
        path = feats / folder / f"{video}__5.npy"
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, features(rng, T))
        test_rows.append(f"{AUTHORS}/UCFClipFeatures/{folder}/{video}__5.npy,{label}")
    lists = root / "list"
    lists.mkdir(parents=True, exist_ok=True)
    _csv(lists / "ucf_CLIP_rgb.csv", train_rows + normal_rows)  # abnormal first, normals last, as make_list_ucf.py
    _csv(lists / "ucf_CLIP_rgbtest.csv", test_rows)
    (lists / "Temporal_Anomaly_Annotation.txt").write_text("".join(line + "\n" for line in UCF_TEMPORAL))
    (lists / "Anomaly_Train.txt").write_text("".join(f"{f}/{v}.mp4\n" for f, v, _, _ in UCF_TRAIN))
    (lists / "Anomaly_Test.txt").write_text("".join(f"{f}/{v}.mp4\n" for f, v, _, _ in UCF_TEST))
    return root


def write_xd_release(root: Path, seed: int = 0) -> Path:
    """XD-Violence: flat ``XDTrainClipFeatures/`` and ``XDTestClipFeatures/`` and VadCLIP's ``list/`` files."""
    rng = np.random.default_rng(seed)
    train_rows, normal_rows, test_rows = [], [], []
    for video, label, T in XD_TRAIN:
        base = features(rng, T)
        for crop in range(10):
            path = root / "XDTrainClipFeatures" / f"{video}__{crop}.npy"
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, base + 0.01 * crop)
            row = f"{AUTHORS}/XDTrainClipFeatures/{video}__{crop}.npy,{label}"
            (normal_rows if label == "A" else train_rows).append(row)
    for video, label, T in XD_TEST:
        path = root / "XDTestClipFeatures" / f"{video}__0.npy"
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, features(rng, T))
        test_rows.append(f"{AUTHORS}/XDTestClipFeatures/{video}__0.npy,{label}")
    lists = root / "list"
    lists.mkdir(parents=True, exist_ok=True)
    _csv(lists / "xd_CLIP_rgb.csv", train_rows + normal_rows)
    _csv(lists / "xd_CLIP_rgbtest.csv", test_rows)
    (lists / "annotations.txt").write_text("\n".join(XD_ANNOTATIONS))  # the release's last line has no newline
    return root


def _csv(path: Path, rows: list[str]) -> None:
    path.write_bytes(("path,label\r\n" + "".join(r + "\r\n" for r in rows)).encode())
