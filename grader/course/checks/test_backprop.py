"""Checks for the ``backprop`` topic: analytic gradients and tf.GradientTape on this machine."""

from __future__ import annotations

import numpy as np
import pytest

from grader.compare import as_float, as_tuple, assert_allclose, assert_close, describe_value, short
from grader.course.backprop_functions import Quadratic, SinSum, SoftmaxCrossEntropy
from grader.errors import CheckFailed
from grader.i18n import t

# numerical_gradient runs in float64 against exact gradients. A central difference with
# h = 1e-5 is off by ~h**2/6*f''' (< 2e-8 here) plus rounding ~1e-16*|f|/h (< 1e-9), so
# rtol 1e-6 / atol 1e-7 has >= 5x headroom, while a forward difference (error h/2*f'', >= 1e-5
# for these curvy functions) and a forgotten restore (error ~h*|A| ~ 3e-5) fall outside.
NG_RTOL, NG_ATOL = 1e-6, 1e-7
# Layer gradients: TF computes in the inputs' dtype; a float32 implementation (allowed) has
# ~1e-7 relative rounding per op, and a matmul sums up to ~20 products of O(1) numbers.
RTOL, ATOL = 1e-5, 1e-5
# The MLP: float32 implementations are allowed; through two layers, the softmax and sums over
# the batch their error stays below 1e-5 relative, so rtol 1e-4 / atol 1e-6 has 10x headroom.
MLP_RTOL, MLP_ATOL = 1e-4, 1e-6
KEYS = ("W1", "b1", "W2", "b2")


def _fn(f) -> str:
    """The test function in the student's language (SinSum's repr is a formula)."""
    if isinstance(f, Quadratic):
        return t("f(X) = 0.5*sum(X * (A @ X)) + sum(B * X) with A of shape {shape}", shape=f.A.shape)
    if isinstance(f, SoftmaxCrossEntropy):
        return t("softmax cross-entropy of a linear model on a batch of {n}", n=f.x.shape[0])
    return repr(f)


# ------------------------------------------------------------------------ numerical_gradient


@pytest.mark.about("numerical_gradient")
@pytest.mark.points(3)
@pytest.mark.hint(
    "Check that every entry of x gets its own partial derivative, whatever x's shape (1-D, 2-D and "
    "3-D here), and that the difference is central: a one-sided difference is off by about h times "
    "the curvature."
)
def test_numerical_gradient_sin_sum(student, rng):
    """numerical_gradient of sum(sin(10 x)) matches the analytic gradient for 1-D, 2-D and 3-D x"""
    f = SinSum(10.0)
    for shape in [(5,), (4, 3), (2, 3, 2)]:
        x = rng.uniform(-1.5, 1.5, size=shape)
        got = student.call("numerical_gradient", f, x)
        assert_allclose(
            got,
            f.gradient(x),
            rtol=NG_RTOL,
            atol=NG_ATOL,
            name="numerical_gradient(f, x)",
            inputs=f"{_fn(f)}, x={short(x)}",
        )


@pytest.mark.about("numerical_gradient")
@pytest.mark.points(3)
@pytest.mark.hint(
    "Here f mixes all entries of x: check that each partial derivative is taken at the original x "
    "with only one entry shifted, i.e. that every shifted entry is put back before you move on to the "
    "next."
)
def test_numerical_gradient_coupled_quadratic(student, rng):
    """numerical_gradient of a quadratic form coupling all entries of a 2-D x matches its gradient"""
    d, m = 4, 3
    A = rng.normal(0, 3, size=(d, d)) + 5 * np.eye(d)
    f = Quadratic(A, rng.normal(0, 1, size=(d, m)))
    x = rng.normal(0, 1, size=(d, m))
    got = student.call("numerical_gradient", f, x)
    assert_allclose(
        got,
        f.gradient(x),
        rtol=NG_RTOL,
        atol=NG_ATOL,
        name="numerical_gradient(f, x)",
        inputs=f"{_fn(f)}, x={short(x)}",
    )


