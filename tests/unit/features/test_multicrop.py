"""Multi-crop extraction (VadCLIP's ten-crop): geometry against torchvision, the store's crop splits,
and training over every crop."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision.transforms.functional as TF
from extract_fixtures import tiny_config, write_dataset

from stprompt_core.features.extract import extract_features
from stprompt_core.features.motion import patch_motion
from stprompt_core.features.store import FeatureStore, FeatureStoreError
from stprompt_core.train import TrainingData, plan_splits
from stprompt_core.video.decode import decode_snippet_frames
from stprompt_core.video.crops import frame_crops


def test_ten_crop_windows_on_a_320x240_frame():
    crops = frame_crops((320, 240), (224, 224), 10, 256)
    assert [v.index for v in crops] == list(range(10))
    assert [v.flip for v in crops] == [False] * 5 + [True] * 5
    assert {v.geometry.resized_hw for v in crops} == {(256, 341)}  # short side 256, 320 * 256 / 240 = 341.3
    # (y, x) of each crop's origin on the resized frame: centre (16, 58.5 -> 58), then the corners
    origins = [(-v.geometry.offset[0], -v.geometry.offset[1]) for v in crops[:5]]
    assert origins == [(16, 58), (0, 0), (0, 117), (32, 0), (32, 117)]
    # mirrored crops: the same windows cut from the mirrored frame (torchvision's ten_crop)
    assert [(-v.geometry.offset[0], -v.geometry.offset[1]) for v in crops[5:]] == [(16, 59), (0, 117), (0, 0),
                                                                                    (32, 117), (32, 0)]


@pytest.mark.parametrize("crops, names", [(1, ["centre"]), (2, ["centre", "centre mirrored"]),
                                          (5, ["centre", "top-left", "top-right", "bottom-left", "bottom-right"])])
def test_crop_counts_and_order(crops, names):
    assert [v.name for v in frame_crops((320, 240), (224, 224), crops, 256)] == names


def test_bad_crop_settings_are_named():
    with pytest.raises(ValueError, match="extract.crops=3"):
        frame_crops((320, 240), (224, 224), 3, 256)
    with pytest.raises(ValueError, match="crop_resize=100"):
        frame_crops((320, 240), (224, 224), 10, 100)


def test_crop_pixels_equal_torchvision_ten_crop():
    """Each crop's warp + flip equals torchvision's resize + ten_crop, in VadCLIP's numbering."""
    g = torch.Generator().manual_seed(0)
    frame = torch.rand(1, 3, 60, 80, generator=g)  # (W, H) = (80, 60)
    crops = frame_crops((80, 60), (32, 32), 10, 40)
    resized = TF.resize(frame, [40], interpolation=TF.InterpolationMode.BICUBIC, antialias=True)
    tl, tr, bl, br, c, tl_f, tr_f, bl_f, br_f, c_f = TF.ten_crop(resized, [32, 32])
    expected = [c, tl, tr, bl, br, c_f, tl_f, tr_f, bl_f, br_f]
    for crop, want in zip(crops, expected):
        got = crop.apply(crop.geometry.warp(frame, mode="bicubic"))
        torch.testing.assert_close(got, want, atol=1e-5, rtol=0, msg=crop.name)


def test_mirrored_crop_motion_is_the_mirrored_map():
    """Motion of a flipped crop = motion of the flipped crop's pixels, patch for patch."""
    frames = torch.zeros(1, 48, 64, 3, dtype=torch.uint8)
    partners = frames.clone()
    partners[0, 10:20, 12:22] = 200  # motion near the left edge only
    crops = frame_crops((64, 48), (32, 32), 10, 32)
    centre, mirrored = crops[1], crops[5 + 1]  # top-left, and the top-left window of the mirrored frame
    plain = patch_motion(frames, partners, centre.geometry, (8, 8))  # [1, 16]
    flipped = mirrored.flip_grid(patch_motion(frames, partners, mirrored.geometry, (8, 8)), (4, 4))
    by_pixels = patch_motion(frames.flip(2), partners.flip(2), centre.geometry, (8, 8))  # mirror the frames first
    torch.testing.assert_close(flipped, by_pixels)
    # motion on the frame's left: the left columns of the top-left window, the right ones of its mirror
    assert int(plain.argmax()) % 4 < 2 and int(flipped.argmax()) % 4 >= 2


@pytest.fixture(scope="module")
def two_crop_store(tmp_path_factory):
    root = tmp_path_factory.mktemp("multicrop")
    write_dataset(root)
    cfg = tiny_config(root, **{"extract.crops": 2, "extract.crop_resize": 0})
    summary = extract_features(cfg, num_workers=0, progress=False)
    assert summary.ok
    return root, cfg, summary


