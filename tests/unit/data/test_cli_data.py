"""``stprompt data index|check`` through the real entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from stprompt_core.cli import main
from stprompt_core.data.manifest import load_manifest

EXPECT = ["--expect", "train=3:2:1", "--expect", "test=2:1:1"]


def test_index_writes_a_loadable_manifest(ucf_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "m.json"
    assert main(["data", "index", "ucf_crime", "--root", str(ucf_root), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "ucf_crime: indexed 5 videos" in text
    assert ("test: 2 (1 abnormal, 1 normal), 1 with intervals, 1 with boxes "
            "[official: 290 (140 abnormal, 150 normal)]") in text
    assert text.rstrip().endswith(f"wrote {out}")
    assert len(load_manifest(out).videos) == 5


def test_default_paths_come_from_profile_and_env(ucf_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STPROMPT_DATA_ROOT", str(ucf_root))
    assert main(["data", "index", "ucf_crime", "--count-frames"]) == 0
    m = load_manifest(tmp_path / "cache/manifests/ucf_crime.json")
    assert {v.num_frames for v in m.videos} == {8}
    assert main(["data", "check", "ucf_crime", *EXPECT]) == 0
    out = capsys.readouterr().out
    assert "manifest: cache/manifests/ucf_crime.json" in out and "OK: 5 videos" in out


def test_check_fails_naming_the_corrupt_file(ucf_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "m.json"
    main(["data", "index", "ucf_crime", "--root", str(ucf_root), "--out", str(out)])
    (ucf_root / "Anomaly-Videos-Part-1/Arson/Arson011_x264.mp4").write_bytes(b"not a video" * 50)
    code = main(["data", "check", "ucf_crime", "--root", str(ucf_root), "--manifest", str(out), *EXPECT])
    text = capsys.readouterr().out
    assert code == 1
    assert "corrupt    Anomaly-Videos-Part-1/Arson/Arson011_x264.mp4:" in text
    assert "FAILED: 1 problems (1 corrupt)" in text


def test_check_without_manifest_indexes_in_memory(xd_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["data", "check", "xd_violence", "--root", str(xd_root)]) == 1
    text = capsys.readouterr().out
    assert "indexed in memory" in text
    assert "count      train: 2 videos, expected 3954" in text
    assert "missing    test/Ghost.Movie__#1_label_B4-0-0.mp4: file not found" in text


@pytest.mark.parametrize("argv, message", [
    (["data", "index", "shanghaitech", "--boxes", "b.pkl"], "--boxes applies to ucf_crime only"),
    (["data", "check", "ucf_crime", "--expect", "test=abc"], "--expect 'test=abc'"),
    (["data", "check", "ucf_crime", "--manifest", "nope.json"], "manifest not found: nope.json"),
])
def test_usage_errors_exit_2(ucf_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture, argv: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    assert main([*argv, "--root", str(ucf_root)]) == 2
    assert message in capsys.readouterr().err


def test_missing_release_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["data", "index", "ubnormal", "--root", str(tmp_path), "--out", str(tmp_path / "m.json")]) == 2
    assert "abnormal_training_video_names.txt" in capsys.readouterr().err
    assert not (tmp_path / "m.json").exists()


def test_root_is_required(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.delenv("STPROMPT_DATA_ROOT", raising=False)
    assert main(["data", "index", "ucf_crime"]) == 2
    assert "--root is required" in capsys.readouterr().err


def test_unknown_dataset_and_missing_action_are_usage_errors() -> None:
    with pytest.raises(SystemExit) as err:
        main(["data", "index", "kinetics", "--root", "."])
    assert err.value.code == 2
    with pytest.raises(SystemExit):
        main(["data"])
