"""tfgrader: auto-graded TensorFlow/Keras exercises checked live against the installed TF."""

# The one definition of the version (setuptools reads it; results.json records it). CHANGELOG.md.
__version__ = "0.2.0.dev0"
