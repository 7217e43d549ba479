"""The fixtures every check may ask for: ``student``, ``rng``, ``seed``, ``tf``, ``keras``,
``check_details``, ``grader_settings`` and ``reference``.

They are module-level functions, registered as a plugin by :class:`grader.core.plugin.GraderPlugin`
in ``pytest_configure``, and reach the run's state through the plugin object kept in the config
stash. (pytest 9.2 deprecates module- and session-scoped fixtures defined as methods of a
plugin object, and pytest 10 removes them.) Subclasses of the plugin change what a fixture
gives by overriding the plugin's plain methods (``tensorflow``, ``keras_module``), not the
fixture.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pytest

if TYPE_CHECKING:
    from grader.sandbox.student import StudentModule


class RunState(Protocol):
    """What the fixtures need from the plugin (:class:`grader.core.plugin.GraderPlugin`, which imports this module)."""

    @property
    def seed(self) -> int: ...

    @property
    def settings(self) -> Any: ...

    def student_module(self, topic: str) -> StudentModule: ...

    def tensorflow(self) -> Any: ...

    def keras_module(self) -> Any: ...

    def reference_store(self) -> Any: ...


plugin_key = pytest.StashKey[RunState]()
# Filled through the ``check_details`` fixture: details kept whether the check passes or not.
details_key = pytest.StashKey[dict]()


def topic_of(module_name: str) -> str:
    return module_name.rsplit(".", 1)[-1].removeprefix("test_")


def _plugin(request: pytest.FixtureRequest) -> RunState:
    return request.config.stash[plugin_key]


@pytest.fixture(scope="module")
def student(request: pytest.FixtureRequest) -> StudentModule:
    """The student's module of this check module's topic, as the checks see it (calls go to a worker)."""
    return _plugin(request).student_module(topic_of(request.module.__name__))


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    """A generator seeded by the run's seed and the check's id: replayable with --seed."""
    return np.random.default_rng([_plugin(request).seed, zlib.crc32(request.node.nodeid.encode())])


@pytest.fixture(scope="session")
def seed(request: pytest.FixtureRequest) -> int:
    return _plugin(request).seed


@pytest.fixture(scope="session")
def tf(request: pytest.FixtureRequest) -> Any:
    return _plugin(request).tensorflow()


@pytest.fixture(scope="session")
def keras(request: pytest.FixtureRequest, tf: Any) -> Any:
    return _plugin(request).keras_module()


@pytest.fixture
def check_details(request: pytest.FixtureRequest) -> dict:
    """A dict the check fills with report data (a summary line, images) kept even when it passes."""
    details: dict = {}
    request.node.stash[details_key] = details
    return details


@pytest.fixture(scope="session")
def grader_settings(request: pytest.FixtureRequest) -> Any:
    return _plugin(request).settings


@pytest.fixture
def reference(request: pytest.FixtureRequest) -> Any:
    """``reference(name, compute, inputs=...)``: a value that does not depend on the student,
    computed once per (check, seed, inputs, versions) and shared (:mod:`grader.core.refstore`)."""
    from grader.core.refstore import Reference, source_digest

    node = request.node
    check_id = f"{topic_of(node.module.__name__)}::{node.name}"
    return Reference(
        _plugin(request).reference_store(),
        check_id,
        _plugin(request).seed,
        source_digest(getattr(node.module, "__file__", None)),
    )
