"""Correct optimizers as textbooks write them: epsilon outside the square root, Adam with
bias-corrected m_hat / (sqrt(v_hat) + eps), momentum as a (negative) step accumulator in
units of the weights, and the state kept as a dict-free tuple of arrays. float64 math.
"""

import numpy as np


def sgd_step(w, g, lr=0.01):
    return np.subtract(w, np.multiply(lr, g))


def momentum_step(w, g, velocity, lr=0.01, momentum=0.9, nesterov=False):
    # Nesterov written with the look-ahead velocity: w + m*(m*v - lr*g) - lr*g
    # = w - lr*g*(1 + m) + m*m*v.
    v_new = momentum * velocity - lr * g
    if nesterov:
        return w - lr * (1 + momentum) * g + momentum * momentum * velocity, v_new
    return w + v_new, v_new


def adagrad_step(w, g, accumulator, lr=0.001, epsilon=1e-7):
    r = accumulator + np.square(g)
    return w - (lr / (epsilon + np.sqrt(r))) * g, r


def rmsprop_step(w, g, velocity, lr=0.001, rho=0.9, epsilon=1e-7):
    s = rho * velocity + (1 - rho) * np.square(g)
    return w - lr * g / (epsilon + np.sqrt(s)), s


def adam_step(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * np.square(g)
    m_hat = m / (1 - beta_1 ** t)
    v_hat = v / (1 - beta_2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + epsilon), m, v
