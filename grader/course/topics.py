"""The course's topics, in the order of the course notes."""

from __future__ import annotations

from dataclasses import dataclass

from grader.i18n import N_


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
    Topic("activations", N_("Activation functions"), True),
    Topic("initializers", N_("Weight initializers"), True),
    Topic("models", N_("Building models with Keras"), False),
    Topic("losses", N_("Loss functions"), True),
    Topic("backprop", N_("Backpropagation"), True),
    Topic("optimizers", N_("Optimizers"), True),
    Topic("schedules", N_("Learning-rate schedules"), True),
    Topic("regularization", N_("Regularization"), True),
    Topic("mnist", N_("MNIST classifier"), False),
)

BY_SLUG = {t.slug: t for t in TOPICS}
