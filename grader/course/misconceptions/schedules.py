"""Classic slips in the schedules topic (Keras' conventions versus the course's a0*e^(-kt), a0/(1+kt))."""

import numpy as np

from grader.course.misconceptions import misconception
from grader.i18n import N_

_B, _V = [10, 20], [1.0, 0.5, 0.1]
_PW_STEPS = np.array([0, 9, 10, 11, 19, 20, 21, 30], dtype=np.int64)
# 0..3 periods of 10 steps, with steps just before, on and past (> half) every stair.
_STEPS = np.array([0, 1, 4, 6, 9, 10, 11, 17, 20, 26, 30], dtype=np.int64)
_DECAY = (0.5, 10, 0.5)  # initial_learning_rate, decay_steps, decay_rate


def _ratio(step, decay_steps, staircase):
    p = np.asarray(step, dtype=np.float64) / decay_steps
    return np.floor(p) if staircase else p


# -------------------------------------------------------------------- piecewise_constant


def _pw(step, boundaries, values, side, shift=0):
    idx = np.searchsorted(np.asarray(boundaries), np.asarray(step), side=side) + shift
    return np.asarray(values, dtype=np.float64)[np.clip(idx, 0, len(values) - 1)]


@misconception(
    "piecewise_constant",
    "piecewise_constant.strict_boundary",
    N_("boundary off by one: the next value starts AT the boundary (step < b instead of step <= b)"),
    N_(
        "Keras keeps values[i] up to and including boundaries[i]: use np.searchsorted(boundaries, step, "
        "side='left') (or np.digitize(step, boundaries, right=True)), i.e. the test step <= b"
    ),
    examples=[((_PW_STEPS, _B, _V), {})],
)
def piecewise_strict(step, boundaries, values):
    return _pw(step, boundaries, values, "right")


@misconception(
    "piecewise_constant",
    "piecewise_constant.values_ahead",
    N_("values shifted by one: segment i gets values[i+1], so values[0] is never used"),
    N_(
        "segment i (boundaries[i-1] < step <= boundaries[i]) gets values[i]; values[0] applies from "
        "step 0 up to boundaries[0]"
    ),
    examples=[((_PW_STEPS, _B, _V), {})],
)
def piecewise_ahead(step, boundaries, values):
    return _pw(step, boundaries, values, "left", shift=1)


@misconception(
    "piecewise_constant",
    "piecewise_constant.values_behind",
    N_(
        "values lag one segment: after boundaries[i] the rate is values[i] instead of values[i+1], "
        "so values[-1] is never used"
    ),
    N_(
        "once step > boundaries[i] the rate is values[i + 1]; with a loop, start from values[0] and "
        "set rate = values[i + 1] for every boundary with step > boundaries[i]"
    ),
    examples=[((_PW_STEPS, _B, _V), {})],
)
def piecewise_behind(step, boundaries, values):
    return _pw(step, boundaries, values, "left", shift=-1)


# --------------------------------------------------------------------- exponential_decay


