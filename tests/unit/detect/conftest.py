"""A trained ``tiny`` run on real SynthVAD videos, shared by the detect tests.

SynthVAD tiny and SynthCLIP-T come from the repository's ``cache/`` (the session fixture
trains SynthCLIP-T); the feature store and the run (one epoch, evaluated) live in a tmp folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, tiny_synthclip):
    """(run folder, SynthVAD tiny data root) of a trained and evaluated tiny run."""
    from stprompt_core.config import load_config
    from stprompt_core.evaluate import evaluate
    from stprompt_core.pipeline import ensure_features, ensure_synthvad, ensure_trained

    tmp = tmp_path_factory.mktemp("detect")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(REPO)
        cfg = load_config("tiny", {"data.feature_store": str(tmp / "store"), "train.epochs": 1,
                                   "data.data_root": str(REPO / "cache/synthvad/tiny")})
        ensure_synthvad(cfg, progress=False)
        ensure_features(cfg, progress=False)
        ensure_trained(cfg, tmp / "run", progress=False)
        evaluate(tmp / "run")
    return tmp / "run", REPO / "cache/synthvad/tiny"


@pytest.fixture(scope="session")
def tiny_detector(tiny_run):
    from stprompt_core.detect import load_detector

    return load_detector(tiny_run[0])
