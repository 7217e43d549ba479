"""One batch process: TensorFlow imported once, then students graded one after another.

Student code still never runs here: every student gets fresh worker processes, exactly as in
``grader run``. What this process adds is a reference cache (:mod:`grader.batch.refcache`)
for pure TF computations, since every student of a batch gets the same inputs.

A batch process ignores Ctrl-C (the parent decides: it kills the process and every process
below it) and dies with its parent. A student is recorded only once their grading finished:
the instructor's files first, then the student's folder renamed into place, so a process
killed at any moment leaves that student ungraded, never half-graded.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import gc
import os
import shutil
import signal
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import psutil

from grader.batch.late import submission_time
from grader.batch.roster import INSTRUCTOR_DIR, SOURCES_DIR, Student, content_hash, instructor_path
from grader.config import Settings, parse_due
from grader.core import allocator, runner
from grader.core.catalog import collect, resolve_topics
from grader.core.plugin import GraderPlugin
from grader.core.results import RunResult, utc_now
from grader.core.tfimport import import_tensorflow
from grader.course.topics import BY_SLUG
from grader.errors import UsageError
from grader.intake.prepare import prepared
from grader.outputs import gradescope
from grader.outputs.files import atomic_write, publish_dir, write_json
from grader.outputs.redact import Audience
from grader.outputs.report import write_reports
from grader.sandbox.client import Zygote


class _Process:
    """Per-process state: TF imported once, the reference cache, the collected checks."""

    cache = None
    tf = None
    keras = None
    store = None  # the reference store (grader.core.refstore), kept for every student of the process
    store_folder: object = False
    zygotes: dict = {}  # kind -> grader.sandbox.client.Zygote: workers fork from them, student after student


def _init_process(seed: int, topics: tuple[str, ...] = (), clones: dict | None = None, cpu: int | None = None) -> None:
    """``clones``: kind -> a socket to a zygote cloned for this process by the batch's parent
    (:meth:`grader.sandbox.client.Zygote.clone`); zygotes of the other kinds are started here.
    ``cpu``: the core this process and its workers run on (:func:`grader.batch.pool.free_cpu`)."""
    if cpu is not None:
        with contextlib.suppress(OSError, AttributeError):
            os.sched_setaffinity(0, {cpu})
    allocator.keep_freed_memory()  # a batch process may run under Dask, not the grader command
    # First: their imports overlap ours. (Started for the default worker_start; a batch that
    # spawns its workers closes them at its first student.)
    adopted = {kind: Zygote.adopt(sock, kind) for kind, sock in (clones or {}).items()}
    _Process.zygotes = runner.start_zygotes(runner.topic_zygote_kinds(resolve_topics(topics)), adopted)
    if cpu is not None:  # the clones were forked by the batch's zygotes, not by this pinned process
        for zygote in _Process.zygotes.values():
            zygote.pin({cpu})
    atexit.register(_close_zygotes)
    # The eager context now, not inside the first check; TF's native start-up lines filtered
    # (they would break the progress bar).
    tensorflow = import_tensorflow(eager_context=True)
    import keras

    from grader.batch.refcache import RefCache, wrap

    # Import the check modules once, before freezing; a failure is reported per student by runner.run.
    with contextlib.suppress(Exception):
        collect(resolve_topics(topics))
    # TF's millions of long-lived objects would make every gc.collect() slow (pytest runs five
    # at the end of each session, ~1 s each with TF loaded): move them out of the collector's way.
    gc.collect()
    gc.freeze()

    _Process.cache = RefCache(seed=seed)
    _Process.tf = wrap(tensorflow, "tf", _Process.cache)
    _Process.keras = wrap(keras, "keras", _Process.cache, tensorflow)


class BatchPlugin(GraderPlugin):
    """GraderPlugin whose ``tf``/``keras`` fixtures memoize pure reference computations."""

    def tensorflow(self):
        return _Process.tf

    def keras_module(self):
        return _Process.keras

    def reference_store(self):
        """One store per process, so values stay in memory from student to student; its folder is
        shared with the batch's other processes (and later runs)."""
        from grader.core.refstore import open_store

        setting = getattr(self.settings, "reference_cache", None)
        if _Process.store is None or _Process.store_folder != setting:
            _Process.store, _Process.store_folder = open_store(setting), setting
        return _Process.store


def store_stats() -> dict[str, int]:
    return dict(_Process.store.stats) if _Process.store is not None else {}


def _store_delta(store_then, stats_then: dict[str, int]) -> dict[str, int]:
    """What one student's grading added to the store's counters (the store may have been replaced)."""
    base = stats_then if _Process.store is store_then else {}
    return {k: v - base.get(k, 0) for k, v in store_stats().items()}


@dataclass(frozen=True)
class Job:
    student: Student
    out: Path
    settings: Settings  # submission/out filled in per student
    audience: str


