"""Classic slips in the regularization topic.

Dropout is random: a variant draws its mask exactly as the reference does (``rng.random(x.shape)``
on a copy of the student's generator), so a student who draws the same way matches call by call.
A student who draws differently (``rng.uniform``, ``rng.binomial``, ...) is compared
structurally by ``_dropout_match``: wherever both outputs kept an element its value must agree
(that pins the scale factor), and the fractions of zeros must agree statistically. The dropout
variants refuse (raise) the inputs on which they cannot be told apart from a correct dropout
(``training=False``, ``rate`` 0 or 1, and for two of them ``rate = 0.5``, where
``1/rate = 1/(1-rate)`` and "keep with probability rate" is "drop with probability rate"), so a
check made only of such calls never names them.
"""

import numpy as np

from grader.course.misconceptions import misconception, same
from grader.i18n import N_

# ------------------------------------------------------------------------------ penalties

_W = np.array([[0.5, -1.5, 2.0], [-0.25, 3.0, -4.0]], dtype=np.float32)


@misconception(
    "l1_penalty",
    "l1_penalty.no_abs",
    N_("L1 penalty without the absolute value: l1 * sum(w), so negative weights cancel positive ones"),
    N_("take the absolute value first: l1 * np.sum(np.abs(w))"),
    examples=[((_W, 0.01), {})],
)
def l1_no_abs(w, l1=0.01):
    return float(l1 * np.sum(np.asarray(w, dtype=np.float64)))


@misconception(
    "l1_penalty",
    "l1_penalty.mean",
    N_("L1 penalty with the mean of |w| instead of the sum"),
    N_("Keras sums over all elements: l1 * np.sum(np.abs(w)), not np.mean"),
    examples=[((_W, 0.01), {})],
)
def l1_mean(w, l1=0.01):
    return float(l1 * np.mean(np.abs(np.asarray(w, dtype=np.float64))))


@misconception(
    "l2_penalty",
    "l2_penalty.half_factor",
    N_("the textbook factor 1/2 (l2/2 * sum(w**2)), which Keras' L2 does not use"),
    N_("keras.regularizers.L2(l2) computes l2 * np.sum(w**2), without the 1/2"),
    examples=[((_W, 0.01), {})],
)
def l2_half(w, l2=0.01):
    w = np.asarray(w, dtype=np.float64)
    return float(0.5 * l2 * np.sum(w * w))


@misconception(
    "l2_penalty",
    "l2_penalty.norm",
    N_("the Euclidean norm sqrt(sum(w**2)) instead of the sum of squares"),
    N_("the L2 penalty is l2 * np.sum(w**2): the squared norm, no square root"),
    examples=[((_W, 0.01), {})],
)
def l2_norm(w, l2=0.01):
    w = np.asarray(w, dtype=np.float64)
    return float(l2 * np.sqrt(np.sum(w * w)))


@misconception(
    "l2_penalty",
    "l2_penalty.mean",
    N_("L2 penalty with the mean of w**2 instead of the sum"),
    N_("Keras sums over all elements: l2 * np.sum(w**2), not np.mean"),
    examples=[((_W, 0.01), {})],
)
def l2_mean(w, l2=0.01):
    w = np.asarray(w, dtype=np.float64)
    return float(l2 * np.mean(w * w))


def _l1_l2(w, l1, l2, half=1.0):
    w = np.asarray(w, dtype=np.float64)
    return float(l1 * np.sum(np.abs(w)) + half * l2 * np.sum(w * w))


@misconception(
    "l1_l2_penalty",
    "l1_l2_penalty.factors_swapped",
    N_("the factors swapped: l1 multiplies sum(w**2) and l2 multiplies sum(|w|)"),
    N_("l1 goes with the absolute values, l2 with the squares: l1 * sum(|w|) + l2 * sum(w**2)"),
    examples=[((_W, 0.01, 0.03), {})],
)
def l1_l2_swapped(w, l1=0.0, l2=0.0):
    return _l1_l2(w, l2, l1)


