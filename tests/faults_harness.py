"""Fault injection: kill a ``tiny``-profile stage at a random instant, rerun it, compare with a clean run.

Used by ``benchmarks/faults.py`` (the full sweep) and ``tests/integration/test_faults.py``
(a few kills per stage). Every stage is the real ``stprompt`` command, run as a subprocess
in a working directory of its own: the ``tiny`` profile's paths are relative
(``cache/synthvad/tiny``, ``cache/features/tiny``, ...), so a trial's outputs land in its
own folder while the command line stays the same as the reference's. ``cache/models`` (the
frozen MiniLM text tower SynthCLIP loads by relative path) is a symlink to the
repository's, read only.

For stage ``i`` of :data:`STAGES`, numbered as the work flows:

    1. reference   copy the reference tree of stage ``i - 1`` (every earlier output: this
                   stage's inputs; ``Stage.after`` names another, as ``detect`` starts from
                   the localized run, not the book) to ``ref/<stage>`` and run the command
                   there, timed;
    2. kill        copy the same tree to a trial folder, start the command, and at an
                   instant drawn from the seeded RNG (stratified over ``[0, duration)``)
                   SIGKILL its whole process tree (stopped first, so no child escapes:
                   papermill's kernels run in sessions of their own). Durations and
                   instants are CPU seconds of the process tree, so a kill lands at the
                   same point of the work however busy the machine is;
    3. rerun       run the same command there to completion;
    4. compare     the trial tree against the reference tree, path by path
                   (:func:`compare_trees`): nothing missing (``lost``), nothing extra
                   (``stray``: a ``*.tmp`` folder, ``.hf_cache``, a half-written file),
                   and every file equal by its :class:`Rule`. Inputs are in the tree too,
                   so a stage that damages what it reads is caught as well.

Equal means: bytes, except where a :class:`Rule` says otherwise: JSON with named fields
dropped (timings, timestamps, the checkout's git state, which other commits change during
a sweep, a lock holder's pid) and recorded file hashes checked against the trial's own
files, safetensors by header and tensor bytes (the header's metadata order is random per
process), feature stores array by array (:func:`assert_same_stores` of the extraction
tests: features up to batch rounding), executed notebooks by their cells, and the book's
HTML and staged sources by presence. The fields and files are listed in :data:`STAGES`
and :data:`COMMON_RULES`.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
# names that are temporaries or partial files wherever they appear (also reported when the reference has them)
TEMPORARY_NAMES = ("*.tmp", "*.incomplete", ".hf_cache", ".*.old", "*.partial")


@dataclass(frozen=True)
class Rule:
    """How files matching ``pattern`` (``fnmatch`` on the tree-relative POSIX path) are compared.

    ``kind``:
        ``bytes``     byte-identical;
        ``json``      equal after dropping the dotted ``ignore`` fields (``*`` matches any key
                      or list index), so ``log.*.seconds`` drops every epoch's timing, and
                      the ``digests`` fields checked against the trial's own files;
        ``jsonl``     one JSON object a line, each compared as ``json``;
        ``notebook``  same cells (type, source), same output types and MIME types per cell,
                      no error output (outputs carry widget ids, plotly div ids, timings);
        ``safetensors`` the header as JSON (safetensors writes its metadata map in a random order
                      per process), then the tensor bytes, exactly;
        ``presence``  only its existence (the content is compared by a :class:`Stage` store check).
    """

    pattern: str
    kind: str = "bytes"
    ignore: tuple[str, ...] = ()
    # (dotted field, file) for ``json``: the field must hold the SHA-256 of the trial's own file
    # (relative to the JSON's folder; ``{key}`` is the key the field's ``*`` matched). Compared
    # that way instead of with the reference: the file may legitimately differ (features up to
    # batch rounding, safetensors metadata order).
    digests: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Stage:
    """A stage of the ``tiny`` chain: its command and how its tree is compared.

    Attributes:
        name: the name in results (``synthvad``, ``synthclip``, ...).
        argv: arguments after ``stprompt``; paths relative to the stage's working folder.
        rules: first match wins; files matching none are compared as bytes.
        stores: feature-store folders compared array by array (their files: ``presence`` rules).
        after: the stage whose reference tree is this one's input ("": the stage listed before it).
    """

    name: str
    argv: tuple[str, ...]
    rules: tuple[Rule, ...] = ()
    stores: tuple[str, ...] = ()
    after: str = ""

    def rule(self, rel: str) -> Rule:
        return next((r for r in self.rules + COMMON_RULES if fnmatch.fnmatchcase(rel, r.pattern)), Rule(rel))


# every stage: the lock beside each entry (stprompt_core.locks) is kept by design; its JSON names the last holder
# safetensors: Rust writes the metadata map in a per-process random order, so the header is compared as JSON
COMMON_RULES = (Rule("*.lock", "presence"), Rule("*.lock.json", "json", ("pid", "since", "command")),
                Rule("*.safetensors", "safetensors"))
RUN = "runs/tiny"
STORE = "cache/features/tiny"
BOOK = "_build/book"
DETECT_VIDEO = "cache/synthvad/tiny/videos/test/test_fighting_000.mp4"
DETECT_OUT = "detections/test_fighting_000"
# fields that legitimately differ between two runs of the same command
SYNTHCLIP_TIMINGS = ("train.seconds_total", "train.seconds_train", "train.seconds_render", "train.seconds_decode",
                     "train.load_average_1m", "json_sha256")  # the JSON's own digest covers the timings
RUN_MANIFEST_VOLATILE = ("created", "git")  # the checkout's commit and dirty flag move while others work
STAGES: tuple[Stage, ...] = (
    Stage("synthvad", ("synthvad", "--preset", "tiny", "--out", "cache/synthvad/tiny")),
    Stage("synthclip", ("synthclip", "train", "--preset", "tiny"),
          rules=(Rule("cache/synthclip/*/tiny-seed0.json", "json", SYNTHCLIP_TIMINGS,
                      digests=(("weights.sha256", "tiny-seed0.safetensors"),)),)),
    Stage("extract", ("extract", "--profile", "tiny", "--no-progress"),
          rules=(Rule(f"{STORE}/store.json", "json", digests=(("files.*.sha256", "{key}"),)),
                 Rule(f"{STORE}/*", "presence")),
          stores=(STORE,)),
    Stage("train", ("train", "--profile", "tiny", "--run-dir", RUN),
          rules=(Rule(f"{RUN}/run_manifest.json", "json", RUN_MANIFEST_VOLATILE),
                 Rule(f"{RUN}/train_log.jsonl", "jsonl", ("seconds",)),
                 Rule(f"{RUN}/train_summary.json", "json", ("log.*.seconds",)))),
    Stage("evaluate", ("evaluate", "--run-dir", RUN),
          rules=(Rule(f"{RUN}/run_manifest.json", "json", RUN_MANIFEST_VOLATILE),
                 Rule(f"{RUN}/train_log.jsonl", "jsonl", ("seconds",)),
                 Rule(f"{RUN}/train_summary.json", "json", ("log.*.seconds",)))),
    Stage("localize", ("localize", "--run-dir", RUN),
          rules=(Rule(f"{RUN}/run_manifest.json", "json", RUN_MANIFEST_VOLATILE),
                 Rule(f"{RUN}/train_log.jsonl", "jsonl", ("seconds",)),
                 Rule(f"{RUN}/train_summary.json", "json", ("log.*.seconds",)),
                 Rule(f"{RUN}/localization.json", "json", ("timing",)))),
    Stage("book", ("book", "--profile", "tiny", "--out", BOOK, "--run-dir", RUN,
                   "-p", "ablation_variants", "[]", "-p", "prompt_study", "false"),
          rules=(Rule(f"{RUN}/run_manifest.json", "json", RUN_MANIFEST_VOLATILE),
                 Rule(f"{RUN}/train_log.jsonl", "jsonl", ("seconds",)),
                 Rule(f"{RUN}/train_summary.json", "json", ("log.*.seconds",)),
                 Rule(f"{RUN}/localization.json", "json", ("timing",)),
                 Rule(f"{BOOK}/book.json", "json", ("notebook_seconds.*", "execute_seconds", "build_seconds")),
                 Rule(f"{BOOK}/*.ipynb", "notebook"),
                 Rule(f"{BOOK}/src/build.log", "presence"),
                 # staged copies of the checkout's book sources and benchmark results (other work edits
                 # them during a sweep); every build removes and re-copies them whole
                 Rule(f"{BOOK}/src/book/*", "presence"), Rule(f"{BOOK}/src/_generated/*", "presence"),
                 Rule(f"{BOOK}/src/_config.yml", "presence"), Rule(f"{BOOK}/src/_toc.yml", "presence"),
                 Rule(f"{BOOK}/src/_build/*", "presence"))),
    # one SynthVAD test video through the localized run (not the book's tree: detect needs the run only)
    Stage("detect", ("detect", DETECT_VIDEO, "--run-dir", RUN, "--out", DETECT_OUT, "--no-progress"),
          rules=(Rule(f"{DETECT_OUT}/detect.json", "json", ("seconds", "frames_per_s")),), after="localize"),
)
STAGE_NAMES = tuple(s.name for s in STAGES)


def stage(name: str) -> Stage:
    """The stage called ``name`` (raises naming the known stages)."""
    for s in STAGES:
        if s.name == name:
            return s
    raise KeyError(f"unknown stage {name!r} (stages: {', '.join(STAGE_NAMES)})")


# ---------------------------------------------------------------------------------------------- running


def stage_env(work: Path, code: Path | None = None) -> dict[str, str]:
    """The environment every run gets: offline, no progress bars, one BLAS/OpenMP thread (the
    same for the reference and the trials; gentle on a shared machine); with ``code``, the
    package is imported from there (``PYTHONPATH`` comes before the editable install)."""
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = str(code)
    env.update({"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(work / "hf_home"),
                "TQDM_DISABLE": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"})
    return env


def snapshot_code(dest: Path, rev: str = "HEAD") -> str:
    """Export commit ``rev`` of the checkout to ``dest`` (``git archive``; the vendored book
    JavaScript, which git ignores, linked in); returns the commit's SHA. A sweep runs on this
    copy, so edits others make to the shared tree meanwhile do not change the code under test."""
    sha = subprocess.run(["git", "rev-parse", rev], cwd=REPO_ROOT, capture_output=True, text=True,
                         check=True).stdout.strip()
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", "--format=tar", sha], cwd=REPO_ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    node_modules = REPO_ROOT / "tools" / "book_js" / "node_modules"
    if node_modules.exists():
        (dest / "tools" / "book_js" / "node_modules").symlink_to(node_modules, target_is_directory=True)
    return sha


def seed_tree(root: Path) -> None:
    """An empty working folder with ``cache/models`` linked to the repository's (read only)."""
    (root / "cache").mkdir(parents=True, exist_ok=True)
    link = root / "cache" / "models"
    if not link.exists():
        link.symlink_to(REPO_ROOT / "cache" / "models", target_is_directory=True)


