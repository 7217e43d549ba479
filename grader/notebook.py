"""Jupyter notebooks as submissions, and the self-check the handouts call.

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

:func:`prepare_submission` turns a notebook file, or a folder holding notebooks, into a
temporary folder of modules before :func:`grader.runner.run` grades it. A module file
(``losses.py``) in the folder wins over a notebook for the same topic; among several
notebooks for one topic the most recently modified one is graded.
"""

from __future__ import annotations

import ast
import contextlib
import html
import json
import os
import re
import shutil
import sys
import symtable
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from grader.errors import UsageError
from grader.i18n import t
from grader.topics import BY_SLUG, TOPICS

SUFFIX = ".ipynb"
# Cell magics whose body is ordinary Python (kept); the body of any other cell magic
# (%%bash, %%writefile, %%html...) is not Python and the cell is dropped.
_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug", "python", "python3"}
_LINE_MAGIC = re.compile(r"^(?P<indent>[ \t]*)(?:[%!]|\?|[\w.\[\], ]+=\s*[%!]|[\w.]+\?{1,2}\s*$)")
_DEFINES = r"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+{name}\b|^[ \t]*{name}[ \t]*[:=]"


# --------------------------------------------------------------------------- the spec's names


@lru_cache(maxsize=None)
def api_names(topic: str) -> tuple[str, ...]:
    """The functions/classes the topic's checks are about, in check order (from the grader)."""
    from grader import runner

    names: list[str] = []
    for _, meta in runner.collect([topic]):
        if meta.function and meta.function not in names:
            names.append(meta.function)
    return tuple(names)


def points_by_function(topic: str) -> dict[str, float]:
    """Total points of the checks about each function of ``topic``."""
    from grader import runner

    out: dict[str, float] = {}
    for _, meta in runner.collect([topic]):
        out[meta.function] = out.get(meta.function, 0.0) + float(meta.points)
    return out


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
        lines = lines[first + 1:]
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
    for t in targets:
        for sub in ast.walk(t):
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
            elif sym.is_global() and (sym.is_referenced() or sym.is_assigned()):
                found.add(sym.get_name())
            elif t.get_type() == "class" and sym.is_referenced() and not sym.is_assigned():
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
    return "\n".join(lines[start - 1: node.end_lineno])


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
                notes.append(t("cell {number} is not valid Python ({error}, line {line})", number=ci + 1,
                               error=exc.msg, line=exc.lineno))
            else:
                notes.append(t("cell {number} is not valid Python ({error}, line {line}); ignored", number=ci + 1,
                               error=exc.msg, line=exc.lineno))
            continue
        lines = src.splitlines()
        for node in tree.body:
            binds = _binds(node)
            star = isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names)
            future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
            if not binds and not star and not future:
                continue
            seg = _segment(lines, node)
            refs = set() if isinstance(node, (ast.Import, ast.ImportFrom)) else _global_refs(
                ast.unparse(node) if isinstance(node, (ast.Assign, ast.AnnAssign)) else _dedent_ok(seg))
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
        raise UsageError(f"{path} is not a readable Jupyter notebook ({type(exc).__name__}: {exc})",
                         fix="open and save it in Jupyter, or submit the .py module instead") from None


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
    header = (f'"""Generated by the grader from the notebook {path.name} (topic {topic}).\n\n'
              'Only the definitions the graded functions need were kept; see grader/notebook.py."""')
    return cells_to_module(code_cells(nb), api_names(topic), header=header)


@dataclass
class PreparedSubmission:
    """A folder of modules to grade; ``topics`` limits the run (a single notebook)."""

    path: Path
    topics: list[str] | None = None
    tmp: Path | None = None
    converted: dict[str, Path] = field(default_factory=dict)

    def cleanup(self) -> None:
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None


def _ignore():
    return shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "grader-report", "*.ipynb")