@misconception(
    "l1_l2_penalty",
    "l1_l2_penalty.half_l2",
    N_("the textbook factor 1/2 on the L2 term, which Keras' L1L2 does not use"),
    N_("keras.regularizers.L1L2 computes l1 * sum(|w|) + l2 * sum(w**2), without the 1/2"),
    examples=[((_W, 0.01, 0.03), {})],
)
def l1_l2_half(w, l1=0.0, l2=0.0):
    return _l1_l2(w, l1, l2, half=0.5)


@misconception(
    "l1_l2_penalty",
    "l1_l2_penalty.defaults_001",
    N_("default factors 0.01 (those of L1() and L2()) instead of 0.0"),
    N_("keras.regularizers.L1L2() defaults to l1=0.0 and l2=0.0: write def l1_l2_penalty(w, l1=0.0, l2=0.0)"),
    examples=[((_W,), {})],
)
def l1_l2_defaults(w, l1=0.01, l2=0.01):
    return _l1_l2(w, l1, l2)


# -------------------------------------------------------------------------------- dropout

_X = np.arange(1, 4001, dtype=np.float32).reshape(40, 100) / 100.0


def _rng():
    return np.random.default_rng(2024)


def _informative(rate, training, half_too=False):
    """Refuse the inputs on which this mistake gives what a correct dropout could give."""
    if not training or rate <= 0 or rate >= 1 or (half_too and rate == 0.5):
        raise ValueError("this call cannot tell the mistake from a correct dropout")


def _dropout_with(x, rate, rng, keep_if_below, scale):
    x = np.asarray(x)
    u = rng.random(x.shape)
    keep = u < rate if keep_if_below else u >= rate
    return np.where(keep, x * scale, 0).astype(x.dtype)


def _dropout_match(got, want, z_max=6.0, min_elements=0, min_overlap=3):
    """Same results call by call, or (a different way of drawing the mask) the same values
    wherever both kept an element and a statistically equal fraction of zeros. The values
    kept by both pin the scale factor; a mistake that differs from a correct dropout only in
    how many elements it drops needs ``min_elements`` for the fraction of zeros to tell."""
    if len(got) != len(want):
        return False
    if all(same(g, w) for g, w in zip(got, want, strict=False)):
        return True
    n = overlap = zeros_got = zeros_want = 0
    for g, w in zip(got, want, strict=False):
        g = np.asarray(g, dtype=np.float64)
        w = np.asarray(w, dtype=np.float64)
        if g.shape != w.shape or not np.isfinite(g).all():
            return False
        zg, zw = g == 0, w == 0
        both = ~zg & ~zw
        if not same(g[both], w[both]):
            return False
        n += g.size
        overlap += int(both.sum())
        zeros_got += int(zg.sum())
        zeros_want += int(zw.sum())
    if n < min_elements or overlap < min_overlap:
        return False
    p = (zeros_got + zeros_want) / (2 * n)
    return abs(zeros_got - zeros_want) <= z_max * np.sqrt(2 * n * p * (1 - p)) + 1


@misconception(
    "dropout",
    "dropout.no_rescale",
    N_("the surviving elements are not rescaled by 1 / (1 - rate)"),
    N_("Keras uses inverted dropout: keep x / (1 - rate) where the mask keeps an element, 0 elsewhere"),
    examples=[((_X, 0.2, _rng()), {})],
    match=_dropout_match,
)
def dropout_no_rescale(x, rate, rng, training=True):
    _informative(rate, training)
    return _dropout_with(x, rate, rng, False, 1.0)


@misconception(
    "dropout",
    "dropout.scale_keep_prob",
    N_("the survivors multiplied by (1 - rate) instead of divided by it"),
    N_("inverted dropout divides the survivors by the keep probability: x / (1 - rate)"),
    examples=[((_X, 0.2, _rng()), {})],
    match=_dropout_match,
)
def dropout_times_keep(x, rate, rng, training=True):
    _informative(rate, training)
    return _dropout_with(x, rate, rng, False, 1.0 - rate)