def copy_tree(src: Path, dst: Path) -> None:
    """A full copy of a working folder (symlinks kept as links, mtimes kept: the pipeline's
    cache-or-compute compares them)."""
    shutil.copytree(src, dst, symlinks=True)


def run_to_end(command: list[str], cwd: Path, env: dict[str, str], log: Path, timeout: float
               ) -> tuple[int, float, float]:
    """Run ``command`` in ``cwd`` to completion; output goes to ``log``.

    Returns:
        (exit status, wall seconds, CPU seconds of the process and every descendant it waited for).
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    t0, cpu0 = time.perf_counter(), _children_cpu()
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_tree(proc.pid)
            proc.wait()
            rc = -9
    return rc, time.perf_counter() - t0, _children_cpu() - cpu0


def _children_cpu() -> float:
    """User + system CPU seconds of this process's waited-for children (and theirs)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by ``pid`` and its descendants (those alive and those they reaped)."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


def run_and_kill(command: list[str], cwd: Path, env: dict[str, str], log: Path, at_cpu: float,
                 poll_s: float = 0.01) -> float | None:
    """Start ``command`` in ``cwd`` and SIGKILL its process tree once the tree has used
    ``at_cpu`` CPU seconds: a point in the stage's work that does not move with the load other
    jobs put on the machine (wall-clock instants would land mostly in imports when it is busy).

    Returns:
        Wall seconds from the start to the kill; None when the command exited first.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        while proc.poll() is None:
            if tree_cpu_seconds(proc.pid) >= at_cpu:
                kill_tree(proc.pid)
                proc.wait()
                return round(time.perf_counter() - t0, 3)
            time.sleep(poll_s)
    return None


def kill_tree(pid: int) -> None:
    """SIGKILL ``pid`` and every descendant, as a power cut would: each process is stopped
    (SIGSTOP) before its children are listed, so none can start a child that escapes, then
    all are killed."""
    import psutil

    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    stopped: list[psutil.Process] = []
    queue = [root]
    while queue:
        p = queue.pop()
        try:
            p.send_signal(signal.SIGSTOP)
            stopped.append(p)
            queue += p.children()
        except psutil.NoSuchProcess:
            continue
    for p in stopped:
        try:
            p.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs([p for p in stopped if p.pid != pid], timeout=10)


# ------------------------------------------------------------------------------------------- comparing


def tree_entries(root: Path) -> dict[str, str]:
    """Every path under ``root`` (relative, POSIX) -> ``file``, ``dir`` or ``link``; links are not followed."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        for name in dirnames + filenames:
            p = base / name
            rel = p.relative_to(root).as_posix()
            out[rel] = "link" if p.is_symlink() else "dir" if p.is_dir() else "file"
    return out