@misconception(
    "exponential_decay",
    "exponential_decay.natural_exp",
    N_("the course's a0 * e^(-k t) with k = decay_rate: initial_learning_rate * exp(-decay_rate * step / decay_steps)"),
    N_(
        "Keras' decay_rate is the base, not a rate constant: initial_learning_rate * decay_rate ** "
        "(step / decay_steps), so the rate is multiplied by decay_rate every decay_steps steps"
    ),
    examples=[((_STEPS, *_DECAY), {})],
)
def exp_natural(step, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    return initial_learning_rate * np.exp(-decay_rate * _ratio(step, decay_steps, staircase))


@misconception(
    "exponential_decay",
    "exponential_decay.natural_exp_per_step",
    N_("a0 * e^(-k t) with k = decay_rate and t = step: initial_learning_rate * exp(-decay_rate * step)"),
    N_(
        "Keras' decay_rate is the base and decay_steps the period: initial_learning_rate * decay_rate ** "
        "(step / decay_steps)"
    ),
    examples=[((_STEPS, *_DECAY), {})],
)
def exp_natural_per_step(step, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    return initial_learning_rate * np.exp(-decay_rate * np.asarray(step, dtype=np.float64))


@misconception(
    "exponential_decay",
    "exponential_decay.decay_steps_ignored",
    N_("decay_steps ignored: decay_rate ** step decays once per step instead of once per decay_steps steps"),
    N_("divide the step by decay_steps: initial_learning_rate * decay_rate ** (step / decay_steps)"),
    examples=[((_STEPS, *_DECAY), {})],
)
def exp_no_period(step, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    return initial_learning_rate * np.power(decay_rate, np.asarray(step, dtype=np.float64))


@misconception(
    "exponential_decay",
    "exponential_decay.staircase_ignored",
    N_("staircase=True ignored: the rate decays smoothly instead of in stairs"),
    N_("with staircase=True round the exponent down: decay_rate ** np.floor(step / decay_steps)"),
    examples=[((_STEPS, *_DECAY), {"staircase": True})],
)
def exp_no_stairs(step, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    return initial_learning_rate * np.power(decay_rate, _ratio(step, decay_steps, False))


@misconception(
    "exponential_decay",
    "exponential_decay.staircase_round",
    N_("staircase exponent rounded to the nearest integer (np.round) instead of down"),
    N_("use np.floor(step / decay_steps): the rate drops only once a full period of decay_steps is over"),
    examples=[((_STEPS, *_DECAY), {"staircase": True})],
)
def exp_round_stairs(step, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    p = np.asarray(step, dtype=np.float64) / decay_steps
    return initial_learning_rate * np.power(decay_rate, np.round(p) if staircase else p)


@misconception(
    "exponential_decay",
    "exponential_decay.always_floor",
    N_("integer division step // decay_steps even when staircase=False: the rate always drops in stairs"),
    N_("use true division step / decay_steps; round down (np.floor) only when staircase=True"),
    examples=[((_STEPS, *_DECAY), {})],
)
def exp_int_division(step, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    return initial_learning_rate * np.power(decay_rate, _ratio(step, decay_steps, True))


# -------------------------------------------------------------------- inverse_time_decay


@misconception(
    "inverse_time_decay",
    "inverse_time_decay.decay_steps_ignored",
    N_("a0 / (1 + decay_rate * step) without dividing the step by decay_steps"),
    N_(
        "Keras divides by decay_steps: initial_learning_rate / (1 + decay_rate * step / decay_steps) "
        "(the course's k is decay_rate / decay_steps)"
    ),
    examples=[((_STEPS, *_DECAY), {})],
)
def inv_no_period(step, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    return initial_learning_rate / (1.0 + decay_rate * np.asarray(step, dtype=np.float64))


@misconception(
    "inverse_time_decay",
    "inverse_time_decay.staircase_ignored",
    N_("staircase=True ignored: the rate decays smoothly instead of in stairs"),
    N_(
        "with staircase=True round step / decay_steps down first: initial_learning_rate / (1 + decay_rate "
        "* np.floor(step / decay_steps))"
    ),
    examples=[((_STEPS, *_DECAY), {"staircase": True})],
)
def inv_no_stairs(step, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    return initial_learning_rate / (1.0 + decay_rate * _ratio(step, decay_steps, False))


@misconception(
    "inverse_time_decay",
    "inverse_time_decay.staircase_round",
    N_("staircase ratio rounded to the nearest integer (np.round) instead of down"),
    N_("use np.floor(step / decay_steps): the rate drops only once a full period of decay_steps is over"),
    examples=[((_STEPS, *_DECAY), {"staircase": True})],
)
def inv_round_stairs(step, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    p = np.asarray(step, dtype=np.float64) / decay_steps
    return initial_learning_rate / (1.0 + decay_rate * (np.round(p) if staircase else p))


@misconception(
    "inverse_time_decay",
    "inverse_time_decay.always_floor",
    N_("integer division step // decay_steps even when staircase=False: the rate always drops in stairs"),
    N_("use true division step / decay_steps; round down (np.floor) only when staircase=True"),
    examples=[((_STEPS, *_DECAY), {})],
)
def inv_int_division(step, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    return initial_learning_rate / (1.0 + decay_rate * _ratio(step, decay_steps, True))


@misconception(
    "inverse_time_decay",
    "inverse_time_decay.power_denominator",
    N_("(1 + decay_rate) ** (step / decay_steps) in the denominator: an exponential decay, not 1/t"),
    N_(
        "inverse-time decay is linear in the step below the fraction: initial_learning_rate / (1 + "
        "decay_rate * step / decay_steps)"
    ),
    examples=[((_STEPS, *_DECAY), {})],
)
def inv_power(step, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    return initial_learning_rate / (1.0 + decay_rate) ** _ratio(step, decay_steps, staircase)
