import numpy as np
import pytest

from stprompt_core.features.store import (FeatureStore, FeatureStoreError, FeatureStoreWriter, StoreMeta,
                                          VideoFeatures)

META = StoreMeta(dataset="synthvad", embed_dim=8, top_k=2, patch_grid=[2, 3])


def _video(vid="v0", T=5, label=1, seed=0):
    rng = np.random.default_rng(seed)
    return VideoFeatures(vid, label, "fire" if label else "normal", 4 if label else 0, T * 16,
                         rng.normal(size=(T, 8)), rng.normal(size=(T, 2, 8)), rng.integers(0, 6, (T, 2)),
                         rng.random((T, 6)), np.zeros(T * 16, np.uint8))


def test_round_trip_keeps_values_at_fp16(tmp_path):
    w = FeatureStoreWriter(tmp_path, META)
    videos = [_video(f"v{i}", T=3 + i, label=i % 2, seed=i) for i in range(4)]
    for v in videos:
        w.add("test", v, tokens=np.ones((v.num_snippets, 6, 8)) if v.video_id == "v1" else None)
    assert w.finalize() == {"test": 4, "tokens": 1}
    store = FeatureStore(tmp_path)
    got = {v.video_id: v for v in store.videos("test")}
    for v in videos:
        g = got[v.video_id]
        assert g.frame_feats.shape == (v.num_snippets, 8)
        np.testing.assert_allclose(g.patch_feats, v.patch_feats.astype(np.float16), rtol=0, atol=0)
        np.testing.assert_array_equal(g.patch_idx, v.patch_idx)
        assert (g.label, g.class_index, g.num_frames) == (v.label, v.class_index, v.num_frames)
    assert store.tokens("v1").shape == (4, 6, 8)
    with pytest.raises(FeatureStoreError, match="no patch tokens for video 'v0'"):
        store.tokens("v0")


def test_resume_sees_finished_videos(tmp_path):
    w = FeatureStoreWriter(tmp_path, META)
    w.add("train", _video("a"))
    again = FeatureStoreWriter(tmp_path, META)
    assert again.has("train", "a") and not again.has("train", "b")


def test_store_from_another_backbone_is_refused(tmp_path):
    FeatureStoreWriter(tmp_path, META)
    other = StoreMeta(dataset="synthvad", embed_dim=16, top_k=2, patch_grid=[2, 3])
    with pytest.raises(FeatureStoreError, match="embed_dim"):
        FeatureStoreWriter(tmp_path, other)


@pytest.mark.parametrize("field, value, message", [
    ("frame_feats", np.zeros((0, 8)), "zero snippets"),
    ("frame_feats", np.zeros((5, 7)), "field frame_feats has shape"),
    ("patch_feats", np.full((5, 2, 8), np.nan), "patch_feats contains NaN"),
    ("patch_idx", np.full((5, 2), 9), "patch_idx outside"),
])
def test_bad_videos_rejected_with_name(tmp_path, field, value, message):
    v = _video("broken")
    setattr(v, field, value)
    with pytest.raises(FeatureStoreError, match=message) as exc:
        FeatureStoreWriter(tmp_path, META).add("train", v)
    assert "broken" in str(exc.value)


def test_missing_store_and_split_errors(tmp_path):
    with pytest.raises(FeatureStoreError, match="run `stprompt extract` first"):
        FeatureStore(tmp_path / "nowhere")
    w = FeatureStoreWriter(tmp_path, META)
    w.add("train", _video())
    w.finalize()
    with pytest.raises(FeatureStoreError, match="no split 'test'"):
        FeatureStore(tmp_path).split("test")
