"""Prompt banks: the text STPrompt's training-free localization compares patches with.

A bank holds, for one dataset, *normal background descriptions* ("a photo of a road",
"a wall", ...) and, per anomaly class, *abnormal event augmentations* ("a man punching
another man", ...), plus where the text came from. Curated banks ship inside the package,
``stprompt_core/prompts/banks/<dataset>.json``; ``stprompt prompts`` writes generated ones in
the same format. The format is documented in ``stprompt_core/prompts/banks/README.md``::

    {
      "schema_version": 1,
      "dataset": "ucf_crime",                       # key of stprompt_core.classes
      "setting": "surveillance cameras in ...",     # optional: the scenes, for generators
      "normal": ["a photo of a road", "a wall"],    # background descriptions, >= 1
      "abnormal": {"Abuse": ["..."], ...},          # every anomaly class label, >= 1 each
      "paraphrases": {"Abuse": ["mistreatment"]},   # optional: other names of a class
      "provenance": {"kind": "curated", "author": "...", "date": "2026-11-26", "source": "..."}
                 or {"kind": "generated", "backend": "hf_local", "model": "...",
                     "template": "fewshot-v1", "seed": 0, "date": "2026-11-26", ...}
    }

Class keys are the dataset's own labels from :mod:`stprompt_core.classes` (``Abuse``,
``B1``, ``fighting``...), never the prompt names, so a bank and a manifest name a class the
same way. :func:`validate_bank` rejects unknown and missing classes naming them.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stprompt_core.classes import DATASET_CLASSES, class_labels, class_prompts
from stprompt_core.io import read_json, write_json

BANK_SCHEMA_VERSION = 1
# Curated banks: package data (pyproject.toml [tool.setuptools.package-data]), so installs carry them.
CURATED_DIR = Path(__file__).resolve().parent / "banks"
MAX_PROMPT_CHARS = 120  # one prompt must fit CLIP's 77-token context comfortably
PROVENANCE_KINDS = ("curated", "generated")
_REQUIRED_PROVENANCE = {
    "curated": ("author", "date", "source"),
    "generated": ("backend", "model", "template", "seed", "date"),
}
_TOP_KEYS = {"schema_version", "dataset", "setting", "normal", "abnormal", "paraphrases", "provenance"}


class BankError(ValueError):
    """A prompt bank fails the schema; the message names the file and the field or class."""


@dataclass
class PromptBank:
    """One dataset's prompt bank (see the module docstring for the file format)."""

    dataset: str
    normal: list[str]
    abnormal: dict[str, list[str]]  # dataset label -> event descriptions
    provenance: dict[str, Any]
    paraphrases: dict[str, list[str]] = field(default_factory=dict)
    setting: str = ""
    schema_version: int = BANK_SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"schema_version": self.schema_version, "dataset": self.dataset,
                               "normal": list(self.normal),
                               "abnormal": {k: list(v) for k, v in self.abnormal.items()},
                               "provenance": dict(self.provenance)}
        if self.setting:
            out["setting"] = self.setting
        if self.paraphrases:
            out["paraphrases"] = {k: list(v) for k, v in self.paraphrases.items()}
        return out

    def content(self) -> dict[str, Any]:
        """The text only (no provenance): what two banks must share to localize alike."""
        return {"normal": list(self.normal), "abnormal": {k: list(v) for k, v in self.abnormal.items()},
                "paraphrases": {k: list(v) for k, v in self.paraphrases.items()}}

    def class_name(self, label: str) -> str:
        """The natural-language class name of a dataset label (from classes.py)."""
        return dict(zip(class_labels(self.dataset), class_prompts(self.dataset)))[label]

    def save(self, path: str | Path) -> None:
        """Validate, then write atomically as JSON."""
        validate_bank(self.to_dict(), source=str(path))
        write_json(path, self.to_dict())


