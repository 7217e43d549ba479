"""Checks for the ``initializers`` topic.

``compute_fans`` is compared with Keras' own fan rule. The samplers are random, so they are
compared *statistically* with samples ``keras.initializers`` draws for the same shape on this
machine: range, mean, standard deviation and a two-sample Kolmogorov-Smirnov test, all on
pooled samples of about 200,000 values, with thresholds at which a correct sampler fails
with probability far below one in a million.
"""

from __future__ import annotations

import numpy as np
import pytest

from grader.compare import as_array, as_int, as_tuple, describe_value
from grader.course.sampling import ks_verdict
from grader.errors import CheckFailed
from grader.i18n import t

# Pooled sample size per comparison: the std test then resolves ~1.5 % differences.
N_SAMPLES = 200_000
# Moment tests fail beyond Z_MAX standard errors: P(false failure) ~ 3e-12 per test.
Z_MAX = 7.0
# Two-sample KS test: a correct sampler gives p < KS_P_MIN with probability KS_P_MIN.
KS_P_MIN = 1e-9
# Keras' truncated normals never exceed 2 std of the underlying normal; with 200k samples
# Keras' own maximum is within 0.3 % of that bound, so 1 % slack never fails a correct sampler
# while an untruncated normal (max ~ 4.5 std) fails at once.
BOUND_SLACK = 1.01

