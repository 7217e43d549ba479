"""Announcing a check's calls (StudentModule.prefetch) changes no verdict: the topics whose checks
announce them (an optimizer's steps, an initializer's samples) are graded with and without it, for
every catalogued mistake, the cheater and the reference, and every check's result must be the same
(status, points, message, details), while the announced run makes far fewer round trips.

Mistakes of different functions share a submission (each check is about one function), so a
topic's whole catalogue takes a few gradings.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from pathlib import Path

import pytest

from grader.sandbox import client
from grader.sandbox.student import StudentModule
from tests.conftest import SOLUTIONS, grade_source
from tests.mutants import all_mutants

TOPICS = ["optimizers", "initializers"]
CHEATERS = Path(__file__).parent / "cheaters"


# Mistakes whose numbers differ from run to run whatever the grader does (the global, unseeded
# np.random): graded on their own, and only their statuses and points compared.
UNSEEDED = "global np.random"


def _submissions(topic: str) -> list[tuple[str, str, bool]]:
    """(name, source, deterministic): the reference, the cheater, the catalogue packed one mistake
    per function, and each unseeded mistake alone."""
    solution = (SOLUTIONS / f"{topic}.py").read_text(encoding="utf-8")
    out = [("reference", solution, True), ("cheater", (CHEATERS / f"{topic}.py").read_text(encoding="utf-8"), True)]
    packs: list[tuple[set[str], str, list[str]]] = []
    for m in all_mutants()[topic]:
        if UNSEEDED in m.name:
            out.append((m.name, m.apply(solution), False))
            continue
        for n, (functions, src, names) in enumerate(packs):
            if m.function not in functions:
                with contextlib.suppress(AssertionError):  # its text was changed by a mutant already packed
                    packs[n] = (functions | {m.function}, m.apply(src), [*names, m.name])
                    break
        else:
            packs.append(({m.function}, m.apply(solution), [m.name]))
    return out + [(" + ".join(names), src, True) for _, src, names in packs]


def _verdicts(topic_result, deterministic: bool) -> list[str]:
    """Every check's result but its duration, as JSON (where NaN equals NaN, as in results.json);
    only the status and points where the numbers cannot repeat."""
    keep = None if deterministic else ("id", "status", "points")
    return [
        json.dumps(
            {k: v for k, v in dataclasses.asdict(c).items() if k != "duration" and (keep is None or k in keep)},
            sort_keys=True,
            default=str,
        )
        for c in topic_result.checks
    ]


@pytest.mark.parametrize("topic", TOPICS)
def test_announced_calls_give_the_verdicts_of_calls_made_one_by_one(tmp_path, monkeypatch, topic):
    trips = {"call": 0, "chain": 0}
    call, chain = client.Worker.call, client.Worker.chain

    def counted_call(self, *a, **k):
        trips["call"] += 1
        return call(self, *a, **k)

    def counted_chain(self, *a, **k):
        trips["chain"] += 1
        return chain(self, *a, **k)

    monkeypatch.setattr(client.Worker, "call", counted_call)
    monkeypatch.setattr(client.Worker, "chain", counted_chain)
    announced_trips = one_by_one_trips = 0
    for i, (name, source, deterministic) in enumerate(_submissions(topic)):
        before = dict(trips)
        announced = grade_source(tmp_path / f"a{i}", topic, source)
        announced_trips += trips["call"] + trips["chain"] - before["call"] - before["chain"]
        with monkeypatch.context() as m:
            m.setattr(StudentModule, "prefetch", lambda self, *a, **k: None)
            before = dict(trips)
            one_by_one = grade_source(tmp_path / f"o{i}", topic, source)
            one_by_one_trips += trips["call"] - before["call"]
        assert _verdicts(announced, deterministic) == _verdicts(one_by_one, deterministic), name
        assert announced.score == one_by_one.score
    assert trips["chain"] > 0 and announced_trips * 3 < one_by_one_trips, (announced_trips, one_by_one_trips)
