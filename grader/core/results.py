"""The one results model. JSON and every report render from these frozen dataclasses.

Student-facing texts (a check's title, message and hint; a topic's title and message) are
stored in the language of the run, and again, in every language, under ``i18n``
(``{"zh": {"message": ...}}``), so a report can be rendered in either language from the same
results (:func:`localized`).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from grader.status import Status, TopicStatus

STATUSES = tuple(s.value for s in Status)


def utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class CheckResult:
    id: str  # "activations::test_softmax_matches_tf_on_large_inputs"
    topic: str
    name: str  # the pytest function name
    function: str  # the student function/class the check is about
    title: str  # one line: what the check verifies
    status: Status
    points: float
    max_points: float
    message: str = ""
    hint: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    internal_error: bool = False  # the check itself broke, not the student's code
    duration: float = 0.0
    hidden: bool = False
    redacted: bool = False  # a hidden check in the student edition: verdict and points only
    i18n: dict[str, dict[str, str]] = field(default_factory=dict)  # lang -> {title, message, hint}

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))

    @property
    def passed(self) -> bool:
        return self.status == Status.PASSED


@dataclass(frozen=True)
class TopicResult:
    topic: str
    title: str
    score: float
    max_score: float
    checks: tuple[CheckResult, ...]
    status: TopicStatus = TopicStatus.GRADED
    message: str = ""  # topic-wide problem (missing module, syntax error, policy, data unavailable)
    duration: float = 0.0
    i18n: dict[str, dict[str, str]] = field(default_factory=dict)  # lang -> {title, message}

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", TopicStatus(self.status))

    @property
    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in Status}
        for c in self.checks:
            out[c.status.value] += 1
        return out


@dataclass(frozen=True)
class RunResult:
    grader_version: str
    tensorflow_version: str
    keras_version: str
    numpy_version: str
    python_version: str
    seed: int
    submission: str
    score: float
    max_score: float
    topics: tuple[TopicResult, ...]
    started_at: str
    duration: float
    replay: str  # the command that reproduces this run's inputs
    lang: str = "en"  # the language of the top-level texts
    sandbox: dict[str, Any] = field(default_factory=dict)  # what confined the student's code, and what did not

    @property
    def graded_topics(self) -> tuple[TopicResult, ...]:
        """The topics that count: a topic the grader could not grade is left out."""
        return tuple(t for t in self.topics if t.status != TopicStatus.NOT_GRADED)

    @property
    def all_passed(self) -> bool:
        graded = self.graded_topics
        return bool(graded) and all(c.passed for t in graded for c in t.checks)

    @property
    def internal_errors(self) -> list[CheckResult]:
        return [c for t in self.topics for c in t.checks if c.internal_error]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["all_passed"] = self.all_passed
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, default=_jsonable)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunResult:
        topics = tuple(
            TopicResult(
                **{k: v for k, v in tp.items() if k != "checks"},
                checks=tuple(CheckResult(**c) for c in tp["checks"]),
            )
            for tp in d["topics"]
        )
        fields = {k: v for k, v in d.items() if k not in ("topics", "all_passed")}
        return cls(**fields, topics=topics)


def localized(result: RunResult, lang: str) -> RunResult:
    """``result`` with every student-facing text in ``lang`` where the results carry it."""
    if result.lang == lang and not any(t.i18n for t in result.topics):
        return result

    def pick(obj: Any, names: tuple[str, ...]) -> Any:
        texts = obj.i18n.get(lang) or {}
        changes = {n: texts[n] for n in names if n in texts}
        return dataclasses.replace(obj, **changes) if changes else obj

    topics = tuple(
        dataclasses.replace(
            pick(t, ("title", "message")), checks=tuple(pick(c, ("title", "message", "hint")) for c in t.checks)
        )
        for t in result.topics
    )
    return dataclasses.replace(result, topics=topics, lang=lang)


def _jsonable(obj: Any) -> Any:
    # details may carry numpy scalars; JSON wants builtins.
    try:
        import numpy as np

        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
    except ImportError:  # pragma: no cover
        pass
    return repr(obj)
