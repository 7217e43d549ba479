"""Correct submissions written in other conventions get full marks; cheaters do not.

``tests/alternatives/<variant>/<topic>.py``: independent correct implementations (float32
throughout, other but equivalent formulas, other state conventions). Every check must pass.

``tests/cheaters/<topic>.py``: returns the course notes' printed numbers for the worked
examples and garbage elsewhere. It must lose most of the points.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import grade_dir

HERE = Path(__file__).resolve().parent
VARIANTS = sorted(p for p in (HERE / "alternatives").iterdir() if p.is_dir() and not p.name.startswith("_"))
CHEATERS = sorted((HERE / "cheaters").glob("*.py"))


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
def test_alternative_implementation_gets_full_marks(variant):
    topics = tuple(sorted(p.stem for p in variant.glob("*.py")))
    assert topics, f"{variant} holds no topic module"
    result = grade_dir(variant, topics)
    bad = [f"{c.id}: {c.status}: {c.message}" for t in result.topics for c in t.checks if c.status != "passed"]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("cheater", CHEATERS, ids=[c.stem for c in CHEATERS])
def test_course_numbers_cheater_fails(cheater, tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / cheater.name).write_text(cheater.read_text())
    (topic,) = grade_dir(sub, (cheater.stem,)).topics
    assert topic.score <= topic.max_score / 2, f"cheater kept {topic.score} of {topic.max_score} points"
