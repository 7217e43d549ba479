"""Manual adjustments: points a TA adds or takes off by hand, with the reason.

``adjustments.csv`` (default: in the batch output folder) has a header and one row per
adjustment::

    student,target,points,comment
    ann,activations::test_relu_matches_tf,+2,"regrade request: relu was right, the test input was unfair"
    ben,losses,-5,copied from another student (see the similarity report)
    cat,,1,bonus for the write-up

``target`` is a topic slug, a check id (``topic::test_name``, or ``topic::test_name[param]`` for
one case of a parametrized check) or empty for the total; it only says what the points are for;
``points`` may be negative. Every row is checked against the class and the assignment, and
all problems are reported at once, with their line numbers.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from grader.errors import UsageError

FILE = "adjustments.csv"
COLUMNS = ("student", "target", "points", "comment")


@dataclass(frozen=True)
class Adjustment:
    student: str
    target: str  # "" (the total), a topic slug or a check id
    points: float
    comment: str
    line: int

    def as_dict(self) -> dict:
        d = asdict(self)
        d.pop("line")
        return d


def default_path(out: Path) -> Path:
    return out / FILE


def read_adjustments(
    path: Path | None,
    *,
    students: Iterable[str] | None = None,
    topics: Iterable[str] = (),
    checks: Iterable[str] = (),
    required: bool = False,
) -> list[Adjustment]:
    """The adjustments in ``path`` (none when it does not exist and is not ``required``).

    ``students``/``topics``/``checks``: what a row may name (None: any student).
    """
    if path is None or not path.exists():
        if required and path is not None:
            raise UsageError(
                f"adjustments file {path} does not exist", fix="write it with the header student,target,points,comment"
            )
        return []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc}", fix="check the file's permissions") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        return []
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in ("student", "points") if c not in header]
    if missing:
        raise UsageError(
            f"{path} has no {', '.join(missing)} column (its header is {','.join(rows[0])})",
            fix="start the file with the header line: student,target,points,comment",
        )
    at = {c: header.index(c) for c in COLUMNS if c in header}
    known_students = set(students) if students is not None else None
    known_targets = set(topics) | set(checks)
    out, problems = [], []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue

        def cell(name: str, row: list[str] = row) -> str:
            i = at.get(name)
            return row[i].strip() if i is not None and i < len(row) else ""

        student, target, points, comment = cell("student"), cell("target"), cell("points"), cell("comment")
        if target.lower() in ("total", "*"):
            target = ""
        if not student:
            problems.append(f"line {number}: no student")
            continue
        if known_students is not None and student not in known_students:
            problems.append(f"line {number}: unknown student {student!r}")
        if target and known_targets and target not in known_targets:
            problems.append(f"line {number}: {target!r} is neither a topic nor a check of this assignment")
        try:
            value = float(points)
            if not math.isfinite(value):
                raise ValueError
        except ValueError:
            problems.append(f"line {number}: points must be a number, not {points!r}")
            continue
        out.append(Adjustment(student, target, value, comment, number))
    if problems:
        raise UsageError(
            f"{path} has {len(problems)} problem(s): "
            + "; ".join(problems[:20])
            + (" ..." if len(problems) > 20 else ""),
            fix="fix those lines (students are folder names; targets a topic, a check id "
            "like activations::test_relu_matches_tf, or empty for the total)",
        )
    return out


def by_student(adjustments: Iterable[Adjustment]) -> dict[str, list[Adjustment]]:
    found: dict[str, list[Adjustment]] = {}
    for a in adjustments:
        found.setdefault(a.student, []).append(a)
    return found
