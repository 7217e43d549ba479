"""Feedback to hand back: each student's report with the course's part (late penalty,
adjustments, final score), hidden checks revealed only once the due date has passed.

Reports render from the unredacted results (``DIR/.instructor/<student>.json``); before the
due date (and without ``after_due``) the hidden checks are redacted exactly as in the
student's own folder. Revealing a hidden check shows its inputs and expected values to a
student who may pass them on: with late submissions still coming in, wait until they are
closed (or pass ``after_due`` deliberately).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import uuid
from pathlib import Path

from grader.batch.gradebook import ClassBook, build
from grader.config import Settings
from grader.core.results import RunResult
from grader.errors import UsageError
from grader.outputs.files import publish_dir
from grader.outputs.redact import Audience
from grader.outputs.report import write_reports


def reveal_hidden(result: RunResult) -> RunResult:
    """``result`` with every hidden check shown in full (after the due date)."""
    topics = tuple(
        dataclasses.replace(t, checks=tuple(dataclasses.replace(c, hidden=False) for c in t.checks))
        for t in result.topics
    )
    return dataclasses.replace(result, topics=topics)


def course_block(book: ClassBook, name: str) -> dict | None:
    """What the report's course block shows for ``name`` (None: nothing to add)."""
    ex = book.extras.get(name, {})
    if book.policy.due is None and not ex.get("adjustments"):
        return None
    return {
        "raw": book.raw(name),
        "max_total": book.max_total(name),
        "final": book.final(name),
        "due": book.policy.due.isoformat() if book.policy.due else "",
        "submitted_at": ex.get("submitted_at", ""),
        "late_days": ex.get("late_days", 0),
        "penalty_fraction": ex.get("penalty_fraction", 0.0),
        "penalty": ex.get("penalty", 0.0),
        "adjustments": ex.get("adjustments", []),
    }


def release_feedback(
    graded: Path,
    out: Path,
    settings: Settings,
    *,
    after_due: bool = False,
    lang: str | None = None,
    adjustments: Path | None = None,
    now: dt.datetime | None = None,
) -> dict:
    """Write ``out/<student>/`` (report.html, report.md, results.json) for every graded student."""
    book = build(graded, settings, adjustments=adjustments)
    if not book.results:
        raise UsageError(f"no graded students in {graded}", fix="pass the --out folder of `grader batch`")
    if out.resolve() == graded.resolve():
        raise UsageError(
            "--out must be a folder of its own, not the graded folder",
            fix="e.g. grader release-feedback graded --out returned",
        )
    reveal = after_due or book.policy.is_past(now)
    out.mkdir(parents=True, exist_ok=True)
    for name in sorted(book.results):
        result = book.results[name]
        shown = reveal_hidden(result) if reveal else result
        tmp = out / f".{name}.partial-{uuid.uuid4().hex[:8]}"
        try:
            tmp.mkdir()
            write_reports(shown, tmp, Audience.STUDENT, lang or result.lang, course=course_block(book, name))
            publish_dir(tmp, out / name)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return {
        "students": sorted(book.results),
        "revealed": reveal,
        "due": book.policy.due.isoformat() if book.policy.due else None,
    }
