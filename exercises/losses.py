"""Loss functions (numpy-only).

A loss measures how far the network's output is from the truth with one number; training
moves the weights to make that number smaller. Classification uses cross-entropy, regression
the absolute (L1), squared (L2) or Huber (smooth L1) error. Implement each function with
NumPy only; the grader compares your numbers with the ``keras.losses`` objects of the
installed Keras, created with their default arguments.

Conventions for every function here:

* ``y_true`` and ``y_pred`` are 2-D arrays of shape ``(batch, k)``: one row per sample,
  float32 or float64 (``sparse_categorical_crossentropy`` takes 1-D integer labels instead).
* Each Keras loss first reduces every sample (every row) to one number, then averages those
  numbers over the batch. Return that batch mean as a Python ``float`` (``float(value)``),
  not an array of per-sample losses.
* Keras computes in float32; computing in float64 is fine.
* Do not modify the inputs in place.
"""

import numpy as np

# Keras' fuzz factor (keras.backend.epsilon()): probabilities are clipped to [EPSILON, 1 - EPSILON]
# before taking logarithms, so that log(0) never happens.
EPSILON = 1e-7


def categorical_crossentropy(y_true, y_pred, from_logits=False):
    """Categorical cross-entropy, the batch mean; matches ``keras.losses.CategoricalCrossentropy``.

    Per sample ``L = -sum_j y_true[j] * log(p[j])``; the result is the mean of ``L`` over the
    batch. Each row of ``y_true`` is a probability distribution over the ``k`` classes
    (usually one-hot, but smoothed labels such as ``[0.05, 0.9, 0.05]`` are allowed).

    With ``from_logits=False`` (the default) ``y_pred`` holds probabilities and Keras:

    1. rescales every row of ``y_pred`` to sum to 1 (``p = y_pred / y_pred.sum(axis=-1)``);
    2. clips ``p`` to ``[EPSILON, 1 - EPSILON]`` so that a predicted probability of exactly 0
       gives a large finite loss (``-log(1e-7)`` = 16.118...) instead of ``inf``.

    With ``from_logits=True`` ``y_pred`` holds raw scores (logits) and ``p = softmax(y_pred)``;
    there is no clipping. Compute ``log(p)`` directly as ``z - logsumexp(z)`` with the row
    maximum subtracted first: logits like ``[1000, -1000, 0]`` must give a finite, exact loss
    (``exp(1000)`` overflows, and ``log(softmax(z))`` gives ``log(0)`` when a probability
    underflows).

    Example (the course notes): ``y_true = [[0, 1, 0], [0, 0, 1]]``,
    ``y_pred = [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]`` gives ``(-log 0.95 - log 0.1) / 2``.

    Args:
        y_true: (batch, k) array of target probabilities.
        y_pred: (batch, k) array of predicted probabilities, or logits if ``from_logits``.
        from_logits: whether ``y_pred`` holds logits.
    Returns:
        float: the mean loss over the batch.
    """
    # TODO: your code here.
    raise NotImplementedError("categorical_crossentropy")


def sparse_categorical_crossentropy(labels, y_pred, from_logits=False):
    """Categorical cross-entropy with integer labels; matches ``keras.losses.SparseCategoricalCrossentropy``.

    Same loss as :func:`categorical_crossentropy`, but the target of sample ``i`` is given as
    its class index ``labels[i]`` instead of a one-hot row: per sample
    ``L_i = -log(p[i, labels[i]])``; the result is the mean over the batch.

    With ``from_logits=False`` the rows of ``y_pred`` are probabilities (usually softmax
    outputs): Keras clips them to ``[EPSILON, 1 - EPSILON]`` as in
    :func:`categorical_crossentropy` and then rescales every clipped row to sum 1 (it takes
    the log-softmax of ``log(p)``), so ``p[i, j] = clip(y_pred)[i, j] / clip(y_pred)[i].sum()``
    and a row that does not sum to 1 counts as the distribution it is proportional to. (Note
    the order: categorical_crossentropy rescales first and clips afterwards.) With
    ``from_logits=True`` ``p = softmax(y_pred)`` computed stably (logits up to 1000 in
    magnitude).

    Example (the course notes' example with class indices): ``labels = [1, 2]``,
    ``y_pred = [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]``.

    Args:
        labels: 1-D integer array of shape (batch,), values in ``0..k-1``.
        y_pred: (batch, k) array of probabilities, or logits if ``from_logits``.
        from_logits: whether ``y_pred`` holds logits.
    Returns:
        float: the mean loss over the batch.
    """
    # TODO: your code here.
    raise NotImplementedError("sparse_categorical_crossentropy")