@misconception(
    "dropout",
    "dropout.scale_by_rate",
    N_("the survivors divided by rate instead of by 1 - rate"),
    N_("rate is the probability of dropping; the survivors are scaled by 1 / (1 - rate)"),
    examples=[((_X, 0.2, _rng()), {})],
    match=_dropout_match,
)
def dropout_over_rate(x, rate, rng, training=True):
    _informative(rate, training, half_too=True)  # 1 / 0.5 = 1 / (1 - 0.5)
    return _dropout_with(x, rate, rng, False, 1.0 / rate)


@misconception(
    "dropout",
    "dropout.rate_as_keep_prob",
    N_("rate used as the probability of keeping an element (like TF1's keep_prob) instead of dropping it"),
    N_("drop with probability rate: keep = rng.random(x.shape) >= rate, then x / (1 - rate) where kept"),
    examples=[((_X, 0.2, _rng()), {})],
    match=lambda g, w: _dropout_match(g, w, min_elements=1000),
)
def dropout_keep_rate(x, rate, rng, training=True):
    _informative(rate, training, half_too=True)  # keeping with probability 0.5 is dropping with 0.5
    return _dropout_with(x, rate, rng, True, 1.0 / (1.0 - rate))


# ----------------------------------------------------------------------------- batch_norm


def _bn(
    x,
    gamma,
    beta,
    moving_mean,
    moving_var,
    training,
    momentum=0.99,
    epsilon=1e-3,
    *,
    ddof=0,
    ddof_moving=None,
    swap=False,
    eps_outside=False,
    batch_at_inference=False,
    update=True,
):
    x = np.asarray(x, dtype=np.float64)
    mm = np.asarray(moving_mean, dtype=np.float64)
    mv = np.asarray(moving_var, dtype=np.float64)
    gamma = np.asarray(gamma, dtype=np.float64)
    beta = np.asarray(beta, dtype=np.float64)
    if training or batch_at_inference:
        mean = x.mean(axis=0)
        var = x.var(axis=0, ddof=ddof)
    else:
        mean, var = mm, mv
    if training and update:
        a, b = (1.0 - momentum, momentum) if swap else (momentum, 1.0 - momentum)
        mvar = var if ddof_moving is None else x.var(axis=0, ddof=ddof_moving)
        new_mean, new_var = a * mm + b * mean, a * mv + b * mvar
    else:
        new_mean, new_var = mm.copy(), mv.copy()
    std = np.sqrt(var) + epsilon if eps_outside else np.sqrt(var + epsilon)
    return gamma * (x - mean) / std + beta, new_mean, new_var


def _close(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-3, atol=1e-3, equal_nan=True))


def _bn_match(got, want):
    """y with room for a float32 computation (rtol/atol 1e-3), the moving statistics like same()."""
    if len(got) != len(want):
        return False
    for g, w in zip(got, want, strict=False):
        if not (isinstance(g, (tuple, list)) and len(g) == 3):
            return False
        if not (_close(g[0], w[0]) and same(g[1], w[1]) and same(g[2], w[2])):
            return False
    return True


_BX = np.array([[1.0, 30.0, 0.10], [2.0, 33.0, 0.00], [4.0, 29.0, 0.05], [7.0, 36.0, 0.02]], dtype=np.float32)
_BG = np.array([1.5, 0.5, 2.0], dtype=np.float32)
_BB = np.array([0.1, -0.2, 0.3], dtype=np.float32)
_BM = np.array([3.0, 31.0, 0.0], dtype=np.float32)
_BV = np.array([5.0, 8.0, 0.002], dtype=np.float32)
_TRAIN = ((_BX, _BG, _BB, _BM, _BV, True), {})
_INFER = ((_BX, _BG, _BB, _BM, _BV, False), {})


@misconception(
    "batch_norm",
    "batch_norm.epsilon_outside_sqrt",
    N_("epsilon added to the standard deviation, sqrt(var) + epsilon, instead of inside the square root"),
    N_("divide by np.sqrt(var + epsilon): epsilon goes inside the square root"),
    examples=[_TRAIN, _INFER],
    match=_bn_match,
)
def bn_eps_outside(x, gamma, beta, moving_mean, moving_var, training, momentum=0.99, epsilon=1e-3):
    return _bn(x, gamma, beta, moving_mean, moving_var, training, momentum, epsilon, eps_outside=True)


