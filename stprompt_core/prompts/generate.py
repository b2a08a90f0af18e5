"""Generate a prompt bank with a backend: one target at a time, parsed, checked, with provenance.

For a dataset the bank needs one list of normal background descriptions and one list of
event descriptions per anomaly class (labels from :mod:`stprompt_core.classes`). For each
target the LLM backend is asked up to ``max_attempts`` times, each with its own seed
derived from the bank seed and the target, until ``n`` distinct items are kept; parsing
(:mod:`stprompt_core.prompts.parse`) logs every rejected line with its reason.

- The same seed, backend and model give the same bank (the date in the provenance aside).
- A target with no usable item after all attempts is an error naming the target, the
  backend and what was rejected: never a silently empty or partial bank.
- A progress bar (stderr) shows the targets done; a small model on CPU takes seconds each.
"""

from __future__ import annotations

import datetime as _dt
import logging
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from stprompt_core.classes import class_labels, class_prompts
from stprompt_core.prompts.backends import BackendError, LLMBackend, StaticBackend
from stprompt_core.prompts.bank import PromptBank, bank_from_dict, load_curated_bank
from stprompt_core.prompts.parse import parse_items
from stprompt_core.prompts.templates import GenerationTarget
from stprompt_core.runtime import progress_bar

log = logging.getLogger(__name__)


class GenerationError(BackendError):
    """A backend returned nothing usable for a target."""


@dataclass
class GenerationReport:
    """What happened: kept counts per target and every rejected line."""

    backend: str
    kept: dict[str, int] = field(default_factory=dict)
    rejected: list[dict[str, str]] = field(default_factory=list)  # {target, text, reason}
    calls: int = 0

    def rejected_by_reason(self) -> dict[str, int]:
        return dict(sorted(Counter(r["reason"] for r in self.rejected).items()))

    def format(self) -> str:
        kept = ", ".join(f"{k}: {v}" for k, v in self.kept.items())
        rej = self.rejected_by_reason()
        return (f"{self.backend}: {self.calls} calls; kept {kept}; rejected {sum(rej.values())}"
                + (f" ({', '.join(f'{k} {v}' for k, v in rej.items())})" if rej else ""))


def derive_seed(seed: int, label: str, attempt: int) -> int:
    """A per-target, per-attempt seed that depends only on its inputs (stable across runs)."""
    return (seed * 1_000_003 + zlib.crc32(f"{label}#{attempt}".encode())) % (2**31 - 1)


def generation_targets(dataset: str, setting: str, n_normal: int, n_per_class: int) -> list[GenerationTarget]:
    """The normal target first, then each anomaly class in class-index order."""
    targets = [GenerationTarget("normal", "normal", "an ordinary scene", setting, n_normal)]
    for label, name in list(zip(class_labels(dataset), class_prompts(dataset)))[1:]:
        targets.append(GenerationTarget("abnormal", label, name, setting, n_per_class))
    return targets


def generate_bank(dataset: str, backend: LLMBackend | StaticBackend, *, seed: int = 0, n_normal: int = 12,
                  n_per_class: int = 6, max_attempts: int = 3, max_words: int = 16, progress: bool = True,
                  date: str | None = None, setting: str | None = None) -> tuple[PromptBank, GenerationReport]:
    """Build a bank for ``dataset``.

    Args:
        dataset: a key of :mod:`stprompt_core.classes`.
        backend: :class:`StaticBackend` (returns the curated bank) or an LLM backend.
        seed: bank seed; recorded in the provenance.
        n_normal, n_per_class: items wanted per target (fewer are kept when the backend
            cannot produce them in ``max_attempts``; zero is an error).
        max_words: length limit of one item.
        progress: show a progress bar over the targets.
        date: provenance date (ISO); today when ``None``.
        setting: the scenes described to the generator; default the curated bank's.

    Raises:
        GenerationError: a target got no usable item (message names it and shows rejections).
        BackendError: the backend cannot be loaded or reached.
    """
    if isinstance(backend, StaticBackend):
        bank = backend.bank(dataset)
        return bank, GenerationReport("static", kept={"normal": len(bank.normal),
                                                      **{k: len(v) for k, v in bank.abnormal.items()}})
    if setting is None:
        try:
            setting = load_curated_bank(dataset).setting
        except FileNotFoundError:
            setting = ""
    targets = generation_targets(dataset, setting, n_normal, n_per_class)
    report = GenerationReport(backend.name)
    lists: dict[str, list[str]] = {}
    with progress_bar(len(targets), f"prompts {dataset} ({backend.name})", "list", progress) as bar:
        for target in targets:
            lists[target.label] = _generate_target(backend, target, seed, max_attempts, max_words, report)
            if bar is not None:
                bar.update(1)
    provenance: dict[str, Any] = {
        "kind": "generated", "backend": backend.name, **backend.describe(), "template": backend.template_id,
        "seed": int(seed), "date": date or _dt.date.today().isoformat(),
        "requested": {"normal": n_normal, "per_class": n_per_class}, "rejected": len(report.rejected),
    }
    raw = {"schema_version": 1, "dataset": dataset, "normal": lists.pop("normal"), "abnormal": lists,
           "provenance": provenance}
    if setting:
        raw["setting"] = setting
    return bank_from_dict(raw, source=f"generated bank ({backend.name})"), report


def _generate_target(backend: LLMBackend, target: GenerationTarget, seed: int, max_attempts: int, max_words: int,
                     report: GenerationReport) -> list[str]:
    kept: list[str] = []
    seen: set[str] = set()
    for attempt in range(max_attempts):
        texts = backend.complete(target, derive_seed(seed, target.label, attempt))
        report.calls += 1
        for text in texts:
            parsed = parse_items(text, max_words=max_words, seen=seen, limit=target.n - len(kept))
            kept += parsed.items
            for line, reason in parsed.rejected:
                log.info("rejected for %s: %r (%s)", target.label, line, reason)
                report.rejected.append({"target": target.label, "text": line, "reason": reason})
        if len(kept) >= target.n:
            break
    report.kept[target.label] = len(kept)
    if not kept:
        sample = [f"{r['text']!r} ({r['reason']})" for r in report.rejected if r["target"] == target.label][:3]
        raise GenerationError(f"backend {backend.name} produced no usable prompt for {target.kind} target "
                              f"{target.label!r} ({target.name!r}) in {max_attempts} attempts; "
                              f"rejected: {sample or 'nothing (empty output)'}")
    return kept
