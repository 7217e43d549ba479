"""Checks for the ``schedules`` topic: values of keras.optimizers.schedules at the same steps."""

from __future__ import annotations

import numpy as np
import pytest

from grader.compare import assert_allclose, assert_close, describe_value
from grader.errors import CheckFailed
from grader.i18n import t

# Keras evaluates the schedules in float32: the step, decay_rate and the power are rounded
# to float32 (relative error ~1e-6 for exponents up to ~20); rtol 2e-5 keeps a margin while a
# wrong formula, a missed stair or an off-by-one boundary is off by >= 1%.
RTOL, ATOL = 2e-5, 1e-9

# The course notes' example: 1.0 up to step 100000, 0.5 up to 110000, then 0.1.
COURSE_BOUNDARIES = [100000, 110000]
COURSE_VALUES = [1.0, 0.5, 0.1]
COURSE_STEPS = [0, 1, 50000, 99999, 100000, 100001, 105000, 109999, 110000, 110001, 200000]


def _keras_schedule(keras, fn, *args, **kw):
    S = keras.optimizers.schedules
    cls = {
        "piecewise_constant": S.PiecewiseConstantDecay,
        "exponential_decay": S.ExponentialDecay,
        "inverse_time_decay": S.InverseTimeDecay,
    }[fn]
    return cls(*args, **kw)


def _expected(schedule, steps):
    """The Keras schedule evaluated at each step separately (float64 array of steps' shape)."""
    steps = np.asarray(steps)
    flat = [float(schedule(int(s))) for s in steps.reshape(-1)]
    return np.array(flat, dtype=np.float64).reshape(steps.shape)


@pytest.fixture
def expected(keras, reference):
    """``expected(fn, steps, args, kw)``: Keras' schedule at each step (float64, the steps' shape),
    computed once per (check, seed, inputs) and shared (the reference store)."""

    def compute(fn, steps, args, kw):
        steps = np.asarray(steps, dtype=np.int64)
        return reference(
            f"keras {fn}",
            lambda: _expected(_keras_schedule(keras, fn, *args, **kw), steps),
            inputs=(fn, steps, list(args), dict(kw)),
        )

    return compute


def _call_repr(fn, args, kw):
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kw.items()]
    return f"{fn}(step, {', '.join(parts)})"


def check_scalar_steps(student, expected, fn, steps, args, kw=None):
    """Call ``fn`` with each Python-int step; each result must be one number equal to Keras'."""
    kw = kw or {}
    wants = expected(fn, steps, args, kw)
    call = _call_repr(fn, args, kw)
    for s, want in zip(steps, wants.tolist(), strict=True):
        got = student.call_pure(fn, int(s), *args, **kw)
        if isinstance(got, np.ndarray) and got.ndim != 0:
            raise CheckFailed(
                t(
                    "{call} with step={step} (an int) should return a single number, but returned {got}",
                    call=call,
                    step=s,
                    got=describe_value(got),
                )
            )
        assert_close(got, want, rtol=RTOL, atol=ATOL, name=call.replace("step", f"step={s}", 1))


def check_array_steps(student, expected, fn, steps, args, kw=None):
    """Call ``fn`` once with an int array of steps; the result must be an array like it.

    1-D step arrays are sorted, so a failure carries the learning-rate curve (student's over
    Keras') for the HTML report's plot.
    """
    kw = kw or {}
    steps = np.asarray(steps, dtype=np.int64)
    if steps.ndim == 1:
        steps = np.sort(steps)
    want = expected(fn, steps, args, kw)
    got = student.call_pure(fn, steps, *args, **kw)
    call = _call_repr(fn, args, kw)
    assert_allclose(
        got,
        want,
        rtol=RTOL,
        atol=ATOL,
        name=call,
        inputs=t(
            "step = int array of shape {shape}: {steps}",
            shape=steps.shape,
            steps=np.array2string(steps.reshape(-1)[:12], separator=", "),
        ),
        curve_x=steps if steps.ndim == 1 else None,
    )


