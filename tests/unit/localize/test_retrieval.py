import numpy as np
import pytest
import torch

from stprompt_core.config import LocalizeConfig
from stprompt_core.localize.retrieval import boxes_from_map, frame_heatmap, map_boxes, patch_anomaly_probs
from stprompt_core.video.geometry import frame_geometry


def _constructed(D=8):
    text = torch.eye(4, D)  # prompts 0, 1 normal; 2, 3 abnormal; orthonormal
    abnormal = np.array([False, False, True, True])
    tokens = text[0].repeat(1, 16, 1)  # [1, P=16, D], grid 4x4, all normal
    planted = [5, 6, 9, 10]  # rows 1-2, cols 1-2
    tokens[0, planted] = text[2]
    return tokens, text, abnormal, planted


def test_patches_equal_to_an_abnormal_prompt_get_the_high_probability():
    tokens, text, abnormal, planted = _constructed()
    probs = patch_anomaly_probs(tokens, text, abnormal, temperature=0.01)  # [1, 16]
    assert probs.shape == (1, 16)
    assert (probs[0, planted] > 0.99).all()
    others = [i for i in range(16) if i not in planted]
    assert (probs[0, others] < 0.01).all()


def test_temperature_softens_and_scale_does_not_matter():
    tokens, text, abnormal, planted = _constructed()
    hot = patch_anomaly_probs(tokens * 7.0, text, abnormal, temperature=1.0)
    assert 0.5 < hot[0, planted[0]] < 0.99  # softer, still above the normal patches
    assert hot[0, 0] < hot[0, planted[0]]
    with pytest.raises(ValueError, match="temperature must be > 0"):
        patch_anomaly_probs(tokens, text, abnormal, 0.0)
    with pytest.raises(ValueError, match="both normal and abnormal"):
        patch_anomaly_probs(tokens, text, np.ones(4, bool), 0.01)


def test_box_covers_the_planted_patches_at_frame_resolution():
    tokens, text, abnormal, _ = _constructed()
    probs = patch_anomaly_probs(tokens, text, abnormal, 0.01).reshape(4, 4)
    heat = frame_heatmap(probs, (64, 48))  # each patch is 16x12 pixels
    assert heat.shape == (48, 64)
    assert boxes_from_map(heat, 0.5) == [[16.0, 12.0, 48.0, 36.0]]


def test_map_boxes_normalises_then_boxes_with_the_settings():
    grids = torch.zeros(2, 1, 4, 4)  # [B, V, rows, cols], one window over the whole 64x48 frame
    grids[0, 0, 1:3, 1:3] = 0.3  # a faint centre: under 0.5 as it is, the top of the range once min-max normalised
    grids[1, 0, 0, 2:] = 0.9  # a bright strip along the top right
    heats, boxes = map_boxes(grids, (64, 48), [None], LocalizeConfig(map_threshold=0.5))
    assert heats.shape == (2, 48, 64) and heats.dtype == np.float32
    np.testing.assert_array_equal(heats, frame_heatmap(grids[:, 0], (64, 48)))  # "none": the maps as they are
    assert boxes[0] == [] and len(boxes[1]) == 1
    x1, y1, x2, y2 = boxes[1][0]
    assert 24 < x1 < 40 and x2 == 64 and y1 == 0 and y2 < 24  # the strip: right half, top row of patches
    heats, boxes = map_boxes(grids, (64, 48), [None], LocalizeConfig(map_threshold=0.5, map_normalize="minmax"))
    assert heats[0].max() == pytest.approx(1.0) and heats[0].min() == 0.0
    x1, y1, x2, y2 = boxes[0][0]
    assert x1 < 32 < x2 and y1 < 24 < y2  # the faint centre, now boxed
    _, small = map_boxes(grids, (64, 48), [None], LocalizeConfig(map_threshold=0.5, min_area=0.5))
    assert small == [[], []]  # the strip covers under half the frame


def test_geometry_of_a_centre_crop_is_followed():
    # 'shortest' resize of a 128x64 frame into a 32x32 input keeps the centre 64x64 square
    geometry = frame_geometry((128, 64), (32, 32), "shortest")
    grid = torch.zeros(4, 4)
    grid[:, :2] = 1.0  # left half of what the backbone saw
    heat = frame_heatmap(grid, (128, 64), geometry)
    assert heat.shape == (64, 128)
    assert heat[:, :32].max() == 0 and heat[:, 96:].max() == 0  # cropped away: never anomalous
    assert boxes_from_map(heat, 0.5) == [[32.0, 0.0, 64.0, 64.0]]