SOURCE_LIMIT = 256 * 1024  # bytes of one graded module kept for the similarity report


def serve(
    conn,
    seed: int,
    topics: tuple[str, ...],
    clones: dict | None = None,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    cpu: int | None = None,
) -> None:
    """A batch process's main loop: (re)ceive a Job, send back its summary, until told to stop.

    ``clones``, ``cpu``: see :func:`_init_process`. ``env``, ``cwd``: the batch's, when this process was
    forked from a fork server started earlier (with the environment and folder of that moment).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C for the whole batch
    parent = os.getppid()
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the request above took effect
        return
    try:
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        if cwd is not None:
            os.chdir(cwd)
        _init_process(seed, topics, clones=clones, cpu=cpu)
    except BaseException as exc:  # noqa: BLE001 - reported by the parent for the students left
        conn.send(("init_failed", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", os.getpid()))
    try:
        _serve_jobs(conn)
    finally:
        _close_zygotes()
        # A process forked from the fork server ends with os._exit, which skips the exit handlers
        # a normal exit runs: TensorFlow's removal of the autograph files it wrote to TMPDIR.
        atexit._run_exitfuncs()


def _serve_jobs(conn) -> None:
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            info = grade_student(job)
        except Exception as exc:  # noqa: BLE001 - a bug surfaced for one student only
            conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        else:
            conn.send(("done", info))


def _die_with_parent() -> None:
    """Linux: SIGKILL this process when its parent dies (a killed batch leaves nothing behind)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux: the parent still kills us
        pass


def grade_student(job: Job, interrupted: Callable[[], bool] | None = None) -> dict:
    """Grade one student and record DIR/<student>/ atomically; returns a summary dict.

    ``interrupted``: asked once grading returns; when true (Ctrl-C reached pytest, which then
    stops early), nothing is recorded and KeyboardInterrupt is raised instead.
    """
    info = submission_info(job)
    graded = grade_unrecorded(job)
    if interrupted is not None and interrupted():
        raise KeyboardInterrupt
    return record_graded(job, graded, info)


def grade_unrecorded(job: Job, path: Path | None = None) -> dict:
    """Grade one student without recording anything: the result, the graded sources and this
    process's counters (what :func:`record_graded` needs, picklable for a remote client).

    ``path``: where the submission is on this machine (a copy shipped here); the result still
    names ``job.student.path``, where it was handed in.
    """
    if _Process.cache is None:
        _init_process(job.settings.seed, job.settings.topics)
    before = _Process.cache.stats()
    store_before = (_Process.store, store_stats())
    started = time.monotonic()
    result, sources = _grade(job, path)
    _forget_keras_state()
    after = _Process.cache.stats()
    return {
        "result": result,
        "sources": sources,
        "seconds": round(time.monotonic() - started, 3),
        "cache": {k: after[k] - before[k] for k in ("hits", "misses", "passthrough")},
        "references": _store_delta(*store_before),
        "pid": os.getpid(),
        "usage": usage(),  # the grading process's, after this student
    }


def _zygotes_for(settings: Settings) -> dict:
    """The process's zygotes this student's workers fork from (one that died is replaced); the
    others stay for the next students."""
    if settings.worker_start != "fork":
        _close_zygotes()
        return {}
    return runner.hold_zygotes(settings, settings.topics, _Process.zygotes)


def _close_zygotes() -> None:
    zygotes, _Process.zygotes = _Process.zygotes, {}
    for z in zygotes.values():
        z.close()


def _forget_keras_state() -> None:
    """Drop what Keras keeps globally about the models built while grading (the models checks
    rebuild every student's network): without it a batch process grew by ~4 MB per student.
    The next student then starts from the state a fresh `grader run` has."""
    keras = sys.modules.get("keras")
    if keras is not None:
        keras.backend.clear_session()  # collects garbage too (free_memory=True)


def record_graded(job: Job, graded: dict, info: dict) -> dict:
    """Record what :func:`grade_unrecorded` returned (complete or not at all); the summary dict."""
    result = graded["result"]
    _deliver(job, result, graded["sources"], info)
    return {
        "name": job.student.name,
        "score": result.score,
        "max_score": result.max_score,
        "all_passed": result.all_passed,
        "internal_errors": len(result.internal_errors),
        "seconds": graded["seconds"],
        "cache": graded["cache"],
        "references": graded["references"],
        "pid": graded["pid"],
        **graded["usage"],
    }


