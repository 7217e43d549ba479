"""Optimizers (numpy-only): one update step of SGD, momentum, Adagrad, RMSprop and Adam.

Training repeats "compute the gradient ``g`` of the loss at the weights ``w``, then move
``w`` a little against it". The optimizers differ in how they turn ``g`` into a step: plain
SGD uses ``g`` as it is, momentum averages past gradients, Adagrad and RMSprop divide by the
size of recent gradients (a learning rate per weight), Adam does both. Implement ONE update
per call with NumPy only; the grader feeds your function the gradients of a quadratic bowl
step after step and compares the weights with the trajectory of the Keras optimizer
(``keras.optimizers.SGD``/``Adagrad``/``RMSprop``/``Adam`` via ``apply_gradients``).

Conventions for every function here:

* ``w`` and ``g`` are NumPy arrays of the same shape (any shape: a vector, a matrix, a conv
  kernel), float32 or float64. ``g`` is the gradient of the loss at ``w``.
* Return NEW arrays; do not modify ``w``, ``g`` or the state arrays in place (``w -= ...``
  changes the caller's array: write ``w = w - ...`` instead).
* The state arrays (velocity, accumulator, ``m``, ``v``) are yours: the grader passes back
  whatever your previous call returned, starting from the documented initial value. Only
  ``w`` is compared with Keras, so any state convention that yields Keras' weights is fine.
* float32 or float64 arithmetic are both fine; the tolerance allows for float32 rounding.
"""

import numpy as np


def sgd_step(w, g, lr=0.01):
    """One step of plain (stochastic) gradient descent; matches ``keras.optimizers.SGD(lr)``.

    The update is ``w_new = w - lr * g``. Example from the course: loss ``w**2 / 2`` at
    ``w = 1`` has gradient 1, so with ``lr = 0.1`` the new weight is 0.9.

    Args:
        w: weights, array of any shape.
        g: gradient of the loss at ``w``, same shape.
        lr: learning rate (Keras' default is 0.01).
    Returns:
        the new weights, an array of the same shape as ``w``.
    """
    # TODO: your code here.
    raise NotImplementedError("sgd_step")


def momentum_step(w, g, velocity, lr=0.01, momentum=0.9, nesterov=False):
    """One step of SGD with momentum; matches ``keras.optimizers.SGD(lr, momentum, nesterov)``.

    Keras keeps a velocity ``v`` (zeros before the first step) and updates

        v_new = momentum * v - lr * g
        w_new = w + v_new                                   (nesterov=False)
        w_new = w + momentum * v_new - lr * g               (nesterov=True)

    The Nesterov form moves along the velocity it is about to have ("look ahead"). The
    PyTorch-style convention ``v_new = momentum * v + g; w_new = w - lr * v_new`` (and its
    Nesterov form ``w_new = w - lr * (g + momentum * v_new)``) gives the same weights and is
    accepted too. Course example: loss ``w**2/2`` from ``w = 1`` with ``lr = 0.1`` and
    ``momentum = 0.9`` moves 0.1 in the first step and 0.18 in the second.

    Args:
        w: weights, array of any shape.
        g: gradient of the loss at ``w``, same shape.
        velocity: your state from the previous call (zeros of ``w``'s shape at the start).
        lr: learning rate.
        momentum: how much of the previous velocity is kept, in [0, 1).
        nesterov: use Nesterov accelerated gradient.
    Returns:
        tuple ``(w_new, velocity_new)`` of arrays shaped like ``w``.
    """
    # TODO: your code here.
    raise NotImplementedError("momentum_step")


