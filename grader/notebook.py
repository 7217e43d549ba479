"""The in-notebook API the handouts import: ``self_check`` and ``skip_if_todo``.

Every released notebook says ``from grader.notebook import self_check, skip_if_todo``, so
this module stays at this path. The notebook's code is converted exactly as ``grader run
--submission notebook.ipynb`` converts the saved file (:mod:`grader.intake.ipynb`) and graded
by :func:`grader.core.runner.run` with the real checks.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from grader import config as cfg
from grader import i18n
from grader.core import runner
from grader.core.catalog import api_names
from grader.course.mnist_data import load_mnist
from grader.course.topics import BY_SLUG, TOPICS
from grader.errors import UsageError
from grader.intake.ipynb import cells_to_module

__all__ = ["SelfCheckReport", "load_mnist", "self_check", "skip_if_todo"]


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
    result: object  # grader.core.results.TopicResult
    run: object  # grader.core.results.RunResult
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
    the saved file, written to a temporary module and graded by :func:`grader.core.runner.run`
    with the real checks. Settings come from ./pyproject.toml ``[tool.grader]`` if present,
    then ``GRADER_SELF_CHECK_SETTINGS`` (JSON), then ``overrides`` (e.g. ``mnist_epochs=1``).

    With ``show`` (default) the report is displayed inline and None returned; otherwise the
    :class:`SelfCheckReport` is returned.
    """
    if topic not in BY_SLUG:
        raise UsageError(f"unknown topic {topic!r}", fix=f"choose from: {', '.join(t.slug for t in TOPICS)}")
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    lang = lang if lang in i18n.LANGS else "en"
    names = api_names(topic)
    with i18n.language(lang):  # the conversion's notes
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
        extra = {k: v for k, v in {**_overrides_from_env(), **overrides}.items() if k != "lang"}
        settings = cfg.build_settings(table, submission=sub, topics=(topic,), seed=seed, out=tmp / "report",
                                      **extra, lang=lang)
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
