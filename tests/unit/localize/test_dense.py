import torch

from stprompt_core.localize.dense import dense_patch_tokens


def _reference_tokens(visual, pixels):
    before = visual.output_tokens
    visual.output_tokens = True
    try:
        _, tokens = visual(pixels)  # [B, P, width] after ln_post
    finally:
        visual.output_tokens = before
    return tokens @ visual.proj  # [B, P, D]


def test_qk_with_residual_and_ffn_reproduces_the_regular_tokens(tiny_clip):
    visual = tiny_clip.visual
    pixels = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ref = _reference_tokens(visual, pixels)
    out = dense_patch_tokens(visual, pixels, attention="qk", residual=True, ffn=True)
    assert out.shape == (2, 64, ref.shape[-1])
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-4)


def test_value_value_attention_changes_the_tokens_and_keeps_the_shape(tiny_clip):
    visual = tiny_clip.visual
    pixels = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    vv = dense_patch_tokens(visual, pixels)  # v-v, no residual, no FFN
    qk = dense_patch_tokens(visual, pixels, attention="qk", residual=True, ffn=True)
    assert vv.shape == qk.shape and torch.isfinite(vv).all()
    assert not torch.allclose(vv, qk, atol=1e-3)
