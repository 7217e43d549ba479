"""Checks for the ``losses`` topic: every expected value comes from a keras.losses object on this machine.

Keras loss objects cast their inputs to float32 (``Loss.dtype`` is ``backend.floatx()``) and
compute in float32; students may compute in float64. Keras clips probabilities to
``[1e-7, 1 - 1e-7]`` (``backend.epsilon()``) and, for CategoricalCrossentropy, first rescales
each row to sum 1. With logits it uses ``tf.nn.softmax_cross_entropy_with_logits`` /
``tf.nn.sigmoid_cross_entropy_with_logits`` (no clipping at all).
"""

from __future__ import annotations

import numpy as np
import pytest

from grader.compare import as_float, assert_close, short

# Tolerances: Keras computes in float32 (unit roundoff 6e-8; a log, a sum over a row and a
# batch mean accumulate to ~1e-6 relative) while students may use float64: rtol 1e-5 leaves
# ~10x headroom; atol 1e-6 covers losses that are ~0 where only absolute rounding is left.
RTOL, ATOL = 1e-5, 1e-6

# The course notes' worked examples (inputs only; the installed Keras supplies the numbers).
NOTES_CCE = ([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
NOTES_BCE = ([[0], [1]], [[0.4], [0.6]])
NOTES_MAE = ([[0.0], [0.0]], [[1.0], [1.0]])
NOTES_MSE = ([[0.0], [1.0]], [[1.0], [1.0]])
NOTES_HUBER = ([[0], [1]], [[0.6], [0.4]])


def _keras_loss(keras, cls, y_true, y_pred, dtype=None, **kw):
    """The batch-mean loss of ``keras.losses.<cls>(**kw)`` (float32 unless ``dtype`` says otherwise)."""
    return float(getattr(keras.losses, cls)(dtype=dtype, **kw)(y_true, y_pred))


@pytest.fixture
def loss_of(keras, reference):
    """``loss_of(cls, y_true, y_pred, dtype=None, **kw)``: :func:`_keras_loss`, computed once per
    (check, seed, inputs) and shared (the reference store)."""

    def compute(cls, y_true, y_pred, dtype=None, **kw):
        return reference(
            f"keras {cls}",
            lambda: _keras_loss(keras, cls, y_true, y_pred, dtype=dtype, **kw),
            inputs=(cls, y_true, y_pred, dtype, kw),
        )

    return compute


def _check(student, loss_of, fn, cls, y_true, y_pred, *, rtol=RTOL, atol=ATOL, **kw):
    want = loss_of(cls, y_true, y_pred, **kw)
    got = student.call_pure(fn, y_true, y_pred, **kw)
    args = ", ".join(f"{k}={v!r}" for k, v in kw.items())
    first = _first(fn)
    assert_close(
        got,
        want,
        rtol=rtol,
        atol=atol,
        name=f"{fn}({first}, y_pred{', ' if args else ''}{args})",
        inputs=f"{first}={short(y_true)}, y_pred={short(y_pred)}",
    )


def _first(fn):
    return "labels" if fn.startswith("sparse") else "y_true"


def _check_either_precision(student, loss_of, fn, cls, y_true, y_pred, **kw):
    """Accept Keras' float32 result or the same formula in float64.

    At probabilities of exactly 1 the clip bound 1 - 1e-7 rounds in float32 to 1 - 1.19e-7, so
    Keras' float32 ``-log(1 - p)`` is 15.942 where float64 (and the textbook
    ``-log(1 - p + 1e-7)`` in any precision) gives 16.118. Both are correct implementations.
    """
    wants = [
        loss_of(cls, y_true, y_pred, **kw),
        loss_of(cls, y_true, y_pred, dtype="float64", **kw),
    ]
    first = _first(fn)
    name = f"{fn}({first}, y_pred)"
    g = as_float(student.call_pure(fn, y_true, y_pred, **kw), name=name)
    want = min(wants, key=lambda w: abs(g - w)) if np.isfinite(g) else wants[0]
    assert_close(g, want, rtol=RTOL, atol=ATOL, name=name, inputs=f"{first}={short(y_true)}, y_pred={short(y_pred)}")


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _probs(rng, n, k, dtype):
    """Random probability rows with every entry >= 0.1/k (>= 0.02 here).

    Away from 0 on purpose: the textbook log(p + 1e-7) differs from Keras' log(clip(p)) by
    ~1e-7/p, below the tolerance only for p >~ 0.01. Probabilities of exactly 0 and 1 are
    checked separately, where both conventions give -log(1e-7).
    """
    return (0.9 * _softmax(rng.normal(0, 2, size=(n, k))) + 0.1 / k).astype(dtype)


def _onehot(rng, n, k, dtype):
    return np.eye(k, dtype=dtype)[rng.integers(0, k, size=n)]


def _shapes(rng):
    """(batch, k) pairs: an ordinary batch, another one and a batch of one."""
    return [(16, 5), (int(rng.integers(2, 9)), 3), (1, 4)]


# -------------------------------------------------------------------- categorical_crossentropy


@pytest.mark.about("categorical_crossentropy")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Compare your result with the input's shape: the loss is one number, the mean over the batch of "
    "the per-sample losses, not a per-sample array or a sum over the batch. Work the first sample by "
    "hand: only the true class's probability counts."
)
def test_cce_course_example(student, loss_of):
    """categorical_crossentropy matches CategoricalCrossentropy on the course notes' example"""
    y_true, y_pred = (np.array(a, dtype=np.float32) for a in NOTES_CCE)
    _check_either_precision(student, loss_of, "categorical_crossentropy", "CategoricalCrossentropy", y_true, y_pred)


@pytest.mark.about("categorical_crossentropy")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check which axis you sum over and which you average over: the classes of a row (the last axis) "
    "are summed, the samples of the batch are averaged. A batch of 1 is included, so divide by no "
    "fixed size."
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cce_random_batches(student, loss_of, rng, dtype):
    """categorical_crossentropy matches Keras on random one-hot batches (including a batch of 1)"""
    for n, k in _shapes(rng):
        _check(
            student,
            loss_of,
            "categorical_crossentropy",
            "CategoricalCrossentropy",
            _onehot(rng, n, k, dtype),
            _probs(rng, n, k, dtype),
        )


@pytest.mark.about("categorical_crossentropy")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Try y_pred with exact 0s and 1s: log(0) gives inf and 0 * log(0) gives NaN. Keras clips the "
    "probabilities to [1e-7, 1 - 1e-7] (its epsilon) before the log; check whether and where you "
    "clip."
)
def test_cce_clips_probabilities_zero_and_one(student, loss_of):
    """categorical_crossentropy is finite and matches Keras for probabilities of exactly 0 and 1"""
    y_true = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0]], dtype=np.float32)
    y_pred = np.array([[0, 1, 0], [0, 1, 0], [0.5, 0.5, 0], [0, 0.3, 0.7]], dtype=np.float32)
    _check_either_precision(student, loss_of, "categorical_crossentropy", "CategoricalCrossentropy", y_true, y_pred)


