"""Losses computed in float32 throughout, Keras' clipping rule, numpy scalars returned."""

import numpy as np

F = np.float32
EPS = F(1e-7)


def _f32(a):
    return np.asarray(a, dtype=F)


def _log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def categorical_crossentropy(y_true, y_pred, from_logits=False):
    y_true, y_pred = _f32(y_true), _f32(y_pred)
    if from_logits:
        log_p = _log_softmax(y_pred)
    else:
        p = np.clip(y_pred / y_pred.sum(axis=-1, keepdims=True), EPS, F(1) - EPS)
        log_p = np.log(p)
    return (-(y_true * log_p).sum(axis=-1)).mean(dtype=F)


def sparse_categorical_crossentropy(labels, y_pred, from_logits=False):
    y_pred = _f32(y_pred)
    onehot = np.eye(y_pred.shape[-1], dtype=F)[np.asarray(labels)]
    return categorical_crossentropy(onehot, y_pred, from_logits=from_logits)


def binary_crossentropy(y_true, y_pred, from_logits=False):
    y, x = _f32(y_true), _f32(y_pred)
    if from_logits:
        # log(1 + exp(x)) - x*y, with logaddexp for stability
        elem = np.logaddexp(F(0), x) - x * y
    else:
        p = np.clip(x, EPS, F(1) - EPS)
        elem = -(y * np.log(p) + (F(1) - y) * np.log(F(1) - p))
    return elem.mean(axis=-1).mean(dtype=F)


def mean_absolute_error(y_true, y_pred):
    return np.abs(_f32(y_true) - _f32(y_pred)).mean(axis=-1).mean(dtype=F)


def mean_squared_error(y_true, y_pred):
    return np.square(_f32(y_true) - _f32(y_pred)).mean(axis=-1).mean(dtype=F)


def huber(y_true, y_pred, delta=1.0):
    a = np.abs(_f32(y_pred) - _f32(y_true))
    d = F(delta)
    q = np.minimum(a, d)
    return (F(0.5) * q * q + d * (a - q)).mean(axis=-1).mean(dtype=F)
