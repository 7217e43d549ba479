"""Checks for the ``regularization`` topic: keras.regularizers, Dropout, BatchNormalization and
EarlyStopping run on this machine with the same inputs provide every expected value."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from grader.compare import as_array, as_int, as_tuple, assert_allclose, assert_close, short
from grader.i18n import N_, _, t

EPS32 = float(np.finfo(np.float32).eps)
# Penalties: TF sums in float32 (pairwise), students may sum in float64; 1e-5 is ~80 ulps.
PEN_RTOL, PEN_ATOL = 1e-5, 1e-12
# Dropout survivors: TF multiplies by float32(1/(1-rate)); x/(1-rate) differs by <= 2 ulps.
DROP_RTOL = 1e-6
# Binomial tests fail beyond Z_MAX standard errors: P(false failure) ~ 1e-11 per test.
Z_MAX = 7.0

# The course notes' dropout example (an input; Keras supplies the expected behaviour).
NOTES_DATA = np.arange(1, 11).reshape(5, 2).astype(np.float32)
# The course notes' EarlyStopping run: losses per epoch (3.66e16, 4.8e34, then inf), patience 3.
NOTES_LOSSES = [3.6599538043060224e16, 4.8172975859544216e34] + [float("inf")] * 8


# ------------------------------------------------------------------------------ penalties


def _weights(rng):
    """Dense kernels, conv kernels, a vector and a large-magnitude matrix, in float32 and float64."""
    return [
        rng.normal(0, 0.5, size=(64, 32)).astype(np.float32),
        rng.normal(0, 0.2, size=(3, 3, 16, 32)).astype(np.float32),
        rng.normal(0, 1.0, size=(5, 5, 5, 4, 8)).astype(np.float64),
        rng.normal(0, 1.0, size=(10,)).astype(np.float64),
        rng.uniform(-1000, 1000, size=(5, 5)).astype(np.float32),
        rng.normal(0, 0.1, size=(1, 1)).astype(np.float32),
    ]


def _check_penalty(student, name, reg, w, *args, **kw):
    want = float(np.asarray(reg(w)))
    got = student.call_pure(name, w, *args, **kw)
    argtext = ", ".join(["w"] + [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kw.items()])
    assert_close(got, want, rtol=PEN_RTOL, atol=PEN_ATOL, name=f"{name}({argtext})", inputs=f"w = {short(w)}")


@pytest.mark.about("l1_penalty")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check the reduction: a sum over every element (conv and 5-D kernels are included), not a mean. "
    "Check the signs too: negative weights add to the penalty just like positive ones."
)
def test_l1_penalty_matches_keras(student, keras, rng):
    """l1_penalty(w, l1) matches keras.regularizers.L1(l1)(w) on dense and conv kernels"""
    for w in _weights(rng):
        l1 = float(rng.uniform(1e-4, 0.1))
        _check_penalty(student, "l1_penalty", keras.regularizers.L1(l1), w, l1)


@pytest.mark.about("l1_penalty")
@pytest.mark.points(1)
@pytest.mark.hint(
    "This check calls l1_penalty(w) with no hyperparameters: check that your defaults are the stub's "
    "(keras.regularizers.L1()'s default factor) and that nothing inside the function overrides them."
)
def test_l1_penalty_default_factor(student, keras, rng):
    """l1_penalty(w) with the default factor matches keras.regularizers.L1()(w)"""
    w = rng.normal(0, 1, size=(20, 10)).astype(np.float32)
    _check_penalty(student, "l1_penalty", keras.regularizers.L1(), w)


@pytest.mark.about("l2_penalty")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Compare your result with a hand computation on a small w: is it off by a factor of 2 (a 1/2 "
    "Keras does not use), by a square root, or by the number of elements (a mean instead of a sum)?"
)
def test_l2_penalty_matches_keras(student, keras, rng):
    """l2_penalty(w, l2) matches keras.regularizers.L2(l2)(w) on dense and conv kernels"""
    for w in _weights(rng):
        l2 = float(rng.uniform(1e-4, 0.1))
        _check_penalty(student, "l2_penalty", keras.regularizers.L2(l2), w, l2)


@pytest.mark.about("l2_penalty")
@pytest.mark.points(1)
@pytest.mark.hint(
    "This check calls l2_penalty(w) with no hyperparameters: check that your defaults are the stub's "
    "(keras.regularizers.L2()'s default factor) and that nothing inside the function overrides them."
)
def test_l2_penalty_default_factor(student, keras, rng):
    """l2_penalty(w) with the default factor matches keras.regularizers.L2()(w)"""
    w = rng.normal(0, 1, size=(20, 10)).astype(np.float32)
    _check_penalty(student, "l2_penalty", keras.regularizers.L2(), w)


@pytest.mark.about("l1_l2_penalty")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check each term on its own: with only l1 given the result must equal l1_penalty's, with only l2 "
    "given l2_penalty's. This check also passes l1 or l2 alone as keywords."
)
def test_l1_l2_penalty_matches_keras(student, keras, rng):
    """l1_l2_penalty(w, l1, l2) matches keras.regularizers.L1L2(l1, l2)(w)"""
    for w in _weights(rng):
        l1, l2 = (float(v) for v in rng.uniform(1e-4, 0.1, size=2))
        _check_penalty(student, "l1_l2_penalty", keras.regularizers.L1L2(l1, l2), w, l1, l2)
    w = rng.normal(0, 2, size=(8, 6)).astype(np.float32)
    _check_penalty(student, "l1_l2_penalty", keras.regularizers.L1L2(l1=0.03), w, l1=0.03)
    _check_penalty(student, "l1_l2_penalty", keras.regularizers.L1L2(l2=0.02), w, l2=0.02)


@pytest.mark.about("l1_l2_penalty")
@pytest.mark.points(1)
@pytest.mark.hint(
    "This check calls l1_l2_penalty(w) with no factors: check that both defaults are "
    "keras.regularizers.L1L2()'s (the stub's), so that the penalty of any w is 0."
)
def test_l1_l2_penalty_defaults(student, keras, rng):
    """l1_l2_penalty(w) with the default factors matches keras.regularizers.L1L2()(w)"""
    w = rng.normal(0, 1, size=(20, 10)).astype(np.float32)
    _check_penalty(student, "l1_l2_penalty", keras.regularizers.L1L2(), w)


# -------------------------------------------------------------------------------- dropout


def _keras_dropout(reference, keras, x, rate, seed, training=True):
    """Keras' Dropout(rate, seed) on ``x``: a reference value (the same for every student)."""
    return reference(
        "keras dropout",
        lambda: np.asarray(keras.layers.Dropout(rate, seed=seed)(x, training=training)),
        inputs=(x, float(rate), int(seed), bool(training)),
    )


