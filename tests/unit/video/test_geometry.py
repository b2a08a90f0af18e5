"""Frame -> backbone-input geometry for open_clip's three resize modes, and patch boxes."""

from __future__ import annotations

import pytest
import torch

from stprompt_core.video.geometry import frame_geometry, patch_boxes


def test_shortest_resizes_then_crops_the_centre_like_torchvision():
    g = frame_geometry((320, 240), 224, "shortest")
    assert g.resized_hw == (224, 298) and g.offset == (0, -37)  # int(224 * 320 / 240), round(74 / 2)
    boxes = patch_boxes(g, (16, 16))  # 14 x 14 patches
    assert boxes.shape == (196, 4)
    s = 320 / 298
    torch.testing.assert_close(boxes[0], torch.tensor([37 * s, 0.0, 53 * s, 240 / 14]))
    torch.testing.assert_close(boxes[-1], torch.tensor([(37 + 208) * s, 240 - 240 / 14, (37 + 224) * s, 240.0]))
    x = torch.rand(2, 3, 240, 320)
    assert g.warp(x).shape == (2, 3, 224, 224)


def test_squash_keeps_the_whole_frame():
    g = frame_geometry((64, 48), 64, "squash")
    assert g.resized_hw == (64, 64) and g.offset == (0, 0)
    x = torch.rand(2, 3, 48, 64)
    assert g.warp(x).shape == (2, 3, 64, 64)


def test_longest_pads_and_padding_patches_are_empty():
    g = frame_geometry((64, 32), 64, "longest")
    assert g.resized_hw == (32, 64) and g.offset == (16, 0)
    out = g.warp(torch.ones(1, 1, 32, 64), mode="area", fill=0.0)
    assert out[0, 0, :16].sum() == 0 and out[0, 0, 16:48].min() == 1
    boxes = patch_boxes(g, (8, 8))
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    assert (area.view(8, 8)[:2] == 0).all() and (area.view(8, 8)[2:6] > 0).all()


def test_warp_is_identity_when_sizes_match():
    g = frame_geometry((64, 64), 64, "shortest")
    x = torch.rand(1, 3, 64, 64)
    assert torch.equal(g.warp(x), x)


def test_unknown_mode():
    with pytest.raises(ValueError, match="resize_mode"):
        frame_geometry((64, 64), 64, "stretch")