@pytest.mark.about("numerical_gradient")
@pytest.mark.points(2)
@pytest.mark.hint(
    "f can be any scalar function of an array (here a classifier's loss): check that your code only "
    "calls f on perturbed versions of the array, assumes nothing about its formula, and gives a "
    "result of W's shape."
)
def test_numerical_gradient_softmax_cross_entropy(student, tf, reference, rng):
    """numerical_gradient of a linear softmax classifier's loss matches tf.GradientTape"""
    n, d, c = 6, 4, 3
    xs = rng.normal(0, 1, size=(n, d))
    ys = np.eye(c)[rng.integers(0, c, size=n)]
    f = SoftmaxCrossEntropy(xs, ys)
    W = rng.normal(0, 1, size=(d, c))

    def tape_gradient():
        Wt = tf.Variable(W)  # float64 throughout
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=ys, logits=xs @ Wt))
        return tape.gradient(loss, Wt).numpy()

    want = reference("tape gradient", tape_gradient, inputs=(xs, ys, W))
    got = student.call("numerical_gradient", f, W)
    assert_allclose(
        got, want, rtol=NG_RTOL, atol=1e-8, name="numerical_gradient(f, W)", inputs=f"{_fn(f)}, W={short(W)}"
    )


def _float32_point(rng, shape, h):
    """float32 x with |x| in [0.5, 1.5] at which float32 cannot hold x + h exactly: the float32
    neighbours of x +- h are up to 6e-8 away, so a difference quotient taken in float32 is off by
    ~1e-3 relative. Redrawn until that error exceeds 1e-4 somewhere, so it shows under every seed."""
    while True:
        x = (rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)).astype(np.float32)
        step = (x + np.float32(h)) - (x - np.float32(h))  # float32 arithmetic
        if np.max(np.abs(step / (2 * h) - 1.0)) > 1e-4:
            return x


@pytest.mark.about("numerical_gradient")
@pytest.mark.points(1)
@pytest.mark.hint(
    "x is float32 here: check the dtype you take the differences in. Rounded to float32, x + 1e-5 "
    "keeps only a few digits of the step, so the quotient is off by ~1e-3; do the perturbing in "
    "float64."
)
def test_numerical_gradient_float32_x(student, rng):
    """numerical_gradient of sum(sin(10 x)) is exact for float32 x too (the differences are taken in float64)"""
    f = SinSum(10.0)
    x = _float32_point(rng, (3, 4), 1e-5)
    # The truth at the float32 point itself (exact in float64); tolerances as for float64 x: a
    # float32 result is fine (6e-8 relative), only the difference quotient must not be float32.
    got = student.call_pure("numerical_gradient", f, x)
    assert_allclose(
        got,
        f.gradient(x),
        rtol=NG_RTOL,
        atol=NG_ATOL,
        name="numerical_gradient(f, x)",
        inputs=t("{function}, float32 x={x}", function=_fn(f), x=short(x)),
    )


@pytest.mark.about("numerical_gradient")
@pytest.mark.points(1)
@pytest.mark.hint(
    "This check passes h = 0.05 and 1e-3 and expects the central difference with exactly that step: "
    "check that `h` comes from the argument everywhere, in the shift and in the divisor."
)
def test_numerical_gradient_uses_h(student, rng):
    """numerical_gradient(f, x, h) uses the given step h"""
    f = SinSum(10.0)
    x = rng.uniform(-1.5, 1.5, size=(3, 4))
    for h in (0.05, 1e-3):
        # the exact central difference with this (large) step, not the true derivative
        want = f.central_difference(x, h)
        got = student.call("numerical_gradient", f, x, h=h)
        assert_allclose(
            got,
            want,
            rtol=NG_RTOL,
            atol=NG_ATOL,
            name=f"numerical_gradient(f, x, h={h})",
            inputs=f"{_fn(f)}, x={short(x)}",
        )


@pytest.mark.about("numerical_gradient")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Check x after your function finishes: it must hold exactly its old values. Adding h and "
    "subtracting it again leaves rounding errors; put back the saved value, or work on a copy."
)
def test_numerical_gradient_leaves_x_unchanged(student, rng):
    """numerical_gradient leaves x exactly as it was"""
    d, m = 3, 4
    f = Quadratic(rng.normal(0, 3, size=(d, d)), rng.normal(0, 1, size=(d, m)))
    x = rng.normal(0, 1, size=(d, m))
    got = student.call_pure("numerical_gradient", f, x)
    assert_allclose(
        got, f.gradient(x), rtol=1e-4, atol=1e-5, name="numerical_gradient(f, x)", inputs=f"{_fn(f)}, x={short(x)}"
    )


# ----------------------------------------------------------------------------- dense layer


