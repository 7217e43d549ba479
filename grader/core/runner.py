"""Grade one folder of modules: start workers, run the checks with pytest, build the results model.

The folder is what intake (:mod:`grader.intake.prepare`) made of the submission; ``label``
names the submission as it was handed in (for the report and the replay command).
"""

from __future__ import annotations

import dataclasses
import platform
import secrets
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

import grader
from grader import i18n
from grader.config import Settings
from grader.core.catalog import collect, pytest_args, quiet_pytest_env, resolve_topics
from grader.core.plugin import GraderPlugin, check_texts, meta_key
from grader.core.results import CheckResult, RunResult, TopicResult, utc_now
from grader.course.topics import BY_SLUG
from grader.errors import InternalError, UsageError
from grader.i18n import LANGS, Text, t
from grader.sandbox import client as sandbox
from grader.sandbox.client import ModuleSpec, SubmissionCopy, WorkerPool, Zygote, zygote_kind
from grader.sandbox.replies import import_error
from grader.status import Status, TopicStatus

Progress = Callable[[str, dict], None]

# The grader modules a worker imports or unpickles (drivers and describers the checks name, classes
# in check inputs): copied into each run's private runtime folder, the only grader code a worker
# can read. The course's other modules (checks, known-mistake catalogues) never reach it.
WORKER_MODULES = (
    "grader.status",
    "grader.errors",
    "grader.i18n",
    "grader.course.keras_describe",
    "grader.course.mnist_driver",
    "grader.course.backprop_functions",
)


def versions() -> dict[str, str]:
    import numpy

    try:
        from grader.core.tfimport import import_tensorflow

        tfv = import_tensorflow().__version__
    except Exception as exc:  # noqa: BLE001 - reported in results, checks then error
        tfv = f"unavailable ({type(exc).__name__})"
    try:
        import keras

        kv = keras.__version__
    except Exception:  # noqa: BLE001
        kv = "unavailable"
    return {
        "tensorflow_version": tfv,
        "keras_version": kv,
        "numpy_version": numpy.__version__,
        "python_version": platform.python_version(),
    }


def replay_command(topics: tuple[str, ...] | list[str], submission: str | Path, seed: int) -> str:
    return " ".join(["grader run", *topics, "--submission", str(submission), "--seed", str(seed)])


def topic_texts(title: str, message: str) -> dict[str, dict[str, str]]:
    return {lang: {"title": i18n.gettext(title, lang), "message": i18n.localize(message, lang)} for lang in LANGS}


def _locate_data(settings: Settings, topics: list[str]) -> tuple[Settings, dict[str, Text]]:
    """Resolve the data sets the chosen topics need; a topic whose data is missing is not graded.

    A missing data set is the grading machine's problem, not the student's: the topic is
    reported as "not graded" with the ways to provide the data and left out of the score. An
    explicit path that does not hold the data is a usage error (exit 2).
    """
    unavailable: dict[str, Text] = {}
    if "mnist" in topics and (settings.submission / BY_SLUG["mnist"].module_file).exists():
        from grader.course.mnist_data import locate_mnist

        try:
            settings = dataclasses.replace(settings, mnist=str(locate_mnist(settings.mnist)))
        except UsageError as exc:
            if settings.mnist:
                raise  # a path was given and is wrong: say so, grade nothing
            why = exc.message + (t(" ({fix})", fix=exc.fix) if exc.fix else "")
            unavailable["mnist"] = t("not graded: data unavailable. {why}", why=why)
    return settings, unavailable


def run(
    settings: Settings,
    on_progress: Progress | None = None,
    *,
    label: str | Path | None = None,
    replay: str | None = None,
    plugin_factory: Callable[..., GraderPlugin] | None = None,
    zygotes: Mapping[str, Zygote] | None = None,
) -> RunResult:
    """Grade the folder ``settings.submission``; always returns a complete result for every check.

    ``on_progress(topic, event)`` receives progress events from long student calls (training);
    ``event["message"]`` is a one-line description. ``label`` names the submission in the
    report (default: the folder); ``replay`` overrides the replay command. ``zygotes``: the processes
    workers fork from, by kind (a batch process keeps them for all its students); the run starts
    those it needs and was not given (and ends them) when ``settings.worker_start`` is fork.
    """
    lang = i18n.check_lang(settings.lang)
    with i18n.language(lang):  # messages are produced in it, and kept in every language
        return _run(dataclasses.replace(settings, lang=lang), on_progress, label, replay, plugin_factory, zygotes)


