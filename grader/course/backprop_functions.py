"""Scalar test functions the ``backprop`` checks hand to a student's ``numerical_gradient``.

They travel to the worker process by pickle, so they are top-level classes of an importable
grader module (their parameters are plain NumPy arrays). NumPy only: numpy-only workers never
import TensorFlow. Each returns a Python float and never modifies its argument.
"""

from __future__ import annotations

import numpy as np


class SinSum:
    """f(x) = sum(sin(a * x)); gradient a * cos(a * x). Curvy: f'' reaches a**2."""

    def __init__(self, a: float):
        self.a = float(a)

    def __call__(self, x) -> float:
        return float(np.sum(np.sin(self.a * np.asarray(x, dtype=np.float64))))

    def gradient(self, x) -> np.ndarray:
        return self.a * np.cos(self.a * np.asarray(x, dtype=np.float64))

    def central_difference(self, x, h: float) -> np.ndarray:
        """What an exact central difference with step h gives: a*cos(a*x) * sin(a*h)/(a*h)."""
        return np.cos(self.a * np.asarray(x, dtype=np.float64)) * np.sin(self.a * h) / h

    def __repr__(self) -> str:
        return f"f(x) = sum(sin({self.a:g} * x))"


class Quadratic:
    """f(X) = 0.5 * sum(X * (A @ X)) + sum(B * X) for X of shape (d, m); couples all rows of X.

    Gradient 0.5 * (A + A.T) @ X + B. Because every entry's partial derivative depends on the
    other entries, an implementation that forgets to restore an entry after perturbing it
    computes the later partials at a shifted point and gets them wrong by about h * A.
    """

    def __init__(self, A: np.ndarray, B: np.ndarray):
        self.A = np.asarray(A, dtype=np.float64)
        self.B = np.asarray(B, dtype=np.float64)

    def __call__(self, X) -> float:
        X = np.asarray(X, dtype=np.float64)
        return float(0.5 * np.sum(X * (self.A @ X)) + np.sum(self.B * X))

    def gradient(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        return 0.5 * (self.A + self.A.T) @ X + self.B

    def __repr__(self) -> str:
        return f"f(X) = 0.5*sum(X * (A @ X)) + sum(B * X) with A of shape {self.A.shape}"


class SoftmaxCrossEntropy:
    """f(W) = mean over the batch of -sum(y * log(softmax(x @ W))): a linear classifier's loss."""

    def __init__(self, x: np.ndarray, y: np.ndarray):
        self.x = np.asarray(x, dtype=np.float64)
        self.y = np.asarray(y, dtype=np.float64)

    def __call__(self, W) -> float:
        z = self.x @ np.asarray(W, dtype=np.float64)
        z = z - z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-np.mean(np.sum(self.y * log_p, axis=1)))

    def __repr__(self) -> str:
        return f"softmax cross-entropy of a linear model on a batch of {self.x.shape[0]}"
