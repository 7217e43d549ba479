"""Correct optimizers in PyTorch's conventions (torch.optim), written with NumPy.

Momentum keeps the running sum of gradients ``buf = momentum*buf + g`` and steps
``w -= lr*buf`` (Nesterov: ``w -= lr*(g + momentum*buf)``); RMSprop and Adagrad put epsilon
outside the square root; Adam uses explicit bias-corrected moments. All in float64.
"""

import numpy as np


def sgd_step(w, g, lr=0.01):
    w = np.array(w, dtype=np.float64)
    w -= lr * np.asarray(g, dtype=np.float64)  # on our own copy
    return w


def momentum_step(w, g, velocity, lr=0.01, momentum=0.9, nesterov=False):
    g = np.asarray(g, dtype=np.float64)
    buf = momentum * np.asarray(velocity, dtype=np.float64) + g
    d = g + momentum * buf if nesterov else buf
    return np.asarray(w, dtype=np.float64) - lr * d, buf


def adagrad_step(w, g, accumulator, lr=0.001, epsilon=1e-7):
    g = np.asarray(g, dtype=np.float64)
    s = accumulator + g ** 2
    return w - lr * g / (np.sqrt(s) + epsilon), s


def rmsprop_step(w, g, velocity, lr=0.001, rho=0.9, epsilon=1e-7):
    g = np.asarray(g, dtype=np.float64)
    sq = velocity * rho
    sq = sq + (1 - rho) * np.square(g)
    return w - lr * g / (np.sqrt(sq) + epsilon), sq


def adam_step(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    g = np.asarray(g, dtype=np.float64)
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g * g
    m_hat = m / (1 - beta_1 ** t)
    v_hat = v / (1 - beta_2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + epsilon), m, v
