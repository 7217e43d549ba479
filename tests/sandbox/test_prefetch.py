"""Announced calls (StudentModule.prefetch, Worker.chain) for real: the worker makes a check's
calls in one round trip, and every call the check then makes gets exactly the reply, error or
verdict it gets when made on its own. Each scenario is run both ways in real workers and the two
transcripts compared; the round trips are counted to show the announced calls were answered ahead.
"""

from __future__ import annotations

import contextlib
import textwrap
from pathlib import Path

import numpy as np
import pytest

from grader.compare import as_tuple
from grader.config import Limits
from grader.core.runner import WORKER_MODULES
from grader.errors import CheckFailed, StudentCrashed, StudentError
from grader.sandbox import client
from grader.sandbox.client import ModuleSpec, SubmissionCopy, WorkerPool
from grader.sandbox.student import Prev, StudentModule, same_value

SPEC = ModuleSpec("steps", "steps.py", True)

MODULE = textwrap.dedent(
    """
    import time
    import numpy as np

    def step(w, g, v, k):
        return w - 0.1 * (v + g), 0.9 * v + g

    def raises_at_3(w, g, v, k):
        if k == 3:
            raise ValueError("step three")
        return w - g, v

    def single_at_2(w, g, v, k):
        return w - g if k == 2 else (w - g, v)

    def mutates_at_2(w, g, v, k):
        if k == 2:
            w -= 1.0
        return w - g, v

    def slow(w, g, v, k):
        time.sleep(0.4)
        return w - g, v

    def tensorish_at_2(w, g, v, k):
        class Lying(float):
            def __eq__(self, other):
                return True
        return (w - g, v) if k != 2 else (Lying(1.0), v)

    def mutates_v(w, g, v, k):
        v += 1.0  # the third argument
        return w - g, v

    def reshapes_g(w, g, v, k):
        g.shape = (1, g.size)  # same values, not the same array any more
        return w - 1.0, v

    def forges_purity(w, g, v, k):
        import sys
        sys.modules["grader.sandbox.worker"]._mutated = lambda args, kept: "none of them"
        return w - g, v

    def draw(shape, rng, scale=1.0):
        return (rng.standard_normal(shape) * scale).astype(np.float32)
    """
)


@pytest.fixture
def submission(tmp_path):
    (tmp_path / "steps.py").write_text(MODULE)
    return tmp_path


@contextlib.contextmanager
def _student(submission: Path, limits: Limits | None = None):
    copy = SubmissionCopy(submission, WORKER_MODULES)
    try:
        pool = WorkerPool(copy, [SPEC], limits or Limits(), mode="strict")
        pool.start_all()
        try:
            yield StudentModule(pool.get("steps"))
        finally:
            pool.close()
    finally:
        copy.cleanup()


@pytest.fixture
def round_trips(monkeypatch):
    """How many calls went to the worker one at a time, and how many chains."""
    counts = {"call": 0, "chain": 0}
    call, chain = client.Worker.call, client.Worker.chain

    def counted_call(self, *a, **k):
        counts["call"] += 1
        return call(self, *a, **k)

    def counted_chain(self, *a, **k):
        counts["chain"] += 1
        return chain(self, *a, **k)

    monkeypatch.setattr(client.Worker, "call", counted_call)
    monkeypatch.setattr(client.Worker, "chain", counted_chain)
    return counts


STEPS = 6
W0 = np.linspace(-1.0, 1.0, 5)
GRADS = [np.full(5, 0.1 * k) for k in range(1, STEPS + 1)]


def _trajectory(student: StudentModule, fn: str, announce: bool) -> list:
    """The optimizer checks' loop: w and v fed back from each result; what every step gave."""
    w, v = W0.copy(), np.zeros(5)
    if announce:
        student.prefetch(
            fn, [((Prev(0), GRADS[k - 1], Prev(1), k), {}) for k in range(1, STEPS + 1)], start=(w, v), n_out=2
        )
    out: list = []
    for k in range(1, STEPS + 1):
        try:
            w, v = as_tuple(student.call_pure(fn, w, GRADS[k - 1], v, k), 2, name=fn)
        except (StudentError, CheckFailed) as exc:
            out.append((type(exc).__name__, str(exc)))
            break
        out.append((w, v, list(student.last_warnings)))
    return out


@pytest.mark.parametrize("fn", ["step", "raises_at_3", "single_at_2", "mutates_at_2", "tensorish_at_2"])
def test_announced_steps_give_what_steps_made_one_by_one_give(submission, round_trips, fn):
    with _student(submission) as student:
        one_by_one = _trajectory(student, fn, announce=False)
        assert round_trips == {"call": len(one_by_one), "chain": 0}
        announced = _trajectory(student, fn, announce=True)
    assert same_value(announced, one_by_one), (announced, one_by_one)
    # Every call the loop made was answered from the chain, the failing one included.
    assert round_trips == {"call": len(one_by_one), "chain": 1}
    if fn != "step":
        assert isinstance(one_by_one[-1][0], str) and len(one_by_one) < STEPS


