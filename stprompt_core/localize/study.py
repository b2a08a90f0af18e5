"""The prompt studies the book shows: one function, one table, written to the run dir.

Each row localizes the same frames of the same run with other localization queries
(:func:`~stprompt_core.prompts.queries.build_queries`); everything else is held
fixed (the settings passed in):

=====================================  ======================================================
``curated``                            curated bank: backgrounds + class names + augmentations
``curated, no backgrounds``            the normal side is the normal class prompt alone
``curated, class names only``          no event augmentations (CLIP zero-shot style)
``curated, paraphrased names``         class names replaced by the bank's paraphrases
``curated, paraphrased names only``    paraphrases alone, no augmentations
``generated``                          an LLM-written bank (when given)
``generated, no backgrounds``          the same without its background descriptions
``curated, dense (vv)``                curated with the last block recomputed (``dense=True``)
=====================================  ======================================================

A row that cannot run (no generated bank, a bank without paraphrases, no videos for the
dense pass) is kept with ``status`` saying why and ``null`` numbers, so the table always
has the same rows.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from stprompt_core.config import LocalizeConfig, localize_settings
from stprompt_core.io import write_json
from stprompt_core.prompts.queries import build_queries
from stprompt_core.localize.run import LocalizationContext, LocalizationError, evaluate_queries, load_context
from stprompt_core.prompts.bank import BankError, PromptBank, resolve_bank

STUDY_FILE = "prompt_study.json"

# (variant, which bank, overrides of LocalizeConfig)
VARIANTS: list[tuple[str, str, dict[str, Any]]] = [
    ("curated", "curated", {}),
    ("curated, no backgrounds", "curated", {"use_backgrounds": False}),
    ("curated, class names only", "curated", {"use_augmentations": False}),
    ("curated, paraphrased names", "curated", {"class_names": "paraphrased"}),
    ("curated, paraphrased names only", "curated", {"class_names": "paraphrased", "use_augmentations": False}),
    ("generated", "generated", {}),
    ("generated, no backgrounds", "generated", {"use_backgrounds": False}),
]
DENSE_VARIANT = ("curated, dense (vv)", "curated", {"dense": True, "dense_attention": "vv"})


def prompt_study(run_dir: str | Path, generated_bank: str | Path | PromptBank | None = None, *,
                 curated_bank: str | Path | PromptBank | None = None, settings: LocalizeConfig | None = None,
                 dense: bool = False, frame_size: tuple[int, int] | None = None,
                 context: LocalizationContext | None = None, write: bool = True) -> list[dict[str, Any]]:
    """Localize a run under each prompt variant; returns the table and writes ``prompt_study.json``.

    Args:
        run_dir: a run folder with ``config.json`` and ``scores.json``.
        generated_bank: an LLM-written bank (path or object); its rows are skipped without it.
        curated_bank: the reference bank; default the dataset's curated bank.
        settings: held fixed across rows (bank and prompt-set fields are set per row).
        dense: add the dense-refinement row (re-decodes the videos).

    Returns:
        One dict per row: ``variant``, ``bank``, ``use_backgrounds``, ``use_augmentations``,
        ``class_names``, ``dense``, ``n_normal``, ``n_abnormal``, ``tiou``, ``mean_iou``,
        ``n_frames``, ``n_passed``, ``status`` (``ok`` or why the row is empty).
    """
    base = settings or LocalizeConfig()
    ctx = context or load_context(run_dir, base.split, frame_size)
    dataset = ctx.cfg.data.dataset
    banks: dict[str, tuple[PromptBank, str] | None] = {"curated": resolve_bank(curated_bank, dataset),
                                                       "generated": None}
    if generated_bank is not None:
        banks["generated"] = resolve_bank(generated_bank, dataset)
    rows = []
    for variant, which, overrides in VARIANTS + ([DENSE_VARIANT] if dense else []):
        s = localize_settings(base, overrides, source=f"prompt study row {variant!r}")
        row: dict[str, Any] = {"variant": variant, "use_backgrounds": s.use_backgrounds,
                               "use_augmentations": s.use_augmentations, "class_names": s.class_names,
                               "dense": s.dense, "n_normal": None, "n_abnormal": None, "tiou": None,
                               "mean_iou": None, "n_frames": None, "n_passed": None}
        chosen = banks[which]
        if chosen is None:
            rows.append({**row, "bank": None, "status": "skipped: no generated bank given "
                                                       "(write one with `stprompt prompts --backend hf_local`)"})
            continue
        bank, label = chosen
        row["bank"] = label
        try:
            queries = build_queries(bank, use_backgrounds=s.use_backgrounds, use_augmentations=s.use_augmentations,
                                    class_names=s.class_names, template=s.template)
            result, _, _ = evaluate_queries(ctx, queries, s)
        except (BankError, LocalizationError, ValueError) as exc:
            rows.append({**row, "status": f"skipped: {exc}"})
            continue
        rows.append({**row, "n_normal": queries.n_normal, "n_abnormal": queries.n_abnormal,
                     **{k: result[k] for k in ("tiou", "mean_iou", "n_frames", "n_passed")}, "status": "ok"})
    if write:
        write_json(ctx.run_dir / STUDY_FILE, {"dataset": dataset, "threshold": base.score_threshold,
                                              "settings": dataclasses.asdict(base), "rows": rows})
    return rows


def format_table(rows: list[dict[str, Any]]) -> str:
    """A plain-text table of the study for the terminal."""
    head = f"{'variant':34s} {'normal':>6s} {'abn':>5s} {'TIoU':>7s} {'mIoU':>7s} {'frames':>6s}  status"
    lines = [head, "-" * len(head)]
    def num(v: Any) -> str:
        return f"{v:7.4f}" if isinstance(v, float) else f"{'-':>7s}"

    for r in rows:
        lines.append(f"{r['variant']:34s} {r['n_normal'] if r['n_normal'] is not None else '-':>6} "
                     f"{r['n_abnormal'] if r['n_abnormal'] is not None else '-':>5} {num(r['tiou'])} "
                     f"{num(r['mean_iou'])} {r['n_frames'] if r['n_frames'] is not None else '-':>6}  {r['status']}")
    return "\n".join(lines)