def is_temporary(rel: str) -> bool:
    """A path one of whose parts is named like a temporary or partial file."""
    return any(fnmatch.fnmatchcase(part, pat) for part in rel.split("/") for pat in TEMPORARY_NAMES)


def drop_fields(obj: Any, paths: Iterable[str]) -> Any:
    """A copy of ``obj`` without the dotted ``paths`` (``*`` matches any key or index)."""
    obj = json.loads(json.dumps(obj))
    for path in paths:
        _drop(obj, path.split("."))
    return obj


def _drop(obj: Any, keys: list[str]) -> None:
    head, rest = keys[0], keys[1:]
    if isinstance(obj, dict):
        targets = list(obj) if head == "*" else [head] if head in obj else []
    elif isinstance(obj, list):
        targets = (list(range(len(obj))) if head == "*"
                   else [int(head)] if head.isdigit() and int(head) < len(obj) else [])
    else:
        return
    for k in reversed(targets):
        if rest:
            _drop(obj[k], rest)
        else:
            del obj[k]


def field_values(obj: Any, keys: list[str], bound: str = "") -> Iterator[tuple[str, Any]]:
    """(the key a ``*`` matched, value) of every place the dotted ``keys`` reach in ``obj``."""
    if not keys:
        yield bound, obj
        return
    head, rest = keys[0], keys[1:]
    if isinstance(obj, dict):
        for k in (list(obj) if head == "*" else [head] if head in obj else []):
            yield from field_values(obj[k], rest, k if head == "*" else bound)