def _signed(rng, shape, dtype=np.float32):
    """Non-zero inputs, so that every zero in the output was dropped."""
    return (rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)).astype(dtype)


@pytest.mark.about("dropout")
@pytest.mark.points(1)
@pytest.mark.hint(
    "With training=False, check that the output equals x exactly: no mask and no scaling of the survivors."
)
def test_dropout_is_identity_when_not_training(student, reference, keras, rng):
    """dropout(x, rate, rng, training=False) returns x, like Dropout(rate)(x, training=False)"""
    for x, rate in [(NOTES_DATA, 0.2), (_signed(rng, (64, 16), np.float64), 0.5)]:
        want = _keras_dropout(reference, keras, x, rate, 1, training=False)
        got = student.call_pure("dropout", x, rate, np.random.default_rng(int(rng.integers(2**63))), training=False)
        # rtol eps32: Keras' layer casts float64 inputs to float32; float32 ones come back exact.
        assert_allclose(got, want, rtol=EPS32, atol=0, name=f"dropout(x, {rate}, rng, training=False)", inputs=short(x))


def _survivor_values(reference, keras, x, rate, rng):
    """Keras' output for each element of ``x`` (all > 0) when it survives, from 400 tiled copies."""
    tiles = np.repeat(x[None], 400, axis=0)
    y = _keras_dropout(reference, keras, tiles, rate, int(rng.integers(2**31 - 1)))
    return y.max(axis=0)


@pytest.mark.about("dropout")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Look at the values you hand back: each must be exactly 0 or the input scaled up so that the "
    "expected value is unchanged (1.25 x for rate 0.2); unscaled or scaled-down survivors fail."
)
def test_dropout_course_example(student, reference, keras, rng):
    """the course notes' example: arange(1, 11).reshape(5, 2), rate 0.2: every value is 0 or 1.25 x"""
    x, rate = NOTES_DATA.copy(), 0.2
    scaled = _survivor_values(reference, keras, x, rate, rng)
    for _attempt in range(3):
        got = student.call_pure("dropout", x, rate, np.random.default_rng(int(rng.integers(2**63))))
        got = as_array(got, name="dropout(data, 0.2, rng)", shape=x.shape)
        ok = (got == 0) | (np.abs(got - scaled) <= DROP_RTOL * np.abs(scaled))
        assert ok.all(), t(
            "{call} with data = arange(1, 11).reshape(5, 2) returned {got}; every value must be 0 (dropped) "
            "or what Keras gives a survivor: {scaled}",
            call="dropout(data, 0.2, rng)",
            got=got.tolist(),
            scaled=scaled.tolist(),
        )


