"""Backprop in float32 where it is meaningful; numerical_gradient perturbs a float64 copy of x (float32 cannot resolve h)."""

import numpy as np

F = np.float32


def numerical_gradient(f, x, h=1e-5):
    # The one place float32 is not enough: h = 1e-5 is below float32's resolution near |x| = 1,
    # so the perturbed copy is float64 (the gradient is still returned in float32).
    x = np.array(x, dtype=np.float64)
    grad = np.zeros(x.shape, dtype=F)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        keep = flat[i]
        flat[i] = keep + h
        up = f(x)
        flat[i] = keep - h
        down = f(x)
        flat[i] = keep
        gflat[i] = (up - down) / (2 * h)
    return grad


def dense_forward(x, W, b):
    return np.asarray(x, F) @ np.asarray(W, F) + np.asarray(b, F)


def dense_backward(dout, x, W):
    dout, x, W = (np.asarray(a, F) for a in (dout, x, W))
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def mlp_loss_and_grads(params, x, y):
    W1, b1, W2, b2 = (np.asarray(params[k], F) for k in ("W1", "b1", "W2", "b2"))
    x, y = np.asarray(x, F), np.asarray(y, F)
    n = F(x.shape[0])
    z1 = dense_forward(x, W1, b1)
    a1 = np.where(z1 > 0, z1, F(0))
    z2 = dense_forward(a1, W2, b2)
    z2 = z2 - z2.max(axis=1, keepdims=True)
    lse = np.log(np.exp(z2).sum(axis=1, keepdims=True))
    loss = -(y * (z2 - lse)).sum() / n
    probs = np.exp(z2 - lse)
    dz2 = (probs - y) / n
    da1, dW2, db2 = dense_backward(dz2, a1, W2)
    dz1 = np.where(z1 > 0, da1, F(0))
    _, dW1, db1 = dense_backward(dz1, x, W1)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
