"""Initializer and activation objects instead of names, model.add(), numpy counting."""

import numpy as np
import keras


def _he():
    # he_normal spelled out as the VarianceScaling it is
    return keras.initializers.VarianceScaling(scale=2.0, mode="fan_in", distribution="truncated_normal", seed=7)


def build_sequential():
    model = keras.Sequential(name="my_Sequential")
    model.add(keras.layers.InputLayer(shape=(3,)))
    model.add(keras.layers.Dense(units=3, activation=keras.activations.relu,
                                 kernel_initializer=keras.initializers.HeNormal(seed=1), name="layer1"))
    model.add(keras.layers.Dense(units=2, activation=keras.activations.relu, kernel_initializer=_he(),
                                 name="layer2"))
    model.add(keras.layers.Dense(units=2, activation=keras.activations.sigmoid,
                                 kernel_initializer=keras.initializers.he_normal(), name="layer3"))
    return model


def build_functional():
    inp = keras.layers.Input(shape=(3,), name="input", dtype="float32")
    h1 = keras.layers.Dense(3, activation=keras.activations.relu, name="layer1")(inp)
    h2 = keras.layers.Dense(2, activation="relu", name="layer2", kernel_initializer="he_uniform")(h1)
    out = keras.layers.Dense(2, activation=keras.activations.sigmoid, name="layer3")(h2)
    return keras.Model(inp, out, name="my_model")


class MyModel(keras.Model):
    def __init__(self, name="my_model", **kwargs):
        super().__init__(name=name, **kwargs)
        he = "he_normal"
        self.layer1 = keras.layers.Dense(3, "relu", kernel_initializer=he, name="layer1")
        self.layer2 = keras.layers.Dense(2, "relu", kernel_initializer=he, name="layer2")
        self.layer3 = keras.layers.Dense(2, "sigmoid", kernel_initializer=he, name="layer3")

    def call(self, inputs, training=None):
        out = inputs
        for layer in (self.layer1, self.layer2, self.layer3):
            out = layer(out, training=training)
        return out


def build_subclassed():
    model = MyModel()
    model(np.ones((1, 3), dtype=np.float32))
    return model


def dense_params(n_in, n_out, use_bias=True):
    kernel = np.prod((n_in, n_out))
    bias = n_out * int(bool(use_bias))
    return np.int64(kernel + bias)


def mlp_params(layer_sizes, use_bias=True):
    s = np.asarray(layer_sizes, dtype=np.int64)
    return int(np.sum(s[:-1] * s[1:]) + (np.sum(s[1:]) if use_bias else 0))


def batchnorm_params(units):
    return np.int64(2 * units), np.int64(2 * units)