def prepare_submission(path: Path, requested: Iterable[str] = ()) -> PreparedSubmission:
    """Convert notebooks in ``path`` (a notebook or a folder) to modules in a temp folder.

    A folder without notebooks is returned as it is (nothing copied).
    """
    requested = list(requested)
    if path.is_file():
        if path.suffix != SUFFIX:
            raise UsageError(f"submission {path} is neither a folder nor a notebook (.ipynb)",
                             fix="pass the folder holding your topic modules, or one .ipynb file")
        nb = read_notebook(path)
        topic = notebook_topic(path, nb)
        if topic is None:
            if len(requested) != 1:
                raise UsageError(
                    f"cannot tell which topic the notebook {path.name} is about",
                    fix="name the topic on the command line (e.g. `grader run losses --submission "
                        f"{path.name}`) or put the topic's name in the file name (losses.ipynb)")
            topic = requested[0]
        if requested and topic not in requested:
            raise UsageError(f"the notebook {path.name} is about {topic}, not {', '.join(requested)}",
                             fix=f"run `grader run {topic} --submission {path}`")
        tmp = Path(tempfile.mkdtemp(prefix="grader-nb-"))
        root = tmp / "submission"
        root.mkdir()
        _write_module(root, topic, path)
        shipped = path.parent / "mnist_model.keras"
        if topic == "mnist" and shipped.is_file():
            shutil.copy2(shipped, root / shipped.name)
        return PreparedSubmission(root, [topic], tmp, {topic: path})

    notebooks = sorted(p for p in path.glob(f"*{SUFFIX}") if p.is_file())
    if not notebooks:
        return PreparedSubmission(path)
    by_topic: dict[str, list[Path]] = {}
    for nb_path in notebooks:
        topic = notebook_topic(nb_path, read_notebook(nb_path))
        if topic is not None and not (path / BY_SLUG[topic].module_file).exists():
            by_topic.setdefault(topic, []).append(nb_path)
    if not by_topic:
        return PreparedSubmission(path)
    tmp = Path(tempfile.mkdtemp(prefix="grader-nb-"))
    root = tmp / "submission"
    shutil.copytree(path, root, ignore=_ignore(), symlinks=False)
    converted = {}
    for topic, paths in by_topic.items():
        chosen = max(paths, key=lambda p: (p.stat().st_mtime, p.name))
        if len(paths) > 1:
            print(f"note: {topic}: grading {chosen.name}, the most recently modified of "
                  f"{', '.join(p.name for p in paths)}", file=sys.stderr)
        _write_module(root, topic, chosen)
        converted[topic] = chosen
    return PreparedSubmission(root, None, tmp, converted)


def _write_module(root: Path, topic: str, nb_path: Path) -> None:
    conv = notebook_to_module(nb_path, topic)
    (root / BY_SLUG[topic].module_file).write_text(conv.module, encoding="utf-8")


# --------------------------------------------------------------------------- inside a notebook


@contextlib.contextmanager
def skip_if_todo(lang: str = "en"):
    """Run an experiment; if a function it uses is still a stub, say so instead of failing."""
    try:
        yield
    except NotImplementedError as exc:
        name = str(exc) or "a function"
        if lang == "zh":
            print(f"（跳过：{name} 还没有实现。在上面的单元格里完成它，再运行本单元格。）")
        else:
            print(f"(skipped: {name} is not implemented yet; fill it in above and run this cell again)")


def _namespace_cells(namespace: dict, names: Iterable[str]) -> list[str]:
    history = namespace.get("_ih") or namespace.get("In")
    if isinstance(history, list) and any(isinstance(h, str) and h.strip() for h in history):
        return [h for h in history if isinstance(h, str)]
    # Plain Python (no IPython history): the source of each object, plus its module imports.
    import inspect
    import types

    cells = []
    for alias, obj in namespace.items():
        if isinstance(obj, types.ModuleType) and not alias.startswith("_"):
            cells.append(f"import {obj.__name__} as {alias}" if alias != obj.__name__ else f"import {alias}")
    for n in names:
        obj = namespace.get(n)
        if obj is not None:
            try:
                cells.append(inspect.getsource(obj))
            except (OSError, TypeError):
                pass
    return cells


