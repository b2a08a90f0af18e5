"""A plain (non-editable) wheel install runs the CLI from a folder outside the repository.

Builds the wheel from a copy of the package (``pip wheel --no-deps --no-build-isolation``:
setuptools and wheel from this environment, nothing downloaded), installs it into a fresh
venv, and runs ``stprompt prompts`` and ``stprompt synthvad`` there with the working directory
outside the repository and no ``PYTHONPATH``.

The fresh venv reuses this environment's packages (torch, open_clip, ...) through a ``.pth``
file naming this interpreter's site-packages. ``venv --system-site-packages`` would not do:
it exposes the *base* interpreter's site-packages, and this one is usually a venv itself. A
path listed in a ``.pth`` file is only appended to ``sys.path``; the ``.pth`` files inside
it (the editable install's import hook) are not run, and the venv's own site-packages comes
first, so ``import stprompt_core`` finds the wheel's copy, which the test checks.
About 20 s on 2 busy cores.
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

import stprompt_core

pytestmark = pytest.mark.slow
REPO = Path(stprompt_core.__file__).resolve().parents[1]
PACKAGE = REPO / "stprompt_core"


def run(cmd: list, cwd: Path, env: dict, timeout: int = 300) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv folder, environment, work folder): the wheel installed in a fresh venv."""
    tmp = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    # a copy, so that the build's build/ and *.egg-info never land in the working tree
    src = tmp / "src"
    shutil.copytree(PACKAGE, src / "stprompt_core", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", tmp / "dist", src],
        cwd=tmp, env=env)
    wheel = next((tmp / "dist").glob("stprompt_notebooks-*.whl"))

    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp, env=env)
    python = venv / "bin" / "python"
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                    cwd=tmp, env=env).stdout.strip())
    reused = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (site / "_reuse_test_environment.pth").write_text("".join(f"{p}\n" for p in reused))
    # --ignore-installed: install into the fresh venv, never touch this environment's install
    run([python, "-m", "pip", "install", "--no-deps", "--ignore-installed", "--no-warn-script-location", wheel],
        cwd=tmp, env=env)
    work = tmp / "work"
    work.mkdir()
    return venv, env, work, wheel


def test_wheel_carries_every_module_and_data_file(installed):
    *_, wheel = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    data = [p.relative_to(REPO).as_posix() for p in PACKAGE.rglob("*")
            if p.is_file() and p.suffix not in (".pyc", ".md") and "__pycache__" not in p.parts]
    assert data and not [n for n in data if n not in names]
    assert "stprompt_core/prompts/banks/ucf_crime.json" in names


def test_installed_package_is_imported_not_the_checkout(installed):
    venv, env, work, _ = installed
    out = run([venv / "bin" / "python", "-c", "import stprompt_core; print(stprompt_core.__file__)"],
              cwd=work, env=env).stdout.strip()
    print(f"stprompt_core.__file__ in the fresh venv: {out}")
    assert Path(out).resolve().is_relative_to(venv.resolve())
    assert not Path(out).resolve().is_relative_to(REPO)


def test_prompts_static_from_outside_the_repository(installed):
    venv, env, work, _ = installed
    proc = run([venv / "bin" / "stprompt", "prompts", "--dataset", "ucf_crime", "--backend", "static", "-q",
                "--out", "bank.json"], cwd=work, env=env)
    bank = json.loads((work / "bank.json").read_text())
    curated = json.loads((PACKAGE / "prompts" / "banks" / "ucf_crime.json").read_text())
    assert bank["normal"] == curated["normal"] and bank["abnormal"] == curated["abnormal"]
    abnormal = sum(len(v) for v in curated["abnormal"].values())
    assert f"wrote bank.json: {len(curated['normal'])} normal, {abnormal} abnormal over 13 classes" in proc.stdout


def test_synth_tiny_from_outside_the_repository(installed):
    venv, env, work, _ = installed
    proc = run([venv / "bin" / "stprompt", "synthvad", "--preset", "tiny", "--out", "synth", "--workers", "1"],
               cwd=work, env=env)
    manifest = json.loads((work / "synth" / "manifest.json").read_text())
    videos = manifest["videos"]
    assert videos and all((work / "synth" / v["path"]).is_file() for v in videos)
    abnormal = sum(v["label"] for v in videos)
    assert proc.stdout.startswith(f"synthvad tiny: {len(videos)} videos ({abnormal} abnormal)")
    assert "-> synth/manifest.json" in proc.stdout


def test_book_from_an_installed_package_says_it_needs_a_clone(installed):
    venv, env, work, _ = installed
    proc = subprocess.run([str(venv / "bin" / "stprompt"), "book", "--profile", "tiny", "--out", "book"],
                          cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "stprompt book: error: stprompt book builds from a clone of the repository" in proc.stderr
    assert "lacks notebooks, book, _config.yml, _toc.yml" in proc.stderr and "Traceback" not in proc.stderr
    assert not (work / "book").exists()  # refused before anything is written
