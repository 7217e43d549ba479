"""Backpropagation (numpy-only).

Backpropagation applies the chain rule from the loss back to every weight: each layer
receives the gradient of the loss with respect to its output (``dout``) and returns the
gradients with respect to its input and its parameters. Implement each function with NumPy
only; the grader compares your gradients with ``tf.GradientTape`` on the installed
TensorFlow and with exact analytic gradients.

Conventions for every function here:

* Arrays are float32 or float64; a batch of samples is stored row by row, ``x`` of shape
  ``(batch, features)``.
* A gradient has the same shape as the thing it is the gradient of.
* Do not modify the inputs in place.
"""

import numpy as np


def numerical_gradient(f, x, h=1e-5):
    """Central-difference estimate of the gradient of a scalar function ``f`` at ``x``.

    For every entry ``x[i]`` (``i`` a multi-index: ``x`` may be 1-D, 2-D or more):

        ``grad[i] = (f(x + h*e_i) - f(x - h*e_i)) / (2*h)``

    where ``e_i`` is 1 at position ``i`` and 0 elsewhere. The central difference is much more
    accurate than the forward difference ``(f(x + h*e_i) - f(x)) / h`` (error of order h**2
    instead of h); the grader's tolerance needs it.

    ``x`` must be unchanged afterwards, bit for bit. If you perturb ``x`` in place, save the
    old value and put it back with ``x[i] = old`` (adding and subtracting ``h`` leaves rounding
    errors behind); or work on a copy. ``np.nditer(x, flags=["multi_index"])`` or
    ``np.ndindex(x.shape)`` walk over all indices of an array of any shape.

    Args:
        f: a function taking an array shaped like ``x`` and returning a float.
        x: float32 or float64 array of any shape. Take the differences in float64 (work on
            ``np.array(x, dtype=np.float64)``): in float32, ``x + 1e-5`` is rounded to the
            nearest float32 (~6e-8 away) and the quotient keeps only ~3 digits.
        h: the step.
    Returns:
        array of the same shape as ``x``: the estimated gradient.
    """
    # BEGIN SOLUTION
    x = np.array(x, dtype=np.result_type(x, np.float64), copy=True)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old - h
        f_minus = f(x)
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad
    # END SOLUTION


def dense_forward(x, W, b):
    """Forward pass of a Dense layer without activation: ``out = x @ W + b``.

    Args:
        x: (batch, d_in) inputs.
        W: (d_in, d_out) weights (Keras' kernel layout).
        b: (d_out,) bias, added to every row.
    Returns:
        (batch, d_out) array.
    """
    # BEGIN SOLUTION
    return np.asarray(x) @ np.asarray(W) + np.asarray(b)
    # END SOLUTION


def dense_backward(dout, x, W):
    """Backward pass of ``out = x @ W + b``: gradients of the loss given ``dout = dL/dout``.

    By the chain rule, with ``dout`` of shape (batch, d_out):

    * ``dx = dout @ W.T``        shape (batch, d_in), one row per sample;
    * ``dW = x.T @ dout``        shape (d_in, d_out), summed over the batch;
    * ``db = dout.sum(axis=0)``  shape (d_out,), summed over the batch (b was added to every row).

    Matches what ``tf.GradientTape`` returns for ``x``, ``W`` and ``b`` when the loss is
    ``sum(dout * (x @ W + b))``.

    Args:
        dout: (batch, d_out) upstream gradient.
        x: (batch, d_in) the layer's input in the forward pass.
        W: (d_in, d_out) weights.
    Returns:
        tuple ``(dx, dW, db)`` of arrays with the shapes above.
    """
    # BEGIN SOLUTION
    dout, x, W = np.asarray(dout), np.asarray(x), np.asarray(W)
    dx = dout @ W.T
    dW = x.T @ dout
    db = np.sum(dout, axis=0)
    return dx, dW, db
    # END SOLUTION


def mlp_loss_and_grads(params, x, y):
    """Loss and gradients of a two-layer network with ReLU and softmax cross-entropy.

    The network (``n`` samples, ``d`` features, ``h`` hidden units, ``c`` classes)::

        z1     = x @ W1 + b1          # (n, h)
        a1     = relu(z1)             # (n, h)
        logits = a1 @ W2 + b2         # (n, c)
        loss   = mean over the n samples of -sum_j y[j] * log(softmax(logits)[j])

    This is ``keras.losses.CategoricalCrossentropy(from_logits=True)(y, logits)``. Compute the
    log-softmax stably (subtract the row maximum first): the grader uses weights that make
    logits of magnitude 1000.

    Backward pass: ``dlogits = (softmax(logits) - y) / n`` (the 1/n comes from the batch mean),
    then apply ``dense_backward``-style rules to each layer; the ReLU passes the gradient only
    where ``z1 > 0``.

    Args:
        params: dict with ``"W1"`` (d, h), ``"b1"`` (h,), ``"W2"`` (h, c), ``"b2"`` (c,).
        x: (n, d) inputs.
        y: (n, c) one-hot targets.
    Returns:
        ``(loss, grads)``: ``loss`` a Python float, ``grads`` a dict with the same keys as
        ``params`` holding arrays of the same shapes (the gradient of ``loss`` w.r.t. each).
        Do not modify ``params``.
    """
    # BEGIN SOLUTION
    W1, b1, W2, b2 = (np.asarray(params[k]) for k in ("W1", "b1", "W2", "b2"))
    x, y = np.asarray(x), np.asarray(y)
    n = x.shape[0]
    z1 = x @ W1 + b1
    a1 = np.maximum(z1, 0)
    logits = a1 @ W2 + b2
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_sum = np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    log_p = shifted - log_sum
    loss = -np.sum(y * log_p) / n
    dlogits = (np.exp(log_p) - y) / n
    dW2 = a1.T @ dlogits
    db2 = np.sum(dlogits, axis=0)
    da1 = dlogits @ W2.T
    dz1 = da1 * (z1 > 0)
    dW1 = x.T @ dz1
    db1 = np.sum(dz1, axis=0)
    return float(loss), {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    # END SOLUTION
