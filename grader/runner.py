"""Grade a submission: start workers, run the checks with pytest, build the results model."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import os
import platform
import secrets
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest

import grader
from grader import i18n, notebook
from grader.config import Settings
from grader.errors import InternalError, UsageError
from grader.plugin import CheckMeta, GraderPlugin, meta_key
from grader.results import CheckResult, RunResult, TopicResult
from grader.student import SubmissionCopy, WorkerPool, import_error
from grader.topics import BY_SLUG, TOPICS

CHECKS_DIR = Path(__file__).resolve().parent / "checks"


def available_topics() -> list[str]:
    """Topics that have a check module, in course order."""
    return [t.slug for t in TOPICS if (CHECKS_DIR / t.check_module).exists()]


def resolve_topics(requested: tuple[str, ...] | list[str]) -> list[str]:
    known = available_topics()
    if not requested:
        return known
    unknown = [t for t in requested if t not in known]
    if unknown:
        raise UsageError(
            f"unknown topic(s): {', '.join(unknown)}",
            fix=f"choose from: {', '.join(known)} (see `grader list`)",
        )
    return [t for t in known if t in requested]  # course order, no duplicates


@contextlib.contextmanager
def _quiet_pytest_env() -> Iterator[None]:
    # Third-party pytest plugins installed next to the grader must not join the grading run.
    old = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = old


def _pytest_args(topics: list[str], extra: list[str]) -> list[str]:
    files = [str(CHECKS_DIR / BY_SLUG[t].check_module) for t in topics]
    return [
        *files,
        "-c", str(CHECKS_DIR / "grader.ini"),
        "--rootdir", str(CHECKS_DIR),
        "-p", "no:terminal",
        # A check's assert message is the student's message. Rewritten asserts explain a failed
        # comparison through the terminal writer that no:terminal removes, and that failure
        # replaced the message with an empty AssertionError ("wrong answer").
        "--assert=plain",
        *extra,
    ]


def collect(topics: list[str]) -> list[tuple[str, CheckMeta]]:
    """(check id, metadata) for every check of ``topics``, without running anything."""
    plugin = GraderPlugin(pool=None, seed=0)
    with _quiet_pytest_env():
        code = pytest.main(_pytest_args(topics, ["--collect-only"]), plugins=[plugin])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise InternalError(f"the checks could not be collected (pytest exit {int(code)})")
    return [(f"{it.stash[meta_key].topic}::{it.name}", it.stash[meta_key]) for it in plugin.items]


def _versions() -> dict[str, str]:
    import numpy

    try:
        import tensorflow as tf

        tfv = tf.__version__
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


def check_submission(path: Path) -> Path:
    if not path.exists():
        raise UsageError(
            f"submission {path} does not exist",
            fix="pass the folder holding your topic modules with --submission (default ./exercises)",
        )
    if not path.is_dir() and path.suffix != ".ipynb":  # a notebook is converted by grader.notebook
        raise UsageError(
            f"submission {path} is not a folder",
            fix="pass the folder that holds activations.py, losses.py, ... with --submission",
        )
    return path


def prepare_data(settings: Settings, topics: list[str], submission: Path) -> Settings:
    """Resolve data sets the chosen topics need before grading starts.

    MNIST: the explicit path, GRADER_MNIST, the Keras cache or a download (see
    :mod:`grader.mnist_data`). Missing or invalid data stops the run with a UsageError
    (exit 2) instead of charging every student with errors; a submission without mnist.py
    needs no data (its checks are "not attempted").
    """
    if "mnist" in topics and (submission / BY_SLUG["mnist"].module_file).exists():
        from dataclasses import replace

        from grader.mnist_data import locate_mnist

        try:
            settings = replace(settings, mnist=str(locate_mnist(settings.mnist)))
        except UsageError as exc:
            if "mnist" in settings.topics or settings.mnist:
                raise  # MNIST asked for, or a path given: say how to provide the data, grade nothing
            # Grading every topic: the others must not be lost for want of a data set.
            settings = replace(settings, mnist_unavailable=exc.message + (f" ({exc.fix})" if exc.fix else ""))
    return settings


def run(settings: Settings, on_progress: Callable[[str, dict], None] | None = None,
        *, plugin_factory: Callable[..., GraderPlugin] | None = None) -> RunResult:
    """Grade ``settings.submission``; always returns a complete result for every check.

    ``on_progress(topic, event)`` receives progress events from long student calls (training);
    ``event["message"]`` is a one-line description.
    """
    started = time.monotonic()
    started_at = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    topics = resolve_topics(settings.topics)
    submission = check_submission(settings.submission)
    seed = settings.seed if settings.seed is not None else secrets.randbelow(2**31)
    i18n.set_lang(settings.lang or i18n.default_lang())  # messages are written in it at check time
    # Notebooks (one .ipynb, or a folder holding some) become a temporary folder of modules.
    work = notebook.prepare_submission(submission, settings.topics)
    if work.topics is not None:  # a single notebook: grade its topic
        topics = [t for t in topics if t in work.topics] or list(work.topics)
    try:
        settings = prepare_data(dataclasses.replace(settings, submission=work.path), topics, work.path)
    except BaseException:
        work.cleanup()
        raise

    copy = SubmissionCopy(work.path)
    pool = WorkerPool(copy.root, topics, settings.limits)
    for worker in pool.workers.values():
        worker.on_progress = on_progress
    # plugin_factory: batch grading passes a GraderPlugin subclass (shared reference cache).
    plugin = (plugin_factory or GraderPlugin)(pool, seed, settings)
    try:
        pool.start_all()
        with _quiet_pytest_env():
            code = pytest.main(_pytest_args(topics, []), plugins=[plugin])
        topic_results = _topic_results(topics, plugin, pool, pytest_code=int(code))
    finally:
        pool.close()
        copy.cleanup()
        work.cleanup()

    versions = _versions()
    score = sum(t.score for t in topic_results)
    max_score = sum(t.max_score for t in topic_results)
    replay = f"grader run {' '.join(settings.topics)} --submission {submission} --seed {seed}".replace("  ", " ")
    return RunResult(
        grader_version=grader.__version__,
        seed=seed,
        submission=str(submission),
        score=round(score, 4),
        max_score=round(max_score, 4),
        topics=tuple(topic_results),
        started_at=started_at,
        duration=round(time.monotonic() - started, 3),
        replay=replay,
        **versions,
    )


def _topic_results(topics: list[str], plugin: GraderPlugin, pool: WorkerPool, pytest_code: int) -> list[TopicResult]:
    by_topic: dict[str, list[CheckResult]] = {t: [] for t in topics}
    for item in plugin.items:
        meta = item.stash[meta_key]
        res = plugin.results.get(item.nodeid)
        if res is None:  # pytest stopped before this check ran: the grader broke, not the student
            res = CheckResult(
                id=f"{meta.topic}::{item.name}", topic=meta.topic, name=item.name, function=meta.function,
                title=meta.title, status="error", points=0.0, max_points=meta.points,
                message=i18n.t("internal grader error: the check did not run (pytest exit {code})", code=pytest_code),
                internal_error=True, hidden=meta.hidden,
            )
        by_topic.setdefault(meta.topic, []).append(res)
    if not plugin.items:
        raise InternalError(f"no checks were collected (pytest exit {pytest_code})")
    out = []
    for t in topics:
        checks = by_topic[t]
        status, message = "graded", ""
        reply = pool.get(t).import_reply
        if reply is not None and not reply["ok"]:
            err = import_error(t, reply)
            status, message = ("not_attempted" if err.status == "not_attempted" else "error"), err.message
        elif checks and all(c.status == "not_attempted" for c in checks):
            status = "not_attempted"
        out.append(
            TopicResult(
                topic=t,
                title=BY_SLUG[t].title,
                score=round(sum(c.points for c in checks), 4),
                max_score=round(sum(c.max_points for c in checks), 4),
                checks=tuple(checks),
                status=status,
                message=message,
                duration=round(sum(c.duration for c in checks), 3),
            )
        )
    return out
