"""Two gloo processes under torchrun write the same store as one process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from extract_fixtures import VIDEOS, assert_same_stores, tiny_config, write_dataset

from stprompt_core.features.extract import extract_features


@pytest.mark.slow  # torchrun, two processes extracting
def test_two_processes_equal_one(tmp_path):
    write_dataset(tmp_path, corrupt=True)
    one = extract_features(tiny_config(tmp_path, store="one"), num_workers=0, progress=False)
    assert sorted(one.extracted) == sorted(v[0] for v in VIDEOS) and list(one.failed) == ["broken"]

    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "stprompt_core.cli", "extract", "--profile", "tiny",
           "--set", f"data.manifest={tmp_path / 'manifest.json'}", "--set", f"data.data_root={tmp_path}",
           "--set", f"data.feature_store={tmp_path / 'two'}", "--workers", "0", "--no-progress"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:  # stop the launcher and its workers, not just the launcher
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode != 0, out  # the corrupt video makes the command fail ...
    assert "failed broken" in out and "2 processes" in out, out  # ... with one summary naming it
    assert "4 videos extracted" in out, out
    assert_same_stores(tmp_path / "one", tmp_path / "two")
