"""Jupyter notebooks as submissions: a notebook's code cells -> the topic's module.

A notebook is graded like a module: :func:`cells_to_module` reads its code cells in
document order (as "Run All" would; the order the cells were executed in does not matter),
strips IPython magics (``%matplotlib``, ``!pip``, ``%%time``, ``obj?``), parses each cell
with :mod:`ast` and keeps only what the topic's functions need:

* the top-level ``def``/``class``/assignment of every name the topic's checks are about
  (the spec's names); when a name is defined several times, the LAST definition wins;
* transitively, every top-level definition, assignment and import those definitions refer
  to (helpers, constants, ``import numpy as np``), found with :mod:`symtable`, so local
  variables never drag scratch code in;
* nothing else: plots, prints, experiments and scratch cells are dropped, and so are their
  imports (a numpy-only topic stays numpy-only even if an experiment cell imported TF).

A cell that does not parse is kept verbatim when it defines one of the spec's names, so the
grader reports the syntax error instead of "not attempted".

Which topic a notebook belongs to: ``metadata["grader"]["topic"]`` (the handouts write it),
else the first part of the file name that is a topic slug (``losses.zh.student.ipynb``,
``my_losses.ipynb``), else the one topic named on the command line.

Conversion only; :mod:`grader.intake.prepare` decides which files of a submission to convert.
"""

from __future__ import annotations

import ast
import re
import symtable
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from grader.core.catalog import api_names
from grader.course.topics import BY_SLUG
from grader.errors import UsageError
from grader.i18n import t

SUFFIX = ".ipynb"
# Cell magics whose body is ordinary Python (kept); the body of any other cell magic
# (%%bash, %%writefile, %%html...) is not Python and the cell is dropped.
_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug", "python", "python3"}
_LINE_MAGIC = re.compile(r"^(?P<indent>[ \t]*)(?:[%!]|\?|[\w.\[\], ]+=\s*[%!]|[\w.]+\?{1,2}\s*$)")
_DEFINES = r"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+{name}\b|^[ \t]*{name}[ \t]*[:=]"


# --------------------------------------------------------------------------- cells -> module


def strip_magics(source: str) -> str:
    """``source`` as plain Python: magics become ``pass``; non-Python cell magics become ''."""
    try:
        ast.parse(source)
        return source  # valid Python never holds a magic; leave strings and comments alone
    except SyntaxError:
        pass
    lines = source.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        name = (lines[first].lstrip()[2:].split() or [""])[0]
        if name not in _PYTHON_CELL_MAGICS:
            return ""
        lines = lines[first + 1 :]
    out = []
    for line in lines:
        m = _LINE_MAGIC.match(line)
        out.append(f"{m.group('indent')}pass" if m and not line.lstrip().startswith("#") else line)
    return "\n".join(out) + "\n"


def _binds(node: ast.stmt) -> list[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.Import):
        return [a.asname or a.name.split(".")[0] for a in node.names]
    if isinstance(node, ast.ImportFrom):
        return [a.asname or a.name for a in node.names if a.name != "*"]
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        targets = [node.target]
    names = []
    for target in targets:
        for sub in ast.walk(target):
            if isinstance(sub, ast.Name):
                names.append(sub.id)
            elif not isinstance(sub, (ast.Tuple, ast.List, ast.Starred, ast.Load, ast.Store)):
                return []  # attribute/subscript targets: not a definition
    return names


def _global_refs(source: str) -> set[str]:
    """Module-level names that ``source`` (one top-level statement) reads."""
    try:
        table = symtable.symtable(source, "<cell>", "exec")
    except SyntaxError:
        return set()
    found: set[str] = set()

    def visit(t: symtable.SymbolTable, top: bool) -> None:
        for sym in t.get_symbols():
            if top:
                if sym.is_referenced():
                    found.add(sym.get_name())
            elif (
                sym.is_global()
                and (sym.is_referenced() or sym.is_assigned())
                or t.get_type() == "class"
                and sym.is_referenced()
                and not sym.is_assigned()
            ):
                found.add(sym.get_name())
        for child in t.get_children():
            visit(child, False)

    visit(table, True)
    return found


@dataclass
class _Stmt:
    cell: int
    order: int
    source: str
    binds: list[str]
    refs: set[str]
    star_import: bool = False
    future: bool = False
    kind: str = "def"  # "value" for assignments: evaluated when the module is imported


def _segment(lines: list[str], node: ast.stmt) -> str:
    start = node.lineno
    for dec in getattr(node, "decorator_list", []):
        start = min(start, dec.lineno)
    # comment lines directly above belong to the definition
    while start > 1 and lines[start - 2].lstrip().startswith("#"):
        start -= 1
    return "\n".join(lines[start - 1 : node.end_lineno])


@dataclass
class Conversion:
    module: str
    defined: list[str]  # spec names found
    notes: list[str] = field(default_factory=list)