def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    """The dotted path of the first place ``a`` and ``b`` differ, with both values; None when equal."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}{k}: only in {'reference' if k in a else 'trial'}"
            d = first_difference(a[k], b[k], f"{path}{k}.")
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path.rstrip('.')}: length {len(a)} vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}{i}.")
            if d:
                return d
        return None
    if a != b or type(a) is not type(b):
        return f"{path.rstrip('.')}: {str(a)[:80]!r} vs {str(b)[:80]!r}"
    return None


def safetensors_parts(path: Path) -> tuple[dict[str, Any], bytes]:
    """A safetensors file's header (8-byte little-endian length, then JSON) and its data bytes."""
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    if len(raw) < 8 + n:
        raise ValueError(f"{path}: truncated safetensors header")
    return json.loads(raw[8:8 + n]), raw[8 + n:]


def notebook_shape(path: Path) -> list[dict[str, Any]]:
    """Per cell: type, source, and per output its type, MIME types and error name."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = []
    for c in nb.get("cells", []):
        outs = [{"output_type": o.get("output_type"), "mimes": sorted(o.get("data", {})),
                 "stream": o.get("name"), "error": o.get("ename")} for o in c.get("outputs", [])]
        cells.append({"cell_type": c.get("cell_type"), "source": "".join(c.get("source", "")), "outputs": outs})
    return cells


def compare_file(rule: Rule, ref: Path, trial: Path) -> str | None:
    """None when ``trial`` equals ``ref`` under ``rule``; otherwise what differs."""
    try:
        if rule.kind == "presence":
            return None
        if rule.kind == "bytes":
            a, b = ref.read_bytes(), trial.read_bytes()
            if a == b:
                return None
            at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            return f"bytes differ ({len(a)} vs {len(b)} bytes, first at offset {at})"
        if rule.kind == "json":
            from stprompt_core import io  # here, not at import: a sweep puts its snapshot first on sys.path

            a, b = json.loads(ref.read_text()), json.loads(trial.read_text())
            for field_path, target in rule.digests:
                for key, value in field_values(b, field_path.split(".")):
                    path = trial.parent / target.format(key=key)
                    if not path.is_file() or io.file_sha256(path) != value:
                        return f"{field_path} ({key or target}): {str(value)[:12]}… is not the SHA-256 of {path.name}"
            drop = rule.ignore + tuple(f for f, _ in rule.digests)
            return first_difference(drop_fields(a, drop), drop_fields(b, drop))
        if rule.kind == "jsonl":
            a = [drop_fields(json.loads(x), rule.ignore) for x in ref.read_text().splitlines() if x.strip()]
            b = [drop_fields(json.loads(x), rule.ignore) for x in trial.read_text().splitlines() if x.strip()]
            return first_difference(a, b)
        if rule.kind == "safetensors":
            (ha, da), (hb, db) = safetensors_parts(ref), safetensors_parts(trial)
            return first_difference(ha, hb) or (None if da == db else "tensor bytes differ")
        if rule.kind == "notebook":
            a, b = notebook_shape(ref), notebook_shape(trial)
            errors = [o["error"] for c in b for o in c["outputs"] if o["error"]]
            return f"error output {errors[0]}" if errors else first_difference(a, b)
    except (ValueError, OSError) as exc:  # unreadable / half-written trial file
        return f"{type(exc).__name__}: {exc}"
    raise ValueError(f"Rule({rule.pattern!r}): unknown kind {rule.kind!r}")


def _extract_fixtures():
    """``tests/unit/features/extract_fixtures.py`` (its ``assert_same_stores``), loaded by path:
    that folder is not a package; the unit tests import it under the same name. Under a code
    snapshot (``sys.path[0]``, :func:`snapshot_code`), the snapshot's copy."""
    name = "extract_fixtures"
    if name not in sys.modules:
        root = Path(sys.path[0]) if (Path(sys.path[0] or ".") / "stprompt_core").is_dir() else REPO_ROOT
        spec = importlib.util.spec_from_file_location(name, root / "tests" / "unit" / "features" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def compare_store(ref: Path, trial: Path) -> str | None:
    """None when the stores hold the same videos and arrays (features up to batch rounding)."""
    try:
        _extract_fixtures().assert_same_stores(ref, trial)
    except Exception as exc:  # noqa: BLE001 - an assertion or an unreadable store: both are a difference
        return f"{type(exc).__name__}: {str(exc).strip()[:400]}"
    return None


@dataclass
class Comparison:
    lost: list[str] = field(default_factory=list)  # in the reference, missing after the rerun
    stray: list[str] = field(default_factory=list)  # after the rerun, not in the reference
    different: dict[str, str] = field(default_factory=dict)  # path -> what differs
    temporaries: list[str] = field(default_factory=list)  # named like a temporary, in either tree

    @property
    def equal(self) -> bool:
        return not (self.lost or self.stray or self.different or self.temporaries)


def compare_trees(st: Stage, ref: Path, trial: Path) -> Comparison:
    """Compare the trial's working folder with the reference's under ``st``'s rules."""
    a, b = tree_entries(ref), tree_entries(trial)
    out = Comparison(lost=sorted(set(a) - set(b)), stray=sorted(set(b) - set(a)))
    out.temporaries = sorted(p for p in set(a) | set(b) if is_temporary(p))
    for rel in sorted(set(a) & set(b)):
        if a[rel] != b[rel]:
            out.different[rel] = f"{a[rel]} vs {b[rel]}"
        elif a[rel] == "file":
            diff = compare_file(st.rule(rel), ref / rel, trial / rel)
            if diff:
                out.different[rel] = diff
        elif a[rel] == "link" and os.readlink(ref / rel) != os.readlink(trial / rel):
            out.different[rel] = "links point elsewhere"
    for store in st.stores:
        if (ref / store).is_dir() and (trial / store).is_dir():
            diff = compare_store(ref / store, trial / store)
            if diff:
                out.different[store + "/"] = diff
    return out


# --------------------------------------------------------------------------------------------- trials


def kill_instants(duration: float, n: int, seed: int, stage_index: int, span: float = 1.0) -> list[float]:
    """``n`` kill instants over ``[0, span * duration)``: one uniform draw in each of ``n`` equal
    slices (stratified, so a few kills still cover the whole run), in random order; seeded by
    ``(seed, stage_index)``. The harness measures durations and instants in CPU seconds of the
    stage's process tree (:func:`run_and_kill`)."""
    rng = np.random.default_rng([seed, stage_index])
    edges = (np.arange(n) + rng.random(n)) / n * span * duration
    return [round(float(t), 3) for t in rng.permutation(edges)]


@dataclass
class Trial:
    stage: str
    kill_at: float  # CPU seconds of the stage's process tree (-1: no kill)
    kill_wall: float | None = None  # wall seconds from its start to the kill
    landed: bool = False
    recovered: bool = False
    equal: bool = False
    rerun_rc: int | None = None
    rerun_seconds: float | None = None
    comparison: Comparison = field(default_factory=Comparison)
    error: str = ""  # tail of the rerun's output when it failed

    def failure(self) -> dict[str, Any] | None:
        """What went wrong, as a JSON record; None for a clean trial."""
        if self.recovered and self.equal:
            return None
        c = self.comparison
        kind = ("rerun failed" if not self.recovered else "files lost" if c.lost else "outputs differ" if c.different
                else "stray files")
        return {"stage": self.stage, "kind": kind, "kill_at_cpu_s": self.kill_at, "kill_at_wall_s": self.kill_wall,
                "kill_landed": self.landed,
                "rerun_exit": self.rerun_rc, "rerun_error": self.error or None,
                "lost": c.lost[:20], "stray": c.stray[:20], "temporaries": c.temporaries[:20],
                "different": dict(list(c.different.items())[:20])}


class Harness:
    """References and trials under one work folder.

    Layout: ``ref/<stage>/`` (reference trees, kept), ``trials/<stage>-<k>/`` (removed after a
    clean trial, kept when it failed), ``logs/`` (every command's output).
    """

    def __init__(self, work: str | Path, code: str | Path | None = None, timeout_factor: float = 10.0,
                 min_timeout: float = 120.0):
        """``code``: a package tree to run (:func:`snapshot_code`) instead of the installed ``stprompt``."""
        self.work = Path(work).resolve()
        self.code = Path(code).resolve() if code is not None else None
        self.env = stage_env(self.work, self.code)
        stprompt = Path(sys.executable).with_name("stprompt")
        self.prefix = ([sys.executable, "-m", "stprompt_core.cli"] if self.code or not stprompt.exists()
                       else [str(stprompt)])  # the command every run starts with
        self.timeout_factor, self.min_timeout = timeout_factor, min_timeout
        self.durations: dict[str, float] = {}  # wall seconds of the reference runs
        self.cpu: dict[str, float] = {}  # their CPU seconds (the scale of the kill instants)

    def ref(self, name: str) -> Path:
        return self.work / "ref" / name

    def _inputs(self, name: str) -> Path:
        """The tree a stage starts from: the reference of the stage before it (``Stage.after``; an
        empty seeded tree for the first)."""
        before = _before(name)
        if before is None:
            base = self.work / "ref" / "_empty"
            if not base.exists():
                seed_tree(base)
            return base
        return self.ref(before)

    def _marker(self, name: str) -> Path:
        return self.work / "ref" / f"{name}.done.json"

    def _log(self, name: str) -> Path:
        return self.work / "logs" / f"{name}.log"

    def reference(self, name: str) -> float:
        """Run stage ``name`` uninterrupted (and every earlier stage without a reference yet);
        returns its CPU seconds. A finished reference is reused (its times from ``ref/<stage>.done.json``)."""
        before = _before(name)
        if before is not None and not self._marker(before).exists():
            self.reference(before)
        ref, marker, log = self.ref(name), self._marker(name), self._log(f"{name}-reference")
        if marker.exists():
            done = json.loads(marker.read_text())
            self.durations[name], self.cpu[name] = done["seconds"], done["cpu_seconds"]
            return self.cpu[name]
        if ref.exists():
            shutil.rmtree(ref)
        copy_tree(self._inputs(name), ref)
        rc, seconds, cpu = run_to_end([*self.prefix, *stage(name).argv], ref, self.env, log, timeout=3600)
        if rc != 0:
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"reference run of {name} failed (exit {rc}):\n{tail}")
        self.durations[name], self.cpu[name] = round(seconds, 3), round(cpu, 3)
        marker.write_text(json.dumps({"seconds": self.durations[name], "cpu_seconds": self.cpu[name]}))
        return self.cpu[name]

    def trial(self, name: str, k: int, kill_at: float | None, dying: list[str] | None = None) -> Trial:
        """Kill stage ``name`` once it has used ``kill_at`` CPU seconds (None: no kill, a control
        run), rerun it, compare.

        Args:
            dying: instead of a timed kill, a command run first in the trial folder that does
                the stage's work and dies at a chosen point of it (``os._exit(137)``: what a
                SIGKILL there leaves on disk); the trial counts as killed when it exits 137.
        """
        st = stage(name)
        ref = self.ref(name)
        folder = self.work / "trials" / f"{name}-{k:02d}"
        if folder.exists():
            shutil.rmtree(folder)
        copy_tree(self._inputs(name), folder)
        t = Trial(name, -1.0 if kill_at is None else kill_at)
        if dying is not None:
            rc, wall, _ = run_to_end(dying, folder, self.env, self._log(f"{name}-{k:02d}-killed"),
                                     timeout=self.min_timeout)
            t.landed, t.kill_wall = rc == 137, round(wall, 3)
        elif kill_at is not None:
            t.kill_wall = run_and_kill([*self.prefix, *st.argv], folder, self.env,
                                       self._log(f"{name}-{k:02d}-killed"), kill_at)
            t.landed = t.kill_wall is not None
        timeout = max(self.min_timeout, self.timeout_factor * self.durations.get(name, self.min_timeout))
        log = self._log(f"{name}-{k:02d}-rerun")
        t.rerun_rc, seconds, _ = run_to_end([*self.prefix, *st.argv], folder, self.env, log, timeout)
        t.rerun_seconds = round(seconds, 2)
        t.recovered = t.rerun_rc == 0
        if not t.recovered:
            t.error = log.read_text(errors="replace")[-2000:]
        t.comparison = compare_trees(st, ref, folder)
        t.equal = t.comparison.equal
        if t.recovered and t.equal:
            shutil.rmtree(folder)
        return t


