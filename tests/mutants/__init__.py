"""Catalogue of realistic wrong implementations, one module per topic.

Each :class:`Mutant` patches the reference solution (``old`` must occur exactly once in
``solutions/<topic>.py``) into a classic student mistake; ``tests/test_mutants.py`` grades
every mutant and requires that at least one check about ``function`` stops passing.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    function: str  # the student function the mistake is in
    name: str  # what the student got wrong, in a few words
    old: str  # text in the reference solution...
    new: str  # ...replaced by the mistake
    detects: str | None = None  # the misconception key the grader must name for it

    def apply(self, source: str) -> str:
        count = source.count(self.old)
        if count != 1:
            raise AssertionError(f"mutant {self.name!r}: expected the patched text once, found it {count} times")
        return source.replace(self.old, self.new)


def all_mutants() -> dict[str, list[Mutant]]:
    """{topic: [Mutant, ...]} from every module in this package."""
    out = {}
    for info in pkgutil.iter_modules(__path__):
        mod = importlib.import_module(f"{__name__}.{info.name}")
        out[info.name] = list(mod.MUTANTS)
    return out
