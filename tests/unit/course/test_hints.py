"""Every check's hint says what to check, not the answer.

Students grading locally see a failing check's message and its hint, without the known-mistake
catalogue (the release bundle leaves it out). A hint must therefore point at the property the
check tests and where to look, not restate the reference solution. What can be enforced
mechanically is enforced here, from the collected checks (no grading run): every check has a
hint, hints stay short, and no hint carries a ``return`` statement or an assignment that is a
line of ``solutions/<topic>.py``.
"""

from __future__ import annotations

import re
from functools import cache

import pytest

from grader.core.catalog import available_topics, collect
from tests.conftest import SOLUTIONS

MAX_CHARS = 300  # one or two sentences

_BEGIN = re.compile(r"^\s*# BEGIN SOLUTION\s*$")
_END = re.compile(r"^\s*# END SOLUTION\s*$")
# `return` followed by something that reads as code: a bracket, or a name that is called,
# indexed, combined with an operator or ends the hint ("return model", "return (loss, grads)",
# "return self.layer3(x)"); prose such as "return x unchanged" is not a statement.
_RETURN = re.compile(r"\breturn\s+(?:[(\[{]|[\w.]+(?:[(\[]|\s*(?:[-+*/@%,;]|$)))", re.IGNORECASE)
# `name = expression` or `name[...] += expression` up to the end of the clause it sits in.
_ASSIGNMENT = re.compile(
    r"(?<![\w.=!<>])([A-Za-z_][\w.]*(?:\[[^\]]*\])?)\s*([-+*/]?=)(?!=)\s*(.+?)"
    r"(?=;|`|$|\.\s|\.$|,\s|:\s|\s(?:then|and|with|for|where|so|is|not|in|on|instead)\s)"
)


def _squeeze(code: str) -> str:
    """Whitespace removed: spacing never makes a copied line a different line."""
    return re.sub(r"\s+", "", code)


@cache
def _checks() -> tuple:
    return tuple(collect(available_topics()))


@cache
def _solution_lines(topic: str) -> tuple[tuple[str, str, str], ...]:
    """(line, left side, right side) of every reference line between the SOLUTION markers, squeezed;
    the sides are empty for a line that is not an assignment."""
    out = []
    inside = False
    for raw in (SOLUTIONS / f"{topic}.py").read_text(encoding="utf-8").splitlines():
        if _BEGIN.match(raw):
            inside = True
        elif _END.match(raw):
            inside = False
        elif inside:
            code = re.sub(r"\s+#.*$", "", raw).strip()
            if not code:
                continue
            m = re.match(r"^([A-Za-z_][\w.,\s]*(?:\[[^\]]*\])?)\s*([-+*/]?=)(?!=)(.+)$", code)
            left, right = (_squeeze(m.group(1) + m.group(2)), _squeeze(m.group(3))) if m else ("", "")
            out.append((_squeeze(code), left, right))
    return tuple(out)


def solution_matches(hint: str, topic: str) -> list[str]:
    """The assignment-looking spans of ``hint`` that copy a line of the topic's solution: the whole
    line, its right-hand side under another name, or its beginning (a span cut at a comma).
    A keyword argument such as ``keepdims=True`` is not a line and does not count."""
    found = []
    for m in _ASSIGNMENT.finditer(hint):
        span = _squeeze(m.group(0)).rstrip(".")
        left = _squeeze(m.group(1) + m.group(2))
        right = _squeeze(m.group(3)).rstrip(".")
        for line, line_left, line_right in _solution_lines(topic):
            if (
                span == line
                or (line_right and right == line_right and len(right) >= 5)
                or (left == line_left and len(span) >= 10 and line.startswith(span))
            ):
                found.append(m.group(0))
                break
    return found


def _by_hint() -> dict[tuple[str, str], list[str]]:
    """(topic, hint) -> the checks that show it (parametrized checks share one)."""
    out: dict[tuple[str, str], list[str]] = {}
    for cid, meta in _checks():
        out.setdefault((meta.topic, meta.hint), []).append(cid)
    return out


def test_every_check_has_a_hint():
    missing = [cid for cid, meta in _checks() if not meta.hint.strip()]
    assert _checks() and not missing, f"checks without @pytest.mark.hint: {missing}"


def test_hints_are_at_most_two_short_sentences():
    long = {ids[0]: len(hint) for (_t, hint), ids in _by_hint().items() if len(hint) > MAX_CHARS}
    assert not long, f"hints longer than {MAX_CHARS} characters (say what to check, briefly): {long}"


def test_no_hint_contains_a_return_statement():
    bad = {ids[0]: hint for (_t, hint), ids in _by_hint().items() if _RETURN.search(hint)}
    assert not bad, f"hints that spell out a return statement (the answer): {bad}"


def test_no_hint_copies_an_assignment_of_the_reference_solution():
    bad = {}
    for (topic, hint), ids in _by_hint().items():
        spans = solution_matches(hint, topic)
        if spans:
            bad[ids[0]] = spans
    assert not bad, f"hints that contain a line of solutions/<topic>.py: {bad}"


@pytest.mark.parametrize(
    ("hint", "topic", "flagged"),
    [
        ("dx = dout @ W.T, shape (batch, d_in).", "backprop", True),  # the solution's line, verbatim
        ("dx=dout@W.T", "backprop", True),  # spacing does not matter
        ("First acc_new = accumulator + g*g, then scale the step.", "optimizers", True),
        ("Check the shape of dx: it must be x's shape, (batch, d_in).", "backprop", False),
        ("This check passes axis=0, so every column must sum to 1.", "activations", False),
        ("With alpha=0.2 by default.", "activations", False),
        ("Sum along `axis` with keepdims=True.", "activations", False),  # an argument, not a line
        ("inputs = keras.Input(shape=(3,), name=...)", "models", True),  # the line's beginning
    ],
)
def test_the_solution_matcher_flags_copied_lines_only(hint, topic, flagged):
    assert bool(solution_matches(hint, topic)) is flagged


@pytest.mark.parametrize(
    ("hint", "flagged"),
    [
        ("x = self.layer1(inputs); x = self.layer2(x); return self.layer3(x)", True),
        ("model = MyModel(); model(np.ones((1, 3))); return model", True),
        ("Return (loss, grads) where grads is a dict", True),
        ("return (loss, grads) where grads is a dict", True),
        ("With training=False dropout does nothing: return x unchanged (no mask).", False),
        ("Return the History object that fit gives.", False),
        ("Check what you hand back: one float.", False),
    ],
)
def test_the_return_rule_tells_statements_from_prose(hint, flagged):
    assert bool(_RETURN.search(hint)) is flagged
