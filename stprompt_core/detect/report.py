"""``report.html``: one self-contained page a person opens offline to see what detect found.

The page carries everything inline: plotly's JavaScript (no CDN), the score curve
(:func:`~stprompt_core.figures.detect.detection_curve_figure`), the key frames as JPEG
data URIs and the intervals table. Element ids are fixed, so the same detection gives
the same bytes.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
from PIL import Image

from stprompt_core.figures.detect import detection_curve_figure, intervals_table
from stprompt_core.figures.detection_folder import DetectionFolder
from stprompt_core.figures.spatial import image_data_uri

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1100px;
       padding: 16px 24px; color: #222; }
h1 { font-size: 1.4em; margin-bottom: 0.2em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
.facts { color: #555; font-size: 0.92em; } .facts code { font-size: 0.95em; }
.warn { background: #fff4e5; border-left: 4px solid #f0a020; padding: 6px 10px; margin: 8px 0; }
.note { background: #eef4fb; border-left: 4px solid #5b8fd0; padding: 6px 10px; margin: 8px 0; font-size: 0.92em; }
table { border-collapse: collapse; font-size: 0.92em; } th, td { border-bottom: 1px solid #ddd; padding: 4px 10px;
       text-align: right; } th { background: #f4f4f4; }
.frames { display: flex; flex-wrap: wrap; gap: 12px; }
.frames figure { margin: 0; width: 480px; max-width: 100%; } .frames img { width: 100%; image-rendering: pixelated;
       border: 1px solid #ccc; } .frames figcaption { font-size: 0.85em; color: #444; }
"""


def render_report(folder: DetectionFolder) -> str:
    """The page's HTML for a detection whose other files (summary, per-frame scores, intervals,
    key frames) are already in ``folder``."""
    summary, scores, intervals = folder.summary(), folder.scores(), folder.intervals()
    curve = detection_curve_figure(scores, intervals).to_html(full_html=False, include_plotlyjs=True,
                                                              div_id="score-curve", config={"displaylogo": False})
    table = intervals_table(intervals)
    table_html = (table.to_html(index=False, border=0, float_format=lambda x: f"{x:.2f}")
                  if len(table) else "<p>No frame reaches the threshold.</p>")
    figures = []
    for k in folder.key_frames():
        caption = (f"{k['time_s']:.2f} s, frame {k['frame']}: score {k['score']:.2f}"
                   + (", passes" if k["passed"] else ", below the threshold"))
        uri = image_data_uri(np.asarray(Image.open(k["path"]).convert("RGB")), quality=90)
        figures.append(f'<figure><img src="{uri}" alt="{html.escape(caption)}"><figcaption>{html.escape(caption)}'
                       f"</figcaption></figure>")
    warnings = "".join(f'<div class="warn">{html.escape(w)}</div>' for w in summary.get("warnings", []))
    e = html.escape
    F = DetectionFolder
    n_iv = len(intervals["intervals"])
    facts = (f"{summary['num_frames']} frames, {summary['frame_size'][0]}x{summary['frame_size'][1]}, "
             f"{summary['fps']:.3f} fps, {summary['duration_s']:.2f} s. Run <code>{e(summary['run_dir'])}</code> "
             f"(backbone <code>{e(summary['backbone'])}</code>), threshold {summary['threshold']:g}: "
             f"{n_iv} anomalous interval{'s' * (n_iv != 1)}.")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Anomaly detection: {e(summary['video_name'])}</title><style>{STYLE}</style></head>
<body>
<h1>Anomaly detection: {e(summary['video_name'])}</h1>
<p class="facts">{facts}</p>
{warnings}
<div class="note">Scores come from the run's own backbone and detector. A backbone only understands footage like
what it was trained on: the offline SynthCLIP backbone of the workshop profile knows SynthVAD's rendered world, so on
real footage its scores mean nothing; use a run of a paper profile (CLIP ViT-B/16) there.</div>
<h2>Score over time</h2>
{curve}
<h2>Anomalous intervals</h2>
{table_html}
<h2>Key frames</h2>
<div class="frames">{''.join(figures) or '<p>No key frames.</p>'}</div>
<p class="facts">Files beside this page: <code>{F.VIDEO}</code> (every frame, heatmap and box where the score
passes, score strip below), <code>{F.SCORES_CSV}</code> / <code>{F.SCORES}</code> (per frame), <code>{F.INTERVALS}</code>,
<code>{F.BOXES}</code> (boxes of the snippets that pass) and <code>{F.MAPS}</code>
(patch maps of every snippet).</p>
</body></html>
"""
