"""Convert a results model into Gradescope's autograder ``results.json`` format.

Fields follow https://gradescope-autograders.readthedocs.io/en/latest/specs/ ("Output format"):
top level ``score`` (float), ``execution_time`` (int seconds), ``output``, ``output_format``,
``test_output_format``, ``visibility``, ``stdout_visibility``, ``extra_data`` and ``tests``;
each test ``name``, ``number``, ``score``, ``max_score``, ``status`` ("passed"/"failed"),
``output``, ``tags``, ``visibility`` and ``extra_data``.

Hidden checks get ``hidden_visibility`` (default ``after_due_date``: Gradescope shows them to
students once the due date has passed; note that while any test is not yet visible, Gradescope
also hides the student's total). What their ``output`` holds depends on ``audience``: the
student edition shows only the verdict, the instructor edition (the Gradescope autograder,
since Gradescope itself withholds the test until the due date) everything.
"""

from __future__ import annotations

from typing import Any

from grader import i18n
from grader.core.results import RunResult
from grader.outputs.redact import Audience
from grader.outputs.report import prepare
from grader.status import Status

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
OUTPUT_LIMIT = 8000  # characters per test; long diffs belong in report.html


def _cut(text: str, limit: int = OUTPUT_LIMIT) -> str:
    return text if len(text) <= limit else text[:limit] + "\n[... cut; see report.html]"


def to_gradescope(
    result: RunResult,
    *,
    lang: str | None = None,
    audience: Audience | str = Audience.STUDENT,
    hidden_visibility: str = "after_due_date",
) -> dict[str, Any]:
    if hidden_visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {VISIBILITIES}, not {hidden_visibility!r}")
    lang = lang or result.lang
    result = prepare(result, lang=lang, audience=audience)
    gettext, t = i18n.bound(lang)
    tests = []
    for ti, topic in enumerate(result.topics, start=1):
        for ci, c in enumerate(topic.checks, start=1):
            points, max_points = f"{c.points:g}", f"{c.max_points:g}"
            lines = [
                t(
                    "{status} ({points} / {max_points} points)",
                    status=gettext(c.status.label),
                    points=points,
                    max_points=max_points,
                )
            ]
            if c.status == Status.NOT_ATTEMPTED and c.message:
                lines.append(c.message.splitlines()[0])
            elif c.status != Status.PASSED and c.message:
                lines.append(c.message)
            if c.hint and c.status != Status.PASSED:
                lines.append(t("hint: {hint}", hint=c.hint))
            tests.append(
                {
                    "name": f"{topic.topic}: {c.title}",
                    "number": f"{ti}.{ci}",
                    "score": float(c.points),
                    "max_score": float(c.max_points),
                    "status": "passed" if c.status == Status.PASSED else "failed",
                    "output": _cut("\n".join(lines)),
                    "output_format": "text",
                    "tags": [topic.topic, c.function],
                    "visibility": hidden_visibility if c.hidden else "visible",
                    "extra_data": {"id": c.id, "grader_status": c.status, "hidden": c.hidden},
                }
            )
    score, max_score = f"{result.score:g}", f"{result.max_score:g}"
    summary = [
        t("Total: {score} / {max_score}", score=score, max_score=max_score),
        t(
            "TensorFlow {version}, seed {seed} (replay: {replay})",
            version=result.tensorflow_version,
            seed=result.seed,
            replay=result.replay,
        ),
    ]
    summary += [f"{tp.topic}: {tp.message}" for tp in result.topics if tp.message]
    return {
        "score": float(result.score),
        "execution_time": int(round(result.duration)),
        "output": _cut("\n".join(summary)),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {
            "max_score": float(result.max_score),
            "seed": result.seed,
            "grader_version": result.grader_version,
            "tensorflow_version": result.tensorflow_version,
        },
        "tests": tests,
    }
