"""Tiny releases of the four paper datasets, in their official layouts and annotation formats.

Each ``write_<dataset>(root)`` lays out what a user unpacks from the official download
(split lists, annotation files, folder and file names, the release's frame size), with a
few short videos really encoded by PyAV (or, for ShanghaiTech's test set, JPEG frame
folders), and returns a :class:`Release` saying what indexing and extraction should find.
The paper-profile rehearsal (``tests/integration/test_paper_rehearsal.py``) runs the CLI on them.

Every video shows the same kind of scene: a static blocky background and a slow "walker"
(normal motion everywhere); abnormal videos add a bright square that jumps around during
the abnormal event, whose bounding box is what UCF-Crime's boxes file records. Videos are
short (:func:`video_length`): the ViT-B/16 forward on CPU is the cost, and the paper profiles'
ten-crop extraction multiplies the training frames it sees by ten.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

EVAL_FRAMES = 48  # val/test videos: three 16-frame snippets, the event covers the middle one and a half
EVENT = (16, 40)  # half-open frames of the event in abnormal val/test videos; files write "16 39"
TRAIN_EVENT = (8, 24)  # the event in abnormal training videos (32 frames; never annotated)
BOX_STRIDE = 16  # Liu & Ma box every 16th frame


@dataclass
class Release:
    """A written fixture release and what indexing and extraction should make of it."""

    root: Path
    dataset: str
    splits: dict[str, dict[str, int]]  # split -> {video id: label}
    frame_size: tuple[int, int]  # (width, height) of every video
    classes: dict[str, list[str]]  # video id -> the dataset's labels of the video, in order
    boxed: dict[str, list[int]] = field(default_factory=dict)  # video id -> frames with boxes

    def frames(self, split: str, label: int) -> int:
        """Frames of a video of ``split`` with video label ``label``."""
        return video_length(split, label)

    def expect_args(self) -> list[str]:
        """``--expect SPLIT=TOTAL:ABNORMAL:NORMAL`` arguments of ``stprompt data check`` for this release."""
        out = []
        for split, labels in self.splits.items():
            abnormal = sum(labels.values())
            out += ["--expect", f"{split}={len(labels)}:{abnormal}:{len(labels) - abnormal}"]
        return out


# ---------------------------------------------------------------- videos


def video_length(split: str, label: int) -> int:
    """Frames of a fixture video. Training videos: 16 (normal, one snippet) or 32 (abnormal, two),
    so training batches pad videos of different lengths and each costs 10 or 20 crops; val/test: 48."""
    if split != "train":
        return EVAL_FRAMES
    return 32 if label else 16


def event_frames(split: str, label: int) -> tuple[int, int] | None:
    """Half-open frames of the abnormal event of a fixture video, ``None`` for a normal one."""
    if not label:
        return None
    return TRAIN_EVENT if split == "train" else EVENT


def scene_frames(width: int, height: int, seed: int, n: int,
                 event: tuple[int, int] | None) -> tuple[np.ndarray, dict[int, list[float]]]:
    """Frames ``[n, height, width, 3]`` uint8 of one fixture video and the event's box per frame.

    Returns:
        The frames and ``{frame: [x1, y1, x2, y2]}`` in pixels (right/bottom exclusive) for
        every frame of ``event`` (half-open), empty without an event.
    """
    rng = np.random.default_rng(seed)
    cell = max(8, height // 12)
    blocks = rng.integers(40, 140, (height // cell + 1, width // cell + 1, 3), dtype=np.uint8)
    frames = np.repeat(np.kron(blocks, np.ones((cell, cell, 1), np.uint8))[None, :height, :width], n, axis=0)
    wh, ww, y0 = height // 4, max(4, width // 20), height // 2  # the walker: a tall narrow figure
    for i in range(n):
        x = (width // 10 + 2 * i) % (width - ww)
        frames[i, y0 : y0 + wh, x : x + ww] = (200, 170, 120)
    boxes: dict[int, list[float]] = {}
    side = height // 4
    for i in range(*(event or (0, 0))):
        x = int(rng.integers(width // 2, width - side))
        y = int(rng.integers(0, height // 2 - side // 2))
        frames[i, y : y + side, x : x + side] = (250, 40, 30)
        boxes[i] = [float(x), float(y), float(x + side), float(y + side)]
    return frames, boxes


def encode_video(path: Path, frames: np.ndarray, fps: int) -> None:
    """Encode RGB frames ``[n, H, W, 3]`` with PyAV: MPEG-4 Part 2 in ``.avi`` (as ShanghaiTech's
    training videos), H.264 otherwise. FFmpeg converts to YUV (fast; bytes need not be reproducible)."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    avi = path.suffix.lower() == ".avi"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4" if avi else "libx264", rate=fps)
        stream.height, stream.width = frames.shape[1:3]
        stream.pix_fmt = "yuv420p"
        stream.options = {"qscale": "3"} if avi else {"preset": "veryfast", "crf": "23"}
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())


