"""Colab, rehearsed: the notebooks' install cell in a fresh venv that has its own, different torch.

What a Colab runtime looks like to the cell, and how this rehearsal stands in for it:

- **A torch of its own.** Colab ships its own CUDA build of torch and torchvision in the
  system site-packages, outside any venv. Here the fresh venv sees, through a ``.pth`` file,
  a folder holding the *older* torch that this machine's local pip sources have (``torch<X.Y``
  where X.Y is the running torch: 2.13.0+cpu against this environment's 2.14.1+cu130) and the
  torchvision that pins it (0.28.0), installed by pip from local folders and ``file://``
  indexes only (``--isolated``: never a network index); the test skips if there is none. A
  genuinely different version, not a relabelled copy, because that is what catches the
  regressions that matter: a cell asking for the ``torch`` extra, or a dependency pinning
  ``torch==2.14.1``, would replace it. pip never changes a folder outside the venv; a torch it
  installed instead would land in the venv's own site-packages, first on ``sys.path``, and the
  version check would see it. The folder is built once under ``.cache/colab_rehearsal/``
  (ignored by git): unpacking it takes about 15 s, but deleting its 800 MB again took 43 s on
  this disk. Caveat: the only torchvision 0.28 on disk is a CUDA build whose C extension
  cannot load against a CPU torch, so ``import torchvision`` (and open_clip) fails in this
  venv. What the notebooks import does not load it at import time, and the test imports every
  ``import`` statement of every notebook cell there.
- **Python 3.12.** Colab runs 3.12; this rehearsal runs the interpreter of the test run (3.11
  here). The other packages come from this environment through the same ``.pth`` file (as
  in ``test_wheel_install.py``), listed after the torch folder, so that torch shadows this
  environment's; they are built for this interpreter, and the machine has no torch for 3.12
  (pyenv's 3.12.1 has none, and no cp312 wheel lies on disk): a 3.12 venv would need every
  dependency, torch included, from the network.
- **No network.** pip runs with ``PIP_NO_INDEX=1`` and ``PIP_NO_BUILD_ISOLATION=0`` (build
  isolation off, so setuptools comes from this environment); the package's dependencies are
  then found installed, which is what Colab's preinstalled stack does for most of them.
- **The notebook opened from a clone.** The "GitHub" the cell clones from is a git repository
  made from this working tree (tracked and untracked, not ignored, files) in a temp folder,
  reached as a ``file://`` address.

The tests: (a) ``tools/colab_setup.py``, copied alone to a folder outside any clone, clones,
installs and keeps the preinstalled torch; asking it for the ``torch`` extra fails loudly and
still keeps it. (b) Each notebook's first code cells (install cell, parameters, config) run in
that venv with ``google.colab`` faked and the clone address pointed at the local repository:
the working directory becomes the clone, the package is imported from it, torch is the
preinstalled one, and the config picks ``cpu`` without CUDA and ``cuda`` with
``torch.cuda.is_available`` patched to True (``profile = "ucf_crime"`` or ``device = "auto"``
injected as papermill would; the ``tiny`` profile as written stays on ``cpu``). (c) The
repository's address is written once, ``REPOSITORY`` in ``tools/colab_setup.py``: every
address in the notebooks is derived from it, and a generator run with another value writes
that value everywhere.

Measured on two cores busy with other work (load 3 to 4): 75 s of wall time and 46 s of CPU
with the torch folder cached (9 s for the venv and the origin repository, 23 s for (a), 43 s
for (b), under a second for (c)); the first run adds about 22 s to build the folder.
"""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
SETUP = REPO / "tools" / "colab_setup.py"
CACHE = REPO / ".cache" / "colab_rehearsal"


