"""ShanghaiTech (weakly supervised split) parser on a fake release."""

from __future__ import annotations

import shutil
from pathlib import Path

import av
import numpy as np
import pytest

from stprompt_core.data.datasets import AnnotationError, SplitCount, check_dataset, write_manifest
from stprompt_core.data.datasets.common import count_frames
from stprompt_core.data.datasets.shanghaitech import build_manifest, encode_frames


def test_labels_from_masks_and_names(sht_root: Path) -> None:
    m = build_manifest(sht_root)
    v = m.by_id()
    assert [(x.id, x.split, x.label, x.cls) for x in m.videos] == [
        ("01_0015", "train", 1, "abnormal"), ("01_001", "train", 0, "normal"),
        ("01_0014", "test", 1, "abnormal"), ("01_002", "test", 0, "normal")]
    assert v["01_0014"].intervals == [[2, 5], [6, 7]]
    assert v["01_0014"].num_frames == 8
    assert v["01_0015"].intervals == [] and v["01_0015"].num_frames is None  # weak supervision
    assert v["01_001"].path == "training/videos/01_001.avi"
    assert v["01_0014"].frame_labels().tolist() == [0, 0, 1, 1, 1, 0, 1, 0]


def test_round_trip_and_check(sht_root: Path, tmp_path: Path) -> None:
    m = write_manifest(build_manifest(sht_root), tmp_path / "sht.json")
    counts = {"train": SplitCount(2, 1, 1), "test": SplitCount(2, 1, 1)}
    assert check_dataset(m, sht_root, expected_counts=counts).ok


def test_label_column_is_read_and_cross_checked(sht_root: Path) -> None:
    (sht_root / "SH_Train_new.txt").write_text("01_0015,0\n01_001,1\n")
    v = build_manifest(sht_root).by_id()
    assert (v["01_0015"].label, v["01_001"].label) == (0, 1)  # the column decides for train
    (sht_root / "SH_Test_NEW.txt").write_text("01_0014 1\n01_002 1\n")
    notes: list[str] = []
    assert build_manifest(sht_root, notes=notes).by_id()["01_002"].label == 1
    assert any("01_002 has no mask" in n for n in notes)
    (sht_root / "SH_Test_NEW.txt").write_text("01_0014,0\n")
    with pytest.raises(AnnotationError, match=r"SH_Test_NEW.txt:1: label 0 disagrees with 01_0014.npy"):
        build_manifest(sht_root)


@pytest.mark.parametrize("text, message", [("01_0014,1,x\n", "SH_Test_NEW.txt:1: expected 'name' or 'name,label'"),
                                           ("01_0014,2\n", "SH_Test_NEW.txt:1: label '2' must be 0 or 1"),
                                           ("01_002\n01_002\n", "SH_Test_NEW.txt:2: '01_002' already listed")])
def test_bad_list_lines(sht_root: Path, text: str, message: str) -> None:
    (sht_root / "SH_Test_NEW.txt").write_text(text)
    with pytest.raises(AnnotationError, match=message):
        build_manifest(sht_root)


def test_unlabelled_train_name_without_convention(sht_root: Path) -> None:
    (sht_root / "SH_Train_new.txt").write_text("01_001\ncampus_a\n")
    with pytest.raises(AnnotationError, match="SH_Train_new.txt:2: no label column"):
        build_manifest(sht_root)


@pytest.mark.parametrize("array, message", [
    (np.zeros((2, 4)), "expected a 1-D per-frame mask"),
    (np.array([0, 2, 1]), "mask values must be 0 or 1"),
    (np.array([{"a": 1}], dtype=object), "not a plain .npy array"),
])
def test_bad_masks_name_the_file(sht_root: Path, array: np.ndarray, message: str) -> None:
    np.save(sht_root / "testing/test_frame_mask/01_0014.npy", array, allow_pickle=True)
    with pytest.raises(ValueError, match=rf"01_0014\.npy: {message}"):
        build_manifest(sht_root)


def _png(path: Path, value: int) -> None:
    with av.open(str(path), "w", format="image2") as out:
        stream = out.add_stream("png")
        stream.width, stream.height, stream.pix_fmt = 32, 24, "rgb24"
        img = np.full((24, 32, 3), value, dtype=np.uint8)
        out.mux(stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")))
        out.mux(stream.encode(None))


def test_frame_folders_are_noted_and_encodable(sht_root: Path) -> None:
    (sht_root / "testing/videos/01_0014.mp4").unlink()
    frames = sht_root / "testing/frames/01_0014"
    frames.mkdir(parents=True)
    for i in range(3):
        _png(frames / f"{i:03d}.png", 40 * i)
    notes: list[str] = []
    build_manifest(sht_root, notes=notes)
    assert any("frame folders" in n and "encode_frames" in n for n in notes)
    out = sht_root / "testing/videos/01_0014.mp4"
    assert encode_frames(frames, out) == 3
    assert count_frames(out) == 3
    shutil.rmtree(frames)
    assert build_manifest(sht_root).by_id()["01_0014"].path == "testing/videos/01_0014.mp4"
