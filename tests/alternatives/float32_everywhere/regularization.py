"""Correct regularization tools in another style: float32 arithmetic throughout, TF-like forms."""

import numpy as np

F32 = np.float32


def l1_penalty(w, l1=0.01):
    w = np.asarray(w, dtype=np.float32)
    return F32(l1) * np.abs(w).sum(dtype=np.float32)


def l2_penalty(w, l2=0.01):
    w = np.asarray(w, dtype=np.float32).ravel()
    return F32(l2) * np.dot(w, w)


def l1_l2_penalty(w, l1=0.0, l2=0.0):
    return F32(l1_penalty(w, l1)) + F32(l2_penalty(w, l2))


def dropout(x, rate, rng, training=True):
    x = np.asarray(x, dtype=np.float32)
    if not training:
        return x
    u = rng.random(size=x.shape, dtype=np.float32)
    scale = F32(1.0 / (1.0 - rate)) if rate < 1 else F32(0)
    # like tf.nn.dropout: keep where u >= rate, multiply by float32(1 / (1 - rate))
    return np.where(u >= F32(rate), x * scale, F32(0)).astype(np.float32)


def batch_norm(x, gamma, beta, moving_mean, moving_var, training, momentum=0.99, epsilon=1e-3):
    x = np.asarray(x, dtype=np.float32)
    gamma, beta = np.asarray(gamma, np.float32), np.asarray(beta, np.float32)
    mm, mv = np.asarray(moving_mean, np.float32), np.asarray(moving_var, np.float32)
    m = F32(momentum)
    if training:
        mean = x.mean(axis=0, dtype=np.float32)
        var = np.square(x - mean).mean(axis=0, dtype=np.float32)
        new_mm = mm * m + mean * (F32(1) - m)
        new_mv = mv * m + var * (F32(1) - m)
    else:
        mean, var = mm, mv
        new_mm, new_mv = mm, mv
    # tf.nn.batch_normalization: x * inv + (beta - mean * inv)
    inv = gamma / np.sqrt(var + F32(epsilon))
    return x * inv + (beta - mean * inv), new_mm, new_mv


def early_stopping_epochs(values, patience, min_delta=0.0, mode="min"):
    sign = 1.0 if mode == "min" else -1.0
    best = np.inf
    bad = 0
    n = 0
    for n, v in enumerate(np.asarray(values, dtype=np.float32), start=1):
        score = sign * float(v)
        if n == 1 or best - score > min_delta:
            best, bad = score, 0
        else:
            bad += 1
            if bad >= patience:
                return n
    return len(values)
