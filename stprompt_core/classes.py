"""Class names of every dataset, defined once.

Training, evaluation, prompt banks and localization all read the names from here,
so a class is spelled the same way everywhere. Index 0 is always the normal class.
Each entry maps the dataset's own label (as written in its annotation files) to the
natural-language name used in text prompts.
"""

from __future__ import annotations

NORMAL = "normal"

# dataset -> ordered list of (label in the dataset's files, prompt name); index 0 is normal.
DATASET_CLASSES: dict[str, list[tuple[str, str]]] = {
    # UCF-Crime (Sultani et al. 2018): 13 anomaly classes.
    "ucf_crime": [
        ("Normal", NORMAL),
        ("Abuse", "abuse"),
        ("Arrest", "arrest"),
        ("Arson", "arson"),
        ("Assault", "assault"),
        ("Burglary", "burglary"),
        ("Explosion", "explosion"),
        ("Fighting", "fighting"),
        ("RoadAccidents", "road accident"),
        ("Robbery", "robbery"),
        ("Shooting", "shooting"),
        ("Shoplifting", "shoplifting"),
        ("Stealing", "stealing"),
        ("Vandalism", "vandalism"),
    ],
    # XD-Violence (Wu et al. 2020): six violence classes, labels A, B1, B2, B4, B5, B6, G.
    "xd_violence": [
        ("A", NORMAL),
        ("B1", "fighting"),
        ("B2", "shooting"),
        ("B4", "riot"),
        ("B5", "abuse"),
        ("B6", "car accident"),
        ("G", "explosion"),
    ],
    # ShanghaiTech weakly supervised split (Zhong et al. 2019) has video-level labels only.
    "shanghaitech": [("normal", NORMAL), ("abnormal", "anomaly")],
    # UBnormal (Acsintoae et al. 2022) is evaluated as normal vs abnormal.
    "ubnormal": [("normal", NORMAL), ("abnormal", "anomaly")],
    # SynthVAD, this project's procedurally rendered benchmark. Names in the words of its own frame
    # captions, which SynthCLIP learned from (as CLIP's prompts use the words of web captions): on
    # SynthCLIP's validation videos they give 0.80 zero-shot accuracy where the short names
    # ("fighting", "a person falling", "running or chasing", "fire or explosion", "vehicle crash",
    # "abandoned object") give 0.58 (benchmarks/results/workshop.json, "class_names").
    "synthvad": [
        ("normal", NORMAL),
        ("fighting", "two people fighting"),
        ("falling", "a person falling down"),
        ("chasing", "a person chasing another person"),
        ("fire", "a fire burning"),
        ("crash", "two vehicles crashing"),
        ("abandoned", "an abandoned bag"),
    ],
}
# The feature-level planted dataset used by tests and benchmarks reuses SynthVAD's names.
DATASET_CLASSES["planted"] = DATASET_CLASSES["synthvad"]


def class_labels(dataset: str) -> list[str]:
    """Dataset labels in class-index order (index 0 = normal)."""
    return [label for label, _ in _entries(dataset)]


def class_prompts(dataset: str) -> list[str]:
    """Natural-language class names in class-index order, for text prompts."""
    return [name for _, name in _entries(dataset)]


def class_index(dataset: str, label: str) -> int:
    """Index of a dataset label; raises ``KeyError`` naming the valid labels."""
    labels = class_labels(dataset)
    if label not in labels:
        raise KeyError(f"unknown class {label!r} for dataset {dataset!r}; valid: {labels}")
    return labels.index(label)


def _entries(dataset: str) -> list[tuple[str, str]]:
    if dataset not in DATASET_CLASSES:
        raise KeyError(f"unknown dataset {dataset!r}; valid: {sorted(DATASET_CLASSES)}")
    return DATASET_CLASSES[dataset]
