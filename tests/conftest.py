import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def tiny_synthclip():
    """The tiny profile's backbone is SynthCLIP-T (30 steps on SynthVAD tiny): trained once
    into the repository's cache (cache-or-compute: seconds cold, instant after)."""
    from pathlib import Path

    from stprompt_core.config import load_config
    from stprompt_core.pipeline import ensure_backbone

    root = Path(__file__).resolve().parents[1]
    before = Path.cwd()
    os.chdir(root)
    try:
        info = ensure_backbone(load_config("tiny"), progress=False)
    finally:
        os.chdir(before)
    return info