def _random_piecewise(rng):
    k = int(rng.integers(1, 6))
    boundaries = sorted(int(b) for b in rng.choice(np.arange(1, 5000), size=k, replace=False))
    values = [float(v) for v in np.round(rng.uniform(0.001, 1.0, size=k + 1), 6)]
    steps = [0, 1]
    for b in boundaries:
        steps += [b - 1, b, b + 1]
    steps += [int(x) for x in rng.integers(0, 6000, size=10)]
    return boundaries, values, np.array(steps, dtype=np.int64)


def _random_decay(rng):
    """(initial_learning_rate, decay_steps, decay_rate) and steps covering 0..~15 periods,
    including exact multiples, the step before each and steps past half a period."""
    lr0 = float(np.round(rng.uniform(0.01, 1.0), 6))
    decay_steps = int(rng.integers(10, 3000))
    decay_rate = float(np.round(rng.uniform(0.3, 0.97), 6))
    periods = rng.integers(1, 15, size=4)
    steps = [0, 1, decay_steps - 1, decay_steps, decay_steps + 1]
    steps += [int(p * decay_steps) for p in periods] + [int(p * decay_steps) - 1 for p in periods]
    steps += [int(p * decay_steps + rng.uniform(0.55, 0.95) * decay_steps) for p in periods]
    steps += [int(x) for x in rng.integers(0, 15 * decay_steps, size=8)]
    return (lr0, decay_steps, decay_rate), np.array(steps, dtype=np.int64)


# -------------------------------------------------------------------- piecewise_constant


@pytest.mark.about("piecewise_constant")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check the steps exactly on a boundary: at step 100000 the rate is still 1.0, and it changes at "
    "100001 (a boundary belongs to the segment before it). Steps are Python ints here."
)
def test_piecewise_constant_course_example(student, expected):
    """piecewise_constant with the course's boundaries [100000, 110000], values [1.0, 0.5, 0.1], int steps around the boundaries"""  # noqa: E501
    check_scalar_steps(student, expected, "piecewise_constant", COURSE_STEPS, (COURSE_BOUNDARIES, COURSE_VALUES))


@pytest.mark.about("piecewise_constant")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check what an int array of steps gives: an array of the same shape (1-D and 2-D here), so the "
    "segment lookup must work elementwise, not through a Python if on the whole array."
)
def test_piecewise_constant_step_arrays(student, expected):
    """piecewise_constant accepts int arrays of steps (1-D and 2-D) and returns an array of the same shape"""
    steps = np.array(COURSE_STEPS, dtype=np.int64)
    check_array_steps(student, expected, "piecewise_constant", steps, (COURSE_BOUNDARIES, COURSE_VALUES))
    check_array_steps(
        student, expected, "piecewise_constant", steps[:10].reshape(2, 5), (COURSE_BOUNDARIES, COURSE_VALUES)
    )


@pytest.mark.about("piecewise_constant")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check schedules with one to five boundaries, at, just before and just after each: nothing may "
    "assume two boundaries, and a step exactly on a boundary still gets the value before it."
)
def test_piecewise_constant_random_schedules(student, expected, rng):
    """piecewise_constant matches PiecewiseConstantDecay on random schedules at, before and after every boundary"""
    for _ in range(3):
        boundaries, values, steps = _random_piecewise(rng)
        check_array_steps(student, expected, "piecewise_constant", steps, (boundaries, values))


# --------------------------------------------------------------------- exponential_decay


