"""MNIST digit classifier (Keras).

The course's capstone: a fully connected network that reads 28x28 handwritten digits and
says which of the ten digits each one is. Three functions make the whole pipeline:

1. ``preprocess`` turns raw images and labels into what the network eats,
2. ``build_model`` builds and compiles the course's network,
3. ``train`` fits it and returns the training history.

The grader runs them in that order on the real MNIST data: ``train`` receives the first
55,000 of the 60,000 training images as ``x_train, y_train`` and the last 5,000 as
``x_val, y_val`` (held out: only for validation). The 10,000 test images never reach your
code: the grader measures the test accuracy itself, in its own process. The course network
reaches about 0.975 after 4 epochs (0.971 to 0.980 depending on the seed; the default
threshold is 0.965). Training is seeded from the run's seed (``--seed``),
so grading the same code with the same seed gives the same accuracy. You may also ship a
trained model as ``mnist_model.keras`` next to this file (``model.save("mnist_model.keras")``):
the grader then evaluates that file instead of training your model again.

Load the data in a notebook with the grader's loader (it finds ``mnist.npz`` given with
``--mnist``, ``GRADER_MNIST`` or the Keras cache)::

    from grader.mnist_data import load_mnist
    (x_train, y_train), (x_test, y_test) = load_mnist()
"""

import numpy as np
import keras
from keras import layers, regularizers


def preprocess(x, y, num_classes=10):
    """Flatten and scale the images, one-hot encode the labels.

    Each 28x28 image becomes a vector of 784 pixels, scaled from 0..255 to 0..1 (divide
    by 255 in float32). Each label becomes a one-hot row, as
    ``keras.utils.to_categorical(y, num_classes)`` returns it.

    Args:
        x: uint8 array of shape (n, 28, 28), pixel values 0..255.
        y: int array of shape (n,), labels 0..num_classes-1.
        num_classes: length of the one-hot rows.
    Returns:
        (x_out, y_out): x_out float32 of shape (n, 784) with values in [0, 1];
        y_out float32 of shape (n, num_classes). The inputs are not modified.
    """
    # TODO: your code here.
    raise NotImplementedError("preprocess")


def build_model():
    """The course's network, compiled.

    A ``keras.Sequential`` model for inputs of shape (784,), in this order:

    * ``Dense(512)`` → ReLU → ``Dropout(0.2)``
    * ``Dense(512)`` with ``kernel_regularizer=regularizers.l2(0.001)`` → ``BatchNormalization()``
      → ReLU → ``Dropout(0.2)``
    * ``Dense(10)`` → softmax

    (A ReLU/softmax may be an ``Activation`` layer or the ``activation=`` argument of the
    Dense layer before it, as long as the order above is kept: the second Dense layer must
    stay linear because BatchNormalization comes before its ReLU.)

    Compile it with loss ``"categorical_crossentropy"``, the ``"adam"`` optimizer and the
    ``"accuracy"`` metric. ``model.summary()`` then shows 671,754 parameters: 670,730
    trainable and 1,024 non-trainable (BatchNormalization's moving mean and variance).

    Returns:
        the compiled keras.Model.
    """
    # TODO: your code here.
    raise NotImplementedError("build_model")


def train(model, x_train, y_train, x_val, y_val, epochs=4, batch_size=128):
    """Fit ``model`` and return the Keras ``History``.

    Use ``model.fit`` with the given ``epochs`` and ``batch_size`` and pass
    ``(x_val, y_val)`` as ``validation_data`` so that the history holds ``loss``,
    ``accuracy``, ``val_loss`` and ``val_accuracy`` for every epoch (the grader plots them).
    Train on ``x_train`` only: the validation images must stay unseen, or ``val_accuracy`` no
    longer tells how the model does on new images (the grader checks that none of them is in
    the data you fit on).

    Args:
        model: a compiled model from ``build_model()``.
        x_train, y_train: preprocessed training data, shapes (n, 784) and (n, 10); the grader
            passes the first 55,000 MNIST training images.
        x_val, y_val: preprocessed validation data; the grader passes the last 5,000 MNIST
            training images (never the test images).
        epochs: passes over the training data (the course uses 4).
        batch_size: samples per gradient step (the course uses 128).
    Returns:
        the ``keras.callbacks.History`` that ``model.fit`` returns.
    """
    # TODO: your code here.
    raise NotImplementedError("train")
