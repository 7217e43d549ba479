"""The class files: gradebook.csv, junit.xml and the dashboard (index.html)."""

from __future__ import annotations

import csv
import io
import re
import statistics
from collections import Counter
from pathlib import Path

import grader
from grader.core.results import RunResult, utc_now
from grader.course.topics import TOPICS
from grader.outputs import junit
from grader.outputs.files import atomic_write
from grader.outputs.templating import clean, environment
from grader.status import Status

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def misconception_key(message: str) -> str:
    """The first line of a message with numbers blanked, so equal mistakes group together."""
    first = (message.strip().splitlines() or [""])[0]
    return re.sub(r"\s+", " ", _NUMBER.sub("#", first)).strip()[:200]


def class_data(results: dict[str, RunResult], meta: dict | None = None) -> dict:
    """Everything the dashboard, gradebook and JUnit file show, as plain data."""
    order = {t.slug: i for i, t in enumerate(TOPICS)}
    names = sorted(results)
    topics = sorted({t.topic for r in results.values() for t in r.topics}, key=lambda t: order.get(t, 99))
    titles = {t.topic: t.title for r in results.values() for t in r.topics}
    students, checks, groups = [], {}, {}
    for name in names:
        r = results[name]
        counts = Counter(c.status for t in r.topics for c in t.checks)
        per_topic = {t.topic: t for t in r.topics}
        students.append({
            "name": name, "score": r.score, "max_score": r.max_score,
            "percent": 100.0 * r.score / r.max_score if r.max_score else 0.0,
            "topics": {t: (per_topic[t].score if t in per_topic else None) for t in topics},
            "topic_max": {t: (per_topic[t].max_score if t in per_topic else None) for t in topics},
            "counts": {s.value: counts.get(s, 0) for s in Status},
            "internal_errors": len(r.internal_errors), "seed": r.seed, "duration": r.duration,
            "topic_messages": [clean(f"{t.topic}: {t.message}", 300) for t in r.topics if t.message],
        })
        for t in r.topics:
            for c in t.checks:
                row = checks.setdefault(c.id, {
                    "id": c.id, "topic": c.topic, "title": clean(c.title, 300), "function": c.function,
                    "points": c.max_points, "counts": Counter(), "n": 0,
                })
                row["counts"][c.status.value] += 1
                row["n"] += 1
                if c.status in (Status.FAILED, Status.ERROR, Status.TIMEOUT) and c.message:
                    key = (c.id, c.status, misconception_key(c.message))
                    g = groups.setdefault(key, {"check": c.id, "title": clean(c.title, 300), "status": c.status,
                                                "pattern": clean(key[2], 300), "example": clean(c.message, 1200),
                                                "hint": clean(c.hint, 500), "students": []})
                    g["students"].append(name)
    n = len(names)
    check_rows = []
    for row in sorted(checks.values(), key=lambda r: (order.get(r["topic"], 99), r["id"])):
        passed = row["counts"]["passed"]
        check_rows.append({**row, "counts": dict(row["counts"]), "passed": passed,
                           "pass_rate": 100.0 * passed / row["n"] if row["n"] else 0.0})
    misconceptions = sorted(groups.values(), key=lambda g: (-len(g["students"]), g["check"]))[:25]
    for g in misconceptions:
        g["count"] = len(g["students"])
        g["share"] = 100.0 * g["count"] / n if n else 0.0
    percents = [s["percent"] for s in students]
    bins = [0] * 10
    for p in percents:
        bins[min(int(p // 10), 9)] += 1
    peak = max(bins) if any(bins) else 1
    histogram = [{"label": f"{10 * i}–{10 * i + 10}%", "count": c, "height": 100.0 * c / peak} for i, c in enumerate(bins)]
    seeds = sorted({s["seed"] for s in students})
    tf_versions = sorted({r.tensorflow_version for r in results.values() if r.tensorflow_version})
    return {
        "n": n, "topics": topics, "titles": titles, "students": students, "checks": check_rows,
        "misconceptions": misconceptions, "histogram": histogram,
        "stats": {
            "mean": statistics.fmean(percents) if percents else 0.0,
            "median": statistics.median(percents) if percents else 0.0,
            "min": min(percents) if percents else 0.0, "max": max(percents) if percents else 0.0,
            "full_marks": sum(1 for p in percents if p >= 100.0 - 1e-9),
            "internal_errors": sum(s["internal_errors"] for s in students),
        },
        "seeds": seeds, "tensorflow_versions": tf_versions, "generated_at": utc_now(),
        "grader_version": grader.__version__, **(meta or {}),
    }


def gradebook_csv(data: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", "total", "max_total", "percent", *data["topics"]])
    for s in data["students"]:
        name = s["name"]
        if name[:1] in ("=", "+", "-", "@", "\t", "\r"):  # keep spreadsheets from running formulas
            name = "'" + name
        w.writerow([name, f"{s['score']:g}", f"{s['max_score']:g}", f"{s['percent']:.2f}",
                    *("" if s["topics"][t] is None else f"{s['topics'][t]:g}" for t in data["topics"])])
    return buf.getvalue()


def write_class_outputs(out: Path, results: dict[str, RunResult], meta: dict | None = None) -> dict[str, Path]:
    """gradebook.csv, junit.xml and index.html in ``out``, each written atomically."""
    data = class_data(results, meta)
    paths = {"gradebook": out / "gradebook.csv", "junit": out / "junit.xml", "dashboard": out / "index.html"}
    atomic_write(paths["gradebook"], gradebook_csv(data))
    atomic_write(paths["junit"], junit.render(results))
    atomic_write(paths["dashboard"], environment().get_template("dashboard.html.j2").render(d=data))
    return paths
