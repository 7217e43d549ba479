"""What a check sees as ``student``: the one narrow boundary between checks and student code.

``student.softmax(x)`` sends the call to the topic's worker process, waits with a timeout,
and returns plain data decoded by :mod:`grader.sandbox.codec`. Anything the student's code
does wrong comes back as a :class:`~grader.errors.StudentError` the plugin maps to a status.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from grader.errors import CheckFailed
from grader.i18n import t
from grader.sandbox.client import Worker

# Told of every call a check makes through the boundary, as (topic, name, args, kwargs); ``name``
# is the driver's "module:function" for drive(). For tests/test_argument_coverage.py.
_observers: list[Callable[[str, str, tuple, dict], None]] = []


@contextlib.contextmanager
def observing(observer: Callable[[str, str, tuple, dict], None]) -> Iterator[None]:
    """Call ``observer(topic, name, args, kwargs)`` for every student call made inside the block."""
    _observers.append(observer)
    try:
        yield
    finally:
        _observers.remove(observer)


class StudentFunction:
    def __init__(self, module: StudentModule, name: str):
        self._module, self._name = module, name

    def __call__(self, *args, **kwargs):
        return self._module.call(self._name, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<student function {self._module.topic}.{self._name}>"


class StudentModule:
    """What a check sees as ``student``: attribute access gives callables into the worker."""

    def __init__(self, worker: Worker):
        self._worker = worker
        self.topic = worker.spec.name
        self.last_warnings: list[str] = []
        self.last_args_after: list | None = None
        # (name, args, kwargs, value) of this check's successful calls, for misconception detection.
        self.calls: list[tuple[str, tuple, dict, Any]] = []

    def __getattr__(self, name: str) -> StudentFunction:
        if name.startswith("_"):
            raise AttributeError(name)
        return StudentFunction(self, name)

    def call(self, name: str, *args, **kwargs) -> Any:
        """Call ``name(*args, **kwargs)`` in the worker; returns the decoded value."""
        return self.call_full(name, args, kwargs)["value"]

    def call_full(self, name: str, args: tuple = (), kwargs: dict | None = None, **options) -> dict:
        """Like :meth:`call` but returns the whole reply (value, warnings, args_after)."""
        for observer in _observers:
            observer(self.topic, name, tuple(args), dict(kwargs or {}))
        reply = self._worker.call(name, tuple(args), dict(kwargs or {}), **options)
        if not options.get("describe"):
            self.calls.append((name, tuple(args), dict(kwargs or {}), reply.get("value")))
        self.last_warnings = list(reply.get("warnings") or [])
        self.last_args_after = reply.get("args_after")
        return reply

    def call_pure(self, name: str, *args, **kwargs) -> Any:
        """Call ``name`` and fail the check if it modified any of its array arguments."""
        reply = self.call_full(name, args, kwargs, return_args=True)
        after = reply.get("args_after") or []
        for i, (before, now) in enumerate(zip(args, after, strict=False)):
            if isinstance(before, np.ndarray) and not (
                isinstance(now, np.ndarray)
                and now.shape == before.shape
                and np.array_equal(now, before, equal_nan=before.dtype.kind == "f")
            ):
                raise CheckFailed(
                    t(
                        "{function}() modified its argument #{number} in place; it must leave its inputs unchanged "
                        "(work on a copy, e.g. x = x.copy() or use out-of-place operations)",
                        function=name,
                        number=i + 1,
                    ),
                    {"kind": "mutation", "argument": i + 1},
                )
        return reply["value"]

    def provide(self, name: str, arrays: dict[str, np.ndarray]) -> str:
        """Hand the worker data as a private file (an ``.npz`` of ``arrays``) it may read.

        Returns the path as the worker sees it. The worker gets this copy, holding only what
        the student's code needs, never the grader's own data files or their paths.
        """
        return self._worker.provide(name, arrays)

    def outbox(self) -> str:
        """A folder the worker may write files into (inside its scratch), as the worker sees it."""
        return self._worker.outbox()

    def collect(self, name: str, dest) -> Any:
        """Copy file ``name`` the worker wrote into :meth:`outbox` to the grader's ``dest`` (regular
        files only; never follows a link). Raises OSError when there is no such file."""
        return self._worker.collect(name, dest)

    def drive(self, driver: str, *, timeout: float, what: str, **kwargs) -> Any:
        """Run a grader driver (``module:function``) over the student's module in the worker."""
        for observer in _observers:
            observer(self.topic, driver, (), dict(kwargs))
        return self._worker.drive(driver, kwargs, timeout=timeout, what=what)["value"]

    def describe(
        self,
        name: str,
        describer: str,
        *args,
        timeout: float | None = None,
        describe_kwargs: dict | None = None,
        **kwargs,
    ) -> Any:
        """Call ``name`` and describe its result in the worker (e.g. a Keras model)."""
        return self.call_full(name, args, kwargs, describe=describer, timeout=timeout, describe_kwargs=describe_kwargs)[
            "value"
        ]

    @property
    def output(self) -> str:
        return self._worker.output
