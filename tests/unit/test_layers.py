"""The package's import rule: imports flow one way, down the layers, and never in a circle.

Every import counts, including those made inside functions (Python runs them too). A module
may import its own subpackage and anything in a lower layer; nothing in its own layer's
other subpackages and nothing above. ARCHITECTURE.md explains the layers.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "grader"

# Bottom to top. A unit is a top-level module or subpackage of grader/.
LAYERS: list[set[str]] = [
    {"", "status"},  # grader/__init__ (the version) and the verdict vocabulary
    {"errors"},
    {"i18n"},
    {"config"},
    {"sandbox"},  # where student code runs; knows nothing of the course
    {"compare"},  # assertions that explain themselves
    {"course"},  # topics, checks, known mistakes, verifiers
    {"core"},  # grade one folder of modules
    {"intake", "outputs"},  # what was handed in -> modules; results -> files
    # a class; instructor tools; the in-notebook API (and its pre-0.2 alias grader.mnist_data)
    {"batch", "authoring", "notebook", "mnist_data"},
    {"cli"},  # the only code that prints or exits
]
LAYER_OF = {unit: i for i, units in enumerate(LAYERS) for unit in units}


def modules(root: Path = PACKAGE) -> dict[str, Path]:
    out = {}
    for path in root.rglob("*.py"):
        name = ".".join(("grader", *path.relative_to(root).with_suffix("").parts))
        out[name.removesuffix(".__init__")] = path
    return out


def imports(path: Path, name: str, known: set[str]) -> set[str]:
    """The package modules ``path`` imports (``from a import b`` counts a.b when b is a module)."""
    found: set[str] = set()
    is_pkg = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import
                parts = name.split(".")[: len(name.split(".")) - node.level + (1 if is_pkg else 0)]
                base = ".".join([*parts, base] if base else parts)
            # from a import b: the module a.b when b is one, else the module a.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and target != "grader":
                found.add(target)
    return found


def graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    mods = modules(root)
    known = set(mods)
    return {name: imports(path, name, known) for name, path in mods.items()}


def unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def violations(edges: dict[str, set[str]]) -> list[str]:
    bad = []
    for source, targets in sorted(edges.items()):
        for target in sorted(targets):
            us, ut = unit(source), unit(target)
            if us == ut:
                continue
            if us not in LAYER_OF or ut not in LAYER_OF:
                bad.append(f"{source} -> {target}: {us or ut!r} has no layer (add it to LAYERS)")
            elif LAYER_OF[ut] >= LAYER_OF[us]:
                bad.append(f"{source} -> {target}: {us} may not import {ut} (same or higher layer)")
    return bad


def test_the_package_has_no_import_cycle():
    assert cycles(graph()) == []


def test_imports_only_go_down_the_layers():
    assert violations(graph()) == []


def test_every_subpackage_has_a_layer():
    units = {unit(m) for m in modules()}
    assert units <= set(LAYER_OF), units - set(LAYER_OF)


def test_the_checker_sees_a_back_edge_and_a_cycle(tmp_path):
    # A scratch package with one upward import inside a function: both rules must notice it.
    root = tmp_path / "grader"
    (root / "sandbox").mkdir(parents=True)
    (root / "core").mkdir()
    (root / "__init__.py").write_text("")
    (root / "sandbox" / "__init__.py").write_text("")
    (root / "core" / "__init__.py").write_text("")
    (root / "sandbox" / "client.py").write_text("def f():\n    from grader.core import runner\n")
    (root / "core" / "runner.py").write_text("from grader.sandbox.client import f\n")
    edges = graph(root)
    assert edges["grader.sandbox.client"] == {"grader.core.runner"}
    assert cycles(edges) == [["grader.core.runner", "grader.sandbox.client"]]
    assert any("sandbox may not import core" in v for v in violations(edges))