def usage() -> dict[str, int]:
    """This process's resident memory now and at its peak (bytes) and its open file descriptors:
    what benchmarks/bench_soak.py follows from student to student to catch a leak."""
    me = psutil.Process()
    out = {"rss": me.memory_info().rss}
    with contextlib.suppress(ImportError, AttributeError):  # resource and num_fds are Unix only
        import resource

        # ru_maxrss counts KiB on Linux, bytes on macOS.
        out["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
        out["fds"] = me.num_fds()
    return out


def submission_info(job: Job) -> dict:
    """What the batch records about the submission itself: its content hash and when it came in."""
    tz = None
    if job.settings.due:
        with contextlib.suppress(ValueError):
            tz = parse_due(job.settings.due).tzinfo
    path = job.student.path
    try:
        submitted_at, source = submission_time(path, tz)
        digest = content_hash(path)
    except OSError as exc:  # unreadable: graded anyway (and reported by the grading itself)
        submitted_at, source, digest = None, f"unreadable ({exc})", None
    return {
        "student": job.student.name,
        "path": str(path),
        "kind": job.student.kind,
        "sha256": digest,
        "submitted_at": submitted_at,
        "submitted_at_source": source,
        "graded_at": None,
        "seed": job.settings.seed,
        "topics": list(job.settings.topics),
    }


def _grade(job: Job, path: Path | None = None) -> tuple[RunResult, dict[str, str]]:
    """The result, and the source of every topic module that was graded (for similarity).

    ``path``: a copy of the submission to grade instead of ``job.student.path`` (named in the result).
    """
    student, settings = job.student, job.settings
    replay = runner.replay_command(settings.topics, student.path, settings.seed)
    if student.kind == "zip":
        replay += f"  (after unzipping {student.path.name})"
    try:
        with prepared(path or student.path, settings.topics) as work:
            topics = work.narrow(settings.topics)
            graded = replace(settings, submission=work.path, topics=topics)
            result = runner.run(
                graded,
                label=student.path,
                replay=replay,
                plugin_factory=BatchPlugin,
                zygotes=_zygotes_for(graded),
            )
            return result, _sources(work.path, topics)
    except UsageError as exc:  # the submission cannot be graded as handed in
        msg = exc.message + (f" ({exc.fix})" if exc.fix else "")
        return runner.failed_result(student.path, settings, msg, internal=False, replay=replay), {}
    except Exception as exc:  # noqa: BLE001 - the grader broke on this student; the batch goes on
        msg = f"internal grader error while grading this submission ({type(exc).__name__}: {exc})"
        return runner.failed_result(student.path, settings, msg, internal=True, replay=replay), {}


def _sources(folder: Path, topics: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for topic in topics:
        path = folder / BY_SLUG[topic].module_file
        try:
            if path.is_file() and not path.is_symlink():
                with open(path, "rb") as fh:
                    out[topic] = fh.read(SOURCE_LIMIT).decode("utf-8", "replace")
        except OSError:
            continue
    return out


def write_student_outputs(result: RunResult, folder: Path, audience: Audience | str, lang: str | None = None) -> None:
    write_reports(result, folder, audience, lang=lang)
    write_json(folder / "gradescope.json", gradescope.to_gradescope(result, lang=lang, audience=audience))


def _deliver(job: Job, result: RunResult, sources: dict[str, str], info: dict) -> None:
    """Record a student: complete or not at all.

    A student counts as graded once DIR/<student>/ exists, so that folder comes last: the
    previous one (a regrade) is moved aside first, then the instructor's files are written,
    then the new folder is renamed into place. A process killed in between leaves the student
    ungraded (graded again on resume), never with a mix of two gradings.
    """
    out, name = job.out, job.student.name
    tmp = out / f".{name}.partial-{uuid.uuid4().hex[:8]}"
    final = out / name
    old = None
    try:
        tmp.mkdir(parents=True)
        write_student_outputs(result, tmp, job.audience, job.settings.lang)
        if final.exists():
            old = out / f".{name}.old-{uuid.uuid4().hex[:8]}"
            os.rename(final, old)
        _write_instructor_files(out, name, result, sources, {**info, "graded_at": utc_now()})
        publish_dir(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _write_instructor_files(out: Path, name: str, result: RunResult, sources: dict[str, str], info: dict) -> None:
    """The unredacted results beside (not inside) the student's folder, which may be handed back;
    with what was recorded about the submission and the graded code."""
    folder = out / INSTRUCTOR_DIR
    folder.mkdir(exist_ok=True)
    atomic_write(instructor_path(out, name), result.to_json() + "\n")
    write_json(instructor_path(out, name, "submission"), info)
    src = folder / SOURCES_DIR / name
    if src.exists():
        shutil.rmtree(src, ignore_errors=True)
    for topic, text in sources.items():
        atomic_write(src / BY_SLUG[topic].module_file, text)


def record_internal(job: Job, why: str) -> dict:
    """Write an internal-error result for a student from the parent process (regraded on resume)."""
    result = runner.failed_result(job.student.path, job.settings, f"internal grader error: {why}", internal=True)
    _deliver(job, result, {}, submission_info(job))
    return {
        "name": job.student.name,
        "score": 0.0,
        "max_score": result.max_score,
        "all_passed": False,
        "internal_errors": len(result.internal_errors),
        "seconds": 0.0,
        "cache": {},
    }
