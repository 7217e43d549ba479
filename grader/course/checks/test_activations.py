"""Checks for the ``activations`` topic: every expected value comes from tf.nn on this machine."""

from __future__ import annotations

import numpy as np
import pytest

from grader.compare import assert_allclose, short
from grader.i18n import t

# Tolerances: TF computes in the input's dtype (float32 mostly) while students may use
# float64; rtol 1e-5 is ~80 float32 ulps, atol 1e-7 covers values that underflow to ~0.
RTOL, ATOL = 1e-5, 1e-7

# The course notes' nine digit scores (an input; TF supplies the expected output).
SEED_SCORES = np.array([0.2, 0.02, 0.15, 1.3, 0.5, 0.06, 1.1, 0.05, 3.75], dtype=np.float32)
LARGE = np.array([-1000.0, -700.0, -88.0, -20.0, -1.0, 0.0, 1.0, 20.0, 88.0, 700.0, 1000.0])


def _inputs(rng, dtype):
    """A batch of ordinary inputs, a batch of 1 and a 3-D array, in ``dtype``."""
    return [
        rng.normal(0, 3, size=(16, 10)).astype(dtype),
        rng.normal(0, 3, size=(1, 7)).astype(dtype),
        rng.uniform(-6, 6, size=(2, 3, 4)).astype(dtype),
    ]


def _tf_grad(tf, op, x):
    xt = tf.Variable(x)
    with tf.GradientTape() as tape:
        y = op(xt)
    return tape.gradient(y, xt).numpy()


def _tape(reference, tf, name, x):
    """TF's gradient of ``tf.nn.<name>`` at ``x``: a reference value (the same for every student)."""
    return reference(f"tape gradient of tf.nn.{name}", lambda: _tf_grad(tf, getattr(tf.nn, name), x), inputs=(name, x))


def _check_elementwise(student, name, tf_op, rng, dtype=np.float32, rtol=RTOL, atol=ATOL, **kw):
    for x in _inputs(rng, dtype):
        want = tf_op(x, **kw).numpy()
        got = student.call_pure(name, x, **kw)
        assert_allclose(got, want, rtol=rtol, atol=atol, name=f"{name}(x)", inputs=short(x))


# ------------------------------------------------------------------------------- sigmoid


@pytest.mark.about("sigmoid")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Try sigmoid(0), which must be 0.5, and a large positive x, which must approach 1: a flipped sign "
    "in the exponent mirrors the curve. Inputs are float32 and float64 arrays of several shapes, a "
    "3-D one included."
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_matches_tf(student, tf, rng, dtype):
    """sigmoid matches tf.nn.sigmoid on random batches"""
    _check_elementwise(student, "sigmoid", tf.nn.sigmoid, rng, dtype)


@pytest.mark.about("sigmoid")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check every exp your code evaluates for x = -1000 and x = 1000, including both branches of an "
    "np.where (NumPy computes both for every element): exponentiating a large positive number "
    "overflows and warns even if that value is thrown away."
)
def test_sigmoid_is_stable_for_large_inputs(student, tf):
    """sigmoid gives finite, correct values without overflow warnings for |x| up to 1000"""
    x = LARGE.copy()
    want = tf.nn.sigmoid(x).numpy()
    got = student.call_pure("sigmoid", x)
    assert_allclose(got, want, rtol=RTOL, atol=ATOL, name="sigmoid(x)", inputs=short(x))
    overflow = [w for w in student.last_warnings if "overflow" in w.lower()]
    assert not overflow, t("sigmoid(x) raised a warning for large |x|: {warning}", warning=overflow[0])


# ---------------------------------------------------------------------------------- tanh


@pytest.mark.about("tanh")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check the ends of the range: for |x| = 1000 tanh must be exactly +1 or -1, not NaN (a quotient "
    "built from exp(x) and exp(-x) becomes inf/inf there). NumPy's own elementwise functions are "
    "allowed."
)
def test_tanh_matches_tf(student, tf, rng):
    """tanh matches tf.nn.tanh on random batches and on inputs up to |x| = 1000"""
    _check_elementwise(student, "tanh", tf.nn.tanh, rng, np.float32)
    x = LARGE.copy()
    assert_allclose(
        student.call_pure("tanh", x), tf.nn.tanh(x).numpy(), rtol=RTOL, atol=ATOL, name="tanh(x)", inputs=short(x)
    )


# ---------------------------------------------------------------------------------- relu


