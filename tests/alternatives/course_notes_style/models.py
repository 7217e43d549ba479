"""The course notes' own code style: tf.keras, input_shape on the first layer, super(Cls, self)."""

import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


def build_sequential():
    model = keras.Sequential(
        [
            layers.Dense(3, activation="relu", kernel_initializer="he_normal", name="layer1", input_shape=(3,)),
            layers.Dense(2, activation="relu", kernel_initializer="he_normal", name="layer2"),
            layers.Dense(2, activation="sigmoid", kernel_initializer="he_normal", name="layer3"),
        ],
        name="my_Sequential",
    )
    return model


def build_functional():
    inputs = tf.keras.Input(shape=(3,), name="input")
    x = tf.keras.layers.Dense(3, activation="relu", name="layer1")(inputs)
    x = tf.keras.layers.Dense(2, activation="relu", name="layer2")(x)
    outputs = tf.keras.layers.Dense(2, activation="sigmoid", name="layer3")(x)
    model = tf.keras.Model(inputs=inputs, outputs=outputs, name="my_model")
    return model


class MyModel(tf.keras.Model):
    def __init__(self):
        super(MyModel, self).__init__()
        self.layer1 = tf.keras.layers.Dense(3, activation="relu", kernel_initializer="he_normal",
                                            name="layer1", input_shape=(3,))
        self.layer2 = tf.keras.layers.Dense(2, activation="relu", kernel_initializer="he_normal", name="layer2")
        self.layer3 = tf.keras.layers.Dense(2, activation="sigmoid", kernel_initializer="he_normal", name="layer3")

    def call(self, inputs):
        x = self.layer1(inputs)
        x = self.layer2(x)
        return self.layer3(x)


def build_subclassed():
    model = MyModel()
    x = tf.ones((1, 3))
    y = model(x)
    return model


def dense_params(n_in, n_out, use_bias=True):
    if use_bias:
        return (n_in + 1) * n_out
    return n_in * n_out


def mlp_params(layer_sizes, use_bias=True):
    total = 0
    for i in range(1, len(layer_sizes)):
        total += dense_params(layer_sizes[i - 1], layer_sizes[i], use_bias)
    return total


def batchnorm_params(units):
    gamma_beta = units * 2
    moving_mean_var = units * 2
    return [gamma_beta, moving_mean_var]