def _before(name: str) -> str | None:
    """The stage whose reference tree ``name`` starts from (None for the first)."""
    i = STAGE_NAMES.index(name)
    return stage(name).after or (STAGE_NAMES[i - 1] if i > 0 else None)


def summarize(trials: list[Trial]) -> dict[str, int]:
    """``{"kills", "recovered", "outputs_equal", "lost_files", ...}`` of one stage's kill trials.

    ``kills`` counts kills that landed (a command that had already exited was not killed:
    ``finished_before_kill``); ``recovered``: of those, reruns that exited 0;
    ``outputs_equal``: of those, trees equal to the reference (nothing lost, nothing stray,
    every file equal); ``lost_files``: reference paths missing after the reruns, summed;
    ``stray_files``: paths the reruns left that the reference lacks, summed.
    """
    landed = [t for t in trials if t.landed]
    return {"kills": len(landed), "recovered": sum(t.recovered for t in landed),
            "outputs_equal": sum(t.recovered and t.equal for t in landed),
            "lost_files": sum(len(t.comparison.lost) for t in landed),
            "stray_files": sum(len(t.comparison.stray) for t in landed),
            "finished_before_kill": len(trials) - len(landed)}


def trial_record(t: Trial) -> dict[str, Any]:
    return {"kill_at_cpu_s": t.kill_at, "kill_at_wall_s": t.kill_wall, "landed": t.landed,
            "recovered": t.recovered, "equal": t.equal,
            "rerun_seconds": t.rerun_seconds}