def module_spec(topic: str) -> ModuleSpec:
    """What the sandbox is told about a topic's module."""
    return ModuleSpec(topic, BY_SLUG[topic].module_file, BY_SLUG[topic].numpy_only)


def topic_zygote_kinds(topics) -> set[str]:
    """The zygotes the workers of these topics fork from, whatever is submitted."""
    return {zygote_kind(module_spec(t)) for t in topics}


def zygote_kinds(settings: Settings, topics) -> set[str]:
    """The zygotes the workers of these topics fork from: none when workers are spawned, and
    only for modules the submission has (a worker with no module to import imports nothing)."""
    if settings.worker_start != "fork":
        return set()
    return topic_zygote_kinds(t for t in topics if (settings.submission / BY_SLUG[t].module_file).is_file())


def start_zygotes(kinds, keep: Mapping[str, Zygote] | None = None) -> dict[str, Zygote]:
    """A live zygote of each kind: those of ``keep`` still alive, new ones for the rest."""
    out = {}
    for kind in sorted(kinds):
        given = (keep or {}).get(kind)
        if given is not None and not given.alive:
            given.close()  # its folder
            given = None
        out[kind] = given if given is not None else Zygote(WORKER_MODULES, kind)
    return out


def hold_zygotes(settings: Settings, topics, held: dict[str, Zygote]) -> dict[str, Zygote]:
    """The zygotes these topics' workers fork from, taken from ``held`` (a dead one replaced)
    or started into it; the others in ``held`` stay there for later grades."""
    wanted = start_zygotes(zygote_kinds(settings, topics), held)
    held.update(wanted)
    return wanted


def _run(
    settings: Settings,
    on_progress: Progress | None,
    label: str | Path | None,
    replay: str | None,
    plugin_factory: Callable[..., GraderPlugin] | None,
    zygotes: Mapping[str, Zygote] | None,
) -> RunResult:
    started = time.monotonic()
    started_at = utc_now()
    topics = resolve_topics(settings.topics)
    if not settings.submission.is_dir():
        raise UsageError(
            f"submission {settings.submission} is not a folder",
            fix="pass the folder that holds activations.py, losses.py, ... with --submission",
        )
    seed = settings.seed if settings.seed is not None else secrets.randbelow(2**31)
    settings, unavailable = _locate_data(settings, topics)
    graded = [t for t in topics if t not in unavailable]

    topic_results: dict[str, TopicResult] = {}
    confinement: dict = {}
    if graded:
        mode = sandbox.check_mode(settings.sandbox)
        sandbox.require(mode)  # strict: refuse (exit 2) before anything runs
        # First: their imports then overlap everything below, the grader's included.
        forks = start_zygotes(zygote_kinds(settings, graded), zygotes)
        own = [z for kind, z in forks.items() if (zygotes or {}).get(kind) is not z]
        try:
            copy = SubmissionCopy(settings.submission, WORKER_MODULES)
        except BaseException:
            for z in own:
                z.close()
            raise
        try:
            specs = [module_spec(t) for t in graded]
            pool = WorkerPool(copy, specs, settings.limits, on_progress, mode=mode, zygotes=forks)
            # plugin_factory: batch grading passes a GraderPlugin subclass (shared reference cache).
            plugin = (plugin_factory or GraderPlugin)(pool, seed, settings)
            try:
                pool.start_all()
                with quiet_pytest_env():
                    code = pytest.main(pytest_args(graded), plugins=[plugin])
                topic_results = _topic_results(graded, plugin, pool, pytest_code=int(code))
            finally:
                # Every worker and whatever it started is gone before a result exists (raises if not).
                pool.close()
            confinement = pool.sandbox()
        finally:
            copy.cleanup()
            for z in own:
                z.close()
    for topic, why in unavailable.items():
        topic_results[topic] = not_graded(topic, why)

    ordered = [topic_results[t] for t in topics]
    counted = [r for r in ordered if r.status != TopicStatus.NOT_GRADED]
    label = settings.submission if label is None else label
    return RunResult(
        grader_version=grader.__version__,
        seed=seed,
        submission=str(label),
        score=round(sum(r.score for r in counted), 4),
        max_score=round(sum(r.max_score for r in counted), 4),
        topics=tuple(ordered),
        started_at=started_at,
        duration=round(time.monotonic() - started, 3),
        replay=replay if replay is not None else replay_command(settings.topics, label, seed),
        lang=settings.lang or "en",
        sandbox=confinement,
        **versions(),
    )


