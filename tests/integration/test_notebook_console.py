"""Executing notebooks prints no kernel transport warning, and real output and errors stay visible.

One small notebook (two cells, no project imports) through ``stprompt_core.book.execute_notebooks``,
the function ``stprompt book`` and ``stprompt demo`` use; a few seconds (one kernel start).
The kernel is a child process writing to this process's file descriptor 2, so ``capfd``.
"""

import nbformat
import papermill
import pytest

from stprompt_core.book import KERNEL_NAME, execute_notebooks, kernel_manager_config

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


def test_no_transport_warning_and_kernel_stderr_visible(src, tmp_path, capfd):
    if not kernel_manager_config():
        pytest.skip("pyzmq without CURVE or jupyter_client < 8.10: the kernel's warning is then true")
    times = execute_notebooks(tmp_path / "out", {"profile": "tiny"}, notebooks=["ok"], src_dir=src,
                              log=lambda _: None)
    err = capfd.readouterr().err
    assert list(times) == ["ok"]
    assert WARNING not in err
    assert "[IPKernelApp] WARNING" not in err
    assert KERNEL_STDERR in err  # the kernel's stderr is not swallowed
    outputs = nbformat.read(tmp_path / "out" / "ok.ipynb", as_version=4).cells[-1].outputs
    assert "curve key: True" in "".join(o.get("text", "") for o in outputs)  # sockets really are encrypted


def test_an_error_in_a_notebook_still_raises(src, tmp_path):
    with pytest.raises(papermill.PapermillExecutionError, match="a real error in a notebook"):
        execute_notebooks(tmp_path / "out", {"profile": "tiny"}, notebooks=["failing"], src_dir=src,
                          log=lambda _: None)
