"""tfgrader: auto-graded TensorFlow/Keras exercises checked live against the installed TF."""

__version__ = "0.1.0"
