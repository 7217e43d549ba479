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

SAMPLERS = ("random_normal", "standard_uniform", "glorot_normal", "glorot_uniform", "he_normal",
            "he_uniform")

HINTS = {
    "random_normal": "rng.normal(mean, stddev, size=shape).astype(np.float32); stddev is the "
                     "standard deviation, not the variance.",
    "standard_uniform": "Uniform on [-limit, limit] with limit = 1/sqrt(fan_in); fan_in from "
                        "compute_fans(shape) (a conv kernel's fan_in includes the receptive field).",
    "glorot_normal": "Keras truncates: sample N(0, s^2) with s = sqrt(2/(fan_in+fan_out))/0.87962566103423978 "
                     "and re-draw every value with |x| > 2*s (np.clip is not a re-draw).",
    "glorot_uniform": "limit = sqrt(6 / (fan_in + fan_out)): both fans, the 6 and the square root.",
    "he_normal": "Keras truncates: sample N(0, s^2) with s = sqrt(2/fan_in)/0.87962566103423978 and "
                 "re-draw every value with |x| > 2*s. He uses fan_in only.",
    "he_uniform": "limit = sqrt(6 / fan_in), with fan_in from compute_fans(shape).",
}


def _keras_initializer(keras, name, seed, **kw):
    init = keras.initializers
    if name == "random_normal":
        return init.RandomNormal(mean=kw.get("mean", 0.0), stddev=kw.get("stddev", 0.05), seed=seed)
    if name == "standard_uniform":
        return init.VarianceScaling(scale=1.0 / 3.0, mode="fan_in", distribution="uniform", seed=seed)
    cls = {"glorot_normal": init.GlorotNormal, "glorot_uniform": init.GlorotUniform,
           "he_normal": init.HeNormal, "he_uniform": init.HeUniform}[name]
    return cls(seed=seed)


def _sampler_param(name):
    return pytest.param(name, id=name, marks=[pytest.mark.about(name), pytest.mark.hint(HINTS[name])])


ALL_SAMPLERS = [_sampler_param(n) for n in SAMPLERS]


def _sample(student, name, shape, seed, **kw):
    """One student sample with a fresh Generator, validated as a float32 array of ``shape``."""
    label = f"{name}({shape}, rng)"
    got = student.call_pure(name, shape, np.random.default_rng(seed), **kw)
    if not isinstance(got, np.ndarray):
        raise CheckFailed(t("{call} should return a float32 NumPy array of shape {shape}, but returned {got}",
                            call=label, shape=shape, got=describe_value(got)))
    as_array(got, name=label, shape=shape)
    if got.dtype != np.float32:
        raise CheckFailed(t("{call} returned dtype {dtype}; Keras initializers return float32 "
                            "(convert with .astype(np.float32))", call=label, dtype=got.dtype),
                          {"kind": "dtype", "got": str(got.dtype)})
    if not np.all(np.isfinite(got)):
        raise CheckFailed(t("{call} returned NaN or infinite values", call=label))
    return got