@pytest.mark.about("relu")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Compare the shape of your result with the input's: relu works elementwise, so a function that "
    "reduces the array to one number (a maximum over it) gives the wrong shape. Negative inputs must "
    "become 0, not change sign."
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_matches_tf(student, tf, rng, dtype):
    """relu matches tf.nn.relu on random batches"""
    _check_elementwise(student, "relu", tf.nn.relu, rng, dtype)


# ---------------------------------------------------------------------------- leaky_relu


@pytest.mark.about("leaky_relu")
@pytest.mark.points(2)
@pytest.mark.hint(
    "This check calls leaky_relu(x) without alpha: check your default slope. It must be "
    "tf.nn.leaky_relu's default (0.2); the Keras LeakyReLU layer's 0.3 is a different default."
)
def test_leaky_relu_matches_tf_with_default_alpha(student, tf, rng):
    """leaky_relu(x) with its default alpha matches tf.nn.leaky_relu(x) (float32 and float64)"""
    for dtype in (np.float32, np.float64):
        _check_elementwise(student, "leaky_relu", tf.nn.leaky_relu, rng, dtype)


@pytest.mark.about("leaky_relu")
@pytest.mark.points(1)
@pytest.mark.hint(
    "This check passes alpha = 0.01 and 0.5: check that the slope of negative inputs comes from the "
    "argument, not a constant, and that positive inputs pass through unchanged."
)
@pytest.mark.parametrize("alpha", [0.01, 0.5])
def test_leaky_relu_uses_alpha(student, tf, rng, alpha):
    """leaky_relu(x, alpha) matches tf.nn.leaky_relu(x, alpha)"""
    x = rng.normal(0, 3, size=(8, 5)).astype(np.float32)
    want = tf.nn.leaky_relu(x, alpha=alpha).numpy()
    got = student.call_pure("leaky_relu", x, alpha)
    assert_allclose(got, want, rtol=RTOL, atol=ATOL, name=f"leaky_relu(x, {alpha})", inputs=short(x))


# ------------------------------------------------------------------------------- softmax


@pytest.mark.about("softmax")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check your output on the nine scores: every entry positive, the entries summing to 1, and a "
    "larger score giving a larger probability. If the sum is 1 but the values differ, look at what "
    "you exponentiate and what you divide by."
)
def test_softmax_matches_tf_on_course_scores(student, tf):
    """softmax of the course notes' nine digit scores matches tf.nn.softmax"""
    x = SEED_SCORES.copy()
    want = tf.nn.softmax(x).numpy()
    assert_allclose(student.call_pure("softmax", x), want, rtol=RTOL, atol=ATOL, name="softmax(x)", inputs=short(x))


@pytest.mark.about("softmax")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check that every row of a (16, 10) batch sums to 1 on its own: the sum must run along `axis` "
    "only and keep that dimension so that it broadcasts back against the rows. A batch of 1 and a 3-D "
    "array are included."
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_matches_tf_on_batches(student, tf, rng, dtype):
    """softmax matches tf.nn.softmax row by row on random batches (including a batch of 1)"""
    _check_elementwise(student, "softmax", tf.nn.softmax, rng, dtype)


@pytest.mark.about("softmax")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Feed [1000, 1000, 999] to your function: exp(1000) is inf, so the result turns into NaN. Softmax "
    "does not change when the same constant is subtracted from every score along `axis`: which "
    "constant keeps every exponent <= 0?"
)
def test_softmax_matches_tf_on_large_inputs(student, tf):
    """softmax is stable for scores like [1000, 1000, 999]"""
    x = np.array([[1000.0, 1000.0, 999.0], [-1000.0, 0.0, 1000.0], [-1000.0, -1000.0, -999.0]], dtype=np.float32)
    want = tf.nn.softmax(x).numpy()
    assert_allclose(student.call_pure("softmax", x), want, rtol=RTOL, atol=ATOL, name="softmax(x)", inputs=short(x))


@pytest.mark.about("softmax")
@pytest.mark.points(1)
@pytest.mark.hidden
@pytest.mark.hint(
    "Which axis do you normalise over? This check passes axis=0, so every column must sum to 1: check "
    "that each maximum and sum you take uses `axis`, not a fixed -1."
)
def test_softmax_respects_axis(student, tf, rng):
    """softmax(x, axis=0) normalises columns like tf.nn.softmax(x, axis=0)"""
    x = rng.normal(0, 2, size=(5, 4)).astype(np.float32)
    want = tf.nn.softmax(x, axis=0).numpy()
    assert_allclose(
        student.call_pure("softmax", x, axis=0), want, rtol=RTOL, atol=ATOL, name="softmax(x, axis=0)", inputs=short(x)
    )


