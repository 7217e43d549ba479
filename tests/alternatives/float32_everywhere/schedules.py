"""Correct schedules in float32 arithmetic with np.select / a loop-free comparison sum."""

import numpy as np

F = np.float32


def piecewise_constant(step, boundaries, values):
    step = np.asarray(step)
    vals = np.asarray(values, dtype=F)
    # count how many boundaries lie strictly below the step
    idx = (step[..., None] > np.asarray(boundaries)).sum(axis=-1)
    return vals[idx]


def exponential_decay(step, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    p = np.asarray(step, dtype=F) / F(decay_steps)
    if staircase:
        p = np.floor(p)
    return F(initial_learning_rate) * np.power(F(decay_rate), p)


def inverse_time_decay(step, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    p = np.asarray(step, dtype=F) / F(decay_steps)
    if staircase:
        p = np.floor(p)
    return F(initial_learning_rate) / (F(1) + F(decay_rate) * p)