def load_setup():
    spec = importlib.util.spec_from_file_location("colab_setup", SETUP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


colab_setup = load_setup()


def run(cmd: list, cwd: Path, env: dict | None = None, timeout: int = 300, check: bool = True):
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check:
        assert proc.returncode == 0, f"{cmd} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def local_pip_sources() -> list[str]:
    """pip arguments naming only the local folders and ``file://`` indexes pip is configured with."""
    listing = run([sys.executable, "-m", "pip", "config", "list"], cwd=REPO).stdout
    links, indexes = [], []
    for line in listing.splitlines():
        key, _, value = line.partition("=")
        option = key.rsplit(".", 1)[-1]
        for item in value.strip().strip("'\"").split():
            if option == "find-links" and (item.startswith("file:") or os.path.isabs(item)):
                links.append(item)
            elif option in ("index-url", "extra-index-url") and item.startswith("file:"):
                indexes.append(item)
    links, indexes = list(dict.fromkeys(links)), list(dict.fromkeys(indexes))
    args = [a for link in links for a in ("--find-links", link)]
    if not indexes:
        return ["--no-index", *args]
    return ["--index-url", indexes[0], *[a for i in indexes[1:] for a in ("--extra-index-url", i)], *args]


def older(name: str) -> str:
    """``name<X.Y``: a release below the minor version installed here."""
    major, minor = metadata.version(name).split(".")[:2]
    return f"{name}<{major}.{minor}"


def probe(python: Path, code: str, cwd: Path, env: dict) -> dict:
    return json.loads(run([python, "-c", code], cwd=cwd, env=env).stdout.strip().splitlines()[-1])


PACKAGE_PROBE = ("import json, torch, stprompt_core; "
                 "print(json.dumps({'torch': torch.__version__, 'package': stprompt_core.__file__}))")


def preinstalled_torch() -> Path:
    """A folder holding the runtime's own torch: an older release and its torchvision.

    Installed once (``pip --target --no-deps``, local files only: ``--isolated`` drops the
    configured indexes) under ``.cache/colab_rehearsal/``, keyed by this interpreter and the
    releases asked for; the test skips when the machine's local pip sources hold none.
    """
    wanted = [older("torch"), older("torchvision")]
    key = f"py{sys.version_info[0]}{sys.version_info[1]}-" + "-".join(w.replace("<", "-below-") for w in wanted)
    folder = CACHE / key
    if (folder / "complete").is_file():
        return folder
    CACHE.mkdir(parents=True, exist_ok=True)
    for stale in CACHE.glob(".building-*"):  # left by a killed run
        if time.time() - stale.stat().st_mtime > 3600:
            shutil.rmtree(stale, ignore_errors=True)
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=CACHE))
    building.chmod(0o755)
    proc = run([sys.executable, "-m", "pip", "install", "--isolated", "-q", "--disable-pip-version-check", "--no-deps",
                "--no-warn-script-location", "--target", building, *local_pip_sources(), *wanted],
               cwd=CACHE, timeout=600, check=False)
    found = {d.metadata["Name"]: d for d in metadata.distributions(path=[str(building)])} if not proc.returncode else {}
    torch, vision = found.get("torch"), found.get("torchvision")
    pins = [Requirement(r) for r in (vision.requires or [] if vision else [])]
    paired = bool(torch) and any(r.name == "torch" and torch.version in r.specifier for r in pins)  # torchvision pins it
    if not paired:
        shutil.rmtree(building, ignore_errors=True)
        pytest.skip(f"no torch below {metadata.version('torch')} with its torchvision in this machine's local pip "
                    f"sources: {proc.stderr.strip().splitlines()[-1:]}")
    (building / "complete").write_text(f"{torch.version} {vision.version}\n")
    try:
        building.rename(folder)
    except OSError:  # another run finished first
        shutil.rmtree(building, ignore_errors=True)
    return folder


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    """(python, environment, preinstalled torch version, origin folder) of the Colab-like venv."""
    tmp = tmp_path_factory.mktemp("colab")
    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp)
    python = venv / "bin" / "python"
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                    cwd=tmp, env=base).stdout.strip())
    # after the venv's own site-packages: the runtime's torch, then this environment's other packages
    reused = dict.fromkeys([str(preinstalled_torch()), *(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))])
    (site / "_reuse_test_environment.pth").write_text("".join(f"{p}\n" for p in reused))
    torch_version = run([python, "-c", "import torch; print(torch.__version__)"], cwd=tmp, env=base).stdout.strip()
    assert torch_version != __import__("torch").__version__, "the rehearsal's torch must differ from this one"

    # "GitHub": this working tree as a git repository, named as the real one (the cell clones into that name)
    origin = tmp / "origin" / colab_setup.clone_name()
    listed = run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO).stdout.split("\0")
    for rel in filter(None, listed):
        if (REPO / rel).is_file():  # a tracked file deleted in the working tree is left out
            (origin / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, origin / rel)
    git = ["git", "-c", "user.name=rehearsal", "-c", "user.email=rehearsal@localhost"]
    run([*git, "init", "-q", "-b", colab_setup.BRANCH], cwd=origin)
    run([*git, "add", "-A"], cwd=origin)
    run([*git, "commit", "-q", "-m", "snapshot of the working tree"], cwd=origin)

    env = {**base, "PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
           "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    print(f"Colab-like venv: Python {sys.version.split()[0]}, torch {torch_version}")
    return python, env, torch_version, origin


def test_script_clones_installs_and_keeps_torch(colab, tmp_path):
    python, env, torch_version, origin = colab
    content = tmp_path / "content"  # Colab's working folder; the script was downloaded on its own
    content.mkdir()
    shutil.copy2(SETUP, content / SETUP.name)
    proc = run([python, SETUP.name, "--url", origin.as_uri(), "--branch", colab_setup.BRANCH], cwd=content, env=env)
    clone = content / colab_setup.clone_name()
    assert (clone / ".git").exists() and (clone / "tools" / SETUP.name).is_file()
    assert f"torch {torch_version} kept" in proc.stdout and f"working directory {clone}" in proc.stdout

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    seen = probe(python, PACKAGE_PROBE, elsewhere, env)
    assert seen["torch"] == torch_version
    assert Path(seen["package"]).resolve().is_relative_to(clone.resolve())

    # a second run finds the install and leaves pip alone
    again = run([python, SETUP.name, "--url", origin.as_uri()], cwd=content, env=env)
    assert "skipped: already installed from this clone" in again.stdout

    # the torch extra pins another torch: refused loudly, the preinstalled one stays
    bad = run([python, SETUP.name, "--url", origin.as_uri(), "--extras", "torch", "--force"], cwd=content, env=env,
              check=False)
    assert bad.returncode == 1 and "pip install failed" in bad.stderr and f"torch=={torch_version}" in bad.stderr
    assert probe(python, PACKAGE_PROBE, elsewhere, env)["torch"] == torch_version


# Runs one notebook's first code cells as Colab would, then checks the device choice.
DRIVER = r"""
import ast, json, os, sys, types

notebook, address, local = sys.argv[1:4]
sys.modules["google.colab"] = types.ModuleType("google.colab")  # what the install cell looks for
cells = ["".join(c["source"]) for c in json.load(open(notebook))["cells"] if c["cell_type"] == "code"]
install, parameters, config = cells[:3]
assert install.count(address) == 1, "the install cell names the repository once"
namespace = {"__name__": "__main__"}
exec(compile(install.replace(address, local), "install cell", "exec"), namespace)
import torch
import stprompt_core
from stprompt_core.runtime import resolve_device

def run_config(injected):
    ns = {"__name__": "__main__"}
    exec(compile(parameters, "parameters cell", "exec"), ns)
    exec("".join(f"{k} = {v!r}\n" for k, v in injected.items()), ns)  # papermill's injected-parameters cell
    exec(compile(config, "config cell", "exec"), ns)
    cfg = ns["cfg"]
    return cfg, sorted({cfg.train.device, cfg.extract.device})

variants = {"as written": {}, "profile ucf_crime": {"profile": "ucf_crime"}}
if "\ndevice = " in parameters:
    variants["device auto"] = {"device": "auto"}
devices = {}
for name, injected in variants.items():
    cfg, requested = run_config(injected)
    torch.cuda.is_available = lambda: False
    without = sorted({str(resolve_device(d)) for d in requested})
    torch.cuda.is_available = lambda: True
    with_cuda = sorted({str(resolve_device(d)) for d in requested})
    devices[name] = {"requested": requested, "no cuda": without, "cuda": with_cuda}
torch.cuda.is_available = lambda: False
for i, source in enumerate(cells[3:], start=4):  # every later cell's imports
    for node in ast.parse(source).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            exec(compile(ast.Module([node], []), f"code cell {i}", "exec"), {})
print(json.dumps({"cwd": os.getcwd(), "package": stprompt_core.__file__, "torch": torch.__version__,
                  "devices": devices}))
"""


def test_notebooks_first_cells_in_colab(colab, tmp_path):
    python, env, torch_version, origin = colab
    content = tmp_path / "content"  # a fresh runtime: the first notebook clones and installs
    content.mkdir()
    clone = content / colab_setup.clone_name()
    notebooks = sorted((REPO / "notebooks").glob("*.ipynb"))
    assert len(notebooks) == 6
    for notebook in notebooks:  # the later ones find the clone (a re-run of the cell in that runtime)
        proc = run([python, "-c", DRIVER, notebook, colab_setup.REPOSITORY, origin.as_uri()], cwd=content, env=env)
        seen = json.loads(proc.stdout.strip().splitlines()[-1])
        assert Path(seen["cwd"]).resolve() == clone.resolve(), notebook.name
        assert Path(seen["package"]).resolve().is_relative_to(clone.resolve()), notebook.name
        assert seen["torch"] == torch_version, notebook.name
        devices = seen["devices"]
        assert devices["as written"] == {"requested": ["cpu"], "no cuda": ["cpu"], "cuda": ["cpu"]}, notebook.name
        for name in set(devices) - {"as written"}:
            assert devices[name] == {"requested": ["auto"], "no cuda": ["cpu"], "cuda": ["cuda"]}, (notebook.name, name)
        # 04 computes nothing and 06 detects with the run's own settings: neither takes a device
        assert ("device auto" in devices) == (notebook.name not in ("04_prompt_generation.ipynb",
                                                                   "06_your_own_video.ipynb"))
    assert (clone / ".git").exists()


def test_repository_address_is_one_setting(tmp_path):
    address, slug = colab_setup.REPOSITORY, colab_setup.github_slug()
    # written once in the source: tools/colab_setup.py; the notebooks and the README's tests badge
    # hold what it derives
    hits = run(["git", "grep", "--untracked", "-n", "-F", slug, "--", ".", ":!notebooks"], cwd=REPO,
               check=False).stdout.splitlines()
    badge = colab_setup.workflow_badge("tests.yml")
    hits = [h for h in hits if not (h.startswith("README.md:") and h.split(":", 2)[2] == badge)]
    assert [h.split(":")[0] for h in hits] == ["tools/colab_setup.py"], hits
    # every address in the notebooks is the setting's
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        text = json.loads(path.read_text())
        sources = ["".join(c["source"]) for c in text["cells"]]
        found = set(re.findall(r"https://(?:github\.com|colab\.research\.google\.com)/[^\s)\"']+", "\n".join(sources)))
        assert found == {address, colab_setup.colab_url(path.stem)}, (path.name, found)
    # a fork: tests/unit/book/test_notebook_sources.py retargets a copy
