"""quiet_loading silences transformers' loading reports and its "Loading weights" bar, then restores both."""

import pytest

from stprompt_core.backbone.stem import quiet_loading

hf_logging = pytest.importorskip("transformers.utils.logging")


@pytest.mark.parametrize("bars_before", [True, False])
def test_progress_bar_off_inside_and_restored_after(bars_before):
    state = hf_logging.is_progress_bar_enabled(), hf_logging.get_verbosity()
    (hf_logging.enable_progress_bar if bars_before else hf_logging.disable_progress_bar)()
    hf_logging.set_verbosity_warning()
    try:
        with quiet_loading():
            assert not hf_logging.is_progress_bar_enabled()
            assert hf_logging.get_verbosity() == hf_logging.ERROR
        assert hf_logging.is_progress_bar_enabled() is bars_before
        assert hf_logging.get_verbosity() == hf_logging.WARNING
    finally:
        (hf_logging.enable_progress_bar if state[0] else hf_logging.disable_progress_bar)()
        hf_logging.set_verbosity(state[1])
