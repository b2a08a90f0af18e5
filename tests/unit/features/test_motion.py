"""Motion per patch from raw frame differences, and SA2's top-K selection on it."""

from __future__ import annotations

import torch

from stprompt_core.features.motion import frame_motion, patch_motion, pool_to_patches
from stprompt_core.model.sa2 import select_topk_patches
from stprompt_core.video.geometry import frame_geometry, patch_boxes


def _square(x: int, y: int, size: int = 16, hw: tuple[int, int] = (64, 64)) -> torch.Tensor:
    frame = torch.full((*hw, 3), 40, dtype=torch.uint8)
    frame[y : y + size, x : x + size] = 220
    return frame


def test_frame_motion_is_mean_abs_difference():
    a = torch.zeros(1, 2, 2, 3, dtype=torch.uint8)
    b = a.clone()
    b[0, 0, 0] = torch.tensor([255, 0, 0], dtype=torch.uint8)
    m = frame_motion(a, b)
    assert m.shape == (1, 2, 2)
    torch.testing.assert_close(m[0, 0, 0], torch.tensor(1 / 3))
    assert m.sum() == m[0, 0, 0] and torch.equal(frame_motion(b, a), m)  # symmetric


def test_top_k_are_the_patches_the_moving_square_uncovers_and_covers():
    # a 16 px square moving 8 px right on a 64 x 64 frame: the 8 x 8 patches of the columns it
    # leaves (2) and enters (4), rows 2-3, change; the overlap (column 3) and background do not
    g = frame_geometry((64, 64), 64, "shortest")
    frames, partners = _square(16, 16)[None], _square(24, 16)[None]
    motion = patch_motion(frames, partners, g, (8, 8))  # [1, 64]
    assert motion.shape == (1, 64)
    top = select_topk_patches(motion, 4)[0].sort().values
    assert top.tolist() == sorted(r * 8 + c for r in (2, 3) for c in (2, 4))
    assert motion[0, top].min() > 0.5 and motion[0].sort().values[-5] == 0


def test_pooling_follows_the_backbone_crop():
    # 64 x 48 frame, `shortest`: resized to 85 x 64, 10 columns cropped on the left
    g = frame_geometry((64, 48), 64, "shortest")
    box = patch_boxes(g, (8, 8))[2 * 8 + 5]  # patch (row 2, col 5) in frame pixels
    torch.testing.assert_close(box, torch.tensor([50 * 64 / 85, 12.0, 58 * 64 / 85, 18.0]))
    motion = torch.zeros(1, 48, 64)
    motion[0, 12:18, 38:43] = 1.0  # inside that patch's box
    motion[0, :, :7] = 5.0  # left of the crop: the backbone never sees it
    pooled = pool_to_patches(motion, g, (8, 8))[0]  # [P]
    assert pooled.argmax().item() == 2 * 8 + 5 and pooled[2 * 8 + 5] > 0.5
    assert (pooled > 0).sum() == 1
