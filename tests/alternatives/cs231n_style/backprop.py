"""CS231n-style backprop: in-place perturbation of the caller's x (restored exactly), einsum layers."""

import numpy as np


def numerical_gradient(f, x, h=1e-5):
    # CS231n perturbs x in place (and restores it); float32 x gets a float64 copy first, since
    # x + h must not be rounded to a float32 (CS231n itself always works in float64).
    x = np.asarray(x, dtype=float)
    grad = np.zeros_like(x, dtype=float)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        oldval = x[ix]
        x[ix] = oldval + h
        fxph = f(x)
        x[ix] = oldval - h
        fxmh = f(x)
        x[ix] = oldval  # restore
        grad[ix] = (fxph - fxmh) / (2 * h)
        it.iternext()
    return grad


def dense_forward(x, W, b):
    return np.einsum("nd,dh->nh", x, W) + b[None, :]


def dense_backward(dout, x, W):
    dx = np.einsum("nh,dh->nd", dout, W)
    dW = np.einsum("nd,nh->dh", x, dout)
    db = np.einsum("nh->h", dout)
    return [dx, dW, db]


def mlp_loss_and_grads(params, x, y):
    N = x.shape[0]
    hidden = np.maximum(0, x.dot(params["W1"]) + params["b1"])
    scores = hidden.dot(params["W2"]) + params["b2"]
    labels = np.argmax(y, axis=1)
    m = np.max(scores, axis=1, keepdims=True)
    logz = m + np.log(np.sum(np.exp(scores - m), axis=1, keepdims=True))
    loss = np.mean(logz[:, 0] - scores[np.arange(N), labels])
    dscores = np.exp(scores - logz)
    dscores[np.arange(N), labels] -= 1
    dscores /= N
    grads = {}
    grads["b2"] = np.sum(dscores, axis=0)
    grads["W2"] = np.dot(hidden.T, dscores)
    dhidden = np.dot(dscores, params["W2"].T)
    dhidden[hidden <= 0] = 0
    grads["W1"] = np.dot(x.T, dhidden)
    grads["b1"] = np.sum(dhidden, axis=0)
    return np.array([loss]), grads
