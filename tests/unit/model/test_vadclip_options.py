"""The options that restore VadCLIP's behaviour, each against VadCLIP's own formula on a hand-built
batch (nwpu-zxr/VadCLIP: src/model.py, src/xd_test.py, src/ucf_train.py, its crop code)."""

from __future__ import annotations


import pytest
import torch
import torchvision.transforms.functional as TF

from stprompt_core.config import load_config
from stprompt_core.model.branches import AlignmentBranch, BinaryBranch, VisualPrompt
from stprompt_core.model.stprompt import Outputs
from stprompt_core.train import TrainingData
from stprompt_core.train.sampling import epoch_steps
from stprompt_core.video.crops import frame_crops

B, T, C, D = 3, 7, 5, 16


def batch(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(B, T, D, generator=g), torch.randn(B, T, generator=g), torch.randn(C, D, generator=g))


def vadclip_align_logits(visual, logits1, text_ori, mlp1):
    """VadCLIP CLIPVAD.forward after encode_video, written as it is there (logits1 [B, T, 1])."""
    logits_attn = logits1.permute(0, 2, 1)
    visual_attn = logits_attn @ visual
    visual_attn = visual_attn / visual_attn.norm(dim=-1, keepdim=True)
    visual_attn = visual_attn.expand(visual_attn.shape[0], text_ori.shape[0], visual_attn.shape[2])
    text_features = text_ori.unsqueeze(0)
    text_features = text_features.expand(visual_attn.shape[0], text_features.shape[1], text_features.shape[2])
    text_features = text_features + visual_attn
    text_features = text_features + mlp1(text_features)
    visual_norm = visual / visual.norm(dim=-1, keepdim=True)
    text_norm = (text_features / text_features.norm(dim=-1, keepdim=True)).permute(0, 2, 1)
    return visual_norm @ text_norm / 0.07


def test_visual_prompt_equals_vadclip_formula():
    x, logits, text = batch()
    prompt = VisualPrompt(D)
    mask = torch.ones(B, T, dtype=torch.bool)
    got = AlignmentBranch(0.07)(x, prompt(x, logits, mask, text))  # [B, T, C]
    want = vadclip_align_logits(x, logits[..., None], text, prompt.mlp)
    torch.testing.assert_close(got, want)
    # without the prompt the branch is the plain cosine to the shared class texts
    plain = AlignmentBranch(0.07)(x, text)
    assert not torch.allclose(plain, got)


def test_visual_prompt_leaves_padding_out():
    x, logits, text = batch(1)
    prompt = VisualPrompt(D)
    padded_x = torch.cat([x, torch.randn(B, 4, D)], dim=1)
    padded_logits = torch.cat([logits, torch.randn(B, 4)], dim=1)
    mask = torch.cat([torch.ones(B, T, dtype=torch.bool), torch.zeros(B, 4, dtype=torch.bool)], dim=1)
    torch.testing.assert_close(prompt(padded_x, padded_logits, mask, text),
                               prompt(x, logits, torch.ones(B, T, dtype=torch.bool), text))


def test_vadclip_binary_head_equals_classifier_of_x_plus_mlp():
    x, _, _ = batch(2)
    head = BinaryBranch(D, hidden=128, head="vadclip")
    mlp2, classifier = head.residual, head.mlp[0]
    want = classifier(x + mlp2(x)).squeeze(-1)  # VadCLIP: logits1 = classifier(v + mlp2(v))
    torch.testing.assert_close(head(x), want)
    assert not any(isinstance(m, (torch.nn.Dropout, torch.nn.LayerNorm)) for m in head.modules())
    # QuickGELU as in VadCLIP: x * sigmoid(1.702 x)
    act = mlp2[1]
    z = torch.linspace(-3, 3, 7)
    torch.testing.assert_close(act(z), z * torch.sigmoid(1.702 * z))


def test_align_score_is_one_minus_normal_softmax():
    x, logits, text = batch(3)
    align = AlignmentBranch(0.07)(x, text)
    out = Outputs(logits, align, text, x)
    want = 1 - align.reshape(B * T, C).softmax(dim=-1)[:, 0]  # xd_test.py: prob2
    torch.testing.assert_close(out.branch_scores("align").reshape(-1), want)
    torch.testing.assert_close(out.branch_scores("binary"), torch.sigmoid(logits))
    with pytest.raises(ValueError, match="not one of"):
        out.branch_scores("both")


