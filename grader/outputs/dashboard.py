"""The class files: gradebook.csv, junit.xml and the dashboard (index.html).

What the assignment is worth comes from its topics' full marks (``max_scores``), never from
what a student happened to hand in: a topic that was not submitted counts 0 of its points.
Course policy (late penalties, manual adjustments, similarity) is decided in the batch layer
and arrives here as plain data per student (``extras``); this module only lays it out.
"""

from __future__ import annotations

import csv
import io
import re
import statistics
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import grader
from grader.core.results import RunResult, TopicResult, utc_now
from grader.course.topics import TOPICS
from grader.outputs import junit
from grader.outputs.files import atomic_write
from grader.outputs.templating import clean, environment
from grader.status import Status, TopicStatus

NOT_SUBMITTED = "—"
MISTAKE_ROWS = 30
_ORDER = {t.slug: i for i, t in enumerate(TOPICS)}
_ERROR_NAME = re.compile(r"\b([A-Z][A-Za-z]*(?:Error|Exception|Exit|Interrupt))\b")


def topic_order(topics: Iterable[str]) -> list[str]:
    return sorted(set(topics), key=lambda t: (_ORDER.get(t, 99), t))


def import_error_kind(topic: TopicResult) -> str:
    """What kind of topic-wide problem this is (SyntaxError, ModuleNotFoundError, policy, ...).

    Read from the English text of the grader's own import messages, only to put equal problems
    in one dashboard row; scores never depend on it.
    """
    en = (topic.i18n.get("en") or {}).get("message") or topic.message
    first = (en.strip().splitlines() or [""])[0]
    if "numpy-only topic" in first:
        return "forbidden import (numpy-only topic)"
    if "sys.exit" in first:
        return "sys.exit while importing"
    found = _ERROR_NAME.search(first)
    if found:
        return found.group(1)
    return "the module could not be imported"


def _mistakes(results: dict[str, RunResult]) -> list[dict]:
    """Failures grouped: one row per (topic, import problem kind), per (check, known mistake),
    and per (check, status) for failures no known mistake explains. Texts are kept whole."""
    groups: dict[tuple, dict] = {}
    for name in sorted(results):
        for t in results[name].topics:
            if t.status == TopicStatus.ERROR and t.message:
                kind = import_error_kind(t)
                g = groups.setdefault(
                    ("topic", t.topic, kind),
                    {
                        "kind": "topic",
                        "topic": t.topic,
                        "check": None,
                        "title": clean(t.title, 300),
                        "status": Status.ERROR,
                        "label": f"{t.topic}: {kind}",
                        "key": kind,
                        "examples": [],
                        "hint": "",
                        "students": [],
                    },
                )
                g["students"].append(name)
                if len(g["examples"]) < 3 and clean(t.message, 2000) not in g["examples"]:
                    g["examples"].append(clean(t.message, 2000))
                continue
            for c in t.checks:
                if c.status not in (Status.FAILED, Status.ERROR, Status.TIMEOUT) or c.internal_error:
                    continue
                known = (c.details or {}).get("misconception")
                key = ("check", c.id, known or f"status:{c.status.value}")
                first = (c.message.strip().splitlines() or [""])[0]
                g = groups.setdefault(
                    key,
                    {
                        "kind": "mistake" if known else "check",
                        "topic": c.topic,
                        "check": c.id,
                        "title": clean(c.title, 300),
                        "status": c.status,
                        "key": known or "",
                        "label": clean(first, 600) if known else "",
                        "examples": [],
                        "hint": clean(c.hint, 500),
                        "students": [],
                    },
                )
                g["students"].append(name)
                text = clean(c.message, 2000)
                if c.message and len(g["examples"]) < 3 and text not in g["examples"]:
                    g["examples"].append(text)
    rows = sorted(
        groups.values(), key=lambda g: (-len(g["students"]), _ORDER.get(g["topic"], 99), g["check"] or "", g["key"])
    )
    n = len(results)
    for g in rows:
        g["count"] = len(g["students"])
        g["share"] = 100.0 * g["count"] / n if n else 0.0
    return rows


