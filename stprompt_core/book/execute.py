"""Executing notebooks with papermill in this interpreter's own kernel."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Mapping

from stprompt_core.book.parameters import NOTEBOOKS, check_book_parameters, parameters_for
from stprompt_core.book.sources import NOTEBOOK_DIR

KERNEL_NAME = "stprompt"
PLOTLY_MATHJAX_TAG = '<script src="https://cdnjs.cloudflare.com/ajax/libs/mathjax/3.2.2/es5/tex-svg.min.js"></script>'


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


# papermill's environment for every kernel: plotly figures both as JSON (the book's widgets) and
# HTML, and no progress bars in the saved outputs (tqdm's, transformers' "Loading weights")
KERNEL_ENV = {"PLOTLY_RENDERER": "plotly_mimetype+notebook", "TQDM_DISABLE": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}


def execute_notebook(source: str | Path, output: str | Path, parameters: Mapping[str, Any], timeout: int = 1800,
                     cwd: str | Path | None = None) -> float:
    """Execute one notebook with papermill in the ``stprompt`` kernel; returns its seconds.

    The kernel is this interpreter (:func:`ensure_kernel`) with encrypted sockets where the stack
    has them (:func:`kernel_manager_config`) and :data:`KERNEL_ENV`; plotly's MathJax CDN tag
    is stripped from the outputs (:func:`strip_cdn_scripts`). ``parameters`` go in as given:
    check them first (:func:`check_book_parameters`).
    """
    import papermill

    kernel = ensure_kernel()
    old_env = {k: os.environ.get(k) for k in KERNEL_ENV}
    os.environ.update(KERNEL_ENV)
    t0 = time.perf_counter()
    try:
        papermill.execute_notebook(str(source), str(output), parameters=dict(parameters), kernel_name=kernel,
                                   cwd=str(cwd or Path.cwd()), config=kernel_manager_config(),
                                   execution_timeout=timeout, progress_bar=False)
    finally:
        for k, v in old_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    strip_cdn_scripts(output)
    return round(time.perf_counter() - t0, 1)


def execute_notebooks(out_dir: str | Path, parameters: Mapping[str, Any], notebooks: list[str] | None = None,
                      src_dir: str | Path | None = None, timeout: int = 1800,
                      log=print) -> dict[str, float]:
    """Execute notebooks with papermill into ``out_dir``; returns seconds per notebook.

    Parameters are checked (:func:`check_book_parameters`) before anything is written; each
    notebook gets the ones its ``parameters`` cell declares (:func:`parameters_for`) and runs
    through :func:`execute_notebook`.
    """
    src_dir = Path(src_dir or NOTEBOOK_DIR)
    out_dir = Path(out_dir)
    names = notebooks or NOTEBOOKS
    check_book_parameters(parameters, names, src_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    times: dict[str, float] = {}
    for name in names:
        source = src_dir / f"{name}.ipynb"
        times[name] = execute_notebook(source, out_dir / f"{name}.ipynb", parameters_for(source, parameters),
                                       timeout)
        log(f"[book] executed {name} in {times[name]:.1f} s")
    return times
