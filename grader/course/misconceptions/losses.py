"""Classic slips in the losses topic.

Every variant is the whole loss function with exactly one mistake in it (the rest as Keras
computes it), so it reproduces a student's numbers on every call of a failing check. Variants
whose mistake comes in several equivalent spellings (another epsilon, a sum in another place)
return a tuple of candidates; ``_any_candidate`` accepts the student when one candidate fits
every call. Size-1 arrays count as the number they hold, like the checks accept them.
"""

import numpy as np

from grader.course.misconceptions import misconception, same
from grader.i18n import N_

EPSILON = 1e-7  # keras.backend.epsilon()
_OTHER_EPS = (1e-8, 1e-9, 1e-10, 1e-12, 1e-15)  # 1e-12 / 1e-15: textbook and sklearn habits


def _scalar(v):
    """A size-1 numeric array or NumPy scalar as a float (the checks accept those), else ``v``."""
    if isinstance(v, (np.ndarray, np.generic)) and v.dtype.kind in "iuf" and v.size == 1:
        return float(np.asarray(v).reshape(()))
    return v


def _same_value(got, want):
    return len(got) == len(want) and all(same(_scalar(a), _scalar(b)) for a, b in zip(got, want, strict=False))


def _any_candidate(got, want):
    """``want[i]`` is a tuple of candidate results of call i: one candidate must fit every call."""
    if len(got) != len(want) or not want:
        return False
    return any(
        all(same(_scalar(g), _scalar(w[j])) for g, w in zip(got, want, strict=False)) for j in range(len(want[0]))
    )


def _f(a):
    return np.asarray(a, dtype=np.float64)


def _log_softmax(z):
    z = z - np.max(z, axis=-1, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))


def _log_softmax_two_steps(z):
    """log(softmax(z)) in two steps: log(0) = -inf once a probability underflows."""
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return np.log(e / np.sum(e, axis=-1, keepdims=True))


def _log_softmax_naive(z):
    """log(exp(z) / sum(exp(z))) without the max shift: exp overflows for large z."""
    e = np.exp(z)
    return np.log(e / np.sum(e, axis=-1, keepdims=True))


def _cce_log_p(y_pred, from_logits, *, eps=EPSILON, clip=True, rescale=True, log_softmax=_log_softmax):
    y_pred = _f(y_pred)
    if from_logits:
        return log_softmax(y_pred)
    p = y_pred / np.sum(y_pred, axis=-1, keepdims=True) if rescale else y_pred
    return np.log(np.clip(p, eps, 1.0 - eps) if clip else p)


def _cce(y_true, y_pred, from_logits=False, **kw):
    return float(np.mean(-np.sum(_f(y_true) * _cce_log_p(y_pred, from_logits, **kw), axis=-1)))


def _scce_log_p(y_pred, from_logits, *, eps=EPSILON, clip=True, renormalise=True, log_softmax=_log_softmax):
    """Keras: log(clip(p)), then a log-softmax of that, i.e. the clipped rows rescaled to sum 1."""
    y_pred = _f(y_pred)
    if from_logits:
        return log_softmax(y_pred)
    p = np.clip(y_pred, eps, 1.0 - eps) if clip else y_pred
    return np.log(p) - (np.log(np.sum(p, axis=-1, keepdims=True)) if renormalise else 0.0)


def _labels(labels):
    return np.asarray(labels).astype(np.int64).reshape(-1)


def _picked(labels, y_pred, from_logits, **kw):
    labels = _labels(labels)
    return -_scce_log_p(y_pred, from_logits, **kw)[np.arange(labels.shape[0]), labels]


