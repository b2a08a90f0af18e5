import json

import numpy as np
import pytest
from safetensors.numpy import load_file

from stprompt_core.localize.maps import load_maps
from stprompt_core.localize.retrieval import boxes_from_map
from stprompt_core.config import LocalizeConfig
from stprompt_core.localize.run import LocalizationError, load_localized, localize
from stprompt_core.prompts.bank import load_curated_bank


def test_planted_regions_are_found_and_tiou_counts_the_gate(planted_run):
    result = localize(planted_run)
    assert result["n_frames"] == 6 and result["n_passed"] == 5 and result["n_videos"] == 2
    assert result["mean_iou"] == pytest.approx(1.0)
    assert result["tiou"] == pytest.approx(5 / 6)
    fighting = result["per_class"]["fighting"]
    assert {k: fighting[k] for k in ("tiou", "mean_iou", "tiou_ceiling", "iou_ceiling", "n_frames")} == {
        "tiou": pytest.approx(4 / 5), "mean_iou": pytest.approx(1.0), "tiou_ceiling": pytest.approx(4 / 5),
        "iou_ceiling": pytest.approx(1.0), "n_frames": 5}
    # the planted map points into the box on every frame; 4 of the 64 patches lie in it
    assert result["pointing"] == pytest.approx(1.0) and fighting["pointing_chance"] == pytest.approx(4 / 64)
    # prompt-free boxes on the same frames, under the same gate: the whole 128x96 view holds the 32x24 box
    whole = result["baselines"]["whole view"]
    assert whole["mean_iou"] == pytest.approx(32 * 24 / (128 * 96)) and whole["tiou"] == pytest.approx(5 / 6 * whole["mean_iou"])
    diff = whole["method_minus"]
    assert diff["diff"] == pytest.approx(result["tiou"] - whole["tiou"], abs=1e-4) and diff["low"] > 0
    assert result["best_baseline"] in result["baselines"]
    # the planted boxes are whole patches, so the grid allows a perfect map: ceilings equal the results
    assert result["iou_ceiling"] == pytest.approx(1.0) and result["tiou_ceiling"] == pytest.approx(5 / 6)
    assert result["per_class"]["fire"]["tiou"] == pytest.approx(1.0)
    assert result["threshold"] == 0.5 and result["bank"] == "curated:synthvad"
    assert result["timing"]["frames_per_s"] > 0
    frames = json.loads((planted_run / "localization_frames.json").read_text())
    f16 = next(r for r in frames if r["video_id"] == "v_fight" and r["frame"] == 16)
    # ground truth [160, 60, 240, 120] at 320x240 is [64, 24, 96, 48] on the 128x96 frames
    assert f16["gt_boxes"] == [[64.0, 24.0, 96.0, 48.0]] and f16["pred_boxes"] == [[64.0, 24.0, 96.0, 48.0]]
    saved = json.loads((planted_run / "localization.json").read_text())
    assert saved["tiou"] == pytest.approx(result["tiou"])
    maps = load_file(str(planted_run / "localization_maps.safetensors"))
    assert maps["maps/v_fight"].shape == (6, 1, 8, 8) and maps["maps/v_fight"].dtype == np.float32  # [T, V, rows, cols]
    assert maps["maps/v_fight"][1, 0, 2:4, 4:6].min() > 0.99 and maps["maps/v_fight"][0].max() < 0.01
    np.testing.assert_allclose(maps["scores/v_fight"], [0.1, 0.9, 0.9, 0.9, 0.9, 0.2], rtol=1e-6)
    saved_maps = load_maps(planted_run / "localization_maps.safetensors")
    assert saved_maps.window == "stored" and saved_maps.frame_size == (128, 96) and saved_maps.geometries == [None]
    heat = saved_maps.heatmaps("v_fight")  # [T, H, W]: the planted patches 4-5 x 2-3 are pixels 64-96 x 24-48
    assert heat.shape == (6, 96, 128) and boxes_from_map(heat[1], 0.5) == [[64.0, 24.0, 96.0, 48.0]]


def test_saved_maps_give_back_the_boxes_localize_drew(planted_run):
    localize(planted_run)
    frames = json.loads((planted_run / "localization_frames.json").read_text())
    saved = load_localized(planted_run)
    assert saved.settings.map_threshold == LocalizeConfig().map_threshold
    for vid in ("v_fight", "v_fire"):
        heats, boxes = saved.boxed(vid)
        assert heats.shape[0] == len(boxes) == saved.maps[vid].shape[0]
        for r in (r for r in frames if r["video_id"] == vid):
            assert boxes[r["snippet"]] == r["pred_boxes"], r
    with pytest.raises(ValueError, match="load_localized"):
        load_maps(planted_run / "localization_maps.safetensors").boxed("v_fight")


def test_threshold_moves_the_gate(planted_run):
    assert localize(planted_run, overrides={"score_threshold": 0.1}, write=False)["tiou"] == pytest.approx(1.0)
    assert localize(planted_run, overrides={"score_threshold": 0.95}, write=False)["tiou"] == 0.0


def test_a_bank_that_calls_the_planted_text_normal_loses_the_box(planted_run, tmp_path):
    bank = load_curated_bank("synthvad")
    bank.abnormal["fighting"].remove("two people fighting")
    bank.normal.append("two people fighting")
    bank.save(tmp_path / "b.json")
    result = localize(planted_run, bank=tmp_path / "b.json", write=False)
    assert result["per_class"]["fighting"]["mean_iou"] < 0.5
    assert result["per_class"]["fire"]["mean_iou"] == pytest.approx(1.0)


