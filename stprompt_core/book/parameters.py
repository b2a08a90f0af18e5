"""The notebooks' parameters: one table, and the check every notebook runs on them.

Each notebook's first code cell after the Colab cell is a ``parameters`` cell (papermill's
tag) holding the lines :func:`parameters_cell` writes for it from :data:`PARAMETERS`; the
test ``tests/unit/book/test_notebook_sources.py`` fails when a notebook's cell differs. The
next cell is ``cfg, run_dir = notebook_config(globals(), "NN_name")``, which fails on an
unknown or mistyped parameter before any work:

- a name that is not a notebook parameter (``papermill -p epoch 3``) → ``ConfigError``
  naming the nearest valid parameter (papermill itself only warns); a parameter of another
  notebook (``-p explorer_videos 3`` given to 01) → ``ConfigError`` naming the notebook it
  belongs to;
- a value of the wrong type → the config's own check (:func:`stprompt_core.config.apply_overrides`)
  for config values, the parameter's ``check`` for the others; both name the parameter;
- a run dir written by another profile → ``ConfigError``.
"""

from __future__ import annotations

import difflib
import json
import os
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from stprompt_core.ablate import variant_names
from stprompt_core.book.sources import NOTEBOOK_DIR
from stprompt_core.config import Config, ConfigError, load_config
from stprompt_core.io import read_json

NOTEBOOKS = ["01_feature_extraction", "02_training", "03_evaluation", "04_prompt_generation", "05_localization",
             "06_your_own_video"]
_DATA = ("01_feature_extraction", "02_training", "03_evaluation", "05_localization")
_RUN = ("02_training", "03_evaluation", "05_localization")
_RUN_DIR = (*_RUN, "06_your_own_video")  # 06 detects with the run of 02-05
UNSET = ("", 0, -1, None)


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


@dataclass(frozen=True)
class NotebookParameter:
    """One notebook parameter.

    Attributes:
        name: the variable the ``parameters`` cell assigns.
        default: its value in the cell; for a config parameter, the "keep the profile's" value.
        help: what it is (the cell's comment and the table's description).
        notebooks: the notebooks that declare it.
        config_keys: the config values it sets (empty: not a config value).
        check: the values accepted (config values are checked by the config itself).
        accepts: ``check`` in words, for the error message.
    """

    name: str
    default: Any
    help: str
    notebooks: tuple[str, ...]
    config_keys: tuple[str, ...] = ()
    check: Callable[[Any], bool] | None = None
    accepts: str = ""


PARAMETERS: tuple[NotebookParameter, ...] = (
    NotebookParameter("profile", "tiny", "config profile: tiny (CI), workshop (offline CPU), ucf_crime, ... (GPU)",
                      tuple(NOTEBOOKS), check=_is_str, accepts="a profile name or a YAML path"),
    NotebookParameter("run_dir", "", 'run folder shared by notebooks 02, 03, 05 and 06; "" -> runs/<profile>', _RUN_DIR,
                      check=lambda v: isinstance(v, (str, os.PathLike)), accepts="a folder path"),
    NotebookParameter("data_root", "", "videos (or released features) root; \"\" keeps the profile's (or $STPROMPT_DATA_ROOT)", _DATA,
                      ("data.data_root",)),
    NotebookParameter("manifest", "", "manifest JSON; \"\" keeps the profile's", _DATA, ("data.manifest",)),
    NotebookParameter("feature_store", "", "feature store folder; \"\" keeps the profile's", _DATA,
                      ("data.feature_store",)),
    NotebookParameter("device", "", '"auto", "cpu" or "cuda"; "" keeps the profile\'s', _DATA,
                      ("extract.device", "train.device")),
    NotebookParameter("epochs", 0, "training epochs; 0 keeps the profile's", _RUN, ("train.epochs",)),
    NotebookParameter("seed", -1, "training seed; -1 keeps the profile's", _RUN, ("train.seed",)),
    NotebookParameter("overrides", {}, 'any other config value, e.g. {"model.sigma": 2.0}', tuple(NOTEBOOKS),
                      check=lambda v: isinstance(v, Mapping), accepts='a dict of config keys, e.g. {"model.sigma": 2.0}'),
    NotebookParameter("ablation_variants", ["full", "no SA2", "no adapter", "self-attention adapter",
                                            "no alignment branch", "baseline"],
                      '[] skips it; "random patches" re-extracts every patch token', ("02_training",),
                      check=lambda v: isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v),
                      accepts="a list of ablation variant names"),
    NotebookParameter("slider_video", "", 'test video of the snippet slider; "" picks the first abnormal one',
                      ("03_evaluation",), check=_is_str, accepts='a test video id, or "" for the first abnormal one'),
    NotebookParameter("explorer_videos", 3, "test videos in the explorer, one class after another",
                      ("05_localization",),
                      check=lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
                      accepts="a number of videos >= 0"),
    NotebookParameter("video", "", 'a video file or frame folder; "" renders a SynthVAD video from a seed no split uses',
                      ("06_your_own_video",), check=_is_str, accepts="a video path, or \"\" for a rendered example"),
    NotebookParameter("prompt_study", True, "localize under each prompt variant", ("05_localization",),
                      check=lambda v: isinstance(v, bool), accepts="True or False"),
)
BY_NAME: dict[str, NotebookParameter] = {p.name: p for p in PARAMETERS}
# The parameters each notebook declares, in the table's order; ``stprompt book`` passes each its own.
NOTEBOOK_USES: dict[str, tuple[str, ...]] = {nb: tuple(p.name for p in PARAMETERS if nb in p.notebooks)
                                             for nb in NOTEBOOKS}