@pytest.mark.about("dropout")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Compare the fraction of zeros in the message with rate: each element must be dropped on its own "
    "with probability rate (rate is the drop probability, not the keep probability), and survivors "
    "scaled as Keras does."
)
@pytest.mark.parametrize("rate,dtype", [(0.2, np.float32), (0.7, np.float32), (0.35, np.float64)])
def test_dropout_statistics_match_keras(student, reference, keras, rng, rate, dtype):
    """on a (1000, 200) batch: zero fraction like Keras' (per row and column too), survivors scaled like Keras'"""
    x = _signed(rng, (1000, 200), dtype)
    label = f"dropout(x, {rate}, rng)"
    got = student.call_pure("dropout", x, rate, np.random.default_rng(int(rng.integers(2**63))))
    got = as_array(got, name=label, shape=x.shape)
    want = _keras_dropout(reference, keras, x, rate, int(rng.integers(2**31 - 1)))
    zg, zw = got == 0, want == 0
    n = x.size
    pg, pw = zg.mean(), zw.mean()
    se = np.sqrt(2 * rate * (1 - rate) / n)
    shown_g, shown_w = f"{pg:.2%}", f"{pw:.2%}"
    assert abs(pg - pw) <= Z_MAX * se, t(
        "{call} on a (1000, 200) batch zeroed {got} of the elements; Keras' Dropout({rate}) zeroed {want} "
        "(each element should be dropped with probability rate = {rate})",
        call=label,
        got=shown_g,
        want=shown_w,
        rate=rate,
    )
    for axis, count, msg in [
        (
            0,
            1000,
            N_(
                "{call}: column {index} has {got} zeros, expected about {want}: drop every element "
                "independently (one mask entry per element, not per column)"
            ),
        ),
        (
            1,
            200,
            N_(
                "{call}: row {index} has {got} zeros, expected about {want}: drop every element "
                "independently (one mask entry per element, not per row)"
            ),
        ),
    ]:
        frac = zg.mean(axis=axis)
        bound = Z_MAX * np.sqrt(rate * (1 - rate) / count) + abs(pw - rate)
        worst = int(np.argmax(np.abs(frac - rate)))
        shown_g, shown_w = f"{frac[worst]:.1%}", f"{rate:.0%}"
        assert abs(frac[worst] - rate) <= bound, t(msg, call=label, index=worst, got=shown_g, want=shown_w)
    both = ~zg & ~zw
    assert_allclose(
        got[both],
        want[both],
        rtol=DROP_RTOL,
        atol=0,
        name=t("{call} (surviving elements, compared where Keras' run also kept them)", call=label),
        inputs=short(x),
    )


@pytest.mark.about("dropout")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Check where the mask's random numbers come from: the same seed must give the same mask, so draw "
    "them from the rng argument, not from np.random or a generator of your own."
)
def test_dropout_draws_from_rng(student, rng):
    """the same rng seed gives the same mask, different seeds give different masks"""
    x = _signed(rng, (50, 40))
    a, b = (int(v) for v in rng.choice(2**62, size=2, replace=False))
    first = as_array(
        student.call_pure("dropout", x, 0.5, np.random.default_rng(a)), name="dropout(x, 0.5, rng)", shape=x.shape
    )
    again = as_array(
        student.call_pure("dropout", x, 0.5, np.random.default_rng(a)), name="dropout(x, 0.5, rng)", shape=x.shape
    )
    other = as_array(
        student.call_pure("dropout", x, 0.5, np.random.default_rng(b)), name="dropout(x, 0.5, rng)", shape=x.shape
    )
    assert np.array_equal(first, again), _(
        "dropout gave different results for two generators made with the same seed: draw the mask from rng"
    )
    assert not np.array_equal(first, other), _(
        "dropout gave identical results for generators with different seeds: draw the mask from rng"
    )


