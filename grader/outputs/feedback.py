"""Feedback grouped by function: the one view model the terminal summary, HTML and Markdown render.

A submission's results are a flat list of checks; a student fixes functions. For every topic
this module decides, once, what each report says (the templates only render it):

* a topic-wide problem (a syntax or import error, a missing module, a refused import, data
  the grader lacks) is stated once, with its file and line, and the checks it kept from
  running are counted, not listed with their unrelated hints;
* otherwise the functions come in three groups: **failing** functions first (course order),
  each with its known mistake(s) stated once, then its checks that did not pass with what is
  left of their message (the diff), each hint once; **passed** functions as a count of their
  checks (the HTML report can expand the list); **not attempted** functions in one line.

Input is a result already localized and redacted for its reader
(:func:`grader.outputs.report.prepare`), so every text here is in the report's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from grader import i18n
from grader.core.results import CheckResult, RunResult, TopicResult
from grader.status import Status, TopicStatus

PASSED, FAILING, NOT_ATTEMPTED = "passed", "failing", "not_attempted"


@dataclass(frozen=True)
class Mistake:
    """A known mistake the grader recognised in a function's results."""

    key: str  # the catalogue's stable id, e.g. "softmax.no_max_shift"
    name: str  # what the mistake is ("" when the result only carries the sentence)
    fix: str  # what to do instead ("" likewise)
    sentence: str  # the whole statement, as the check's message opened with it


@dataclass(frozen=True)
class CheckView:
    """A check that did not pass, as its function's group shows it."""

    check: CheckResult
    message: str  # the message without the known-mistake sentence the function already states
    hint: str  # "" when an earlier check of the same function gave the same hint

    @property
    def lines(self) -> list[str]:
        return self.message.splitlines()

    @property
    def first_line(self) -> str:
        return next((line for line in self.lines if line.strip()), "")


@dataclass(frozen=True)
class FunctionView:
    """The checks about one student function or class."""

    name: str
    state: str  # PASSED, FAILING or NOT_ATTEMPTED
    score: float
    max_score: float
    checks: tuple[CheckResult, ...]
    mistakes: tuple[Mistake, ...] = ()
    failing: tuple[CheckView, ...] = ()  # every check that did not pass, in check order
    passed: tuple[CheckResult, ...] = ()

    @property
    def n_checks(self) -> int:
        return len(self.checks)

    @property
    def n_passed(self) -> int:
        return len(self.passed)


@dataclass(frozen=True)
class TopicView:
    topic: TopicResult
    problem: str = ""  # a topic-wide problem's first line ("" if none)
    problem_detail: str = ""  # the rest of it (e.g. the offending source line)
    blocked: tuple[str, ...] = ()  # functions a topic-wide problem kept from being graded
    failing: tuple[FunctionView, ...] = ()
    passed: tuple[FunctionView, ...] = ()
    not_attempted: tuple[FunctionView, ...] = ()
    results: tuple[CheckResult, ...] = ()  # checks that did not fail but carry a summary or plots

    @property
    def functions(self) -> tuple[FunctionView, ...]:
        return self.failing + self.passed + self.not_attempted

    @property
    def not_attempted_points(self) -> float:
        return sum(f.max_score for f in self.not_attempted)

    @property
    def all_not_attempted(self) -> bool:
        return not self.problem and not self.failing and not self.passed and bool(self.not_attempted)


@dataclass(frozen=True)
class ReportView:
    run: RunResult
    topics: tuple[TopicView, ...]


def _mistake(check: CheckResult, lang: str) -> Mistake | None:
    details = check.details if isinstance(check.details, dict) else {}
    key = details.get("misconception")
    if not isinstance(key, str) or not key:
        return None
    lines = (check.message or "").splitlines()
    sentence = lines[0] if lines else ""
    named = details.get("mistake") if details else None
    if not isinstance(named, dict):
        named = {}
    name, fix = named.get("name"), named.get("fix")
    if isinstance(name, str) and isinstance(fix, str):
        return Mistake(key, i18n.gettext(name, lang), i18n.gettext(fix, lang), sentence)
    return Mistake(key, "", "", sentence)  # results written before mistakes were recorded structurally


def function_view(name: str, checks: Iterable[CheckResult], lang: str) -> FunctionView:
    checks = tuple(checks)
    passed = tuple(c for c in checks if c.status == Status.PASSED)
    others = [c for c in checks if c.status != Status.PASSED]
    score = round(sum(c.points for c in checks), 4)
    max_score = round(sum(c.max_points for c in checks), 4)
    if not others:
        return FunctionView(name, PASSED, score, max_score, checks, passed=passed)
    if len(others) == len(checks) and all(c.status == Status.NOT_ATTEMPTED for c in others):
        return FunctionView(name, NOT_ATTEMPTED, score, max_score, checks)
    mistakes: dict[str, Mistake] = {}
    views, hints = [], set()
    for c in others:
        message = c.message or ""
        found = _mistake(c, lang)
        if found is not None:
            mistakes.setdefault(found.key, found)
            if found.sentence and message.startswith(found.sentence):
                message = message[len(found.sentence) :].lstrip("\n")
        hint = c.hint if c.hint and c.hint not in hints else ""
        if c.hint:
            hints.add(c.hint)
        views.append(CheckView(c, message, hint))
    return FunctionView(name, FAILING, score, max_score, checks, tuple(mistakes.values()), tuple(views), passed)


def _has_extras(c: CheckResult) -> bool:
    details = c.details if isinstance(c.details, dict) else {}
    return not c.redacted and bool(details.get("summary") or details.get("images"))


def topic_view(topic: TopicResult, lang: str) -> TopicView:
    by_function: dict[str, list[CheckResult]] = {}
    for c in topic.checks:
        by_function.setdefault(c.function, []).append(c)
    if topic.message and topic.status != TopicStatus.GRADED:
        # One cause for every check of the topic: say it once, with its file and line.
        first, _, rest = topic.message.partition("\n")
        return TopicView(topic, problem=first, problem_detail=rest.strip("\n"), blocked=tuple(by_function))
    groups = [function_view(name, checks, lang) for name, checks in by_function.items()]
    results = tuple(c for c in topic.checks if c.status == Status.PASSED and _has_extras(c))
    return TopicView(
        topic,
        failing=tuple(g for g in groups if g.state == FAILING),
        passed=tuple(g for g in groups if g.state == PASSED),
        not_attempted=tuple(g for g in groups if g.state == NOT_ATTEMPTED),
        results=results,
    )


def build(result: RunResult) -> ReportView:
    """The grouped feedback for ``result`` (localized and redacted for its reader already)."""
    return ReportView(result, tuple(topic_view(t, result.lang) for t in result.topics))
