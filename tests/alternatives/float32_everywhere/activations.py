"""Correct activations in another style: float32 arithmetic throughout, other identities."""

import numpy as np


def sigmoid(x):
    x = np.asarray(x, dtype=np.float32)
    # sigmoid(x) = (1 + tanh(x/2)) / 2: never overflows.
    return (np.float32(0.5) * (np.float32(1) + np.tanh(x * np.float32(0.5)))).astype(np.float32)


def tanh(x):
    x = np.asarray(x, dtype=np.float32)
    # tanh(x) = 2*sigmoid(2x) - 1, computed stably.
    return np.float32(2) * sigmoid(np.float32(2) * x) - np.float32(1)


def relu(x):
    x = np.asarray(x)
    return x * (x > 0)


def leaky_relu(x, alpha=0.2):
    x = np.asarray(x, dtype=np.float32)
    return np.maximum(x, 0) + np.float32(alpha) * np.minimum(x, 0)


def softmax(x, axis=-1):
    x = np.asarray(x, dtype=np.float32)
    shifted = x - x.max(axis=axis, keepdims=True)
    logsum = np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return np.exp(shifted - logsum)


def sigmoid_grad(x):
    # sigmoid'(x) = 1 / (4 cosh^2(x/2)) = (1 - tanh^2(x/2)) / 4
    t = np.tanh(np.asarray(x, dtype=np.float32) / np.float32(2))
    return (np.float32(1) - t * t) / np.float32(4)


def tanh_grad(x):
    c = np.cosh(np.clip(np.asarray(x, dtype=np.float64), -300, 300))
    return (1.0 / (c * c)).astype(np.float32)


def relu_grad(x):
    return np.heaviside(np.asarray(x, dtype=np.float32), np.float32(0))
