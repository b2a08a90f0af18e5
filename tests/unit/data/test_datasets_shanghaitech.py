"""ShanghaiTech (weakly supervised split) parser on a fake release."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from stprompt_core.data.datasets import AnnotationError, SplitCount, check_dataset, index_dataset, write_manifest
from stprompt_core.data.datasets.shanghaitech import build_manifest
from stprompt_core.video.decode import decode_snippet_frames


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


def put(root: Path, rel: str, data: bytes | str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data) if isinstance(data, str) else path.write_bytes(data)


def _jpg_folder(folder: Path, n: int, seed: int) -> np.ndarray:
    """``folder/000.jpg ...`` as ShanghaiTech ships its test frames; returns the frames ``[n, 24, 32, 3]``."""
    folder.mkdir(parents=True)
    frames = np.random.default_rng(seed).integers(0, 256, (n, 24, 32, 3), dtype=np.uint8)
    for i, frame in enumerate(frames):
        Image.fromarray(frame).save(folder / f"{i:03d}.jpg", quality=95)
    return frames


@pytest.fixture
def official_root(tmp_path: Path, mp4_bytes: bytes) -> Path:
    """The release as distributed: training .avi videos, test frame folders, masks, Zhong's lists.

    Train: 01_0015 (abnormal, a frame folder) and 01_001 (normal, .avi); test: 01_0014
    (abnormal, frame folder with a mask) and 01_002 (normal, .avi).
    """
    root = tmp_path / "ShanghaiTech"
    put(root, "SH_Train_new.txt", "01_0015\n01_001\n")
    put(root, "SH_Test_NEW.txt", "01_0014\n01_002\n")
    put(root, "training/videos/01_001.avi", mp4_bytes)
    put(root, "training/videos/01_002.avi", mp4_bytes)
    _jpg_folder(root / "testing/frames/01_0014", 8, seed=0)
    _jpg_folder(root / "testing/frames/01_0015", 10, seed=1)
    masks = root / "testing/test_frame_mask"
    masks.mkdir(parents=True)
    np.save(masks / "01_0014.npy", np.array([0, 0, 1, 1, 1, 0, 1, 0], dtype=np.int64))
    np.save(masks / "01_0015.npy", np.array([1] * 4 + [0] * 6, dtype=np.int64))
    return root


def test_official_layout_reads_frame_folders_directly(official_root: Path, tmp_path: Path) -> None:
    notes: list[str] = []
    m = write_manifest(build_manifest(official_root, notes=notes), tmp_path / "sht.json")
    assert [(x.id, x.split, x.label, x.path, x.num_frames, x.intervals) for x in m.videos] == [
        ("01_0015", "train", 1, "testing/frames/01_0015", 10, []),  # image count; no intervals (weak supervision)
        ("01_001", "train", 0, "training/videos/01_001.avi", None, []),
        ("01_0014", "test", 1, "testing/frames/01_0014", 8, [[2, 5], [6, 7]]),
        ("01_002", "test", 0, "training/videos/01_002.avi", None, [])]
    assert notes == []
    assert not list(official_root.rglob("*.mp4"))  # nothing was encoded
    counts = {"train": SplitCount(2, 1, 1), "test": SplitCount(2, 1, 1)}
    assert check_dataset(m, official_root, expected_counts=counts).ok
    chunk = decode_snippet_frames(official_root / m.by_id()["01_0014"].path, stride=4)
    assert chunk.num_frames == 8 and chunk.frame_size == (32, 24)


def test_index_counts_and_hashes_frame_folders(official_root: Path) -> None:
    result = index_dataset("shanghaitech", official_root, with_frames=True, with_sha256=True, progress=False)
    v = result.manifest.by_id()
    assert result.missing() == [] and result.notes == []
    assert (v["01_0015"].num_frames, v["01_001"].num_frames) == (10, 8)
    assert all(len(x.sha256) == 64 for x in result.manifest.videos)
    m = result.manifest
    counts = {"train": SplitCount(2, 1, 1), "test": SplitCount(2, 1, 1)}
    assert check_dataset(m, official_root, expected_counts=counts).ok
    Image.fromarray(np.zeros((24, 32, 3), np.uint8)).save(official_root / "testing/frames/01_0014/003.jpg")
    problems = check_dataset(m, official_root, expected_counts=counts).problems
    assert [(p.kind, p.where) for p in problems] == [("checksum", "testing/frames/01_0014")]


def test_broken_frame_folders_are_reported(official_root: Path) -> None:
    frames = official_root / "testing/frames/01_0014"
    (frames / "000.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    (official_root / "testing/frames/01_0015/004.jpg").unlink()
    notes: list[str] = []
    m = build_manifest(official_root, notes=notes)
    assert notes == ["testing/frames/01_0015: frame numbers skip from 003.jpg to 005.jpg: image missing"]
    problems = check_dataset(m, official_root, expected_counts={}).problems
    assert [(p.kind, p.where) for p in problems] == [("corrupt", "testing/frames/01_0015"),
                                                     ("corrupt", "testing/frames/01_0014")]
    assert "000.jpg" in problems[1].detail and "skip from 003.jpg" in problems[0].detail


def test_mask_and_image_count_disagreement_is_noted(official_root: Path) -> None:
    (official_root / "testing/frames/01_0014/007.jpg").unlink()
    notes: list[str] = []
    assert build_manifest(official_root, notes=notes).by_id()["01_0014"].num_frames == 8  # labels follow the mask
    assert notes == ["testing/frames/01_0014: 7 images, but its mask covers 8 frames"]


def test_folder_is_read_where_a_re_encoded_file_also_exists(official_root: Path, mp4_bytes: bytes) -> None:
    put(official_root, "testing/videos/01_0014.mp4", mp4_bytes)
    notes: list[str] = []
    assert build_manifest(official_root, notes=notes).by_id()["01_0014"].path == "testing/frames/01_0014"
    assert notes == ["1 video files have the id of a frame folder: the frame folders are read, the files ignored "
                     "(e.g. testing/videos/01_0014.mp4)"]


def test_missing_videos_name_their_official_place(official_root: Path) -> None:
    shutil.rmtree(official_root / "testing/frames/01_0014")
    (official_root / "training/videos/01_001.avi").unlink()
    (official_root / "testing/frames/01_0015").rename(official_root / "testing/frames/01_0015_other")
    result = index_dataset("shanghaitech", official_root, progress=False)
    assert result.missing() == ["testing/frames/01_0015", "training/videos/01_001.avi", "testing/frames/01_0014"]


def test_a_directory_without_images_is_not_a_video(official_root: Path) -> None:
    (official_root / "testing/frames/01_0014").rename(official_root / "testing/frames/elsewhere")
    (official_root / "testing/notes/01_0014").mkdir(parents=True)
    (official_root / "testing/notes/01_0014/readme.txt").write_text("not frames")
    assert build_manifest(official_root).by_id()["01_0014"].path == "testing/frames/01_0014"  # missing, not notes/


def test_two_frame_folders_with_one_id_are_an_error(official_root: Path) -> None:
    _jpg_folder(official_root / "copy/01_0014", 2, seed=3)
    with pytest.raises(AnnotationError, match=r"'01_0014' exists more than once .*copy/01_0014"):
        build_manifest(official_root)


def test_check_without_decoding_lists_folders_but_reads_no_image(official_root: Path) -> None:
    m = build_manifest(official_root)
    (official_root / "testing/frames/01_0014/000.jpg").write_bytes(b"not a jpeg")  # found only by decoding
    (official_root / "training/videos/01_001.avi").write_bytes(b"")
    for image in (official_root / "testing/frames/01_0015").iterdir():
        image.unlink()
    problems = check_dataset(m, official_root, expected_counts={}, decode=False).problems
    assert [(p.kind, p.where, p.detail) for p in problems] == [
        ("corrupt", "testing/frames/01_0015", "no frame images (.jpg, .jpeg, .png, .bmp)"),
        ("corrupt", "training/videos/01_001.avi", "empty file")]