def test_missing_inputs_are_named(planted_run, tmp_path):
    with pytest.raises(FileNotFoundError, match="no config.json"):
        localize(tmp_path)
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text((planted_run / "config.json").read_text())
    with pytest.raises(FileNotFoundError, match="stprompt evaluate"):
        localize(run)
    scores = json.loads((planted_run / "scores.json").read_text())
    (run / "scores.json").write_text(json.dumps({"v_fight": scores["v_fight"]}))
    with pytest.raises(LocalizationError, match=r"no temporal scores for boxed videos \['v_fire'\]"):
        localize(run)
    scores["v_fire"]["snippet_scores"] = [0.5]
    (run / "scores.json").write_text(json.dumps(scores))
    with pytest.raises(LocalizationError, match="'v_fire': 4 snippets of patch tokens but 1 temporal scores"):
        localize(run, write=False)


def test_frames_without_patch_tokens_are_an_error(planted_run, tmp_path):
    import shutil

    from stprompt_core.config import config_from_dict

    cfg = config_from_dict(json.loads((planted_run / "config.json").read_text()))
    store = tmp_path / "store"
    shutil.copytree(cfg.data.feature_store, store)
    shutil.rmtree(store / "tokens")
    cfg.data.feature_store = str(store)
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(cfg.to_json())
    shutil.copy(planted_run / "scores.json", run / "scores.json")
    with pytest.raises(LocalizationError, match="'v_fight' has boxes but no patch tokens.*keep_tokens=boxed_test"):
        localize(run)


def test_settings_are_validated(planted_run):
    with pytest.raises(ValueError, match="map_normalize"):
        localize(planted_run, settings=LocalizeConfig(map_normalize="zscore"), write=False)
    with pytest.raises(ValueError, match="class_names"):
        localize(planted_run, settings=LocalizeConfig(class_names="latin"), write=False)


def _run_with_videos(planted_run, tmp_path, write_videos: bool):
    from stprompt_core.config import config_from_dict

    cfg = config_from_dict(json.loads((planted_run / "config.json").read_text()))
    cfg.data.data_root = str(tmp_path / "videos")
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(cfg.to_json())
    (run / "scores.json").write_text((planted_run / "scores.json").read_text())
    if write_videos:
        from stprompt_core.video.write import write_mp4

        rng = np.random.default_rng(0)
        for vid, n in (("v_fight", 96), ("v_fire", 64)):
            write_mp4(tmp_path / "videos" / f"{vid}.mp4", (rng.integers(0, 255, (96, 128, 3), np.uint8)
                                                           for _ in range(n)))
    return run


def test_dense_refinement_re_encodes_the_videos(planted_run, tmp_path):
    run = _run_with_videos(planted_run, tmp_path, write_videos=True)
    result = localize(run, overrides={"dense": True})
    assert result["settings"]["dense"] is True and result["n_frames"] == 6
    assert 0.0 <= result["tiou"] <= result["mean_iou"] <= 1.0
    assert load_file(str(run / "localization_maps.safetensors"))["maps/v_fight"].shape == (6, 1, 8, 8)


def test_dense_without_the_videos_names_the_video(planted_run, tmp_path):
    run = _run_with_videos(planted_run, tmp_path, write_videos=False)
    with pytest.raises(LocalizationError, match="localize.dense re-encodes frames, but video 'v_fight' cannot be decoded"):
        localize(run, overrides={"dense": True})


def test_tiles_window_re_encodes_windows_that_cover_the_whole_frame(planted_run, tmp_path):
    from stprompt_core.localize.retrieval import windows_heatmap

    run = _run_with_videos(planted_run, tmp_path, write_videos=True)
    stored = localize(run, write=False)
    result = localize(run, overrides={"window": "tiles"})
    # 128x96 frames into the tiny backbone's 64x64 input: resized to 85x64, two 64-px windows at x = 0 and 21
    assert result["windows"] == 2 and result["settings"]["window"] == "tiles" and result["n_frames"] == 6
    assert 0.0 <= result["tiou"] <= result["mean_iou"] <= 1.0
    saved = load_maps(run / "localization_maps.safetensors")
    assert saved.window == "tiles" and [g.offset for g in saved.geometries] == [(0, 0), (0, -21)]
    assert saved.maps["v_fight"].shape == (6, 2, 8, 8)
    heat = saved.heatmaps("v_fight")
    np.testing.assert_allclose(heat, windows_heatmap(saved.maps["v_fight"], (128, 96), saved.geometries))
    coverage = windows_heatmap(np.ones((2, 8, 8)), (128, 96), saved.geometries)
    np.testing.assert_allclose(coverage, 1.0, atol=1e-6)  # every pixel of the frame has a map
    # the store's maps: the planted run records no backbone geometry (grid over the whole frame), 8x8 patches
    assert stored["iou_ceiling"] == pytest.approx(1.0)


def test_overrides_are_checked_as_set_checks_them(planted_run):
    from stprompt_core.config import ConfigError

    with pytest.raises(ConfigError, match="localize.map_threshold expects a number"):
        localize(planted_run, overrides={"map_threshold": "high"}, write=False)
    with pytest.raises(ConfigError, match="train.lr is not a localize setting"):
        localize(planted_run, overrides={"train.lr": 0.1}, write=False)


def test_unknown_window_is_named(planted_run):
    with pytest.raises(ValueError, match="localize.window='whole'"):
        localize(planted_run, overrides={"window": "whole"}, write=False)
