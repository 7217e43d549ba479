"""Classic slips in the initializers topic.

``compute_fans`` is deterministic and compared call by call. The samplers are random, so
their variants are compared *statistically*: each variant is replayed on a deep copy of the
Generator the student received, and ``_looks_alike`` compares the student's pooled samples
with the variant's, shape by shape, on their mean, standard deviation, tail fractions and
the share of values sitting exactly on the extreme (what ``np.clip`` produces). Every sampler
mistake below moves at least one of these far beyond the tolerances (the std by >= 8 %, or a
tail fraction by >= 1 %, or the clipped share by ~4.5 %), while two samples of one
distribution of the sizes the checks pool (~200,000 values) agree within them with
overwhelming probability.
"""

import numpy as np

from grader.course.misconceptions import misconception
from grader.i18n import N_

_TRUNC_STD = 0.87962566103423978  # std of N(0, 1) truncated to [-2, 2]

# Below this many pooled values per shape the statistics are not conclusive: no match
# (e.g. the few small samples of the dtype/shape and seeding checks).
MIN_SAMPLES = 50_000
STD_REL_TOL = 0.03  # the mistakes here change the std by >= 8 %; sampling noise is ~0.3 %
MEAN_TOL = 0.03  # in units of the std; sampling noise is ~0.3 %
TAILS = (1.0, 2.0, 2.5)  # fractions of |x - mean| beyond these many stds are compared...
TAIL_Z = 6.0  # ...within 6 standard errors (+ TAIL_SLACK)
TAIL_SLACK = 1e-3
ATOM_TOL = 0.01  # share of values on max|x| (np.clip piles ~4.5 % there; re-drawing none)


def _pooled_by_shape(got: list, want: list):
    """[(student values, variant values)] pooled per output shape, or None if not comparable."""
    if not got or len(got) != len(want):
        return None
    pools: dict[tuple, tuple[list, list]] = {}
    for g, w in zip(got, want, strict=False):
        if not (isinstance(g, np.ndarray) and isinstance(w, np.ndarray)) or g.shape != w.shape:
            return None
        gs, ws = pools.setdefault(tuple(g.shape), ([], []))
        gs.append(np.asarray(g, dtype=np.float64).ravel())
        ws.append(np.asarray(w, dtype=np.float64).ravel())
    return [(np.concatenate(gs), np.concatenate(ws)) for gs, ws in pools.values()]


def _features(x: np.ndarray):
    m, s = float(x.mean()), float(x.std())
    z = np.abs(x - m) / s
    tails = [float(np.mean(z > k)) for k in TAILS]
    a = np.abs(x)
    atoms = float(np.mean(a >= a.max() * (1 - 1e-6)))
    return m, s, tails, atoms


def _same_distribution(g: np.ndarray, w: np.ndarray) -> bool:
    n_g, n_w = g.size, w.size
    if min(n_g, n_w) < MIN_SAMPLES or not (np.all(np.isfinite(g)) and np.all(np.isfinite(w))):
        return False
    if g.std() == 0 or w.std() == 0:
        return False
    mg, sg, tg, ag = _features(g)
    mw, sw, tw, aw = _features(w)
    if abs(sg / sw - 1.0) > STD_REL_TOL or abs(mg - mw) > MEAN_TOL * sw:
        return False
    for pg, pw in zip(tg, tw, strict=False):
        p = (pg + pw) / 2
        if abs(pg - pw) > TAIL_Z * np.sqrt(p * (1 - p) * (1 / n_g + 1 / n_w)) + TAIL_SLACK:
            return False
    return abs(ag - aw) <= ATOM_TOL


def _looks_alike(got: list, want: list) -> bool:
    """The student's samples follow the variant's distribution, for every shape of the check."""
    pools = _pooled_by_shape(got, want)
    return pools is not None and all(_same_distribution(g, w) for g, w in pools)


# ------------------------------------------------------------------------------ helpers