@pytest.mark.about("dropout")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Check the two edge rates: rate 0 must give x unchanged and rate 1 all zeros. Look at what your "
    "scaling factor does at rate 1 (a division by zero makes NaN)."
)
def test_dropout_rate_zero_and_one(student, reference, keras, rng):
    """rate 0 returns x and rate 1 returns zeros, as Keras' Dropout does"""
    x = _signed(rng, (30, 20))
    for rate in (0.0, 1.0):
        want = _keras_dropout(reference, keras, x, rate, 3)
        got = student.call_pure("dropout", x, rate, np.random.default_rng(int(rng.integers(2**63))))
        assert_allclose(got, want, rtol=0, atol=0, name=f"dropout(x, {rate}, rng)", inputs=short(x))


# ----------------------------------------------------------------------------- batch_norm


def _keras_bn(reference, keras, x, gamma, beta, mm, mv, training, momentum=0.99, epsilon=1e-3):
    """(y, new moving mean, new moving variance) from Keras' BatchNormalization: a reference value."""

    def compute():
        layer = keras.layers.BatchNormalization(momentum=momentum, epsilon=epsilon)
        layer.build((None, x.shape[1]))
        layer.set_weights([gamma, beta, mm, mv])
        y = np.asarray(layer(x, training=training))
        return y, np.asarray(layer.moving_mean), np.asarray(layer.moving_variance)

    inputs = (x, gamma, beta, mm, mv, bool(training), float(momentum), float(epsilon))
    return tuple(reference("keras batch normalization", compute, inputs=inputs))


def _bn_case(rng, batch, features, dtype=np.float32, big=False):
    """A batch whose features have very different offsets and spreads (incl. small variances)."""
    offsets = rng.choice([0.0, 2.0, -5.0, 30.0] + ([1000.0, -1000.0] if big else []), size=features)
    spreads = rng.choice([0.05, 0.2, 1.0, 3.0] + ([10.0, 50.0] if big else []), size=features)
    if big:
        offsets[0], spreads[0] = 1000.0, 20.0
    spreads[-1] = 0.05  # a small variance makes the position of epsilon visible
    x = (offsets + spreads * rng.normal(size=(batch, features))).astype(dtype)
    gamma = rng.uniform(0.5, 2.0, size=features).astype(np.float32)
    beta = rng.normal(0, 1, size=features).astype(np.float32)
    mm = (offsets + rng.normal(0, 1, size=features)).astype(np.float32)
    mv = (spreads**2 * rng.uniform(0.5, 2.0, size=features)).astype(np.float32)
    return x, gamma, beta, mm, mv


def _y_tolerance(x, gamma, mean, var, epsilon):
    """TF computes y = x*inv + (beta - mean*inv) in float32: its rounding error grows with
    |x|/std; 64 float32 ulps of that amplification per feature, plus rtol 1e-5."""
    x = np.asarray(x, dtype=np.float64)
    cond = (np.abs(x).max(axis=0) + np.abs(mean)) / np.sqrt(var + epsilon)
    return 64 * EPS32 * np.abs(gamma) * cond


def _call_bn(student, x, gamma, beta, mm, mv, training, **kw):
    kwtext = "".join(f", {k}={v}" for k, v in kw.items())
    label = f"batch_norm(x, gamma, beta, moving_mean, moving_var, training={training}{kwtext})"
    got = student.call_pure("batch_norm", x, gamma, beta, mm, mv, training, **kw)
    y, nm, nv = as_tuple(got, 3, name=label)
    return label, y, nm, nv


