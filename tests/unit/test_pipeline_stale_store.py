"""A feature store extracted with SynthCLIP weights that were retrained since is rebuilt, and only then."""

import json

from stprompt_core.config import load_config
from stprompt_core.io import file_sha256
from stprompt_core.pipeline import drop_stale_store


def _setup(tmp_path, recorded_sha=None, recorded_path=None, synthclip=True):
    tmp_path.mkdir(parents=True, exist_ok=True)
    weights = tmp_path / "w.safetensors"
    weights.write_bytes(b"new weights")
    store = tmp_path / "store"
    store.mkdir()
    backbone = {"pretrained": recorded_path or str(weights), "weights_sha256": recorded_sha or file_sha256(weights)}
    (store / "store.json").write_text(json.dumps({"backbone": backbone}))
    cfg = load_config("workshop", {"data.feature_store": str(store), "backbone.pretrained": str(weights),
                                   "backbone.synthclip": synthclip})
    return cfg, store


def test_store_of_replaced_weights_is_dropped(tmp_path, capsys):
    cfg, store = _setup(tmp_path, recorded_sha="0" * 64)
    assert drop_stale_store(cfg) is True and not store.exists()
    assert "SynthCLIP was retrained" in capsys.readouterr().err


def test_matching_or_foreign_stores_are_kept(tmp_path):
    cfg, store = _setup(tmp_path)  # same weights
    assert drop_stale_store(cfg) is False and store.exists()
    cfg, store = _setup(tmp_path / "b", recorded_sha="0" * 64, recorded_path="other.safetensors")
    assert drop_stale_store(cfg) is False and store.exists()  # another checkpoint: the writer's error stands
    cfg, store = _setup(tmp_path / "c", recorded_sha="0" * 64, synthclip=False)
    assert drop_stale_store(cfg) is False and store.exists()  # weights the pipeline does not own