def test_largest_or_all_components_and_min_area():
    heat = np.zeros((20, 20))
    heat[1:3, 1:3] = 1  # 4 pixels
    heat[10:18, 10:16] = 1  # 48 pixels
    assert boxes_from_map(heat, 0.5) == [[10.0, 10.0, 16.0, 18.0]]
    assert boxes_from_map(heat, 0.5, mode="all") == [[1.0, 1.0, 3.0, 3.0], [10.0, 10.0, 16.0, 18.0]]
    assert boxes_from_map(heat, 0.5, mode="all", min_area=0.05) == [[10.0, 10.0, 16.0, 18.0]]
    assert boxes_from_map(heat, 2.0) == []
    with pytest.raises(ValueError, match="box mode"):
        boxes_from_map(heat, 0.5, mode="biggest")


def test_whole_frame_upsampling_equals_bilinear_interpolate():
    grid = torch.rand(2, 8, 8)
    ref = torch.nn.functional.interpolate(grid[:, None], size=(96, 128), mode="bilinear", align_corners=False)[:, 0]
    np.testing.assert_allclose(frame_heatmap(grid, (128, 96)), ref.numpy(), atol=1e-5)


def test_balanced_groups_remove_the_bank_size_prior():
    """A patch equally similar to every prompt: the summed abnormal mass is the abnormal share
    of the bank (3 of 4 here); balanced by group size it is 0.5. A planted abnormal patch stays
    abnormal either way."""
    text = torch.eye(4, 8)
    abnormal = np.array([False, True, True, True])
    tokens = torch.zeros(1, 2, 8)
    tokens[0, 0] = text.sum(0)  # equidistant from the four prompts
    tokens[0, 1] = text[2]
    plain = patch_anomaly_probs(tokens, text, abnormal, temperature=0.01)
    balanced = patch_anomaly_probs(tokens, text, abnormal, temperature=0.01, balance_groups=True)
    assert plain[0, 0] == pytest.approx(0.75) and balanced[0, 0] == pytest.approx(0.5)
    assert plain[0, 1] > 0.99 and balanced[0, 1] > 0.99


def test_group_sizes_2_normal_6_abnormal_equal_similarity():
    """Eight orthonormal prompts, a patch at the same cosine to all: each gets 1/8 of the mass.
    Summed, the abnormal side has 6/8 = 0.75 (the bank's share, above a 0.5 map threshold);
    per prompt, both sides have 1/8, so the balanced score is (1/8) / (1/8 + 1/8) = 0.5."""
    text = torch.eye(8, 16)
    abnormal = np.array([False, False] + [True] * 6)
    tokens = text.sum(0).reshape(1, 1, 16)  # [T=1, P=1, D]
    plain = patch_anomaly_probs(tokens, text, abnormal, temperature=0.01)
    balanced = patch_anomaly_probs(tokens, text, abnormal, temperature=0.01, balance_groups=True)
    assert plain.item() == pytest.approx(0.75) and balanced.item() == pytest.approx(0.5)


def test_balanced_score_worked_by_hand_for_unequal_similarities():
    """One normal and three abnormal prompts (orthonormal e0..e3); the patch z = e0 + (e1 + e2 + e3) / 2
    has cosines c0 = 1 / |z| and ck = 0.5 / |z|. At the temperature (c0 - ck) / ln 3 the normal prompt's
    softmax weight is 3 times each abnormal one's: weights 3 : 1 : 1 : 1. Summed abnormal mass
    3 / 6 = 0.5; per prompt, abnormal (3/6)/3 = 1/6 against normal (3/6)/1 = 1/2, so the balanced
    score is (1/6) / (1/6 + 1/2) = 0.25."""
    text = torch.eye(4, 8)
    abnormal = np.array([False, True, True, True])
    z = torch.tensor([1.0, 0.5, 0.5, 0.5, 0, 0, 0, 0])
    temperature = float((0.5 / z.norm()) / np.log(3.0))
    plain = patch_anomaly_probs(z.reshape(1, 1, 8), text, abnormal, temperature)
    balanced = patch_anomaly_probs(z.reshape(1, 1, 8), text, abnormal, temperature, balance_groups=True)
    assert plain.item() == pytest.approx(0.5, abs=1e-5) and balanced.item() == pytest.approx(0.25, abs=1e-5)


def test_balancing_shifts_the_log_odds_by_the_log_size_ratio():
    """For any patch, logit(balanced) = logit(summed) - log(n_a / n_n): the same ranking of patches,
    with 0.5 moved to where the mean per-prompt masses are equal."""
    g = torch.Generator().manual_seed(0)
    text = torch.randn(9, 16, generator=g)
    abnormal = np.array([False, False, False] + [True] * 6)  # n_n = 3, n_a = 6
    tokens = torch.randn(2, 5, 16, generator=g)
    plain = patch_anomaly_probs(tokens, text, abnormal, temperature=0.1).double()
    balanced = patch_anomaly_probs(tokens, text, abnormal, temperature=0.1, balance_groups=True).double()
    torch.testing.assert_close(torch.logit(balanced), torch.logit(plain) - np.log(6 / 3), atol=1e-4, rtol=0)