def _check_bn(student, reference, keras, case, training, *, check_y=True, check_stats=True, **kw):
    x, gamma, beta, mm, mv = case
    momentum, epsilon = kw.get("momentum", 0.99), kw.get("epsilon", 1e-3)
    wy, wm, wv = _keras_bn(reference, keras, x, gamma, beta, mm, mv, training, momentum, epsilon)
    label, y, nm, nv = _call_bn(student, x, gamma, beta, mm, mv, training, **kw)
    xd = np.asarray(x, dtype=np.float64)
    if training:
        mean, var = xd.mean(axis=0), xd.var(axis=0)
    else:
        mean, var = mm.astype(np.float64), mv.astype(np.float64)
    inputs = t("x of shape {shape}, dtype {dtype}", shape=x.shape, dtype=x.dtype)
    if check_y:
        y = as_array(y, name=f"{label}[0] (y)", shape=x.shape)
        tol = _y_tolerance(x, gamma, mean, var, epsilon)
        err = np.abs(y - wy)
        ok = (err <= tol + 1e-5 * np.abs(wy)) & np.isfinite(y)
        if not ok.all():
            assert_allclose(np.where(ok, wy, y), wy, rtol=1e-5, atol=0, name=f"{label}[0] (y)", inputs=inputs)
    if check_stats:
        # Moving statistics: float32 state; TF's float32 moments of large offsets carry
        # ~|x| * eps32 error, scaled by (1 - momentum) in the update.
        scale = np.abs(xd).max(axis=0)
        atol_m = 64 * EPS32 * (np.abs(mm) + (1 - momentum) * scale)
        atol_v = 64 * EPS32 * (np.abs(mv) + (1 - momentum) * scale * (np.sqrt(var) + scale * EPS32))
        for got, want, atol, what in [(nm, wm, atol_m, "new_moving_mean"), (nv, wv, atol_v, "new_moving_var")]:
            got = as_array(got, name=f"{label} ({what})", shape=want.shape)
            ok = np.abs(got - want) <= atol + 1e-5 * np.abs(want)
            if not ok.all():
                assert_allclose(
                    np.where(ok, want, got), want, rtol=1e-5, atol=0, name=f"{label} ({what})", inputs=inputs
                )


@pytest.mark.about("batch_norm")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check the axis and the variance: the statistics are per feature (over the batch axis), the "
    "variance is the biased one (NumPy's default ddof=0), and epsilon goes inside the square root, as "
    "in Keras. A batch of 1 is included."
)
def test_batch_norm_training_output(student, reference, keras, rng):
    """training=True: y matches BatchNormalization(x, training=True) (float32, float64, batch 1, |x| ~ 1000)"""
    cases = [_bn_case(rng, 32, 6), _bn_case(rng, 64, 5, np.float64, big=True), _bn_case(rng, 7, 3), _bn_case(rng, 1, 4)]
    for case in cases:
        _check_bn(student, reference, keras, case, True, check_stats=False)


@pytest.mark.about("batch_norm")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check the moving statistics you hand back: momentum weights the old moving value and 1 - "
    "momentum the batch's, with the biased batch variance; swapping the two weights moves them almost "
    "all the way to the batch values."
)
def test_batch_norm_training_updates_moving_statistics(student, reference, keras, rng):
    """training=True: the returned moving mean/variance match BatchNormalization's updated weights"""
    cases = [_bn_case(rng, 32, 6), _bn_case(rng, 64, 5, np.float64, big=True), _bn_case(rng, 8, 3), _bn_case(rng, 1, 4)]
    for case in cases:
        _check_bn(student, reference, keras, case, True, check_y=False)


@pytest.mark.about("batch_norm")
@pytest.mark.points(2)
@pytest.mark.hint(
    "With training=False, check which statistics you normalise with: the moving mean and variance you "
    "are given, not the batch's. The moving statistics come back unchanged."
)
def test_batch_norm_inference(student, reference, keras, rng):
    """training=False: y uses the moving statistics, which come back unchanged"""
    cases = [_bn_case(rng, 32, 6), _bn_case(rng, 16, 5, np.float64, big=True), _bn_case(rng, 1, 4)]
    for case in cases:
        _check_bn(student, reference, keras, case, False)


@pytest.mark.about("batch_norm")
@pytest.mark.points(1)
@pytest.mark.hint(
    "This check passes momentum=0.9 and epsilon=0.01: check that both arguments are used, in the "
    "normalisation and in the moving-statistics update, instead of the defaults 0.99 and 1e-3."
)
def test_batch_norm_momentum_and_epsilon(student, reference, keras, rng):
    """momentum=0.9 and epsilon=0.01 are honoured in both modes"""
    for training in (True, False):
        _check_bn(student, reference, keras, _bn_case(rng, 16, 5), training, momentum=0.9, epsilon=0.01)


# ------------------------------------------------------------------ early_stopping_epochs


def _keras_epochs(keras, values, patience, min_delta=0.0, mode="min"):
    """Drive keras.callbacks.EarlyStopping with ``values`` as the monitored loss per epoch."""
    cb = keras.callbacks.EarlyStopping(monitor="loss", patience=patience, min_delta=min_delta, mode=mode)
    model = SimpleNamespace(stop_training=False)
    cb.set_model(model)
    cb.on_train_begin()
    for epoch, v in enumerate(values):
        cb.on_epoch_end(epoch, {"loss": v})
        if model.stop_training:
            return epoch + 1
    return len(values)