@pytest.mark.about("categorical_crossentropy")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Check a row of y_pred that does not sum to 1 (one row here sums to 0.5): Keras first divides "
    "each row by its own sum, and only then clips and takes the log."
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cce_rescales_unnormalised_rows(student, loss_of, rng, dtype):
    """categorical_crossentropy rescales rows of y_pred that do not sum to 1, as Keras does"""
    y_pred = rng.uniform(0.05, 2.0, size=(6, 5)).astype(dtype)
    y_pred[0] *= 0.5 / y_pred[0].sum()  # under every seed: a row summing to 0.5...
    y_pred[1] = rng.uniform(1.0, 2.0, size=5).astype(dtype)  # ...and one summing to at least 5
    _check(student, loss_of, "categorical_crossentropy", "CategoricalCrossentropy", _onehot(rng, 6, 5, dtype), y_pred)


@pytest.mark.about("categorical_crossentropy")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Here y_true holds smoothed labels, not one-hot rows: check that every class of y_true "
    "contributes, weighted by its value, rather than only the class with the largest entry."
)
def test_cce_soft_labels(student, loss_of, rng):
    """categorical_crossentropy matches Keras when y_true holds soft (smoothed) labels"""
    _check(
        student,
        loss_of,
        "categorical_crossentropy",
        "CategoricalCrossentropy",
        _probs(rng, 8, 5, np.float64),
        _probs(rng, 8, 5, np.float64),
    )


