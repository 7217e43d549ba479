"""Building models with Keras.

Keras offers three ways to define the same network. This topic builds the course's small
network all three ways, then counts parameters by hand the way ``model.summary()`` does.

The course network (input of 3 features, 26 parameters in total)::

    layer1  Dense(3, activation="relu")      3*3 weights + 3 biases = 12 parameters
    layer2  Dense(2, activation="relu")      3*2 weights + 2 biases =  8 parameters
    layer3  Dense(2, activation="sigmoid")   2*2 weights + 2 biases =  6 parameters

How the grader works: your model is described layer by layer (class, configuration,
weights) and rebuilt with the grader's own Keras, which counts the parameters and recomputes
the forward pass; ``summary()`` or ``count_params()`` of your model are never trusted. Use
the built-in ``keras.layers.Dense`` layers and give activations and initializers by name
(``activation="relu"``, ``kernel_initializer="he_normal"``). ``import keras`` and
``from tensorflow import keras`` are both fine (the installed TF uses Keras 3).
"""

import keras
from keras import layers


def build_sequential():
    """The course network as a ``keras.Sequential`` model named ``"my_Sequential"``.

    Layers, in order (all three with ``kernel_initializer="he_normal"``):

    * ``layer1``: ``Dense(3, activation="relu")``
    * ``layer2``: ``Dense(2, activation="relu")``
    * ``layer3``: ``Dense(2, activation="sigmoid")``

    The model must know its input shape ``(3,)`` so that it is built (has weights) as soon as
    it is created: start the list with ``keras.Input(shape=(3,))``. (The course notes pass
    ``input_shape=(3,)`` to the first layer; Keras 3 still accepts that, with a warning.)
    Without an input shape the model has no weights yet and 0 parameters.

    Returns:
        a ``keras.Sequential`` with 26 parameters (12, 8, 6), all trainable.
    """
    # BEGIN SOLUTION
    return keras.Sequential(
        [
            keras.Input(shape=(3,)),
            layers.Dense(3, activation="relu", kernel_initializer="he_normal", name="layer1"),
            layers.Dense(2, activation="relu", kernel_initializer="he_normal", name="layer2"),
            layers.Dense(2, activation="sigmoid", kernel_initializer="he_normal", name="layer3"),
        ],
        name="my_Sequential",
    )
    # END SOLUTION


def build_functional():
    """The course network with the functional API: a ``keras.Model`` named ``"my_model"``.

    Start from ``inputs = keras.Input(shape=(3,), name="input")``, call each layer on the
    previous output (``x = layer(x)``) and finish with
    ``keras.Model(inputs=inputs, outputs=outputs, name="my_model")``:

    * ``layer1``: ``Dense(3, activation="relu")``
    * ``layer2``: ``Dense(2, activation="relu")``
    * ``layer3``: ``Dense(2, activation="sigmoid")``

    The initializers are left at their defaults here (the course does the same).

    Returns:
        a functional ``keras.Model`` input -> layer1 -> layer2 -> layer3, 26 parameters.
    """
    # BEGIN SOLUTION
    inputs = keras.Input(shape=(3,), name="input")
    x = layers.Dense(3, activation="relu", name="layer1")(inputs)
    x = layers.Dense(2, activation="relu", name="layer2")(x)
    outputs = layers.Dense(2, activation="sigmoid", name="layer3")(x)
    return keras.Model(inputs=inputs, outputs=outputs, name="my_model")
    # END SOLUTION


class MyModel(keras.Model):
    """The course network as a subclass of ``keras.Model``.

    ``__init__`` creates the layers as attributes, exactly as in :func:`build_sequential`:
    ``self.layer1`` = ``Dense(3, relu, he_normal, name="layer1")``, ``self.layer2`` =
    ``Dense(2, relu, he_normal, name="layer2")``, ``self.layer3`` =
    ``Dense(2, sigmoid, he_normal, name="layer3")``. ``call`` is the forward pass:
    ``inputs -> layer1 -> layer2 -> layer3``.

    ``MyModel()`` must work without arguments. A subclassed model has no weights until it is
    called on an input (Keras builds each layer on the width it first receives).
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # BEGIN SOLUTION
        self.layer1 = layers.Dense(3, activation="relu", kernel_initializer="he_normal", name="layer1")
        self.layer2 = layers.Dense(2, activation="relu", kernel_initializer="he_normal", name="layer2")
        self.layer3 = layers.Dense(2, activation="sigmoid", kernel_initializer="he_normal", name="layer3")
        # END SOLUTION

    def call(self, inputs):
        """Forward pass of a batch ``inputs`` of shape ``(batch, 3)``; returns ``(batch, 2)``."""
        # BEGIN SOLUTION
        x = self.layer1(inputs)
        x = self.layer2(x)
        return self.layer3(x)
        # END SOLUTION


def build_subclassed():
    """A :class:`MyModel` instance that has been called once on ``ones((1, 3))``.

    Calling the model builds its layers, so afterwards it has 26 parameters (and
    ``summary()`` works). ``model.build((None, 3))`` is not enough for a subclassed model in
    Keras 3: it does not build the layers inside.

    Returns:
        the called ``MyModel`` instance.
    """
    # BEGIN SOLUTION
    model = MyModel()
    model(keras.ops.ones((1, 3)))
    return model
    # END SOLUTION


def dense_params(n_in, n_out, use_bias=True):
    """Number of parameters of one ``Dense(n_out, use_bias=use_bias)`` layer on ``n_in`` inputs.

    A Dense layer holds a kernel of shape ``(n_in, n_out)`` and, with ``use_bias``, a bias of
    shape ``(n_out,)``. Example: ``dense_params(3, 3) == 12``.

    Args:
        n_in: number of input features (int >= 1).
        n_out: number of units (int >= 1).
        use_bias: whether the layer has a bias vector.
    Returns:
        int, equal to ``count_params()`` of such a layer built by Keras.
    """
    # BEGIN SOLUTION
    return n_in * n_out + (n_out if use_bias else 0)
    # END SOLUTION


def mlp_params(layer_sizes, use_bias=True):
    """Parameters of a stack of Dense layers: ``layer_sizes = [n_in, h1, ..., n_out]``.

    There is one Dense layer per consecutive pair of sizes (``len(layer_sizes) - 1`` layers);
    the first entry is the input width, which has no parameters of its own.
    Example: ``mlp_params([3, 3, 2, 2]) == 12 + 8 + 6 == 26``.

    Args:
        layer_sizes: sequence of ints (list or tuple), length >= 2.
        use_bias: whether every layer has a bias vector.
    Returns:
        int, equal to ``count_params()`` of the Keras model.
    """
    # BEGIN SOLUTION
    sizes = [int(s) for s in layer_sizes]
    return sum(dense_params(a, b, use_bias) for a, b in zip(sizes[:-1], sizes[1:]))
    # END SOLUTION


def batchnorm_params(units):
    """``(trainable, non_trainable)`` parameter counts of a ``BatchNormalization`` layer.

    On ``units`` features the layer learns ``gamma`` and ``beta`` (one of each per feature,
    trainable) and keeps ``moving_mean`` and ``moving_variance`` (one of each per feature,
    updated during training but not by gradients: non-trainable). The course's MNIST model
    has BatchNormalization on 512 features: 1,024 of its parameters are non-trainable.

    Args:
        units: number of features (int >= 1).
    Returns:
        a tuple of two ints ``(trainable, non_trainable)``.
    """
    # BEGIN SOLUTION
    return 2 * units, 2 * units
    # END SOLUTION
