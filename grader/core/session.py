"""A grading session: the expensive parts loaded once, then any topic (or function) re-graded fast.

``grader run`` pays for TensorFlow, pytest's plugins and the check modules on every call; a
student who re-grades on every save (``grader watch``) or from a notebook cell
(``self_check``) should pay once. A :class:`GradingSession` lives as long as the process
that re-grades: :meth:`~GradingSession.warm_up` imports TensorFlow and the check modules and
collects the checks; every :meth:`~GradingSession.grade` after that is one
:func:`grader.core.runner.run` over the topics that changed, whose cost is pytest's session
(~0.1 s), fresh workers for the student's code (forked in ~0.05 s from the session's zygotes,
which imported NumPy or TensorFlow once; see grader.sandbox.zygote) and the checks themselves.
Student code still runs only in those fresh workers, never in this process.

The session keeps each topic's latest result and merges them into one :class:`RunResult`
(:meth:`~GradingSession.result`), so the reports always show every topic of the session.
The seed is chosen once per session: between two grades only the student's code changes,
never the inputs.
"""

from __future__ import annotations

import atexit
import dataclasses
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from grader import i18n
from grader.config import Settings
from grader.core import runner
from grader.core.catalog import api_names, available_topics, collect, resolve_topics
from grader.core.plugin import GraderPlugin, meta_key
from grader.core.results import RunResult, TopicResult
from grader.errors import UsageError
from grader.sandbox.client import Zygote
from grader.status import TopicStatus


def find_function(name: str) -> str:
    """The topic whose checks are about the student function or class ``name``."""
    owners = [topic for topic in available_topics() if name in api_names(topic)]
    if not owners:
        known = ", ".join(n for topic in available_topics() for n in api_names(topic))
        raise UsageError(
            f"no check is about a function named {name!r}", fix=f"pass a topic or one of the graded functions: {known}"
        )
    return owners[0]


def only_functions(functions: Iterable[str]) -> Callable[..., GraderPlugin]:
    """A plugin factory for :func:`runner.run` that keeps only the checks about ``functions``."""
    wanted = frozenset(functions)

    class OnlyFunctions(GraderPlugin):
        def pytest_collection_modifyitems(self, session, config, items: list[pytest.Item]) -> None:
            super().pytest_collection_modifyitems(session, config, items)
            keep = [item for item in items if item.stash[meta_key].function in wanted]
            dropped = [item for item in items if item.stash[meta_key].function not in wanted]
            if dropped:
                config.hook.pytest_deselected(items=dropped)
            items[:] = keep
            self.items = [item for item in keep if isinstance(item, pytest.Function)]

    return OnlyFunctions


class GradingSession:
    """Grade the topics of ``settings`` again and again in one process (see the module docstring).

    ``label`` names the submission in reports and in the replay command (default: the folder
    in ``settings.submission``). ``on_progress`` receives long student calls' progress events.
    """

    def __init__(
        self, settings: Settings, *, label: str | Path | None = None, on_progress: runner.Progress | None = None
    ):
        lang = i18n.check_lang(settings.lang)
        seed = settings.seed if settings.seed is not None else secrets.randbelow(2**31)
        self.settings = dataclasses.replace(settings, lang=lang, seed=seed)
        self.topics: list[str] = resolve_topics(settings.topics)
        self.label = str(settings.submission if label is None else label)
        self.on_progress = on_progress
        self._latest: dict[str, TopicResult] = {}
        self._last: RunResult | None = None
        # Kept from grade to grade: a re-graded Keras topic then forks its worker in ~0.1 s
        # instead of importing TensorFlow again (grader.sandbox.zygote).
        self._zygotes: dict[str, Zygote] = {}
        atexit.register(self.close)

    @property
    def seed(self) -> int:
        seed = self.settings.seed
        assert seed is not None  # fixed in __init__
        return int(seed)

    def warm_up(self) -> None:
        """Load what every grade needs: the check modules (collected once) and TensorFlow."""
        self._forks(self.settings, self.topics)  # first: their imports overlap the two below
        collect(self.topics)
        runner.versions()  # imports TensorFlow (and Keras), which the checks' ground truth needs

    def close(self) -> None:
        """End the session's zygotes (also done at exit)."""
        zygotes, self._zygotes = self._zygotes, {}
        for z in zygotes.values():
            z.close()

    def _forks(self, settings: Settings, topics: Iterable[str]) -> dict[str, Zygote]:
        return runner.hold_zygotes(settings, topics, self._zygotes)

    def grade(
        self, folder: Path | None = None, topics: Iterable[str] | None = None, *, functions: Iterable[str] | None = None
    ) -> RunResult:
        """Grade ``topics`` (default: all of the session's) of the modules in ``folder``.

        ``folder`` defaults to ``settings.submission`` (the caller converts notebooks and
        archives first, as :mod:`grader.intake.prepare` does); ``functions`` keeps only the
        checks about those functions. Returns :meth:`result`: every topic graded so far.
        """
        chosen = self._chosen(topics)
        if not chosen:
            return self.result()
        settings = dataclasses.replace(
            self.settings, submission=Path(folder or self.settings.submission), topics=tuple(chosen)
        )
        factory = None
        if functions is not None:
            functions = list(functions)
            known = {n for topic in chosen for n in api_names(topic)}
            unknown = [f for f in functions if f not in known]
            if unknown:
                raise UsageError(
                    f"no check of {', '.join(chosen)} is about {', '.join(unknown)}",
                    fix=f"choose from: {', '.join(sorted(known))}",
                )
            factory = only_functions(functions)
        result = runner.run(
            settings,
            self.on_progress,
            label=self.label,
            replay=self.replay,
            plugin_factory=factory,
            zygotes=self._forks(settings, chosen),
        )
        for topic_result in result.topics:
            self._latest[topic_result.topic] = topic_result
        self._last = result
        return self.result()

    @property
    def replay(self) -> str:
        return runner.replay_command(self.settings.topics, self.label, self.seed)

    def result(self) -> RunResult:
        """One result holding the latest grade of every topic graded so far, in course order."""
        if self._last is None:
            raise UsageError("nothing has been graded in this session yet", fix="call grade() first")
        ordered = tuple(self._latest[t] for t in self.topics if t in self._latest)
        counted = [t for t in ordered if t.status != TopicStatus.NOT_GRADED]
        return dataclasses.replace(
            self._last,
            topics=ordered,
            score=round(sum(t.score for t in counted), 4),
            max_score=round(sum(t.max_score for t in counted), 4),
        )

    def _chosen(self, topics: Iterable[str] | None) -> list[str]:
        if topics is None:
            return list(self.topics)
        wanted = set(topics)
        unknown = wanted - set(self.topics)
        if unknown:
            raise UsageError(
                f"topic(s) not in this session: {', '.join(sorted(unknown))}",
                fix=f"this session grades: {', '.join(self.topics)}",
            )
        return [t for t in self.topics if t in wanted]