def test_a_chain_over_one_calls_time_limit_is_made_again_one_call_at_a_time(submission, round_trips):
    # 6 calls of 0.4 s: each fits the 1 s limit, the chain of them does not.
    with _student(submission, Limits(call_timeout=1.0)) as student:
        announced = _trajectory(student, "slow", announce=True)
        worker = student._worker
        assert worker.timed_out == set()  # the function is not blamed for the chain's time
        one_by_one = _trajectory(student, "slow", announce=False)
    assert len(announced) == STEPS and same_value(announced, one_by_one)
    assert round_trips == {"call": 2 * STEPS, "chain": 1}


def test_a_call_other_than_the_announced_one_goes_to_the_worker(submission, round_trips):
    with _student(submission) as student:
        student.prefetch("draw", [(((3,), np.random.default_rng(s)), {}) for s in range(4)])
        first = student.call_pure("draw", (3,), np.random.default_rng(0))  # as announced
        other_seed = student.call_pure("draw", (3,), np.random.default_rng(99))  # not: made live
        later = student.call_pure("draw", (3,), np.random.default_rng(2))  # announced, but after a miss
        scaled = student.call_pure("draw", (3,), np.random.default_rng(0), scale=2.0)
    assert round_trips == {"call": 3, "chain": 1}
    assert np.array_equal(first, np.random.default_rng(0).standard_normal(3).astype(np.float32))
    assert np.array_equal(other_seed, np.random.default_rng(99).standard_normal(3).astype(np.float32))
    assert np.array_equal(later, np.random.default_rng(2).standard_normal(3).astype(np.float32))
    assert np.array_equal(scaled, 2 * first)


def test_independent_announced_calls_are_answered_in_order(submission, round_trips):
    seeds = [11, 12, 13]
    with _student(submission) as student:
        student.prefetch("draw", [(((2, 2), np.random.default_rng(s)), {"scale": 0.5}) for s in seeds])
        got = [student.call_pure("draw", (2, 2), np.random.default_rng(s), scale=0.5) for s in seeds]
        assert student.calls[-1][0] == "draw"  # recorded for the known-mistake detectors, as ever
    assert round_trips == {"call": 0, "chain": 1}
    for s, g in zip(seeds, got, strict=True):
        assert np.array_equal(g, (np.random.default_rng(s).standard_normal((2, 2)) * 0.5).astype(np.float32))


@pytest.mark.parametrize(
    "a,b,same",
    [
        (np.zeros(2), np.zeros(2), True),
        (np.zeros(2), np.zeros(2, np.float32), False),
        (np.array([np.nan]), np.array([np.nan]), True),
        (np.array([0.0]), np.array([-0.0]), False),  # equal, but not the same argument
        (np.arange(6.0).reshape(2, 3).T, np.arange(6.0).reshape(2, 3).T.copy(), True),  # memory layout aside
        (np.zeros((2, 3)), np.zeros((3, 2)), False),
        ((1, 2.0), (1, 2.0), True),
        ((1, 2.0), [1, 2.0], False),
        (1, 1.0, False),
        (float("nan"), float("nan"), True),
        ({"lr": 0.1}, {"lr": 0.1}, True),
        ({"lr": 0.1}, {"lr": 0.2}, False),
        (np.random.default_rng(1), np.random.default_rng(1), True),
        (np.random.default_rng(1), np.random.default_rng(2), False),
        (object(), object(), False),
    ],
)
def test_same_value_only_for_the_same_arguments(a, b, same):
    assert same_value(a, b) is same


def test_what_could_not_travel_is_fed_back_as_the_placeholder_it_arrived_as(submission, round_trips):
    """A result the codec turned into an Opaque placeholder goes back into the next call as that
    placeholder, announced or not (never as the student's own object)."""
    with _student(submission) as student:
        announced = _trajectory(student, "tensorish_at_2", announce=True)
    assert round_trips == {"call": 0, "chain": 1}
    assert "Opaque" in announced[-1][1] and len(announced) == 3


@pytest.mark.parametrize("announce", [False, True], ids=["one-by-one", "announced"])
@pytest.mark.parametrize(("fn", "number"), [("mutates_v", 3), ("reshapes_g", 2), ("mutates_at_2", 1)])
def test_a_pure_call_names_the_argument_it_changed(submission, fn, number, announce):
    """The worker compares each array argument with its copy from before the call (values, shape,
    dtype) and names the first one changed, as call_pure reports it to the student."""
    with _student(submission) as student:
        transcript = _trajectory(student, fn, announce=announce)
    kind, message = transcript[-1]
    assert kind == "CheckFailed"
    assert f"{fn}() modified its argument #{number} in place" in message


def test_a_forged_purity_report_is_a_malformed_reply(submission):
    """What the worker says about the arguments comes from a process running student code: a
    report that is not a list of argument numbers is refused like any malformed reply."""
    with _student(submission) as student, pytest.raises(StudentCrashed, match="malformed reply"):
        for k in range(1, 3):
            student.call_pure("forges_purity", W0.copy(), GRADS[0], np.zeros(5), k)
