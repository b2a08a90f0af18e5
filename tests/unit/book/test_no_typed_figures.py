"""No measured figure is typed into the book's prose.

The book is rebuilt on other machines and with other seeds, and its figures change with them;
prose that quotes a figure by hand then contradicts the table above it. So the prose of the
pages (``book/*.md``) and of the notebooks (the markdown of ``notebooks/*.md``) may state a
number only through what the build computes: a ``{glue:text}`` role (the notebook's own run),
an ``{include}`` of a page generated from ``benchmarks/results`` at build time, or code.

What counts as a figure here: a decimal (``0.13``) or a percentage (``12 %``) in prose, outside
code, math, roles and link targets. The few that are not measurements (the paper's reported
numbers, settings, the arithmetic of the store format) are listed in :data:`NOT_MEASURED` with
the reason; every listed figure must still be on its page, so the list cannot rot.
"""

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.pure  # no model, no features

REPO = Path(__file__).resolve().parents[3]
PAGES = sorted((REPO / "book").glob("*.md")) + sorted((REPO / "notebooks").glob("*.md"))

# (page, figure) -> why it is not a measurement of this build
NOT_MEASURED: dict[tuple[str, str], str] = {
    ("book/intro.md", "2408.05905"): "the paper's arXiv identifier",
    ("book/results.md", "88.08"): "the paper's reported UCF-Crime AUC",
    ("book/results.md", "23.90"): "the paper's reported UCF-Crime TIoU",
    ("book/results.md", "97.81"): "the paper's reported ShanghaiTech AUC",
    ("book/results.md", "63.98"): "the paper's reported UBnormal AUC",
    ("book/results.md", "95 %"): "the confidence level of the intervals (a setting)",
    ("book/ablations.md", "95 %"): "the confidence level of the intervals (a setting)",
    ("book/method.md", "0.5"): "the paper profiles' map threshold θ (a setting) and π of an even split",
    ("book/method.md", "0.79"): "|A| / (|A| + |N|) of the shipped UCF-Crime bank (78 and 21 prompts)",
    ("book/run_it_yourself.md", "0.1"): "VadCLIP's text-separation weight (a cited setting)",
    ("book/run_it_yourself.md", "0.7"): "VadCLIP's similarity threshold in its graph convolution (a cited setting)",
    ("book/run_it_yourself.md", "10 %"): "the validation fraction (a setting)",
    ("book/run_it_yourself.md", "17.5"): "bytes per snippet of the store format (arithmetic)",
    ("book/run_it_yourself.md", "1.6"): "frames in 100,000 snippets of 16 (arithmetic)",
    ("book/run_it_yourself.md", "1.75"): "the store's size for 100,000 snippets (arithmetic)",
}

FENCE = re.compile(r"^(```|~~~).*?^\1\s*$", re.S | re.M)
STRIP = [
    re.compile(r"\$\$.*?\$\$", re.S),  # display math
    re.compile(r"\$[^$\n]+\$"),  # inline math
    re.compile(r"\{[\w:-]+\}`[^`]*`"),  # roles: {glue:text}`auc:.3f`, {doc}`...`
    re.compile(r"`[^`\n]*`"),  # inline code
    re.compile(r"\]\([^)]*\)"),  # link targets
    re.compile(r"<[^>\n]+>"),  # html tags
    re.compile(r"^\+\+\+.*$|^---\n.*?\n---\n", re.S | re.M),  # MyST cell breaks, front matter
]
FIGURE = re.compile(r"(?<![\w.\-/])(\d+(?:\.\d+)?\s?%|\d+\.\d+)(?![\w/]|\.\d)")


def prose(text: str) -> str:
    """The prose of a MyST page or notebook: code cells, fences, math, roles and links removed."""
    text = FENCE.sub("", text)
    for pattern in STRIP:
        text = pattern.sub(" ", text)
    return text


def figures(text: str) -> list[str]:
    return [m.group(1).replace("\u00a0", " ") for m in FIGURE.finditer(prose(text))]


def test_the_scan_finds_typed_figures_and_ignores_computed_ones():
    text = ("The model reaches frame AUC 0.838 and TIoU 13 % here.\n\n"
            "```{code-cell} ipython3\nprint(0.5)\n```\n\n"
            "AUC {glue:text}`auc:.3f`, $\\theta = 0.5$, `--set model.sigma=2.0`, "
            "[arXiv](https://arxiv.org/abs/2408.05905), ViT-B/16, torch 2 and epoch 12.\n")
    assert figures(text) == ["0.838", "13 %"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_prose_states_no_figure_by_hand(page):
    name = str(page.relative_to(REPO))
    typed = [f for f in figures(page.read_text()) if (name, f) not in NOT_MEASURED]
    assert not typed, (f"{name} types measured figures into its prose: {typed}. Quote them through "
                       "{glue:text} (a notebook's own run) or a page generated from benchmarks/results "
                       "at build time; if one is not a measurement, list it in NOT_MEASURED with the reason")


def test_every_listed_exception_is_still_on_its_page():
    for (name, figure), _ in NOT_MEASURED.items():
        assert figure in figures((REPO / name).read_text()), (name, figure)