@pytest.mark.about("categorical_crossentropy")
@pytest.mark.points(2)
@pytest.mark.hint(
    "With from_logits=True, y_pred holds raw scores, not probabilities: check that each row becomes "
    "log-probabilities (a log-softmax over the last axis) before the cross-entropy, with no rescaling "
    "or clipping."
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cce_from_logits(student, loss_of, rng, dtype):
    """categorical_crossentropy(..., from_logits=True) matches Keras on random logits"""
    for n, k in _shapes(rng):
        _check(
            student,
            loss_of,
            "categorical_crossentropy",
            "CategoricalCrossentropy",
            _onehot(rng, n, k, dtype),
            rng.normal(0, 3, size=(n, k)).astype(dtype),
            from_logits=True,
        )


@pytest.mark.about("categorical_crossentropy")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Feed logits such as [1000, -1000, 0] and look for inf or NaN in your intermediate values: "
    "exp(1000) overflows, and a probability that underflows to 0 makes its log -inf. Get the "
    "log-probabilities without taking the log of a probability."
)
def test_cce_from_logits_large(student, loss_of, rng):
    """categorical_crossentropy(..., from_logits=True) is exact for logits of magnitude 1000"""
    fixed = np.array([[1000, -1000, 0], [-1000, 1000, 999], [1000, 1000, 999]], dtype=np.float32)
    y_fixed = np.array([[1, 0, 0], [1, 0, 0], [0, 0, 1]], dtype=np.float32)
    logits = np.concatenate([fixed, rng.uniform(-1000, 1000, size=(5, 3)).astype(np.float32)])
    y_true = np.concatenate([y_fixed, _onehot(rng, 5, 3, np.float32)])
    _check(student, loss_of, "categorical_crossentropy", "CategoricalCrossentropy", y_true, logits, from_logits=True)


# ------------------------------------------------------------- sparse_categorical_crossentropy


@pytest.mark.about("sparse_categorical_crossentropy")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check what labels holds: one class index per sample (here 1 and 2), not one-hot rows. Each "
    "sample's loss uses the predicted probability of its own class, and the result is the mean over "
    "the batch."
)
def test_scce_course_example(student, loss_of):
    """sparse_categorical_crossentropy matches Keras on the course notes' example as class indices"""
    labels = np.array([1, 2], dtype=np.int64)
    y_pred = np.array(NOTES_CCE[1], dtype=np.float32)
    _check_either_precision(
        student, loss_of, "sparse_categorical_crossentropy", "SparseCategoricalCrossentropy", labels, y_pred
    )


@pytest.mark.about("sparse_categorical_crossentropy")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check that you pick one probability per row, the one at that row's label: n values, not an (n, "
    "n) block from indexing the columns with labels alone. labels may be int32 or int64, and a batch "
    "of 1 is included."
)
@pytest.mark.parametrize("dtype,label_dtype", [(np.float32, np.int64), (np.float64, np.int32)])
def test_scce_random_batches(student, loss_of, rng, dtype, label_dtype):
    """sparse_categorical_crossentropy matches Keras on random batches (including a batch of 1)"""
    for n, k in _shapes(rng):
        labels = rng.integers(0, k, size=n).astype(label_dtype)
        _check(
            student,
            loss_of,
            "sparse_categorical_crossentropy",
            "SparseCategoricalCrossentropy",
            labels,
            _probs(rng, n, k, dtype),
        )