@pytest.mark.about("exponential_decay")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check step 0 (the rate is initial_learning_rate itself) and step = decay_steps (exactly one "
    "factor of decay_rate); in between the exponent is a fraction, so watch out for integer division."
)
def test_exponential_decay_int_steps(student, expected, rng):
    """exponential_decay matches ExponentialDecay at single int steps (0, 1, around decay_steps, 100000)"""
    check_scalar_steps(
        student, expected, "exponential_decay", [0, 1, 999, 1000, 1001, 2500, 100000], (0.1, 10000, 0.96)
    )
    (lr0, ds, dr), _ = _random_decay(rng)
    check_scalar_steps(student, expected, "exponential_decay", [0, ds // 2, ds, 3 * ds + 1], (lr0, ds, dr))


@pytest.mark.about("exponential_decay")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check that an int array of steps gives an array of the same shape (1-D and 2-D), with each "
    "step's own rate: use operations that act elementwise, and divide as floats."
)
def test_exponential_decay_random_arrays(student, expected, rng):
    """exponential_decay (staircase=False) matches ExponentialDecay on random schedules and step arrays"""
    for _ in range(3):
        args, steps = _random_decay(rng)
        check_array_steps(student, expected, "exponential_decay", steps, args)
    check_array_steps(student, expected, "exponential_decay", steps[:12].reshape(3, 4), args, {"staircase": False})


@pytest.mark.about("exponential_decay")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Look at the steps just before each multiple of decay_steps: with staircase=True the exponent "
    "stays at the lower whole number until the step reaches the multiple (rounded down, not to the "
    "nearest)."
)
def test_exponential_decay_staircase(student, expected, rng):
    """exponential_decay(..., staircase=True) matches ExponentialDecay(staircase=True) around every stair"""
    for _ in range(3):
        args, steps = _random_decay(rng)
        check_array_steps(student, expected, "exponential_decay", steps, args, {"staircase": True})
    check_scalar_steps(student, expected, "exponential_decay", [0, 9, 10, 17, 25], (0.5, 10, 0.5), {"staircase": True})


# -------------------------------------------------------------------- inverse_time_decay


@pytest.mark.about("inverse_time_decay")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check step 0 (the rate is initial_learning_rate itself) and step = decay_steps "
    "(initial_learning_rate divided by 1 + decay_rate); watch out for integer division in between."
)
def test_inverse_time_decay_int_steps(student, expected, rng):
    """inverse_time_decay matches InverseTimeDecay at single int steps (0, 1, around decay_steps, 100000)"""
    check_scalar_steps(student, expected, "inverse_time_decay", [0, 1, 999, 1000, 1001, 2500, 100000], (0.1, 1000, 0.5))
    (lr0, ds, dr), _ = _random_decay(rng)
    check_scalar_steps(student, expected, "inverse_time_decay", [0, ds // 2, ds, 3 * ds + 1], (lr0, ds, dr))


@pytest.mark.about("inverse_time_decay")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check that an int array of steps gives an array of the same shape with each step's own rate; "
    "look for integer division of step by decay_steps and for Python-level branching."
)
def test_inverse_time_decay_random_arrays(student, expected, rng):
    """inverse_time_decay (staircase=False) matches InverseTimeDecay on random schedules and step arrays"""
    for _ in range(3):
        args, steps = _random_decay(rng)
        check_array_steps(student, expected, "inverse_time_decay", steps, args)
    check_array_steps(student, expected, "inverse_time_decay", steps[:12].reshape(4, 3), args, {"staircase": False})


@pytest.mark.about("inverse_time_decay")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Look at the steps just before each multiple of decay_steps: with staircase=True, step / "
    "decay_steps is rounded down to a whole number (not to the nearest) before it enters the formula."
)
def test_inverse_time_decay_staircase(student, expected, rng):
    """inverse_time_decay(..., staircase=True) matches InverseTimeDecay(staircase=True) around every stair"""
    for _ in range(3):
        args, steps = _random_decay(rng)
        check_array_steps(student, expected, "inverse_time_decay", steps, args, {"staircase": True})
    check_scalar_steps(student, expected, "inverse_time_decay", [0, 9, 10, 17, 25], (0.5, 10, 0.5), {"staircase": True})
