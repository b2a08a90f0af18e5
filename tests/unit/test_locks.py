"""One writer per cache entry: waiting with the holder's name, re-entrancy, dead holders, and two
real `stprompt extract` processes on one store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from stprompt_core.locks import exclusive, holder, lock_path

pytestmark = pytest.mark.pure  # no model, no features

REPO = Path(__file__).resolve().parents[2]
HOLD = textwrap.dedent("""
    import sys, time
    from stprompt_core.locks import exclusive
    with exclusive(sys.argv[1]):
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
""")


def _holder_process(entry: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(entry), str(seconds)], stdout=subprocess.PIPE,
                            text=True, cwd=REPO)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_lock_sits_beside_the_entry_and_is_reentrant(tmp_path):
    entry = tmp_path / "store"
    assert lock_path(entry) == tmp_path / "store.lock"
    with exclusive(entry):
        with exclusive(entry):  # a stage calling another stage on the same entry
            assert holder(entry)["pid"] == os.getpid()
    with exclusive(entry):  # released: taken again at once
        pass


def test_second_writer_waits_and_names_the_holder(tmp_path):
    entry = tmp_path / "run"
    proc = _holder_process(entry, 1.5)
    messages: list[str] = []
    t0 = time.monotonic()
    with exclusive(entry, poll_s=0.05, log=messages.append):
        waited = time.monotonic() - t0
    proc.wait(timeout=10)
    assert waited > 0.5  # it did wait for the holder
    assert f"pid {proc.pid}" in messages[0] and str(entry) in messages[0]
    assert messages[-1].endswith("lock released, continuing")


def test_lock_of_a_killed_process_is_taken_over(tmp_path):
    entry = tmp_path / "cache"
    proc = _holder_process(entry, 60)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert lock_path(entry).exists() and holder(entry)["pid"] == proc.pid  # left behind by the dead process
    messages: list[str] = []
    t0 = time.monotonic()
    with exclusive(entry, poll_s=0.05, log=messages.append):
        pass
    assert time.monotonic() - t0 < 2 and messages == []  # no wait: the kernel released the dead holder's lock


@pytest.mark.slow
def test_two_extractions_on_one_store_do_not_interleave(tmp_path):
    sys.path.insert(0, str(REPO / "tests" / "unit" / "features"))
    from extract_fixtures import write_dataset

    from stprompt_core.features.store import FeatureStore

    write_dataset(tmp_path)
    argv = [sys.executable, "-m", "stprompt_core.cli", "extract", "--profile", "tiny", "--no-progress",
            "--set", f"data.manifest={tmp_path / 'manifest.json'}", "--set", f"data.data_root={tmp_path}",
            "--set", f"data.feature_store={tmp_path / 'store'}"]
    procs = [subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outs]
    # both finish with the full store; whichever came second waited (or started after the first ended)
    # and then found every video done
    summaries = [o[0] for o in outs]
    assert sum("4 videos extracted" in s for s in summaries) == 1, summaries
    assert sum("4 already in the store" in s for s in summaries) == 1, summaries
    assert FeatureStore(tmp_path / "store").splits == {"train": 2, "test": 2, "tokens": 1}
    assert not list((tmp_path / "store").rglob("*.tmp")) and not (tmp_path / "store" / ".hf_cache").exists()