def _bce_elementwise(y_true, y_pred, from_logits, *, eps=EPSILON, clip=True):
    y, x = _f(y_true), _f(y_pred)
    if from_logits:
        return np.maximum(x, 0.0) - x * y + np.log1p(np.exp(-np.abs(x)))
    p = np.clip(x, eps, 1.0 - eps) if clip else x
    return -(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def _bce(y_true, y_pred, from_logits=False, **kw):
    return float(np.mean(np.mean(_bce_elementwise(y_true, y_pred, from_logits, **kw), axis=-1)))


def _err(y_true, y_pred):
    return _f(y_pred) - _f(y_true)


# Inputs for the examples (where each variant differs from the reference).
_Y3 = np.array([[0, 1, 0], [0, 0, 1]], dtype=np.float32)
_P3 = np.array([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]], dtype=np.float32)
_P3_ZERO = np.array([[0.5, 0.0, 0.5], [0.1, 0.8, 0.1]], dtype=np.float32)  # 0 for a true class
_P3_UNNORM = np.array([[0.5, 1.5, 0.4], [0.2, 0.9, 1.1]], dtype=np.float32)
_Y3_SOFT = np.array([[0.1, 0.7, 0.2], [0.3, 0.3, 0.4]], dtype=np.float32)
_LOGITS = np.array([[1000, -1000, 0], [-1000, 1000, 999], [1.0, 2.0, -1.0]], dtype=np.float32)
_SMALL_LOGITS = np.array([[1.0, 2.0, -1.0], [-0.5, 0.3, 2.2], [0.0, -1.5, 1.0]], dtype=np.float32)
_Y_LOGITS = np.array([[1, 0, 0], [1, 0, 0], [0, 0, 1]], dtype=np.float32)
_LABELS = np.array([1, 2], dtype=np.int64)
_LABELS_LOGITS = np.array([0, 0, 2], dtype=np.int64)
_YB = np.array([[0, 1], [1, 0], [0, 1]], dtype=np.float32)
_PB = np.array([[0.0, 0.3], [0.2, 1.0], [0.9, 0.6]], dtype=np.float32)
_XB = np.array([[-1000, 1000, -2], [1000, -1000, 3]], dtype=np.float32)
_YXB = np.array([[1, 0, 1], [1, 0, 0]], dtype=np.float32)
_YR = np.array([[0.0, 1.0, -2.0], [0.5, 0.5, 3.0]])
_PR = np.array([[1.0, 0.2, -1.5], [-0.5, 0.7, 0.5]])
_HUBER_KW = {"delta": 0.3}

# ------------------------------------------------------------------ categorical_crossentropy


@misconception(
    "categorical_crossentropy",
    "cce.no_clip",
    N_("log(p) without clipping: a predicted probability of 0 gives log(0) = -inf, and 0 * log(0) gives NaN"),
    N_("clip before the log: np.log(np.clip(p, EPSILON, 1 - EPSILON)) with EPSILON = 1e-7, as Keras does"),
    examples=[((_Y3, _P3), {})],
    project=_scalar,
)
def cce_no_clip(y_true, y_pred, from_logits=False):
    return _cce(y_true, y_pred, from_logits, clip=False)


@misconception(
    "categorical_crossentropy",
    "cce.other_epsilon",
    N_("probabilities clipped (or offset) with an epsilon other than Keras' 1e-7"),
    N_("use EPSILON = 1e-7 (keras.backend.epsilon()): a predicted 0 for the true class must cost -log(1e-7) = 16.118"),
    examples=[((_Y3, _P3_ZERO), {})],
    match=_any_candidate,
)
def cce_other_epsilon(y_true, y_pred, from_logits=False):
    return tuple(_cce(y_true, y_pred, from_logits, eps=eps) for eps in _OTHER_EPS)


@misconception(
    "categorical_crossentropy",
    "cce.no_rescale",
    N_("the rows of y_pred used as they are, without rescaling them to sum 1"),
    N_(
        "Keras first divides each row by its sum: p = y_pred / y_pred.sum(axis=-1, keepdims=True), "
        "then clips and takes the log"
    ),
    examples=[((_Y3, _P3_UNNORM), {})],
    match=_any_candidate,
)
def cce_no_rescale(y_true, y_pred, from_logits=False):
    """Clipped as Keras does, or with the textbook log(y_pred + EPSILON)."""
    if from_logits:
        return (_cce(y_true, y_pred, True),) * 2
    textbook = float(np.mean(-np.sum(_f(y_true) * np.log(_f(y_pred) + EPSILON), axis=-1)))
    return _cce(y_true, y_pred, from_logits, rescale=False), textbook


@misconception(
    "categorical_crossentropy",
    "cce.mean_over_classes",
    N_("np.mean over all entries of y_true * log(p): the sum over the k classes is divided by k"),
    N_("sum over the classes of each row (np.sum(..., axis=-1)), then take the mean over the batch only"),
    examples=[((_Y3, _P3), {})],
    project=_scalar,
)
def cce_mean_over_classes(y_true, y_pred, from_logits=False):
    return float(-np.mean(_f(y_true) * _cce_log_p(y_pred, from_logits)))


