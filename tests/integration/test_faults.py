"""Stages killed (SIGKILL) at random instants recover: the rerun exits 0 and leaves the tree a
clean run leaves, nothing lost, nothing stray (``tests/faults_harness.py``).

The fast subset of ``benchmarks/faults.py`` (whose sweep covers every stage, 20 kills each):
the SynthVAD render, extraction and temporal training of the ``tiny`` profile, one or two
kills each, at instants drawn from a fixed seed over the reference run's CPU seconds. The
SynthCLIP reference is the session's tiny SynthCLIP (``conftest.tiny_synthclip``), copied,
not retrained. The pure-function tests pin the comparison rules with constructed inputs.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time

import pytest

from tests.faults_harness import (REPO_ROOT, STAGE_NAMES, Harness, Rule, Stage, compare_trees, drop_fields,
                                  kill_instants, kill_tree, stage, summarize)

SEED = 0
KILLS = {"synthvad": 2, "extract": 1, "train": 1}


@pytest.fixture(scope="module")
def harness(tmp_path_factory, tiny_synthclip):
    """A harness whose SynthCLIP reference is the session's trained tiny SynthCLIP."""
    h = Harness(tmp_path_factory.mktemp("faults"))
    h.reference("synthvad")
    ref = h.ref("synthclip")
    shutil.copytree(h.ref("synthvad"), ref, symlinks=True)
    weights = "cache/synthclip/SynthCLIP-T-MiniLM"
    shutil.copytree(REPO_ROOT / weights, ref / weights, ignore=shutil.ignore_patterns("*.lock", "*.lock.json"))
    (h.work / "ref" / "synthclip.done.json").write_text(json.dumps({"seconds": 0.0, "cpu_seconds": 0.0}))
    return h


@pytest.mark.slow
@pytest.mark.parametrize("name", list(KILLS))
def test_killed_stage_recovers_with_equal_outputs(harness, name):
    duration = harness.reference(name)
    instants = kill_instants(duration, KILLS[name], SEED, STAGE_NAMES.index(name), span=0.9)
    trials = [harness.trial(name, k, at) for k, at in enumerate(instants)]
    s = summarize(trials)
    failures = [t.failure() for t in trials if t.failure()]
    assert s["kills"] >= 1, f"no kill landed before {name} finished: {instants} of {duration} CPU s"
    assert s["recovered"] == s["kills"] and s["outputs_equal"] == s["kills"], json.dumps(failures, indent=1)
    assert s["lost_files"] == 0 and s["stray_files"] == 0


# ``stprompt train`` in-process, dying (exit 137: what SIGKILL leaves on disk) at a chosen point of
# its checkpointing, windows of milliseconds that random kills rarely hit:
TRAIN_POINTS = {
    "first_state": "inside epoch 1's torch.save of the optimizer state (no progress.json yet: the rerun starts afresh)",
    "state": "inside epoch 2's torch.save of the optimizer state (its weights file already written)",
    "progress": "before progress.json of epoch 2 (its weights and state files both written)",
    "drop": "after progress.json of the last epoch, before the older checkpoint files are removed",
}
DYING_TRAIN = """
import os, sys
import torch
import stprompt_core.train.run_folder as T
from stprompt_core.cli import build_parser

point, sys.argv = sys.argv[1], sys.argv[2:]  # the command line the harness runs, as run_manifest.json records it
saves, write_json, save = [], T.write_json, torch.save
def dying_save(obj, f, *a, **k):
    saves.append(f)
    if point == "first_state" and len(saves) == 1:
        os._exit(137)
    if point == "state" and len(saves) == 2:
        os._exit(137)
    return save(obj, f, *a, **k)
def dying_write_json(path, obj):
    if point == "progress" and str(path).endswith("progress.json") and obj.get("epoch") == 2:
        os._exit(137)
    return write_json(path, obj)
drop = T._drop_unnamed_checkpoints
def dying_drop(ckpt, progress):
    if point == "drop" and progress["epoch"] == 3:
        os._exit(137)
    return drop(ckpt, progress)
torch.save, T.write_json, T._drop_unnamed_checkpoints = dying_save, dying_write_json, dying_drop
args = build_parser().parse_args(sys.argv[1:])
args.func(args)
"""


