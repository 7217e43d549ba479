"""Export a graded class to an LMS gradebook (Canvas, Moodle) or a plain CSV, through a roster.

The roster (CSV with a header) maps each student folder name to the LMS's id for them::

    student,id,name,email,section,login,canvas_id
    ann,S2026001,Ann Lee,ann@uni.edu,Section 1,alee,4711

``student`` and ``id`` are required (``id``: Canvas' SIS User ID, Moodle's ID number); the
other columns are optional. Every graded student must have an id: the export refuses (exit 2)
and lists those without one. Students on the roster who handed nothing in are written with a
blank grade, so the LMS keeps what it has for them (``missing="zero"`` writes 0 instead).
"""

from __future__ import annotations

import csv
from pathlib import Path

from grader.batch.gradebook import build
from grader.config import Settings
from grader.errors import UsageError
from grader.outputs import lms
from grader.outputs.files import atomic_write

ROSTER_COLUMNS = ("student", "id", "name", "email", "section", "login", "canvas_id")


def read_roster(path: Path) -> dict[str, dict[str, str]]:
    """student folder name -> roster fields."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(
            f"roster {path} does not exist",
            fix="write a CSV with the header student,id (and optionally name,email,section,login)",
        ) from None
    except OSError as exc:
        raise UsageError(f"cannot read roster {path}: {exc}") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "student" not in header or "id" not in header:
        raise UsageError(
            f"roster {path} needs the columns student and id (its header is {','.join(header)})",
            fix="start the roster with the header student,id,name,email,section",
        )
    out: dict[str, dict[str, str]] = {}
    for row in reader:
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
        if row.get("student"):
            out[row["student"]] = {c: row.get(c, "") for c in ROSTER_COLUMNS}
    return out


def export(
    fmt: str,
    graded: Path,
    roster_path: Path,
    out_file: Path,
    settings: Settings,
    *,
    assignment: str = "tfgrader",
    per_topic: bool = False,
    id_field: str = "idnumber",
    missing: str = "blank",
    adjustments: Path | None = None,
) -> dict:
    """Write ``out_file`` in ``fmt``; returns what was written (students, roster-only names)."""
    if fmt not in lms.FORMATS:
        raise UsageError(f"unknown export format {fmt!r}", fix=f"choose one of: {', '.join(lms.FORMATS)}")
    if id_field not in lms.MOODLE_ID_COLUMNS:
        raise UsageError(
            f"unknown Moodle identifier {id_field!r}", fix=f"choose one of: {', '.join(lms.MOODLE_ID_COLUMNS)}"
        )
    book = build(graded, settings, adjustments=adjustments)
    if not book.results:
        raise UsageError(f"no graded students in {graded}", fix="pass the --out folder of `grader batch`")
    roster = read_roster(roster_path)
    without = sorted(n for n in book.results if not roster.get(n, {}).get("id"))
    if without:
        raise UsageError(
            f"{len(without)} graded student(s) have no id in {roster_path}: {', '.join(without)}",
            fix="add a row student,id for each of them to the roster",
        )
    rows = []
    for name in sorted(book.results):
        r, info = book.results[name], roster[name]
        ex = book.extras.get(name, {})
        per = {t.topic: t.score for t in r.topics}
        rows.append(
            lms.Row(
                name,
                info["id"],
                info["name"],
                info["email"],
                info["section"],
                info["login"],
                info["canvas_id"],
                book.final(name),
                book.max_total(name),
                {t: per.get(t) for t in book.topics},
                raw=book.raw(name),
                penalty=ex.get("penalty", 0.0),
                adjustment=ex.get("adjustment", 0.0),
            )
        )
    absent = sorted(set(roster) - set(book.results))
    for name in absent:
        info = roster[name]
        final = 0.0 if missing == "zero" else None
        rows.append(
            lms.Row(
                name,
                info["id"],
                info["name"],
                info["email"],
                info["section"],
                info["login"],
                info["canvas_id"],
                final,
                sum(book.max_scores.values()),
                {t: final for t in book.topics},
            )
        )
    topic_max = book.max_scores if per_topic else None
    points = round(sum(book.max_scores.values()), 4)
    if fmt == "canvas":
        text = lms.canvas(rows, assignment, points, topic_max=topic_max)
    elif fmt == "moodle":
        text = lms.moodle(rows, assignment, id_field=id_field, topic_max=topic_max)
    else:
        text = lms.plain(rows, book.topics)
    atomic_write(out_file, text)
    return {"students": len(book.results), "roster_only": absent, "file": out_file, "points": points}