@misconception(
    "batch_norm",
    "batch_norm.unbiased_variance",
    N_("the unbiased batch variance (ddof=1, divide by batch - 1)"),
    N_("Keras normalizes and updates with the biased variance: x.var(axis=0), i.e. ddof=0 (divide by batch)"),
    examples=[_TRAIN],
    match=_bn_match,
)
def bn_unbiased(x, gamma, beta, moving_mean, moving_var, training, momentum=0.99, epsilon=1e-3):
    return _bn(x, gamma, beta, moving_mean, moving_var, training, momentum, epsilon, ddof=1)


@misconception(
    "batch_norm",
    "batch_norm.unbiased_moving_var",
    N_("the moving variance updated with the unbiased variance (ddof=1), as PyTorch does"),
    N_("Keras updates moving_var with the same biased variance it normalizes with: x.var(axis=0)"),
    examples=[_TRAIN],
    match=_bn_match,
)
def bn_unbiased_moving(x, gamma, beta, moving_mean, moving_var, training, momentum=0.99, epsilon=1e-3):
    return _bn(x, gamma, beta, moving_mean, moving_var, training, momentum, epsilon, ddof_moving=1)


@misconception(
    "batch_norm",
    "batch_norm.momentum_swapped",
    N_("momentum and 1 - momentum swapped in the moving-statistics update (PyTorch's momentum convention)"),
    N_("in Keras momentum weighs the old value: new = momentum * moving + (1 - momentum) * batch_statistic"),
    examples=[_TRAIN],
    match=_bn_match,
)
def bn_momentum_swapped(x, gamma, beta, moving_mean, moving_var, training, momentum=0.99, epsilon=1e-3):
    return _bn(x, gamma, beta, moving_mean, moving_var, training, momentum, epsilon, swap=True)


@misconception(
    "batch_norm",
    "batch_norm.batch_stats_at_inference",
    N_("the batch's own mean and variance used at inference (training=False)"),
    N_("with training=False normalize with moving_mean and moving_var: (x - moving_mean) / sqrt(moving_var + epsilon)"),
    examples=[_INFER],
    match=_bn_match,
)
def bn_batch_stats_inference(x, gamma, beta, moving_mean, moving_var, training, momentum=0.99, epsilon=1e-3):
    return _bn(x, gamma, beta, moving_mean, moving_var, training, momentum, epsilon, batch_at_inference=True)


@misconception(
    "batch_norm",
    "batch_norm.no_moving_update",
    N_("the moving statistics returned unchanged in training"),
    N_("in training return momentum * moving_mean + (1 - momentum) * mean, and the same for the variance"),
    examples=[_TRAIN],
    match=_bn_match,
)
def bn_no_update(x, gamma, beta, moving_mean, moving_var, training, momentum=0.99, epsilon=1e-3):
    return _bn(x, gamma, beta, moving_mean, moving_var, training, momentum, epsilon, update=False)


# ------------------------------------------------------------------ early_stopping_epochs


def _epochs(
    values, patience, min_delta=0.0, mode="min", *, stop_at=None, result="count", cmp="strict", track="best", reset=True
):
    values = [float(v) for v in values]
    best = None
    best_epoch = 0
    wait = 0
    for epoch, v in enumerate(values):
        if best is None:
            improved = True
        elif cmp == "ties":
            improved = v - min_delta >= best if mode == "max" else v + min_delta <= best
        elif cmp == "no_delta":
            improved = v > best if mode == "max" else v < best
        else:
            improved = v - min_delta > best if mode == "max" else v + min_delta < best
        if track == "previous":
            best = v
        if improved:
            best, best_epoch = v, epoch
            if reset:
                wait = 0
            continue
        wait += 1
        if wait >= (patience if stop_at is None else stop_at(patience)):
            return {"count": epoch + 1, "index": epoch, "best": best_epoch + 1}[result]
    return len(values)