@pytest.mark.slow
@pytest.mark.parametrize("point", list(TRAIN_POINTS))
def test_train_killed_inside_its_checkpointing_resumes_as_a_clean_run(harness, point):
    # before d97b3bd: "state" resumed epoch 2 from epoch 2's weights with epoch 1's optimizer
    # state (silently different training), "progress" refused last_state.pt as damaged
    harness.reference("train")
    command = [harness.prefix[0], *stage("train").argv]
    t = harness.trial("train", 10 + list(TRAIN_POINTS).index(point), None,
                      dying=[sys.executable, "-c", DYING_TRAIN, point, *command])
    assert t.landed, f"the run did not die {TRAIN_POINTS[point]}: DYING_TRAIN no longer matches train.py"
    assert t.failure() is None, json.dumps(t.failure(), indent=1)


def test_kill_instants_are_stratified_and_seeded():
    t = kill_instants(10.0, 4, seed=3, stage_index=2)
    assert t == kill_instants(10.0, 4, seed=3, stage_index=2) != kill_instants(10.0, 4, seed=3, stage_index=1)
    assert sorted(int(x // 2.5) for x in t) == [0, 1, 2, 3]  # one instant in each quarter of [0, 10)


def test_drop_fields_takes_wildcards_and_leaves_the_rest():
    obj = {"log": [{"epoch": 1, "seconds": 2.5}, {"epoch": 2, "seconds": 3.0}], "created": "x", "auc": 0.9}
    assert drop_fields(obj, ["log.*.seconds", "created", "absent.key"]) == {"log": [{"epoch": 1}, {"epoch": 2}],
                                                                               "auc": 0.9}
    assert obj["created"] == "x"  # the input is not modified


def _tree(root, files: dict[str, bytes]):
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)


def test_compare_trees_finds_lost_stray_and_different_files(tmp_path):
    st = Stage("demo", (), rules=(Rule("run/metrics.json", "json", ("seconds",)),))
    ref, trial = tmp_path / "ref", tmp_path / "trial"
    base = {"run/metrics.json": b'{"auc": 0.9, "seconds": 1}', "run/scores.json": b"[1, 2]", "run/best.bin": b"ab"}
    _tree(ref, base)
    _tree(trial, {**base, "run/metrics.json": b'{"seconds": 7, "auc": 0.9}'})  # an ignored field, other key order
    assert compare_trees(st, ref, trial).equal

    _tree(trial, {"run/.best.bin.x1.tmp/best.bin": b"a", "run/scores.json": b"[1, 3]"})
    (trial / "run" / "best.bin").unlink()
    c = compare_trees(st, ref, trial)
    assert c.lost == ["run/best.bin"]
    assert c.stray == ["run/.best.bin.x1.tmp", "run/.best.bin.x1.tmp/best.bin"] == c.temporaries
    assert list(c.different) == ["run/scores.json"] and "offset 4" in c.different["run/scores.json"]
    assert not c.equal


def test_json_digest_fields_must_hash_the_trials_own_files(tmp_path):
    st = Stage("demo", (), rules=(Rule("s/store.json", "json", digests=(("files.*.sha256", "{key}"),)),
                                  Rule("s/*.arrow", "presence")))
    ref, trial = tmp_path / "ref", tmp_path / "trial"
    for root, data in ((ref, b"reference bytes"), (trial, b"trial bytes")):  # the data may differ ...
        _tree(root, {"s/x.arrow": data})
        record = {"files": {"x.arrow": {"sha256": hashlib.sha256(data).hexdigest(), "size": 11}}}
        _tree(root, {"s/store.json": json.dumps(record).encode()})
    assert compare_trees(st, ref, trial).equal
    (trial / "s" / "x.arrow").write_bytes(b"other bytes")  # ... but not from what the store records
    assert "files.*.sha256 (x.arrow)" in compare_trees(st, ref, trial).different["s/store.json"]


def test_kill_tree_kills_children_in_their_own_session():
    # a parent whose child starts a session of its own (as papermill's kernels do)
    code = ("import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'], "
            "start_new_session=True); print('up', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, start_new_session=True)
    assert proc.stdout.readline().strip() == b"up"
    import psutil

    children = psutil.Process(proc.pid).children(recursive=True)
    assert len(children) == 1
    kill_tree(proc.pid)
    proc.wait(timeout=10)
    time.sleep(0.2)
    try:
        assert children[0].status() == psutil.STATUS_ZOMBIE  # killed, not yet reaped by its new parent
    except psutil.NoSuchProcess:
        pass  # killed and reaped