def _submitted(t: TopicResult | None) -> bool:
    return t is not None and t.status != TopicStatus.NOT_ATTEMPTED


def class_data(
    results: dict[str, RunResult],
    meta: dict | None = None,
    *,
    topics: Iterable[str] | None = None,
    max_scores: dict[str, float] | None = None,
    extras: dict[str, dict] | None = None,
    similarity: list[dict] | None = None,
    similarity_note: str = "",
) -> dict:
    """Everything the dashboard, gradebook and JUnit file show, as plain data.

    ``topics`` / ``max_scores``: the assignment (default: the topics the results hold, worth
    what the results say); ``extras[name]``: the batch's course policy for that student
    (``late_days``, ``penalty_fraction``, ``penalty``, ``adjustment``, ``adjustments``,
    ``submitted_at``); ``similarity``: suspiciously alike pairs (see grader.batch.similarity).
    """
    names = sorted(results)
    topics = topic_order(topics if topics is not None else (t.topic for r in results.values() for t in r.topics))
    full = dict(max_scores or {})
    for r in results.values():
        for t in r.topics:
            if t.topic not in full and t.status != TopicStatus.NOT_GRADED:
                full[t.topic] = t.max_score
    titles = {t.topic: t.title for r in results.values() for t in r.topics}
    extras = extras or {}
    students, checks = [], {}
    for name in names:
        r = results[name]
        ex = extras.get(name, {})
        per_topic = {t.topic: t for t in r.topics}
        counts = Counter(c.status for t in r.topics for c in t.checks)
        counted = [t for t in topics if not (t in per_topic and per_topic[t].status == TopicStatus.NOT_GRADED)]
        max_total = round(sum(full.get(t, 0.0) for t in counted), 4)
        raw = round(sum(per_topic[t].score for t in counted if t in per_topic), 4)
        penalty = round(float(ex.get("penalty", 0.0)), 4)
        adjustment = round(float(ex.get("adjustment", 0.0)), 4)
        final = round(max(0.0, raw - penalty + adjustment), 4)
        cells = {}
        for t in topics:
            tr = per_topic.get(t)
            if tr is not None and tr.status == TopicStatus.NOT_GRADED:
                cells[t] = {"text": "n/g", "title": "not graded (the grader could not grade it)", "score": None}
            elif not _submitted(tr):
                cells[t] = {"text": NOT_SUBMITTED, "title": "not submitted", "score": None}
            else:
                cells[t] = {
                    "text": f"{tr.score:g}",
                    "title": f"{tr.score:g} / {full.get(t, tr.max_score):g}",
                    "score": tr.score,
                }
        students.append(
            {
                "name": name,
                "raw": raw,
                "penalty": penalty,
                "adjustment": adjustment,
                "score": final,
                "max_score": max_total,
                "percent": 100.0 * final / max_total if max_total else 0.0,
                "late_days": int(ex.get("late_days", 0)),
                "penalty_fraction": float(ex.get("penalty_fraction", 0.0)),
                "submitted_at": ex.get("submitted_at") or "",
                "adjustments": ex.get("adjustments", []),
                "cells": cells,
                "topics": {t: cells[t]["score"] for t in topics},
                "counts": {s.value: counts.get(s, 0) for s in Status},
                "internal_errors": len(r.internal_errors),
                "seed": r.seed,
                "duration": r.duration,
                "topic_messages": [
                    clean(f"{t.topic}: {(t.message.strip().splitlines() or [''])[0]}", 300)
                    for t in r.topics
                    if t.message and t.status != TopicStatus.NOT_ATTEMPTED
                ],
            }
        )
        for t in r.topics:
            for c in t.checks:
                row = checks.setdefault(
                    c.id,
                    {
                        "id": c.id,
                        "topic": c.topic,
                        "title": clean(c.title, 300),
                        "function": c.function,
                        "points": c.max_points,
                        "counts": Counter(),
                        "n": 0,
                        "hidden": c.hidden,
                    },
                )
                row["counts"][c.status.value] += 1
                row["n"] += 1
    n = len(names)
    check_rows = []
    for row in checks.values():
        passed = row["counts"]["passed"]
        check_rows.append(
            {
                **row,
                "counts": dict(row["counts"]),
                "passed": passed,
                "pass_rate": 100.0 * passed / row["n"] if row["n"] else 0.0,
            }
        )
    # Worst first: the checks most students miss are what the next lecture should be about.
    check_rows.sort(key=lambda r: (r["pass_rate"], _ORDER.get(r["topic"], 99), r["id"]))
    percents = [s["percent"] for s in students]
    bins = [0] * 10
    for p in percents:
        bins[min(max(int(p // 10), 0), 9)] += 1
    peak = max(bins) if any(bins) else 1
    histogram = [
        {"label": f"{10 * i}–{10 * i + 10}%", "count": c, "height": 100.0 * c / peak} for i, c in enumerate(bins)
    ]
    seeds = sorted({s["seed"] for s in students})
    tf_versions = sorted({r.tensorflow_version for r in results.values() if r.tensorflow_version})
    return {
        "n": n,
        "topics": topics,
        "titles": titles,
        "max_scores": {t: full.get(t, 0.0) for t in topics},
        "max_total": round(sum(full.get(t, 0.0) for t in topics), 4),
        "students": students,
        "checks": check_rows,
        "misconceptions": _mistakes(results)[:MISTAKE_ROWS],
        "histogram": histogram,
        "similarity": similarity or [],
        "similarity_note": similarity_note,
        "late_policy": bool(any(s["late_days"] for s in students) or (meta or {}).get("due")),
        "stats": {
            "mean": statistics.fmean(percents) if percents else 0.0,
            "median": statistics.median(percents) if percents else 0.0,
            "min": min(percents) if percents else 0.0,
            "max": max(percents) if percents else 0.0,
            "full_marks": sum(1 for s in students if s["max_score"] and s["score"] >= s["max_score"] - 1e-9),
            "internal_errors": sum(s["internal_errors"] for s in students),
            "late": sum(1 for s in students if s["late_days"]),
        },
        "seeds": seeds,
        "tensorflow_versions": tf_versions,
        "generated_at": utc_now(),
        "grader_version": grader.__version__,
        **(meta or {}),
    }


def spreadsheet_safe(text: Any) -> str:
    text = str(text)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):  # keep spreadsheets from running formulas
        return "'" + text
    return text


GRADEBOOK_COLUMNS = (
    "student",
    "total",
    "max_total",
    "percent",
    "raw_score",
    "late_days",
    "late_penalty",
    "adjustment",
    "submitted_at",
)


def gradebook_csv(data: dict) -> str:
    """One row per student: the final total (raw score − late penalty + adjustments) over the
    assignment's full marks, how it came about, and one column per topic ("—": not submitted)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([*GRADEBOOK_COLUMNS, *data["topics"]])
    for s in data["students"]:
        w.writerow(
            [
                spreadsheet_safe(s["name"]),
                f"{s['score']:g}",
                f"{s['max_score']:g}",
                f"{s['percent']:.2f}",
                f"{s['raw']:g}",
                s["late_days"],
                f"{s['penalty']:g}",
                f"{s['adjustment']:g}",
                s["submitted_at"],
                *(s["cells"][t]["text"] for t in data["topics"]),
            ]
        )
    return buf.getvalue()


def write_class_outputs(
    out: Path, results: dict[str, RunResult], meta: dict | None = None, **data_options: Any
) -> dict[str, Path]:
    """gradebook.csv, junit.xml and index.html in ``out``, each written atomically."""
    data = class_data(results, meta, **data_options)
    paths = {"gradebook": out / "gradebook.csv", "junit": out / "junit.xml", "dashboard": out / "index.html"}
    atomic_write(paths["gradebook"], gradebook_csv(data))
    atomic_write(paths["junit"], junit.render(results))
    atomic_write(paths["dashboard"], environment().get_template("dashboard.html.j2").render(d=data))
    return paths
