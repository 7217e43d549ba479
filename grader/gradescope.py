"""Convert a results model into Gradescope's autograder ``results.json`` format.

Fields follow https://gradescope-autograders.readthedocs.io/en/latest/specs/ ("Output format"):
top level ``score`` (float), ``execution_time`` (int seconds), ``output``, ``output_format``,
``test_output_format``, ``visibility``, ``stdout_visibility``, ``extra_data`` and ``tests``;
each test ``name``, ``number``, ``score``, ``max_score``, ``status`` ("passed"/"failed"),
``output``, ``tags``, ``visibility`` and ``extra_data``.
"""

from __future__ import annotations

from typing import Any

from grader.results import RunResult

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
OUTPUT_LIMIT = 8000  # characters per test; long diffs belong in report.html
STATUS_TEXT = {"passed": "passed", "failed": "failed", "error": "error", "timeout": "timed out",
               "not_attempted": "not attempted"}


def _cut(text: str, limit: int = OUTPUT_LIMIT) -> str:
    return text if len(text) <= limit else text[:limit] + "\n[... cut; see report.html]"


def to_gradescope(result: RunResult, audience: str = "student") -> dict[str, Any]:
    tests = []
    for ti, topic in enumerate(result.topics, start=1):
        for ci, c in enumerate(topic.checks, start=1):
            lines = [f"{STATUS_TEXT.get(c.status, c.status)} ({c.points:g} / {c.max_points:g} points)"]
            if c.hidden and audience == "student":
                if c.status != "passed":
                    lines.append("hidden check: inputs and values are not shown")
            elif c.status != "passed" and c.message and c.status != "not_attempted":
                lines.append(c.message)
            elif c.status == "not_attempted" and c.message:
                lines.append(c.message.splitlines()[0])
            if c.hint and c.status != "passed":
                lines.append(f"hint: {c.hint}")
            tests.append({
                "name": f"{topic.topic}: {c.title}",
                "number": f"{ti}.{ci}",
                "score": float(c.points),
                "max_score": float(c.max_points),
                "status": "passed" if c.status == "passed" else "failed",
                "output": _cut("\n".join(lines)),
                "output_format": "text",
                "tags": [topic.topic, c.function],
                "visibility": "visible",
                "extra_data": {"id": c.id, "grader_status": c.status},
            })
    summary = [f"Total: {result.score:g} / {result.max_score:g}",
               f"TensorFlow {result.tensorflow_version}, seed {result.seed} (replay: {result.replay})"]
    summary += [f"{t.topic}: {t.message}" for t in result.topics if t.message]
    return {
        "score": float(result.score),
        "execution_time": int(round(result.duration)),
        "output": _cut("\n".join(summary)),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {"max_score": float(result.max_score), "seed": result.seed,
                       "grader_version": result.grader_version, "tensorflow_version": result.tensorflow_version},
        "tests": tests,
    }
