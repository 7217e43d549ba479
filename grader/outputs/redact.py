"""What a student may see: decided once, here, for every output (reports, JSON, Gradescope, CLI)."""

from __future__ import annotations

import dataclasses

from grader import i18n
from grader.core.results import CheckResult, RunResult
from grader.i18n import LANGS, N_
from grader.status import Status, _StrEnum

HIDDEN = N_("hidden check: its inputs and expected values are not shown")


class Audience(_StrEnum):
    STUDENT = "student"  # hidden checks show only their verdict and points
    INSTRUCTOR = "instructor"  # everything


def _redact_check(c: CheckResult, lang: str) -> CheckResult:
    passed = c.status == Status.PASSED
    texts = {
        code: {
            "title": (c.i18n.get(code) or {}).get("title", c.title),
            "message": "" if passed else i18n.gettext(HIDDEN, code),
            "hint": "",
        }
        for code in LANGS
    }
    return dataclasses.replace(
        c, message="" if passed else i18n.gettext(HIDDEN, lang), details={}, hint="", redacted=True, i18n=texts
    )


def redact_hidden(result: RunResult) -> RunResult:
    """The student edition: hidden checks keep their verdict and points, nothing else."""
    topics = tuple(
        dataclasses.replace(t, checks=tuple(_redact_check(c, result.lang) if c.hidden else c for c in t.checks))
        for t in result.topics
    )
    return dataclasses.replace(result, topics=topics)


def for_audience(result: RunResult, audience: Audience | str) -> RunResult:
    """``result`` as ``audience`` may see it."""
    return redact_hidden(result) if Audience(audience) == Audience.STUDENT else result
