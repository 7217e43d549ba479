"""A failing schedule check plots the student's learning-rate curve over Keras' in the HTML report."""

from __future__ import annotations

import re

from grader.outputs.report import write_reports
from tests.conftest import SOLUTIONS, grade_dir
from tests.mutants.schedules import MUTANTS


def test_failing_schedule_check_carries_and_draws_the_curve(tmp_path):
    # exponential_decay with staircase=True ignored: only the staircase check fails.
    (mutant,) = [m for m in MUTANTS if m.detects == "exponential_decay.staircase_ignored"]
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "schedules.py").write_text(mutant.apply((SOLUTIONS / "schedules.py").read_text()))
    result = grade_dir(sub, ("schedules",))
    checks = {c.name: c for c in result.topics[0].checks}

    check = checks["test_exponential_decay_staircase"]
    assert check.status != "passed"
    curve = check.details["curve"]
    xs, got, want = curve["x"], curve["got"], curve["expected"]
    assert len(xs) == len(got) == len(want) > 10
    assert xs == sorted(xs) and xs[0] == 0  # steps in order: a curve, not a scribble
    assert abs(got[0] - want[0]) < 1e-6 and got != want  # both start at initial_learning_rate, then part
    assert all("curve" not in c.details for c in checks.values() if c.status == "passed")

    html = write_reports(result, tmp_path / "out")["html"].read_text(encoding="utf-8")
    svgs = re.findall(r'<svg class="curve".*?</svg>', html, re.S)
    assert len(svgs) == 1
    assert 'class="student"' in svgs[0] and 'class="tf"' in svgs[0]
