"""The benchmark's event sizes and its prompt-free localization baselines, from Liu & Ma's boxes.

Liu & Ma's UCF-Crime spatial annotations (repository ``xuzero/UCFCrime_BoundingBox_Annotation``,
``Test_annotation.pkl``; ``Train_annotation.pkl`` beside it) are the boxes STPrompt's TIoU is
computed on. This script reads them with the package's restricted unpickler
(:func:`stprompt_core.data.datasets.ucf_crime.load_boxes`: no code runs), and records:

- the share of the 320x240 frame each box covers, and each annotated frame's region (the union
  of its boxes), as quantiles and as a histogram: the target the workshop world is calibrated to;
- the IoU with the ground truth of boxes that need no model at all: the whole frame and centred
  boxes of 25 % and 50 % of the frame. Their mean over annotated frames is the TIoU they would
  score if every annotated frame passed the temporal gate; a gate passing a share ``g`` of the
  frames scales it by about ``g`` (reported for the gate shares in ``GATES``).

The files stay out of git: pass their paths (the SHA-256 of each is recorded)::

    git clone https://github.com/xuzero/UCFCrime_BoundingBox_Annotation cache/ucf_boxes
    .venv/bin/python benchmarks/benchmark_boxes.py cache/ucf_boxes/Test_annotation.pkl \\
        cache/ucf_boxes/Train_annotation.pkl

Writes ``benchmarks/results/benchmark_boxes.json``.
"""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path
from typing import Any

import numpy as np

from stprompt_core.data.datasets.ucf_crime import load_boxes
from stprompt_core.io import file_sha256, write_json
from stprompt_core.localize.baselines import centred_box
from stprompt_core.localize.event_size import share_summary
from stprompt_core.localize.tiou import region_iou, union_area

RESULT = Path(__file__).parent / "results" / "benchmark_boxes.json"
FRAME = (320, 240)  # UCF-Crime's frame size, the boxes' coordinate frame
# histogram of area share: fixed edges, so the workshop world's histogram lines up with this one
HIST_EDGES = tuple(round(float(x), 2) for x in np.linspace(0.0, 1.0, 21))
CENTRED = (0.25, 0.5)  # centred boxes of these shares of the frame area
GATES = (1.0, 0.5)  # share of annotated frames passing the temporal gate


def summarize(path: Path) -> dict[str, Any]:
    """Sizes and prompt-free baselines of one annotation file."""
    boxes = load_boxes(path)
    W, H = FRAME
    per_box, per_frame = [], []
    ious: dict[str, list[float]] = {"whole frame": []} | {f"centred {int(s * 100)} %": [] for s in CENTRED}
    for frames in boxes.values():
        for gt in frames.values():
            per_box += [(b[2] - b[0]) * (b[3] - b[1]) / (W * H) for b in gt]
            per_frame.append(union_area(np.asarray(gt)) / (W * H))
            ious["whole frame"].append(region_iou([[0, 0, W, H]], gt))
            for s in CENTRED:
                ious[f"centred {int(s * 100)} %"].append(region_iou([centred_box([0, 0, W, H], s)], gt))
    baselines = {name: {"mean_iou": round(float(np.mean(v)), 4),
                        "tiou_if_gate_passes": {str(g): round(g * float(np.mean(v)), 4) for g in GATES}}
                 for name, v in ious.items()}
    return {
        "file": path.name, "sha256": file_sha256(path), "videos": len(boxes),
        "boxes": len(per_box), "annotated_frames": len(per_frame), "frame_size": list(FRAME),
        "box_share": share_summary(np.asarray(per_box)), "frame_share": share_summary(np.asarray(per_frame), HIST_EDGES),
        "prompt_free_baselines": baselines,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+", type=Path, help="Liu & Ma annotation pickles (Test first)")
    ap.add_argument("--out", type=Path, default=RESULT)
    args = ap.parse_args(argv)
    result = {
        "benchmark": "benchmark_boxes",
        "date": datetime.date.today().isoformat(),
        "command": "benchmarks/benchmark_boxes.py " + " ".join(str(f) for f in args.files),
        "source": "https://github.com/xuzero/UCFCrime_BoundingBox_Annotation (Liu & Ma, ACM MM 2019)",
        "what": ("share of the 320x240 frame covered by each box (box_share) and by each annotated frame's "
                 "region, the union of its boxes (frame_share); IoU with the ground truth of prompt-free boxes, "
                 "averaged over annotated frames, and the TIoU each would score with the stated share of frames "
                 "passing the temporal gate"),
        "annotations": {f.stem.split("_")[0].lower(): summarize(f) for f in args.files},
    }
    write_json(args.out, result)
    return result


if __name__ == "__main__":
    r = main()
    for name, a in r["annotations"].items():
        print(name, a["videos"], "videos", a["boxes"], "boxes", "frame share", a["frame_share"])
        for b, v in a["prompt_free_baselines"].items():
            print("  ", b, v)