def _dense_cases(rng):
    """(x, W, b, dout) cases: float64, float32 and a batch of 1; d_in != d_out throughout."""
    cases = []
    for n, d_in, d_out, dtype in [(8, 5, 3, np.float64), (6, 4, 7, np.float32), (1, 6, 2, np.float64)]:
        x = rng.normal(0, 1, size=(n, d_in)).astype(dtype)
        W = rng.normal(0, 1, size=(d_in, d_out)).astype(dtype)
        b = rng.normal(0, 1, size=(d_out,)).astype(dtype)
        dout = rng.normal(0, 1, size=(n, d_out)).astype(dtype)
        cases.append((x, W, b, dout))
    return cases


@pytest.mark.about("dense_forward")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check the shapes: x is (batch, d_in), W is (d_in, d_out), b is (d_out,), and the output is "
    "(batch, d_out) with b added to every row. A batch of 1 and float32 inputs are included."
)
def test_dense_forward_matches_tf(student, tf, rng):
    """dense_forward matches tf.matmul(x, W) + b (float32, float64, a batch of 1)"""
    for x, W, b, _ in _dense_cases(rng):
        want = (tf.matmul(x, W) + b).numpy()
        got = student.call_pure("dense_forward", x, W, b)
        assert_allclose(
            got,
            want,
            rtol=RTOL,
            atol=ATOL,
            name="dense_forward(x, W, b)",
            inputs=f"x {x.shape}, W {W.shape}, b {b.shape}, {x.dtype}",
        )


def _tape_dense(tf, x, W, b, dout):
    xv, Wv, bv = tf.Variable(x), tf.Variable(W), tf.Variable(b)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(dout * (tf.matmul(xv, Wv) + bv))
    return [g.numpy() for g in tape.gradient(loss, [xv, Wv, bv])]


def _check_dense_backward(student, tf, reference, rng, which: int):
    label = ("dx", "dW", "db")[which]
    for x, W, b, dout in _dense_cases(rng):
        want = reference("tape gradients", lambda: _tape_dense(tf, x, W, b, dout), inputs=(x, W, b, dout))  # noqa: B023
        got = as_tuple(student.call_pure("dense_backward", dout, x, W), 3, name="dense_backward(dout, x, W)")
        assert_allclose(
            got[which],
            want[which],
            rtol=RTOL,
            atol=ATOL,
            name=t("{grad} from {call}", grad=label, call="dense_backward(dout, x, W)"),
            inputs=f"dout {dout.shape}, x {x.shape}, W {W.shape}, {x.dtype}",
        )


@pytest.mark.about("dense_backward")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check the shape of dx: it must be x's shape, (batch, d_in). The gradient flows back through W, "
    "so look at which side of dout W goes on and whether it is transposed."
)
def test_dense_backward_dx(student, tf, reference, rng):
    """dx from dense_backward matches tf.GradientTape"""
    _check_dense_backward(student, tf, reference, rng, 0)


@pytest.mark.about("dense_backward")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check the shape of dW: it must be W's shape, (d_in, d_out), and it adds up the contributions of "
    "every sample in the batch (no averaging). Look at which operand is transposed."
)
def test_dense_backward_dW(student, tf, reference, rng):
    """dW from dense_backward matches tf.GradientTape"""
    _check_dense_backward(student, tf, reference, rng, 1)


@pytest.mark.about("dense_backward")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check the shape of db: (d_out,), like b. Since b is added to every row, its gradient collects "
    "dout over the batch axis: summed, not averaged."
)
def test_dense_backward_db(student, tf, reference, rng):
    """db from dense_backward matches tf.GradientTape"""
    _check_dense_backward(student, tf, reference, rng, 2)


# ---------------------------------------------------------------------- mlp_loss_and_grads


def _mlp_case(rng, n=8, d=5, h=6, c=3, dtype=np.float64, scale=1.0):
    params = {
        "W1": rng.normal(0, scale / np.sqrt(d), size=(d, h)),
        "b1": rng.normal(0, 0.1 * scale, size=(h,)),
        "W2": rng.normal(0, scale / np.sqrt(h), size=(h, c)),
        "b2": rng.normal(0, 0.1 * scale, size=(c,)),
    }
    x = rng.normal(0, 1, size=(n, d))
    y = np.eye(c)[rng.integers(0, c, size=n)]
    return {k: v.astype(dtype) for k, v in params.items()}, x.astype(dtype), y.astype(dtype)