def _unnormalised_rows(rng, n, k, dtype):
    """Probability rows that do not sum to 1, every entry inside (0.02, 1): the clip never binds,
    so Keras' two orders (rescale then clip for CCE, clip then rescale for SCCE) agree. Row 0
    sums to 0.5 and row 1 to more than 2 under every seed; the rest are uniform in [0.05, 0.95]."""
    rows = rng.uniform(0.05, 0.95, size=(n, k))
    rows[0] *= 0.5 / rows[0].sum()
    rows[1] = rng.uniform(0.5, 0.95, size=k)  # k >= 5: the sum is at least 2.5
    return rows.astype(dtype)


@pytest.mark.about("sparse_categorical_crossentropy")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Check a row of y_pred that does not sum to 1 (one row here sums to 0.5): Keras rescales each row "
    "by its own sum, after clipping to [1e-7, 1 - 1e-7], before taking the log of the label's entry."
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scce_rescales_unnormalised_rows(student, loss_of, rng, dtype):
    """sparse_categorical_crossentropy rescales rows of y_pred that do not sum to 1, as Keras does"""
    n, k = 7, 5
    _check(
        student,
        loss_of,
        "sparse_categorical_crossentropy",
        "SparseCategoricalCrossentropy",
        rng.integers(0, k, size=n),
        _unnormalised_rows(rng, n, k, dtype),
    )


@pytest.mark.about("sparse_categorical_crossentropy")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Try a predicted probability of exactly 0 for the true class: the loss must be large but finite, "
    "not inf. Check that you clip to [1e-7, 1 - 1e-7] (Keras' epsilon) before the log."
)
def test_scce_clips_probabilities_zero_and_one(student, loss_of):
    """sparse_categorical_crossentropy is finite and matches Keras for probabilities of exactly 0 and 1"""
    labels = np.array([1, 0, 2, 1], dtype=np.int64)
    y_pred = np.array([[0, 1, 0], [0, 1, 0], [0.5, 0.5, 0], [0, 0.3, 0.7]], dtype=np.float32)
    _check_either_precision(
        student, loss_of, "sparse_categorical_crossentropy", "SparseCategoricalCrossentropy", labels, y_pred
    )


@pytest.mark.about("sparse_categorical_crossentropy")
@pytest.mark.points(2)
@pytest.mark.hint(
    "With from_logits=True, check that each row of scores becomes log-probabilities before you pick "
    "the label's entry, and that this stays finite for logits of magnitude 1000 (no exp of a large "
    "number, no log of an underflowed probability)."
)
def test_scce_from_logits(student, loss_of, rng):
    """sparse_categorical_crossentropy(..., from_logits=True) matches Keras, also for logits of magnitude 1000"""
    for n, k in _shapes(rng):
        _check(
            student,
            loss_of,
            "sparse_categorical_crossentropy",
            "SparseCategoricalCrossentropy",
            rng.integers(0, k, size=n),
            rng.normal(0, 3, size=(n, k)).astype(np.float32),
            from_logits=True,
        )
    large = np.array([[1000, -1000, 0], [-1000, 1000, 999], [1000, 1000, 999]], dtype=np.float32)
    _check(
        student,
        loss_of,
        "sparse_categorical_crossentropy",
        "SparseCategoricalCrossentropy",
        np.array([0, 0, 2]),
        large,
        from_logits=True,
    )


# ------------------------------------------------------------------------ binary_crossentropy


