"""Correct initializers written with scipy.stats (truncnorm) and textbook variance formulas."""

import numpy as np
from scipy import stats


def compute_fans(shape):
    dims = list(shape)
    if len(dims) < 2:
        n = dims[0] if dims else 1
        return n, n
    receptive = 1
    for d in dims[:-2]:
        receptive = receptive * d
    return receptive * dims[-2], receptive * dims[-1]


def _variance_scaling(shape, rng, scale, mode, distribution):
    fan_in, fan_out = compute_fans(shape)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    var = scale / max(1.0, n)
    if distribution == "uniform":
        # Var(U(-a, a)) = a^2 / 3
        a = np.sqrt(3 * var)
        return rng.uniform(low=-a, high=a, size=shape).astype("float32")
    sigma = np.sqrt(var) / stats.truncnorm.std(-2, 2)
    return stats.truncnorm.rvs(-2, 2, scale=sigma, size=shape, random_state=rng).astype("float32")


def random_normal(shape, rng, mean=0.0, stddev=0.05):
    return np.asarray(mean + stddev * rng.standard_normal(shape), dtype=np.float32)


def standard_uniform(shape, rng):
    return _variance_scaling(shape, rng, 1 / 3, "fan_in", "uniform")


def glorot_normal(shape, rng):
    return _variance_scaling(shape, rng, 1.0, "fan_avg", "normal")


def glorot_uniform(shape, rng):
    return _variance_scaling(shape, rng, 1.0, "fan_avg", "uniform")


def he_normal(shape, rng):
    return _variance_scaling(shape, rng, 2.0, "fan_in", "normal")


def he_uniform(shape, rng):
    return _variance_scaling(shape, rng, 2.0, "fan_in", "uniform")
