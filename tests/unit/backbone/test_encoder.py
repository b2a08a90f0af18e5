"""The frame encoder: [CLS] equals open_clip's encode_image; tokens, preprocessing, precision."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from stprompt_core.backbone.clip import load_clip
from stprompt_core.backbone.configs import embed_dim
from stprompt_core.backbone.encoder import FrameEncoder, cpu_has_native_bf16, resolve_precision
from stprompt_core.config import ConfigError, load_config


@pytest.fixture(scope="module")
def model():
    return load_clip(load_config("tiny").backbone)


@pytest.fixture(scope="module")
def frames():
    return torch.randint(0, 256, (5, 48, 64, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


def test_cls_equals_encode_image(model, frames):
    enc = FrameEncoder(model, precision="fp32")
    pixels = enc.preprocess(frames)
    out = enc.encode(pixels)
    with torch.no_grad():
        ref = model.encode_image(pixels)  # [B, D]
    torch.testing.assert_close(out.cls, ref, rtol=0, atol=1e-6)
    assert model.visual.output_tokens is False  # the wrapper leaves the model as it found it


def test_patch_tokens_are_ln_post_tokens_times_proj(model, frames):
    enc = FrameEncoder(model, precision="fp32")
    pixels = enc.preprocess(frames)
    out = enc.encode(pixels)
    v = model.visual
    with torch.no_grad():
        x = v.transformer(v._embeds(pixels))  # [B, 1 + P, width]
        ref = v.ln_post(x)[:, 1:] @ v.proj  # [B, P, D]
    D = embed_dim(load_config("tiny").backbone.model_name)
    assert enc.patch_grid == (8, 8) and enc.embed_dim == D and out.tokens.shape == (5, 64, D)
    torch.testing.assert_close(out.tokens, ref, rtol=0, atol=1e-5)


def test_preprocessing_matches_open_clip_transform(model, frames):
    from open_clip.transform import PreprocessCfg, image_transform_v2
    from PIL import Image

    enc = FrameEncoder(model, precision="fp32")
    transform = image_transform_v2(PreprocessCfg(**model.visual.preprocess_cfg), is_train=False)
    ref = torch.stack([transform(Image.fromarray(f.numpy())) for f in frames])  # PIL resize + crop + normalize
    ours = enc.preprocess(frames)
    assert ours.shape == ref.shape == (5, 3, 64, 64)
    # same crop and normalisation; PIL and torch bicubic kernels differ only slightly
    assert (ours - ref).abs().mean() < 0.01  # measured 0.005 (half a grey level)


def test_bf16_is_close_to_fp32(model, frames):
    if not cpu_has_native_bf16():
        pytest.skip("this CPU has no native bf16")
    fp32 = FrameEncoder(model, precision="fp32")(frames)
    bf16 = FrameEncoder(model, precision="bf16")(frames)
    cos = torch.nn.functional.cosine_similarity(bf16.cls, fp32.cls, dim=-1)
    assert cos.min() > 0.99
    assert model.visual.proj.dtype == torch.float32  # bf16 works on a copy


def test_precision_rules():
    assert resolve_precision("auto", torch.device("cuda")) == "fp16"
    assert resolve_precision("auto", torch.device("cpu")) == ("bf16" if cpu_has_native_bf16() else "fp32")
    with pytest.raises(ValueError, match="needs a GPU"):
        resolve_precision("fp16", torch.device("cpu"))
    with pytest.raises(ValueError, match="precision"):
        resolve_precision("int8", torch.device("cpu"))


def test_embed_dim_is_the_model_configs():
    assert embed_dim("SynthCLIP-T-MiniLM") == 384 and embed_dim("STP-Tiny") == 64 and embed_dim("ViT-B-16-quickgelu") == 512
    with pytest.raises(ConfigError, match="backbone.embed_dim is not a setting: .*backbone.model_name"):
        load_config("tiny", {"backbone.embed_dim": 32})


def test_describe_records_what_made_the_features():
    enc = FrameEncoder.from_config(load_config("tiny").backbone, precision="fp32")
    d = enc.describe()
    assert d["model_name"] == "SynthCLIP-T-MiniLM" and d["input_size"] == [64, 64] and d["precision"] == "fp32"
    assert len(d["weights_sha256"]) == 64  # the trained weights are part of the store's identity
    assert np.isfinite(enc(torch.zeros(2, 32, 32, 3, dtype=torch.uint8)).cls.numpy()).all()
