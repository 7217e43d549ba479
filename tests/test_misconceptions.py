"""A failed comparison keeps its message through a real grading run (misconception detection runs on it)."""

from __future__ import annotations

from tests.conftest import SOLUTIONS


def test_a_failed_comparison_assert_keeps_its_message(grade):
    """pytest's comparison explanation needs a terminal; without one it must not eat the message."""
    source = (
        (SOLUTIONS / "regularization.py")
        .read_text()
        .replace("        if wait >= patience:", "        if wait > patience:", 1)
    )
    result = grade("regularization", source)
    failing = [c for c in result.checks if c.function == "early_stopping_epochs" and c.status == "failed"]
    for c in failing:
        assert "EarlyStopping runs" in c.message, c.message
