"""What a regrade changed: one row per check whose verdict or points moved, per student."""

from __future__ import annotations

import csv
import io

from grader.core.results import RunResult
from grader.outputs.dashboard import spreadsheet_safe

COLUMNS = ("student", "check", "old_status", "new_status", "old_points", "new_points", "change")


def _checks(result: RunResult | None) -> dict[str, tuple[str, float]]:
    if result is None:
        return {}
    return {c.id: (c.status.value, c.points) for t in result.topics for c in t.checks}


def score_changes(before: dict[str, RunResult], after: dict[str, RunResult]) -> list[dict]:
    """Rows for every (student, check) graded in both whose status or points differ, and a
    ``(total)`` row per student whose total changed."""
    rows = []
    for name in sorted(set(before) & set(after)):
        old, new = _checks(before[name]), _checks(after[name])
        for cid in sorted(set(old) | set(new)):
            o, n = old.get(cid, ("", 0.0)), new.get(cid, ("", 0.0))
            if o != n:
                rows.append(
                    {
                        "student": name,
                        "check": cid,
                        "old_status": o[0],
                        "new_status": n[0],
                        "old_points": o[1],
                        "new_points": n[1],
                        "change": round(n[1] - o[1], 4),
                    }
                )
        if before[name].score != after[name].score:
            rows.append(
                {
                    "student": name,
                    "check": "(total)",
                    "old_status": "",
                    "new_status": "",
                    "old_points": before[name].score,
                    "new_points": after[name].score,
                    "change": round(after[name].score - before[name].score, 4),
                }
            )
    return rows


def changes_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow(
            [
                spreadsheet_safe(r["student"]),
                r["check"],
                r["old_status"],
                r["new_status"],
                f"{r['old_points']:g}",
                f"{r['new_points']:g}",
                f"{r['change']:+g}",
            ]
        )
    return buf.getvalue()
