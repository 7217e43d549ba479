"""Correct optimizers with float32 arithmetic throughout (inputs cast to float32), Keras' forms."""

import numpy as np

F = np.float32


def _f(x):
    return np.asarray(x, dtype=F)


def sgd_step(w, g, lr=0.01):
    return _f(w) - F(lr) * _f(g)


def momentum_step(w, g, velocity, lr=0.01, momentum=0.9, nesterov=False):
    w, g, v = _f(w), _f(g), _f(velocity)
    v = F(momentum) * v - F(lr) * g
    if nesterov:
        return w + F(momentum) * v - F(lr) * g, v
    return w + v, v


def adagrad_step(w, g, accumulator, lr=0.001, epsilon=1e-7):
    w, g = _f(w), _f(g)
    acc = _f(accumulator) + g * g
    return w - F(lr) * g / np.sqrt(acc + F(epsilon)), acc


def rmsprop_step(w, g, velocity, lr=0.001, rho=0.9, epsilon=1e-7):
    w, g = _f(w), _f(g)
    v = F(rho) * _f(velocity) + F(1 - rho) * g * g
    return w - F(lr) * g / np.sqrt(v + F(epsilon)), v


def adam_step(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    w, g = _f(w), _f(g)
    m = _f(m) + (g - _f(m)) * F(1 - beta_1)
    v = _f(v) + (g * g - _f(v)) * F(1 - beta_2)
    alpha = F(lr) * np.sqrt(F(1) - F(beta_2) ** F(t)) / (F(1) - F(beta_1) ** F(t))
    return w - alpha * m / (np.sqrt(v) + F(epsilon)), m, v
