"""Classic slips in the backprop topic.

``numerical_gradient`` variants return ``(wrong, reference)`` and compare with a tight ``match``:
the checks need 1e-6 relative accuracy, far below ``same()``'s loose tolerance, and the
reference lets a variant refuse to fire on calls where the mistake changes nothing (e.g. a
forgotten restore on a separable function, or a hard-coded h on a call with the default h).
"""

import numpy as np

from grader.course.misconceptions import misconception, same
from grader.i18n import N_

# ------------------------------------------------------------------------ numerical_gradient

# Below the checks' 1e-7 / 1e-6 tolerance and far above the ~1e-11 rounding of a difference quotient.
_NG_RTOL, _NG_ATOL = 1e-8, 1e-9
# Steps students hard-code (1e-4 is the 深度学习入门 textbook's, 1e-5 the signature's default).
_FIXED_STEPS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7)


def _close(a, b) -> bool:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=_NG_RTOL, atol=_NG_ATOL, equal_nan=True))


def _ng_match(got: list, want: list) -> bool:
    """The student's values equal the mistake's on every call, and the mistake shows on one of them."""
    return (
        len(got) == len(want)
        and all(_close(g, w) for g, (w, _ref) in zip(got, want, strict=False))
        and any(not _close(w, ref) for w, ref in want)
    )


def _central(f, x, h):
    x = np.array(x, dtype=np.float64, copy=True)
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


class _Wavy:
    """A curvy scalar function for the examples: sum(sin(3 x)) + (sum(x))**2 / 2 couples all entries."""

    def __call__(self, x):
        x = np.asarray(x, dtype=np.float64)
        return float(np.sum(np.sin(3 * x)) + 0.5 * np.sum(x) ** 2)


_X = np.array([[0.3, -0.7, 1.1], [0.5, -1.2, 0.2]])
_NG_EXAMPLES = [((_Wavy(), _X), {"h": 0.05})]


