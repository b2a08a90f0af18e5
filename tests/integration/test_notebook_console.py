"""Executing notebooks prints no kernel transport warning, and real output and errors stay visible.

One small notebook (two cells, no project imports) through ``stprompt_core.book.execute_notebooks``,
the function ``stprompt book`` and ``stprompt demo`` use, and through ``stprompt notebook``
(one notebook, the README's way to re-run one); a few seconds per kernel start.
The kernel is a child process writing to this process's file descriptor 2, so ``capfd``.
"""

import nbformat
import papermill
import pytest

from stprompt_core.book import KERNEL_NAME, NOTEBOOK_DIR, execute_notebooks, kernel_manager_config
from stprompt_core.cli import main
from stprompt_core.cli.notebook import resolve_notebook

WARNING = "Kernel is running over TCP without encryption"
KERNEL_STDERR = "a line the kernel process writes to its own stderr"


def write_notebook(path, failing: bool = False) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "language": "python", "display_name": KERNEL_NAME}
    nb.metadata["language_info"] = {"name": "python"}
    body = ("import os\n"
            "from ipykernel.kernelapp import IPKernelApp\n"
            f"os.write(2, b'{KERNEL_STDERR}\\n')\n"
            "print('curve key:', IPKernelApp.instance().curve_secretkey is not None)")
    if failing:
        body = "raise RuntimeError('a real error in a notebook')"
    nb.cells = [nbformat.v4.new_code_cell('profile = "tiny"', metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(body)]
    nbformat.write(nb, str(path))


@pytest.fixture
def src(tmp_path):
    write_notebook(tmp_path / "ok.ipynb")
    write_notebook(tmp_path / "failing.ipynb", failing=True)
    return tmp_path


def assert_clean_kernel(err: str, executed) -> None:
    assert WARNING not in err
    assert "[IPKernelApp] WARNING" not in err
    assert KERNEL_STDERR in err  # the kernel's stderr is not swallowed
    outputs = nbformat.read(executed, as_version=4).cells[-1].outputs
    assert "curve key: True" in "".join(o.get("text", "") for o in outputs)  # sockets really are encrypted


def test_no_transport_warning_and_kernel_stderr_visible(src, tmp_path, capfd):
    if not kernel_manager_config():
        pytest.skip("pyzmq without CURVE or jupyter_client < 8.10: the kernel's warning is then true")
    times = execute_notebooks(tmp_path / "out", {"profile": "tiny"}, notebooks=["ok"], src_dir=src,
                              log=lambda _: None)
    assert list(times) == ["ok"]
    assert_clean_kernel(capfd.readouterr().err, tmp_path / "out" / "ok.ipynb")


def test_stprompt_notebook_runs_one_in_the_same_clean_kernel(src, tmp_path, capfd):
    if not kernel_manager_config():
        pytest.skip("pyzmq without CURVE or jupyter_client < 8.10: the kernel's warning is then true")
    out = tmp_path / "out" / "one.ipynb"
    assert main(["notebook", str(src / "ok.ipynb"), str(out), "-p", "profile", "tiny"]) == 0
    captured = capfd.readouterr()
    assert f"-> {out}" in captured.out
    assert_clean_kernel(captured.err, out)


def test_stprompt_notebook_names_the_failing_cell_and_keeps_the_output(src, tmp_path, capfd):
    out = tmp_path / "failing.ipynb"
    assert main(["notebook", str(src / "failing.ipynb"), str(out)]) == 1
    err = capfd.readouterr().err
    assert "failing.ipynb stopped in cell" in err and "RuntimeError: a real error in a notebook" in err
    assert f"traceback included, is {out}" in err
    outputs = nbformat.read(out, as_version=4).cells[-1].outputs
    assert [o.get("ename") for o in outputs if o.output_type == "error"] == ["RuntimeError"]


@pytest.mark.parametrize("args,message", [
    (["02", "-p", "epoch", "3"], "unknown notebook parameter 'epoch'; did you mean 'epochs'?"),
    (["01_feature_extraction", "-p", "explorer_videos", "3"],
     "'explorer_videos' is not a parameter of 01_feature_extraction but of 05_localization"),
    (["notebooks/02_training.md", "-p", "epochs", "three"], "train.epochs expects an integer"),
    (["07"], "no notebook '07'"),
])
def test_stprompt_notebook_refuses_a_bad_parameter_before_the_kernel_starts(args, message, tmp_path, capfd,
                                                                            monkeypatch):
    import stprompt_core.book.execute as execute

    monkeypatch.setattr(execute, "ensure_kernel", lambda: pytest.fail("a kernel was started"))
    monkeypatch.chdir(NOTEBOOK_DIR.parent)
    out = tmp_path / "out" / "nb.ipynb"
    assert main(["notebook", args[0], str(out), *args[1:]]) == 2
    assert message in capfd.readouterr().err
    assert not out.parent.exists()


def test_notebook_names_resolve_to_the_paired_ipynb(monkeypatch):
    monkeypatch.chdir(NOTEBOOK_DIR.parent)
    for spec in ("02", "02_training", "02_training.ipynb", "notebooks/02_training.md", "notebooks/02_training.ipynb"):
        assert resolve_notebook(spec).resolve() == NOTEBOOK_DIR / "02_training.ipynb", spec


def test_an_error_in_a_notebook_still_raises(src, tmp_path):
    with pytest.raises(papermill.PapermillExecutionError, match="a real error in a notebook"):
        execute_notebooks(tmp_path / "out", {"profile": "tiny"}, notebooks=["failing"], src_dir=src,
                          log=lambda _: None)