def not_graded(topic: str, why: str) -> TopicResult:
    """A topic the grader could not grade (its data is missing): no checks, no points either way."""
    title = BY_SLUG[topic].title
    return TopicResult(
        topic=topic,
        title=title,
        score=0.0,
        max_score=0.0,
        checks=(),
        status=TopicStatus.NOT_GRADED,
        message=str(why),
        i18n=topic_texts(title, why),
    )


def _topic_results(
    topics: list[str], plugin: GraderPlugin, pool: WorkerPool, pytest_code: int
) -> dict[str, TopicResult]:
    by_topic: dict[str, list[CheckResult]] = {t: [] for t in topics}
    for item in plugin.items:
        meta = item.stash[meta_key]
        res = plugin.results.get(item.nodeid)
        if res is None:  # pytest stopped before this check ran: the grader broke, not the student
            res = error_check(
                f"{meta.topic}::{item.name}",
                meta,
                t("internal grader error: the check did not run (pytest exit {code})", code=pytest_code),
                internal=True,
            )
        by_topic.setdefault(meta.topic, []).append(res)
    for res in plugin.collection_errors:  # a check module that could not be loaded: named, per topic
        by_topic.setdefault(res.topic, []).append(res)
    if not plugin.items and not plugin.collection_errors:
        raise InternalError(f"no checks were collected (pytest exit {pytest_code})")
    out = {}
    for topic in topics:
        checks = by_topic[topic]
        status, message = TopicStatus.GRADED, ""
        reply = pool.get(topic).import_reply
        if reply is not None and not reply["ok"]:
            err = import_error(BY_SLUG[topic].module_file, reply)
            status = TopicStatus.NOT_ATTEMPTED if err.status == Status.NOT_ATTEMPTED else TopicStatus.ERROR
            message = err.message
        elif topic in plugin.broken_topics:
            status, message = TopicStatus.ERROR, plugin.broken_topics[topic]
        elif checks and all(c.status == Status.NOT_ATTEMPTED for c in checks):
            status = TopicStatus.NOT_ATTEMPTED
        title = BY_SLUG[topic].title
        out[topic] = TopicResult(
            topic=topic,
            title=title,  # the message id, as ever; the translations are in i18n
            score=round(sum(c.points for c in checks), 4),
            max_score=round(sum(c.max_points for c in checks), 4),
            checks=tuple(checks),
            status=status,
            message=str(message),
            duration=round(sum(c.duration for c in checks), 3),
            i18n=topic_texts(title, message),
        )
    return out


def error_check(cid: str, meta, message: str, *, internal: bool) -> CheckResult:
    """A check that could not give a verdict: status ``error``, no points."""
    return CheckResult(
        id=cid,
        topic=meta.topic,
        name=cid.split("::", 1)[1],
        function=meta.function,
        title=i18n.translate_title(meta.title),
        status=Status.ERROR,
        points=0.0,
        max_points=meta.points,
        message=str(message),
        hint="",
        internal_error=internal,
        hidden=meta.hidden,
        i18n=check_texts(meta.title, message, ""),
    )


def failed_result(
    label: str | Path, settings: Settings, message: str, *, internal: bool, replay: str = ""
) -> RunResult:
    """A complete result (every check ``error``) for a submission that could not be graded."""
    topics = tuple(resolve_topics(settings.topics))
    by_topic: dict[str, list[CheckResult]] = {t: [] for t in topics}
    for cid, meta in collect(topics):
        by_topic[meta.topic].append(error_check(cid, meta, message, internal=internal))
    topic_results = tuple(
        TopicResult(
            topic=t,
            title=BY_SLUG[t].title,
            score=0.0,
            max_score=round(sum(c.max_points for c in by_topic[t]), 4),
            checks=tuple(by_topic[t]),
            status=TopicStatus.ERROR,
            message=str(message),
            i18n=topic_texts(BY_SLUG[t].title, message),
        )
        for t in topics
    )
    try:
        found = versions()
    except Exception:  # noqa: BLE001 - a result must be written even when TF cannot be imported
        found = {"tensorflow_version": "", "keras_version": "", "numpy_version": "", "python_version": ""}
    return RunResult(
        grader_version=grader.__version__,
        seed=int(settings.seed or 0),
        submission=str(label),
        score=0.0,
        max_score=round(sum(t.max_score for t in topic_results), 4),
        topics=topic_results,
        started_at=utc_now(),
        duration=0.0,
        replay=replay,
        lang=i18n.current(),
        **found,
    )