def _literal(value: Any) -> str:
    """A parameter value as Python source, strings in double quotes."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return repr(value)


def parameters_cell(notebook: str) -> str:
    """The source of ``notebook``'s ``parameters`` cell, written from :data:`PARAMETERS`."""
    lines = [f"{p.name} = {_literal(p.default)}  # {p.help}" for p in PARAMETERS if notebook in p.notebooks]
    return (f"# Parameters: stprompt notebook {notebook[:2]} OUT -p NAME VALUE (or papermill -p). Any other name "
            "fails in the next cell.\n" + "\n".join(lines))


def setup_cell(notebook: str) -> str:
    """The source of the cell after the parameters: the checked config (and run dir)."""
    uses = NOTEBOOK_USES[notebook]
    shown = ("profile {cfg.profile}" + (", run dir {run_dir}" if "run_dir" in uses else "")
             + (", feature store {cfg.data.feature_store}" if "feature_store" in uses else ", dataset {cfg.data.dataset}"))
    return ("from stprompt_core.book import notebook_config\n\n"
            f"cfg, run_dir = notebook_config(globals(), {notebook!r})  # unknown parameter, wrong type, "
            "foreign run dir: fails here\n"
            f'print(f"{shown}")')


def parameters_markdown() -> str:
    """:data:`PARAMETERS` as a markdown table: the book's one description of them."""
    short = {nb: nb[:2] for nb in NOTEBOOKS}
    rows = ["| parameter | default | notebooks | sets | what it is |", "|---|---|---|---|---|"]
    for p in PARAMETERS:
        where = "all" if set(p.notebooks) == set(NOTEBOOKS) else ", ".join(short[nb] for nb in p.notebooks)
        sets = ", ".join(f"`{k}`" for k in p.config_keys) or "–"
        rows.append(f"| `{p.name}` | `{_literal(p.default)}` | {where} | {sets} | {p.help.replace('|', '/')} |")
    return "\n".join(rows) + "\n"


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
    allowed = NOTEBOOK_USES[notebook] if notebook else tuple(BY_NAME)
    unknown = sorted(set(user) - set(allowed))
    if unknown:
        name = unknown[0]
        if name in BY_NAME:
            raise ConfigError(f"notebook parameter {name!r} is not a parameter of {notebook} but of "
                              f"{', '.join(BY_NAME[name].notebooks)} (parameters here: {', '.join(allowed)})")
        near = difflib.get_close_matches(name, list(allowed), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise ConfigError(f"unknown notebook parameter {name!r}{hint} (parameters: {', '.join(allowed)})")
    for p in PARAMETERS:
        value = user.get(p.name)
        if p.check is not None and value is not None and not p.check(value):
            raise ConfigError(f"notebook parameter {p.name} must be {p.accepts}, got {value!r}")
    _check_variants(user.get("ablation_variants") or [])
    overrides: dict[str, Any] = {}
    for p in PARAMETERS:
        value = user.get(p.name)
        if p.config_keys and not _unset(value):
            overrides.update({k: value for k in p.config_keys})
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
    unknown = [v for v in variants if v not in variant_names()]
    if unknown:
        near = difflib.get_close_matches(unknown[0], variant_names(), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise ConfigError(f"notebook parameter ablation_variants: unknown variant {unknown[0]!r}{hint} "
                          f"(variants: {variant_names()})")


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
    src_dir = Path(src_dir or NOTEBOOK_DIR)
    check_parameters([src_dir / f"{name}.ipynb" for name in notebooks or NOTEBOOKS], parameters)
    notebook_config(parameters)


def parameters_for(notebook: str | Path, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The part of ``parameters`` a notebook declares: what ``stprompt book`` passes it."""
    declared = set(declared_parameters(notebook))
    return {k: v for k, v in parameters.items() if k in declared}
