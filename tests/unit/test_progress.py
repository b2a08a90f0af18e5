"""One progress helper: a tqdm bar that counts, or None when switched off (by the caller or TQDM_DISABLE)."""

import pytest

from stprompt_core.runtime import progress_bar

pytestmark = pytest.mark.pure  # no model, no features


def test_a_bar_counts_and_closes(monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    with progress_bar(3, "work", "item") as bar:
        bar.update(2)
        assert (bar.n, bar.total, bar.desc, bar.unit) == (2, 3, "work", "item")
    assert bar.disable or bar.n == 2  # closed; its count kept


@pytest.mark.parametrize("enabled, env", [(False, ""), (True, "1"), (True, "true")])
def test_switched_off_there_is_no_bar(monkeypatch, enabled, env):
    monkeypatch.setenv("TQDM_DISABLE", env)
    with progress_bar(3, "work", "item", enabled) as bar:
        assert bar is None
