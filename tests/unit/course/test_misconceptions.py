"""grader/course/misconceptions: detectors name real mistakes and never fire on a correct implementation.

No grading run: variants, references and accepted alternatives are called in-process.
"""

from __future__ import annotations

import importlib
import importlib.util

import pytest

from grader.course.misconceptions import _copy, detect, load_all
from grader.i18n import catalog
from tests.conftest import SOLUTIONS
from tests.mutants import all_mutants

# The variants are wrong on purpose: overflow and invalid-value warnings are their point.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

REGISTRY = load_all()
ALL = [m for ms in REGISTRY.values() for m in ms]
REPLAYED = [m for m in ALL if m.variant is not None]  # the others are observed by their check


def _reference(function: str):
    for path in sorted(SOLUTIONS.glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"_ref_{path.stem}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        if hasattr(mod, function):
            return getattr(mod, function)
    raise AssertionError(f"no reference for {function}")


@pytest.mark.parametrize("m", REPLAYED, ids=[m.key for m in REPLAYED])
def test_variant_differs_from_the_reference_on_its_examples(m):
    """So a correct implementation (equal to the reference) can never match the variant."""
    assert m.examples, f"{m.key} has no examples"
    ref = _reference(m.function)
    for args, kwargs in m.examples:
        correct = ref(*_copy(args), **_copy(kwargs))
        assert not m.matches([correct], [m.variant(*_copy(args), **_copy(kwargs))]), m.key
        assert detect(m.function, [(args, kwargs, correct)]) is not m


@pytest.mark.parametrize("m", ALL, ids=[m.key for m in ALL])
def test_mistake_and_fix_are_translated(m):
    zh = catalog("zh")
    assert zh.get(m.name) and zh.get(m.fix), (
        f"{m.key}: add zh translations (python -m grader.authoring.catalogue extract)"
    )


def test_keys_are_unique_and_linked_to_mutants():
    keys = [m.key for m in ALL]
    assert len(keys) == len(set(keys))
    # The mnist mutants that need a shipped model are graded by tests/test_mnist.py.
    shipped = importlib.import_module("tests.mutants.mnist").SHIPPED_MUTANTS
    linked = {mu.detects for ms in [*all_mutants().values(), shipped] for mu in ms if mu.detects}
    missing = set(keys) - linked
    assert not missing, f"misconceptions with no mutant proving they are detected: {sorted(missing)}"


def test_a_near_miss_is_not_named_after_a_variant_that_equals_the_answer():
    """softmax without the max shift equals the right answer on small inputs: a student who is
    off by 3e-5 (more than the check's rtol 1e-5) must not be told they forgot the shift."""
    import numpy as np

    x = np.array([[0.1, -0.4, 0.3], [1.0, 0.5, -0.2]])
    near = _reference("softmax")(x) * (1 + 3e-5)
    calls = [((x,), {}, near)]
    assert detect("softmax", calls) is not None  # the loose default would name a mistake...
    assert detect("softmax", calls, tolerance=(1e-5, 1e-7)) is None  # ...the check's tolerance does not


def _alternatives():
    """(style, function, callable) for every function an accepted alternative implements."""
    here = SOLUTIONS.parent / "tests" / "alternatives"
    for path in sorted(here.glob("*/*.py")):
        spec = importlib.util.spec_from_file_location(f"_alt_{path.parent.name}_{path.stem}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for function in REGISTRY:
            if callable(getattr(mod, function, None)):
                yield path.parent.name, function, getattr(mod, function)


ALTERNATIVES = list(_alternatives())


@pytest.mark.parametrize("style,function,impl", ALTERNATIVES, ids=[f"{s}-{f}" for s, f, _ in ALTERNATIVES])
def test_accepted_alternatives_match_no_variant_on_its_examples(style, function, impl):
    """A correct implementation in another accepted style (float32, PyTorch velocity, textbook
    epsilon, ...) is never taken for a mistake on the inputs each mistake is defined by."""
    for m in REGISTRY[function]:
        for args, kwargs in m.examples:  # observed mistakes have none
            value = impl(*_copy(args), **_copy(kwargs))
            found = detect(function, [(args, kwargs, value)], tolerance=(1e-5, 1e-7))
            # Another variant may equal the right answer on these inputs (staircase ignored when
            # staircase=False, say); detection only runs on a failing check, where that cannot be.
            assert found is None or found.key != m.key, f"{style}.{function} looks like {m.key}"