@misconception(
    "categorical_crossentropy",
    "cce.batch_sum",
    N_("the per-sample losses summed over the batch instead of averaged"),
    N_("return the mean over the batch: np.mean of the per-sample losses, not np.sum"),
    examples=[((_Y3, _P3), {})],
    project=_scalar,
)
def cce_batch_sum(y_true, y_pred, from_logits=False):
    return float(np.sum(-np.sum(_f(y_true) * _cce_log_p(y_pred, from_logits), axis=-1)))


@misconception(
    "categorical_crossentropy",
    "cce.per_sample",
    N_("the array of per-sample losses returned instead of their batch mean"),
    N_("the Keras loss objects average over the batch: return float(np.mean(per_sample_losses))"),
    examples=[((_Y3, _P3), {})],
)
def cce_per_sample(y_true, y_pred, from_logits=False):
    return -np.sum(_f(y_true) * _cce_log_p(y_pred, from_logits), axis=-1)


@misconception(
    "categorical_crossentropy",
    "cce.argmax_only",
    N_("only the entry at argmax(y_true) used: soft labels lose the rest of their row"),
    N_("weight every class by its target probability: -np.sum(y_true * log(p), axis=-1)"),
    examples=[((_Y3_SOFT, _P3), {})],
    project=_scalar,
)
def cce_argmax_only(y_true, y_pred, from_logits=False):
    y_true = _f(y_true)
    log_p = _cce_log_p(y_pred, from_logits)
    return float(np.mean(-log_p[np.arange(y_true.shape[0]), np.argmax(y_true, axis=-1)]))


@misconception(
    "categorical_crossentropy",
    "cce.missing_minus",
    N_("the minus sign of the cross-entropy forgotten: the loss comes out negative"),
    N_("L = -sum(y_true * log(p)): log(p) <= 0, so the minus sign makes the loss positive"),
    examples=[((_Y3, _P3), {})],
    project=_scalar,
)
def cce_missing_minus(y_true, y_pred, from_logits=False):
    return -_cce(y_true, y_pred, from_logits)


@misconception(
    "categorical_crossentropy",
    "cce.swapped",
    N_("y_true and y_pred swapped in the formula: log is taken of the labels"),
    N_("the log goes on the prediction: -sum(y_true * log(p)) with p computed from y_pred"),
    examples=[((_Y3, _P3), {})],
    project=_scalar,
)
def cce_swapped(y_true, y_pred, from_logits=False):
    return _cce(y_pred, y_true, from_logits)


# Registered before cce.from_logits_ignored: on logits of magnitude 1000 both give NaN (ignoring
# from_logits divides a row of logits summing to 0 by 0). The two-step log-softmax fails only that
# check, so it is named there; ignoring from_logits is named on the random-logits check.
@misconception(
    "categorical_crossentropy",
    "cce.log_of_softmax",
    N_(
        "log(softmax(z)) computed in two steps: exp overflows for large logits, or a probability "
        "underflows to 0 and log(0) = -inf (then 0 * -inf = NaN)"
    ),
    N_(
        "compute the log-softmax in one step: (z - m) - log(sum(exp(z - m))) with m = max(z) per row "
        "(axis=-1, keepdims=True)"
    ),
    examples=[((_Y_LOGITS, _LOGITS), {"from_logits": True})],
    project=_scalar,
)
def cce_log_of_softmax(y_true, y_pred, from_logits=False):
    return _cce(y_true, y_pred, from_logits, log_softmax=_log_softmax_two_steps)


@misconception(
    "categorical_crossentropy",
    "cce.from_logits_ignored",
    N_("from_logits=True ignored: logits treated as probabilities"),
    N_("with from_logits=True apply log-softmax to y_pred: (z - max) - log(sum(exp(z - max))) per row"),
    examples=[((_Y_LOGITS, _SMALL_LOGITS), {"from_logits": True})],
    project=_scalar,
)
def cce_from_logits_ignored(y_true, y_pred, from_logits=False):
    return _cce(y_true, y_pred, False)


