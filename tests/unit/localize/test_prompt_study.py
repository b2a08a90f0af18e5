import json

import pytest

from stprompt_core.localize.study import VARIANTS, format_table, prompt_study
from stprompt_core.prompts.bank import PromptBank, load_curated_bank


def _generated_bank() -> PromptBank:
    curated = load_curated_bank("synthvad")
    return PromptBank("synthvad", ["a photo of a road", "a quiet pavement"],
                      {k: v[:2] for k, v in curated.abnormal.items()},
                      {"kind": "generated", "backend": "scripted", "model": "none", "template": "t", "seed": 0,
                       "date": "2026-11-26"})


@pytest.mark.slow  # localizes the planted run once per variant
def test_one_call_gives_the_whole_table(planted_run):
    rows = prompt_study(planted_run, _generated_bank())
    assert [r["variant"] for r in rows] == [v for v, _, _ in VARIANTS]
    assert all(r["status"] == "ok" for r in rows), [r["status"] for r in rows]
    by = {r["variant"]: r for r in rows}
    assert by["curated"]["tiou"] == pytest.approx(5 / 6)
    assert by["curated, no backgrounds"]["n_normal"] == 1  # the normal class prompt alone
    assert by["curated, class names only"]["n_abnormal"] == 6
    assert by["generated"]["n_normal"] == 3 and by["generated"]["bank"] == "given"
    saved = json.loads((planted_run / "prompt_study.json").read_text())
    assert saved["rows"] == json.loads(json.dumps(rows)) and saved["dataset"] == "synthvad"
    assert "curated, paraphrased names" in format_table(rows)


def test_rows_that_cannot_run_say_why(planted_run):
    bank = load_curated_bank("synthvad")
    bank.paraphrases = {}
    rows = prompt_study(planted_run, None, curated_bank=bank, write=False)
    by = {r["variant"]: r for r in rows}
    assert by["generated"]["status"].startswith("skipped: no generated bank") and by["generated"]["tiou"] is None
    assert "no paraphrases for class 'fighting'" in by["curated, paraphrased names"]["status"]
    assert by["curated"]["status"] == "ok"