# --------------------------------------------------------------------------- derivatives


@pytest.mark.about("sigmoid_grad")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check a few values of your derivative: 0.25 at x = 0 (its maximum), never negative, vanishing "
    "for large |x|, and finite without overflow warnings for |x| = 1000. It can be written with the "
    "sigmoid itself."
)
def test_sigmoid_grad_matches_gradient_tape(student, tf, reference, rng):
    """sigmoid_grad matches the gradient tf.GradientTape computes for tf.nn.sigmoid (float32 and float64)"""
    for x in [*_inputs(rng, np.float32), LARGE.astype(np.float32), *_inputs(rng, np.float64), LARGE.copy()]:
        want = _tape(reference, tf, "sigmoid", x)
        assert_allclose(
            student.call_pure("sigmoid_grad", x), want, rtol=1e-4, atol=1e-7, name="sigmoid_grad(x)", inputs=short(x)
        )


@pytest.mark.about("tanh_grad")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check tanh_grad(0) = 1 and that the values stay in [0, 1] and shrink as |x| grows; a value above "
    "1 or below 0 points at a sign or a missing square."
)
def test_tanh_grad_matches_gradient_tape(student, tf, reference, rng):
    """tanh_grad matches the gradient tf.GradientTape computes for tf.nn.tanh (float32 and float64)"""
    # rtol 1e-4: 1 - tanh^2 loses relative precision in float32 as tanh -> 1.
    for x in [*_inputs(rng, np.float32), *_inputs(rng, np.float64)]:
        want = _tape(reference, tf, "tanh", x)
        assert_allclose(
            student.call_pure("tanh_grad", x), want, rtol=1e-4, atol=1e-6, name="tanh_grad(x)", inputs=short(x)
        )


@pytest.mark.about("relu_grad")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check the exact values at x = 0 and x = -0.0: TensorFlow takes the derivative there as 0. Every "
    "output must be exactly 0 or 1 (compared with no tolerance), and a tiny positive x such as 1e-30 "
    "gives 1."
)
def test_relu_grad_matches_gradient_tape_including_zero(student, tf, reference, rng):
    """relu_grad matches tf.GradientTape on tf.nn.relu, with relu'(0) = 0 (float32 and float64)"""
    edge = np.array([-2.0, -0.0, 0.0, 1e-30, 3.0])
    xs = [*_inputs(rng, np.float32), edge.astype(np.float32), *_inputs(rng, np.float64), edge]
    for x in xs:
        want = _tape(reference, tf, "relu", x)
        assert_allclose(student.call_pure("relu_grad", x), want, rtol=0, atol=0, name="relu_grad(x)", inputs=short(x))


# ------------------------------------------------------------------------- plotted curves

_TF_OPS = {
    "sigmoid": lambda tf, x: tf.nn.sigmoid(x).numpy(),
    "tanh": lambda tf, x: tf.nn.tanh(x).numpy(),
    "relu": lambda tf, x: tf.nn.relu(x).numpy(),
    "leaky_relu": lambda tf, x: tf.nn.leaky_relu(x).numpy(),
    "sigmoid_grad": lambda tf, x: _tf_grad(tf, tf.nn.sigmoid, x),
    "tanh_grad": lambda tf, x: _tf_grad(tf, tf.nn.tanh, x),
    "relu_grad": lambda tf, x: _tf_grad(tf, tf.nn.relu, x),
}


@pytest.mark.points(1)
@pytest.mark.hint("The HTML report draws your curve over TensorFlow's: look where they part.")
@pytest.mark.parametrize("fn", [pytest.param(n, marks=pytest.mark.about(n), id=n) for n in _TF_OPS])
def test_curve_matches_tf_over_the_plotted_range(student, tf, reference, fn):
    """the curve over x in [-10, 10] (the course's plot) matches TensorFlow's"""
    # 201 points include x = 0 exactly; tolerances as above (float32 reference).
    x = np.linspace(-10, 10, 201).astype(np.float32)
    want = reference(f"{fn} curve", lambda: _TF_OPS[fn](tf, x), inputs=(fn, x))
    assert_allclose(student.call_pure(fn, x), want, rtol=1e-4, atol=1e-6, name=f"{fn}(x)", curve_x=x)
