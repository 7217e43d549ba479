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
    return grad""", detects="numerical_gradient.forward_difference"),
    Mutant("numerical_gradient", "central difference divided by h instead of 2h",
           "grad[idx] = (f_plus - f_minus) / (2 * h)", "grad[idx] = (f_plus - f_minus) / h", detects="numerical_gradient.divided_by_h"),
    Mutant("numerical_gradient", "x perturbed in place and never restored",
           "    x = np.array(x, dtype=np.result_type(x, np.float64), copy=True)\n"
           "    grad = np.zeros_like(x)\n" + _NG_LOOP,
           "    grad = np.zeros_like(x, dtype=np.float64)\n" + _NG_LOOP.replace("        x[idx] = old\n", ""), detects="numerical_gradient.not_restored"),
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
           "def numerical_gradient(f, x, h=1e-5):\n", "def numerical_gradient(f, x, h=1e-5):\n    h = 1e-5\n", detects="numerical_gradient.fixed_step"),
    Mutant("numerical_gradient", "x cast to float32 (central difference drowns in rounding)",
           "x = np.array(x, dtype=np.result_type(x, np.float64), copy=True)",
           "x = np.array(x, dtype=np.float32, copy=True)", detects="numerical_gradient.float32_differences"),
    Mutant("numerical_gradient", "differences in x's own dtype (breaks on float32 x only)",
           "x = np.array(x, dtype=np.result_type(x, np.float64), copy=True)",
           "x = np.array(x, copy=True)", detects="numerical_gradient.float32_differences"),
    Mutant("numerical_gradient", "step hard-coded to the textbook's h = 1e-4",
           "def numerical_gradient(f, x, h=1e-5):\n", "def numerical_gradient(f, x, h=1e-5):\n    h = 1e-4\n",
           detects="numerical_gradient.fixed_step"),
    Mutant("numerical_gradient", "x[i] += h; x[i] -= 2h in place, never put back",
           "    x = np.array(x, dtype=np.result_type(x, np.float64), copy=True)\n"
           "    grad = np.zeros_like(x)\n" + _NG_LOOP,
           """    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        x[idx] += h
        f_plus = f(x)
        x[idx] -= 2 * h
        f_minus = f(x)
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad""", detects="numerical_gradient.not_restored"),
    # ------------------------------------------------------------------------ dense_forward
    Mutant("dense_forward", "bias forgotten", "return np.asarray(x) @ np.asarray(W) + np.asarray(b)",
           "return np.asarray(x) @ np.asarray(W)", detects="dense_forward.no_bias"),
    Mutant("dense_forward", "ReLU applied (a Dense layer with activation)",
           "return np.asarray(x) @ np.asarray(W) + np.asarray(b)",
           "return np.maximum(np.asarray(x) @ np.asarray(W) + np.asarray(b), 0)", detects="dense_forward.relu_applied"),
    Mutant("dense_forward", "W transposed (x @ W.T)",
           "return np.asarray(x) @ np.asarray(W) + np.asarray(b)",
           "return np.asarray(x) @ np.asarray(W).T + np.asarray(b)"),
    # ------------------------------------------------------------------------ dense_backward
    Mutant("dense_backward", "db not summed over the batch", "db = np.sum(dout, axis=0)", "db = dout", detects="dense_backward.db_not_summed"),
    Mutant("dense_backward", "db averaged over the batch", "db = np.sum(dout, axis=0)",
           "db = np.mean(dout, axis=0)", detects="dense_backward.db_mean"),
    Mutant("dense_backward", "dW = dout.T @ x (transposed)", "    dW = x.T @ dout\n", "    dW = dout.T @ x\n", detects="dense_backward.dW_transposed"),
    Mutant("dense_backward", "dx = dout @ W (W not transposed)", "    dx = dout @ W.T\n", "    dx = dout @ W\n"),
    Mutant("dense_backward", "dW averaged over the batch", "    dW = x.T @ dout\n", "    dW = x.T @ dout / x.shape[0]\n", detects="dense_backward.dW_mean"),
    # -------------------------------------------------------------------- mlp_loss_and_grads
    Mutant("mlp_loss_and_grads", "loss summed over the batch instead of averaged",
           "loss = -np.sum(y * log_p) / n", "loss = -np.sum(y * log_p)", detects="mlp_loss_and_grads.loss_summed"),
    Mutant("mlp_loss_and_grads", "gradients not divided by the batch size",
           "dlogits = (np.exp(log_p) - y) / n", "dlogits = np.exp(log_p) - y", detects="mlp_loss_and_grads.grads_not_averaged"),
    Mutant("mlp_loss_and_grads", "ReLU backward not masked", "dz1 = da1 * (z1 > 0)", "dz1 = da1", detects="mlp_loss_and_grads.relu_not_masked"),
    Mutant("mlp_loss_and_grads", "ReLU mask taken from the upstream gradient instead of z1",
           "dz1 = da1 * (z1 > 0)", "dz1 = da1 * (da1 > 0)", detects="mlp_loss_and_grads.relu_mask_from_gradient"),
    Mutant("mlp_loss_and_grads", "ReLU backward multiplies by the activation instead of its derivative",
           "dz1 = da1 * (z1 > 0)", "dz1 = da1 * a1", detects="mlp_loss_and_grads.relu_times_activation"),
    Mutant("mlp_loss_and_grads", "softmax without the max shift (overflows on large logits)",
           "shifted = logits - np.max(logits, axis=1, keepdims=True)", "shifted = logits", detects="mlp_loss_and_grads.no_max_shift"),
    Mutant("mlp_loss_and_grads", "log of the softmax probabilities (log(0) on large logits)",
           "log_p = shifted - log_sum",
           "log_p = np.log(np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True))", detects="mlp_loss_and_grads.log_of_softmax"),
    Mutant("mlp_loss_and_grads", "dW2 uses the pre-activation z1 instead of relu(z1)",
           "dW2 = a1.T @ dlogits", "dW2 = z1.T @ dlogits", detects="mlp_loss_and_grads.dW2_from_z1"),
    Mutant("mlp_loss_and_grads", "db1 taken before the ReLU mask",
           "db1 = np.sum(dz1, axis=0)", "db1 = np.sum(da1, axis=0)"),
    Mutant("mlp_loss_and_grads", "softmax gradient without subtracting y",
           "dlogits = (np.exp(log_p) - y) / n", "dlogits = np.exp(log_p) / n"),
    Mutant("mlp_loss_and_grads", "loss and gradients both of the summed loss (no 1/n anywhere)",
           "    loss = -np.sum(y * log_p) / n\n    dlogits = (np.exp(log_p) - y) / n\n",
           "    loss = -np.sum(y * log_p)\n    dlogits = np.exp(log_p) - y\n",
           detects="mlp_loss_and_grads.sum_over_batch"),
    Mutant("mlp_loss_and_grads", "naive softmax exp(logits) / sum(exp(logits)), then its log",
           "    shifted = logits - np.max(logits, axis=1, keepdims=True)\n"
           "    log_sum = np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))\n"
           "    log_p = shifted - log_sum\n",
           "    p = np.exp(logits) / np.sum(np.exp(logits), axis=1, keepdims=True)\n"
           "    log_p = np.log(p)\n",
           detects="mlp_loss_and_grads.no_max_shift"),
]