def _pooled_student(student, name, shape, rng, **kw):
    size = max(1, int(np.prod(shape)))
    calls = -(-N_SAMPLES // size)
    return np.concatenate([_sample(student, name, shape, int(rng.integers(2**63)), **kw).ravel()
                           for _ in range(calls)]).astype(np.float64)


def _pooled_keras(reference, keras, name, shape, rng, **kw):
    """Keras' pooled samples: a ``reference`` value (its seeds are drawn from rng either way, so the
    student's later draws do not depend on whether it was computed or stored)."""
    size = max(1, int(np.prod(shape)))
    seeds = [int(rng.integers(2**31 - 1)) for _ in range(-(-N_SAMPLES // size))]

    def draw():
        return np.concatenate([np.asarray(_keras_initializer(keras, name, s, **kw)(shape)).ravel() for s in seeds])

    return reference(f"keras {name} samples", draw, inputs=(name, shape, seeds, kw)).astype(np.float64)


def _compare_distribution(got, want, label, *, bounded=True):
    """Fail unless ``got`` (student) and ``want`` (Keras) look like the same distribution."""
    from scipy import stats

    n_g, n_w = got.size, want.size
    mg, mw, sg, sw = got.mean(), want.mean(), got.std(), want.std()
    ks = stats.ks_2samp(got, want)
    details = {
        "kind": "distribution", "samples": n_g,
        "your_mean": float(mg), "keras_mean": float(mw),
        "your_std": float(sg), "keras_std": float(sw),
        "your_max_abs": float(np.abs(got).max()), "keras_max_abs": float(np.abs(want).max()),
        "ks_statistic": float(ks.statistic), "ks_pvalue": float(ks.pvalue),
    }
    summary = t("your samples: mean {mean}, std {std}, max |x| {max}; Keras': mean {keras_mean}, "
                "std {keras_std}, max |x| {keras_max} ({n} values each)",
                mean=format(mg, ".4g"), std=format(sg, ".4g"), max=format(np.abs(got).max(), ".4g"),
                keras_mean=format(mw, ".4g"), keras_std=format(sw, ".4g"),
                keras_max=format(np.abs(want).max(), ".4g"), n=n_g)
    if bounded:
        limit = np.abs(want - 0.0).max()
        if np.abs(got).max() > BOUND_SLACK * limit:
            frac = float(np.mean(np.abs(got) > limit))
            raise CheckFailed(
                t("{call}: {fraction} of your values lie outside [-{limit}, {limit}], the range Keras' values "
                  "never leave (uniform limit, or 2 standard deviations of the underlying normal for a "
                  "truncated normal); {summary}", call=label, fraction=format(frac, ".2%"),
                  limit=format(limit, ".4g"), summary=summary), details)
    # Standard error of a sample std is sqrt((kurtosis - 1) / (4 n)) * std <= std / sqrt(2 n)
    # for these distributions (kurtosis <= 3).
    se_std = np.sqrt(1.0 / (2 * n_g) + 1.0 / (2 * n_w))
    if abs(sg / sw - 1.0) > Z_MAX * se_std:
        raise CheckFailed(t("{call}: the standard deviation differs from Keras' by {difference}; {summary}",
                            call=label, difference=format(sg / sw - 1.0, "+.1%"), summary=summary), details)
    se_mean = sw * np.sqrt(1.0 / n_g + 1.0 / n_w)
    if abs(mg - mw) > Z_MAX * se_mean:
        raise CheckFailed(t("{call}: the mean differs from Keras' ({mean} vs {keras_mean}); {summary}",
                            call=label, mean=format(mg, ".4g"), keras_mean=format(mw, ".4g"), summary=summary),
                          details)
    if ks.pvalue < KS_P_MIN:
        raise CheckFailed(
            t("{call}: the values do not follow Keras' distribution (two-sample Kolmogorov-Smirnov "
              "statistic {statistic}, p = {pvalue}); the shape of the histogram differs (e.g. truncated vs "
              "untruncated normal, clipping instead of re-drawing); {summary}", call=label,
              statistic=format(ks.statistic, ".4f"), pvalue=format(ks.pvalue, ".2g"), summary=summary),
            details)


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
            raise CheckFailed(t("compute_fans({shape}) returned {got}, expected (fan_in, fan_out) = {want}",
                                shape=shape, got=got, want=want))


@pytest.mark.about("compute_fans")
@pytest.mark.points(2)
@pytest.mark.hint("() -> (1, 1); (n,) -> (n, n); (a, b) -> (a, b).")
def test_compute_fans_dense_vector_and_scalar(student, keras, rng):
    """compute_fans matches Keras for Dense kernels, 1-D shapes and scalars"""
    shapes = [(), (7,), (1,), (9, 1), (3, 5), (784, 512),
              (int(rng.integers(1, 1000)), int(rng.integers(1, 1000))), (int(rng.integers(2, 500)),)]
    _check_fans(student, shapes)


@pytest.mark.about("compute_fans")
@pytest.mark.points(2)
@pytest.mark.hint("For a conv kernel (*kernel_size, in_channels, out_channels), multiply both fans by "
                  "the receptive field prod(kernel_size): (3, 3, 16, 32) -> (144, 288).")
def test_compute_fans_conv_kernels(student, keras, rng):
    """compute_fans matches Keras for 1-D, 2-D and 3-D convolution kernels"""
    shapes = [(3, 3, 16, 32), (5, 5, 5, 4, 8), (5, 4, 8), (1, 1, 64, 128),
              tuple(int(v) for v in rng.integers(1, 8, size=2)) + tuple(int(v) for v in rng.integers(1, 64, size=2)),
              tuple(int(v) for v in rng.integers(1, 6, size=3)) + tuple(int(v) for v in rng.integers(1, 32, size=2))]
    _check_fans(student, shapes)


# ------------------------------------------------------------------------------- samplers


@pytest.mark.points(1)
@pytest.mark.parametrize("name", ALL_SAMPLERS)
def test_sampler_returns_float32_array_of_the_shape(student, rng, name):
    """returns a float32 array of the requested shape"""
    for shape in [(9, 1), (4, 3), (7,), (3, 3, 2, 4), (2, 2, 2, 3, 5)]:
        _sample(student, name, shape, int(rng.integers(2**63)))


@pytest.mark.points(2)
@pytest.mark.parametrize("name", ALL_SAMPLERS)
def test_sampler_matches_keras_on_a_dense_kernel(student, reference, keras, rng, name):
    """samples for a Dense kernel (500, 100) follow Keras' distribution"""
    shape = (500, 100)
    got = _pooled_student(student, name, shape, rng)
    want = _pooled_keras(reference, keras, name, shape, rng)
    _compare_distribution(got, want, f"{name}({shape}, rng)", bounded=name != "random_normal")


@pytest.mark.points(2)
@pytest.mark.parametrize("name", ALL_SAMPLERS)
def test_sampler_matches_keras_on_conv_kernels(student, reference, keras, rng, name):
    """samples for conv kernels (3, 3, 32, 64) and (5, 5, 5, 4, 8) follow Keras' distribution"""
    for shape in [(3, 3, 32, 64), (5, 5, 5, 4, 8)]:
        got = _pooled_student(student, name, shape, rng)
        want = _pooled_keras(reference, keras, name, shape, rng)
        _compare_distribution(got, want, f"{name}({shape}, rng)", bounded=name != "random_normal")


@pytest.mark.points(1)
@pytest.mark.parametrize("name", ALL_SAMPLERS)
def test_sampler_draws_from_rng(student, rng, name):
    """the same rng seed gives the same samples, different seeds give different samples"""
    shape = (20, 10)
    a, b = (int(v) for v in rng.choice(2**62, size=2, replace=False))
    first = _sample(student, name, shape, a)
    again = _sample(student, name, shape, a)
    other = _sample(student, name, shape, b)
    assert np.array_equal(first, again), t(
        "{name}(shape, rng) gave different samples for two generators made with the same seed: "
        "draw every random number from rng (rng.normal, rng.uniform), not from np.random.*", name=name)
    assert not np.array_equal(first, other), t(
        "{name}(shape, rng) gave identical samples for generators with different seeds: "
        "the samples must come from rng", name=name)


@pytest.mark.about("random_normal")
@pytest.mark.points(2)
@pytest.mark.hint("Use the mean and stddev arguments: rng.normal(mean, stddev, size=shape).")
def test_random_normal_uses_mean_and_stddev(student, reference, keras, rng):
    """random_normal(shape, rng, mean=1.5, stddev=2.0) follows RandomNormal(1.5, 2.0)"""
    shape = (400, 250)
    kw = {"mean": 1.5, "stddev": 2.0}
    got = _pooled_student(student, "random_normal", shape, rng, **kw)
    want = _pooled_keras(reference, keras, "random_normal", shape, rng, **kw)
    _compare_distribution(got, want, f"random_normal({shape}, rng, mean=1.5, stddev=2.0)", bounded=False)
