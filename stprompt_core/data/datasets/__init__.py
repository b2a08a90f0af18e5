"""Real datasets: parsers of the official releases, manifest builders and validators.

One module per dataset (``ucf_crime``, ``shanghaitech``, ``ubnormal``, ``xd_violence``),
each with ``build_manifest(root, ...) -> Manifest`` and ``EXPECTED_COUNTS``; the
registry indexes a dataset by name and ``check`` validates its files. The releases are
not shipped: users download them (data_manifests/README.md says where and how to lay them
out) and run ``stprompt data index NAME --root DIR`` then ``stprompt data check NAME``.
"""

from stprompt_core.data.datasets.check import CheckReport, Problem, check_dataset
from stprompt_core.data.datasets.common import AnnotationError, SplitCount
from stprompt_core.data.datasets.registry import (
    DATASETS,
    DatasetSpec,
    IndexResult,
    dataset_names,
    get_spec,
    index_dataset,
    split_tallies,
    write_manifest,
)

__all__ = [
    "DATASETS",
    "AnnotationError",
    "CheckReport",
    "DatasetSpec",
    "IndexResult",
    "Problem",
    "SplitCount",
    "check_dataset",
    "dataset_names",
    "get_spec",
    "index_dataset",
    "split_tallies",
    "write_manifest",
]
