"""Regularization (numpy-only).

Regularization fights overfitting. This module rebuilds, with NumPy, the tools the course
uses: weight penalties (``keras.regularizers``), dropout (``keras.layers.Dropout``), batch
normalization (``keras.layers.BatchNormalization``) and the stopping rule of
``keras.callbacks.EarlyStopping``. The grader runs the Keras versions on the installed
TensorFlow with the same inputs and compares.

Conventions: array inputs are NumPy arrays, float32 or float64; returning float32 or
float64 is fine. Do not modify any input array in place. Random choices (dropout) must come
from the ``rng`` argument, a ``numpy.random.Generator``, never from ``np.random.*``.
"""

import numpy as np


def l1_penalty(w, l1=0.01):
    """L1 weight penalty ``l1 * sum(|w|)``; matches ``keras.regularizers.L1(l1)(w)``.

    Args:
        w: weight array of any shape (a Dense kernel, a conv kernel, ...).
        l1: regularization factor.
    Returns:
        the penalty as a Python float (a NumPy scalar is fine too).
    """
    # BEGIN SOLUTION
    return float(l1 * np.sum(np.abs(w)))
    # END SOLUTION


def l2_penalty(w, l2=0.01):
    """L2 weight penalty ``l2 * sum(w**2)``; matches ``keras.regularizers.L2(l2)(w)``.

    Keras has **no** factor ½ here (some textbooks write ``λ/2 · ||w||²``), and it is the
    plain sum of squares, not the Euclidean norm.

    Args:
        w: weight array of any shape.
        l2: regularization factor.
    Returns:
        the penalty as a Python float.
    """
    # BEGIN SOLUTION
    w = np.asarray(w)
    return float(l2 * np.sum(w * w))
    # END SOLUTION


def l1_l2_penalty(w, l1=0.0, l2=0.0):
    """Both penalties added: ``l1 * sum(|w|) + l2 * sum(w**2)``.

    Matches ``keras.regularizers.L1L2(l1, l2)(w)``; note both factors default to 0 there.

    Args:
        w: weight array of any shape.
        l1, l2: regularization factors.
    Returns:
        the penalty as a Python float.
    """
    # BEGIN SOLUTION
    return l1_penalty(w, l1) + l2_penalty(w, l2)
    # END SOLUTION


def dropout(x, rate, rng, training=True):
    """Inverted dropout, as ``keras.layers.Dropout(rate)(x, training=training)`` applies it.

    In training, every element is dropped (set to 0) independently with probability
    ``rate``; the elements that survive are scaled by ``1 / (1 - rate)`` so that the expected
    value of each element is unchanged. With ``training=False`` the input comes back
    unchanged (no dropping, no scaling). ``rate = 0`` keeps everything, ``rate = 1`` drops
    everything (the result is all zeros, not NaN).

    Args:
        x: array of any shape, e.g. ``(batch, features)``.
        rate: probability of dropping each element, in [0, 1].
        rng: ``numpy.random.Generator``; draw the random mask from it.
        training: apply dropout only when True.
    Returns:
        array of the same shape as ``x``.
    """
    # BEGIN SOLUTION
    x = np.asarray(x)
    if not training or rate == 0:
        return x.copy()
    if rate >= 1:
        return np.zeros_like(x)
    keep = rng.random(x.shape) >= rate
    return np.where(keep, x / (1.0 - rate), 0).astype(x.dtype)
    # END SOLUTION


def batch_norm(x, gamma, beta, moving_mean, moving_var, training, momentum=0.99, epsilon=1e-3):
    """Batch normalization of a ``(batch, features)`` array, like ``keras.layers.BatchNormalization``.

    Training (``training=True``): normalize with the statistics of this batch, per feature
    (over axis 0): ``mean`` and the **biased** variance ``var`` (divide by ``batch``, not
    ``batch - 1``), ``y = gamma * (x - mean) / sqrt(var + epsilon) + beta``, and update the
    moving statistics Keras keeps for inference:
    ``new_moving_mean = momentum * moving_mean + (1 - momentum) * mean`` (same for the
    variance with ``var``).

    Inference (``training=False``): normalize with the moving statistics instead,
    ``y = gamma * (x - moving_mean) / sqrt(moving_var + epsilon) + beta``, and return them
    unchanged.

    Args:
        x: array ``(batch, features)``.
        gamma, beta: arrays ``(features,)``, the learned scale and offset.
        moving_mean, moving_var: arrays ``(features,)``, the running statistics.
        training: bool, see above.
        momentum: weight of the old moving statistics in the update.
        epsilon: small constant added to the variance inside the square root.
    Returns:
        tuple ``(y, new_moving_mean, new_moving_var)``: ``y`` of shape ``(batch, features)``,
        the moving statistics of shape ``(features,)``.
    """
    # BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    moving_mean = np.asarray(moving_mean, dtype=np.float64)
    moving_var = np.asarray(moving_var, dtype=np.float64)
    if training:
        mean = x.mean(axis=0)
        var = x.var(axis=0)
        new_mean = momentum * moving_mean + (1.0 - momentum) * mean
        new_var = momentum * moving_var + (1.0 - momentum) * var
    else:
        mean, var = moving_mean, moving_var
        new_mean, new_var = moving_mean.copy(), moving_var.copy()
    y = gamma * (x - mean) / np.sqrt(var + epsilon) + beta
    return y, new_mean, new_var
    # END SOLUTION


def early_stopping_epochs(values, patience, min_delta=0.0, mode="min"):
    """How many epochs run before ``keras.callbacks.EarlyStopping`` stops training.

    ``values[i]`` is the monitored quantity at the end of epoch ``i`` (0-based). Keras'
    rule, applied at the end of every epoch:

    * the first value is always an improvement and becomes the ``best`` value;
    * a value ``v`` is an improvement if it beats ``best`` by *more than* ``min_delta``:
      ``v < best - min_delta`` in mode ``"min"``, ``v > best + min_delta`` in mode ``"max"``.
      An improvement becomes the new ``best`` and resets the count of bad epochs;
    * otherwise the count of consecutive epochs without improvement grows by one, and when
      it reaches ``patience`` training stops after this epoch.

    Args:
        values: sequence (list or 1-D array) of floats, one per epoch.
        patience: number of epochs without improvement after which training stops.
        min_delta: minimum change that counts as an improvement (>= 0).
        mode: ``"min"`` (lower is better, e.g. a loss) or ``"max"`` (e.g. an accuracy).
    Returns:
        int: the number of epochs run (``len(values)`` if training never stops early).
        The course notes' example, losses ``[3.66e16, 4.8e34, inf, inf, ...]`` with
        ``patience=3``, runs 4 epochs.
    """
    # BEGIN SOLUTION
    values = [float(v) for v in values]
    best = None
    wait = 0
    for epoch, v in enumerate(values):
        if best is None:
            improved = True
        elif mode == "max":
            improved = v - min_delta > best
        else:
            improved = v + min_delta < best
        if improved:
            best = v
            wait = 0
            continue
        wait += 1
        if wait >= patience:
            return epoch + 1
    return len(values)
    # END SOLUTION
