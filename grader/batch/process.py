"""One batch process: TensorFlow imported once, then students graded one after another.

Student code still never runs here: every student gets fresh worker processes, exactly as in
``grader run``. What this process adds is a reference cache (:mod:`grader.batch.refcache`)
for pure TF computations, since every student of a batch gets the same inputs.
"""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

from grader.batch.roster import INSTRUCTOR_DIR, Student
from grader.config import Settings
from grader.core import runner
from grader.core.catalog import collect, resolve_topics
from grader.core.plugin import GraderPlugin
from grader.core.results import RunResult
from grader.errors import UsageError
from grader.intake.prepare import prepared
from grader.outputs import gradescope
from grader.outputs.files import atomic_write, publish_dir, write_json
from grader.outputs.redact import Audience
from grader.outputs.report import write_reports


class _Process:
    """Per-process state: TF imported once, the reference cache, the collected checks."""

    cache = None
    tf = None
    keras = None


def _init_process(seed: int, topics: tuple[str, ...] = (), quiet_tf: bool = True) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _stderr_silenced(quiet_tf):  # TF's C++ start-up chatter would break the progress bar
        import keras
        import tensorflow

        tensorflow.constant(1.0) + 1.0  # create the eager context now, not inside the first check
    from grader.batch.refcache import RefCache, wrap

    try:  # import the check modules once, before freezing
        collect(resolve_topics(topics))
    except Exception:  # noqa: BLE001 - reported per student by runner.run
        pass
    # TF's millions of long-lived objects would make every gc.collect() slow (pytest runs five
    # at the end of each session, ~1 s each with TF loaded): move them out of the collector's way.
    gc.collect()
    gc.freeze()

    _Process.cache = RefCache(seed=seed)
    _Process.tf = wrap(tensorflow, "tf", _Process.cache)
    _Process.keras = wrap(keras, "keras", _Process.cache, tensorflow)


@contextlib.contextmanager
def _stderr_silenced(enabled: bool):
    """Point file descriptor 2 at /dev/null (C++ logging bypasses sys.stderr)."""
    if not enabled:
        yield
        return
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class BatchPlugin(GraderPlugin):
    """GraderPlugin whose ``tf``/``keras`` fixtures memoize pure reference computations."""

    def tensorflow(self):
        return _Process.tf

    def keras_module(self):
        return _Process.keras


@dataclass(frozen=True)
class Job:
    student: Student
    out: Path
    settings: Settings  # submission/out filled in per student
    audience: str


def grade_student(job: Job) -> dict:
    """Grade one student and write DIR/<student>/ atomically; returns a summary dict."""
    if _Process.cache is None:
        _init_process(job.settings.seed, job.settings.topics, quiet_tf=False)
    before = _Process.cache.stats()
    started = time.monotonic()
    student, out = job.student, job.out
    running = out / f".{student.name}.running-{os.getpid()}"  # tells the parent who was in flight
    running.touch()
    try:
        result = _grade(job)
        _deliver(job, result)
    finally:
        running.unlink(missing_ok=True)
    after = _Process.cache.stats()
    return {
        "name": student.name,
        "score": result.score,
        "max_score": result.max_score,
        "all_passed": result.all_passed,
        "internal_errors": len(result.internal_errors),
        "seconds": round(time.monotonic() - started, 3),
        "cache": {k: after[k] - before[k] for k in ("hits", "misses", "passthrough")},
        "pid": os.getpid(),
    }


def _grade(job: Job) -> RunResult:
    student, settings = job.student, job.settings
    replay = runner.replay_command(settings.topics, student.path, settings.seed)
    if student.kind == "zip":
        replay += f"  (after unzipping {student.path.name})"
    try:
        with prepared(student.path, settings.topics) as work:
            return runner.run(replace(settings, submission=work.path, topics=work.narrow(settings.topics)),
                              label=student.path, replay=replay, plugin_factory=BatchPlugin)
    except UsageError as exc:  # the submission cannot be graded as handed in
        msg = exc.message + (f" ({exc.fix})" if exc.fix else "")
        return runner.failed_result(student.path, settings, msg, internal=False, replay=replay)
    except Exception as exc:  # noqa: BLE001 - the grader broke on this student; the batch goes on
        msg = f"internal grader error while grading this submission ({type(exc).__name__}: {exc})"
        return runner.failed_result(student.path, settings, msg, internal=True, replay=replay)


def write_student_outputs(result: RunResult, folder: Path, audience: Audience | str, lang: str | None = None) -> None:
    write_reports(result, folder, audience, lang=lang)
    write_json(folder / "gradescope.json", gradescope.to_gradescope(result, lang=lang, audience=audience))


def _deliver(job: Job, result: RunResult) -> None:
    """Write DIR/<student>/ complete or not at all, then the instructor's unredacted copy."""
    tmp = job.out / f".{job.student.name}.partial-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir(parents=True)
        write_student_outputs(result, tmp, job.audience, job.settings.lang)
        publish_dir(tmp, job.out / job.student.name)
        _write_instructor_copy(job.out, job.student.name, result)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _write_instructor_copy(out: Path, name: str, result: RunResult) -> None:
    """The unredacted results beside (not inside) the student's folder, which may be handed back."""
    folder = out / INSTRUCTOR_DIR
    folder.mkdir(exist_ok=True)
    atomic_write(folder / f"{name}.json", result.to_json() + "\n")


def _record_internal(job: Job, why: str) -> dict:
    """Write an internal-error result for a student from the parent process."""
    result = runner.failed_result(job.student.path, job.settings, f"internal grader error: {why}", internal=True)
    _deliver(job, result)
    return {"name": job.student.name, "score": 0.0, "max_score": result.max_score, "all_passed": False,
            "internal_errors": len(result.internal_errors), "seconds": 0.0, "cache": {}}