def sampler(n_normal: int, n_abnormal: int, batch_size: int, sampling: str):
    cfg = load_config("tiny", {"train.batch_size": batch_size, "train.sampling": sampling})
    data = TrainingData.__new__(TrainingData)  # the sampler only reads these
    data.cfg = cfg
    data.normal = [(r, 0) for r in range(n_normal)]
    data.abnormal = [(r, 0) for r in range(10**6, 10**6 + n_abnormal)]
    return data


@pytest.mark.parametrize("n_normal, n_abnormal, half", [(80, 81, 8), (8000, 8100, 64), (30, 7, 2)])
def test_balanced_min_runs_vadclips_steps(n_normal, n_abnormal, half):
    data = sampler(n_normal, n_abnormal, 2 * half, "balanced_min")
    batches = data.epoch_batches(0)
    # ucf_train.py: range(min(len(normal_loader), len(anomaly_loader))), each DataLoader(batch_size=half, drop_last)
    assert len(batches) == min(n_normal // half, n_abnormal // half)
    normal = [p for b in batches for p in b[:half]]
    abnormal = [p for b in batches for p in b[half:]]
    assert all(len(b) == 2 * half for b in batches)
    assert all(r < 10**6 for r, _ in normal) and all(r >= 10**6 for r, _ in abnormal)
    assert len(set(normal)) == len(normal) and len(set(abnormal)) == len(abnormal)  # no sample twice
    # the project default cycles the smaller side instead, so it runs more steps
    assert len(sampler(n_normal, n_abnormal, 2 * half, "balanced").epoch_batches(0)) >= len(batches)
    for mode in ("balanced_min", "balanced", "shuffle"):  # the count benchmarks project with is the sampler's
        assert epoch_steps(n_normal, n_abnormal, 2 * half, mode) == len(sampler(n_normal, n_abnormal, 2 * half,
                                                                             mode).epoch_batches(0)), mode


def test_balanced_min_too_few_for_one_batch_is_named():
    with pytest.raises(ValueError, match="balanced_min"):
        sampler(3, 3, 8, "balanced_min").epoch_batches(0)


@pytest.mark.parametrize("frame", [(320, 240), (1280, 720), (340, 256)])
def test_vadclip_crop_geometry_squashes_to_340x256(frame):
    crops = frame_crops(frame, (224, 224), 10, (340, 256))
    assert {v.geometry.resized_hw for v in crops} == {(256, 340)}  # whatever the aspect
    origins = [(-v.geometry.offset[0], -v.geometry.offset[1]) for v in crops[:5]]
    assert origins == [(16, 58), (0, 0), (0, 116), (32, 0), (32, 116)]


def test_vadclip_crop_pixels_equal_resize_then_ten_crop():
    """Resize to 340x256 ignoring aspect (cv2/PIL-style resize to a fixed size), then ten-crop 224."""
    g = torch.Generator().manual_seed(0)
    frame = torch.rand(1, 3, 90, 160, generator=g)  # 16:9
    crops = frame_crops((160, 90), (32, 32), 10, (68, 52))
    resized = TF.resize(frame, [52, 68], interpolation=TF.InterpolationMode.BICUBIC, antialias=True)
    tl, tr, bl, br, c, tl_f, tr_f, bl_f, br_f, c_f = TF.ten_crop(resized, [32, 32])
    for crop, want in zip(crops, [c, tl, tr, bl, br, c_f, tl_f, tr_f, bl_f, br_f]):
        torch.testing.assert_close(crop.apply(crop.geometry.warp(frame, mode="bicubic")), want, atol=1e-5, rtol=0)


def test_config_names_the_options():
    cfg = load_config("xd_violence_released")
    assert (cfg.eval.score_branch, cfg.model.sa2_mode, cfg.data.features) == ("align", "none", "vadclip")
    assert load_config("xd_violence").eval.score_branch == "align"
    assert load_config("ucf_crime_released").eval.score_branch == "binary"
    for key, value in [("eval.score_branch", "both"), ("train.sampling", "min"), ("model.binary_head", "gcn"),
                       ("extract.crop_resize_wh", [340]), ("data.features", "i3d")]:
        with pytest.raises(ValueError, match=key.replace(".", r"\.")):
            load_config("tiny", {key: value})
