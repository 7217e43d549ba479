"""Learning-rate schedules (numpy-only).

Late in training a large learning rate makes the loss oscillate around the minimum, while
a rate that shrinks too fast stalls learning. A schedule maps the optimizer's step counter
to a learning rate. Implement three of Keras' schedules with NumPy only; the grader compares
your values with ``keras.optimizers.schedules`` evaluated at the same steps.

Conventions for every function here:

* ``step`` is a Python int or a NumPy integer array of any shape (several steps at once).
* For an int step return a single number (a Python float, a NumPy scalar or a 0-d array);
  for an array return a NumPy array of the same shape (not a list), one rate per step.
  Write the formulas with array operations (``np.where``, ``np.floor``, ``**``) so the same
  code handles both: ``if step <= b`` and ``math.floor`` fail on arrays.
* Keras computes in float32; float64 results are fine.
"""

import numpy as np


def piecewise_constant(step, boundaries, values):
    """Piecewise constant rate; matches ``keras.optimizers.schedules.PiecewiseConstantDecay``.

    With ``boundaries = [b0, b1, ...]`` (increasing ints) and one more value than
    boundaries, the rate is ``values[0]`` while ``step <= b0``, ``values[1]`` while
    ``b0 < step <= b1``, ..., and ``values[-1]`` after the last boundary. Note ``<=``: at
    exactly ``step == b0`` the rate is still ``values[0]``. Course example:
    ``boundaries = [100000, 110000]``, ``values = [1.0, 0.5, 0.1]`` gives 1.0 up to step
    100000, 0.5 from 100001 to 110000 and 0.1 afterwards.

    Args:
        step: int or int array.
        boundaries: list of increasing ints, length k.
        values: list of k + 1 floats.
    Returns:
        the rate(s), shaped like ``step``.
    """
    # TODO: your code here.
    raise NotImplementedError("piecewise_constant")


def exponential_decay(step, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    """Exponential decay; matches ``keras.optimizers.schedules.ExponentialDecay``.

    ``rate = initial_learning_rate * decay_rate ** (step / decay_steps)``: the rate is
    multiplied by ``decay_rate`` every ``decay_steps`` steps. With ``staircase=True`` the
    exponent is rounded DOWN, ``floor(step / decay_steps)``, so the rate drops in discrete
    stairs. (The course writes this as ``a0 * e^(-k t)``; Keras' parameters are the base
    ``decay_rate`` and the period ``decay_steps``, not a rate constant k.)

    Args:
        step: int or int array.
        initial_learning_rate: the rate at step 0.
        decay_steps: positive int, the period of one decay by ``decay_rate``.
        decay_rate: the factor applied per period.
        staircase: round the exponent down to an integer.
    Returns:
        the rate(s), shaped like ``step``.
    """
    # TODO: your code here.
    raise NotImplementedError("exponential_decay")


def inverse_time_decay(step, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    """Inverse-time (1/t) decay; matches ``keras.optimizers.schedules.InverseTimeDecay``.

    ``rate = initial_learning_rate / (1 + decay_rate * step / decay_steps)``; with
    ``staircase=True`` the ratio ``step / decay_steps`` is rounded DOWN first. (The course's
    ``a0 / (1 + k t)`` with ``k = decay_rate / decay_steps``.)

    Args:
        step: int or int array.
        initial_learning_rate: the rate at step 0.
        decay_steps: positive int.
        decay_rate: how fast the rate falls.
        staircase: round ``step / decay_steps`` down to an integer.
    Returns:
        the rate(s), shaped like ``step``.
    """
    # TODO: your code here.
    raise NotImplementedError("inverse_time_decay")
