"""``stprompt book``: execute the notebooks, stage the book, build it strictly.

:func:`build_book` checks every parameter against the notebooks' ``parameters`` cells (each
name must be declared by one of them) and every value as the notebooks will, passes each
notebook only the parameters it declares, executes every notebook with papermill into a
staging copy of the book (``OUT/src``), vendors require.js and the ipywidgets HTML manager
into its ``_static`` (the pages load nothing from a CDN), and runs ``jupyter-book build -W -n
--keep-going``; the HTML lands in ``OUT/src/_build/html``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Mapping

import av
import numpy as np
import plotly

from stprompt_core.book.execute import execute_notebooks
from stprompt_core.book.pages import (ablation_markdown, benchmark_boxes_markdown, bias_markdown, findings_markdown,
                                      localize_windows_markdown, performance_markdown, variation_markdown,
                                      workshop_markdown)
from stprompt_core.book.parameters import check_book_parameters, parameters_markdown
from stprompt_core.book.sources import BOOK_CONFIG, REPO_ROOT, RESULTS_DIR, require_checkout
from stprompt_core.config import Config
from stprompt_core.figures.detection_folder import DetectionFolder
from stprompt_core.io import write_json
from stprompt_core.locks import exclusive

VENDOR_DIR = REPO_ROOT / "tools" / "book_js" / "node_modules"
VENDOR_FILES = {  # npm file -> book _static/vendor name (the names _config.yml loads)
    "requirejs/require.js": "require.js",
    "@jupyter-widgets/html-manager/dist/embed-amd.js": "embed-amd.js",
    "mathjax/es5/tex-svg.js": "tex-svg.js",  # one file: TeX input + SVG glyphs, no font downloads
}


def vendor_js(static_dir: Path) -> None:
    """Copy require.js and the widget manager into the book's static files (no CDN at view time)."""
    missing = [f for f in VENDOR_FILES if not (VENDOR_DIR / f).exists()]
    if missing:
        raise FileNotFoundError(f"vendored JavaScript missing under {VENDOR_DIR} ({missing[0]}); run "
                                f"`npm ci --prefix {VENDOR_DIR.parent.relative_to(REPO_ROOT)}`")
    dst = static_dir / "vendor"
    dst.mkdir(parents=True, exist_ok=True)
    for src, name in VENDOR_FILES.items():
        shutil.copy2(VENDOR_DIR / src, dst / name)
    shutil.copy2(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", dst / "plotly.min.js")  # pages' figures


def stage_book(out_dir: Path) -> Path:
    """Copy ``_config.yml``, ``_toc.yml`` and ``book/`` into ``out_dir/src``; returns that folder."""
    src = out_dir / "src"
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    for name in BOOK_CONFIG:
        shutil.copy2(REPO_ROOT / name, src / name)
    shutil.copytree(REPO_ROOT / "book", src / "book", ignore=shutil.ignore_patterns("_build"))
    vendor_js(src / "book" / "_static")
    (src / "_generated").mkdir()
    (src / "_generated" / "performance.md").write_text(performance_markdown(RESULTS_DIR))
    workshop = RESULTS_DIR / "workshop.json"
    (src / "_generated" / "workshop.md").write_text(workshop_markdown(workshop))
    (src / "_generated" / "ablation.md").write_text(ablation_markdown(workshop))
    (src / "_generated" / "findings.md").write_text(findings_markdown(workshop))
    (src / "_generated" / "bias.md").write_text(bias_markdown(RESULTS_DIR / "bias_study.json"))
    (src / "_generated" / "benchmark_boxes.md").write_text(benchmark_boxes_markdown(RESULTS_DIR / "benchmark_boxes.json"))
    (src / "_generated" / "variation.md").write_text(variation_markdown(workshop, RESULTS_DIR / "cpu_variation.json"))
    windows = RESULTS_DIR / "localize_views.json"  # the results file keeps its name
    (src / "_generated" / "localize_windows.md").write_text(localize_windows_markdown(windows))
    (src / "_generated" / "parameters.md").write_text(parameters_markdown())
    return src


LANDING = "landing.png"


def landing_markdown(run_dir: Path, static_dir: Path) -> str:
    """The landing page's picture, taken from this build: the frame of highest score in the
    annotated video notebook 06 made with ``stprompt detect`` (the frame, its heatmap and box,
    and the score strip with the cursor at that frame), written to ``static_dir/landing.png``.
    Of several detections in the run, the newest (a reused run may hold older ones): its
    scores, its video and its name in the caption. Returns the markdown that shows it, or a
    line saying why there is none."""
    found = DetectionFolder.in_run(run_dir)
    if not found:
        return "*(No picture: notebook 06 wrote no annotated video in this build.)*\n"
    folder = found[0]
    scores = folder.scores()
    score = np.asarray(scores["score"])
    first = int(np.argmax(score))
    run = int(np.argmax(score[first:] != score[first])) or len(score) - first  # frames of the peak snippet
    peak = first + run // 2
    with av.open(str(folder.video)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i == peak:
                frame.to_image().save(static_dir / LANDING)
                break
    shown = (f"the frame where the detector's score peaks ({scores['time_s'][peak]:.1f} s into `{folder.name}`), "
             "the anomaly heatmap of its patches, the box around the largest warm region, and below it the score "
             "of every frame with the threshold and a cursor at this frame"
             if score[peak] >= scores["threshold"] else
             f"the frame where the detector's score peaks ({scores['time_s'][peak]:.1f} s into `{folder.name}`); "
             f"it stays under the run's threshold ({score[peak]:.2f} < {scores['threshold']:.2f}), so nothing is "
             "boxed. Below the frame, the score of every frame with the threshold and a cursor at this frame")
    return (f"```{{figure}} _static/{LANDING}\n:alt: an annotated frame with its heatmap, box and score strip\n\n"
            f"What the method does, on a video of this build (notebook 06, `stprompt detect`): {shown}.\n```\n")


def jupyter_book_build(src: Path, log=print) -> Path:
    """``jupyter-book build -W -n --keep-going``; raises with the build log's tail on failure."""
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe) if exe.exists() else "jupyter-book", "build", str(src), "-W", "-n", "--keep-going"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    (src / "build.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
        raise RuntimeError(f"jupyter-book build failed (log: {src / 'build.log'}):\n{tail}")
    log(f"[book] built {src / '_build' / 'html'}")
    return src / "_build" / "html"


def build_book(cfg: Config, out_dir: str | Path = "_build/book", run_dir: str | Path | None = None,
               parameters: Mapping[str, Any] | None = None, execute: bool = True, log=print) -> dict[str, Any]:
    """Execute every notebook for ``cfg.profile`` and build the book strictly.

    Args:
        cfg: the profile (its name is passed to the notebooks as ``profile``).
        out_dir: build folder: ``src/`` (staged book + executed notebooks) and
            ``src/_build/html`` (the site); ``book.json`` records timings.
        run_dir: run folder the notebooks share (default ``out_dir/run``).
        parameters: extra notebook parameters (checked against the notebooks).
        execute: False builds from notebooks already executed into ``out_dir/src/notebooks``.
    """
    require_checkout()
    out_dir = Path(out_dir)
    params = {"profile": cfg.profile, "run_dir": str(run_dir or out_dir / "run"), **(parameters or {})}
    if execute:
        check_book_parameters(params)  # before the lock file or any folder is written
    with exclusive(out_dir):  # a second build of the same folder waits for the first
        return _build_book(cfg, out_dir, params, execute, log)


def _build_book(cfg: Config, out_dir: Path, params: dict[str, Any], execute: bool, log) -> dict[str, Any]:
    t0 = time.perf_counter()
    executed = out_dir / "executed"
    times = execute_notebooks(executed, params, log=log) if execute else {}
    src = stage_book(out_dir)
    shutil.copytree(executed, src / "notebooks")
    (src / "_generated" / "landing.md").write_text(landing_markdown(Path(params["run_dir"]), src / "book" / "_static"))
    t1 = time.perf_counter()
    html = jupyter_book_build(src, log=log)
    record = {"profile": cfg.profile, "parameters": params, "notebook_seconds": times,
              "execute_seconds": round(t1 - t0, 1), "build_seconds": round(time.perf_counter() - t1, 1),
              "html": str(html / "index.html")}
    write_json(out_dir / "book.json", record)
    return record