def cells_to_module(cells: Iterable[str], names: Iterable[str], *, header: str = "") -> Conversion:
    """A module holding what ``names`` need from the code ``cells`` (in order; last wins)."""
    names = list(names)
    stmts: list[_Stmt] = []
    notes: list[str] = []
    order = 0
    for ci, raw in enumerate(cells):
        src = strip_magics(raw or "")
        if not src.strip():
            continue
        try:
            tree = ast.parse(src)
        except SyntaxError as exc:
            hit = [n for n in names if re.search(_DEFINES.format(name=re.escape(n)), src, re.M)]
            if hit:  # keep it so the student sees the syntax error, not "not attempted"
                stmts.append(_Stmt(ci, order, src.rstrip("\n"), hit, set()))
                order += 1
            if hit:
                notes.append(
                    t(
                        "cell {number} is not valid Python ({error}, line {line})",
                        number=ci + 1,
                        error=exc.msg,
                        line=exc.lineno,
                    )
                )
            else:
                notes.append(
                    t(
                        "cell {number} is not valid Python ({error}, line {line}); ignored",
                        number=ci + 1,
                        error=exc.msg,
                        line=exc.lineno,
                    )
                )
            continue
        lines = src.splitlines()
        for node in tree.body:
            binds = _binds(node)
            star = isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names)
            future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
            if not binds and not star and not future:
                continue
            seg = _segment(lines, node)
            refs = (
                set()
                if isinstance(node, (ast.Import, ast.ImportFrom))
                else _global_refs(
                    ast.unparse(node) if isinstance(node, (ast.Assign, ast.AnnAssign)) else _dedent_ok(seg)
                )
            )
            kind = "value" if isinstance(node, (ast.Assign, ast.AnnAssign)) else "def"
            stmts.append(_Stmt(ci, order, seg, binds, refs, star, future, kind))
            order += 1

    bindings: dict[str, list[_Stmt]] = {}
    for s in stmts:
        for n in s.binds:
            bindings.setdefault(n, []).append(s)
    last = {n: b[-1] for n, b in bindings.items()}

    def binding(name: str, before: float):
        found = [s for s in bindings.get(name, ()) if s.order < before]
        return found[-1] if found else None

    keep: dict[int, _Stmt] = {}
    # (name, before): the binding of ``name`` that is live just before statement ``before``.
    # Function bodies see the final binding; assignments (run at import) and a statement
    # that rebinds a name it reads (``f = decorate(f)``) see the one before them.
    todo: list[tuple[str, float]] = [(n, float("inf")) for n in names if n in last]
    seen: set[tuple[str, float]] = set()
    while todo:
        item = todo.pop()
        if item in seen:
            continue
        seen.add(item)
        s = binding(*item)
        if s is None:
            continue
        keep[s.order] = s
        immediate = s.kind == "value"
        for r in s.refs:
            todo.append((r, s.order if (immediate or r in s.binds) else float("inf")))
    for s in stmts:
        if s.future or s.star_import:
            keep.setdefault(s.order, s)

    parts = [header] if header else []
    ordered = sorted(keep.values(), key=lambda s: (not s.future, s.order))
    for s in ordered:
        parts.append(f"# --- from cell {s.cell + 1}\n{s.source}\n")
    module = "\n\n".join(p.rstrip("\n") for p in parts) + "\n"
    return Conversion(module=module, defined=[n for n in names if n in last], notes=notes)


def _dedent_ok(seg: str) -> str:
    return seg if not seg[:1].isspace() else "if True:\n" + seg


# --------------------------------------------------------------------------- notebook files


def read_notebook(path: Path):
    import nbformat

    try:
        return nbformat.read(str(path), as_version=4)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the user's to fix
        raise UsageError(
            f"{path} is not a readable Jupyter notebook ({type(exc).__name__}: {exc})",
            fix="open and save it in Jupyter, or submit the .py module instead",
        ) from None


def code_cells(nb) -> list[str]:
    return [c.source for c in nb.cells if c.get("cell_type") == "code"]


def notebook_topic(path: Path, nb=None) -> str | None:
    """The topic a notebook is about: its metadata, else a slug in its file name."""
    if nb is not None:
        topic = (nb.metadata.get("grader") or {}).get("topic")
        if topic in BY_SLUG:
            return topic
    for token in re.split(r"[^a-z0-9]+", path.stem.lower()):
        if token in BY_SLUG:
            return token
    return None


def notebook_to_module(path: Path, topic: str) -> Conversion:
    nb = read_notebook(path)
    header = (
        f'"""Generated by the grader from the notebook {path.name} (topic {topic}).\n\n'
        'Only the definitions the graded functions need were kept; see grader/notebook.py."""'
    )
    return cells_to_module(code_cells(nb), api_names(topic), header=header)