_TEXT = {
    "en": {"title": "Self-check", "points": "points", "passed": "passed", "failed": "failed",
           "error": "error", "timeout": "timeout", "not_attempted": "not attempted",
           "all": "All checks passed.", "none": "Nothing attempted yet: fill in the functions above.",
           "hint": "hint", "check": "check", "status": "status", "fn": "function",
           "missing": "not defined in this notebook", "note": "note"},
    "zh": {"title": "自测", "points": "分", "passed": "通过", "failed": "未通过",
           "error": "出错", "timeout": "超时", "not_attempted": "未作答",
           "all": "全部检查通过。", "none": "还没有作答：请先完成上面的函数。",
           "hint": "提示", "check": "检查项", "status": "状态", "fn": "函数",
           "missing": "本笔记本中没有定义", "note": "注意"},
}
_COLOR = {"passed": "#1a7f37", "failed": "#cf222e", "error": "#9a6700", "timeout": "#9a6700",
          "not_attempted": "#6e7781"}


@dataclass
class SelfCheckReport:
    topic: str
    score: float
    max_score: float
    status: str
    result: object  # grader.results.TopicResult
    run: object  # grader.results.RunResult
    lang: str = "en"
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        return {"topic": self.topic, "score": self.score, "max_score": self.max_score,
                "status": self.status, "seed": getattr(self.run, "seed", None),
                "counts": self.result.counts}

    def _rows(self):
        for c in self.result.checks:
            msg = "" if c.status in ("passed", "not_attempted") else (c.message or "").splitlines()[0][:300] if c.message else ""
            hint = c.hint if c.status not in ("passed", "not_attempted") else ""
            yield c, msg, hint

    def text(self) -> str:
        T = _TEXT.get(self.lang, _TEXT["en"])
        lines = [f"{T['title']} {self.topic}: {self.score:g} / {self.max_score:g} {T['points']} "
                 f"({T.get(self.status, self.status.replace('_', ' '))}; seed {getattr(self.run, 'seed', '?')})"]
        if self.result.message:
            lines.append(self.result.message)
        if self.status == "not_attempted":
            lines.append(T["none"])
        elif all(c.status == "passed" for c in self.result.checks):
            lines.append(T["all"])
        for c, msg, hint in self._rows():
            lines.append(f"  [{T.get(c.status, c.status)}] {c.points:g}/{c.max_points:g}  {c.function}: {c.title}")
            if msg:
                lines.append(f"      {msg}")
            if hint:
                lines.append(f"      {T['hint']}: {hint}")
        lines.extend(f"{T['note']}: {n}" for n in self.notes)
        return "\n".join(lines)

    def markdown(self) -> str:
        T = _TEXT.get(self.lang, _TEXT["en"])
        out = [f"**{T['title']} `{self.topic}`: {self.score:g} / {self.max_score:g} {T['points']}**", ""]
        if self.result.message:
            out += [f"> {self.result.message}", ""]
        out += [f"| {T['fn']} | {T['check']} | {T['status']} | {T['points']} |", "|---|---|---|---|"]
        for c, msg, hint in self._rows():
            detail = f"<br>{msg}" if msg else ""
            detail += f"<br>*{T['hint']}: {hint}*" if hint else ""
            out.append(f"| `{c.function}` | {c.title}{detail} | {T.get(c.status, c.status)} | "
                       f"{c.points:g}/{c.max_points:g} |")
        return "\n".join(out)

    def html(self) -> str:
        T = _TEXT.get(self.lang, _TEXT["en"])
        e = html.escape
        color = "#1a7f37" if self.score == self.max_score and self.max_score else "#cf222e"
        head = (f'<div class="grader-self-check" data-topic="{e(self.topic)}" data-score="{self.score:g}" '
                f'data-max-score="{self.max_score:g}" data-status="{e(self.status)}">'
                f'<p style="font-weight:bold;color:{color}">{e(T["title"])} {e(self.topic)}: '
                f'{self.score:g} / {self.max_score:g} {e(T["points"])}</p>')
        if self.result.message:
            head += f"<p>{e(self.result.message)}</p>"
        if self.status == "not_attempted":
            head += f"<p>{e(T['none'])}</p>"
        rows = []
        for c, msg, hint in self._rows():
            extra = f"<br><small>{e(msg)}</small>" if msg else ""
            extra += f"<br><small><i>{e(T['hint'])}: {e(hint)}</i></small>" if hint else ""
            rows.append(f'<tr><td><code>{e(c.function)}</code></td><td style="text-align:left">{e(c.title)}{extra}</td>'
                        f'<td style="color:{_COLOR.get(c.status, "#000")}">{e(T.get(c.status, c.status))}</td>'
                        f"<td>{c.points:g}/{c.max_points:g}</td></tr>")
        table = (f"<table><tr><th>{e(T['fn'])}</th><th>{e(T['check'])}</th><th>{e(T['status'])}</th>"
                 f"<th>{e(T['points'])}</th></tr>{''.join(rows)}</table>")
        notes = "".join(f"<p><small>{e(T['note'])}: {e(n)}</small></p>" for n in self.notes)
        return head + table + notes + "</div>"

    def __str__(self) -> str:
        return self.text()


