import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

# Under pytest-xdist (`make test` runs TEST_WORKERS=2 workers) the cores are shared out: each
# worker, and every process it starts (CLI runs, notebook kernels, torchrun), gets cores / workers
# torch threads. With torch's default, a thread per core in every worker, the workers oversubscribe
# the cores: on 2 cores the quick tests take 1.6x as long (benchmarks/results/test_time.json).
if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    _threads = max(1, (os.cpu_count() or 1) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"]))
    for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, str(_threads))


import pytest  # noqa: E402

try:  # the dev extra installs hypothesis; without it only the property tests fail (on import)
    from hypothesis import settings
except ImportError:
    pass
else:
    # Property tests are deterministic in CI (derandomize: examples derived from each test's source) and
    # write no example database into the tree. HYPOTHESIS_PROFILE=thorough tries 20x more examples
    # (tests that set their own budget, the slower CLI ones, keep it).
    settings.register_profile("stprompt", derandomize=True, deadline=None, database=None, max_examples=50)
    settings.register_profile("thorough", settings.get_profile("stprompt"), max_examples=1000)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "stprompt"))


@pytest.fixture(autouse=True)
def _backbone_unless_pure(request):
    """Every test gets the tiny backbone first, except those marked ``pure`` (no model, no
    features: losses on constructed bags, metrics, config, the book's sources), which run
    without training anything: ``make test-fast`` runs them and the other quick ones."""
    if request.node.get_closest_marker("pure") is None:
        request.getfixturevalue("tiny_synthclip")


@pytest.fixture(scope="session")
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
