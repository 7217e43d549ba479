"""Synthetic results for the unit tests: built the way the plugin and runner build them, no grading run."""

from __future__ import annotations

from grader import i18n
from grader.core.plugin import check_texts
from grader.core.results import CheckResult, RunResult, TopicResult
from grader.core.runner import topic_texts
from grader.i18n import t

# Ids that have Chinese translations (the catalogue test guarantees it).
TITLE = "softmax matches tf.nn.softmax row by row on random batches (including a batch of 1)"
TOPIC_TITLE = "Activation functions"
HINT = (
    "Which axis do you normalise over? This check passes axis=0, so every column must sum to 1: check that "
    "each maximum and sum you take uses `axis`, not a fixed -1."
)
DIFF = "{name}: got {got}, expected {expected} (difference {diff})"

# Text only a hidden check's instructor view may contain, in inputs, details and hints.
SECRET_INPUT = "SECRET-INPUT-3.25"
SECRET_VALUE = 271828.0


def check(
    name: str = "test_x",
    *,
    status: str = "failed",
    hidden: bool = False,
    lang: str = "en",
    points: float = 2.0,
    details: dict | None = None,
) -> CheckResult:
    with i18n.language(lang):
        message = (
            t(DIFF, name="softmax(x)", got=1.5, expected=SECRET_VALUE, diff=3)
            + t("; input: {inputs}", inputs=SECRET_INPUT)
            if status != "passed"
            else ""
        )
        hint = HINT if status != "passed" else ""
        return CheckResult(
            id=f"activations::{name}",
            topic="activations",
            name=name,
            function="softmax",
            title=i18n.translate_title(TITLE),
            status=status,
            points=points if status == "passed" else 0.0,
            max_points=points,
            message=str(message),
            hint=i18n.gettext(hint) if hint else "",
            details=details
            if details is not None
            else (
                {
                    "kind": "scalar",
                    "got": 1.5,
                    "expected": SECRET_VALUE,
                    "inputs": SECRET_INPUT,
                    "rtol": 1e-5,
                    "atol": 1e-7,
                }
                if status != "passed"
                else {}
            ),
            hidden=hidden,
            i18n=check_texts(TITLE, message, hint),
        )


def result(*checks: CheckResult, lang: str = "en") -> RunResult:
    checks = checks or (check(lang=lang),)
    with i18n.language(lang):
        topic = TopicResult(
            topic="activations",
            title=i18n.gettext(TOPIC_TITLE),
            checks=tuple(checks),
            score=sum(c.points for c in checks),
            max_score=sum(c.max_points for c in checks),
            i18n=topic_texts(TOPIC_TITLE, ""),
        )
    return RunResult(
        grader_version="0",
        tensorflow_version="2.99",
        keras_version="3",
        numpy_version="2",
        python_version="3",
        seed=1,
        submission="sub",
        score=topic.score,
        max_score=topic.max_score,
        topics=(topic,),
        started_at="now",
        duration=1.0,
        replay="grader run --seed 1",
        lang=lang,
    )
