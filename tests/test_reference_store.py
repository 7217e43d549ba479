"""The shared reference store changes nothing but speed: cached and uncached grading agree.

A class of mutants from the mutation suite (tests/mutants/) is graded three times with one seed:
without the store, with a cold store shared by two batch processes, and again with the now warm
store. Every student's unredacted results.json must be identical, timings aside.

The subset: the reference solution and, for every function of the topics whose checks take
``reference`` values (optimizers: Keras trajectories; initializers: Keras' pooled samples), its
first catalogued mistake plus one constant-returning body; the other topics' checks never reach
the store (asserted through the store's counters, which only these two topics move).
"""

from __future__ import annotations

import json
from itertools import zip_longest
from pathlib import Path

from grader.batch.run import run_batch
from grader.config import Settings
from tests.conftest import SOLUTIONS
from tests.mutants import all_mutants
from tests.test_mutants import replace_body

TOPICS = ("initializers", "optimizers")
SEED = 20261127


def _variants(topic: str) -> list[str]:
    """Sources: one catalogued mistake per function, then a constant body for the first function."""
    solution = (SOLUTIONS / f"{topic}.py").read_text()
    seen, out = set(), []
    for m in all_mutants()[topic]:
        if m.function not in seen:
            seen.add(m.function)
            out.append(m.apply(solution))
    first = all_mutants()[topic][0].function
    out.append(replace_body(solution, first, "return 0.5"))
    return out


def _class(root: Path) -> list[str]:
    names = ["correct"]
    for topic in TOPICS:
        (root / "correct").mkdir(parents=True, exist_ok=True)
        (root / "correct" / f"{topic}.py").write_text((SOLUTIONS / f"{topic}.py").read_text())
    pairs = zip_longest(*(_variants(t) for t in TOPICS))
    for i, sources in enumerate(pairs):
        name = f"mutant{i:02d}"
        folder = root / name
        folder.mkdir(parents=True)
        for topic, src in zip(TOPICS, sources, strict=False):
            (folder / f"{topic}.py").write_text(src if src is not None else (SOLUTIONS / f"{topic}.py").read_text())
        names.append(name)
    return names


def _normalized(obj):
    if isinstance(obj, dict):
        return {k: _normalized(v) for k, v in obj.items() if k not in ("duration", "started_at")}
    if isinstance(obj, list):
        return [_normalized(v) for v in obj]
    return obj


def _results(out: Path, names: list[str]) -> dict:
    return {n: _normalized(json.loads((out / ".instructor" / f"{n}.json").read_text())) for n in names}


def test_cached_and_uncached_grading_give_identical_results(tmp_path):
    klass = tmp_path / "class"
    names = _class(klass)
    store = tmp_path / "store"

    def batch(out: str, cache: str, jobs: int):
        settings = Settings(topics=TOPICS, seed=SEED, reference_cache=cache)
        return run_batch(klass, settings, tmp_path / out, jobs=jobs)

    off = batch("off", "off", 0)
    cold = batch("cold", str(store), 2)  # two processes share the store from the first student on
    warm = batch("warm", str(store), 0)
    for summary in (off, cold, warm):
        assert sorted(summary.graded) == sorted(names) and not summary.internal_errors

    # Off: every value computed every time, nothing stored or reused.
    assert off.references["computed"] > 0
    assert off.references["disk_hits"] == off.references["memory_hits"] == off.references["written"] == 0
    assert cold.references["computed"] > 0 and cold.references["written"] == cold.references["computed"]
    # Each value was computed once for the whole batch: every student after the first reused it.
    assert cold.references["disk_hits"] + cold.references["memory_hits"] >= cold.references["computed"]
    assert warm.references.get("computed", 0) == 0 and warm.references["disk_hits"] == cold.references["computed"]

    want = _results(tmp_path / "off", names)
    assert _results(tmp_path / "cold", names) == want
    assert _results(tmp_path / "warm", names) == want
    # The subset is not vacuous: the mutants lost points on the checks that use stored values.
    scores = {n: r["score"] for n, r in want.items()}
    assert all(scores[n] < scores["correct"] for n in names if n != "correct"), scores