def _large_logit_case(rng):
    """Weights giving logits of magnitude 1000, labels on the least likely class.

    The output layer is rescaled so that the widest row spans 1500 and shifted (through b2, a
    shift softmax ignores) so that the largest logit is exactly 1000: exp(logit) overflows,
    and the true class's softmax probability underflows to 0, so log(softmax) gives -inf.
    """
    params, x, _ = _mlp_case(rng, n=8)
    a1 = np.maximum(x @ params["W1"] + params["b1"], 0)
    logits = a1 @ params["W2"] + params["b2"]
    spread = (logits.max(axis=1) - logits.min(axis=1)).max()
    params["W2"] *= 1500 / spread
    params["b2"] *= 1500 / spread
    logits = a1 @ params["W2"] + params["b2"]
    params["b2"] += 1000 - logits.max()
    logits = a1 @ params["W2"] + params["b2"]
    y = np.eye(logits.shape[1])[np.argmin(logits, axis=1)]
    return params, x, y


def _tape_mlp(tf, keras, params, x, y):
    """Loss and gradients from tf.GradientTape and CategoricalCrossentropy(from_logits=True), in float64."""
    v = {k: tf.Variable(np.asarray(p, dtype=np.float64)) for k, p in params.items()}
    x64, y64 = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    cce = keras.losses.CategoricalCrossentropy(from_logits=True, dtype="float64")
    with tf.GradientTape() as tape:
        a1 = tf.nn.relu(tf.matmul(x64, v["W1"]) + v["b1"])
        loss = cce(y64, tf.matmul(a1, v["W2"]) + v["b2"])
    grads = tape.gradient(loss, v)
    return float(loss.numpy()), {k: g.numpy() for k, g in grads.items()}


def _reference_mlp(reference, tf, keras, params, x, y):
    """:func:`_tape_mlp` as a reference value (the same for every student)."""
    return tuple(
        reference("tape loss and gradients", lambda: _tape_mlp(tf, keras, params, x, y), inputs=(params, x, y))
    )


def _call_mlp(student, params, x, y):
    """The student's (loss, grads) with keys and shapes checked; fails if params was modified."""
    name = "mlp_loss_and_grads(params, x, y)"
    reply = student.call_full("mlp_loss_and_grads", (params, x, y), {}, return_args=True)
    loss, grads = as_tuple(reply["value"], 2, name=name)
    if not isinstance(grads, dict):
        raise CheckFailed(
            t(
                "{call} should return (loss, grads) with grads a dict keyed {keys}; its second value is {got}",
                call=name,
                keys=", ".join(KEYS),
                got=describe_value(grads),
            )
        )
    missing = [k for k in KEYS if k not in grads]
    extra = [repr(k) for k in grads if k not in KEYS]
    if missing or extra:
        problems = ([t("missing {keys}", keys=", ".join(missing))] if missing else []) + (
            [t("unexpected {keys}", keys=", ".join(extra))] if extra else []
        )
        raise CheckFailed(
            t(
                "{call}: grads must have exactly the keys {keys}; {problems}",
                call=name,
                keys=", ".join(KEYS),
                problems="; ".join(problems),
            )
        )
    for k in KEYS:
        g = grads[k]
        if not isinstance(g, np.ndarray) or g.shape != np.shape(params[k]):
            raise CheckFailed(
                t(
                    "{call}: grads[{key}] should be an array of shape {shape} (the shape of "
                    "params[{key}]), but it is {got}",
                    call=name,
                    key=repr(k),
                    shape=np.shape(params[k]),
                    got=describe_value(g),
                )
            )
    after = (reply.get("args_after") or [None])[0]
    if isinstance(after, dict):
        for k in KEYS:
            if not (isinstance(after.get(k), np.ndarray) and np.array_equal(after[k], params[k])):
                raise CheckFailed(
                    t("{call} modified params[{key}] in place; it must leave params unchanged", call=name, key=repr(k))
                )
    return loss, grads


def _inputs(params, x):
    return f"x {x.shape}, W1 {params['W1'].shape}, W2 {params['W2'].shape}, {x.dtype}"


@pytest.mark.about("mlp_loss_and_grads")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Check the structure of your result: a pair (loss, grads) where loss is one float and grads is a "
    "dict with exactly the keys W1, b1, W2, b2, each array shaped like its parameter."
)
def test_mlp_returns_loss_and_grads_dict(student, rng):
    """mlp_loss_and_grads returns a float and a dict of gradients with the parameters' keys and shapes"""
    params, x, y = _mlp_case(rng)
    loss, _ = _call_mlp(student, params, x, y)
    as_float(loss, name=t("the loss from {call}", call="mlp_loss_and_grads(params, x, y)"))