@pytest.mark.about("binary_crossentropy")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check both terms of each element's loss: a label of 1 counts through y_pred, a label of 0 "
    "through the probability of 0 (one minus y_pred). The result is one number: the mean over each "
    "row, then over the batch."
)
def test_bce_course_example(student, loss_of):
    """binary_crossentropy matches BinaryCrossentropy on the course notes' example"""
    y_true, y_pred = (np.array(a, dtype=np.float32) for a in NOTES_BCE)
    _check(student, loss_of, "binary_crossentropy", "BinaryCrossentropy", y_true, y_pred)


@pytest.mark.about("binary_crossentropy")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check how you reduce: the elements of a row (several columns here) are averaged, not summed, "
    "then the samples are averaged. Soft targets between 0 and 1 are included, so both terms count "
    "for every element."
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_random_batches(student, loss_of, rng, dtype):
    """binary_crossentropy matches Keras on random batches with several columns (including a batch of 1)"""
    for n, k in _shapes(rng):
        y_true = rng.integers(0, 2, size=(n, k)).astype(dtype)
        y_pred = rng.uniform(0.02, 0.98, size=(n, k)).astype(dtype)
        _check(student, loss_of, "binary_crossentropy", "BinaryCrossentropy", y_true, y_pred)
    # soft targets are allowed too
    y_true, y_pred = rng.uniform(0.02, 0.98, size=(2, 6, 2)).astype(dtype)
    _check(student, loss_of, "binary_crossentropy", "BinaryCrossentropy", y_true, y_pred)


@pytest.mark.about("binary_crossentropy")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Try y_pred of exactly 0 and 1 and check both logs for inf, and 0 * log(0) for NaN. Keras clips "
    "the probabilities to [1e-7, 1 - 1e-7] once, before either log."
)
def test_bce_clips_probabilities_zero_and_one(student, loss_of):
    """binary_crossentropy is finite and matches Keras for probabilities of exactly 0 and 1"""
    y_true = np.array([[0, 1], [1, 0], [0, 1], [1, 1]], dtype=np.float32)
    y_pred = np.array([[1, 0], [0, 1], [0, 1], [1, 0.5]], dtype=np.float32)
    _check_either_precision(student, loss_of, "binary_crossentropy", "BinaryCrossentropy", y_true, y_pred)


@pytest.mark.about("binary_crossentropy")
@pytest.mark.points(2)
@pytest.mark.hint(
    "With from_logits=True, y_pred holds logits: check that you turn them into probabilities (or use "
    "a form that works on the logits directly) before the cross-entropy, and that you do not clip "
    "logits as if they were probabilities."
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_from_logits(student, loss_of, rng, dtype):
    """binary_crossentropy(..., from_logits=True) matches Keras on random logits"""
    for n, k in _shapes(rng):
        y_true = rng.integers(0, 2, size=(n, k)).astype(dtype)
        _check(
            student,
            loss_of,
            "binary_crossentropy",
            "BinaryCrossentropy",
            y_true,
            rng.normal(0, 4, size=(n, k)).astype(dtype),
            from_logits=True,
        )


@pytest.mark.about("binary_crossentropy")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Feed logits of +-1000: sigmoid(-1000) rounds to 0, so a log of the sigmoid is -inf, and clipping "
    "caps the loss near 16.1 where Keras gives 1000. Look for exp of large numbers and logs of "
    "rounded probabilities; work with the logit itself."
)
def test_bce_from_logits_large(student, loss_of, rng):
    """binary_crossentropy(..., from_logits=True) is exact for logits of magnitude 1000"""
    x = np.array([[-1000, 1000, -20], [1000, -1000, 30], [0, 500, -700]], dtype=np.float32)
    y = np.array([[1, 0, 1], [1, 0, 0], [1, 1, 0]], dtype=np.float32)
    _check(student, loss_of, "binary_crossentropy", "BinaryCrossentropy", y, x, from_logits=True)


# ------------------------------------------------------------------- regression losses


