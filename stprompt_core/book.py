"""The notebooks and the Jupyter Book: notebook parameters, execution, strict build.

Notebook contract (``notebooks/NN_*.ipynb``): a cell tagged ``parameters`` holding the
plain values :data:`NOTEBOOK_USES` lists for that notebook, then
``cfg, run_dir = notebook_config(globals(), "NN_name")``, which fails on an unknown or
mistyped parameter before any work:

- a name that is not a notebook parameter (``papermill -p epoch 3``) → ``ConfigError``
  naming the nearest valid parameter (papermill itself only warns); a parameter of another
  notebook (``-p explorer_videos 3`` given to 01) → ``ConfigError`` naming the notebook it
  belongs to;
- a value of the wrong type → the config's own check (:func:`stprompt_core.config.apply_overrides`)
  for config values, :data:`PARAMETER_TYPES` for the others; both name the parameter;
- a run dir written by another profile → ``ConfigError``.

``stprompt book --profile NAME`` (:func:`build_book`) checks every parameter against the
notebooks' ``parameters`` cells (each name must be declared by one of them) and every value
as the notebooks will, passes each notebook only the parameters it declares, executes every
notebook with papermill into a staging copy
of the book (``OUT/src``), vendors require.js and the ipywidgets HTML manager into its
``_static`` (the pages load nothing from a CDN), and runs ``jupyter-book build -W -n
--keep-going``; the HTML lands in ``OUT/src/_build/html``.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any, Mapping

from stprompt_core.config import Config, ConfigError, load_config
from stprompt_core.io import read_json, write_json

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ["01_feature_extraction", "02_training", "03_evaluation", "04_prompt_generation", "05_localization"]
KERNEL_NAME = "stprompt"
VENDOR_DIR = REPO_ROOT / "tools" / "book_js" / "node_modules"
BOOK_CONFIG = ("_config.yml", "_toc.yml")
BOOK_SOURCES = ("notebooks", "book", *BOOK_CONFIG)  # what the book is built from: a clone has them, a wheel not
VENDOR_FILES = {  # npm file -> book _static/vendor name (the names _config.yml loads)
    "requirejs/require.js": "require.js",
    "@jupyter-widgets/html-manager/dist/embed-amd.js": "embed-amd.js",
    "mathjax/es5/tex-svg.js": "tex-svg.js",  # one file: TeX input + SVG glyphs, no font downloads
}

# Notebook parameter -> config keys it sets (() = not a config value).
NOTEBOOK_PARAMETERS: dict[str, tuple[str, ...]] = {
    "profile": (),  # config profile name or YAML path
    "run_dir": (),  # run folder shared by the notebooks ("" -> runs/<profile>)
    "data_root": ("data.data_root",),  # videos root ("" keeps the profile's)
    "manifest": ("data.manifest",),  # manifest JSON ("" keeps the profile's)
    "feature_store": ("data.feature_store",),  # feature store folder ("" keeps the profile's)
    "device": ("extract.device", "train.device"),  # "auto", "cpu", "cuda" ("" keeps the profile's)
    "epochs": ("train.epochs",),  # 0 keeps the profile's
    "seed": ("train.seed",),  # -1 keeps the profile's
    "overrides": (),  # any other config values, {"section.key": value}
    "ablation_variants": (),  # 02: ablation variants to train ([] skips the ablation)
    "slider_video": (),  # 03: test video of the snippet slider ("" = the first abnormal one)
    "explorer_videos": (),  # 05: how many test videos the explorer shows
    "prompt_study": (),  # 05: run the prompt study table (True/False)
}
_DATA = ("profile", "data_root", "manifest", "feature_store", "device")
_RUN = ("run_dir", "epochs", "seed")
# The parameters each notebook declares in its ``parameters`` cell (tools/make_notebooks.py
# writes the cells from this table); ``stprompt book`` passes each notebook its own.
NOTEBOOK_USES: dict[str, tuple[str, ...]] = {
    "01_feature_extraction": (*_DATA, "overrides"),
    "02_training": (*_DATA, *_RUN, "overrides", "ablation_variants"),
    "03_evaluation": (*_DATA, *_RUN, "overrides", "slider_video"),
    "04_prompt_generation": ("profile", "overrides"),
    "05_localization": (*_DATA, *_RUN, "overrides", "explorer_videos", "prompt_study"),
}
UNSET = ("", 0, -1, None)
# Parameters that are not config values: (check, what the check accepts). None is always accepted
# (not given). Config values are checked by the config itself.
PARAMETER_TYPES: dict[str, tuple[Any, str]] = {
    "profile": (lambda v: isinstance(v, str), "a profile name or a YAML path"),
    "run_dir": (lambda v: isinstance(v, (str, os.PathLike)), "a folder path"),
    "overrides": (lambda v: isinstance(v, Mapping), 'a dict of config keys, e.g. {"model.sigma": 2.0}'),
    "ablation_variants": (lambda v: isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v),
                          "a list of ablation variant names"),
    "slider_video": (lambda v: isinstance(v, str), 'a test video id, or "" for the first abnormal one'),
    "explorer_videos": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0, "a number of videos >= 0"),
    "prompt_study": (lambda v: isinstance(v, bool), "True or False"),
}
PLOTLY_MATHJAX_TAG = '<script src="https://cdnjs.cloudflare.com/ajax/libs/mathjax/3.2.2/es5/tex-svg.min.js"></script>'


def notebook_config(namespace: Mapping[str, Any], notebook: str | None = None) -> tuple[Config, Path]:
    """The config and run dir of a notebook, from the globals its parameters cell set.

    Args:
        namespace: the notebook's ``globals()`` (or a dict of parameters).
        notebook: its name in :data:`NOTEBOOK_USES`; then a parameter of another notebook
            is refused too. None accepts every notebook parameter (the book's whole set).

    Raises:
        ConfigError: an unknown parameter name (with the nearest one), a parameter of
            another notebook, a value of the wrong type, or a run dir holding a run of
            another profile.
    """
    if notebook is not None and notebook not in NOTEBOOK_USES:
        raise ConfigError(f"unknown notebook {notebook!r} (notebooks: {', '.join(NOTEBOOK_USES)})")
    user = {k: v for k, v in namespace.items()
            if not k.startswith("_") and k not in ("In", "Out", "exit", "quit", "get_ipython", "open")
            and not isinstance(v, types.ModuleType) and not callable(v)}
    allowed = NOTEBOOK_USES[notebook] if notebook else tuple(NOTEBOOK_PARAMETERS)
    unknown = sorted(set(user) - set(allowed))
    if unknown:
        name = unknown[0]
        owners = [nb for nb, names in NOTEBOOK_USES.items() if name in names]
        if name in NOTEBOOK_PARAMETERS:
            raise ConfigError(f"notebook parameter {name!r} is not a parameter of {notebook} but of "
                              f"{', '.join(owners)} (parameters here: {', '.join(allowed)})")
        near = difflib.get_close_matches(name, list(allowed), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise ConfigError(f"unknown notebook parameter {name!r}{hint} (parameters: {', '.join(allowed)})")
    for name, (ok, expected) in PARAMETER_TYPES.items():
        value = user.get(name)
        if value is not None and not ok(value):
            raise ConfigError(f"notebook parameter {name} must be {expected}, got {value!r}")
    _check_variants(user.get("ablation_variants") or [])
    overrides: dict[str, Any] = {}
    for name, keys in NOTEBOOK_PARAMETERS.items():
        value = user.get(name)
        if keys and not _unset(value):
            overrides.update({k: value for k in keys})
    overrides.update(user.get("overrides") or {})
    cfg = load_config(user.get("profile") or "tiny", overrides)
    run_dir = Path(user.get("run_dir") or f"runs/{cfg.profile}")
    if (run_dir / "config.json").exists():
        old = read_json(run_dir / "config.json").get("profile")
        if old != cfg.profile:
            raise ConfigError(f"run dir {run_dir} holds a run of profile {old!r}, not {cfg.profile!r}; "
                              f"pass another run_dir")
    return cfg, run_dir


def _unset(value: Any) -> bool:
    """A config parameter left at its "keep the profile's" value ("", 0, -1; not False or 0.0)."""
    return value is None or (type(value) in (str, int) and value in UNSET)


def _check_variants(variants: list[str] | tuple[str, ...]) -> None:
    from stprompt_core.ablate import variant_names

    unknown = [v for v in variants if v not in variant_names()]
    if unknown:
        near = difflib.get_close_matches(unknown[0], variant_names(), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise ConfigError(f"notebook parameter ablation_variants: unknown variant {unknown[0]!r}{hint} "
                          f"(variants: {variant_names()})")


def strip_cdn_scripts(notebook: str | Path) -> int:
    """Remove the MathJax CDN ``<script>`` plotly's notebook renderer puts in every figure's
    HTML (hard-coded there; the figures use no LaTeX), so pages load nothing from a CDN.
    Returns how many were removed."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    removed = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            html = out.get("data", {}).get("text/html")
            if isinstance(html, str) and PLOTLY_MATHJAX_TAG in html:
                removed += html.count(PLOTLY_MATHJAX_TAG)
                out["data"]["text/html"] = html.replace(PLOTLY_MATHJAX_TAG, "")
    if removed:
        nbformat.write(nb, str(notebook))
    return removed


def declared_parameters(notebook: str | Path) -> list[str]:
    """The names a notebook's ``parameters`` cell declares (papermill's reading of it)."""
    import papermill

    return list(papermill.inspect_notebook(str(notebook)))


def check_parameters(notebook: str | Path | list[str | Path], parameters: Mapping[str, Any]) -> None:
    """Fail before execution when a parameter is declared in none of the notebooks' parameters cells.

    Args:
        notebook: one notebook file, or several (a name need only be declared by one of them).
    """
    paths = [Path(n) for n in (notebook if isinstance(notebook, list) else [notebook])]
    declared = sorted({name for path in paths for name in declared_parameters(path)})
    where = paths[0].name if len(paths) == 1 else "notebooks"
    odd = [name for name in parameters if not isinstance(name, str)]
    if odd:
        raise ConfigError(f"{where}: parameter names must be strings, got {odd[0]!r} (declared: {declared})")
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        near = difflib.get_close_matches(unknown[0], declared, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise ConfigError(f"{where}: unknown parameter {unknown[0]!r}{hint} (declared: {declared})")


def check_book_parameters(parameters: Mapping[str, Any], notebooks: list[str] | None = None,
                          src_dir: str | Path | None = None) -> None:
    """Check notebook parameters before anything runs or is written: every name against the
    notebooks' ``parameters`` cells (declared by at least one, :func:`check_parameters`),
    every value as the notebooks' second cell will (:func:`notebook_config`).

    Raises:
        ConfigError: naming the parameter (and the nearest valid name or the accepted values).
    """
    src_dir = Path(src_dir or REPO_ROOT / "notebooks")
    check_parameters([src_dir / f"{name}.ipynb" for name in notebooks or NOTEBOOKS], parameters)
    notebook_config(parameters)


def parameters_for(notebook: str | Path, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The part of ``parameters`` a notebook declares: what ``stprompt book`` passes it."""
    declared = set(declared_parameters(notebook))
    return {k: v for k, v in parameters.items() if k in declared}


def ensure_kernel() -> str:
    """Register this interpreter as the ``stprompt`` kernel inside its environment (idempotent).

    The kernelspec names the interpreter by the path it was registered from; when that is not
    this process's (the environment was reached through another path, e.g. a symlink that
    has since gone, or was moved), it is registered again, so notebooks never run in an
    interpreter other than the one building the book.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        registered = KernelSpecManager().get_kernel_spec(KERNEL_NAME).argv[0]
    except NoSuchKernel:
        registered = None
    if registered != sys.executable:
        subprocess.run([sys.executable, "-m", "ipykernel", "install", "--sys-prefix", "--name", KERNEL_NAME,
                        "--display-name", "stprompt (venv)"], check=True, capture_output=True)
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
        if spec.argv[0] != sys.executable:  # another kernelspec of that name is found first
            raise RuntimeError(f"the Jupyter kernel {KERNEL_NAME!r} at {spec.resource_dir} runs {spec.argv[0]}, not "
                               f"{sys.executable}; remove it (`jupyter kernelspec remove {KERNEL_NAME}`)")
    return KERNEL_NAME


def kernel_manager_config():
    """papermill's kernel settings: CurveZMQ keys for each kernel's sockets where the stack has them.

    ipykernel (>= 7) prints ``[IPKernelApp] WARNING | Kernel is running over TCP without
    encryption`` on stderr when the kernel manager hands it no CurveZMQ keys, once per
    notebook. jupyter_client (>= 8.10) provisions keys when ``transport_encryption`` is
    ``auto`` and the kernelspec declares ``supported_encryption: curve`` (``ipykernel
    install`` writes that). Where pyzmq lacks CURVE or jupyter_client predates the setting,
    the default stays and so does the warning, which is then true.

    Returns:
        a ``traitlets.config.Config`` for ``papermill.execute_notebook(config=...)``.
    """
    import zmq
    from jupyter_client.manager import KernelManager
    from traitlets.config import Config

    if not zmq.has("curve") or "transport_encryption" not in KernelManager.class_trait_names():
        return Config()
    return Config({"KernelManager": {"transport_encryption": "auto"}})


def execute_notebooks(out_dir: str | Path, parameters: Mapping[str, Any], notebooks: list[str] | None = None,
                      src_dir: str | Path | None = None, timeout: int = 1800,
                      log=print) -> dict[str, float]:
    """Execute notebooks with papermill into ``out_dir``; returns seconds per notebook.

    Parameters are checked (:func:`check_book_parameters`) before anything is written; each
    notebook gets the ones its ``parameters`` cell declares (:func:`parameters_for`).
    """
    import papermill

    src_dir = Path(src_dir or REPO_ROOT / "notebooks")
    out_dir = Path(out_dir)
    names = notebooks or NOTEBOOKS
    check_book_parameters(parameters, names, src_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    kernel = ensure_kernel()
    env = {"PLOTLY_RENDERER": "plotly_mimetype+notebook", "TQDM_DISABLE": "1",
           "HF_HUB_DISABLE_PROGRESS_BARS": "1"}  # transformers' own "Loading weights" bars
    old_env = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    times: dict[str, float] = {}
    try:
        for name in names:
            t0 = time.perf_counter()
            source = src_dir / f"{name}.ipynb"
            papermill.execute_notebook(str(source), str(out_dir / f"{name}.ipynb"),
                                       parameters=parameters_for(source, parameters), kernel_name=kernel,
                                       cwd=str(Path.cwd()), config=kernel_manager_config(),
                                       execution_timeout=timeout, progress_bar=False)
            strip_cdn_scripts(out_dir / f"{name}.ipynb")
            times[name] = round(time.perf_counter() - t0, 1)
            log(f"[book] executed {name} in {times[name]:.1f} s")
    finally:
        for k, v in old_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return times


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
    (src / "_generated" / "performance.md").write_text(performance_markdown(REPO_ROOT / "benchmarks" / "results"))
    workshop = REPO_ROOT / "benchmarks" / "results" / "workshop.json"
    (src / "_generated" / "workshop.md").write_text(workshop_markdown(workshop))
    (src / "_generated" / "ablation.md").write_text(ablation_markdown(workshop))
    (src / "_generated" / "findings.md").write_text(findings_markdown(workshop))
    views = REPO_ROOT / "benchmarks" / "results" / "localize_views.json"
    (src / "_generated" / "localize_views.md").write_text(localize_views_markdown(views))
    (src / "_generated" / "parameters.md").write_text(parameters_markdown())
    return src


def parameters_markdown() -> str:
    """Which notebook declares which parameter (:data:`NOTEBOOK_USES`), as a markdown table."""
    rows = ["| notebook | parameters |", "|---|---|"]
    rows += [f"| `{name}` | {', '.join(f'`{p}`' for p in names)} |" for name, names in NOTEBOOK_USES.items()]
    return "\n".join(rows) + "\n"


def ablation_markdown(path: Path) -> str:
    """The seeded ablation of ``workshop.json`` as markdown (the Ablations page): each variant's
    effect with its paired intervals, then the means ± std over the seeds."""
    from stprompt_core.figures.gates import ablation_seeds_table, effects_table

    if not Path(path).is_file():
        return "No workshop ablation results yet (`python benchmarks/workshop_gates.py`).\n"
    result = read_json(path)
    return (f"From `benchmarks/results/{Path(path).name}` ({result['date']}; `{result['command']}`), "
            f"training seeds {result['seeds']}, the workshop test split.\n\n"
            "**Effects**: the full model's frame AUC minus the variant's (positive: the removed part helps), "
            "mean ± std over the seeds, and each seed's paired bootstrap 95 % interval over test videos.\n\n"
            + _markdown_table(effects_table(result))
            + "\n\n**Each variant** (frame AUC, AP and false alarm rate, mean ± std over the seeds)\n\n"
            + _markdown_table(ablation_seeds_table(result)) + "\n")


def findings_markdown(path: Path) -> str:
    """The Results page's findings: the world's regime and one generated sentence per component."""
    from stprompt_core.figures.gates import findings_sentences, per_class_table, world_markdown

    if not Path(path).is_file():
        return "No workshop results yet (`python benchmarks/workshop_gates.py`).\n"
    result = read_json(path)
    loc = result["localization"]
    return (f"From `benchmarks/results/{Path(path).name}` ({result['date']}; `{result['command']}`), "
            f"training seeds {result['seeds']}.\n\n" + world_markdown(result) + "\n" + findings_sentences(result)
            + f"\nLocalization with each seed's full model: TIoU {loc['tiou']['mean']:.3f} ± {loc['tiou']['std']:.3f}, "
            f"against a ceiling (the best union of patches on the frames the temporal model passes) of "
            f"{loc['tiou_ceiling']['mean']:.3f}.\n\n**Per class** (frame AUC, mean over the seeds; localization of "
            "the full model)\n\n" + _markdown_table(per_class_table(result)) + "\n")


def localize_views_markdown(path: Path) -> str:
    """The view study of ``localize_views.json`` (benchmarks/select_localize_view.py) as markdown:
    its set, then per view mean IoU and TIoU at the paper profiles' threshold and at the view's best
    one, and the grid's IoU ceiling (``balance_groups`` on)."""
    import pandas as pd

    if not Path(path).is_file():
        return "No view study yet (`python benchmarks/select_localize_view.py`).\n"
    result = read_json(path)
    info, labels = result["set"], {"stored": "`stored` (centre crop)", "squash": "`squash`", "pad": "`pad`",
                                   "tiles": "`tiles`, 2 windows", "tiles3": "`tiles`, 3 windows"}
    rows = []
    for view, label in labels.items():
        s = result["summary"].get(view)
        if s:
            paper, best = s["paper_settings"]["balanced"], s["best_threshold"]["balanced"]
            rows.append({"view": label, "mean IoU, θ = 0.5": paper["mean_iou"], "TIoU, θ = 0.5": paper["tiou"],
                         "best θ": best["map_threshold"], "mean IoU, best θ": best["mean_iou"],
                         "TIoU, best θ": best["tiou"], "IoU ceiling": paper["iou_ceiling"]})
    frame = pd.DataFrame(rows).set_index("view").round(3)
    return (f"From `benchmarks/results/{Path(path).name}` ({result['date']}): {info['videos']} videos of the SynthVAD "
            f"preset {info['preset']}, {info['annotated_frames']} annotated frames, {info['margin_frames']} of them with "
            "a box reaching into the margin the centre crop drops.\n\n" + _markdown_table(frame) + "\n")


def workshop_markdown(path: Path) -> str:
    """The workshop gates of ``workshop.json`` as markdown (the Performance page)."""
    from stprompt_core.figures.gates import gates_table

    if not Path(path).is_file():
        return "No workshop gate results yet (`python benchmarks/workshop_gates.py`).\n"
    result = read_json(path)
    return (f"From `benchmarks/results/{Path(path).name}` ({result['date']}; `{result['command']}`), "
            f"training seeds {result['seeds']}, test split.\n\n" + _markdown_table(gates_table(result)) + "\n")


def _markdown_table(frame) -> str:
    """A DataFrame as a GitHub-style markdown table, its index as the first column."""
    cols = [frame.index.name or ""] + [str(c) for c in frame.columns]
    rows = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for idx, row in frame.iterrows():
        cells = [str(idx)] + ["–" if v is None or (isinstance(v, float) and v != v) else str(v) for v in row]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def performance_markdown(results_dir: Path) -> str:
    """Every ``benchmarks/results/*.json`` as markdown: its scalar fields, then one table per list of records."""
    files = sorted(Path(results_dir).glob("*.json"))
    if not files:
        return "No benchmark results yet (`make bench`).\n"
    out = []
    for path in files:
        data = read_json(path)
        out.append(f"## {data.get('benchmark', path.stem)}\n\nFrom `benchmarks/results/{path.name}`.\n")
        scalars = {k: v for k, v in data.items() if isinstance(v, (str, int, float, bool)) and k != "benchmark"}
        out += [f"- **{k}**: {v}" for k, v in scalars.items()]
        for key, value in data.items():
            if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
                cols = [c for c in value[0] if not isinstance(value[0][c], (dict, list))]
                out.append(f"\n**{key}**\n\n| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
                out += ["| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in value]
        out.append("")
    return "\n".join(out) + "\n"


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


class CheckoutError(FileNotFoundError):
    """The book's sources are not beside the package (an installed wheel, not a clone)."""


def require_checkout(root: Path = REPO_ROOT) -> None:
    """Raise :class:`CheckoutError` unless ``root`` holds the notebooks and the book's pages.

    The package itself (features, training, localization, prompts) runs from a wheel; the
    book is built from the repository's notebooks and pages, which a wheel does not carry.
    """
    missing = [name for name in BOOK_SOURCES if not (root / name).exists()]
    if missing:
        raise CheckoutError(
            f"stprompt book builds from a clone of the repository, and {root} lacks {', '.join(missing)} "
            "(this looks like an installed package, not a clone). Clone the repository, "
            "`pip install -e .[book]` there, and run `stprompt book` from the clone.")


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
    from stprompt_core.locks import exclusive

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
    t1 = time.perf_counter()
    html = jupyter_book_build(src, log=log)
    record = {"profile": cfg.profile, "parameters": params, "notebook_seconds": times,
              "execute_seconds": round(t1 - t0, 1), "build_seconds": round(time.perf_counter() - t1, 1),
              "html": str(html / "index.html")}
    write_json(out_dir / "book.json", record)
    return record
