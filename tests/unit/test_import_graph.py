"""The package's imports form layers: no cycles, and no import climbs back up.

The graph is read from the source with :mod:`ast`, not by importing: every ``import
stprompt_core...`` and ``from stprompt_core... import ...`` counts, at module level or inside
a function (a function-local import is still a dependency, only a later one). ``from pkg
import name`` is an edge to the submodule ``pkg.name`` when there is one, else to ``pkg``.

The layers, lowest first, follow the README's data-flow picture (videos -> features ->
run -> scores -> maps -> book); a module may import its own layer and those below it:

1. ``io``, ``integrity``, ``locks``, ``runtime``, ``config``, ``classes``, ``runinfo``:
   files, devices, the typed config and the class names every stage shares.
2. ``video``: decoding frames.
3. ``data``: manifests and the real-dataset parsers (reads videos' frame counts).
4. ``backbone``, ``model``, ``losses``: the networks. The frozen CLIP encoders and the
   learned detector are peers: neither imports the other (the detector is handed a built
   CLIP model), and both are pure torch modules that the stages above compose. ``model``
   sits below ``features`` because extraction runs SA2's top-K patch selection, which
   belongs to SA2's own file (``model/sa2.py``).
5. ``features``, ``prompts``: the stored frozen features (and batches of them) and the text
   prompt banks; both read the backbone only.
6. ``scoring``, ``metrics``, ``train``, ``evaluate``, ``compare``: the temporal detector's
   training and evaluation on stored features, and paired comparisons of evaluated runs.
7. ``localize``: training-free localization, with a bank from ``prompts``.
8. ``figures``: plotly views of all of the above.
9. ``detect``: one video through a trained run (``stprompt detect``): scores, boxes, an
   annotated MP4 and a report, from the stages and figures below.
10. ``offline``: the stand-ins for real videos and OpenAI CLIP (SynthVAD, SynthCLIP). They
   use the layers below the method (SynthCLIP is evaluated with the localization queries of
   ``prompts``), never the method they stand in for (``localize``, ``train``, ``detect``), and
   the method never imports them: only ``pipeline`` and ``cli`` do.
11. ``pipeline``, ``ablate``: cache-or-compute stages chaining the layers below.
12. ``book``, ``demo``: the notebooks' runner and the one-command chain.
13. ``cli``: the ``stprompt`` command, on top of everything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

pytestmark = pytest.mark.pure  # no model, no features

PACKAGE = Path(__file__).resolve().parents[2] / "stprompt_core"
ROOT = "stprompt_core"

LAYERS: list[list[str]] = [
    ["__init__", "io", "integrity", "locks", "runtime", "config", "classes", "runinfo"],
    ["video"],
    ["data"],
    ["backbone", "model", "losses"],
    ["features", "prompts"],
    ["scoring", "metrics", "train", "evaluate", "compare"],
    ["localize"],
    ["figures"],
    ["detect"],
    ["offline"],
    ["pipeline", "ablate"],
    ["book", "demo"],
    ["cli"],
]
LEVEL = {unit: i for i, layer in enumerate(LAYERS) for unit in layer}


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package: Path = PACKAGE) -> nx.DiGraph:
    """Edges ``a -> b``: module ``a`` imports module ``b`` (both inside ``package``)."""
    modules = {module_name(p, package): p for p in package.rglob("*.py")}

    def known(name: str) -> str | None:  # the module itself, or the package that holds the name
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = nx.DiGraph()
    for name, path in modules.items():
        graph.add_node(name)
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative: resolve against this module's package
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source for a in node.names]
            for target in targets:
                if target == package.name or target.startswith(package.name + "."):
                    resolved = known(target)
                    if resolved and resolved != name:
                        graph.add_edge(name, resolved)
    return graph


def unit(module: str) -> str:
    """The top-level folder or module of ``stprompt_core`` a module belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


@pytest.fixture(scope="module")
def graph() -> nx.DiGraph:
    return import_graph()


def test_no_import_cycles(graph):
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert not cycles, f"import cycles: {cycles}"


def test_every_unit_has_a_layer(graph):
    units = {unit(m) for m in graph.nodes}
    assert not units - set(LEVEL), f"give these a layer in LAYERS: {sorted(units - set(LEVEL))}"
    assert not set(LEVEL) - units, f"LAYERS names what does not exist: {sorted(set(LEVEL) - units)}"


def test_no_upward_imports(graph):
    upward = sorted(f"{a} -> {b}" for a, b in graph.edges if LEVEL[unit(b)] > LEVEL[unit(a)])
    assert not upward, "imports that climb to a higher layer:\n" + "\n".join(upward)


def test_only_the_pipeline_and_the_cli_reach_the_offline_world(graph):
    importers = {unit(a) for a, b in graph.edges if unit(b) == "offline"} - {"offline"}
    assert importers <= {"pipeline", "cli"}, f"the method imports the offline world: {sorted(importers)}"


def test_the_offline_world_does_not_sit_above_the_method_it_stands_in_for(graph):
    above = sorted(f"{a} -> {b}" for a, b in graph.edges
                   if unit(a) == "offline" and unit(b) in {"localize", "train", "scoring", "evaluate", "detect",
                                                            "figures"})
    assert not above, "the offline world imports the method:\n" + "\n".join(above)


def test_reader_sees_local_relative_and_submodule_imports(tmp_path):
    pkg = tmp_path / ROOT
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "low.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from stprompt_core.sub import leaf\n")
    (pkg / "sub" / "leaf.py").write_text("def f():\n    from stprompt_core.low import x\n")
    (pkg / "high.py").write_text("from .sub import leaf\nimport stprompt_core.low\nimport os\n")
    g = import_graph(pkg)
    assert set(g.edges) == {("stprompt_core.sub", "stprompt_core.sub.leaf"), ("stprompt_core.sub.leaf", "stprompt_core.low"),
                            ("stprompt_core.high", "stprompt_core.sub.leaf"), ("stprompt_core.high", "stprompt_core.low")}
    (pkg / "low.py").write_text("def g():\n    import stprompt_core.high\n")
    g = import_graph(pkg)
    assert [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1] == [
        ["stprompt_core.high", "stprompt_core.low", "stprompt_core.sub.leaf"]]  # low -> high -> leaf -> low