def adagrad_step(w, g, accumulator, lr=0.001, epsilon=1e-7):
    """One Adagrad step; matches ``keras.optimizers.Adagrad(lr, initial_accumulator_value=0.1, epsilon)``.

    Adagrad sums the squared gradients of every weight and divides the step by the square
    root of that sum, so weights with large past gradients take smaller steps:

        acc_new = acc + g**2
        w_new   = w - lr * g / sqrt(acc_new + epsilon)

    (the accumulator is updated BEFORE it is used). Keras puts epsilon inside the square
    root; the textbook ``sqrt(acc_new) + epsilon`` is accepted too. The accumulator starts at
    0.1 (Keras' ``initial_accumulator_value``), not at 0. Course example: loss ``w**2/2``
    from ``w = 1`` with ``lr = 0.1`` gives about 0.9046537.

    Args:
        w: weights, array of any shape.
        g: gradient of the loss at ``w``, same shape.
        accumulator: your state (an array filled with 0.1 at the start).
        lr: learning rate.
        epsilon: small constant for numerical stability.
    Returns:
        tuple ``(w_new, accumulator_new)`` of arrays shaped like ``w``.
    """
    # TODO: your code here.
    raise NotImplementedError("adagrad_step")


def rmsprop_step(w, g, velocity, lr=0.001, rho=0.9, epsilon=1e-7):
    """One RMSprop step; matches ``keras.optimizers.RMSprop(lr, rho, epsilon)`` (no momentum, not centered).

    RMSprop replaces Adagrad's ever-growing sum by an exponential moving average of the
    squared gradients, so the effective learning rate stops shrinking:

        v_new = rho * v + (1 - rho) * g**2
        w_new = w - lr * g / sqrt(v_new + epsilon)

    ``v`` starts at 0 and is updated BEFORE it is used. Keras puts epsilon inside the square
    root; ``sqrt(v_new) + epsilon`` is accepted too. Course example: loss ``w**2/2`` from
    ``w = 1`` with ``lr = 0.1`` gives about 0.6837723 (the first step is large because
    ``v_new`` is only ``(1 - rho) * g**2``).

    Args:
        w: weights, array of any shape.
        g: gradient of the loss at ``w``, same shape.
        velocity: your state, the moving average ``v`` (zeros at the start).
        lr: learning rate.
        rho: decay of the moving average (how much of the old average is kept).
        epsilon: small constant for numerical stability.
    Returns:
        tuple ``(w_new, velocity_new)`` of arrays shaped like ``w``.
    """
    # TODO: your code here.
    raise NotImplementedError("rmsprop_step")


def adam_step(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """One Adam step; matches ``keras.optimizers.Adam(lr, beta_1, beta_2, epsilon)``.

    Adam keeps moving averages of the gradient (``m``, like momentum) and of its square
    (``v``, like RMSprop), both starting at 0. Because they start at 0 they are too small in
    the first steps, so they are divided by ``1 - beta**t`` (bias correction), where ``t`` is
    the 1-based number of this step (1 on the first call):

        m_new = beta_1 * m + (1 - beta_1) * g
        v_new = beta_2 * v + (1 - beta_2) * g**2
        m_hat = m_new / (1 - beta_1**t),   v_hat = v_new / (1 - beta_2**t)
        w_new = w - lr * m_hat / (sqrt(v_hat) + epsilon)

    Keras folds the corrections into the step size instead,
    ``w_new = w - lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m_new / (sqrt(v_new) + epsilon)``;
    the two differ only in where the tiny epsilon sits and both are accepted. Course
    example: loss ``w**2/2`` from ``w = 1`` with ``lr = 0.1`` gives about 0.9 (the first
    Adam step has length about ``lr`` whatever the gradient's size).

    Args:
        w: weights, array of any shape.
        g: gradient of the loss at ``w``, same shape.
        m: your first-moment state (zeros at the start).
        v: your second-moment state (zeros at the start).
        t: the step number, 1 for the first update, 2 for the second, ...
        lr: learning rate.
        beta_1: decay of the gradient average.
        beta_2: decay of the squared-gradient average.
        epsilon: small constant for numerical stability.
    Returns:
        tuple ``(w_new, m_new, v_new)`` of arrays shaped like ``w``.
    """
    # TODO: your code here.
    raise NotImplementedError("adam_step")