def test_store_keeps_every_crop_of_the_training_split(two_crop_store):
    root, cfg, summary = two_crop_store
    store = FeatureStore(root / "store")
    assert (store.meta.crops, store.meta.crop_splits) == (2, ["train"])
    assert sorted(store.splits) == ["test", "tokens", "train", "train.crop1"]
    assert summary.warnings == []  # the crops' folders are not taken for videos missing from the manifest
    assert summary.forwards == summary.sampled_frames + sum(v.num_snippets for v in store.videos("train"))
    centre, mirror = store.videos("train"), store.videos(store.crop_split("train", 1))
    assert [v.video_id for v in centre] == [v.video_id for v in mirror]
    rows, cols = store.meta.patch_grid
    crops = frame_crops((64, 48), (64, 64), 2, 64)
    for a, b in zip(centre, mirror):
        # crop 1 = the centre window of the mirrored frame: its motion is that of mirrored frames
        chunk = decode_snippet_frames(root / "videos" / f"{a.video_id}.mp4", 16)
        want = patch_motion(chunk.frames.flip(2), chunk.partners.flip(2), crops[0].geometry, (8, 8))
        np.testing.assert_allclose(b.patch_motion, want.numpy(), atol=1e-3)
        assert not np.allclose(a.frame_feats, b.frame_feats)  # the backbone saw other pixels
        assert (a.label, a.class_index, a.classes) == (b.label, b.class_index, b.classes)
    with pytest.raises(FeatureStoreError, match="crop_splits"):
        store.crop_split("test", 1)  # the test split was extracted with the centre crop only


def test_training_visits_every_crop_once_per_epoch(two_crop_store):
    root, cfg, _ = two_crop_store
    store = FeatureStore(root / "store")
    cfg.data.val_fraction = 0.0
    plan = plan_splits(cfg, store)
    data = TrainingData(cfg, store, plan.train_split, plan.train_rows)
    pairs = [p for batch in data.epoch_batches(0) for p in batch]
    assert set(pairs) == {(r, v) for r in plan.train_rows for v in (0, 1)}
    seqs = data.get(sorted(set(pairs)))
    assert not np.allclose(seqs[0].frame, seqs[1].frame)  # (row 0, crop 0) vs (row 0, crop 1)


def test_shuffle_sampling_cuts_one_random_order(two_crop_store):
    root, cfg, _ = two_crop_store
    store = FeatureStore(root / "store")
    cfg.data.val_fraction, cfg.train.sampling, cfg.train.batch_size = 0.0, "shuffle", 3
    plan = plan_splits(cfg, store)
    batches = TrainingData(cfg, store, plan.train_split, plan.train_rows).epoch_batches(1)
    assert [len(b) for b in batches] == [3, 1]  # 2 videos x 2 crops = 4 pairs, each once
    assert sorted(p for b in batches for p in b) == [(0, 0), (0, 1), (1, 0), (1, 1)]


def test_a_video_killed_between_its_crops_is_redone(tmp_path):
    """Crops 1.. are written before crop 0, so a video whose crop 0 is missing counts as not
    extracted: the rerun redoes it and the finished store equals an uninterrupted one."""
    write_dataset(tmp_path)
    cfg = tiny_config(tmp_path, **{"extract.crops": 2, "extract.crop_resize": 0})
    extract_features(cfg, video_ids=["n0", "a0"], num_workers=0, progress=False, finalize=False)
    (tmp_path / "store" / "parts" / "train" / "a0.safetensors").unlink()  # killed after a0's crop 1
    resumed = extract_features(cfg, num_workers=0, progress=False)
    assert resumed.skipped == ["n0"] and sorted(resumed.extracted) == ["a0", "a1", "n1"]
    full_cfg = tiny_config(tmp_path, store="full", **{"extract.crops": 2, "extract.crop_resize": 0})
    extract_features(full_cfg, num_workers=0, progress=False)
    a, b = FeatureStore(tmp_path / "store"), FeatureStore(tmp_path / "full")
    assert a.splits == b.splits == {"test": 2, "tokens": 1, "train": 2, "train.crop1": 2}
    for split in ("train", "train.crop1"):
        for va, vb in zip(a.videos(split), b.videos(split)):
            assert va.video_id == vb.video_id
            np.testing.assert_array_equal(va.patch_motion, vb.patch_motion)
            np.testing.assert_allclose(va.frame_feats.astype(np.float32), vb.frame_feats.astype(np.float32), atol=1e-2)


def test_a_store_of_other_crops_is_not_reused(two_crop_store):
    root, _, _ = two_crop_store
    with pytest.raises(FeatureStoreError, match="crops"):
        extract_features(tiny_config(root), num_workers=0, progress=False)  # same store, one crop
