"""The convolutional stem: same token grid as open_clip's patch embedding, declared per model, loaded strictly."""

from __future__ import annotations

import open_clip
import pytest
import torch

from stprompt_core.backbone.configs import register_model_configs
from stprompt_core.backbone.stem import ConvStem, conv_stem_channels, create_model, install_conv_stem


def _vit(patch: int = 8, image: int = 32, width: int = 16):
    from open_clip.transformer import VisionTransformer

    return VisionTransformer(image_size=image, patch_size=patch, width=width, layers=1, heads=2, mlp_ratio=2.0,
                             output_dim=8)


def test_stem_output_has_the_patch_embedding_shape():
    vit = _vit(patch=8, image=32, width=16)
    x = torch.randn(2, 3, 32, 32)
    ref = vit.conv1(x)  # [2, 16, 4, 4]
    stem = ConvStem([4, 8, 12], width=16)
    assert stem(x).shape == ref.shape == (2, 16, 4, 4)


def test_install_replaces_conv1_and_keeps_the_token_grid():
    vit = _vit(patch=8, image=32, width=16)
    install_conv_stem(vit, [4, 8, 12])
    assert isinstance(vit.conv1, ConvStem)
    vit.output_tokens = True
    vit.eval()
    pooled, tokens = vit(torch.randn(2, 3, 32, 32))
    assert pooled.shape == (2, 8) and tokens.shape == (2, 16, 16)  # 4x4 grid, width 16


def test_install_refuses_a_stem_whose_stride_is_not_the_patch_size():
    with pytest.raises(ValueError, match="stride 16.*patches are \\(8, 8\\)"):
        install_conv_stem(_vit(patch=8), [4, 8, 12, 16])


def test_synthclip_models_declare_stems_that_fit_their_patches():
    register_model_configs()
    for name in ("SynthCLIP-S", "SynthCLIP-S-MiniLM", "SynthCLIP-T-MiniLM"):
        channels = conv_stem_channels(name)
        patch = open_clip.get_model_config(name)["vision_cfg"]["patch_size"]
        assert channels is not None and 2 ** len(channels) == patch
    assert conv_stem_channels("STP-Tiny") is None


def test_create_model_round_trips_a_checkpoint(tmp_path):
    from safetensors.torch import save_file

    register_model_configs()
    torch.manual_seed(0)
    model = create_model("SynthCLIP-S")
    model.eval()
    with torch.no_grad():  # non-default BN statistics must survive the round trip
        model.visual.conv1.net[1].running_mean.uniform_(-1, 1)
    path = tmp_path / "w.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    torch.manual_seed(1)
    loaded = create_model("SynthCLIP-S", pretrained=str(path))
    loaded.eval()
    x = torch.randn(2, 3, 112, 112)
    with torch.no_grad():
        torch.testing.assert_close(loaded.encode_image(x), model.encode_image(x), rtol=0, atol=0)
