"""The class data behind the gradebook and dashboard, from hand-made results (nothing is graded)."""

from __future__ import annotations

import csv
import io

from grader.core.catalog import collect, max_scores
from grader.core.results import CheckResult, RunResult, TopicResult
from grader.outputs.dashboard import class_data, gradebook_csv, import_error_kind
from grader.status import Status, TopicStatus

ALL = ["activations", "losses", "schedules"]


def result(
    scores: dict[str, str | float], *, messages: dict[str, str] | None = None, mistakes: dict[str, str] | None = None
) -> RunResult:
    """A result with ``scores[topic]``: a fraction of checks passed, "syntax" (import failed),
    or absent (not submitted). ``mistakes[check_id]``: a known-mistake key on that failed check."""
    topics = []
    for topic, how in scores.items():
        metas = [(cid, m) for cid, m in collect([topic])]
        checks = []
        for i, (cid, m) in enumerate(metas):
            if how == "syntax":
                status, msg = Status.ERROR, messages[topic]
            else:
                status = Status.PASSED if i < round(float(how) * len(metas)) else Status.FAILED
                msg = "" if status == Status.PASSED else f"{cid} got 1.5e-3, TensorFlow gives 2.25 (max abs error 0.7)"
            details = (
                {"misconception": mistakes[cid]} if mistakes and cid in mistakes and status == Status.FAILED else {}
            )
            if details:
                msg = "This looks like a known mistake: relu'(0) taken as 1. Fix: use x > 0\n" + msg
            checks.append(
                CheckResult(
                    id=cid,
                    topic=topic,
                    name=cid.split("::")[1],
                    function=m.function,
                    title=m.title,
                    status=status,
                    points=m.points if status == Status.PASSED else 0.0,
                    max_points=m.points,
                    message=msg,
                    details=details,
                    hidden=m.hidden,
                    i18n={"en": {"message": msg}},
                )
            )
        tstatus = TopicStatus.ERROR if how == "syntax" else TopicStatus.GRADED
        topics.append(
            TopicResult(
                topic=topic,
                title=topic,
                score=sum(c.points for c in checks),
                max_score=sum(c.max_points for c in checks),
                checks=tuple(checks),
                status=tstatus,
                message=messages[topic] if how == "syntax" else "",
                i18n={"en": {"message": messages[topic] if how == "syntax" else ""}},
            )
        )
    return RunResult(
        grader_version="x",
        tensorflow_version="2",
        keras_version="3",
        numpy_version="1",
        python_version="3",
        seed=1,
        submission="s",
        score=sum(t.score for t in topics),
        max_score=sum(t.max_score for t in topics),
        topics=tuple(topics),
        started_at="",
        duration=0.0,
        replay="",
    )


def test_percent_is_over_the_full_assignment_and_missing_topics_count_zero():
    full = max_scores(ALL)
    results = {
        "notebook_one_topic": result({"activations": 1.0}),  # one topic, all of it right
        "everything": result({t: 0.8 for t in ALL}),
    }
    data = class_data(results, topics=ALL, max_scores=full)
    by = {s["name"]: s for s in data["students"]}
    total = sum(full.values())
    assert by["notebook_one_topic"]["max_score"] == by["everything"]["max_score"] == total
    assert by["notebook_one_topic"]["percent"] == 100.0 * full["activations"] / total
    assert by["everything"]["percent"] > by["notebook_one_topic"]["percent"]
    assert data["stats"]["mean"] == (by["notebook_one_topic"]["percent"] + by["everything"]["percent"]) / 2
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO(gradebook_csv(data)))}
    assert rows["notebook_one_topic"]["losses"] == "—" and rows["notebook_one_topic"]["schedules"] == "—"
    assert rows["everything"]["losses"] not in ("", "—")
    assert list(rows["everything"])[-3:] == ALL  # one column per topic, in course order


def test_late_penalty_and_adjustments_make_the_final_score():
    full = max_scores(["activations"])
    results = {"ann": result({"activations": 1.0})}
    extras = {
        "ann": {
            "late_days": 2,
            "penalty_fraction": 0.2,
            "penalty": 0.2 * full["activations"],
            "adjustment": 3.0,
            "adjustments": [{"student": "ann", "target": "", "points": 3.0, "comment": "x"}],
            "submitted_at": "2026-12-17T10:00:00+08:00",
        }
    }
    data = class_data(results, topics=["activations"], max_scores=full, extras=extras)
    (s,) = data["students"]
    assert s["raw"] == full["activations"] and s["score"] == round(0.8 * full["activations"] + 3, 4)
    row = next(csv.DictReader(io.StringIO(gradebook_csv(data))))
    assert row["raw_score"] == f"{full['activations']:g}" and row["late_days"] == "2"
    assert float(row["late_penalty"]) == round(0.2 * full["activations"], 4) and row["adjustment"] == "3"
    assert float(row["total"]) == s["score"] and row["submitted_at"] == "2026-12-17T10:00:00+08:00"


def test_mistakes_group_by_check_and_known_mistake_with_texts_intact():
    syntax = "activations.py, line 3: SyntaxError: invalid syntax\n    def relu(x) return x"
    relu = [cid for cid, m in collect(["activations"]) if m.function == "relu"][0]
    results = {f"s{i}": result({"activations": "syntax"}, messages={"activations": syntax}) for i in range(3)}
    results.update({f"m{i}": result({"activations": 0.0}, mistakes={relu: "relu.grad_at_zero"}) for i in range(2)})
    data = class_data(results, topics=["activations"])
    rows = data["misconceptions"]
    topic_rows = [g for g in rows if g["kind"] == "topic"]
    assert len(topic_rows) == 1 and topic_rows[0]["count"] == 3  # one row, not one per check
    assert topic_rows[0]["label"] == "activations: SyntaxError" and topic_rows[0]["examples"] == [syntax]
    (known,) = [g for g in rows if g["kind"] == "mistake"]
    assert known["check"] == relu and known["key"] == "relu.grad_at_zero" and known["count"] == 2
    assert known["label"] == "This looks like a known mistake: relu'(0) taken as 1. Fix: use x > 0"
    other = [g for g in rows if g["kind"] == "check"]
    assert other and all("#" not in e for g in other for e in g["examples"])  # numbers are not blanked
    assert any("1.5e-3" in e and "2.25" in e for g in other for e in g["examples"])
    counts = [g["count"] for g in rows]
    assert counts == sorted(counts, reverse=True)


def test_pass_rate_table_is_worst_first():
    results = {f"s{i}": result({"activations": i / 4}) for i in range(5)}
    rates = [c["pass_rate"] for c in class_data(results, topics=["activations"])["checks"]]
    assert rates == sorted(rates) and rates[0] < rates[-1]


def test_import_error_kinds():
    def topic(msg):
        return TopicResult(
            topic="activations",
            title="",
            score=0,
            max_score=1,
            checks=(),
            status=TopicStatus.ERROR,
            message=msg,
            i18n={"en": {"message": msg}},
        )

    assert (
        import_error_kind(topic("importing a.py failed: ModuleNotFoundError: No module named 'x'"))
        == "ModuleNotFoundError"
    )
    assert import_error_kind(topic("'activations' is a numpy-only topic, but a.py uses tensorflow")).startswith(
        "forbidden"
    )
    assert import_error_kind(topic("a.py called sys.exit(3) while being imported")) == "sys.exit while importing"