@misconception(
    "numerical_gradient",
    "numerical_gradient.forward_difference",
    N_("the forward difference (f(x + h*e_i) - f(x)) / h instead of the central difference"),
    N_("use grad[i] = (f(x + h*e_i) - f(x - h*e_i)) / (2*h): its error is of order h**2 instead of h"),
    examples=_NG_EXAMPLES,
    match=_ng_match,
)
def ng_forward(f, x, h=1e-5):
    x = np.array(x, dtype=np.float64, copy=True)
    grad = np.zeros_like(x)
    f0 = f(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old
        grad[idx] = (f_plus - f0) / h
    return grad, _central(f, x, h)


@misconception(
    "numerical_gradient",
    "numerical_gradient.divided_by_h",
    N_("the central difference divided by h instead of 2*h (every entry twice too large)"),
    N_("x + h*e_i and x - h*e_i are 2*h apart: grad[i] = (f(x + h*e_i) - f(x - h*e_i)) / (2*h)"),
    examples=_NG_EXAMPLES,
    match=_ng_match,
)
def ng_over_h(f, x, h=1e-5):
    return 2 * _central(f, x, h), _central(f, x, h)


@misconception(
    "numerical_gradient",
    "numerical_gradient.not_restored",
    N_("x[i] not restored after perturbing it, so every later partial derivative is taken at a shifted point"),
    N_(
        "save old = x[i], evaluate f at old + h and old - h, then put x[i] = old back before the next entry (or "
        "perturb a copy of x)"
    ),
    examples=_NG_EXAMPLES,
    match=_ng_match,
)
def ng_not_restored(f, x, h=1e-5):
    ref = _central(f, x, h)
    x = np.array(x, dtype=np.float64, copy=True)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old - h
        f_minus = f(x)
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad, ref


def _fixed_step_match(got: list, want: list) -> bool:
    """Some one hard-coded step explains every call (and differs from the h actually passed)."""
    return any(_ng_match(got, [(w[step], ref) for w, ref in want]) for step in _FIXED_STEPS)


@misconception(
    "numerical_gradient",
    "numerical_gradient.fixed_step",
    N_("a hard-coded step (such as h = 1e-4) used instead of the h argument"),
    N_(
        "keep the signature numerical_gradient(f, x, h=1e-5) and use that h, both in x + h*e_i, x - h*e_i and in the "
        "division by 2*h"
    ),
    examples=_NG_EXAMPLES,
    match=_fixed_step_match,
)
def ng_fixed_step(f, x, h=1e-5):
    return {step: _central(f, x, step) for step in _FIXED_STEPS}, _central(f, x, h)


def _float32_central(f, x, h):
    """The central difference with x perturbed in float32 (x + h rounded to a float32)."""
    x = np.array(x, dtype=np.float32, copy=True)
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old - h
        f_minus = f(x)
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def _float32_match(got: list, want: list) -> bool:
    """The gradient kept in float64 or stored in a float32 array explains every call."""
    return any(_ng_match(got, [(w[j], ref) for w, ref in want]) for j in (0, 1))


@misconception(
    "numerical_gradient",
    "numerical_gradient.float32_differences",
    N_(
        "the differences taken in float32: x + h and x - h are rounded to the nearest float32 (about 6e-8 "
        "away for |x| near 1), so with h = 1e-5 the quotient is off by about 1e-3"
    ),
    N_(
        "perturb a float64 copy of x, whatever its dtype: x = np.array(x, dtype=np.float64), then the "
        "central difference as before"
    ),
    examples=[((_Wavy(), _X.astype(np.float32)), {})],
    match=_float32_match,
)
def ng_float32(f, x, h=1e-5):
    wrong = _float32_central(f, x, h)
    return (wrong, wrong.astype(np.float32)), _central(f, x, h)


# ----------------------------------------------------------------------------- dense layer

_rng = np.random.default_rng(0)
_DX = _rng.normal(size=(4, 3))
_DW = _rng.normal(size=(3, 2))
_DB = _rng.normal(size=(2,))
_DOUT = _rng.normal(size=(4, 2))


@misconception(
    "dense_forward",
    "dense_forward.no_bias",
    N_("the bias b not added"),
    N_("out = x @ W + b: b, shape (d_out,), broadcasts over the rows"),
    examples=[((_DX, _DW, _DB), {})],
)
def dense_no_bias(x, W, b):
    return np.asarray(x) @ np.asarray(W)


@misconception(
    "dense_forward",
    "dense_forward.relu_applied",
    N_("a ReLU applied: this layer has no activation"),
    N_("return x @ W + b as it is, negative values included; the activation is a separate step"),
    examples=[((_DX, _DW, _DB), {})],
)
def dense_relu(x, W, b):
    return np.maximum(np.asarray(x) @ np.asarray(W) + np.asarray(b), 0)


def _dense_backward(dout, x, W):
    dout, x, W = np.asarray(dout), np.asarray(x), np.asarray(W)
    return dout @ W.T, x.T @ dout, np.sum(dout, axis=0)


_DB_EXAMPLES = [((_DOUT, _DX, _DW), {})]


@misconception(
    "dense_backward",
    "dense_backward.db_mean",
    N_("db averaged over the batch instead of summed"),
    N_(
        "b is added to every row, so every row's gradient adds up: db = dout.sum(axis=0); any 1/batch belongs to the "
        "loss, and it is already inside dout"
    ),
    examples=_DB_EXAMPLES,
    project=lambda v: v[2],
)
def dense_db_mean(dout, x, W):
    dx, dW, _ = _dense_backward(dout, x, W)
    return dx, dW, np.mean(np.asarray(dout), axis=0)


@misconception(
    "dense_backward",
    "dense_backward.db_not_summed",
    N_("db = dout, one row per sample, instead of summed over the batch"),
    N_("db must have the shape of b, (d_out,): db = dout.sum(axis=0)"),
    examples=_DB_EXAMPLES,
    project=lambda v: v[2],
)
def dense_db_rows(dout, x, W):
    dx, dW, _ = _dense_backward(dout, x, W)
    return dx, dW, np.asarray(dout)


@misconception(
    "dense_backward",
    "dense_backward.dW_transposed",
    N_("dW = dout.T @ x, the transpose of the gradient (shape (d_out, d_in))"),
    N_("dW must have the shape of W, (d_in, d_out): dW = x.T @ dout"),
    examples=_DB_EXAMPLES,
    project=lambda v: v[1],
)
def dense_dW_transposed(dout, x, W):
    dx, _, db = _dense_backward(dout, x, W)
    return dx, np.asarray(dout).T @ np.asarray(x), db


@misconception(
    "dense_backward",
    "dense_backward.dW_mean",
    N_("dW divided by the batch size"),
    N_("dW = x.T @ dout, summed over the batch; the 1/batch of a mean loss is already inside dout"),
    examples=_DB_EXAMPLES,
    project=lambda v: v[1],
)
def dense_dW_mean(dout, x, W):
    dx, dW, db = _dense_backward(dout, x, W)
    return dx, dW / np.asarray(x).shape[0], db


# ---------------------------------------------------------------------- mlp_loss_and_grads

_KEYS = ("W1", "b1", "W2", "b2")


def _mlp(params, x, y, *, mean_loss=True, mean_grads=True, relu_back="mask", dW2_from="a1", log_softmax="stable"):
    """The reference network with switches for the classic slips."""
    W1, b1, W2, b2 = (np.asarray(params[k]) for k in _KEYS)
    x, y = np.asarray(x), np.asarray(y)
    n = x.shape[0]
    z1 = x @ W1 + b1
    a1 = np.maximum(z1, 0)
    logits = a1 @ W2 + b2
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # the overflow slips
        if log_softmax == "stable":
            shifted = logits - np.max(logits, axis=1, keepdims=True)
            log_p = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        elif log_softmax == "no_shift":
            log_p = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
        else:  # log of the (shifted) softmax probabilities
            e = np.exp(logits - np.max(logits, axis=1, keepdims=True))
            log_p = np.log(e / np.sum(e, axis=1, keepdims=True))
        loss = -np.sum(y * log_p) / (n if mean_loss else 1)
    dlogits = (np.exp(log_p) - y) / (n if mean_grads else 1)
    dW2 = (a1 if dW2_from == "a1" else z1).T @ dlogits
    db2 = np.sum(dlogits, axis=0)
    da1 = dlogits @ W2.T
    dz1 = {"mask": da1 * (z1 > 0), "none": da1, "grad_mask": da1 * (da1 > 0), "times_a1": da1 * a1}[relu_back]
    dW1 = x.T @ dz1
    db1 = np.sum(dz1, axis=0)
    return float(loss), {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def _grads(*keys):
    return lambda v: {k: v[1][k] for k in keys}


def _mlp_example(scale=1.0):
    rng = np.random.default_rng(1)
    n, d, h, c = 6, 4, 5, 3
    params = {
        "W1": rng.normal(0, 1, (d, h)),
        "b1": rng.normal(0, 0.1, h),
        "W2": rng.normal(0, scale, (h, c)),
        "b2": rng.normal(0, 0.1, c),
    }
    x = rng.normal(0, 1, (n, d))
    y = np.eye(c)[rng.integers(0, c, n)]
    return params, x, y


_MLP_EXAMPLES = [(_mlp_example(), {})]
# Logits in the thousands: exp overflows, and the true class's probability underflows to 0.
_MLP_LARGE = [(_mlp_example(scale=1000.0), {})]


# Summing consistently (loss and gradients) is one mistake; tried first so that each check names it,
# rather than the loss check naming the loss and the gradient checks naming the gradients.
@misconception(
    "mlp_loss_and_grads",
    "mlp_loss_and_grads.sum_over_batch",
    N_("the loss and its gradients summed over the batch instead of averaged (all n times too large)"),
    N_(
        "CategoricalCrossentropy averages over the n samples: loss = -np.sum(y * log_p) / n and dlogits = "
        "(softmax(logits) - y) / n"
    ),
    examples=_MLP_EXAMPLES,
)
def mlp_sum_over_batch(params, x, y):
    return _mlp(params, x, y, mean_loss=False, mean_grads=False)


@misconception(
    "mlp_loss_and_grads",
    "mlp_loss_and_grads.loss_summed",
    N_("the loss summed over the batch instead of averaged"),
    N_("CategoricalCrossentropy averages over the samples: loss = -np.sum(y * log_p) / n"),
    examples=_MLP_EXAMPLES,
    project=lambda v: v[0],
)
def mlp_loss_summed(params, x, y):
    return _mlp(params, x, y, mean_loss=False)


@misconception(
    "mlp_loss_and_grads",
    "mlp_loss_and_grads.grads_not_averaged",
    N_("gradients of the summed loss, n times too large (the 1/n of the batch mean is missing)"),
    N_("the loss is a mean over the n samples, so dlogits = (softmax(logits) - y) / n; every gradient follows from it"),
    examples=_MLP_EXAMPLES,
    project=_grads(*_KEYS),
)
def mlp_grads_not_averaged(params, x, y):
    return _mlp(params, x, y, mean_grads=False)


@misconception(
    "mlp_loss_and_grads",
    "mlp_loss_and_grads.relu_not_masked",
    N_("the ReLU ignored in the backward pass (da1 passed through unchanged)"),
    N_("the ReLU passes the gradient only where z1 > 0: dz1 = da1 * (z1 > 0)"),
    examples=_MLP_EXAMPLES,
    project=_grads("W1", "b1"),
)
def mlp_relu_not_masked(params, x, y):
    return _mlp(params, x, y, relu_back="none")


@misconception(
    "mlp_loss_and_grads",
    "mlp_loss_and_grads.relu_mask_from_gradient",
    N_("the ReLU mask taken from the upstream gradient (da1 > 0) instead of the forward input z1"),
    N_("the ReLU's derivative depends on its input in the forward pass: dz1 = da1 * (z1 > 0)"),
    examples=_MLP_EXAMPLES,
    project=_grads("W1", "b1"),
)
def mlp_relu_mask_from_gradient(params, x, y):
    return _mlp(params, x, y, relu_back="grad_mask")


@misconception(
    "mlp_loss_and_grads",
    "mlp_loss_and_grads.relu_times_activation",
    N_("da1 multiplied by the activation relu(z1) instead of by its derivative"),
    N_("relu'(z1) is 1 where z1 > 0 and 0 elsewhere: dz1 = da1 * (z1 > 0)"),
    examples=_MLP_EXAMPLES,
    project=_grads("W1", "b1"),
)
def mlp_relu_times_activation(params, x, y):
    return _mlp(params, x, y, relu_back="times_a1")


@misconception(
    "mlp_loss_and_grads",
    "mlp_loss_and_grads.dW2_from_z1",
    N_("dW2 computed from the pre-activation z1 instead of the hidden layer's output a1 = relu(z1)"),
    N_("the second layer's input is a1 = relu(z1): dW2 = a1.T @ dlogits"),
    examples=_MLP_EXAMPLES,
    project=_grads("W2"),
)
def mlp_dW2_from_z1(params, x, y):
    return _mlp(params, x, y, dW2_from="z1")


def _finite_loss(v):
    return bool(np.isfinite(v[0]))


def _overflow_match(got: list, want: list) -> bool:
    """Call by call as usual, but only where the slip actually overflows (a non-finite loss) on some call."""
    overflows = [not (w if isinstance(w, bool) else w[0]) for w in want]
    return len(got) == len(want) and all(same(g, w) for g, w in zip(got, want, strict=False)) and any(overflows)


# Both mistakes make the loss NaN (0 * -inf) or inf on large logits, so the loss is compared by
# finiteness, and only on calls where the slip does overflow (elsewhere it equals the reference).
# Only log(softmax) keeps the gradients right (the shifted softmax itself is fine), so it is tried
# first, on the loss and the gradients; any other non-finite loss there is the missing shift.
@misconception(
    "mlp_loss_and_grads",
    "mlp_loss_and_grads.log_of_softmax",
    N_(
        "log(softmax(logits)) computed from the probabilities: a probability that underflows to 0 gives log(0) = -inf "
        "and the loss becomes inf or NaN"
    ),
    N_(
        "compute log-softmax directly: log_p = shifted - log(sum(exp(shifted), axis=1, keepdims=True)) with shifted = "
        "logits - row maximum"
    ),
    examples=_MLP_LARGE,
    project=lambda v: (_finite_loss(v), v[1]),
    match=_overflow_match,
)
def mlp_log_of_softmax(params, x, y):
    return _mlp(params, x, y, log_softmax="log_p")


@misconception(
    "mlp_loss_and_grads",
    "mlp_loss_and_grads.no_max_shift",
    N_(
        "softmax / log-sum-exp without subtracting the row maximum: exp(1000) overflows to inf and the loss becomes NaN"
    ),
    N_(
        "shifted = logits - logits.max(axis=1, keepdims=True), then log_p = shifted - log(sum(exp(shifted), axis=1, "
        "keepdims=True))"
    ),
    examples=_MLP_LARGE,
    project=_finite_loss,
    match=_overflow_match,
)
def mlp_no_max_shift(params, x, y):
    return _mlp(params, x, y, log_softmax="no_shift")
