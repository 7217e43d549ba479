"""Gradebook files in the layouts LMSs import.

* **Canvas** (Grades → Import): the layout of Canvas' own gradebook export. Header
  ``Student,ID,SIS User ID,SIS Login ID,Section,<assignment>...``, then a
  ``    Points Possible`` row (four leading spaces, as Canvas writes it) with each
  assignment's points, then one row per student. Canvas matches students by ``ID``, ``SIS
  User ID`` or ``SIS Login ID``; a column whose header names no existing assignment becomes a
  new assignment.
* **Moodle** (Grades → Import → CSV file): an identifier column (``ID number``, mapped to
  ``useridnumber``; or ``Email address`` → ``useremail``; ``Username`` → ``username``), the
  students' names, then one column per grade item; each column is mapped to a grade item (or
  "new grade item") on Moodle's import page.
* **csv**: the gradebook with the roster's ids, for anything else.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from grader.outputs.dashboard import spreadsheet_safe

FORMATS = ("canvas", "moodle", "csv")
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
POINTS_POSSIBLE = "    Points Possible"
MOODLE_ID_COLUMNS = {"idnumber": "ID number", "email": "Email address", "username": "Username"}


@dataclass(frozen=True)
class Row:
    student: str  # the folder name
    lms_id: str
    name: str
    email: str
    section: str
    login: str
    canvas_id: str
    final: float | None  # None: no submission (left blank, so the LMS keeps what it has)
    max_total: float
    topics: dict[str, float | None]
    raw: float = 0.0
    penalty: float = 0.0
    adjustment: float = 0.0


def _pts(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _writer(buf: io.StringIO):
    return csv.writer(buf, lineterminator="\r\n")  # both LMSs document CSV from spreadsheets: CRLF


def canvas(rows: list[Row], assignment: str, points: float, *, topic_max: dict[str, float] | None = None) -> str:
    """``points``: what the assignment is worth (the Points Possible row)."""
    topic_max = topic_max or {}
    buf = io.StringIO()
    w = _writer(buf)
    topics = list(topic_max)
    w.writerow([*CANVAS_COLUMNS, assignment, *(f"{assignment}: {t}" for t in topics)])
    w.writerow([POINTS_POSSIBLE, "", "", "", "", _pts(points), *(_pts(topic_max[t]) for t in topics)])
    for r in rows:
        w.writerow(
            [
                spreadsheet_safe(r.name or r.student),
                r.canvas_id,
                spreadsheet_safe(r.lms_id),
                spreadsheet_safe(r.login),
                spreadsheet_safe(r.section),
                _pts(r.final),
                *(_pts(r.topics.get(t)) for t in topics),
            ]
        )
    return buf.getvalue()


def moodle(
    rows: list[Row], assignment: str, *, id_field: str = "idnumber", topic_max: dict[str, float] | None = None
) -> str:
    topics = list(topic_max or {})
    buf = io.StringIO()
    w = _writer(buf)
    w.writerow(
        [MOODLE_ID_COLUMNS[id_field], "First name", "Last name", assignment, *(f"{assignment}: {t}" for t in topics)]
    )
    for r in rows:
        first, _, last = (r.name or r.student).partition(" ")
        ident = (
            r.email
            if id_field == "email" and r.email
            else (r.login if id_field == "username" and r.login else r.lms_id)
        )
        w.writerow(
            [
                spreadsheet_safe(ident),
                spreadsheet_safe(first),
                spreadsheet_safe(last),
                _pts(r.final),
                *(_pts(r.topics.get(t)) for t in topics),
            ]
        )
    return buf.getvalue()


def plain(rows: list[Row], topics: list[str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", "id", "name", "total", "max_total", "raw_score", "late_penalty", "adjustment", *topics])
    for r in rows:
        w.writerow(
            [
                spreadsheet_safe(r.student),
                spreadsheet_safe(r.lms_id),
                spreadsheet_safe(r.name),
                _pts(r.final),
                _pts(r.max_total),
                _pts(r.raw),
                _pts(r.penalty),
                _pts(r.adjustment),
                *(_pts(r.topics.get(t)) for t in topics),
            ]
        )
    return buf.getvalue()
