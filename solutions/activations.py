"""Activation functions (numpy-only).

An activation adds the non-linearity that lets a stack of layers fit curves: without one,
any number of Dense layers collapses into a single linear map. Implement each function with
NumPy only; the grader compares your results with ``tf.nn`` on the installed TensorFlow.

Conventions for every function here:

* ``x`` is a NumPy array of any shape, float32 or float64 (a Python scalar also works).
* The result has the same shape as ``x``; returning float32 or float64 is fine.
* Do not modify ``x`` in place.
"""

import numpy as np


def sigmoid(x):
    """Logistic function ``1 / (1 + exp(-x))``, elementwise; matches ``tf.nn.sigmoid``.

    Must not overflow (no RuntimeWarning, no NaN) for ``|x|`` up to 1000: ``exp(1000)`` is
    infinite in float64. Pick a form that only ever exponentiates non-positive numbers.

    Args:
        x: array of any shape.
    Returns:
        array of the same shape with values in [0, 1].
    """
    # BEGIN SOLUTION
    x = np.asarray(x, dtype=np.result_type(x, np.float32))
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out
    # END SOLUTION


def tanh(x):
    """Hyperbolic tangent, elementwise; matches ``tf.nn.tanh``. Zero-centred, range (-1, 1).

    Args:
        x: array of any shape.
    Returns:
        array of the same shape.
    """
    # BEGIN SOLUTION
    return np.tanh(x)
    # END SOLUTION


def relu(x):
    """Rectified linear unit ``max(x, 0)``, elementwise; matches ``tf.nn.relu``.

    Args:
        x: array of any shape.
    Returns:
        array of the same shape.
    """
    # BEGIN SOLUTION
    return np.maximum(x, 0)
    # END SOLUTION


def leaky_relu(x, alpha=0.2):
    """Leaky ReLU: ``x`` where ``x >= 0``, else ``alpha * x``; matches ``tf.nn.leaky_relu(x, alpha)``.

    Note: ``tf.nn.leaky_relu`` defaults to ``alpha=0.2`` while ``keras.layers.LeakyReLU``
    defaults to ``negative_slope=0.3``. This function follows ``tf.nn`` (0.2).

    Args:
        x: array of any shape.
        alpha: slope for negative inputs.
    Returns:
        array of the same shape.
    """
    # BEGIN SOLUTION
    x = np.asarray(x)
    return np.where(x >= 0, x, alpha * x)
    # END SOLUTION


def softmax(x, axis=-1):
    """Softmax along ``axis``: ``exp(x_i) / sum_j exp(x_j)``; matches ``tf.nn.softmax(x, axis)``.

    Turns scores into probabilities that are positive and sum to 1 along ``axis``. Must be
    stable for inputs like ``[1000, 1000, 999]``: shifting every score by the same constant
    does not change the result, so subtract the maximum along ``axis`` first.

    Args:
        x: array of any shape (e.g. ``(batch, classes)``).
        axis: the axis that sums to 1.
    Returns:
        array of the same shape.
    """
    # BEGIN SOLUTION
    x = np.asarray(x)
    z = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)
    # END SOLUTION


def sigmoid_grad(x):
    """Derivative of the sigmoid w.r.t. ``x``, elementwise: ``s * (1 - s)`` with ``s = sigmoid(x)``.

    Matches the gradient ``tf.GradientTape`` computes for ``tf.nn.sigmoid``. It is at most
    0.25 (at 0) and vanishes for large ``|x|``: the vanishing-gradient problem.

    Args:
        x: array of any shape.
    Returns:
        array of the same shape.
    """
    # BEGIN SOLUTION
    s = sigmoid(x)
    return s * (1.0 - s)
    # END SOLUTION


def tanh_grad(x):
    """Derivative of tanh w.r.t. ``x``, elementwise: ``1 - tanh(x)**2``.

    Args:
        x: array of any shape.
    Returns:
        array of the same shape.
    """
    # BEGIN SOLUTION
    t = np.tanh(x)
    return 1.0 - t * t
    # END SOLUTION


def relu_grad(x):
    """Derivative of ReLU w.r.t. ``x``, elementwise: 1 where ``x > 0``, else 0.

    At exactly 0 the derivative is taken as 0, as TensorFlow does.

    Args:
        x: array of any shape.
    Returns:
        array of the same shape (float).
    """
    # BEGIN SOLUTION
    x = np.asarray(x)
    return (x > 0).astype(np.result_type(x, np.float32))
    # END SOLUTION
