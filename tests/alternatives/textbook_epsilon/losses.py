"""Losses with the textbook epsilon placement log(p + eps) in float64, NumPy scalars or size-1 arrays returned."""

import numpy as np

EPS = 1e-7


def _logsumexp(z):
    m = z.max(axis=-1, keepdims=True)
    return m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


def categorical_crossentropy(y_true, y_pred, from_logits=False):
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    if from_logits:
        log_p = y_pred - _logsumexp(y_pred)
    else:
        p = y_pred / y_pred.sum(axis=-1, keepdims=True)
        log_p = np.log(p + EPS)
    losses = [-np.dot(t, lp) for t, lp in zip(y_true, log_p)]
    return np.mean(losses)


def sparse_categorical_crossentropy(labels, y_pred, from_logits=False):
    y_pred = np.asarray(y_pred, dtype=float)
    total = 0.0
    for row, label in zip(y_pred, np.asarray(labels)):
        if from_logits:
            total -= row[label] - _logsumexp(row)[0]
        else:
            total -= np.log(row[label] / row.sum() + EPS)  # Keras rescales the row to sum 1
    return total / len(y_pred)


def binary_crossentropy(y_true, y_pred, from_logits=False):
    y = np.asarray(y_true, dtype=float)
    x = np.asarray(y_pred, dtype=float)
    if from_logits:
        # -y*log(sigmoid(x)) - (1-y)*log(sigmoid(-x)), with log(sigmoid(x)) = -logaddexp(0, -x)
        elem = y * np.logaddexp(0.0, -x) + (1 - y) * np.logaddexp(0.0, x)
    else:
        elem = -(y * np.log(x + EPS) + (1 - y) * np.log(1 - x + EPS))
    return np.mean(elem, axis=-1, keepdims=True).mean(axis=0)  # shape (1,)


def mean_absolute_error(y_true, y_pred):
    return np.mean(np.abs(np.subtract(y_true, y_pred, dtype=float)))


def mean_squared_error(y_true, y_pred):
    d = np.subtract(y_true, y_pred, dtype=float)
    return np.mean(d ** 2, keepdims=True).reshape(1)  # a size-1 array is accepted


def huber(y_true, y_pred, delta=1.0):
    e = np.subtract(y_pred, y_true, dtype=float)
    small = np.abs(e) <= delta
    elem = np.empty_like(e)
    elem[small] = e[small] ** 2 / 2
    elem[~small] = delta * (np.abs(e[~small]) - delta / 2)
    return np.mean(elem)
