"""Classic mistakes in the mnist topic.

``MUTANTS`` are graded by tests/test_mutants.py with the default settings (full training),
so every one of them must fail fast: an error the training run hits in its first step, or a
train() that hardly trains — except two preprocess mistakes that only a full training can carry
(they name a misconception, which only this suite checks; marked "full training").
``SHIPPED_MUTANTS`` would train the full network for minutes; tests/test_mnist.py grades them
with a trained ``mnist_model.keras`` shipped next to them (the grader then only runs a short
2-epoch training on 2,048 images) — their mistake is caught by the preprocess/build_model
checks, by the history of that short run, or by what train() fitted on in it (validation images).
"""

from tests.mutants import Mutant

MUTANTS = [
    Mutant("preprocess", "labels left as integers (no one-hot encoding)",
           "y_out = keras.utils.to_categorical(np.asarray(y), num_classes).astype(np.float32)",
           "y_out = np.asarray(y).astype(np.float32)", detects="preprocess.no_one_hot"),
    Mutant("preprocess", "images scaled but not flattened (n, 28, 28)",
           "x_out = np.asarray(x).reshape(len(x), -1).astype(np.float32)",
           "x_out = np.asarray(x).astype(np.float32)", detects="preprocess.not_flattened"),
    Mutant("preprocess", "reshape hard-codes the 60,000 training images",
           "x_out = np.asarray(x).reshape(len(x), -1)", "x_out = np.asarray(x).reshape(60000, 784)"),
    # These two train the full network (they fail only the preprocess checks): about 35 s per grading, and
    # tests/test_mutants.py grades a detecting mutant twice (en, zh). Kept to the two most classic slips.
    Mutant("preprocess", "images not scaled to [0, 1] (full training)",
           ".astype(np.float32) / np.float32(255.0)", ".astype(np.float32)", detects="preprocess.not_scaled"),
    Mutant("preprocess", "float64 labels (to_categorical without astype; full training)",
           "keras.utils.to_categorical(np.asarray(y), num_classes).astype(np.float32)",
           "keras.utils.to_categorical(np.asarray(y), num_classes)", detects="preprocess.float64"),
    Mutant("build_model", "model never compiled",
           '    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])\n',
           ""),
    Mutant("build_model", "sparse cross-entropy with one-hot labels",
           'model.compile(loss="categorical_crossentropy"', 'model.compile(loss="sparse_categorical_crossentropy"'),
    Mutant("build_model", "input shape of the raw images (28, 28) instead of 784 pixels",
           "keras.Input(shape=(784,))", "keras.Input(shape=(28, 28))"),
    Mutant("train", "fits on 500 samples for 1 epoch (undertrained)",
           "        x_train, y_train,\n        batch_size=batch_size,\n        epochs=epochs,",
           "        x_train[:500], y_train[:500],\n        batch_size=batch_size,\n        epochs=1,"),
    Mutant("train", "epochs argument ignored (always 1 epoch)",
           "        epochs=epochs,\n", "        epochs=1,\n"),
]

SHIPPED_MUTANTS = [
    Mutant("preprocess", "images not scaled to [0, 1]",
           ".astype(np.float32) / np.float32(255.0)", ".astype(np.float32)"),
    Mutant("preprocess", "float64 images (divided before converting to float32)",
           "np.asarray(x).reshape(len(x), -1).astype(np.float32) / np.float32(255.0)",
           "np.asarray(x).reshape(len(x), -1) / 255.0"),
    Mutant("build_model", "no BatchNormalization",
           "            layers.BatchNormalization(),\n", ""),
    Mutant("build_model", "dropout 0.5 instead of 0.2",
           "            layers.Activation(\"relu\"),\n            layers.Dropout(0.2),\n            layers.Dense(512",
           "            layers.Activation(\"relu\"),\n            layers.Dropout(0.5),\n            layers.Dense(512"),
    Mutant("build_model", "L2 factor 0.01 instead of 0.001",
           "layers.Dense(512, kernel_regularizer=regularizers.l2(0.001))",
           "layers.Dense(512, kernel_regularizer=regularizers.l2(0.01))"),
    Mutant("build_model", "ReLU before BatchNormalization (activation on the regularized Dense)",
           "layers.Dense(512, kernel_regularizer=regularizers.l2(0.001)),\n            layers.BatchNormalization(),\n"
           "            layers.Activation(\"relu\"),",
           "layers.Dense(512, activation=\"relu\", kernel_regularizer=regularizers.l2(0.001)),\n"
           "            layers.BatchNormalization(),"),
    Mutant("build_model", "no softmax on the output (logits with a probability loss)",
           "            layers.Dense(10),\n            layers.Activation(\"softmax\"),\n",
           "            layers.Dense(10),\n"),
    Mutant("train", "fits on the validation images too (x_train and x_val concatenated)",
           "        x_train, y_train,\n        batch_size=batch_size,",
           "        np.concatenate([x_train, x_val]), np.concatenate([y_train, y_val]),\n"
           "        batch_size=batch_size,", detects="train.fits_on_validation"),
    Mutant("train", "an extra fit on the validation images",
           "    return model.fit(\n", "    model.fit(x_val, y_val, epochs=1, verbose=0)\n    return model.fit(\n",
           detects="train.fits_on_validation"),
    Mutant("train", "batch_size argument ignored (always 128)", "        batch_size=batch_size,\n",
           "        batch_size=128,\n"),
    Mutant("train", "no validation data (history without val_loss / val_accuracy)",
           "        verbose=2,\n        validation_data=(x_val, y_val),\n", "        verbose=2,\n"),
]
