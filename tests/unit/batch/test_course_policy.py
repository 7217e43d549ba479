"""Deadlines, late policy, its settings, manual adjustments and regrade tables (pure units)."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from grader.batch.adjust import read_adjustments
from grader.batch.late import LatePolicy, submission_time
from grader.batch.regrade import changes_csv, score_changes
from grader.config import build_settings, load_pyproject
from grader.errors import UsageError
from tests.unit.outputs.test_dashboard_data import result

DUE = "2026-12-15T23:59:00+08:00"


def test_days_late_counts_started_days_after_the_grace_period():
    p = LatePolicy(due=dt.datetime.fromisoformat(DUE), per_day=0.1, grace_minutes=15, cap=0.25)
    assert p.days_late("2026-12-15T23:00:00+08:00") == 0
    assert p.days_late("2026-12-16T00:10:00+08:00") == 0  # within the grace period
    assert p.days_late("2026-12-16T00:15:01+08:00") == 1
    assert p.days_late("2026-12-15T16:15:01+00:00") == 1  # the same moment in UTC
    assert p.days_late("2026-12-17T00:14:00+08:00") == 1 and p.days_late("2026-12-17T00:16:00+08:00") == 2
    assert p.days_late("2026-12-16T12:00:00") == 1  # no offset: read in the due date's zone
    assert [p.fraction(d) for d in (0, 1, 2, 3, 10)] == [0, 0.1, 0.2, 0.25, 0.25]  # capped
    assert LatePolicy().days_late("2030-01-01T00:00:00+00:00") == 0  # no due date: never late
    assert p.is_past(dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc))
    assert not p.is_past(dt.datetime(2026, 12, 15, 16, 0, tzinfo=dt.timezone.utc))


def test_submission_time_from_files_or_modification_time(tmp_path):
    folder = tmp_path / "ann"
    folder.mkdir()
    (folder / "activations.py").write_text("x = 1")
    stamp = dt.datetime(2026, 12, 14, 8, 0, tzinfo=dt.timezone.utc).timestamp()
    os.utime(folder / "activations.py", (stamp, stamp))
    os.utime(folder, (stamp - 100, stamp - 100))
    when, source = submission_time(folder)
    assert when == "2026-12-14T08:00:00+00:00" and source == "modification time"  # the newest file's
    (folder / "submitted_at").write_text("2026-12-16T09:30:00+08:00\n")
    assert submission_time(folder) == ("2026-12-16T09:30:00+08:00", "submitted_at file")
    (tmp_path / "ann.submitted_at").write_text("2026-12-16T10:00:00+08:00")  # beside it wins
    assert submission_time(folder)[0] == "2026-12-16T10:00:00+08:00"
    zipped = tmp_path / "ben.zip"
    zipped.write_bytes(b"PK")
    (tmp_path / "ben.zip.submitted_at").write_text("yesterday")
    when, source = submission_time(zipped)
    assert source.startswith("modification time") and "not an ISO 8601 time" in source


def test_late_settings_are_typed_and_validated(tmp_path):
    toml = tmp_path / "pyproject.toml"
    toml.write_text(
        f'[tool.grader]\ndue = "{DUE}"\nlate_penalty_per_day = 0.1\nlate_grace_minutes = 30\nlate_cap = 0.5\n'
    )
    s = build_settings(load_pyproject(toml))
    assert (s.due, s.late_penalty_per_day, s.late_grace_minutes, s.late_cap) == (DUE, 0.1, 30.0, 0.5)
    toml.write_text("[tool.grader]\ndue = 2026-12-15T23:59:00+08:00\n")  # a TOML date-time works too
    assert LatePolicy.from_settings(build_settings(load_pyproject(toml))).due == dt.datetime.fromisoformat(DUE)
    for bad, needle in (
        ('due = "2026-12-15T23:59:00"', "offset"),
        ('due = "next friday"', "offset"),
        ("late_penalty_per_day = 1.5", "in [0, 1]"),
        ("late_grace_minutes = -1", ">= 0"),
        ("late_cap = 2", "in [0, 1]"),
        ('late_cap = "half"', "float"),
    ):
        toml.write_text(f"[tool.grader]\n{bad}\n")
        with pytest.raises(UsageError, match=needle.replace("[", r"\[")):
            load_pyproject(toml)


def test_adjustments_are_checked_against_the_class(tmp_path):
    path = tmp_path / "adjustments.csv"
    path.write_text(
        "student,target,points,comment\nann,activations::test_relu_matches_tf,+2,regrade\n"
        'ben,activations,-1.5,"late, by email"\ncat,,1,bonus\n\n'
    )
    got = read_adjustments(
        path, students=["ann", "ben", "cat"], topics=["activations"], checks=["activations::test_relu_matches_tf"]
    )
    assert [(a.student, a.target, a.points, a.comment) for a in got] == [
        ("ann", "activations::test_relu_matches_tf", 2.0, "regrade"),
        ("ben", "activations", -1.5, "late, by email"),
        ("cat", "", 1.0, "bonus"),
    ]
    path.write_text("student,target,points,comment\nzed,,1,x\nann,nope,1,x\nann,,lots,x\n")
    with pytest.raises(UsageError) as info:
        read_adjustments(path, students=["ann"], topics=["activations"])
    assert "line 2: unknown student 'zed'" in info.value.message and "line 3" in info.value.message
    assert "line 4: points must be a number" in info.value.message
    path.write_text("name,score\nann,1\n")
    with pytest.raises(UsageError, match="no student, points column"):
        read_adjustments(path)
    assert read_adjustments(tmp_path / "absent.csv") == []
    with pytest.raises(UsageError, match="does not exist"):
        read_adjustments(tmp_path / "absent.csv", required=True)


def test_regrade_table_lists_changed_checks_and_totals():
    before = {"ann": result({"activations": 0.5}), "ben": result({"activations": 1.0})}
    after = {"ann": result({"activations": 1.0}), "ben": result({"activations": 1.0})}
    rows = score_changes(before, after)
    assert rows and {r["student"] for r in rows} == {"ann"}
    assert all(r["new_status"] == "passed" and r["change"] > 0 for r in rows if r["check"] != "(total)")
    (total,) = [r for r in rows if r["check"] == "(total)"]
    assert total["change"] == after["ann"].score - before["ann"].score
    text = changes_csv(rows)
    assert text.splitlines()[0] == "student,check,old_status,new_status,old_points,new_points,change"
    assert "+" in text.splitlines()[1].split(",")[-1]