def _walk(rng, n, mode):
    """A noisy learning curve on a grid of eighths (exact in float32, so Keras' float32
    comparisons agree with float64 ones; ties with the best value happen on purpose)."""
    steps = rng.integers(-3, 3, size=n)  # in eighths; a mild drift towards "better"
    if mode == "max":
        steps = -steps
    start = int(rng.integers(40, 120))
    return [float(v) for v in (start + np.concatenate([[0], np.cumsum(steps[1:])])) / 8.0]


def _check_epochs(student, keras, reference, values, patience, **kw):
    want = reference(
        "keras EarlyStopping epochs",
        lambda: _keras_epochs(keras, values, patience, **kw),
        inputs=(values, patience, kw),
    )
    kwtext = "".join(f", {k}={v!r}" for k, v in kw.items())
    label = f"early_stopping_epochs(values, patience={patience}{kwtext})"
    got = as_int(student.call_pure("early_stopping_epochs", values, patience, **kw), name=label)
    shown = [round(float(v), 4) for v in values]
    assert got == want, t(
        "{call} returned {got}, Keras' EarlyStopping runs {want} epochs; values = {values}",
        call=label,
        got=got,
        want=want,
        values=shown,
    )


@pytest.mark.about("early_stopping_epochs")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Check how you count: the first epoch only sets the best value, each later epoch without "
    "improvement adds one, and training stops after the epoch where the count reaches patience. "
    "Epochs are counted from 1."
)
def test_early_stopping_course_example(student, keras, reference):
    """the course notes' run: losses 3.66e16, 4.8e34, inf, inf, ... with patience 3"""
    _check_epochs(student, keras, reference, list(NOTES_LOSSES), 3)
    _check_epochs(student, keras, reference, list(NOTES_LOSSES), 1)


@pytest.mark.about("early_stopping_epochs")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check what you compare each value with: the best value so far, not the previous epoch's; a value "
    "equal to the best is not an improvement. patience 0 is included."
)
def test_early_stopping_random_curves(student, keras, reference, rng):
    """noisy loss curves with patience 0 to 5 stop where Keras' EarlyStopping stops"""
    for i in range(30):
        values = _walk(rng, int(rng.integers(5, 40)), "min")
        _check_epochs(student, keras, reference, values if i % 3 else np.array(values), int(rng.integers(0, 6)))


@pytest.mark.about("early_stopping_epochs")
@pytest.mark.points(1)
@pytest.mark.hint(
    'With mode="max" higher is better (an accuracy): check that every comparison flips, including the '
    "way min_delta is applied."
)
def test_early_stopping_mode_max(student, keras, reference, rng):
    """mode="max": noisy accuracy-like curves stop where Keras' EarlyStopping(mode="max") stops"""
    for _curve in range(20):
        values = _walk(rng, int(rng.integers(5, 40)), "max")
        _check_epochs(student, keras, reference, values, int(rng.integers(0, 6)), mode="max")


@pytest.mark.about("early_stopping_epochs")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Check how min_delta enters: an improvement must beat the best value by more than min_delta, in "
    "the direction of the mode; a change of exactly min_delta is not an improvement."
)
def test_early_stopping_min_delta(student, keras, reference, rng):
    """min_delta > 0 in both modes matches Keras' EarlyStopping(min_delta=...)"""
    for i in range(24):
        mode = "min" if i % 2 else "max"
        values = _walk(rng, int(rng.integers(8, 40)), mode)
        min_delta = float(rng.choice([0.125, 0.25, 0.375, 0.5]))
        _check_epochs(student, keras, reference, values, int(rng.integers(0, 5)), min_delta=min_delta, mode=mode)


@pytest.mark.about("early_stopping_epochs")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Check the end of the loop: if the count never reaches patience, the result is the number of "
    "values (every epoch ran), also when patience is longer than the run."
)
def test_early_stopping_never_stops(student, keras, reference, rng):
    """curves that keep improving, or patience longer than the run: every epoch runs"""
    n = int(rng.integers(5, 20))
    down = [float(v) for v in np.sort(rng.integers(1, 1000, size=n))[::-1] / 8.0]
    down = [v for i, v in enumerate(down) if i == 0 or v < down[i - 1]]
    _check_epochs(student, keras, reference, down, 0)
    _check_epochs(student, keras, reference, down[::-1], 0, mode="max")
    values = _walk(rng, 12, "min")
    _check_epochs(student, keras, reference, values, 12)
    _check_epochs(student, keras, reference, [1.0, 2.0, 3.0, 0.5, 0.6, 0.7, 0.25], 3)
