"""The notebooks execute on the tiny profile, the book builds strictly, and pages render in Chromium.

One module-scoped build (``stprompt_core.book.build_book``) into a tmp folder; feature stores
and runs live there too, only the SynthVAD tiny videos come from ``cache/`` (git-ignored).
Chromium: Debian's ``chromium`` package; the browser tests skip, saying so, without it. They
keep a screenshot of every page, at 1280 px and at a phone's width, under ``_build/screens/``
(git-ignored; CI uploads it as an artifact).
"""

import json
import shutil
import subprocess
from pathlib import Path

import nbformat
import papermill
import pytest
import yaml

from stprompt_core.book import NOTEBOOKS, REPO_ROOT, VENDOR_DIR, VENDOR_FILES, build_book, ensure_kernel
from stprompt_core.config import load_config

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENS = REPO_ROOT / "_build" / "screens"  # git-ignored; CI keeps it as an artifact
PHONE_PX = 390  # headless Chromium lays a window out at >= 500 px, so the phone view is an iframe this wide
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
         "--disable-component-update", "--disable-sync", "--virtual-time-budget=20000"]


def toc_pages() -> list[str]:
    """Every page of the book, in ``_toc.yml`` order (``book/intro``, ``notebooks/01_...``, ...)."""
    toc = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text())
    return [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    if not (VENDOR_DIR / next(iter(VENDOR_FILES))).exists():
        pytest.fail(f"vendored JavaScript missing: run `npm ci --prefix {VENDOR_DIR.parent}`")
    out = tmp_path_factory.mktemp("book")
    params = {"feature_store": str(out / "features"), "ablation_variants": ["full", "random patches"]}
    record = build_book(load_config("tiny"), out, parameters=params)
    return out, record


def test_every_notebook_executes_on_tiny(book):
    out, record = book
    assert list(record["notebook_seconds"]) == NOTEBOOKS
    for name in NOTEBOOKS:
        nb = nbformat.read(out / "executed" / f"{name}.ipynb", as_version=4)
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error"], name
    nb03 = nbformat.read(out / "executed" / "03_evaluation.ipynb", as_version=4)
    mimes = {k for c in nb03.cells if c.cell_type == "code" for o in c.outputs for k in o.get("data", {})}
    assert "application/vnd.plotly.v1+json" in mimes
    nb05 = nbformat.read(out / "executed" / "05_localization.ipynb", as_version=4)
    state = nb05.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert {"DropdownModel", "IntSliderModel", "ImageModel"} <= {m["model_name"] for m in state.values()}
    ablation = json.loads((out / "run_ablation" / "ablation.json").read_text())
    assert [r["variant"] for r in ablation["rows"]] == ["full", "random patches"]


def test_wrong_parameter_fails_before_work(tmp_path):
    kernel = ensure_kernel()
    store, run_dir = tmp_path / "features", tmp_path / "run"
    for notebook, params, message in (
            ("01_feature_extraction", {"profle": "tiny"}, "unknown notebook parameter 'profle'"),
            ("01_feature_extraction", {"epochs": 3}, "'epochs' is not a parameter of 01_feature_extraction but of 02_"),
            ("02_training", {"epochs": "three", "run_dir": str(run_dir)}, "train.epochs expects an integer")):
        with pytest.raises(papermill.PapermillExecutionError, match=message):
            papermill.execute_notebook(str(REPO_ROOT / "notebooks" / f"{notebook}.ipynb"),
                                       str(tmp_path / "out.ipynb"), kernel_name=kernel, progress_bar=False,
                                       parameters={"feature_store": str(store), **params}, cwd=str(REPO_ROOT))
        assert not store.exists() and not run_dir.exists()


def test_book_builds_strictly_and_offline(book):
    out, record = book
    html = out / "src" / "_build" / "html"
    assert (html / "index.html").exists()
    for name in NOTEBOOKS:
        page = (html / "notebooks" / f"{name}.html").read_text()
        assert 'src="https://' not in page and 'src="http://' not in page, name
    for name in VENDOR_FILES.values():
        assert (html / "_static" / "vendor" / name).exists()
    assert record["build_seconds"] > 0
    ablations = (html / "book" / "ablations.html").read_text()
    assert "<table" in ablations and "self-attention adapter" in ablations  # the table itself, not a pointer
    method_links = (html / "notebooks" / "03_evaluation.html").read_text()
    assert "../book/method.html#sa2-spatial-attention-aggregation" in method_links


def chromium(page: Path, profile: Path, *args: str) -> str:
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
                          capture_output=True, text=True, timeout=120).stdout


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)")
def test_widgets_work_in_the_static_pages(book, tmp_path):
    out, _ = book
    html = out / "src" / "_build" / "html" / "notebooks"
    dom = chromium(html / "05_localization.html", tmp_path / "profile", "--dump-dom")
    assert 'class="main-svg"' in dom.split('class="plotly-graph-div', 1)[-1], "no plotly svg drawn"
    assert "widget-dropdown" in dom and "widget-image" in dom, "ipywidgets explorer not drawn"
    assert "slider-container" in dom and "updatemenu-container" in dom, "plotly explorer's controls not drawn"
    dom = chromium(html / "03_evaluation.html", tmp_path / "profile", "--dump-dom")
    assert "slider-container" in dom, "snippet slider not drawn"


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)")
def test_every_page_renders_and_is_kept_as_a_screenshot(book, tmp_path):
    out, _ = book
    html = out / "src" / "_build" / "html"
    pages = toc_pages()
    assert len(pages) == 12 and "notebooks/06_your_own_video" in pages
    for width in ("1280", "phone"):
        (SCREENS / width).mkdir(parents=True, exist_ok=True)
    for page in pages:
        name = f"{page.replace('/', '_')}.png"
        phone = tmp_path / f"{name}.html"
        phone.write_text(f'<html><body style="margin:0"><iframe src="{(html / f"{page}.html").as_uri()}" '
                         f'width="{PHONE_PX}" height="2400" style="border:0"></iframe></body></html>')
        for width, target, size in (("1280", html / f"{page}.html", "1280,2400"), ("phone", phone, "500,2400")):
            shot = SCREENS / width / name
            shot.unlink(missing_ok=True)
            chromium(target, tmp_path / "profile", f"--window-size={size}", f"--screenshot={shot}")
            assert shot.exists() and shot.stat().st_size > 10_000, f"{page} at {width}: no screenshot"
    print(f"screenshots: {SCREENS}")