def write_frame_folder(folder: Path, frames: np.ndarray) -> None:
    """One JPEG per frame, ``000.jpg``, ``001.jpg``, ... (ShanghaiTech's ``testing/frames/<video>/``)."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        Image.fromarray(frame).save(folder / f"{i:03d}.jpg", quality=90)


def binary_classes(splits: dict[str, dict[str, int]]) -> dict[str, list[str]]:
    """``{video id: ["abnormal"] or ["normal"]}``: the labels of ShanghaiTech and UBnormal videos."""
    return {vid: ["abnormal" if label else "normal"] for videos in splits.values() for vid, label in videos.items()}


def put_text(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _video(root: Path, rel: str, size: tuple[int, int], seed: int, split: str, label: int,
           fps: int) -> dict[int, list[float]]:
    """Render and encode one video of ``split`` with video label ``label``; returns its event boxes."""
    frames, boxes = scene_frames(size[0], size[1], seed, video_length(split, label), event_frames(split, label))
    encode_video(root / rel, frames, fps)
    return boxes


# ---------------------------------------------------------------- UCF-Crime


def write_ucf_crime(root: Path) -> Release:
    """UCF-Crime as unpacked from the official archives, 320x240 at 30 fps, with Liu & Ma's boxes.

    Train: Abuse001, Arrest001 (abnormal), Normal_Videos001/002; test: Arson011 (abnormal,
    one interval, a box every 16th frame of it) and Normal_Videos_003.
    """
    splits_dir = "UCF_Crimes-Train-Test-Split/Anomaly_Detection_splits"
    # file under the root -> (line of the split list, label)
    train = {"Anomaly-Videos-Part-1/Abuse/Abuse001_x264.mp4": ("Abuse/Abuse001_x264.mp4", 1),
             "Anomaly-Videos-Part-1/Arrest/Arrest001_x264.mp4": ("Arrest/Arrest001_x264.mp4", 1),
             "Training-Normal-Videos-Part-1/Normal_Videos001_x264.mp4":
                 ("Training_Normal_Videos_Anomaly/Normal_Videos001_x264.mp4", 0),
             "Training-Normal-Videos-Part-1/Normal_Videos002_x264.mp4":
                 ("Training_Normal_Videos_Anomaly/Normal_Videos002_x264.mp4", 0)}
    test = {"Anomaly-Videos-Part-1/Arson/Arson011_x264.mp4": ("Arson/Arson011_x264.mp4", 1),
            "Testing_Normal_Videos_Anomaly/Normal_Videos_003_x264.mp4":
                ("Testing_Normal_Videos_Anomaly/Normal_Videos_003_x264.mp4", 0)}
    seed, boxes = 0, {}
    for split, videos in (("train", train), ("test", test)):
        for rel, (_, label) in videos.items():
            event = _video(root, rel, (320, 240), seed, split, label, fps=30)
            boxes = event if "Arson011" in rel else boxes
            seed += 1
    put_text(root, f"{splits_dir}/Anomaly_Train.txt", "".join(f"{line}\n" for line, _ in train.values()))
    put_text(root, f"{splits_dir}/Anomaly_Test.txt", "".join(f"{line}\n" for line, _ in test.values()))
    put_text(root, "Temporal_Anomaly_Annotation_for_Testing_Videos.txt",
             f"Arson011_x264.mp4  Arson  {EVENT[0]}  {EVENT[1] - 1}  -1  -1\n"
             "Normal_Videos_003_x264.mp4  Normal  -1  -1  -1  -1\n")
    boxed = [f for f in range(0, EVAL_FRAMES, BOX_STRIDE) if f in boxes]
    rows = [[f"{f:06d}.jpg", *boxes[f]] for f in boxed]
    (root / "ucf_crime_boxes.pkl").write_bytes(pickle.dumps({"Arson011_x264.mp4": rows}, protocol=2))
    ids = {split: {Path(rel).stem: label for rel, (_, label) in videos.items()}
           for split, videos in (("train", train), ("test", test))}
    classes = {"Abuse001_x264": ["Abuse"], "Arrest001_x264": ["Arrest"], "Normal_Videos001_x264": ["Normal"],
               "Normal_Videos002_x264": ["Normal"], "Arson011_x264": ["Arson"], "Normal_Videos_003_x264": ["Normal"]}
    return Release(root, "ucf_crime", ids, (320, 240), classes, boxed={"Arson011_x264": boxed})


# ---------------------------------------------------------------- XD-Violence


XD_TRAIN = {"1-1004/v=Qa9xZ0pPGbM__#1_label_A.mp4": 0,
            "1-1004/Jurassic.Park.1993__#00-10-00_00-11-00_label_A.mp4": 0,
            "1005-2004/Bad.Boys.1995__#01-11-55_01-12-40_label_B2-0-0.mp4": 1,
            "1005-2004/v=jR6x0pcq3dE__#1_label_B1-G-0.mp4": 1}  # two labels
XD_TEST = {"Black.Hawk.Down.2001__#02-01-10_02-02-05_label_B2-0-0.mp4": 1,
           "v=8cTqh9tMz_g__#1_label_A.mp4": 0}


def write_xd_violence(root: Path) -> Release:
    """XD-Violence: training archives under ``train/``, test videos under ``test/``,
    ``annotations.txt`` for the abnormal test video; 640x360 at 24 fps, a common size in the release."""
    seed = 0
    for split, videos in (("train", XD_TRAIN), ("test", XD_TEST)):
        for rel, label in videos.items():
            _video(root, f"{split}/{rel}", (640, 360), seed, split, label, fps=24)
            seed += 1
    abnormal_test = next(Path(rel).stem for rel, label in XD_TEST.items() if label)
    put_text(root, "annotations.txt", f"{abnormal_test} {EVENT[0]} {EVENT[1] - 1}\n")
    ids = {split: {Path(rel).stem: label for rel, label in videos.items()}
           for split, videos in (("train", XD_TRAIN), ("test", XD_TEST))}
    classes = {vid: ["A"] for labels in ids.values() for vid in labels}
    classes |= {"Bad.Boys.1995__#01-11-55_01-12-40_label_B2-0-0": ["B2"], "v=jR6x0pcq3dE__#1_label_B1-G-0": ["B1", "G"],
                "Black.Hawk.Down.2001__#02-01-10_02-02-05_label_B2-0-0": ["B2"]}
    return Release(root, "xd_violence", ids, (640, 360), classes)


# ---------------------------------------------------------------- UBnormal


UBN_SPLITS = {"train": {"abnormal_scene_1_scenario_3": 1, "normal_scene_1_scenario_1": 0},
              "val": {"abnormal_scene_2_scenario_2": 1, "normal_scene_2_scenario_1": 0},
              "test": {"abnormal_scene_3_scenario_1_fog": 1, "normal_scene_3_scenario_4": 0}}
UBN_LIST_WORDS = {"train": "training", "val": "validation", "test": "test"}


def write_ubnormal(root: Path) -> Release:
    """UBnormal: ``scripts/`` name lists, ``Scene<k>/<name>.mp4`` (1080x720, 30 fps) and, for
    abnormal videos, ``<name>_annotations/<name>_tracks.txt`` as ``np.savetxt`` writes it."""
    seed = 0
    for split, videos in UBN_SPLITS.items():
        for kind in ("abnormal", "normal"):
            names = [n for n, label in videos.items() if label == (kind == "abnormal")]
            put_text(root, f"scripts/{kind}_{UBN_LIST_WORDS[split]}_video_names.txt", "".join(f"{n}\n" for n in names))
        for name, label in videos.items():
            scene = f"Scene{name.split('_')[2]}"
            _video(root, f"{scene}/{name}.mp4", (1080, 720), seed, split, label, fps=30)
            seed += 1
            if label:  # two objects; their union is the event
                event = event_frames(split, label)
                tracks = np.array([[0, event[0], event[1] - 1], [1, event[0] + 4, event[1] - 5]], np.float64)
                path = root / scene / f"{name}_annotations" / f"{name}_tracks.txt"
                path.parent.mkdir(parents=True, exist_ok=True)
                np.savetxt(path, tracks, delimiter=",")
    return Release(root, "ubnormal", {s: dict(v) for s, v in UBN_SPLITS.items()}, (1080, 720),
                   binary_classes(UBN_SPLITS))


# ---------------------------------------------------------------- ShanghaiTech


SHT_SPLITS = {"train": {"01_0015": 1, "04_0046": 1, "01_001": 0, "02_001": 0},
              "test": {"01_0014": 1, "03_001": 0}}


def write_shanghaitech(root: Path) -> Release:
    """ShanghaiTech Campus with Zhong et al.'s weakly supervised split, 856x480.

    The original training set is ``training/videos/NN_NNN.avi`` (all normal); the original
    test set ships as JPEG frame folders ``testing/frames/NN_NNNN/000.jpg ...`` with per-frame
    masks ``testing/test_frame_mask/NN_NNNN.npy`` (every one of them, including those the
    weak split moves to training). As in the real split, the abnormal videos are the frame
    folders and the normal ones the ``.avi`` files, in both splits.
    """
    seed = 0
    for split, videos in SHT_SPLITS.items():
        for vid, label in videos.items():
            n, event = video_length(split, label), event_frames(split, label)
            frames, _ = scene_frames(856, 480, seed, n, event)
            seed += 1
            if len(vid) == len("01_0014"):  # from the original test set
                write_frame_folder(root / "testing" / "frames" / vid, frames)
                mask = np.zeros(n, np.int64)
                mask[slice(*event) if event else slice(0)] = 1
                (root / "testing" / "test_frame_mask").mkdir(parents=True, exist_ok=True)
                np.save(root / "testing" / "test_frame_mask" / f"{vid}.npy", mask)
            else:
                encode_video(root / "training" / "videos" / f"{vid}.avi", frames, fps=24)
    put_text(root, "SH_Train_new.txt", "".join(f"{vid}\n" for vid in SHT_SPLITS["train"]))
    put_text(root, "SH_Test_NEW.txt", "".join(f"{vid}\n" for vid in SHT_SPLITS["test"]))
    return Release(root, "shanghaitech", {s: dict(v) for s, v in SHT_SPLITS.items()}, (856, 480),
                   binary_classes(SHT_SPLITS))


WRITERS = {"ucf_crime": write_ucf_crime, "xd_violence": write_xd_violence, "ubnormal": write_ubnormal,
           "shanghaitech": write_shanghaitech}