SAMPLERS = ("random_normal", "standard_uniform", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform")

# Hints per check kind: what to look at when that check fails (the checks show Keras' and the
# student's statistics side by side, so the hints say how to read them).
DTYPE_HINT = (
    "Check the dtype and shape of what you hand back: rng's samplers give float64 while Keras "
    "initializers give float32, so convert; the shape must be exactly `shape`, also for 1-D and 5-D "
    "shapes."
)
RNG_HINT = (
    "Check where your random numbers come from: the same seed must give the same samples and different "
    "seeds different ones, so every draw must come from the `rng` you are given (no np.random.*, no seed of "
    "your own)."
)
DENSE_HINTS = {
    "random_normal": (
        "Compare the std and mean in the message with the defaults stddev=0.05 and mean=0: stddev is "
        "the standard deviation, not the variance, and random_normal is not truncated."
    ),
    "standard_uniform": (
        "Read max |x| in the message: it is your uniform limit, to compare with Keras'. The limit "
        "is 1/sqrt(fan_in), and fan_in is 500 for this (500, 100) kernel, not 100 or 600."
    ),
    "glorot_normal": (
        "If max |x| is above Keras', you are not truncating: every value beyond 2 std must be "
        "re-drawn (np.clip piles values at the bound, which the KS test sees). If the std is ~12% "
        "low, the 0.8796 correction is missing. Glorot uses both fans (500 and 100 here)."
    ),
    "glorot_uniform": (
        "Read max |x| in the message: it is your limit, to compare with Keras'. Glorot uses both "
        "fans (500 and 100 here); a std off by a factor sqrt(2) or sqrt(3) points at the constant "
        "under the square root."
    ),
    "he_normal": (
        "If max |x| is above Keras', you are not truncating: every value beyond 2 std must be re-drawn "
        "(np.clip piles values at the bound, which the KS test sees). If the std is ~12% low, the 0.8796 "
        "correction is missing. He uses fan_in only (500 here)."
    ),
    "he_uniform": (
        "Read max |x| in the message: it is your limit, to compare with Keras'. He uses fan_in only (500 "
        "here, not 500 + 100); a std off by a factor sqrt(2) or sqrt(3) points at the constant under the "
        "square root."
    ),
}
CONV_HINTS = {
    "random_normal": (
        "random_normal does not use the fans: for a 4-D or 5-D shape, check that you draw one value "
        "per element of the whole shape, with the same mean and stddev as for a Dense kernel."
    ),
    "standard_uniform": (
        "If the Dense-kernel check passes, look at your fans: for a conv kernel they come from "
        "compute_fans(shape), which multiplies by the receptive field; (3, 3, 32, 64) has fan_in "
        "288, not 32."
    ),
    "glorot_normal": (
        "If the Dense-kernel check passes, look at your fans: for a conv kernel they come from "
        "compute_fans(shape), which multiplies by the receptive field; (3, 3, 32, 64) has fan_in 288 "
        "and fan_out 576."
    ),
    "glorot_uniform": (
        "If the Dense-kernel check passes, look at your fans: for a conv kernel they come from "
        "compute_fans(shape), which multiplies by the receptive field; (3, 3, 32, 64) has fan_in 288 "
        "and fan_out 576."
    ),
    "he_normal": (
        "If the Dense-kernel check passes, look at your fans: for a conv kernel they come from "
        "compute_fans(shape), which multiplies by the receptive field; (3, 3, 32, 64) has fan_in 288, not "
        "32."
    ),
    "he_uniform": (
        "If the Dense-kernel check passes, look at your fans: for a conv kernel they come from "
        "compute_fans(shape), which multiplies by the receptive field; (3, 3, 32, 64) has fan_in 288, "
        "not 32."
    ),
}


def _keras_initializer(keras, name, seed, **kw):
    init = keras.initializers
    if name == "random_normal":
        return init.RandomNormal(mean=kw.get("mean", 0.0), stddev=kw.get("stddev", 0.05), seed=seed)
    if name == "standard_uniform":
        return init.VarianceScaling(scale=1.0 / 3.0, mode="fan_in", distribution="uniform", seed=seed)
    cls = {
        "glorot_normal": init.GlorotNormal,
        "glorot_uniform": init.GlorotUniform,
        "he_normal": init.HeNormal,
        "he_uniform": init.HeUniform,
    }[name]
    return cls(seed=seed)


def _samplers(hints):
    """Every sampler as a parameter, with its hint for this check (one text or one per sampler)."""
    return [
        pytest.param(
            n, id=n, marks=[pytest.mark.about(n), pytest.mark.hint(hints if isinstance(hints, str) else hints[n])]
        )
        for n in SAMPLERS
    ]


def _sample(student, name, shape, seed, **kw):
    """One student sample with a fresh Generator, validated as a float32 array of ``shape``."""
    label = f"{name}({shape}, rng)"
    got = student.call_pure(name, shape, np.random.default_rng(seed), **kw)
    if not isinstance(got, np.ndarray):
        raise CheckFailed(
            t(
                "{call} should return a float32 NumPy array of shape {shape}, but returned {got}",
                call=label,
                shape=shape,
                got=describe_value(got),
            )
        )
    as_array(got, name=label, shape=shape)
    if got.dtype != np.float32:
        raise CheckFailed(
            t(
                "{call} returned dtype {dtype}; Keras initializers return float32 (convert with .astype(np.float32))",
                call=label,
                dtype=got.dtype,
            ),
            {"kind": "dtype", "got": str(got.dtype)},
        )
    if not np.all(np.isfinite(got)):
        raise CheckFailed(t("{call} returned NaN or infinite values", call=label))
    return got


def _pooled_student(student, name, shape, rng, **kw):
    """The student's samples from fresh Generators, pooled (float32, in the order drawn)."""
    size = max(1, int(np.prod(shape)))
    seeds = [int(rng.integers(2**63)) for _ in range(-(-N_SAMPLES // size))]
    # Announced, so that the worker draws them all in one round trip; each is still validated below.
    student.prefetch(name, [((shape, np.random.default_rng(s)), kw) for s in seeds])
    return np.concatenate([_sample(student, name, shape, s, **kw).ravel() for s in seeds])


def _pooled_keras(reference, keras, name, shape, rng, **kw):
    """Keras' pooled samples, sorted: a ``reference`` value (its seeds are drawn from rng either way, so
    the student's later draws do not depend on whether it was computed or stored)."""
    size = max(1, int(np.prod(shape)))
    seeds = [int(rng.integers(2**31 - 1)) for _ in range(-(-N_SAMPLES // size))]

    def draw():
        return np.sort(
            np.concatenate([np.asarray(_keras_initializer(keras, name, s, **kw)(shape)).ravel() for s in seeds])
        )

    return reference(f"keras {name} samples, sorted", draw, inputs=(name, shape, seeds, kw)).astype(np.float64)


def _compare_distribution(got, want, label, *, bounded=True):
    """Fail unless ``got`` (student, pooled) and ``want`` (Keras, sorted) look like the same distribution."""
    n_g, n_w = got.size, want.size
    mg, sg = got.mean(dtype=np.float64), got.std(dtype=np.float64)
    mw, sw = want.mean(), want.std()
    max_g = max(abs(float(got.min())), abs(float(got.max())))
    max_w = max(abs(float(want[0])), abs(float(want[-1])))  # sorted: the extremes are at the ends
    ks = ks_verdict(got, want, KS_P_MIN)
    details = {
        "kind": "distribution",
        "samples": n_g,
        "your_mean": float(mg),
        "keras_mean": float(mw),
        "your_std": float(sg),
        "keras_std": float(sw),
        "your_max_abs": max_g,
        "keras_max_abs": max_w,
    }
    if ks.statistic is None:  # decided from bucket counts: an upper bound is all that was computed
        details["ks_statistic_at_most"] = ks.at_most
    else:
        details.update(ks_statistic=ks.statistic, ks_pvalue=ks.pvalue)
    summary = t(
        "your samples: mean {mean}, std {std}, max |x| {max}; Keras': mean {keras_mean}, "
        "std {keras_std}, max |x| {keras_max} ({n} values each)",
        mean=format(mg, ".4g"),
        std=format(sg, ".4g"),
        max=format(max_g, ".4g"),
        keras_mean=format(mw, ".4g"),
        keras_std=format(sw, ".4g"),
        keras_max=format(max_w, ".4g"),
        n=n_g,
    )
    if bounded:
        limit = max_w
        if max_g > BOUND_SLACK * limit:
            frac = float(np.mean(np.abs(got) > limit))
            raise CheckFailed(
                t(
                    "{call}: {fraction} of your values lie outside [-{limit}, {limit}], the range Keras' values "
                    "never leave (uniform limit, or 2 standard deviations of the underlying normal for a "
                    "truncated normal); {summary}",
                    call=label,
                    fraction=format(frac, ".2%"),
                    limit=format(limit, ".4g"),
                    summary=summary,
                ),
                details,
            )
    # Standard error of a sample std is sqrt((kurtosis - 1) / (4 n)) * std <= std / sqrt(2 n)
    # for these distributions (kurtosis <= 3).
    se_std = np.sqrt(1.0 / (2 * n_g) + 1.0 / (2 * n_w))
    if abs(sg / sw - 1.0) > Z_MAX * se_std:
        raise CheckFailed(
            t(
                "{call}: the standard deviation differs from Keras' by {difference}; {summary}",
                call=label,
                difference=format(sg / sw - 1.0, "+.1%"),
                summary=summary,
            ),
            details,
        )
    se_mean = sw * np.sqrt(1.0 / n_g + 1.0 / n_w)
    if abs(mg - mw) > Z_MAX * se_mean:
        raise CheckFailed(
            t(
                "{call}: the mean differs from Keras' ({mean} vs {keras_mean}); {summary}",
                call=label,
                mean=format(mg, ".4g"),
                keras_mean=format(mw, ".4g"),
                summary=summary,
            ),
            details,
        )
    if ks.rejected:
        raise CheckFailed(
            t(
                "{call}: the values do not follow Keras' distribution (two-sample Kolmogorov-Smirnov "
                "statistic {statistic}, p = {pvalue}); the shape of the histogram differs (e.g. truncated vs "
                "untruncated normal, clipping instead of re-drawing); {summary}",
                call=label,
                statistic=format(ks.statistic, ".4f"),
                pvalue=format(ks.pvalue, ".2g"),
                summary=summary,
            ),
            details,
        )


# --------------------------------------------------------------------------- compute_fans


def _keras_fans(shape):
    from keras.src.initializers.random_initializers import compute_fans

    return compute_fans(shape)


def _check_fans(student, shapes):
    for shape in shapes:
        want = tuple(int(v) for v in _keras_fans(shape))
        got = as_tuple(student.call_pure("compute_fans", shape), 2, name=f"compute_fans({shape})")
        got = tuple(as_int(v, name=f"compute_fans({shape})[{i}]") for i, v in enumerate(got))
        # Not ``assert got == want``: pytest's comparison report for tuples needs the terminal
        # plugin, which the grader disables, and the message would be lost.
        if got != want:
            raise CheckFailed(
                t(
                    "compute_fans({shape}) returned {got}, expected (fan_in, fan_out) = {want}",
                    shape=shape,
                    got=got,
                    want=want,
                )
            )


@pytest.mark.about("compute_fans")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check shapes with 0, 1 and 2 dimensions one at a time against the docstring: each length has its "
    "own rule, and the message shows the first shape that went wrong. The two fans are ints."
)
def test_compute_fans_dense_vector_and_scalar(student, keras, rng):
    """compute_fans matches Keras for Dense kernels, 1-D shapes and scalars"""
    shapes = [
        (),
        (7,),
        (1,),
        (9, 1),
        (3, 5),
        (784, 512),
        (int(rng.integers(1, 1000)), int(rng.integers(1, 1000))),
        (int(rng.integers(2, 500)),),
    ]
    _check_fans(student, shapes)


@pytest.mark.about("compute_fans")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check (3, 3, 16, 32), which must give (144, 288): all dimensions but the last two form the "
    "receptive field, which multiplies both fans. Then try 3-D and 5-D kernels, where it has one or "
    "three factors."
)
def test_compute_fans_conv_kernels(student, keras, rng):
    """compute_fans matches Keras for 1-D, 2-D and 3-D convolution kernels"""
    shapes = [
        (3, 3, 16, 32),
        (5, 5, 5, 4, 8),
        (5, 4, 8),
        (1, 1, 64, 128),
        tuple(int(v) for v in rng.integers(1, 8, size=2)) + tuple(int(v) for v in rng.integers(1, 64, size=2)),
        tuple(int(v) for v in rng.integers(1, 6, size=3)) + tuple(int(v) for v in rng.integers(1, 32, size=2)),
    ]
    _check_fans(student, shapes)


# ------------------------------------------------------------------------------- samplers


@pytest.mark.points(1)
@pytest.mark.parametrize("name", _samplers(DTYPE_HINT))
def test_sampler_returns_float32_array_of_the_shape(student, rng, name):
    """returns a float32 array of the requested shape"""
    for shape in [(9, 1), (4, 3), (7,), (3, 3, 2, 4), (2, 2, 2, 3, 5)]:
        _sample(student, name, shape, int(rng.integers(2**63)))


@pytest.mark.points(2)
@pytest.mark.parametrize("name", _samplers(DENSE_HINTS))
def test_sampler_matches_keras_on_a_dense_kernel(student, reference, keras, rng, name):
    """samples for a Dense kernel (500, 100) follow Keras' distribution"""
    shape = (500, 100)
    got = _pooled_student(student, name, shape, rng)
    want = _pooled_keras(reference, keras, name, shape, rng)
    _compare_distribution(got, want, f"{name}({shape}, rng)", bounded=name != "random_normal")


@pytest.mark.points(2)
@pytest.mark.parametrize("name", _samplers(CONV_HINTS))
def test_sampler_matches_keras_on_conv_kernels(student, reference, keras, rng, name):
    """samples for conv kernels (3, 3, 32, 64) and (5, 5, 5, 4, 8) follow Keras' distribution"""
    for shape in [(3, 3, 32, 64), (5, 5, 5, 4, 8)]:
        got = _pooled_student(student, name, shape, rng)
        want = _pooled_keras(reference, keras, name, shape, rng)
        _compare_distribution(got, want, f"{name}({shape}, rng)", bounded=name != "random_normal")


@pytest.mark.points(1)
@pytest.mark.parametrize("name", _samplers(RNG_HINT))
def test_sampler_draws_from_rng(student, rng, name):
    """the same rng seed gives the same samples, different seeds give different samples"""
    shape = (20, 10)
    a, b = (int(v) for v in rng.choice(2**62, size=2, replace=False))
    first = _sample(student, name, shape, a)
    again = _sample(student, name, shape, a)
    other = _sample(student, name, shape, b)
    assert np.array_equal(first, again), t(
        "{name}(shape, rng) gave different samples for two generators made with the same seed: "
        "draw every random number from rng (rng.normal, rng.uniform), not from np.random.*",
        name=name,
    )
    assert not np.array_equal(first, other), t(
        "{name}(shape, rng) gave identical samples for generators with different seeds: the samples must come from rng",
        name=name,
    )


@pytest.mark.about("random_normal")
@pytest.mark.points(2)
@pytest.mark.hint(
    "This check passes mean=1.5 and stddev=2.0: compare the mean and std in the message with them. A "
    "std of 4 means the variance was used; a mean of 0 or a std of 0.05 means an argument was "
    "ignored."
)
def test_random_normal_uses_mean_and_stddev(student, reference, keras, rng):
    """random_normal(shape, rng, mean=1.5, stddev=2.0) follows RandomNormal(1.5, 2.0)"""
    shape = (400, 250)
    kw = {"mean": 1.5, "stddev": 2.0}
    got = _pooled_student(student, "random_normal", shape, rng, **kw)
    want = _pooled_keras(reference, keras, "random_normal", shape, rng, **kw)
    _compare_distribution(got, want, f"random_normal({shape}, rng, mean=1.5, stddev=2.0)", bounded=False)
