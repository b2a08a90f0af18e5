"""Tiny fake releases of the real datasets, written in their official formats.

Every video is a copy of one real 32x32, 8-frame H.264 file made with PyAV, so ``check``
can decode it; paths follow the official folder layouts (or a plausible unpacking of them).
"""

from __future__ import annotations

import pickle
from pathlib import Path

import av
import numpy as np
import pytest


def make_mp4(path: Path, frames: int = 8, size: int = 32) -> None:
    """A real H.264 video: ``frames`` grey levels, ``size`` x ``size`` pixels."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=8)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(frames):
            img = np.full((size, size, 3), 20 * i, dtype=np.uint8)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")))
        out.mux(stream.encode(None))


@pytest.fixture(scope="session")
def mp4_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("video") / "tiny.mp4"
    make_mp4(path)
    return path.read_bytes()


def put(root: Path, rel: str, data: bytes | str) -> Path:
    """Write ``data`` at ``root/rel``, creating folders."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


UCF_BOXES = {
    "Arson011_x264": [
        ["000160.jpg", 10, 20, 100, 200],
        ["000160.jpg", 6, 6, 5, 5],  # corners given the wrong way round
        ["img_00176.jpg", 12.5, 20, 110, 210],
    ]
}


@pytest.fixture
def ucf_root(tmp_path: Path, mp4_bytes: bytes) -> Path:
    """UCF-Crime: 3 training videos (2 abnormal), 2 test videos (1 abnormal, with boxes)."""
    root = tmp_path / "ucf"
    splits = "UCF_Crimes-Train-Test-Split/Anomaly_Detection_splits"
    put(root, f"{splits}/Anomaly_Train.txt",
        "Abuse/Abuse001_x264.mp4\nRoadAccidents/RoadAccidents001_x264.mp4\n"
        "Training_Normal_Videos_Anomaly/Normal_Videos001_x264.mp4\n")
    put(root, f"{splits}/Anomaly_Test.txt",
        "Arson/Arson011_x264.mp4\r\nTesting_Normal_Videos_Anomaly/Normal_Videos_003_x264.mp4\r\n")
    put(root, "Temporal_Anomaly_Annotation_for_Testing_Videos.txt",
        "Arson011_x264.mp4  Arson  150  420  680  1267\n"
        "Normal_Videos_003_x264.mp4  Normal  -1  -1  -1  -1\n")
    for rel in ("Anomaly-Videos-Part-1/Abuse/Abuse001_x264.mp4",
                "Anomaly-Videos-Part-3/RoadAccidents/RoadAccidents001_x264.mp4",
                "Training-Normal-Videos-Part-1/Normal_Videos001_x264.mp4",
                "Anomaly-Videos-Part-1/Arson/Arson011_x264.mp4",
                "Testing_Normal_Videos_Anomaly/Normal_Videos_003_x264.mp4"):
        put(root, rel, mp4_bytes)
    put(root, "ucf_crime_boxes.pkl", pickle.dumps(UCF_BOXES, protocol=2))
    return root


@pytest.fixture
def sht_root(tmp_path: Path, mp4_bytes: bytes) -> Path:
    """ShanghaiTech: train 01_0015 (abnormal by name) + 01_001; test 01_0014 (mask) + 01_002."""
    root = tmp_path / "sht"
    put(root, "SH_Train_new.txt", "01_0015\n01_001\n")
    put(root, "SH_Test_NEW.txt", "01_0014.avi\n01_002.avi\n")
    masks = root / "testing/test_frame_mask"
    masks.mkdir(parents=True)
    np.save(masks / "01_0014.npy", np.array([0, 0, 1, 1, 1, 0, 1, 0], dtype=np.int64))
    np.save(masks / "01_0015.npy", np.array([1, 1, 0, 0, 0, 0, 0, 0], dtype=np.int64))
    for rel in ("testing/videos/01_0014.mp4", "testing/videos/01_0015.mp4",
                "training/videos/01_001.avi", "training/videos/01_002.avi"):
        put(root, rel, mp4_bytes)
    return root


def tracks_text(rows: list[tuple[int, int, int]]) -> str:
    """A ``_tracks.txt`` as ``np.savetxt(..., delimiter=',')`` writes it (floats)."""
    return "".join(",".join(f"{float(v):.18e}" for v in row) + "\n" for row in rows)


UBN_LISTS = {
    "abnormal_training_video_names.txt": "abnormal_scene_1_scenario_1\n",
    "normal_training_video_names.txt": "normal_scene_1_scenario_2\n",
    "abnormal_validation_video_names.txt": "abnormal_scene_2_scenario_1\n",
    "normal_validation_video_names.txt": "normal_scene_2_scenario_2\n",
    "abnormal_test_video_names.txt": "abnormal_scene_3_scenario_1_fog\n",
    "normal_test_video_names.txt": "normal_scene_3_scenario_2.mp4\n",
}


@pytest.fixture
def ubn_root(tmp_path: Path, mp4_bytes: bytes) -> Path:
    """UBnormal: one abnormal and one normal video per split, tracks for the abnormal ones."""
    root = tmp_path / "ubnormal"
    for name, text in UBN_LISTS.items():
        put(root, f"scripts/{name}", text)
    for name in ("abnormal_scene_1_scenario_1", "normal_scene_1_scenario_2", "abnormal_scene_2_scenario_1",
                 "normal_scene_2_scenario_2", "abnormal_scene_3_scenario_1_fog", "normal_scene_3_scenario_2"):
        scene = f"Scene{name.split('_')[2]}"
        put(root, f"{scene}/{name}.mp4", mp4_bytes)
    put(root, "Scene1/abnormal_scene_1_scenario_1_annotations/abnormal_scene_1_scenario_1_tracks.txt",
        tracks_text([(1, 0, 5)]))
    put(root, "Scene2/abnormal_scene_2_scenario_1_annotations/abnormal_scene_2_scenario_1_tracks.txt",
        tracks_text([(1, 3, 6)]))
    put(root, "Scene3/abnormal_scene_3_scenario_1_fog_annotations/abnormal_scene_3_scenario_1_fog_tracks.txt",
        tracks_text([(1, 10, 20), (2, 15, 30), (3, 40, 41)]))
    return root


XD_TRAIN = ("train/1-1004/Movie.One.2001__#00-01-00_00-02-00_label_A.mp4",
            "train/1005-2004/v=abcDEF__#1_label_B1-0-0.mp4")
XD_TEST = ("test/videos/A.Beautiful.Mind.2001__#00-25-20_00-29-20_label_B2-0-0.mp4",
           "test/videos/Quiet.Film.1999__#1_label_A.mp4",
           "test/videos/v=xyz__#1_label_G-B2-0.mp4")
XD_ANNOTATIONS = (
    "A.Beautiful.Mind.2001__#00-25-20_00-29-20_label_B2-0-0 1 82 100 120\n"
    "v=xyz__#1_label_G-B2-0.mp4 0 10\n"
    "Ghost.Movie__#1_label_B4-0-0 5 6\n"  # annotated but not on disk
)


@pytest.fixture
def xd_root(tmp_path: Path, mp4_bytes: bytes) -> Path:
    """XD-Violence: 2 training videos, 3 test videos on disk plus one annotated but absent."""
    root = tmp_path / "xd"
    for rel in XD_TRAIN + XD_TEST:
        put(root, rel, mp4_bytes)
    put(root, "annotations.txt", XD_ANNOTATIONS)
    return root
