"""Deadlines: when each submission was handed in, and what the late policy takes off for it.

When a submission was handed in, in this order:

1. ``<submissions>/<entry>.submitted_at`` beside the folder, zip or notebook (e.g.
   ``ann.zip.submitted_at`` or ``ann.submitted_at``), then ``<folder>/submitted_at`` inside a
   student folder: one ISO 8601 time (``2026-12-16T08:30:00+08:00``); a time without an offset
   is read in the due date's time zone. Write these files from the LMS download, never take
   them from what students uploaded (a student could write their own).
2. Otherwise the modification time: of the zip or notebook, or the newest of a folder and the
   files in it (copy submissions with ``cp -p`` / ``rsync -t`` so these times survive).

The policy (``[tool.grader]``): ``due``, ``late_penalty_per_day`` (a fraction of the earned
score per started day late), ``late_grace_minutes`` (minutes after ``due`` that still count as
on time; days late are counted from the end of the grace period) and ``late_cap`` (the
largest fraction taken off in all).
"""

from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass
from pathlib import Path

from grader.config import Settings, parse_due

SUBMITTED_AT = "submitted_at"
_SKIP = {"__pycache__", ".ipynb_checkpoints", ".DS_Store"}


@dataclass(frozen=True)
class LatePolicy:
    due: dt.datetime | None = None
    per_day: float = 0.0
    grace_minutes: float = 0.0
    cap: float = 1.0

    @classmethod
    def from_settings(cls, settings: Settings) -> LatePolicy:
        return cls(
            due=parse_due(settings.due) if settings.due else None,
            per_day=settings.late_penalty_per_day,
            grace_minutes=settings.late_grace_minutes,
            cap=settings.late_cap,
        )

    @property
    def deadline(self) -> dt.datetime | None:
        """The end of the grace period: a submission up to this moment is on time."""
        return None if self.due is None else self.due + dt.timedelta(minutes=self.grace_minutes)

    def days_late(self, submitted_at: str | None) -> int:
        if self.due is None or not submitted_at:
            return 0
        when = parse_time(submitted_at, self.due.tzinfo)
        over = (when - self.due - dt.timedelta(minutes=self.grace_minutes)).total_seconds()
        return max(0, math.ceil(over / 86400.0)) if over > 0 else 0

    def fraction(self, days_late: int) -> float:
        """The share of the earned score taken off for ``days_late`` started days."""
        return round(min(self.cap, days_late * self.per_day), 6)

    def is_past(self, now: dt.datetime | None = None) -> bool:
        """Whether the deadline (due date plus grace) is over."""
        if self.deadline is None:
            return False
        return (now or dt.datetime.now(dt.timezone.utc)) > self.deadline


def parse_time(text: str, tz: dt.tzinfo | None = None) -> dt.datetime:
    """An ISO 8601 time; one without an offset is taken in ``tz`` (else the machine's zone)."""
    when = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz) if tz is not None else when.astimezone()
    return when


def submission_time(path: Path, tz: dt.tzinfo | None = None) -> tuple[str, str]:
    """(ISO time, where it came from) for the submission at ``path`` (see the module docstring)."""
    problems = []
    candidates = [path.with_name(path.name + f".{SUBMITTED_AT}")]
    if path.suffix:
        candidates.append(path.with_name(path.stem + f".{SUBMITTED_AT}"))
    if path.is_dir():
        candidates.append(path / SUBMITTED_AT)
    for file in candidates:
        if not file.is_file():
            continue
        try:
            text = file.read_text(encoding="utf-8", errors="replace")[:200]
            return parse_time(text, tz).isoformat(), f"{file.name} file"
        except ValueError:
            problems.append(f"{file.name} is not an ISO 8601 time")
    stamp = _newest_mtime(path)
    when = dt.datetime.fromtimestamp(stamp, dt.timezone.utc).isoformat(timespec="seconds")
    return when, "modification time" + (f" ({'; '.join(problems)})" if problems else "")


def _newest_mtime(path: Path) -> float:
    newest = path.stat().st_mtime
    if path.is_dir():
        for root, dirs, files in os.walk(path):
            dirs[:] = [d for d in dirs if d not in _SKIP]
            for name in files:
                if name not in _SKIP and not name.endswith(".pyc"):
                    try:
                        newest = max(newest, os.stat(os.path.join(root, name)).st_mtime)
                    except OSError:
                        continue
    return newest
