"""Misconception detectors name real mistakes and never fire on a correct implementation."""

from __future__ import annotations

import importlib.util

import pytest

from grader.i18n import catalog
from grader.misconceptions import _copy, detect, load_all
from tests.conftest import SOLUTIONS
from tests.mutants import all_mutants

REGISTRY = load_all()
ALL = [m for ms in REGISTRY.values() for m in ms]


def _reference(function: str):
    for path in sorted(SOLUTIONS.glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"_ref_{path.stem}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        if hasattr(mod, function):
            return getattr(mod, function)
    raise AssertionError(f"no reference for {function}")


@pytest.mark.parametrize("m", ALL, ids=[m.key for m in ALL])
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
    assert zh.get(m.name) and zh.get(m.fix), f"{m.key}: add zh translations (python -m grader.i18n extract)"


def test_keys_are_unique_and_linked_to_mutants():
    keys = [m.key for m in ALL]
    assert len(keys) == len(set(keys))
    linked = {mu.detects for ms in all_mutants().values() for mu in ms if mu.detects}
    missing = set(keys) - linked
    assert not missing, f"misconceptions with no mutant proving they are detected: {sorted(missing)}"
