"""Correct initializers in another style: float32 random draws and arithmetic throughout."""

import math

import numpy as np

F32 = np.float32


def compute_fans(shape):
    shape = tuple(shape)
    if not shape:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    rf = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return int(shape[-2] * rf), int(shape[-1] * rf)


def random_normal(shape, rng, mean=0.0, stddev=0.05):
    z = rng.standard_normal(size=shape, dtype=np.float32)
    return (z * F32(stddev) + F32(mean)).astype(np.float32)


def _uniform(shape, rng, limit):
    u = rng.random(size=shape, dtype=np.float32)  # [0, 1)
    return ((u * F32(2) - F32(1)) * F32(limit)).astype(np.float32)


def _trunc(shape, rng, final_std):
    # Truncated standard normal on [-2, 2], rescaled so the final std is final_std.
    n = math.prod(shape)
    out = np.empty(0, dtype=np.float32)
    while out.size < n:
        z = rng.standard_normal(size=2 * (n - out.size) + 16, dtype=np.float32)
        out = np.concatenate([out, z[np.abs(z) <= 2]])
    s = F32(final_std / 0.87962566103423978)
    return (out[:n] * s).reshape(shape)


def standard_uniform(shape, rng):
    return _uniform(shape, rng, 1.0 / math.sqrt(max(1, compute_fans(shape)[0])))


def glorot_normal(shape, rng):
    fi, fo = compute_fans(shape)
    return _trunc(shape, rng, math.sqrt(2.0 / (fi + fo)))


def glorot_uniform(shape, rng):
    fi, fo = compute_fans(shape)
    return _uniform(shape, rng, math.sqrt(6.0 / (fi + fo)))


def he_normal(shape, rng):
    return _trunc(shape, rng, math.sqrt(2.0 / compute_fans(shape)[0]))


def he_uniform(shape, rng):
    return _uniform(shape, rng, math.sqrt(6.0 / compute_fans(shape)[0]))
