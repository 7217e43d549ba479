"""Correct schedules written as the course's a0*e^(-k t) and a0/(1 + k t) with the right k,
np.where chains and integer division for the stairs; returns 0-d arrays for int steps."""

import numpy as np


def piecewise_constant(step, boundaries, values):
    step = np.asarray(step)
    out = np.full(step.shape, float(values[-1]))
    for b, v in zip(reversed(boundaries), reversed(values[:-1])):
        out = np.where(step <= b, v, out)
    return out


def _t(step, decay_steps, staircase):
    step = np.asarray(step, dtype=np.int64)
    return (step // decay_steps).astype(np.float64) if staircase else step / decay_steps


def exponential_decay(step, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    k = -np.log(decay_rate)
    return initial_learning_rate * np.exp(-k * _t(step, decay_steps, staircase))


def inverse_time_decay(step, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    return initial_learning_rate / (1 + decay_rate * _t(step, decay_steps, staircase))
