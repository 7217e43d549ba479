"""What a check sees as ``student``: the one narrow boundary between checks and student code.

``student.softmax(x)`` sends the call to the topic's worker process, waits with a timeout,
and returns plain data decoded by :mod:`grader.sandbox.codec`. Anything the student's code
does wrong comes back as a :class:`~grader.errors.StudentError` the plugin maps to a status.
"""

from __future__ import annotations

import collections
import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.errors import CheckFailed, StudentCrashed
from grader.i18n import t
from grader.sandbox.client import PendingDrive, Worker
from grader.sandbox.codec import Opaque

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


@dataclass(frozen=True)
class Prev:
    """In :meth:`StudentModule.prefetch`'s steps: item ``index`` of the previous call's result."""

    index: int


def same_value(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` are the same arguments: equal values of the same types, arrays of one
    dtype and shape with the same bytes (so NaN matches NaN, and -0.0 does not match 0.0: a
    stricter test only sends more calls live), Generators in the same state."""
    if type(a) is not type(b):
        return False
    if a is b:  # what the check got back and passes on (an announced call holds the same object)
        return True
    if isinstance(a, np.ndarray):
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        if a.dtype.kind in "biufc":  # comparing bytes: a tenth of array_equal's cost on small arrays
            return a.tobytes() == b.tobytes()
        return bool(np.array_equal(a, b))
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, np.random.Generator):
        return same_value(a.bit_generator.state, b.bit_generator.state)
    if isinstance(a, (bool, int, str, bytes, type(None), np.generic, Opaque)):  # Opaque: the codec's own, plain fields
        return bool(a == b)
    if isinstance(a, float):
        return a == b or (a != a and b != b)
    return False


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
        # Replies the worker already gave for calls this check announced (see :meth:`prefetch`).
        self._ahead: collections.deque[tuple[str, tuple, dict, bool, dict]] = collections.deque()

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
        reply = self._answered(name, tuple(args), dict(kwargs or {}), options)
        if reply is None:
            reply = self._worker.call(name, tuple(args), dict(kwargs or {}), **options)
        if not options.get("describe"):
            self.calls.append((name, tuple(args), dict(kwargs or {}), reply.get("value")))
        self.last_warnings = list(reply.get("warnings") or [])
        self.last_args_after = reply.get("args_after")
        return reply

    def prefetch(
        self,
        name: str,
        steps: list[tuple[tuple, dict]],
        *,
        start: tuple = (),
        n_out: int = 1,
        pure: bool = True,
    ) -> None:
        """Announce the calls of ``name`` a check is about to make, so the worker makes them in one
        round trip instead of one per call; the check then makes its calls as usual.

        ``steps``: ``(args, kwargs)`` per call; an argument that is :class:`Prev` ``(i)`` stands for
        item ``i`` of the previous call's result (of ``start`` for the first call), which must be an
        ``n_out``-tuple (or, with ``n_out`` 1, the value itself). ``pure``: the calls will be
        :meth:`call_pure`'s. A call the check then makes is answered from the prefetched replies
        only when it is exactly the announced one (same function, equal arguments of the same
        types), in order; any other call, or one the worker did not get to, is made as ever, so
        the verdicts are those of calling one by one.
        """
        self._ahead.clear()
        wire = []
        for args, kwargs in steps:
            slots = tuple((pos, a.index) for pos, a in enumerate(args) if isinstance(a, Prev))
            wire.append((tuple(None if isinstance(a, Prev) else a for a in args), dict(kwargs), slots))
        replies = self._worker.chain(name, wire, start=tuple(start), n_out=n_out, pure=pure)
        if replies:
            self._queue(name, steps, replies, tuple(start), n_out, pure)

    def _queue(self, name, steps, replies, start, n_out, pure) -> None:
        """The announced calls with their replies, their ``Prev`` arguments filled in as the check
        will fill them in: from the decoded replies."""
        prev: tuple = start
        for (args, kwargs), reply in zip(steps, replies, strict=False):
            filled = tuple(prev[a.index] if isinstance(a, Prev) else a for a in args)
            self._ahead.append((name, filled, dict(kwargs), pure, reply))
            if not reply.get("ok"):
                break
            value = reply.get("value")
            prev = (value,) if n_out == 1 else (tuple(value) if isinstance(value, (tuple, list)) else ())

    def _answered(self, name: str, args: tuple, kwargs: dict, options: dict) -> dict | None:
        """The prefetched reply to exactly this call, or None (then nothing prefetched is used any more)."""
        if not self._ahead:
            return None
        want_name, want_args, want_kwargs, pure, reply = self._ahead.popleft()
        if options != ({"pure": True} if pure else {}) or not (
            want_name == name and same_value(want_args, args) and same_value(want_kwargs, kwargs)
        ):
            self._ahead.clear()
            return None
        return self._worker.answer(name, reply)

    def call_pure(self, name: str, *args, **kwargs) -> Any:
        """Call ``name`` and fail the check if it modified any of its array arguments."""
        reply = self.call_full(name, args, kwargs, pure=True)
        # The worker compared each array argument with its copy from before the call. Not a security
        # boundary (student code shares that process, as it did the arguments it used to send back):
        # it tells a student who updates in place what went wrong.
        mutated = reply.get("mutated")
        if type(mutated) is not list or not all(type(i) is int and 1 <= i <= len(args) for i in mutated):
            raise StudentCrashed(t("the worker sent a malformed reply"))
        if mutated:
            raise CheckFailed(
                t(
                    "{function}() modified its argument #{number} in place; it must leave its inputs unchanged "
                    "(work on a copy, e.g. x = x.copy() or use out-of-place operations)",
                    function=name,
                    number=mutated[0],
                ),
                {"kind": "mutation", "argument": mutated[0]},
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
        return self.start_drive(driver, timeout=timeout, what=what, **kwargs).value()

    def start_drive(self, driver: str, *, timeout: float, what: str, **kwargs) -> PendingDrive:
        """:meth:`drive` without waiting: the worker runs it while the grader goes on. Its
        ``value()`` waits for the return value; until then the worker takes no other call."""
        for observer in _observers:
            observer(self.topic, driver, (), dict(kwargs))
        return self._worker.start_drive(driver, kwargs, timeout=timeout, what=what)

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
