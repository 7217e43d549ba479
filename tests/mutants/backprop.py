from tests.mutants import Mutant

_NG_LOOP = """    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old - h
        f_minus = f(x)
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad"""

MUTANTS = [
    # ------------------------------------------------------------------ numerical_gradient
    Mutant("numerical_gradient", "forward difference (f(x+h) - f(x)) / h",
           _NG_LOOP, """    f0 = f(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old
        grad[idx] = (f_plus - f0) / h
    return grad"""),
    Mutant("numerical_gradient", "central difference divided by h instead of 2h",
           "grad[idx] = (f_plus - f_minus) / (2 * h)", "grad[idx] = (f_plus - f_minus) / h"),
    Mutant("numerical_gradient", "x perturbed in place and never restored",
           "    x = np.array(x, dtype=np.result_type(x, np.float64), copy=True)\n"
           "    grad = np.zeros_like(x)\n" + _NG_LOOP,
           "    grad = np.zeros_like(x, dtype=np.float64)\n" + _NG_LOOP.replace("        x[idx] = old\n", "")),
    Mutant("numerical_gradient", "restored with += / -= h in place (rounding changes x)",
           "    x = np.array(x, dtype=np.result_type(x, np.float64), copy=True)\n"
           "    grad = np.zeros_like(x)\n" + _NG_LOOP,
           """    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        x[idx] += h
        f_plus = f(x)
        x[idx] -= 2 * h
        f_minus = f(x)
        x[idx] += h
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad"""),
    Mutant("numerical_gradient", "only handles 1-D x (x[i] perturbs a whole row)",
           "for idx in np.ndindex(x.shape):", "for idx in range(x.shape[0]):"),
    Mutant("numerical_gradient", "step h hard-coded to 1e-5",
           "def numerical_gradient(f, x, h=1e-5):\n", "def numerical_gradient(f, x, h=1e-5):\n    h = 1e-5\n"),
    Mutant("numerical_gradient", "x cast to float32 (central difference drowns in rounding)",
           "x = np.array(x, dtype=np.result_type(x, np.float64), copy=True)",
           "x = np.array(x, dtype=np.float32, copy=True)"),
    # ------------------------------------------------------------------------ dense_forward
    Mutant("dense_forward", "bias forgotten", "return np.asarray(x) @ np.asarray(W) + np.asarray(b)",
           "return np.asarray(x) @ np.asarray(W)"),
    Mutant("dense_forward", "ReLU applied (a Dense layer with activation)",
           "return np.asarray(x) @ np.asarray(W) + np.asarray(b)",
           "return np.maximum(np.asarray(x) @ np.asarray(W) + np.asarray(b), 0)"),
    Mutant("dense_forward", "W transposed (x @ W.T)",
           "return np.asarray(x) @ np.asarray(W) + np.asarray(b)",
           "return np.asarray(x) @ np.asarray(W).T + np.asarray(b)"),
    # ------------------------------------------------------------------------ dense_backward
    Mutant("dense_backward", "db not summed over the batch", "db = np.sum(dout, axis=0)", "db = dout"),
    Mutant("dense_backward", "db averaged over the batch", "db = np.sum(dout, axis=0)",
           "db = np.mean(dout, axis=0)"),
    Mutant("dense_backward", "dW = dout.T @ x (transposed)", "    dW = x.T @ dout\n", "    dW = dout.T @ x\n"),
    Mutant("dense_backward", "dx = dout @ W (W not transposed)", "    dx = dout @ W.T\n", "    dx = dout @ W\n"),
    Mutant("dense_backward", "dW averaged over the batch", "    dW = x.T @ dout\n", "    dW = x.T @ dout / x.shape[0]\n"),
    # -------------------------------------------------------------------- mlp_loss_and_grads
    Mutant("mlp_loss_and_grads", "loss summed over the batch instead of averaged",
           "loss = -np.sum(y * log_p) / n", "loss = -np.sum(y * log_p)"),
    Mutant("mlp_loss_and_grads", "gradients not divided by the batch size",
           "dlogits = (np.exp(log_p) - y) / n", "dlogits = np.exp(log_p) - y"),
    Mutant("mlp_loss_and_grads", "ReLU backward not masked", "dz1 = da1 * (z1 > 0)", "dz1 = da1"),
    Mutant("mlp_loss_and_grads", "ReLU mask taken from the upstream gradient instead of z1",
           "dz1 = da1 * (z1 > 0)", "dz1 = da1 * (da1 > 0)"),
    Mutant("mlp_loss_and_grads", "ReLU backward multiplies by the activation instead of its derivative",
           "dz1 = da1 * (z1 > 0)", "dz1 = da1 * a1"),
    Mutant("mlp_loss_and_grads", "softmax without the max shift (overflows on large logits)",
           "shifted = logits - np.max(logits, axis=1, keepdims=True)", "shifted = logits"),
    Mutant("mlp_loss_and_grads", "log of the softmax probabilities (log(0) on large logits)",
           "log_p = shifted - log_sum",
           "log_p = np.log(np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True))"),
    Mutant("mlp_loss_and_grads", "dW2 uses the pre-activation z1 instead of relu(z1)",
           "dW2 = a1.T @ dlogits", "dW2 = z1.T @ dlogits"),
    Mutant("mlp_loss_and_grads", "db1 taken before the ReLU mask",
           "db1 = np.sum(dz1, axis=0)", "db1 = np.sum(da1, axis=0)"),
    Mutant("mlp_loss_and_grads", "softmax gradient without subtracting y",
           "dlogits = (np.exp(log_p) - y) / n", "dlogits = np.exp(log_p) / n"),
]