_UP_DOWN = [5.0, 4.0, 4.5, 4.25, 4.75, 4.5, 4.25, 3.0, 3.5, 3.5, 3.75, 4.0]
_TIES = [3.0, 3.0, 3.0, 2.0]
_BAD_GOOD = [5.0, 5.5, 4.0, 4.5, 4.25, 3.0]
_SLOW = [5.0, 4.75, 4.5, 4.25, 4.0]


@misconception(
    "early_stopping_epochs",
    "early_stopping_epochs.patience_plus_one",
    N_("off by one: training stops after patience + 1 epochs without improvement (wait > patience)"),
    N_("stop as soon as the count of epochs without improvement reaches patience: wait >= patience"),
    examples=[((_UP_DOWN, 2), {})],
)
def es_plus_one(values, patience, min_delta=0.0, mode="min"):
    return _epochs(values, patience, min_delta, mode, stop_at=lambda p: p + 1)


@misconception(
    "early_stopping_epochs",
    "early_stopping_epochs.patience_minus_one",
    N_("off by one: training stops after patience - 1 epochs without improvement"),
    N_("count every epoch without improvement (wait += 1) and stop when wait >= patience"),
    examples=[((_UP_DOWN, 3), {})],
)
def es_minus_one(values, patience, min_delta=0.0, mode="min"):
    return _epochs(values, patience, min_delta, mode, stop_at=lambda p: p - 1)


@misconception(
    "early_stopping_epochs",
    "early_stopping_epochs.zero_based",
    N_("the 0-based index of the last epoch returned instead of the number of epochs run"),
    N_("epoch i (0-based) is the (i + 1)-th epoch: return epoch + 1 when training stops"),
    examples=[((_UP_DOWN, 2), {})],
)
def es_zero_based(values, patience, min_delta=0.0, mode="min"):
    return _epochs(values, patience, min_delta, mode, result="index")


@misconception(
    "early_stopping_epochs",
    "early_stopping_epochs.best_epoch",
    N_("the epoch of the best value returned (what restore_best_weights restores) instead of the number of epochs run"),
    N_(
        "training still runs the patience epochs after the best one: return the number of epochs actually run, epoch + "
        "1 at the stop"
    ),
    examples=[((_UP_DOWN, 2), {})],
)
def es_best_epoch(values, patience, min_delta=0.0, mode="min"):
    return _epochs(values, patience, min_delta, mode, result="best")


@misconception(
    "early_stopping_epochs",
    "early_stopping_epochs.previous_epoch",
    N_("each value compared with the previous epoch's instead of with the best value so far"),
    N_("keep the best value seen so far and compare with it; update it only on an improvement"),
    examples=[((_UP_DOWN, 2), {})],
)
def es_previous(values, patience, min_delta=0.0, mode="min"):
    return _epochs(values, patience, min_delta, mode, track="previous")


@misconception(
    "early_stopping_epochs",
    "early_stopping_epochs.ties_improve",
    N_("a value equal to the best counted as an improvement (<= instead of <)"),
    N_("an improvement must be strictly better: v < best - min_delta (mode min), v > best + min_delta (mode max)"),
    examples=[((_TIES, 2), {})],
)
def es_ties(values, patience, min_delta=0.0, mode="min"):
    return _epochs(values, patience, min_delta, mode, cmp="ties")


@misconception(
    "early_stopping_epochs",
    "early_stopping_epochs.no_reset",
    N_("the count of epochs without improvement not reset to 0 on an improvement"),
    N_("set wait = 0 whenever the value improves: patience counts consecutive bad epochs"),
    examples=[((_BAD_GOOD, 2), {})],
)
def es_no_reset(values, patience, min_delta=0.0, mode="min"):
    return _epochs(values, patience, min_delta, mode, reset=False)


@misconception(
    "early_stopping_epochs",
    "early_stopping_epochs.min_delta_ignored",
    N_("min_delta ignored: any strict improvement counts"),
    N_(
        "an improvement must beat the best by more than min_delta: v < best - min_delta (min), v > best + min_delta "
        "(max)"
    ),
    examples=[((_SLOW, 2, 0.5), {})],
)
def es_no_delta(values, patience, min_delta=0.0, mode="min"):
    return _epochs(values, patience, min_delta, mode, cmp="no_delta")
