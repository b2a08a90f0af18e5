"""ensure_kernel: the notebooks run in the interpreter that builds the book."""

import sys
from types import SimpleNamespace

import pytest
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

from stprompt_core.book import execute as book


class Specs:
    """Kernelspecs as KernelSpecManager would find them: ``argv[0]`` per lookup, in order."""

    def __init__(self, *interpreters):
        self.interpreters = list(interpreters)

    def __call__(self, name):  # set on the class, called unbound: no manager argument
        found = self.interpreters.pop(0) if len(self.interpreters) > 1 else self.interpreters[0]
        if found is None:
            raise NoSuchKernel(name)
        return SimpleNamespace(argv=[found, "-m", "ipykernel_launcher"], resource_dir=f"/kernels/{name}")


@pytest.fixture
def installs(monkeypatch):
    calls = []
    monkeypatch.setattr(book.subprocess, "run", lambda cmd, **kw: calls.append(cmd))
    return calls


@pytest.mark.parametrize("before", [None, "/tmp/gone/.venv/bin/python"], ids=["none", "other path"])
def test_registered_again_when_missing_or_another_interpreter(monkeypatch, installs, before):
    monkeypatch.setattr(KernelSpecManager, "get_kernel_spec", Specs(before, sys.executable))
    assert book.ensure_kernel() == book.KERNEL_NAME
    assert len(installs) == 1 and installs[0][0] == sys.executable and "--sys-prefix" in installs[0]


def test_left_alone_when_it_runs_this_interpreter(monkeypatch, installs):
    monkeypatch.setattr(KernelSpecManager, "get_kernel_spec", Specs(sys.executable))
    assert book.ensure_kernel() == book.KERNEL_NAME and installs == []


def test_a_shadowing_kernelspec_is_named(monkeypatch, installs):
    monkeypatch.setattr(KernelSpecManager, "get_kernel_spec", Specs("/elsewhere/python"))
    with pytest.raises(RuntimeError, match=r"/kernels/stprompt runs /elsewhere/python.*jupyter kernelspec remove"):
        book.ensure_kernel()
