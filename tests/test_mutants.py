"""Mutation suite: every check must fail realistic wrong implementations.

For every student function: the untouched stub (NotImplementedError), a constant-returning
body, ``return None`` and the catalogued classic mistakes (``tests/mutants/<topic>.py``)
must each lose points on that function's checks.
"""

from __future__ import annotations

import re

import pytest

from grader.course.misconceptions import load_all
from grader.i18n import catalog
from tests.conftest import SOLUTIONS, grade_source
from tests.mutants import Mutant, all_mutants

CATALOGUE = all_mutants()
MISCONCEPTIONS = {m.key: m for ms in load_all().values() for m in ms}


def _functions(topic: str) -> list[str]:
    src = (SOLUTIONS / f"{topic}.py").read_text()
    # Top-level functions with a solution region (classes get catalogued mutants instead).
    names = re.findall(r"^def (\w+)\(", src, re.M)
    return [
        n
        for n in names
        if not n.startswith("_") and re.search(rf"^def {n}\((?:(?!\ndef ).)*?# BEGIN SOLUTION", src, re.M | re.S)
    ]


def replace_body(source: str, function: str, body: str) -> str:
    """Replace ``function``'s solution region with ``body`` (one line, indented for it)."""
    pattern = re.compile(rf"(def {function}\((?:(?!\ndef ).)*?\n)([ \t]+)# BEGIN SOLUTION\n.*?# END SOLUTION\n", re.S)
    new, n = pattern.subn(lambda m: f"{m.group(1)}{m.group(2)}{body}\n", source, count=1)
    assert n == 1, f"no solution region for {function}"
    return new


GENERIC = {
    "stub": 'raise NotImplementedError("{f}")',
    "constant": "return 0.5",
    "none": "return None",
}


def _cases():
    for topic, mutants in sorted(CATALOGUE.items()):
        for m in mutants:
            yield pytest.param(topic, m, id=f"{topic}-{m.function}-{m.name}")
        for f in _functions(topic):
            for kind in GENERIC:
                yield pytest.param(topic, Mutant(f, kind, "", ""), id=f"{topic}-{f}-{kind}")


def _mutated_source(topic: str, m: Mutant) -> str:
    src = (SOLUTIONS / f"{topic}.py").read_text()
    if m.name in GENERIC and not m.old:
        return replace_body(src, m.function, GENERIC[m.name].format(f=m.function))
    return m.apply(src)


@pytest.mark.parametrize("topic,mutant", list(_cases()))
def test_mutant_loses_points(tmp_path, topic, mutant):
    result = grade_source(tmp_path, topic, _mutated_source(topic, mutant))
    about = [c for c in result.checks if c.function == mutant.function]
    assert about, f"no check is about {mutant.function}"
    assert not any(c.internal_error for c in result.checks), [c.message for c in result.checks if c.internal_error]
    failing = [c for c in about if c.status != "passed"]
    assert failing, f"mutant {mutant.name!r} of {topic}.{mutant.function} passed every check"
    if mutant.name == "stub":
        assert all(c.status == "not_attempted" for c in about)
    if mutant.detects:
        found = MISCONCEPTIONS[mutant.detects]
        named = [c for c in failing if c.details.get("misconception") == mutant.detects]
        assert named, f"the grader did not name {mutant.detects!r}: {[c.message for c in failing]}"
        assert "known mistake" in named[0].message and found.name in named[0].message
        # Its Chinese name and fix exist (tests/unit/course/test_misconceptions.py proves it for every
        # mistake) and reach the message's Chinese copy; a zh run is graded once per topic, below.
        zh_cat = catalog("zh")
        zh_message = named[0].i18n["zh"]["message"]
        assert zh_cat[found.name] in zh_message and zh_cat[found.fix] in zh_message


def _zh_witness(topic: str) -> Mutant:
    """The topic's first catalogued mistake the grader names (one that fails fast: no full training)."""
    named = [m for m in CATALOGUE[topic] if m.detects]
    return next((m for m in named if "full training" not in m.name), named[0])


@pytest.mark.parametrize("topic", sorted(t for t, ms in CATALOGUE.items() if any(m.detects for m in ms)))
def test_a_named_mistake_reaches_the_student_in_chinese(tmp_path, topic):
    """The language reaches the message: graded in Chinese, the mistake is named in Chinese."""
    mutant = _zh_witness(topic)
    found = MISCONCEPTIONS[mutant.detects]
    zh = grade_source(tmp_path, topic, _mutated_source(topic, mutant), lang="zh")
    named = [c for c in zh.checks if c.details.get("misconception") == mutant.detects]
    assert named, f"the zh run did not name {mutant.detects!r}"
    zh_cat = catalog("zh")
    assert zh_cat[found.name] in named[0].message and zh_cat[found.fix] in named[0].message
    assert "常见错误" in named[0].message and found.name not in named[0].message


@pytest.mark.parametrize("topic", sorted(CATALOGUE))
def test_every_function_has_a_realistic_mutant(topic):
    covered = {m.function for m in CATALOGUE[topic]}
    missing = set(_functions(topic)) - covered
    assert not missing, f"{topic}: no catalogued mistake for {sorted(missing)}"