@pytest.mark.about("mlp_loss_and_grads")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check the forward pass and the reduction: Dense, ReLU, Dense, then the softmax cross-entropy of "
    "the logits, averaged over the batch (a batch of 1 is included). Does your loss change if you "
    "shuffle the samples? It should not."
)
def test_mlp_loss_matches_keras(student, tf, keras, reference, rng):
    """the loss matches CategoricalCrossentropy(from_logits=True) (several batches, including 1 sample)"""
    for n in (8, 1):
        params, x, y = _mlp_case(rng, n=n)
        want, _ = _reference_mlp(reference, tf, keras, params, x, y)
        loss, _ = _call_mlp(student, params, x, y)
        assert_close(loss, want, rtol=MLP_RTOL, atol=MLP_ATOL, name=t("loss"), inputs=_inputs(params, x))


def _check_mlp_grads(student, tf, keras, reference, params, x, y, keys, rtol=MLP_RTOL, atol=MLP_ATOL):
    _, want = _reference_mlp(reference, tf, keras, params, x, y)
    _, got = _call_mlp(student, params, x, y)
    for k in keys:
        assert_allclose(got[k], want[k], rtol=rtol, atol=atol, name=f"grads[{k!r}]", inputs=_inputs(params, x))


@pytest.mark.about("mlp_loss_and_grads")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Compare grads['W2'] and grads['b2'] with your numerical_gradient on a tiny batch: the gradient "
    "with respect to the logits includes the 1/n of the batch mean, and b2's gradient has one value "
    "per class."
)
def test_mlp_output_layer_grads(student, tf, keras, reference, rng):
    """grads['W2'] and grads['b2'] match tf.GradientTape"""
    for n in (8, 1):
        _check_mlp_grads(student, tf, keras, reference, *_mlp_case(rng, n=n), ("W2", "b2"))


@pytest.mark.about("mlp_loss_and_grads")
@pytest.mark.points(3)
@pytest.mark.hint(
    "Compare grads['W1'] and grads['b1'] with your numerical_gradient: the gradient reaches the "
    "hidden layer through W2 and the ReLU, which passes it only where the pre-activation was "
    "positive. Check which array your ReLU mask comes from."
)
def test_mlp_hidden_layer_grads(student, tf, keras, reference, rng):
    """grads['W1'] and grads['b1'] match tf.GradientTape"""
    for n in (8, 1):
        _check_mlp_grads(student, tf, keras, reference, *_mlp_case(rng, n=n), ("W1", "b1"))


@pytest.mark.about("mlp_loss_and_grads")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Parameters and inputs are float32 here, with other sizes (10 samples, 7 inputs, 9 hidden units, "
    "4 classes): check that nothing in your code is tied to the earlier shapes and that float32 "
    "arrays are accepted (computing in float32 or float64 both pass)."
)
def test_mlp_float32_inputs(student, tf, keras, reference, rng):
    """mlp_loss_and_grads matches tf.GradientTape for float32 parameters and inputs"""
    params, x, y = _mlp_case(rng, n=10, d=7, h=9, c=4, dtype=np.float32)
    want_loss, _ = _reference_mlp(reference, tf, keras, params, x, y)
    loss, _ = _call_mlp(student, params, x, y)
    assert_close(loss, want_loss, rtol=MLP_RTOL, atol=MLP_ATOL, name=t("loss"), inputs=_inputs(params, x))
    _check_mlp_grads(student, tf, keras, reference, params, x, y, KEYS)


@pytest.mark.about("mlp_loss_and_grads")
@pytest.mark.points(2)
@pytest.mark.hint(
    "The weights here make logits of magnitude 1000: look for inf or NaN in your forward pass. "
    "exp(1000) overflows and log(softmax) hits log(0), while shifting each row of logits by a "
    "constant changes neither the loss nor the gradients."
)
def test_mlp_large_logits(student, tf, keras, reference, rng):
    """loss and gradients stay exact when the weights make logits of magnitude 1000"""
    params, x, y = _large_logit_case(rng)
    want_loss, _ = _reference_mlp(reference, tf, keras, params, x, y)
    loss, _ = _call_mlp(student, params, x, y)
    # rtol 1e-5 of a loss of ~1000: float32 logits of that size carry ~1e-4 absolute error
    assert_close(loss, want_loss, rtol=1e-5, atol=1e-3, name=t("loss"), inputs=_inputs(params, x))
    _check_mlp_grads(student, tf, keras, reference, params, x, y, KEYS, rtol=1e-4, atol=1e-4)
