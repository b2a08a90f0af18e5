"""Windows of the frame for localization maps: tiles, stitching, cells, re-encoding, the maps file."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from stprompt_core.localize.ceiling import grid_iou_ceiling
from stprompt_core.localize.retrieval import frame_cells, frame_heatmap, frame_patch_boxes, windows_heatmap
from stprompt_core.localize.windows import encode_windows, window_geometries
from stprompt_core.video.geometry import frame_geometry, tile_geometries


def test_tiles_span_a_4_3_frame_edge_to_edge():
    # UCF-Crime 320x240 into ViT-B/16's 224: resized to 298x224 (torchvision), the centre crop starts at 37
    two = tile_geometries((320, 240), 224)
    assert [g.offset for g in two] == [(0, 0), (0, -74)]  # the fewest that cover 298 px: 2, at 0 and 298-224
    assert all(g.resized_hw == (224, 298) for g in two)
    three = tile_geometries((320, 240), 224, n_tiles=3)
    assert [g.offset for g in three] == [(0, 0), (0, -37), (0, -74)]
    assert three[1] == frame_geometry((320, 240), 224, "shortest")  # the middle tile is CLIP's centre crop
    assert tile_geometries((112, 112), 112) == [frame_geometry((112, 112), 112, "shortest")]
    tall = tile_geometries((96, 128), 64)  # portrait: windows go down the frame
    assert [g.offset for g in tall] == [(0, 0), (-21, 0)] and tall[0].resized_hw == (85, 64)
    with pytest.raises(ValueError, match="n_tiles"):
        tile_geometries((320, 240), 224, n_tiles=-1)


def test_window_geometries_name_open_clips_modes():
    size, hw = (150, 112), (112, 112)
    assert window_geometries("stored", size, hw) == [frame_geometry(size, hw, "shortest")]
    assert window_geometries("squash", size, hw)[0].resized_hw == (112, 112)
    pad = window_geometries("pad", size, hw)[0]
    assert pad.resized_hw == (84, 112) and pad.offset == (14, 0)  # 150x112 fitted into 112: 112x84, padded
    assert len(window_geometries("tiles", size, hw)) == 2 and len(window_geometries("tiles", size, hw, n_tiles=3)) == 3
    with pytest.raises(ValueError, match="localize.window='whole' is not one of"):
        window_geometries("whole", size, hw)


def test_stitched_tiles_cover_the_frame_and_average_the_overlap():
    # 48x32 frame, 32x32 input: tile 0 sees x in [0, 32), tile 1 x in [16, 48)
    tiles = tile_geometries((48, 32), 32)
    grids = torch.stack([torch.ones(4, 4), torch.zeros(4, 4)])  # [V, rows, cols]: tile 0 says 1, tile 1 says 0
    heat = windows_heatmap(grids, (48, 32), tiles)
    assert heat.shape == (32, 48)
    np.testing.assert_allclose(heat[:, :16], 1.0)
    np.testing.assert_allclose(heat[:, 16:32], 0.5)  # both tiles: their mean
    np.testing.assert_allclose(heat[:, 32:], 0.0)
    crop = frame_geometry((48, 32), 32, "shortest")
    assert frame_heatmap(torch.ones(4, 4), (48, 32), crop)[:, :8].max() == 0  # the centre crop never sees x < 8
    one = torch.rand(3, 1, 4, 4)  # [B, V=1, rows, cols]: the single-window path is frame_heatmap itself
    np.testing.assert_array_equal(windows_heatmap(one, (48, 32), [crop]), frame_heatmap(one[:, 0], (48, 32), crop))
    with pytest.raises(ValueError, match="2 patch maps per frame but 1 window"):
        windows_heatmap(grids, (48, 32), [crop])


def test_cells_of_overlapping_tiles_partition_the_frame():
    # 44x32 frame, 32x32 input, 8 px patches: tile edges at 0, 8, ..., 32 and 12, 20, ..., 44
    tiles = tile_geometries((44, 32), 32)
    cells = frame_cells(tiles, (4, 4), (44, 32))
    xs = sorted({float(x) for x in cells[:, 0]})
    assert xs == [0, 8, 12, 16, 20, 24, 28, 32, 36]  # 9 columns x 4 rows
    assert len(cells) == 36
    area = (cells[:, 2] - cells[:, 0]) * (cells[:, 3] - cells[:, 1])
    assert area.sum() == pytest.approx(44 * 32)  # no gap, no overlap
    gt = [[12.0, 0.0, 20.0, 8.0]]  # straddles two patches of tile 0, one patch of tile 1
    assert grid_iou_ceiling(gt, cells) == pytest.approx(1.0)
    crop = frame_geometry((44, 32), 32, "shortest")
    assert grid_iou_ceiling(gt, frame_patch_boxes(crop, (4, 4), (44, 32))) < 1.0
    np.testing.assert_array_equal(frame_cells([crop], (4, 4), (44, 32)), frame_patch_boxes(crop, (4, 4), (44, 32)))


def test_a_window_encodes_as_the_backbone_would(tiny_clip):
    from stprompt_core.backbone.encoder import FrameEncoder

    enc = FrameEncoder(tiny_clip, precision="fp32")
    frames = torch.randint(0, 255, (2, 48, 80, 3), dtype=torch.uint8)
    own = enc(frames).tokens  # [B, P, D]
    tiles = tile_geometries((80, 48), enc.input_hw, n_tiles=3)
    tokens = encode_windows(enc, frames, tiles)  # [B, V, P, D]
    assert tokens.shape == (2, 3, enc.num_patches, enc.embed_dim)
    torch.testing.assert_close(tokens[:, 1], own, atol=1e-5, rtol=1e-5)  # the middle tile is the centre crop
    assert not torch.allclose(tokens[:, 0], own, atol=1e-3)


def test_maps_files_name_their_window_mode_and_older_ones_still_load(tmp_path):
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file

    from stprompt_core.localize.maps import load_maps, save_maps

    path = tmp_path / "localization_maps.safetensors"
    save_maps(path, {"v": np.zeros((2, 1, 4, 4), np.float32)}, {"v": np.zeros(2, np.float32)}, frame_size=(32, 32),
              snippet_len=16, patch_grid=(4, 4), geometries=[None], window="squash")
    assert load_maps(path).window == "squash"
    with safe_open(str(path), framework="numpy") as fh:
        meta = fh.metadata()
    meta["view"] = meta.pop("window")  # as files written before localize.view became localize.window
    save_file(load_file(str(path)), str(path), metadata=meta)
    assert load_maps(path).window == "squash"
