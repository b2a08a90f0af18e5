"""Papermill parameters under arbitrary input (hypothesis): a bad name or value stops the notebook
in its second cell (``notebook_config``) with a ``ConfigError`` naming the parameter, and
``stprompt book`` refuses it before any folder, lock or kernel exists."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path
from unittest import mock

import papermill
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from stprompt_core import book
from stprompt_core.ablate import variant_names
from stprompt_core.book import NOTEBOOKS, PARAMETERS, REPO_ROOT, check_parameters, notebook_config
from stprompt_core.cli import main
from stprompt_core.config import ConfigError

NOTEBOOK_FILES = [REPO_ROOT / "notebooks" / f"{name}.ipynb" for name in NOTEBOOKS]  # the book's whole set
NOTEBOOK_PARAMETERS = {p.name: p.config_keys for p in PARAMETERS}  # name -> config keys it sets
DECLARED = sorted(NOTEBOOK_PARAMETERS)
NAMES = st.sampled_from(DECLARED)

typed_text = st.text(st.characters(codec="utf-8"), max_size=16)
# What papermill can inject: JSON values (it writes them into a code cell).
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | typed_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(typed_text, inner, max_size=3),
    max_leaves=6)
# Values of the right kind for each parameter, some of them wrong in detail.
plausible = {
    "profile": st.sampled_from(["tiny", "workshop", "tinny", ""]),
    "epochs": st.integers(-3, 5),
    "seed": st.integers(-3, 5),
    "device": st.sampled_from(["", "cpu", "cuda", "auto"]),
    "ablation_variants": st.lists(st.sampled_from([*variant_names(), "no sa2", "ful"]), max_size=3),
    "explorer_videos": st.integers(-2, 5),
    "prompt_study": st.booleans(),
}
values = NAMES.flatmap(lambda n: st.tuples(st.just(n), json_values | plausible.get(n, json_values)))


def names_parameter(message: str, name: str, value) -> bool:
    if name in message:
        return True
    # overrides: the config names the offending config key instead
    return name == "overrides" and isinstance(value, dict) and any(str(k) in message or repr(str(k))[1:-1] in message
                                                                   for k in value)


def reached(*_args, **_kwargs):
    raise AssertionError("a notebook kernel was started for parameters that should have been refused")


@contextlib.contextmanager
def no_kernel():
    """Fail the test, instead of executing notebooks, if the parameters get through."""
    with mock.patch.object(papermill, "execute_notebook", reached), mock.patch.object(book.execute, "ensure_kernel", reached):
        yield


@given(values)
@example(("run_dir", 5))  # Path(5): TypeError from deep inside
@example(("explorer_videos", "three"))  # ran notebooks 01-04, then failed in 05
@example(("prompt_study", "no"))  # a non-empty string is truthy: ran the study
@example(("ablation_variants", ["no sa2"]))  # misspelt variant: failed after training the full model
@example(("ablation_variants", "full"))
@example(("epochs", False))  # False == 0 read as "keep the profile's"
@example(("overrides", {"train.lr": "fast"}))
def test_a_value_is_accepted_or_rejected_naming_the_parameter(name_value):
    name, value = name_value
    with tempfile.TemporaryDirectory() as tmp:
        params = {name: value, **({} if name == "run_dir" else {"run_dir": tmp})}
        try:
            cfg, run_dir = notebook_config(params)
        except ConfigError as exc:
            assert names_parameter(str(exc), name, value), str(exc)
            return
    for key in NOTEBOOK_PARAMETERS[name]:  # a config value the notebook sets: the config holds it
        section, field = key.split(".")
        held = getattr(getattr(cfg, section), field)
        if value not in ("", 0, -1, None):
            assert held == (str(value) if isinstance(held, str) else value)
    if name == "ablation_variants" and value:
        assert set(value) <= set(variant_names())
    if name == "explorer_videos" and value is not None:
        assert isinstance(value, int) and value >= 0


@given(st.dictionaries(NAMES | typed_text | st.integers(), st.just(""), max_size=4))
@example({"profle": "tiny"})
@example({1: "", "profile": ""})  # sorting mixed names raised TypeError
def test_check_parameters_accepts_declared_names_only(params):
    try:
        check_parameters(NOTEBOOK_FILES, params)
    except ConfigError as exc:
        message = str(exc)
        bad = sorted(repr(n) for n in params if n not in NOTEBOOK_PARAMETERS)
        assert bad and any(b in message for b in bad), message
        assert "declared" in message and all(repr(n) in message for n in DECLARED)
        return
    assert set(params) <= set(NOTEBOOK_PARAMETERS)


bad_parameters = st.one_of(
    values.map(lambda nv: {nv[0]: nv[1]}),
    st.dictionaries(typed_text.filter(lambda n: n not in NOTEBOOK_PARAMETERS), json_values, min_size=1, max_size=2))


def rejected(params: dict) -> bool:
    try:
        book.check_book_parameters(params)
    except ConfigError:
        return True
    return False


@settings(max_examples=15)
@given(bad_parameters)
@example({"epochs": "ten"})
def test_execute_notebooks_refuses_before_writing(params):
    assume(rejected(params))
    with tempfile.TemporaryDirectory() as tmp, no_kernel():
        out = Path(tmp) / "executed"
        try:
            book.execute_notebooks(out, params)
        except ConfigError:
            pass
        assert not out.exists()


@settings(max_examples=15)
@given(name=NAMES | typed_text.filter(lambda n: not n.startswith("-")), text=typed_text)
@example(name="epochs", text="[1")  # not YAML: yaml's ScannerError escaped main()
@example(name="epochs", text="ten")  # the out folder and its lock were written, then notebook 01 failed
@example(name="explorer_videos", text="-1")
def test_stprompt_book_refuses_a_bad_parameter_and_writes_nothing(name, text):
    from stprompt_core.cli.common import parse_value

    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp, no_kernel():
        os.chdir(tmp)  # judged where it runs: a book built in the checkout (_build/book/run) must not decide it
        try:
            assume(rejected({"profile": "tiny", "run_dir": "_build/book/run", name: parse_value(text)}))
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                rc = main(["book", "--profile", "tiny", "-p", name, text])
            assert rc == 2 and "stprompt book: error:" in err.getvalue()
            assert os.listdir(tmp) == []
        finally:
            os.chdir(cwd)