def anomaly_labels(dataset: str) -> list[str]:
    """The dataset's anomaly class labels (all but index 0, the normal class)."""
    return class_labels(dataset)[1:]


def curated_bank_path(dataset: str, root: str | Path | None = None) -> Path:
    """Where the curated bank of ``dataset`` lives (``stprompt_core/prompts/banks/<dataset>.json``)."""
    return Path(root or CURATED_DIR) / f"{dataset}.json"


def load_bank(path: str | Path, dataset: str | None = None) -> PromptBank:
    """Read and validate a bank file.

    Args:
        path: a bank JSON file.
        dataset: when given, the bank must be for this dataset.

    Raises:
        FileNotFoundError: the file is missing (message names it).
        BankError: the file is not JSON or fails the schema (message names file and field).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"prompt bank not found: {path}")
    try:
        raw = read_json(path)
    except ValueError as exc:
        raise BankError(f"prompt bank {path}: not valid JSON ({exc})") from None
    bank = bank_from_dict(raw, source=f"prompt bank {path}")
    if dataset is not None and bank.dataset != dataset:
        raise BankError(f"prompt bank {path} is for dataset {bank.dataset!r}, expected {dataset!r}")
    return bank


def load_curated_bank(dataset: str, root: str | Path | None = None) -> PromptBank:
    """The curated bank of ``dataset``; raises naming the expected path when absent."""
    path = curated_bank_path(dataset, root)
    if not path.exists():
        raise FileNotFoundError(f"no curated prompt bank for dataset {dataset!r} at {path} "
                                f"(the curated banks ship in the package's prompts/banks/; pass a bank path)")
    return load_bank(path, dataset)


def resolve_bank(bank: str | Path | PromptBank | None, dataset: str) -> tuple[PromptBank, str]:
    """A bank object for ``dataset`` from a bank, a bank file or nothing (the curated bank),
    and a label for reports (its path, ``given`` or ``curated:<dataset>``).

    Raises:
        BankError: a given bank is for another dataset, or the file is not a valid bank.
    """
    if isinstance(bank, PromptBank):
        if bank.dataset != dataset:
            raise BankError(f"prompt bank is for {bank.dataset!r}, the run is on {dataset!r}")
        return bank, "given"
    if bank:
        return load_bank(bank, dataset), str(bank)
    return load_curated_bank(dataset), f"curated:{dataset}"


def bank_from_dict(raw: Any, source: str = "prompt bank") -> PromptBank:
    """Validate a decoded bank and build a :class:`PromptBank` (raises :class:`BankError`)."""
    validate_bank(raw, source)
    return PromptBank(dataset=raw["dataset"], normal=list(raw["normal"]),
                      abnormal={k: list(v) for k, v in raw["abnormal"].items()},
                      provenance=dict(raw["provenance"]),
                      paraphrases={k: list(v) for k, v in raw.get("paraphrases", {}).items()},
                      setting=raw.get("setting", ""), schema_version=raw["schema_version"])


def validate_bank(raw: Any, source: str = "prompt bank") -> None:
    """Check a decoded bank against the schema.

    Raises:
        BankError: naming ``source`` and the first failing field: schema version, unknown
            dataset, unknown or missing class (with the valid labels), an empty list, a
            prompt that is not a non-empty string of at most ``MAX_PROMPT_CHARS``
            characters, a duplicate prompt, or provenance without its required fields.
    """
    if not isinstance(raw, dict):
        raise BankError(f"{source}: expected a JSON object, got {type(raw).__name__}")
    extra = set(raw) - _TOP_KEYS
    if extra:
        raise BankError(f"{source}: unknown fields {sorted(extra)} (allowed: {sorted(_TOP_KEYS)})")
    if raw.get("schema_version") != BANK_SCHEMA_VERSION:
        raise BankError(f"{source}: schema_version {raw.get('schema_version')!r}, expected {BANK_SCHEMA_VERSION}")
    dataset = raw.get("dataset")
    try:
        labels = anomaly_labels(dataset)
    except (KeyError, TypeError):
        raise BankError(f"{source}: unknown dataset {dataset!r}; valid: {sorted(DATASET_CLASSES)}") from None
    if "setting" in raw and not isinstance(raw["setting"], str):
        raise BankError(f"{source}: setting must be a string")
    _check_list(raw.get("normal"), f"{source}: normal")
    abnormal = raw.get("abnormal")
    if not isinstance(abnormal, dict):
        raise BankError(f"{source}: abnormal must be an object mapping class label -> list of prompts")
    _check_classes(abnormal, labels, dataset, f"{source}: abnormal", require_all=True)
    for label in labels:
        _check_list(abnormal[label], f"{source}: abnormal[{label!r}]")
    paraphrases = raw.get("paraphrases", {})
    if not isinstance(paraphrases, dict):
        raise BankError(f"{source}: paraphrases must be an object mapping class label -> list of names")
    _check_classes(paraphrases, labels, dataset, f"{source}: paraphrases", require_all=False)
    for label, names in paraphrases.items():
        _check_list(names, f"{source}: paraphrases[{label!r}]")
    _check_provenance(raw.get("provenance"), source)


def _check_classes(mapping: dict, labels: list[str], dataset: str, where: str, require_all: bool) -> None:
    unknown = [k for k in mapping if k not in labels]
    if unknown:
        hint = ""
        names = dict(zip(class_prompts(dataset), class_labels(dataset)))
        spelled = [names[k] for k in unknown if k in names]
        if spelled:
            hint = f" (keys are dataset labels, e.g. {spelled[0]!r}, not prompt names)"
        raise BankError(f"{where}: unknown class {unknown[0]!r} for dataset {dataset!r}{hint}; valid: {labels}")
    missing = [k for k in labels if k not in mapping]
    if require_all and missing:
        raise BankError(f"{where}: missing class {missing[0]!r} (every anomaly class needs prompts; "
                        f"missing: {missing})")


def _check_list(items: Any, where: str) -> None:
    if not isinstance(items, list):
        raise BankError(f"{where}: expected a list of strings, got {type(items).__name__}")
    if not items:
        raise BankError(f"{where}: empty list (at least one prompt is needed)")
    seen: set[str] = set()
    for i, text in enumerate(items):
        if not isinstance(text, str) or not text.strip():
            raise BankError(f"{where}[{i}]: expected a non-empty string, got {text!r}")
        if len(text) > MAX_PROMPT_CHARS:
            raise BankError(f"{where}[{i}]: {len(text)} characters, more than {MAX_PROMPT_CHARS}: {text[:40]!r}...")
        key = " ".join(text.lower().split())
        if key in seen:
            raise BankError(f"{where}[{i}]: duplicate prompt {text!r}")
        seen.add(key)


def _check_provenance(prov: Any, source: str) -> None:
    if not isinstance(prov, dict):
        raise BankError(f"{source}: provenance must be an object with kind {list(PROVENANCE_KINDS)}")
    kind = prov.get("kind")
    if kind not in PROVENANCE_KINDS:
        raise BankError(f"{source}: provenance.kind {kind!r} is not one of {list(PROVENANCE_KINDS)}")
    missing = [k for k in _REQUIRED_PROVENANCE[kind] if prov.get(k) in (None, "")]
    if missing:
        raise BankError(f"{source}: {kind} provenance lacks {missing} (needs {list(_REQUIRED_PROVENANCE[kind])})")
    try:
        _dt.date.fromisoformat(str(prov["date"]))
    except ValueError:
        raise BankError(f"{source}: provenance.date {prov['date']!r} is not an ISO date (YYYY-MM-DD)") from None
    if kind == "generated" and (isinstance(prov["seed"], bool) or not isinstance(prov["seed"], int)):
        raise BankError(f"{source}: provenance.seed must be an integer, got {prov['seed']!r}")
