"""The course's topics, in the order of the course notes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    slug: str
    title: str
    numpy_only: bool

    @property
    def module_file(self) -> str:
        return f"{self.slug}.py"

    @property
    def check_module(self) -> str:
        return f"test_{self.slug}.py"


TOPICS: tuple[Topic, ...] = (
    Topic("activations", "Activation functions", True),
    Topic("initializers", "Weight initializers", True),
    Topic("models", "Building models with Keras", False),
    Topic("losses", "Loss functions", True),
    Topic("backprop", "Backpropagation", True),
    Topic("optimizers", "Optimizers", True),
    Topic("schedules", "Learning-rate schedules", True),
    Topic("regularization", "Regularization", True),
    Topic("mnist", "MNIST classifier", False),
)

BY_SLUG = {t.slug: t for t in TOPICS}

# Modules a numpy-only topic may not import (checked statically and at import time).
FORBIDDEN_IN_NUMPY_ONLY = ("tensorflow", "keras", "tf_keras", "torch", "jax", "jaxlib", "flax")
