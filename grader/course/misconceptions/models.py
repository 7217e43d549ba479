"""Classic slips when counting parameters by hand (the models topic).

The Keras-model builders (build_sequential, build_functional, MyModel, build_subclassed) are
described, not called, so nothing is replayed for them: their checks already name the layer,
attribute or setting that differs from the course network.
"""

from grader.course.misconceptions import misconception
from grader.i18n import N_

_COURSE = [3, 3, 2, 2]


# ---------------------------------------------------------------------------- dense_params


@misconception(
    "dense_params",
    "dense_params.no_bias",
    N_("the bias vector forgotten: only the n_in * n_out kernel counted"),
    N_("a Dense layer also has one bias per unit: n_in * n_out + n_out when use_bias is True"),
    examples=[((3, 3), {})],
)
def dense_params_no_bias(n_in, n_out, use_bias=True):
    return n_in * n_out


@misconception(
    "dense_params",
    "dense_params.bias_per_input",
    N_("one bias per input instead of one per unit (n_in * n_out + n_in)"),
    N_("the bias has shape (n_out,): add n_out, not n_in"),
    examples=[((3, 2), {})],
)
def dense_params_bias_per_input(n_in, n_out, use_bias=True):
    return n_in * n_out + (n_in if use_bias else 0)


@misconception(
    "dense_params",
    "dense_params.use_bias_ignored",
    N_("use_bias ignored: the bias is counted even with use_bias=False"),
    N_("add the n_out biases only when use_bias is True: n_in * n_out + (n_out if use_bias else 0)"),
    examples=[((3, 2), {"use_bias": False})],
)
def dense_params_use_bias_ignored(n_in, n_out, use_bias=True):
    return n_in * n_out + n_out


@misconception(
    "dense_params",
    "dense_params.bias_unit_both_sides",
    N_("a '+1' bias unit added on both sides: (n_in + 1) * (n_out + 1)"),
    N_("the bias is one extra input row of the kernel, not an extra unit: (n_in + 1) * n_out"),
    examples=[((3, 2), {})],
)
def dense_params_bias_unit_both_sides(n_in, n_out, use_bias=True):
    return (n_in + 1) * (n_out + 1) if use_bias else n_in * n_out


# ------------------------------------------------------------------------------ mlp_params


def _pairs(layer_sizes):
    sizes = [int(s) for s in layer_sizes]
    return list(zip(sizes[:-1], sizes[1:], strict=False))


@misconception(
    "mlp_params",
    "mlp_params.no_bias",
    N_("the biases forgotten: only the kernels a * b counted"),
    N_("every Dense layer a -> b has a * b weights plus b biases; add dense_params(a, b, use_bias) over the pairs"),
    examples=[((_COURSE,), {})],
)
def mlp_params_no_bias(layer_sizes, use_bias=True):
    return sum(a * b for a, b in _pairs(layer_sizes))


@misconception(
    "mlp_params",
    "mlp_params.use_bias_ignored",
    N_("use_bias not passed on: every layer counted with its biases"),
    N_("call dense_params(a, b, use_bias) so that use_bias=False drops the biases of every layer"),
    examples=[((_COURSE,), {"use_bias": False})],
)
def mlp_params_use_bias_ignored(layer_sizes, use_bias=True):
    return sum(a * b + b for a, b in _pairs(layer_sizes))


@misconception(
    "mlp_params",
    "mlp_params.last_layer_dropped",
    N_("the last layer forgotten (one pair too few)"),
    N_("there are len(layer_sizes) - 1 layers: pair every size with the next one, zip(sizes[:-1], sizes[1:])"),
    examples=[((_COURSE,), {})],
)
def mlp_params_last_layer_dropped(layer_sizes, use_bias=True):
    sizes = [int(s) for s in layer_sizes]
    return sum(a * b + (b if use_bias else 0) for a, b in zip(sizes[:-2], sizes[1:-1], strict=False))


@misconception(
    "mlp_params",
    "mlp_params.index_wraparound",
    N_("the loop starts at i = 0, so sizes[i - 1] = sizes[-1] (the output width) feeds an extra first layer"),
    N_("loop over i in range(1, len(layer_sizes)): layer i maps layer_sizes[i - 1] to layer_sizes[i]"),
    examples=[((_COURSE,), {})],
)
def mlp_params_index_wraparound(layer_sizes, use_bias=True):
    sizes = [int(s) for s in layer_sizes]
    return sum(sizes[i - 1] * sizes[i] + (sizes[i] if use_bias else 0) for i in range(len(sizes)))


@misconception(
    "mlp_params",
    "mlp_params.input_biases",
    N_("biases counted for the input width too (one bias per entry of layer_sizes)"),
    N_("the input has no parameters: biases come only with the layers, b for each pair (a, b)"),
    examples=[((_COURSE,), {})],
)
def mlp_params_input_biases(layer_sizes, use_bias=True):
    sizes = [int(s) for s in layer_sizes]
    return sum(a * b for a, b in _pairs(sizes)) + (sum(sizes) if use_bias else 0)


# ------------------------------------------------------------------------ batchnorm_params


@misconception(
    "batchnorm_params",
    "batchnorm_params.moving_stats_forgotten",
    N_("only gamma and beta counted: moving_mean and moving_variance forgotten"),
    N_(
        "Keras also stores moving_mean and moving_variance (one per feature, non-trainable): return (2 * units, 2 * "
        "units)"
    ),
    examples=[((3,), {})],
)
def batchnorm_params_moving_stats_forgotten(units):
    return 2 * units, 0


@misconception(
    "batchnorm_params",
    "batchnorm_params.all_trainable",
    N_("all four vectors counted as trainable"),
    N_(
        "moving_mean and moving_variance are updated by the layer, not by gradients: they are non-trainable, (2 * "
        "units, 2 * units)"
    ),
    examples=[((3,), {})],
)
def batchnorm_params_all_trainable(units):
    return 4 * units, 0


@misconception(
    "batchnorm_params",
    "batchnorm_params.one_vector_each",
    N_("one vector of each kind: (units, units)"),
    N_(
        "there are two trainable vectors (gamma, beta) and two non-trainable ones (moving_mean, moving_variance): (2 * "
        "units, 2 * units)"
    ),
    examples=[((3,), {})],
)
def batchnorm_params_one_vector_each(units):
    return units, units


@misconception(
    "batchnorm_params",
    "batchnorm_params.scalars",
    N_("gamma, beta and the moving statistics taken as single numbers instead of one per feature"),
    N_("each of the four vectors has one value per feature: (2 * units, 2 * units)"),
    examples=[((3,), {})],
)
def batchnorm_params_scalars(units):
    return 2, 2


@misconception(
    "batchnorm_params",
    "batchnorm_params.total",
    N_("the total 4 * units returned instead of the pair (trainable, non_trainable)"),
    N_("return a tuple of two ints: (2 * units, 2 * units)"),
    examples=[((3,), {})],
)
def batchnorm_params_total(units):
    return 4 * units