@misconception(
    "categorical_crossentropy",
    "cce.softmax_on_probabilities",
    N_(
        "softmax applied although from_logits=False: y_pred already holds probabilities "
        "(PyTorch's CrossEntropyLoss always expects logits)"
    ),
    N_(
        "apply softmax only when from_logits=True; with from_logits=False rescale, clip and take the log "
        "of y_pred itself"
    ),
    examples=[((_Y3, _P3), {})],
    project=_scalar,
)
def cce_softmax_on_probabilities(y_true, y_pred, from_logits=False):
    return _cce(y_true, y_pred, True)


# ----------------------------------------------------------- sparse_categorical_crossentropy


@misconception(
    "sparse_categorical_crossentropy",
    "scce.no_clip",
    N_("log(p) without clipping: a predicted probability of 0 for the true class gives -log(0) = inf"),
    N_("clip before the log: np.log(np.clip(p, EPSILON, 1 - EPSILON)) with EPSILON = 1e-7, as Keras does"),
    examples=[((_LABELS, _P3[::-1].copy()), {})],
    project=_scalar,
)
def scce_no_clip(labels, y_pred, from_logits=False):
    return float(np.mean(_picked(labels, y_pred, from_logits, clip=False)))


@misconception(
    "sparse_categorical_crossentropy",
    "scce.other_epsilon",
    N_("probabilities clipped (or offset) with an epsilon other than Keras' 1e-7"),
    N_("use EPSILON = 1e-7 (keras.backend.epsilon()): a predicted 0 for the true class must cost -log(1e-7) = 16.118"),
    examples=[((_LABELS, _P3[::-1].copy()), {})],
    match=_any_candidate,
)
def scce_other_epsilon(labels, y_pred, from_logits=False):
    return tuple(float(np.mean(_picked(labels, y_pred, from_logits, eps=eps))) for eps in _OTHER_EPS)


@misconception(
    "sparse_categorical_crossentropy",
    "scce.no_renormalisation",
    N_(
        "rows of y_pred that do not sum to 1 taken as they are: Keras rescales every (clipped) row to "
        "sum 1 before taking the log"
    ),
    N_(
        "after clipping, divide each row by its sum: p = np.clip(y_pred, EPSILON, 1 - EPSILON); "
        "loss_i = -log(p[i, labels[i]] / p[i].sum())"
    ),
    examples=[((_LABELS, _P3_UNNORM), {})],
    project=_scalar,
)
def scce_no_renormalisation(labels, y_pred, from_logits=False):
    return float(np.mean(_picked(labels, y_pred, from_logits, renormalise=False)))


@misconception(
    "sparse_categorical_crossentropy",
    "scce.column_block",
    N_("y_pred[:, labels] selects a (batch, batch) block, not one entry per row"),
    N_("pair every row with its own label: y_pred[np.arange(len(labels)), labels]"),
    examples=[((_LABELS, _P3), {})],
    project=_scalar,
)
def scce_column_block(labels, y_pred, from_logits=False):
    return float(np.mean(-_scce_log_p(y_pred, from_logits)[:, _labels(labels)]))


@misconception(
    "sparse_categorical_crossentropy",
    "scce.labels_as_onehot",
    N_("the integer labels multiplied with log(p) as if they were one-hot rows"),
    N_("labels[i] is a class index: take -log(p[i, labels[i]]) (np.arange(n) and labels as the two indices)"),
    examples=[((_LABELS, _P3), {})],
    project=_scalar,
)
def scce_labels_as_onehot(labels, y_pred, from_logits=False):
    labels = _labels(labels).astype(np.float64)
    return float(np.mean(-np.sum(labels[:, None] * _scce_log_p(y_pred, from_logits), axis=-1)))


@misconception(
    "sparse_categorical_crossentropy",
    "scce.batch_sum",
    N_("the per-sample losses summed over the batch instead of averaged"),
    N_("return the mean over the batch: np.mean of the per-sample losses, not np.sum"),
    examples=[((_LABELS, _P3), {})],
    project=_scalar,
)
def scce_batch_sum(labels, y_pred, from_logits=False):
    return float(np.sum(_picked(labels, y_pred, from_logits)))


