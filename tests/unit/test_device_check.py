"""benchmarks/device_check.sh's stages at smoke scale: the files a GPU session writes, in their shape.

The stages run through their Python entry points (``bench_extract.main(["--device-check",
...])`` and ``bench_train_epoch.main``) on the CPU with STP-Tiny, so the script cannot rot
before a session with a GPU runs it. Results go to ``tmp_path``, never to
``benchmarks/results/gpu_*.json``.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
import torch

from stprompt_core.config import load_config

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
TINY = ["--model", "STP-Tiny"]  # D = 64, from its model config


@pytest.fixture()
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module


def extract_args(tmp_path: Path, *extra: str) -> list[str]:
    return ["--device-check", "--device", "cpu", *TINY, "--precisions", "fp32", "--crops", "2", "--batch", "8",
            "--sampled", "16", "--per-video", "16", "--unique", "1", "--forward-seconds", "0.05",
            "--target-fps", "1e9", "--work", str(tmp_path / "work"), "--out", str(tmp_path / "gpu_extract.json"), *extra]


def test_extract_stage_writes_a_row_per_precision_and_a_crop_row(bench, tmp_path):
    bench("bench_extract").main(extract_args(tmp_path))
    result = json.loads((tmp_path / "gpu_extract.json").read_text())
    assert result["benchmark"] == "gpu_extract" and result["complete"] is True
    assert result["machine"]["gpu"] is None and result["machine"]["torch"] == torch.__version__
    assert result["settings"]["profile"] == "ucf_crime" and result["settings"]["crops"] == 2
    assert result["target"]["end_to_end_fps_min"] == 1e9 and result["meets_target"] is False
    single, crop = result["rows"]
    assert (single["precision"], single["crops"], single["views"]) == ("fp32", 1, 1)
    assert single["sampled_frames"] == 16 and single["videos"] == 1 and single["failed"] == 0
    assert single["end_to_end_fps"] > 0 and single["forward_fps"] > 0 and single["meets_fps_target"] is False
    assert single["decoded_frames_per_s"] == round(single["end_to_end_fps"] * 16)
    assert (crop["crops"], crop["views"], crop["crops_applied"]) == (2, 2, True)  # the store holds both views
    assert crop["sampled_frames"] == 16 and crop["failed"] == 0 and crop["ms_per_view"] > 0
    assert not (tmp_path / "work" / "fp32_c1").exists()  # each row's store is removed


def test_extract_stage_over_its_cap_records_skipped_rows(bench, tmp_path):
    bench("bench_extract").main(extract_args(tmp_path, "--time-cap", "0"))
    result = json.loads((tmp_path / "gpu_extract.json").read_text())
    assert result["complete"] is True and result["meets_target"] is None
    assert [(r["precision"], r["crops"]) for r in result["rows"]] == [("fp32", 1), ("fp32", 2)]
    assert all("stage cap" in r["skipped"] for r in result["rows"])


def test_per_view_cost_against_the_single_view_row(bench):
    per_view_cost = bench("bench_extract")._per_view_cost
    single = {"precision": "fp16", "crops": 1, "end_to_end_fps": 100.0}
    crop = {"precision": "fp16", "crops": 2, "views": 2, "end_to_end_fps": 40.0}
    cost = per_view_cost(crop, [single])
    # 40 frames/s x 2 views = 80 views/s: 12.5 ms a view, 25 ms a frame; 100/40 = 2.5x slower, 1.25x per view
    assert cost == {"crops_applied": True, "end_to_end_views_per_s": 80.0, "ms_per_sampled_frame": 25.0,
                    "ms_per_view": 12.5, "slowdown_vs_single_view": 2.5, "cost_per_view_vs_single_view": 1.25}
    assert per_view_cost({**crop, "views": 1}, [single])["crops_applied"] is False


def test_train_stage_times_every_step_of_one_epoch(bench, tmp_path):
    out = tmp_path / "gpu_train_epoch.json"
    returned = bench("bench_train_epoch").main(
        ["--device", "cpu", *TINY, "--grid", "8", "--videos", "12", "--snippets", "16", "--batch-size", "4",
         "--store-workers", "2", "--work", str(tmp_path / "work"), "--out", str(out)])
    result = json.loads(out.read_text())
    assert result == json.loads(json.dumps(returned))
    assert result["benchmark"] == "gpu_train_epoch" and result["complete"] is True
    assert result["machine"]["gpu"] is None and result["peak_gpu_memory_gib"] is None
    assert result["settings"]["videos"] == 12 and result["settings"]["batch_size"] == 4
    assert result["steps"] == 3  # 6 normal and 6 abnormal videos, 2 of each per step
    # the profile's crops (ucf_crime: ten): 6 x crops samples of each label, 2 per step
    crops = load_config("ucf_crime").extract.crops
    if crops > 1:
        projection = result["profile_crops_projection"]
        assert (projection["views"], projection["samples"], projection["steps"]) == (crops, 12 * crops, 3 * crops)
        assert projection["epoch_seconds"] == round(3 * crops * result["step_seconds"]["median"], 1)
    else:
        assert "profile_crops_projection" not in result
    assert result["epoch_seconds"] > 0 and result["step_seconds"]["median"] > 0
    assert result["meets_target"] == (result["epoch_seconds"] <= result["target"]["epoch_seconds_max"])
    assert result["store"]["workers"] == 2
    assert not (tmp_path / "work").exists()


def test_epoch_steps_of_the_profile_recipes():
    from stprompt_core.train.sampling import epoch_steps  # the count the benchmark projects with

    assert epoch_steps(8050, 8050, 128, "balanced") == 126  # 1,610 videos x 10 crops, half a label: ceil(125.8)
    assert epoch_steps(805, 805, 128, "balanced") == 13  # 805 / 64
    assert epoch_steps(1977, 1977, 96, "shuffle") == 42  # XD-Violence: 3,954 / 96 = 41.2
    assert epoch_steps(6, 6, 4, "balanced") == 3


def test_step_clock_splits_steps_into_load_and_compute(bench):
    clock = bench("bench_train_epoch").StepClock(torch.device("cpu"))
    clock.forward_starts, clock.step_ends = [1.0, 4.0, 8.0], [2.0, 5.0, 10.0]
    s = clock.summary()
    assert s["steps"] == 3
    assert s["step_seconds"] == {"median": 4.0, "mean": 4.0, "max": 5.0}  # 5-2, 10-5
    assert s["load_seconds"] == {"median": 2.5, "mean": 2.5, "max": 3.0}  # 4-2, 8-5
    assert s["compute_seconds"]["median"] == 1.0 and s["first_step_compute_seconds"] == 1.0
    assert s["load_share"] == 0.625  # (2 + 3) / (3 + 5)


def test_a_cpu_run_never_writes_the_gpu_results(bench, tmp_path):
    report = bench("device_report")
    with pytest.raises(SystemExit, match="GPU measurements only"):
        report.check_out(report.RESULTS / "gpu_extract.json", "cpu")
    assert report.check_out(tmp_path / "gpu_extract.json", "cpu") == (tmp_path / "gpu_extract.json").resolve()
    assert report.check_out(report.RESULTS / "gpu_extract.json", "cuda").name == "gpu_extract.json"
