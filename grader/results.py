"""The one results model. JSON and every report render from these frozen dataclasses."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

STATUSES = ("passed", "failed", "error", "timeout", "not_attempted")


@dataclass(frozen=True)
class CheckResult:
    id: str  # "activations::test_softmax_matches_tf_on_large_inputs"
    topic: str
    name: str  # the pytest function name
    function: str  # the student function/class the check is about
    title: str  # one line: what the check verifies
    status: str
    points: float
    max_points: float
    message: str = ""
    hint: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    internal_error: bool = False  # the check itself broke, not the student's code
    duration: float = 0.0
    hidden: bool = False

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass(frozen=True)
class TopicResult:
    topic: str
    title: str
    score: float
    max_score: float
    checks: tuple[CheckResult, ...]
    status: str = "graded"  # graded | not_attempted | error
    message: str = ""  # topic-wide problem (missing module, syntax error, policy)
    duration: float = 0.0

    @property
    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in ("passed", "failed", "error", "timeout", "not_attempted")}
        for c in self.checks:
            out[c.status] += 1
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

    @property
    def all_passed(self) -> bool:
        return all(c.passed for t in self.topics for c in t.checks) and bool(self.topics)

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
    def from_dict(cls, d: dict[str, Any]) -> "RunResult":
        topics = tuple(
            TopicResult(
                **{k: v for k, v in tp.items() if k != "checks"},
                checks=tuple(CheckResult(**c) for c in tp["checks"]),
            )
            for tp in d["topics"]
        )
        fields = {k: v for k, v in d.items() if k not in ("topics", "all_passed")}
        return cls(**fields, topics=topics)


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