@misconception(
    "sparse_categorical_crossentropy",
    "scce.from_logits_ignored",
    N_("from_logits=True ignored: logits treated as probabilities"),
    N_("with from_logits=True apply log-softmax to y_pred: (z - max) - log(sum(exp(z - max))) per row"),
    examples=[((_LABELS_LOGITS, _SMALL_LOGITS), {"from_logits": True})],
    project=_scalar,
)
def scce_from_logits_ignored(labels, y_pred, from_logits=False):
    return float(np.mean(_picked(labels, y_pred, False)))


@misconception(
    "sparse_categorical_crossentropy",
    "scce.softmax_on_probabilities",
    N_(
        "softmax applied although from_logits=False: y_pred already holds probabilities "
        "(PyTorch's CrossEntropyLoss always expects logits)"
    ),
    N_("apply softmax only when from_logits=True; with from_logits=False clip and take the log of y_pred itself"),
    examples=[((_LABELS, _P3), {})],
    project=_scalar,
)
def scce_softmax_on_probabilities(labels, y_pred, from_logits=False):
    return float(np.mean(_picked(labels, y_pred, True)))


@misconception(
    "sparse_categorical_crossentropy",
    "scce.softmax_overflow",
    N_("softmax of the logits without subtracting the row maximum: exp(1000) overflows to inf and inf / inf gives NaN"),
    N_("compute the log-softmax as (z - m) - log(sum(exp(z - m))) with m = max(z) per row"),
    examples=[((_LABELS_LOGITS, _LOGITS), {"from_logits": True})],
    project=_scalar,
)
def scce_softmax_overflow(labels, y_pred, from_logits=False):
    return float(np.mean(_picked(labels, y_pred, from_logits, log_softmax=_log_softmax_naive)))


@misconception(
    "sparse_categorical_crossentropy",
    "scce.log_of_softmax",
    N_("log(softmax(z)) computed in two steps: a probability that underflows to 0 gives -log(0) = inf"),
    N_(
        "compute the log-softmax in one step: (z - m) - log(sum(exp(z - m))) with m = max(z) per row "
        "(axis=-1, keepdims=True)"
    ),
    examples=[((_LABELS_LOGITS, _LOGITS), {"from_logits": True})],
    project=_scalar,
)
def scce_log_of_softmax(labels, y_pred, from_logits=False):
    return float(np.mean(_picked(labels, y_pred, from_logits, log_softmax=_log_softmax_two_steps)))


# ------------------------------------------------------------------------ binary_crossentropy


@misconception(
    "binary_crossentropy",
    "bce.no_clip",
    N_("log(p) and log(1 - p) without clipping: p = 0 or p = 1 gives log(0) = -inf, and 0 * log(0) gives NaN"),
    N_("clip first: p = np.clip(y_pred, EPSILON, 1 - EPSILON) with EPSILON = 1e-7, then take both logs"),
    examples=[((_YB, _PB), {})],
    project=_scalar,
)
def bce_no_clip(y_true, y_pred, from_logits=False):
    return _bce(y_true, y_pred, from_logits, clip=False)


@misconception(
    "binary_crossentropy",
    "bce.other_epsilon",
    N_("probabilities clipped (or offset) with an epsilon other than Keras' 1e-7"),
    N_(
        "use EPSILON = 1e-7 (keras.backend.epsilon()): p = np.clip(y_pred, EPSILON, 1 - EPSILON), so a "
        "confident wrong answer costs -log(1e-7) = 16.118"
    ),
    examples=[((_YB, _PB), {})],
    match=_any_candidate,
)
def bce_other_epsilon(y_true, y_pred, from_logits=False):
    """Clipped or offset in float64. (Clipping in float32 with these eps rounds 1 - eps to 1, so
    log(1 - p) gives -inf and 0 * -inf NaN: bce.no_clip names that.)"""
    out = []
    for eps in _OTHER_EPS:
        out.append(_bce(y_true, y_pred, from_logits, eps=eps))
        if not from_logits:  # the textbook placement log(p + eps), log(1 - p + eps)
            y, p = _f(y_true), _f(y_pred)
            out.append(float(np.mean(-(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps)))))
        else:
            out.append(out[-1])
    return tuple(out)


