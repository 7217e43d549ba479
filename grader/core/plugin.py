"""The pytest plugin that turns check functions into scored results.

Checks declare what they are worth with registered markers (read once at collection and
kept in the item stash, as pytest's own ``skipping.py`` does); results are collected from
structured reports in hooks (as ``junitxml.py`` does), never from printed output. Every
report counts: a check module that cannot be collected becomes one named internal error of
its topic, and a failing teardown turns its check into an internal error.
The fixtures the checks use live in :mod:`grader.core.fixtures`, which this plugin registers.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import pytest

from grader import i18n
from grader.core import fixtures
from grader.core.fixtures import details_key, plugin_key, topic_of
from grader.core.results import CheckResult
from grader.course.misconceptions import detect
from grader.errors import CheckFailed, StudentError
from grader.i18n import LANGS, N_, _, t, translate_title
from grader.sandbox.client import WorkerPool
from grader.sandbox.student import StudentModule
from grader.status import Status

MARKERS = {
    "about": "about(name): the student function or class a check is about",
    "points": "points(n): what the check is worth",
    "hint": "hint(text): shown to the student when the check does not pass",
    "hidden": "hidden: counts in the score, but student reports show no inputs or values",
}


@dataclass(frozen=True)
class CheckMeta:
    topic: str
    function: str
    points: float
    hint: str
    title: str
    hidden: bool


meta_key = pytest.StashKey[CheckMeta]()
__all__ = ["MARKERS", "CheckMeta", "GraderPlugin", "check_texts", "details_key", "meta_key", "topic_of"]


def _single_arg(item: pytest.Item, name: str) -> Any:
    mark = item.get_closest_marker(name)
    if mark is None:
        return None
    if len(mark.args) != 1:
        raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.{name} takes exactly one argument")
    return mark.args[0]


def _title(item: pytest.Function) -> str:
    doc = (getattr(item.obj, "__doc__", None) or "").strip().splitlines()
    title = doc[0].strip() if doc else item.originalname.removeprefix("test_").replace("_", " ")
    if "[" in item.name:
        title += f" [{item.name.split('[', 1)[1]}"
    return title


class GraderPlugin:
    def __init__(self, pool: WorkerPool | None, seed: int, settings: Any = None):
        # Underscored: the run's state, read by the fixtures through the methods below.
        self._pool = pool
        self._seed = seed
        self._settings = settings
        self.results: dict[str, CheckResult] = {}
        self.items: list[pytest.Function] = []
        # Check modules that could not be collected: one internal-error result per module.
        self.collection_errors: list[CheckResult] = []
        self.broken_topics: dict[str, str] = {}  # topic -> why its checks could not be loaded
        self._modules: dict[str, StudentModule] = {}
        self._store: Any = None

    # -- what the fixtures (grader.core.fixtures) give; subclasses override these -------------

    @property
    def seed(self) -> int:
        return self._seed

    @property
    def settings(self) -> Any:
        return self._settings

    def student_module(self, topic: str) -> StudentModule:
        if topic not in self._modules:
            if self._pool is None:
                raise RuntimeError("this grading session has no worker pool (collect-only)")
            self._modules[topic] = StudentModule(self._pool.get(topic))
        return self._modules[topic]

    def tensorflow(self) -> Any:
        import gc

        from grader.core.tfimport import import_tensorflow

        # The eager context too: its GPU probe's error line is filtered with the import's lines.
        # (Workers fork from zygotes, never from this process.)
        tensorflow = import_tensorflow(eager_context=True)
        # TF leaves ~a million long-lived objects; freezing them keeps every later full
        # collection (pytest runs several at session end) from walking them again.
        gc.collect()
        gc.freeze()
        return tensorflow

    def keras_module(self) -> Any:
        import keras

        return keras

    def reference_store(self) -> Any:
        """The store of reference values (:mod:`grader.core.refstore`), from the run's settings."""
        if self._store is None:
            from grader.core.refstore import open_store

            self._store = open_store(getattr(self._settings, "reference_cache", None))
        return self._store

    # -- configuration ------------------------------------------------------------------

    def pytest_configure(self, config: pytest.Config) -> None:
        for line in MARKERS.values():
            config.addinivalue_line("markers", line)
        config.stash[plugin_key] = self
        # Results come from outcomes, never from pytest's formatted tracebacks, whose default style
        # parses the source of every frame of every failure (~0.05 s per failed check). --tb
        # itself belongs to the terminal plugin, which the grader leaves out.
        config.option.tbstyle = "native"
        if not config.pluginmanager.is_registered(fixtures):
            config.pluginmanager.register(fixtures, "grader-fixtures")

    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        checks: list[pytest.Function] = []
        for item in items:
            if not isinstance(item, pytest.Function):
                raise pytest.UsageError(f"{item.nodeid}: a check must be a plain test function")
            function, points = _single_arg(item, "about"), _single_arg(item, "points")
            if function is None or points is None:
                raise pytest.UsageError(f"{item.nodeid}: every check needs @pytest.mark.about and @pytest.mark.points")
            item.stash[meta_key] = CheckMeta(
                topic=topic_of(item.module.__name__),
                function=str(function),
                points=float(points),
                hint=str(_single_arg(item, "hint") or ""),
                title=_title(item),
                hidden=item.get_closest_marker("hidden") is not None,
            )
            checks.append(item)
        self.items = checks

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # From here on pytest's failure text is never read (a check's result comes from its outcome):
        # "value", pytest's own style for pytest.fail(pytrace=False), formats the exception alone
        # instead of every frame's source (a few ms per failed check, dozens per student). A
        # collection error above keeps its native traceback: the grader's defect, shown in full.
        session.config.option.tbstyle = "value"

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A check module that fails to import is the grader's defect: record it, named, for its topic."""
        if not report.failed or not report.nodeid:
            return
        module = PurePosixPath(report.nodeid.split("::", 1)[0])
        if module.suffix != ".py":
            return
        topic = topic_of(module.stem)
        lines = [line for line in str(report.longreprtext).strip().splitlines() if line.strip()]
        error = lines[-1].strip().removeprefix("E").strip() if lines else "?"
        why = t(
            "internal grader error: the checks of this topic could not be loaded ({error}); please report it",
            error=error,
        )
        self.broken_topics[topic] = why
        message = why + "\n" + str(report.longreprtext)[-2000:]
        title = N_("the grader's checks for this topic load")
        self.collection_errors.append(
            CheckResult(
                id=f"{topic}::{module.name}",
                topic=topic,
                name=module.name,
                function="",
                title=translate_title(title),
                status=Status.ERROR,
                points=0.0,
                max_points=0.0,
                message=str(message),
                internal_error=True,
                i18n=check_texts(title, message, ""),
            )
        )

    # -- results ------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        rep = yield
        meta = item.stash.get(meta_key, None)
        if meta is None or not isinstance(item, pytest.Function):
            return rep
        if rep.when == "call" or (rep.when == "setup" and not rep.passed):
            self.results[item.nodeid] = self._result(item, meta, call, rep)
        elif rep.when == "teardown" and rep.failed:
            # A fixture's clean-up broke after the verdict: the grader's fault, never the student's.
            self.results[item.nodeid] = self._teardown_error(item, meta, call, rep)
        return rep

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        for module in self._modules.values():
            module.calls.clear()

    def _diagnose(self, meta: CheckMeta, message: str, details: dict) -> tuple[str, dict]:
        """Name the student's mistake when their results match a known misconception."""
        module = self._modules.get(meta.topic)
        if module is None:
            return message, details
        calls = [(args, kwargs, value) for name, args, kwargs, value in module.calls if name == meta.function]
        tolerance = None
        if isinstance(details.get("rtol"), (int, float)) and isinstance(details.get("atol"), (int, float)):
            tolerance = (float(details["rtol"]), float(details["atol"]))
        found = detect(meta.function, calls, tolerance)
        if found is None:
            return message, details
        # The mistake as message ids too, so a report can state it once per function in any language.
        details = {**details, "misconception": found.key, "mistake": {"name": found.name, "fix": found.fix}}
        message = (
            t("This looks like a known mistake: {mistake}. Fix: {fix}", mistake=_(found.name), fix=_(found.fix))
            + "\n"
            + message
        )
        return message, details

    def _teardown_error(
        self, item: pytest.Function, meta: CheckMeta, call: pytest.CallInfo, rep: pytest.TestReport
    ) -> CheckResult:
        exc = call.excinfo.value if call.excinfo is not None else None
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-3)) if exc else ""
        message = (
            t(
                "internal grader error while cleaning up after this check ({type}: {error}); please report it",
                type=type(exc).__name__,
                error=exc,
            )
            + "\n"
            + tb
        )
        before = self.results.get(item.nodeid)
        return CheckResult(
            id=f"{meta.topic}::{item.name}",
            topic=meta.topic,
            name=item.name,
            function=meta.function,
            title=translate_title(meta.title),
            status=Status.ERROR,
            points=0.0,
            max_points=meta.points,
            message=str(message),
            details=dict(before.details) if before else {},
            internal_error=True,
            duration=round((before.duration if before else 0.0) + rep.duration, 4),
            hidden=meta.hidden,
            i18n=check_texts(meta.title, message, ""),
        )

    def _result(
        self, item: pytest.Function, meta: CheckMeta, call: pytest.CallInfo, rep: pytest.TestReport
    ) -> CheckResult:
        status, message, details, internal = Status.PASSED, "", {}, False
        exc = call.excinfo.value if call.excinfo is not None else None
        if rep.skipped:
            # A skipped check would hide a missing feature; it is a grader defect.
            status, internal = Status.ERROR, True
            message = t("internal grader error: the check was skipped ({reason})", reason=getattr(exc, "msg", exc))
        elif exc is None:
            status = Status.PASSED
        elif isinstance(exc, StudentError):
            status, message = exc.status, exc.message
        elif isinstance(exc, CheckFailed):
            status, message, details = Status.FAILED, exc.message, dict(exc.details)
        elif isinstance(exc, AssertionError):
            # args[0], not str(exc): str() would drop the message's translations (grader.i18n.Text).
            text = exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], str) else str(exc)
            if "\nassert " in text:
                text = text.split("\nassert ")[0]
            if text != text.strip():
                text = text.strip()
            status, message = Status.FAILED, text or _("wrong answer")
        else:
            status, internal = Status.ERROR, True
            tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-3))
            message = (
                t(
                    "internal grader error in this check ({type}: {error}); please report it",
                    type=type(exc).__name__,
                    error=exc,
                )
                + "\n"
                + tb
            )
        if status == Status.FAILED:
            message, details = self._diagnose(meta, message, details)
        extra = item.stash.get(details_key, None)
        if extra:
            details = {**extra, **details}
        pts = meta.points if status == Status.PASSED else 0.0
        hint = meta.hint if status != Status.PASSED else ""
        return CheckResult(
            id=f"{meta.topic}::{item.name}",
            topic=meta.topic,
            name=item.name,
            function=meta.function,
            title=translate_title(meta.title),
            status=status,
            points=pts,
            max_points=meta.points,
            message=str(message),
            hint=_(hint) if hint else "",
            details=details,
            internal_error=internal,
            duration=round(rep.duration, 4),
            hidden=meta.hidden,
            i18n=check_texts(meta.title, message, hint),
        )


def check_texts(title: str, message: str, hint: str) -> dict[str, dict[str, str]]:
    """A check's title, message and hint in every language (message ids are translated here)."""
    return {
        lang: {
            "title": translate_title(title, lang),
            "message": i18n.localize(message, lang),
            "hint": i18n.gettext(hint, lang) if hint else "",
        }
        for lang in LANGS
    }