def binary_crossentropy(y_true, y_pred, from_logits=False):
    """Binary cross-entropy, the batch mean; matches ``keras.losses.BinaryCrossentropy``.

    Every entry is its own yes/no prediction: ``y_true`` holds target probabilities (0 or 1,
    or anything in between) and ``y_pred`` the predicted probability of "yes". Elementwise

        ``l = -(y * log(p) + (1 - y) * log(1 - p))``,

    averaged over the ``k`` columns of a row (the per-sample loss), then over the batch.
    With 2-D inputs that is the mean over all entries.

    With ``from_logits=False`` ``p`` is clipped to ``[EPSILON, 1 - EPSILON]`` first (Keras'
    rule), so probabilities of exactly 0 or 1 give a finite loss. (The textbook variant
    ``log(p + EPSILON)`` / ``log(1 - p + EPSILON)`` also passes.)

    With ``from_logits=True`` ``y_pred`` holds logits ``x`` and ``p = sigmoid(x)``. Use the
    stable form ``max(x, 0) - x * y + log(1 + exp(-|x|))`` (what
    ``tf.nn.sigmoid_cross_entropy_with_logits`` computes): logits of magnitude 1000 must give
    an exact finite loss (e.g. 1000 for ``x = -1000, y = 1``), which clipped probabilities
    cannot.

    Args:
        y_true: (batch, k) array of targets in [0, 1].
        y_pred: (batch, k) array of probabilities, or logits if ``from_logits``.
        from_logits: whether ``y_pred`` holds logits.
    Returns:
        float: the mean loss over the batch.
    """
    # TODO: your code here.
    raise NotImplementedError("binary_crossentropy")


def mean_absolute_error(y_true, y_pred):
    """Mean absolute error (L1 loss); matches ``keras.losses.MeanAbsoluteError``.

    Per sample the mean of ``|y_true - y_pred|`` over the row, then the mean over the batch.

    Example (the course notes): ``y_true = [[0.], [0.]]``, ``y_pred = [[1.], [1.]]`` gives 1.0.

    Args:
        y_true: (batch, k) array.
        y_pred: (batch, k) array.
    Returns:
        float: the mean loss over the batch.
    """
    # TODO: your code here.
    raise NotImplementedError("mean_absolute_error")


def mean_squared_error(y_true, y_pred):
    """Mean squared error (L2 loss); matches ``keras.losses.MeanSquaredError``.

    Per sample the mean of ``(y_true - y_pred)**2`` over the row, then the mean over the batch.
    There is no factor 1/2.

    Example (the course notes): ``y_true = [[0.], [1.]]``, ``y_pred = [[1.], [1.]]`` gives 0.5.

    Args:
        y_true: (batch, k) array.
        y_pred: (batch, k) array.
    Returns:
        float: the mean loss over the batch.
    """
    # TODO: your code here.
    raise NotImplementedError("mean_squared_error")


def huber(y_true, y_pred, delta=1.0):
    """Huber loss (smooth L1); matches ``keras.losses.Huber(delta=delta)``.

    With ``e = y_pred - y_true`` elementwise:

    * ``0.5 * e**2``                        where ``|e| <= delta`` (quadratic near 0),
    * ``delta * |e| - 0.5 * delta**2``      where ``|e| > delta``  (linear for outliers).

    The two pieces meet with the same value and slope at ``|e| = delta``. Average over the
    row, then over the batch.

    Example (the course notes): ``y_true = [[0], [1]]``, ``y_pred = [[0.6], [0.4]]``.

    Args:
        y_true: (batch, k) array.
        y_pred: (batch, k) array.
        delta: positive float, where the quadratic part turns linear.
    Returns:
        float: the mean loss over the batch.
    """
    # TODO: your code here.
    raise NotImplementedError("huber")