@misconception(
    "binary_crossentropy",
    "bce.missing_negative_term",
    N_("the (1 - y) * log(1 - p) term missing: wrong confident predictions on negatives cost nothing"),
    N_("l = -(y * log(p) + (1 - y) * log(1 - p)); both terms count"),
    examples=[((_YB, _PB), {})],
    project=_scalar,
)
def bce_missing_negative_term(y_true, y_pred, from_logits=False):
    if from_logits:
        return _bce(y_true, y_pred, True)
    y, p = _f(y_true), np.clip(_f(y_pred), EPSILON, 1 - EPSILON)
    return float(np.mean(np.mean(-(y * np.log(p)), axis=-1)))


@misconception(
    "binary_crossentropy",
    "bce.missing_minus",
    N_("the minus sign of the cross-entropy forgotten: the loss comes out negative"),
    N_("l = -(y * log(p) + (1 - y) * log(1 - p)): both logs are <= 0, so the minus sign makes the loss positive"),
    examples=[((_YB, _PB), {})],
    project=_scalar,
)
def bce_missing_minus(y_true, y_pred, from_logits=False):
    return -_bce(y_true, y_pred, from_logits)


@misconception(
    "binary_crossentropy",
    "bce.sum_columns",
    N_("the elementwise losses summed over the k columns of a row instead of averaged"),
    N_("Keras' BinaryCrossentropy averages: np.mean over axis=-1, then np.mean over the batch"),
    examples=[((_YB, _PB), {})],
    match=_any_candidate,
)
def bce_sum_columns(y_true, y_pred, from_logits=False):
    el = _bce_elementwise(y_true, y_pred, from_logits)
    return float(np.mean(np.sum(el, axis=-1))), float(np.sum(el))


@misconception(
    "binary_crossentropy",
    "bce.batch_sum",
    N_("the per-sample losses summed over the batch instead of averaged"),
    N_("return the mean over the batch: np.mean of the per-sample losses, not np.sum"),
    examples=[((_YB, _PB), {})],
    project=_scalar,
)
def bce_batch_sum(y_true, y_pred, from_logits=False):
    return float(np.sum(np.mean(_bce_elementwise(y_true, y_pred, from_logits), axis=-1)))


@misconception(
    "binary_crossentropy",
    "bce.from_logits_ignored",
    N_("from_logits=True ignored: logits treated as probabilities"),
    N_("with from_logits=True use the logits formula max(x, 0) - x*y + log(1 + exp(-|x|))"),
    examples=[((_YXB, np.array([[-1, 2, 0.5], [3, -2, 0]], np.float32)), {"from_logits": True})],
    project=_scalar,
)
def bce_from_logits_ignored(y_true, y_pred, from_logits=False):
    return _bce(y_true, y_pred, False)


@misconception(
    "binary_crossentropy",
    "bce.logits_clipped_sigmoid",
    N_(
        "logits turned into probabilities with sigmoid and then clipped: the loss is capped at "
        "-log(1e-7) = 16.1 however wrong the logit"
    ),
    N_("with from_logits=True do not clip: use max(x, 0) - x*y + log(1 + exp(-|x|)), exact for any x"),
    examples=[((_YXB, _XB), {"from_logits": True})],
    project=_scalar,
)
def bce_logits_clipped_sigmoid(y_true, y_pred, from_logits=False):
    if not from_logits:
        return _bce(y_true, y_pred, False)
    x = _f(y_pred)
    return _bce(y_true, 0.5 * (1.0 + np.tanh(0.5 * x)), False)  # sigmoid without overflow warnings


@misconception(
    "binary_crossentropy",
    "bce.logits_log_sigmoid",
    N_(
        "log(sigmoid(x)) and log(1 - sigmoid(x)) for logits: sigmoid(x) rounds to 0 or 1 for |x| = 1000 "
        "and the log gives -inf (or NaN)"
    ),
    N_("use max(x, 0) - x*y + log(1 + exp(-|x|)): it never takes the log of a rounded probability"),
    examples=[((_YXB, _XB), {"from_logits": True})],
    project=_scalar,
)
def bce_logits_log_sigmoid(y_true, y_pred, from_logits=False):
    if not from_logits:
        return _bce(y_true, y_pred, False)
    y, x = _f(y_true), _f(y_pred)
    s = 1.0 / (1.0 + np.exp(-x))
    return float(np.mean(np.mean(-(y * np.log(s) + (1 - y) * np.log(1 - s)), axis=-1)))