@pytest.mark.about("mean_absolute_error")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Work the course example by hand: errors of 1 on both samples give a loss of exactly 1. The "
    "result is one number, the mean of the absolute errors."
)
def test_mae_course_example(student, loss_of):
    """mean_absolute_error matches MeanAbsoluteError on the course notes' example"""
    y_true, y_pred = (np.array(a, dtype=np.float32) for a in NOTES_MAE)
    _check(student, loss_of, "mean_absolute_error", "MeanAbsoluteError", y_true, y_pred)


@pytest.mark.about("mean_absolute_error")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check how signs are handled: with random errors of both signs, positive and negative errors must "
    "not cancel. Also check that you average, not sum, over the columns and over the batch."
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mae_random_batches(student, loss_of, rng, dtype):
    """mean_absolute_error matches Keras on random batches (including a batch of 1)"""
    for n, k in _shapes(rng):
        y_true, y_pred = rng.normal(0, 2, size=(2, n, k)).astype(dtype)
        _check(student, loss_of, "mean_absolute_error", "MeanAbsoluteError", y_true, y_pred)


@pytest.mark.about("mean_squared_error")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Work the course example by hand: one error of 1 and one of 0 give a mean squared error of 0.5. "
    "The result is one number."
)
def test_mse_course_example(student, loss_of):
    """mean_squared_error matches MeanSquaredError on the course notes' example"""
    y_true, y_pred = (np.array(a, dtype=np.float32) for a in NOTES_MSE)
    _check(student, loss_of, "mean_squared_error", "MeanSquaredError", y_true, y_pred)


@pytest.mark.about("mean_squared_error")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Compare your result with a hand computation on a small batch: is it off by a factor of 2 (a 1/2 "
    "Keras does not use), by a square root, or by the number of columns (a sum instead of a mean)?"
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mse_random_batches(student, loss_of, rng, dtype):
    """mean_squared_error matches Keras on random batches (including a batch of 1)"""
    for n, k in _shapes(rng):
        y_true, y_pred = rng.normal(0, 2, size=(2, n, k)).astype(dtype)
        _check(student, loss_of, "mean_squared_error", "MeanSquaredError", y_true, y_pred)


@pytest.mark.about("huber")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Work the example by hand: both errors (0.6) lie within delta = 1, where the loss is the "
    "quadratic piece, half the squared error. Check which piece your code used."
)
def test_huber_course_example(student, loss_of):
    """huber matches keras.losses.Huber on the course notes' example"""
    y_true, y_pred = (np.array(a, dtype=np.float32) for a in NOTES_HUBER)
    _check(student, loss_of, "huber", "Huber", y_true, y_pred)


@pytest.mark.about("huber")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Errors here fall on both sides of delta = 1: check which piece applies where (quadratic up to "
    "delta, linear beyond) and that both pieces give the same value at |e| = delta."
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huber_random_errors_on_both_sides_of_delta(student, loss_of, rng, dtype):
    """huber matches Keras with the default delta on errors both below and above 1"""
    for n, k in _shapes(rng):
        y_true, y_pred = rng.normal(0, 1.5, size=(2, n, k)).astype(dtype)
        _check(student, loss_of, "huber", "Huber", y_true, y_pred)


@pytest.mark.about("huber")
@pytest.mark.points(1)
@pytest.mark.hint(
    "This check passes delta = 0.3 and 2.5: check that delta is used everywhere it belongs, in the "
    "switch between the pieces and inside the linear piece, instead of a fixed 1."
)
@pytest.mark.parametrize("delta", [0.3, 2.5])
def test_huber_custom_delta(student, loss_of, rng, delta):
    """huber(y_true, y_pred, delta) matches keras.losses.Huber(delta=delta)"""
    y_true = rng.normal(0, 1, size=(12, 3))
    # errors from 0.1*delta to 4*delta, with random signs: both pieces are exercised
    err = delta * rng.uniform(0.1, 4.0, size=(12, 3)) * rng.choice([-1.0, 1.0], size=(12, 3))
    _check(student, loss_of, "huber", "Huber", y_true, y_true + err, delta=delta)