def _fans(shape):
    shape = tuple(int(s) for s in shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = int(np.prod(shape[:-2]))
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def _truncated(shape, rng, std):
    """N(0, std^2) with values beyond 2*std re-drawn (Keras' truncated normal), float32."""
    n = int(np.prod(shape, dtype=np.int64))
    out = rng.normal(0.0, std, size=n)
    bad = np.abs(out) > 2.0 * std
    while bad.any():
        out[bad] = rng.normal(0.0, std, size=int(bad.sum()))
        bad = np.abs(out) > 2.0 * std
    return out.reshape(shape).astype(np.float32)


def _untruncated(shape, rng, std):
    return rng.normal(0.0, std, size=shape).astype(np.float32)


def _clipped(shape, rng, std):
    return np.clip(rng.normal(0.0, std, size=shape), -2.0 * std, 2.0 * std).astype(np.float32)


def _uniform(shape, rng, limit):
    return rng.uniform(-limit, limit, size=shape).astype(np.float32)


# A Dense kernel with fan_in != fan_out (so fan mistakes show) and 200,000 values (so the
# statistics are conclusive), drawn from a fixed Generator.
_DENSE = (200, 1000)


def _ex(**kwargs):
    return [((_DENSE, np.random.default_rng(20261127)), kwargs)]


# --------------------------------------------------------------------------- compute_fans


@misconception(
    "compute_fans",
    "compute_fans.no_receptive_field",
    N_("the receptive field left out of the fans of a convolution kernel"),
    N_(
        "for a kernel (*kernel_size, in_channels, out_channels) multiply both fans by "
        "prod(kernel_size): fan_in = shape[-2] * rf, fan_out = shape[-1] * rf"
    ),
    examples=[(((3, 3, 16, 32),), {})],
)
def compute_fans_no_receptive_field(shape):
    shape = tuple(int(s) for s in shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    return shape[-2], shape[-1]


@misconception(
    "compute_fans",
    "compute_fans.swapped",
    N_("fan_in and fan_out swapped"),
    N_(
        "a Keras kernel is (..., inputs, outputs): fan_in comes from shape[-2] and fan_out from "
        "shape[-1]; return (fan_in, fan_out) in that order"
    ),
    examples=[(((3, 5),), {}), (((3, 3, 16, 32),), {})],
)
def compute_fans_swapped(shape):
    fan_in, fan_out = _fans(shape)
    return fan_out, fan_in


@misconception(
    "compute_fans",
    "compute_fans.vector_one_by_n",
    N_("a 1-D shape (n,) read as a 1 x n matrix, giving (1, n)"),
    N_("Keras gives a 1-D shape (n,) the fans (n, n)"),
    examples=[(((7,),), {})],
)
def compute_fans_vector_one_by_n(shape):
    shape = tuple(int(s) for s in shape)
    if len(shape) == 1:
        return 1, shape[0]
    return _fans(shape)


# -------------------------------------------------------------------------- random_normal


@misconception(
    "random_normal",
    "random_normal.stddev_as_variance",
    N_("stddev treated as the variance (sampling with sqrt(stddev))"),
    N_("stddev is already the standard deviation: rng.normal(mean, stddev, size=shape), no square root"),
    examples=_ex(),
    match=_looks_alike,
)
def random_normal_stddev_as_variance(shape, rng, mean=0.0, stddev=0.05):
    return rng.normal(mean, np.sqrt(stddev), size=shape).astype(np.float32)


@misconception(
    "random_normal",
    "random_normal.mean_ignored",
    N_("the mean argument ignored (samples centred on 0)"),
    N_("pass the mean to the sampler: rng.normal(mean, stddev, size=shape)"),
    examples=_ex(mean=1.5, stddev=2.0),
    match=_looks_alike,
)
def random_normal_mean_ignored(shape, rng, mean=0.0, stddev=0.05):
    if mean == 0:  # the mistake is invisible (and would look like a correct sampler): claim nothing
        raise ValueError("mean 0: ignoring the mean changes nothing")
    return rng.normal(0.0, stddev, size=shape).astype(np.float32)


@misconception(
    "random_normal",
    "random_normal.unit_stddev",
    N_("a standard normal (std 1, as np.random.randn gives) instead of the requested stddev"),
    N_("scale by the stddev argument: rng.normal(mean, stddev, size=shape)"),
    examples=_ex(),
    match=_looks_alike,
)
def random_normal_unit_stddev(shape, rng, mean=0.0, stddev=0.05):
    return rng.normal(mean, 1.0, size=shape).astype(np.float32)


# ----------------------------------------------------------------------- standard_uniform


@misconception(
    "standard_uniform",
    "standard_uniform.no_sqrt",
    N_("limit 1/fan_in: the square root forgotten"),
    N_("limit = 1 / sqrt(fan_in)"),
    examples=_ex(),
    match=_looks_alike,
)
def standard_uniform_no_sqrt(shape, rng):
    fan_in, _ = _fans(shape)
    return _uniform(shape, rng, 1.0 / max(1, fan_in))


@misconception(
    "standard_uniform",
    "standard_uniform.fan_out",
    N_("fan_out used where the limit needs fan_in"),
    N_("limit = 1 / sqrt(fan_in) with fan_in = compute_fans(shape)[0], the number of inputs"),
    examples=_ex(),
    match=_looks_alike,
)
def standard_uniform_fan_out(shape, rng):
    _, fan_out = _fans(shape)
    return _uniform(shape, rng, np.sqrt(1.0 / max(1, fan_out)))


@misconception(
    "standard_uniform",
    "standard_uniform.lecun_limit",
    N_("limit sqrt(3 / fan_in) (LeCun uniform, scale=1) instead of 1/sqrt(fan_in) (scale=1/3)"),
    N_("the standard initialization uses scale = 1/3: limit = sqrt(3 * (1/3) / fan_in) = 1 / sqrt(fan_in)"),
    examples=_ex(),
    match=_looks_alike,
)
def standard_uniform_lecun(shape, rng):
    fan_in, _ = _fans(shape)
    return _uniform(shape, rng, np.sqrt(3.0 / max(1, fan_in)))


# -------------------------------------------------------------------------- glorot_normal

_UNTRUNCATED_FIX = N_(
    "Keras truncates: sample with s = target_std / 0.87962566103423978 and re-draw every "
    "value with |x| > 2*s (e.g. in a while loop) until none is left"
)
_NO_CORRECTION_FIX = N_(
    "divide the target standard deviation by 0.87962566103423978 before sampling: "
    "truncation shrinks the spread by exactly that factor"
)
_CLIP_FIX = N_("re-draw the values with |x| > 2*s from rng until none is left; np.clip piles them up on +-2*s instead")


@misconception(
    "glorot_normal",
    "glorot_normal.untruncated",
    N_("an untruncated normal where Keras truncates at two standard deviations"),
    _UNTRUNCATED_FIX,
    examples=_ex(),
    match=_looks_alike,
)
def glorot_normal_untruncated(shape, rng):
    fan_in, fan_out = _fans(shape)
    return _untruncated(shape, rng, np.sqrt(2.0 / max(1, fan_in + fan_out)))


@misconception(
    "glorot_normal",
    "glorot_normal.no_correction",
    N_("truncated normal without the 0.87962566 correction: the spread is 12 % too small"),
    _NO_CORRECTION_FIX,
    examples=_ex(),
    match=_looks_alike,
)
def glorot_normal_no_correction(shape, rng):
    fan_in, fan_out = _fans(shape)
    return _truncated(shape, rng, np.sqrt(2.0 / max(1, fan_in + fan_out)))


@misconception(
    "glorot_normal",
    "glorot_normal.clipped",
    N_("values beyond two standard deviations clipped with np.clip instead of re-drawn"),
    _CLIP_FIX,
    examples=_ex(),
    match=_looks_alike,
)
def glorot_normal_clipped(shape, rng):
    fan_in, fan_out = _fans(shape)
    return _clipped(shape, rng, np.sqrt(2.0 / max(1, fan_in + fan_out)) / _TRUNC_STD)


@misconception(
    "glorot_normal",
    "glorot_normal.fan_in_only",
    N_("Glorot with fan_in only (that is LeCun's rule)"),
    N_("Glorot averages both fans: std = sqrt(2 / (fan_in + fan_out))"),
    examples=_ex(),
    match=_looks_alike,
)
def glorot_normal_fan_in_only(shape, rng):
    fan_in, _ = _fans(shape)
    return _truncated(shape, rng, np.sqrt(2.0 / max(1, fan_in)) / _TRUNC_STD)


# ------------------------------------------------------------------------- glorot_uniform


@misconception(
    "glorot_uniform",
    "glorot_uniform.std_as_limit",
    N_("limit sqrt(2 / (fan_in + fan_out)), the Glorot normal's standard deviation, used as the uniform limit"),
    N_("a uniform on [-limit, limit] has std limit / sqrt(3), so limit = sqrt(6 / (fan_in + fan_out))"),
    examples=_ex(),
    match=_looks_alike,
)
def glorot_uniform_std_as_limit(shape, rng):
    fan_in, fan_out = _fans(shape)
    return _uniform(shape, rng, np.sqrt(2.0 / max(1, fan_in + fan_out)))


@misconception(
    "glorot_uniform",
    "glorot_uniform.no_sqrt",
    N_("limit 6 / (fan_in + fan_out): the square root forgotten"),
    N_("limit = sqrt(6 / (fan_in + fan_out))"),
    examples=_ex(),
    match=_looks_alike,
)
def glorot_uniform_no_sqrt(shape, rng):
    fan_in, fan_out = _fans(shape)
    return _uniform(shape, rng, 6.0 / max(1, fan_in + fan_out))


@misconception(
    "glorot_uniform",
    "glorot_uniform.fan_in_only",
    N_("Glorot uniform with fan_in only: limit sqrt(6 / fan_in)"),
    N_("Glorot uses both fans: limit = sqrt(6 / (fan_in + fan_out))"),
    examples=_ex(),
    match=_looks_alike,
)
def glorot_uniform_fan_in_only(shape, rng):
    fan_in, _ = _fans(shape)
    return _uniform(shape, rng, np.sqrt(6.0 / max(1, fan_in)))


# ------------------------------------------------------------------------------ he_normal


@misconception(
    "he_normal",
    "he_normal.untruncated",
    N_("an untruncated normal where Keras truncates at two standard deviations"),
    _UNTRUNCATED_FIX,
    examples=_ex(),
    match=_looks_alike,
)
def he_normal_untruncated(shape, rng):
    fan_in, _ = _fans(shape)
    return _untruncated(shape, rng, np.sqrt(2.0 / max(1, fan_in)))


@misconception(
    "he_normal",
    "he_normal.no_correction",
    N_("truncated normal without the 0.87962566 correction: the spread is 12 % too small"),
    _NO_CORRECTION_FIX,
    examples=_ex(),
    match=_looks_alike,
)
def he_normal_no_correction(shape, rng):
    fan_in, _ = _fans(shape)
    return _truncated(shape, rng, np.sqrt(2.0 / max(1, fan_in)))


@misconception(
    "he_normal",
    "he_normal.clipped",
    N_("values beyond two standard deviations clipped with np.clip instead of re-drawn"),
    _CLIP_FIX,
    examples=_ex(),
    match=_looks_alike,
)
def he_normal_clipped(shape, rng):
    fan_in, _ = _fans(shape)
    return _clipped(shape, rng, np.sqrt(2.0 / max(1, fan_in)) / _TRUNC_STD)


@misconception(
    "he_normal",
    "he_normal.fan_avg",
    N_("He with the average fan (fan_in + fan_out) / 2 instead of fan_in"),
    N_("He uses fan_in only: std = sqrt(2 / fan_in)"),
    examples=_ex(),
    match=_looks_alike,
)
def he_normal_fan_avg(shape, rng):
    fan_in, fan_out = _fans(shape)
    return _truncated(shape, rng, np.sqrt(2.0 / max(1, (fan_in + fan_out) / 2)) / _TRUNC_STD)


# ----------------------------------------------------------------------------- he_uniform


@misconception(
    "he_uniform",
    "he_uniform.limit_3",
    N_("limit sqrt(3 / fan_in) instead of sqrt(6 / fan_in)"),
    N_(
        "He's variance is 2 / fan_in and a uniform on [-limit, limit] has variance limit^2 / 3, "
        "so limit = sqrt(3 * 2 / fan_in) = sqrt(6 / fan_in)"
    ),
    examples=_ex(),
    match=_looks_alike,
)
def he_uniform_limit_3(shape, rng):
    fan_in, _ = _fans(shape)
    return _uniform(shape, rng, np.sqrt(3.0 / max(1, fan_in)))


@misconception(
    "he_uniform",
    "he_uniform.std_as_limit",
    N_("limit sqrt(2 / fan_in), the He normal's standard deviation, used as the uniform limit"),
    N_("a uniform on [-limit, limit] has std limit / sqrt(3), so limit = sqrt(6 / fan_in)"),
    examples=_ex(),
    match=_looks_alike,
)
def he_uniform_std_as_limit(shape, rng):
    fan_in, _ = _fans(shape)
    return _uniform(shape, rng, np.sqrt(2.0 / max(1, fan_in)))


@misconception(
    "he_uniform",
    "he_uniform.no_sqrt",
    N_("limit 6 / fan_in: the square root forgotten"),
    N_("limit = sqrt(6 / fan_in)"),
    examples=_ex(),
    match=_looks_alike,
)
def he_uniform_no_sqrt(shape, rng):
    fan_in, _ = _fans(shape)
    return _uniform(shape, rng, 6.0 / max(1, fan_in))


@misconception(
    "he_uniform",
    "he_uniform.fan_avg",
    N_("He with the average fan (fan_in + fan_out) / 2 instead of fan_in"),
    N_("He uses fan_in only: limit = sqrt(6 / fan_in)"),
    examples=_ex(),
    match=_looks_alike,
)
def he_uniform_fan_avg(shape, rng):
    fan_in, fan_out = _fans(shape)
    return _uniform(shape, rng, np.sqrt(6.0 / max(1, (fan_in + fan_out) / 2)))