@misconception(
    "binary_crossentropy",
    "bce.logits_softplus_overflow",
    N_(
        "the logits formula without the |x| trick: log(1 + exp(-x)) overflows to inf for x = -1000 "
        "(or log(1 + exp(x)) for x = 1000)"
    ),
    N_("use max(x, 0) - x*y + log(1 + exp(-|x|)): exp only ever sees -|x| <= 0"),
    examples=[((_YXB, _XB), {"from_logits": True})],
    project=_scalar,
)
def bce_logits_softplus_overflow(y_true, y_pred, from_logits=False):
    if not from_logits:
        return _bce(y_true, y_pred, False)
    y, x = _f(y_true), _f(y_pred)
    return float(np.mean(np.mean(x - x * y + np.log1p(np.exp(-x)), axis=-1)))


# ------------------------------------------------------------------------ regression losses


def _sums(elementwise):
    """A sum where Keras averages: everything, over each row then a batch mean, or the batch."""
    return (
        float(np.sum(elementwise)),
        float(np.mean(np.sum(elementwise, axis=-1))),
        float(np.sum(np.mean(elementwise, axis=-1))),
    )


def _arrays(elementwise):
    """What comes back when the batch mean is missing: per-sample means, or no mean at all."""
    return np.mean(elementwise, axis=-1), elementwise


@misconception(
    "mean_absolute_error",
    "mae.no_abs",
    N_("the absolute value forgotten: positive and negative errors cancel"),
    N_("MAE = np.mean(np.abs(y_true - y_pred)): take np.abs of each error before averaging"),
    examples=[((_YR, _PR), {})],
    project=_scalar,
)
def mae_no_abs(y_true, y_pred):
    return float(np.mean(_err(y_true, y_pred)))


@misconception(
    "mean_absolute_error",
    "mae.squared",
    N_("squared errors instead of absolute errors (that is the MSE)"),
    N_("MAE = np.mean(np.abs(y_true - y_pred)), with no square"),
    examples=[((_YR, _PR), {})],
    project=_scalar,
)
def mae_squared(y_true, y_pred):
    return float(np.mean(_err(y_true, y_pred) ** 2))


@misconception(
    "mean_absolute_error",
    "mae.sum",
    N_("the absolute errors summed instead of averaged"),
    N_("average: np.mean over each row (axis=-1), then over the batch"),
    examples=[((_YR, _PR), {})],
    match=_any_candidate,
)
def mae_sum(y_true, y_pred):
    return _sums(np.abs(_err(y_true, y_pred)))


@misconception(
    "mean_absolute_error",
    "mae.array_returned",
    N_("an array of errors returned instead of one number: the batch mean is missing"),
    N_("reduce to a single float: float(np.mean(np.abs(y_true - y_pred)))"),
    examples=[((_YR, _PR), {})],
    match=_any_candidate,
)
def mae_array_returned(y_true, y_pred):
    return _arrays(np.abs(_err(y_true, y_pred)))


@misconception(
    "mean_squared_error",
    "mse.half",
    N_("the textbook factor 1/2 (0.5 * mean of squares)"),
    N_("Keras' MSE has no 1/2: np.mean((y_true - y_pred)**2)"),
    examples=[((_YR, _PR), {})],
    project=_scalar,
)
def mse_half(y_true, y_pred):
    return float(0.5 * np.mean(_err(y_true, y_pred) ** 2))


@misconception(
    "mean_squared_error",
    "mse.root",
    N_("the square root taken: that is the RMSE, not the MSE"),
    N_("return the mean of the squared errors itself, without np.sqrt"),
    examples=[((_YR, _PR), {})],
    match=_any_candidate,
)
def mse_root(y_true, y_pred):
    sq = _err(y_true, y_pred) ** 2
    return float(np.sqrt(np.mean(sq))), float(np.mean(np.sqrt(np.mean(sq, axis=-1))))


@misconception(
    "mean_squared_error",
    "mse.absolute",
    N_("absolute errors instead of squared errors (that is the MAE)"),
    N_("MSE = np.mean((y_true - y_pred)**2): square each error"),
    examples=[((_YR, _PR), {})],
    project=_scalar,
)
def mse_absolute(y_true, y_pred):
    return float(np.mean(np.abs(_err(y_true, y_pred))))