def _overrides_from_env() -> dict:
    """Settings for self-checks from GRADER_SELF_CHECK_SETTINGS (JSON), e.g. a shorter MNIST run in CI."""
    raw = os.environ.get("GRADER_SELF_CHECK_SETTINGS")
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise UsageError("GRADER_SELF_CHECK_SETTINGS is not valid JSON",
                         fix='e.g. GRADER_SELF_CHECK_SETTINGS=\'{"mnist_epochs": 1}\'') from None
    return dict(data)


def self_check(topic: str, namespace: dict | None = None, *, lang: str = "en", seed: int | None = None,
               show: bool = True, **overrides):
    """Grade ``topic`` from the definitions in ``namespace`` (a notebook's ``globals()``).

    The notebook's code (its executed cells, in execution order; the last definition of a
    name wins) is converted exactly as ``grader run --submission notebook.ipynb`` converts
    the saved file, written to a temporary module and graded by :func:`grader.runner.run`
    with the real checks. Settings come from ./pyproject.toml ``[tool.grader]`` if present,
    then ``GRADER_SELF_CHECK_SETTINGS`` (JSON), then ``overrides`` (e.g. ``mnist_epochs=1``).

    With ``show`` (default) the report is displayed inline and None returned; otherwise the
    :class:`SelfCheckReport` is returned.
    """
    from grader import config as cfg
    from grader import runner

    if topic not in BY_SLUG:
        raise UsageError(f"unknown topic {topic!r}", fix=f"choose from: {', '.join(t.slug for t in TOPICS)}")
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    from grader import i18n

    i18n.set_lang(lang if lang in i18n.LANGS else "en")  # the conversion's notes and the checks' messages
    names = api_names(topic)
    conv = cells_to_module(_namespace_cells(namespace, names), names)
    tmp = Path(tempfile.mkdtemp(prefix="grader-selfcheck-"))
    try:
        sub = tmp / "submission"
        sub.mkdir()
        (sub / BY_SLUG[topic].module_file).write_text(conv.module, encoding="utf-8")
        try:
            table = cfg.load_pyproject(None)
        except UsageError:
            table = {}
        extra = {**_overrides_from_env(), **overrides}
        limit_keys = {"call_timeout", "memory_mb", "import_timeout", "output_kb"}
        settings = cfg.build_settings(
            {**table, **{k: v for k, v in extra.items() if k in limit_keys}},
            submission=sub, topics=(topic,), seed=seed, out=tmp / "report",
            **{k: v for k, v in extra.items() if k not in limit_keys and k != "lang"},
            lang=i18n.get_lang(),
        )
        result = runner.run(settings)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    (tr,) = result.topics
    T = _TEXT.get(lang, _TEXT["en"])
    notes = list(conv.notes) + [f"{n}: {T['missing']}" for n in names if n not in conv.defined]
    report = SelfCheckReport(topic, tr.score, tr.max_score, tr.status, tr, result, lang, notes)
    if not show:
        return report
    _display(report)
    return None


def _display(report: SelfCheckReport) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # plain Python
        print(report.text())
        return
    if get_ipython() is None:
        print(report.text())
        return
    display({"text/html": report.html(), "text/markdown": report.markdown(), "text/plain": report.text()},
            raw=True, metadata={"grader": report.summary()})
