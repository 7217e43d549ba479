"""The similarity report on graded sources laid out as a batch leaves them, without grading anyone."""

from __future__ import annotations

import re

from grader.batch.roster import INSTRUCTOR_DIR, SOURCES_DIR
from grader.batch.similarity import Fingerprints, similar_pairs
from tests.conftest import EXERCISES, SOLUTIONS

TOPIC = "activations"
SOLUTION = (SOLUTIONS / f"{TOPIC}.py").read_text()
RENAMED = re.sub(r"\bx\b", "values", SOLUTION).replace("z =", "shifted =").replace("(z)", "(shifted)")


def _sources(tmp_path, texts: dict[str, str]):
    for name, text in texts.items():
        folder = tmp_path / INSTRUCTOR_DIR / SOURCES_DIR / name
        folder.mkdir(parents=True)
        (folder / f"{TOPIC}.py").write_text(text)
    return tmp_path


def test_verbatim_copies_are_fingerprinted_once_and_reported_like_any_other(tmp_path):
    stub = (EXERCISES / f"{TOPIC}.py").read_text()
    out = _sources(tmp_path, {"ann": SOLUTION, "fay": SOLUTION, "cat": RENAMED, "dan": stub, "dov": stub})
    pairs = {(p["a"], p["b"]): p for p in similar_pairs(out, ["ann", "cat", "dan", "dov", "fay"], [TOPIC])}
    assert pairs[("ann", "fay")]["similarity"] == 1.0  # the same text: all of it found in the other
    # fay's text is ann's: every figure of a pair with fay is that of the same pair with ann.
    strip = ("a", "b", "link_a", "link_b")
    assert {k: v for k, v in pairs[("ann", "cat")].items() if k not in strip} == {
        k: v for k, v in pairs[("cat", "fay")].items() if k not in strip
    }
    assert not any("dan" in pair or "dov" in pair for pair in pairs)  # two untouched stubs are not "alike"


def test_fingerprints_added_while_grading_give_the_pairs_of_a_fresh_comparison(tmp_path):
    """A batch adds each student as it is recorded (a regraded one again, after its sources
    changed) and compares at the end: the same pairs as computing everything then."""
    stub = (EXERCISES / f"{TOPIC}.py").read_text()
    out = _sources(tmp_path, {"ann": SOLUTION, "cat": stub, "dan": stub, "fay": RENAMED})
    prints = Fingerprints(out, [TOPIC])
    for name in ("ann", "cat", "fay"):
        prints.add(name)
    (out / INSTRUCTOR_DIR / SOURCES_DIR / "cat" / f"{TOPIC}.py").write_text(SOLUTION)  # cat, regraded
    prints.add("cat")
    students = ["ann", "cat", "dan", "fay"]  # dan was never added: pairs() fingerprints him itself
    got = prints.pairs(students)
    assert got == similar_pairs(out, students, [TOPIC])
    assert {(p["a"], p["b"]) for p in got} >= {("ann", "cat"), ("ann", "fay"), ("cat", "fay")}
    assert prints.pairs(["ann", "dan"]) == []  # only the students asked about
