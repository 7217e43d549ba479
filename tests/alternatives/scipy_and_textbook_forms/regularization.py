"""Correct regularization tools in textbook forms: norms, binomial masks, E[x^2] - E[x]^2."""

import numpy as np


def l1_penalty(w, l1=0.01):
    return l1 * np.linalg.norm(np.ravel(w).astype(np.float64), 1)


def l2_penalty(w, l2=0.01):
    return l2 * np.linalg.norm(np.ravel(w).astype(np.float64)) ** 2


def l1_l2_penalty(w, l1=0.0, l2=0.0):
    total = 0.0
    if l1:
        total += l1_penalty(w, l1)
    if l2:
        total += l2_penalty(w, l2)
    return total


def dropout(x, rate, rng, training=True):
    x = np.array(x, dtype=np.float64)
    if not training or rate == 0:
        return x
    if rate == 1:
        return np.zeros_like(x)
    mask = rng.binomial(1, 1.0 - rate, size=x.shape)  # 1 = keep
    return x * mask / (1.0 - rate)


def batch_norm(x, gamma, beta, moving_mean, moving_var, training, momentum=0.99, epsilon=1e-3):
    x = np.asarray(x, dtype=np.float64)
    if training:
        n = x.shape[0]
        mu = x.sum(axis=0) / n
        var = ((x - mu) ** 2).sum(axis=0) / n
        new_mean = moving_mean + (1 - momentum) * (mu - moving_mean)
        new_var = moving_var + (1 - momentum) * (var - moving_var)
    else:
        mu, var = moving_mean, moving_var
        new_mean, new_var = np.array(moving_mean), np.array(moving_var)
    x_hat = (x - mu) / np.sqrt(var + epsilon)
    return gamma * x_hat + beta, new_mean, new_var


def early_stopping_epochs(values, patience, min_delta=0.0, mode="min"):
    values = list(values)
    better = (lambda a, b: a < b - min_delta) if mode == "min" else (lambda a, b: a > b + min_delta)
    best_epoch = 0
    for epoch in range(1, len(values)):
        if better(values[epoch], values[best_epoch]):
            best_epoch = epoch
        elif epoch - best_epoch >= patience:
            return epoch + 1
    return len(values)
