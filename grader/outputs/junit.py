"""JUnit XML for a class: one ``<testsuite>`` per student, one ``<testcase>`` per check.

``passed`` -> plain testcase, ``failed`` -> ``<failure>``, ``error``/``timeout`` -> ``<error>``,
``not_attempted`` -> ``<skipped>``. Rendered by the autoescaped template ``junit.xml.j2``.
"""

from __future__ import annotations

from grader.core.results import RunResult
from grader.outputs.templating import clean, environment
from grader.status import Status


def suites(results: dict[str, RunResult]) -> list[dict]:
    out = []
    for name in sorted(results):
        r = results[name]
        cases = []
        for t in r.topics:
            for c in t.checks:
                first = (c.message.strip().splitlines() or [""])[0]
                cases.append(
                    {
                        "classname": clean(f"{name}.{t.topic}", 300),
                        "name": clean(c.name, 300),
                        "time": f"{c.duration:.3f}",
                        "status": c.status,
                        "first_line": clean(first, 300),
                        "message": clean(c.message),
                        "hint": clean(c.hint, 500),
                        "points": f"{c.points:g}",
                        "max_points": f"{c.max_points:g}",
                    }
                )
        count = {s: sum(1 for c in cases if c["status"] == s) for s in Status}
        out.append(
            {
                "name": clean(name, 300),
                "tests": len(cases),
                "failures": count[Status.FAILED],
                "errors": count[Status.ERROR] + count[Status.TIMEOUT],
                "skipped": count[Status.NOT_ATTEMPTED],
                "time": f"{sum(c.duration for t in r.topics for c in t.checks):.3f}",
                "timestamp": r.started_at[:19],
                "score": f"{r.score:g}",
                "max_score": f"{r.max_score:g}",
                "seed": r.seed,
                "tensorflow": clean(r.tensorflow_version, 100),
                "cases": cases,
            }
        )
    return out


def render(results: dict[str, RunResult]) -> str:
    s = suites(results)
    totals = {k: sum(x[k] for x in s) for k in ("tests", "failures", "errors", "skipped")}
    return environment().get_template("junit.xml.j2").render(suites=s, totals=totals)
