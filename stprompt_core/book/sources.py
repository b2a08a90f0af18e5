"""Where the book's sources live in a clone.

The notebooks are written as text: ``notebooks/NN_name.md`` (jupytext MyST markdown) is what
authors edit; ``notebooks/NN_name.ipynb``, paired with it by jupytext (``jupytext --sync``),
is what Colab opens and papermill executes. ``tests/unit/book/test_notebook_sources.py``
fails when a pair is out of step.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
BOOK_CONFIG = ("_config.yml", "_toc.yml")
BOOK_SOURCES = ("notebooks", "book", *BOOK_CONFIG)  # what the book is built from: a clone has them, a wheel not
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"


class CheckoutError(FileNotFoundError):
    """The book's sources are not beside the package (an installed wheel, not a clone)."""


def require_checkout(root: Path = REPO_ROOT) -> None:
    """Raise :class:`CheckoutError` unless ``root`` holds the notebooks and the book's pages.

    The package itself (features, training, localization, prompts) runs from a wheel; the
    book is built from the repository's notebooks and pages, which a wheel does not carry.
    """
    missing = [name for name in BOOK_SOURCES if not (root / name).exists()]
    if missing:
        raise CheckoutError(
            f"stprompt book builds from a clone of the repository, and {root} lacks {', '.join(missing)} "
            "(this looks like an installed package, not a clone). Clone the repository, "
            "`pip install -e .[book]` there, and run `stprompt book` from the clone.")
