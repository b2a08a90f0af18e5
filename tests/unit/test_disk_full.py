"""Out of disk: a write that hits ENOSPC stops with an error naming the path and the space, keeps
what was finished, and the rerun after space is freed completes with the same outputs."""

from __future__ import annotations

import errno
import os
import shutil
import sys
from collections import namedtuple
from pathlib import Path

import pytest

from stprompt_core.io import DiskFullError, atomic_path

sys.path.insert(0, str(Path(__file__).resolve().parent / "features"))
from extract_fixtures import assert_same_stores, tiny_config, write_dataset  # noqa: E402


def test_atomic_write_that_fills_the_disk_names_the_file_and_keeps_the_old_one(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(DiskFullError) as info:
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"x" * 1000)
            raise OSError(errno.ENOSPC, "No space left on device")
    msg = str(info.value)
    assert str(target) in msg and "1,000 bytes written" in msg and "bytes free" in msg
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_other_os_errors_pass_through(tmp_path):
    with pytest.raises(PermissionError):
        with atomic_path(tmp_path / "x"):
            raise PermissionError(errno.EACCES, "denied")


def _full_after(n_ok: int):
    """A ``save_file`` that writes ``n_ok`` files, then fails as a full disk does."""
    from safetensors.numpy import save_file as real

    calls = {"n": 0}

    def save_file(arrays, path, metadata=None):
        calls["n"] += 1
        if calls["n"] > n_ok:
            Path(path).write_bytes(b"\0" * 100)  # a partial write before the device filled
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(arrays, path, metadata=metadata)

    return save_file


def test_extraction_stops_on_a_full_disk_and_the_rerun_completes(tmp_path, monkeypatch):
    from stprompt_core.features.extract import extract_features

    write_dataset(tmp_path)
    monkeypatch.setattr("safetensors.numpy.save_file", _full_after(2))
    with pytest.raises(DiskFullError) as info:
        extract_features(tiny_config(tmp_path), num_workers=0, progress=False)
    assert str(tmp_path / "store" / "parts") in str(info.value)
    parts = sorted((tmp_path / "store" / "parts").rglob("*.safetensors"))
    assert len(parts) == 2  # what was finished is kept
    assert not [p for p in (tmp_path / "store").rglob("*") if p.name.endswith(".tmp")]  # no partial file left
    monkeypatch.undo()  # space freed
    resumed = extract_features(tiny_config(tmp_path), num_workers=0, progress=False)
    assert resumed.ok and len(resumed.skipped) >= 1
    extract_features(tiny_config(tmp_path, store="reference"), num_workers=0, progress=False)
    assert_same_stores(tmp_path / "store", tmp_path / "reference")


def test_extraction_checks_free_space_before_any_work(tmp_path, monkeypatch):
    from stprompt_core.features.extract import extract_features

    write_dataset(tmp_path)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage(10**9, 10**9 - 1000, 1000))
    with pytest.raises(DiskFullError, match=r"extraction needs about .* GB in .*store.* are free"):
        extract_features(tiny_config(tmp_path), num_workers=0, progress=False)
    assert not (tmp_path / "store" / "parts").exists()


def test_cli_reports_a_full_disk_without_a_traceback(tmp_path, monkeypatch, capsys):
    from stprompt_core.cli import main

    write_dataset(tmp_path)
    monkeypatch.setattr("safetensors.numpy.save_file", _full_after(0))
    code = main(["extract", "--profile", "tiny", "--no-progress", "--set", f"data.manifest={tmp_path / 'manifest.json'}",
                 "--set", f"data.data_root={tmp_path}", "--set", f"data.feature_store={tmp_path / 'store'}"])
    err = capsys.readouterr().err
    assert code == 2 and "no space left on the device while writing" in err and "Traceback" not in err


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 96 KiB tmpfs (root only; skipped where the machine does not allow mounting one)."""
    import subprocess

    mnt = tmp_path / "small"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(mnt)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here; the patched-writer tests cover ENOSPC")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_a_real_full_disk_then_more_space(tmp_path, small_tmpfs):
    """A real ENOSPC from a small tmpfs (the manifest gives no frame counts, so the estimate cannot
    stop the run early); after the tmpfs grows, the same command finishes the store."""
    import json
    import subprocess

    from stprompt_core.features.extract import extract_features

    write_dataset(tmp_path)
    raw = json.loads((tmp_path / "manifest.json").read_text())
    for v in raw["videos"]:
        v["num_frames"] = None
    (tmp_path / "manifest.json").write_text(json.dumps(raw))
    cfg = tiny_config(tmp_path, **{"data.feature_store": str(small_tmpfs / "store")})
    with pytest.raises(DiskFullError, match=str(small_tmpfs / "store")):
        extract_features(cfg, num_workers=0, progress=False)
    assert not [p for p in small_tmpfs.rglob("*") if p.name.endswith(".tmp")]
    subprocess.run(["mount", "-o", "remount,size=16m", str(small_tmpfs)], check=True)
    assert extract_features(cfg, num_workers=0, progress=False).ok
    extract_features(tiny_config(tmp_path, store="reference"), num_workers=0, progress=False)
    assert_same_stores(small_tmpfs / "store", tmp_path / "reference")
