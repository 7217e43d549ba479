"""The in-notebook API the handouts import: ``self_check`` and ``skip_if_todo``.

Every released notebook says ``from grader.notebook import self_check, skip_if_todo``, so
this module stays at this path. The notebook's code is converted exactly as ``grader run
--submission notebook.ipynb`` converts the saved file (:mod:`grader.intake.ipynb`) and graded
by :func:`grader.core.runner.run` with the real checks.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from grader import config as cfg
from grader import i18n
from grader.core.catalog import api_names, available_topics
from grader.core.session import GradingSession, find_function
from grader.course.mnist_data import load_mnist
from grader.course.topics import BY_SLUG, TOPICS
from grader.errors import UsageError
from grader.intake.ipynb import cells_to_module
from grader.outputs import templating

__all__ = ["SelfCheckReport", "load_mnist", "self_check", "skip_if_todo", "use_cjk_font"]


@contextlib.contextmanager
def skip_if_todo(lang: str = "en"):
    """Run an experiment; if a function it uses is still a stub, say so instead of failing."""
    try:
        yield
    except NotImplementedError as exc:
        lang = lang if lang in i18n.LANGS else "en"
        _, t = i18n.bound(lang)
        name = str(exc) or t("a function")
        print(t("(skipped: {name} is not implemented yet; fill it in above and run this cell again)", name=name))


def use_cjk_font(lang: str = "zh") -> str | None:
    """Let matplotlib draw Chinese plot labels: put an installed CJK font first; returns its name.

    Without one, Chinese labels would show as empty boxes: the function says so (in
    ``lang``) and returns None.
    """
    import matplotlib

    from grader.course.mnist_verify import cjk_font

    found = cjk_font()
    if found is None:
        _, t = i18n.bound(lang if lang in i18n.LANGS else "en")
        print(
            t(
                "(no Chinese font found: the plots' Chinese labels may show as boxes; install one, e.g. "
                "fonts-noto-cjk, and restart the kernel)"
            )
        )
        return None
    rc = matplotlib.rcParams
    rc["font.sans-serif"] = [found, *[f for f in rc["font.sans-serif"] if f != found]]
    rc["font.family"] = "sans-serif"
    rc["axes.unicode_minus"] = False  # CJK fonts often lack U+2212, the minus sign of tick labels
    return found


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
            with contextlib.suppress(OSError, TypeError):
                cells.append(inspect.getsource(obj))
    return cells


@dataclass
class SelfCheckReport:
    """One self-check's outcome; renders as text, Markdown and HTML (templates/selfcheck.*.j2)."""

    topic: str
    score: float
    max_score: float
    status: str
    result: object  # grader.core.results.TopicResult
    run: object  # grader.core.results.RunResult
    lang: str = "en"
    notes: list[str] = field(default_factory=list)
    function: str | None = None  # self_check("softmax"): only that function's checks were run

    def summary(self) -> dict:
        return {
            "topic": self.topic,
            "function": self.function,
            "score": self.score,
            "max_score": self.max_score,
            "status": self.status,
            "seed": getattr(self.run, "seed", None),
            "counts": self.result.counts,
        }

    def _render(self, template: str) -> str:
        from grader.core.results import RunResult
        from grader.outputs import feedback
        from grader.outputs.report import prepare

        shown = self.run
        if isinstance(shown, RunResult):  # in the notebook's language, hidden checks redacted
            shown = prepare(shown, lang=self.lang, audience="student")
            (topic,) = [t for t in shown.topics if t.topic == self.topic]
        else:
            topic = self.result
        return templating.render(
            template, self.lang, sc=self, tv=feedback.topic_view(topic, self.lang), seed=getattr(self.run, "seed", None)
        )

    def text(self) -> str:
        return self._render("selfcheck.txt.j2").strip("\n")

    def markdown(self) -> str:
        return self._render("selfcheck.md.j2").strip("\n")

    def html(self) -> str:
        return self._render("selfcheck.html.j2").strip("\n")

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
        raise UsageError(
            "GRADER_SELF_CHECK_SETTINGS is not valid JSON",
            fix="e.g. GRADER_SELF_CHECK_SETTINGS='{\"mnist_epochs\": 1}'",
        ) from None
    return dict(data)


def self_check(
    topic: str,
    namespace: dict | None = None,
    *,
    lang: str = "en",
    seed: int | None = None,
    show: bool = True,
    **overrides,
):
    """Grade ``topic`` (or one graded function, e.g. ``"softmax"``) from a notebook's definitions.

    ``namespace`` is the notebook's ``globals()`` (default: the caller's). The notebook's code
    (its executed cells, in execution order; the last definition of a name wins) is converted
    exactly as ``grader run --submission notebook.ipynb`` converts the saved file, written to
    a temporary module and graded with the real checks; the student's code runs in a fresh
    worker process. Given a function's name instead of a topic, only the checks about that
    function run (as ``grader.check("q1")`` does in otter-grader). TensorFlow and the checks
    stay loaded in the kernel, so every call after the first costs well under 2 s for a
    numpy topic.

    Settings come from ./pyproject.toml ``[tool.grader]`` if present, then
    ``GRADER_SELF_CHECK_SETTINGS`` (JSON), then ``overrides`` (e.g. ``mnist_epochs=1``).
    With ``show`` (default) the report is displayed inline and None returned; otherwise the
    :class:`SelfCheckReport` is returned.
    """
    function = None
    if topic not in BY_SLUG:
        if not any(topic in api_names(t.slug) for t in TOPICS if t.slug in available_topics()):
            raise UsageError(
                f"unknown topic or function {topic!r}",
                fix=f"choose a topic ({', '.join(t.slug for t in TOPICS)}) or one of its functions",
            )
        function, topic = topic, find_function(topic)
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
        settings = cfg.build_settings(
            table, submission=sub, topics=(topic,), seed=seed, out=tmp / "report", **extra, lang=lang
        )
        session = GradingSession(settings)
        result = session.grade(functions=None if function is None else [function])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    (tr,) = result.topics
    _, t = i18n.bound(lang)
    wanted = names if function is None else [function]
    notes = list(conv.notes) + [
        t("{name}: not defined in this notebook", name=n) for n in wanted if n not in conv.defined
    ]
    report = SelfCheckReport(tr.topic, tr.score, tr.max_score, str(tr.status), tr, result, lang, notes, function)
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
    display(
        {"text/html": report.html(), "text/markdown": report.markdown(), "text/plain": report.text()},
        raw=True,
        metadata={"grader": report.summary()},
    )
