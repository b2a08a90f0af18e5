"""``stprompt detect VIDEO --run-dir RUN``: scores, intervals, boxes, an annotated MP4 and a report for one video."""

from __future__ import annotations

import argparse
import json


def register(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text + " (the run's own backbone, extraction "
                                                                     "geometry, detector and localize settings)")
    p.add_argument("video", help="a video file (any container FFmpeg reads) or a folder of frame images")
    p.add_argument("--run-dir", required=True, help="a run folder written by `stprompt train`")
    p.add_argument("--out", default=None, help="output folder, replaced whole (default: RUN/detect/<video name>)")
    p.add_argument("--fps", type=float, default=None, help="frame rate of a frame folder (default 25)")
    p.add_argument("--checkpoint", choices=("best", "last"), default="best")
    p.add_argument("--device", default=None, help="override the run's extract.device (cpu, cuda, auto)")
    p.add_argument("--chunk", type=int, default=None,
                   help="snippets each scoring forward finalises (default: the run's data.max_len)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from stprompt_core.detect import detect
    from stprompt_core.video.decode import VideoDecodeError

    try:
        d = detect(args.video, args.run_dir, args.out, fps=args.fps, checkpoint=args.checkpoint, device=args.device,
                   chunk=args.chunk, progress=not args.no_progress)
    except VideoDecodeError as exc:  # names the file; nothing was written
        print(f"stprompt detect: error: {exc}", file=sys.stderr)
        return 2
    s = d.summary
    head = {k: s[k] for k in ("num_frames", "fps", "duration_s", "threshold", "intervals", "snippets_passed",
                              "frames_per_s")}
    print(json.dumps(head, indent=2))
    print(f"detection written to {d.out} (report: {d.folder.report})")
    return 0