@misconception(
    "mean_squared_error",
    "mse.sum",
    N_("the squared errors summed instead of averaged"),
    N_("average: np.mean over each row (axis=-1), then over the batch"),
    examples=[((_YR, _PR), {})],
    match=_any_candidate,
)
def mse_sum(y_true, y_pred):
    return _sums(_err(y_true, y_pred) ** 2)


@misconception(
    "mean_squared_error",
    "mse.array_returned",
    N_("an array of errors returned instead of one number: the batch mean is missing"),
    N_("reduce to a single float: float(np.mean((y_true - y_pred)**2))"),
    examples=[((_YR, _PR), {})],
    match=_any_candidate,
)
def mse_array_returned(y_true, y_pred):
    return _arrays(_err(y_true, y_pred) ** 2)


def _huber(y_true, y_pred, delta, small, large, *, cond=None):
    e = _err(y_true, y_pred)
    a = np.abs(e)
    inside = a <= delta if cond is None else cond(a, delta)
    return float(np.mean(np.mean(np.where(inside, small(e, a), large(a)), axis=-1)))


@misconception(
    "huber",
    "huber.branches_swapped",
    N_("the two pieces swapped: the quadratic piece used for large errors and the linear one for small"),
    N_("0.5 * e**2 where |e| <= delta, delta * |e| - 0.5 * delta**2 where |e| > delta"),
    examples=[((_YR, _PR), {})],
    project=_scalar,
)
def huber_branches_swapped(y_true, y_pred, delta=1.0):
    return _huber(
        y_true,
        y_pred,
        delta,
        lambda e, a: 0.5 * e * e,
        lambda a: delta * a - 0.5 * delta * delta,
        cond=lambda a, d: a > d,
    )


@misconception(
    "huber",
    "huber.delta_ignored",
    N_("the delta argument ignored (always 1)"),
    N_("use the caller's delta both in the test |e| <= delta and in the linear piece delta * |e| - 0.5 * delta**2"),
    examples=[((_YR, _PR), _HUBER_KW)],
    project=_scalar,
)
def huber_delta_ignored(y_true, y_pred, delta=1.0):
    return _huber(y_true, y_pred, 1.0, lambda e, a: 0.5 * e * e, lambda a: a - 0.5)


@misconception(
    "huber",
    "huber.quadratic_no_half",
    N_("the quadratic piece without its 1/2 (e**2 instead of 0.5 * e**2)"),
    N_("the quadratic piece is 0.5 * e**2; with the 1/2 it meets the linear piece smoothly at |e| = delta"),
    examples=[((_YR, _PR), {})],
    project=_scalar,
)
def huber_quadratic_no_half(y_true, y_pred, delta=1.0):
    return _huber(y_true, y_pred, delta, lambda e, a: e * e, lambda a: delta * a - 0.5 * delta * delta)


@misconception(
    "huber",
    "huber.linear_piece",
    N_("the linear piece for |e| > delta is not delta * |e| - 0.5 * delta**2"),
    N_("use delta * |e| - 0.5 * delta**2 there: it meets 0.5 * e**2 with the same value and slope at |e| = delta"),
    examples=[((_YR, _PR), _HUBER_KW)],
    match=_any_candidate,
)
def huber_linear_piece(y_true, y_pred, delta=1.0):
    quad = lambda e, a: 0.5 * e * e  # noqa: E731
    return tuple(
        _huber(y_true, y_pred, delta, quad, large)
        for large in (
            lambda a: delta * a,  # the offset forgotten
            lambda a: delta * a - delta * delta,  # the 1/2 of the offset forgotten
            lambda a: delta * (a - 0.5),  # the offset not scaled by delta
            lambda a: a - 0.5 * delta * delta,  # |e| not scaled by delta
        )
    )


@misconception(
    "huber",
    "huber.smooth_l1",
    N_("PyTorch's SmoothL1Loss(beta=delta) instead of Huber: 0.5 * e**2 / delta and |e| - 0.5 * delta"),
    N_("Keras' Huber is delta times that: 0.5 * e**2 where |e| <= delta, delta * |e| - 0.5 * delta**2 elsewhere"),
    examples=[((_YR, _PR), _HUBER_KW)],
    project=_scalar,
)
def huber_smooth_l1(y_true, y_pred, delta=1.0):
    return _huber(y_true, y_pred, delta, lambda e, a: 0.5 * e * e / delta, lambda a: a - 0.5 * delta)
