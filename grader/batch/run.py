"""Grade a whole class: one folder / zip / notebook per student, one seed per batch.

Layout of a batch output folder ``DIR``::

    DIR/<student>/results.json      the same results model `grader run` writes
    DIR/<student>/report.html|.md   the student's reports
    DIR/<student>/gradescope.json   Gradescope autograder results format
    DIR/.instructor/<student>.json  the unredacted results (hidden checks in full) for the class files
    DIR/.instructor/<student>.submission.json  content hash and hand-in time of what was graded
    DIR/.instructor/sources/<student>/<topic>.py  the graded code (for the similarity report)
    DIR/changes.csv                 what the last regrade changed, per check
    DIR/adjustments.csv             (yours) manual adjustments, merged into the class files
    DIR/gradebook.csv               one row per student: total and one column per topic
    DIR/junit.xml                   one testsuite per student, one testcase per check
    DIR/index.html                  the class dashboard
    DIR/batch.json                  (batch-<i>-of-<n>.json for a shard) seed, topics, timing

How it is fast:

* ``jobs`` batch processes (default one per core) grade students one after another with
  :func:`grader.core.runner.run` in-process. They fork from a fork server that imported
  TensorFlow, Keras, SciPy and the checks once (:mod:`grader.batch.preload`), and their workers
  fork from clones of one zygote of each kind per batch (:mod:`grader.batch.pool`): two imports of
  TensorFlow per batch, whatever ``jobs`` is. Student code still never runs in a batch process:
  every student gets fresh worker processes (one per topic,
  :class:`grader.sandbox.client.WorkerPool`), exactly as in ``grader run``.
* The ``tf`` / ``keras`` fixtures of a batch process are :mod:`grader.batch.refcache` stand-ins: a
  pure TF function called with the same plain-data inputs (every student gets the same inputs,
  since the seed is shared) is computed once per batch process and then served from memory.

How it is robust:

* whatever a submission does only affects its own checks (workers, timeouts); a submission
  that cannot even be opened (bad zip, unreadable notebook) gets a result with every check
  ``error`` and the reason, and the batch goes on; a batch process that dies is replaced and
  its students are retried (then recorded as internal errors);
* each student's outputs are written into ``DIR/.<student>.partial-*`` and renamed to
  ``DIR/<student>`` when complete; a student whose ``DIR/<student>/results.json`` exists is
  skipped unless ``force`` (or named in ``only``, or ``changed`` and handed in again); a
  student whose recorded result holds an internal grader error is not final and is graded
  again; left-over partial folders of an interrupted run are removed;
* Ctrl-C (KeyboardInterrupt) kills every batch process and worker at once, records nobody
  whose grading had not finished, writes the class files for the students graded so far and
  returns with ``interrupted`` set; a second Ctrl-C skips the class files too.

Library code never prints: progress goes to the ``on_event(kind, info)`` callback.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import grader
from grader.batch import adjust, dask_backend
from grader.batch.gradebook import assignment, check_ids, write_class_files
from grader.batch.pool import InterruptedAgain, run_pool
from grader.batch.process import Job, grade_student
from grader.batch.regrade import changes_csv, score_changes
from grader.batch.roster import (
    Student,
    content_hash,
    discover,
    glob_escape,
    graded_students,
    load_results,
    load_submission_info,
    manifest_name,
    resolve_seed,
    select_shard,
    unfinished,
)
from grader.batch.similarity import Fingerprints
from grader.config import Settings
from grader.core.catalog import resolve_topics
from grader.core.results import RunResult, utc_now
from grader.errors import UsageError
from grader.outputs.files import atomic_write, write_json

Event = Callable[[str, dict], None]


@dataclass
class BatchSummary:
    out: Path
    seed: int
    topics: list[str]
    total: int  # students of this shard
    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    failed_processes: int = 0
    cache: dict[str, int] = field(default_factory=dict)
    references: dict[str, int] = field(default_factory=dict)  # the shared reference store's counters
    duration: float = 0.0
    all_passed: bool = True
    internal_errors: int = 0
    class_files: dict[str, Path] = field(default_factory=dict)
    regraded_internal: list[str] = field(default_factory=list)  # had internal errors: not final, graded again
    changed: list[str] = field(default_factory=list)  # handed in again since they were graded
    changes: list[dict] = field(default_factory=list)  # per check, for students graded before
    interrupted: bool = False
    interrupted_twice: bool = False  # the class files were not rewritten either
    left: list[str] = field(default_factory=list)  # students still to grade after an interruption


def run_batch(
    submissions: Path,
    settings: Settings,
    out: Path,
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
    shard: tuple[int, int] | None = None,
    force: bool = False,
    only: Iterable[str] | None = None,
    changed: bool = False,
    audience: str = "student",
    adjustments: Path | None = None,
    on_event: Event | None = None,
) -> BatchSummary:
    """Grade every student of ``submissions`` (or of one shard) into ``out``.

    ``jobs``: number of batch processes (default: CPU count); ``0`` grades in this process
    (handy for tests and debugging; TensorFlow is then imported here). ``scheduler``: grade on
    the Dask cluster at this address instead (:mod:`grader.batch.dask_backend`; not with
    ``jobs``); the results are still written here. ``only``: regrade just
    these students; ``changed``: also regrade students whose submission changed since they
    were graded (content hash). ``adjustments``: the adjustments file (default
    ``out/adjustments.csv`` when it exists), checked before anything is graded.
    """
    with contextlib.ExitStack() as stack:  # the Dask client, when there is one, closed on the way out
        return _run_batch(
            submissions,
            settings,
            out,
            stack,
            jobs=jobs,
            scheduler=scheduler,
            shard=shard,
            force=force,
            only=only,
            changed=changed,
            audience=audience,
            adjustments=adjustments,
            on_event=on_event,
        )


def _run_batch(
    submissions: Path,
    settings: Settings,
    out: Path,
    stack: contextlib.ExitStack,
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
    shard: tuple[int, int] | None = None,
    force: bool = False,
    only: Iterable[str] | None = None,
    changed: bool = False,
    audience: str = "student",
    adjustments: Path | None = None,
    on_event: Event | None = None,
) -> BatchSummary:
    emit = on_event or (lambda kind, info: None)
    started = time.monotonic()
    topics = resolve_topics(settings.topics)
    students, ignored = discover(submissions)
    mine = select_shard(students, shard)
    out.mkdir(parents=True, exist_ok=True)
    seed = resolve_seed(out, settings.seed, topics, shard, force)
    settings = replace(settings, seed=seed, topics=tuple(topics))
    if scheduler is not None and jobs is not None:
        raise UsageError(
            "--scheduler and --jobs are alternatives", fix="grade on the Dask cluster (--scheduler) or here (--jobs)"
        )
    if scheduler is None and jobs is None:
        jobs = os.cpu_count() or 1
    if jobs is not None and jobs < 0:
        raise UsageError(f"--jobs must be >= 0, not {jobs}")
    _, full_marks = assignment(out, None, topics)
    allowed = sorted({s.name for s in students} | set(graded_students(out)))
    adjust.read_adjustments(
        adjustments if adjustments is not None else adjust.default_path(out),
        students=allowed,
        topics=topics,
        checks=check_ids(topics),
        required=adjustments is not None,
    )

    # Before anything is recorded: a wrong address or an unfit worker is a usage error.
    client = stack.enter_context(dask_backend.connect(scheduler, settings.sandbox)) if scheduler else None
    for s in mine:  # half-written outputs of an interrupted run
        for kind in ("partial", "old", "running"):
            for stale in out.glob(f".{glob_escape(s.name)}.{kind}-*"):
                shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)
    names = {s.name for s in mine}
    previous = {n: r for n, r in load_results(out).items() if n in names}
    not_final = unfinished(previous)
    todo, why = _select(mine, previous, not_final, force=force, only=only, changed=changed, out=out)
    summary = BatchSummary(
        out=out,
        seed=seed,
        topics=topics,
        total=len(mine),
        ignored=ignored,
        skipped=[s.name for s in mine if s not in todo],
        regraded_internal=[n for n in not_final if n in why.get("internal", set())],
        changed=sorted(why.get("changed", set())),
    )
    manifest = {
        "grader_version": grader.__version__,
        "seed": seed,
        "topics": topics,
        "max_scores": full_marks,
        "shard": list(shard) if shard else None,
        "submissions": str(submissions),
        "students": [s.name for s in mine],
        "jobs": jobs,
        "scheduler": scheduler,
        "started_at": utc_now(),
        "finished_at": None,
    }
    manifest_path = out / manifest_name(shard)
    write_json(manifest_path, manifest)  # recorded first: a resumed run reuses this seed
    emit(
        "start",
        {
            "total": len(mine),
            "todo": len(todo),
            "skipped": len(summary.skipped),
            "seed": seed,
            "jobs": jobs if client is None else dask_backend.total_threads(client),
            "scheduler": scheduler,
            "ignored": ignored,
            "regrade_internal": summary.regraded_internal,
            "changed": summary.changed,
            "only": sorted(why.get("only", set())),
            "resumed": len([s for s in mine if s.name in previous and s not in todo]),
        },
    )

    cache = Counter()
    references = Counter()
    results: dict[str, dict] = {}

    # Each recorded student's code is fingerprinted for the similarity report while the others are
    # graded (one thread, mostly waiting for the grading processes otherwise), not all at the end.
    prints = Fingerprints(out, list(topics))
    fingerprinting = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="grader-fingerprints"))

    def finished(info: dict) -> None:
        results[info["name"]] = info
        cache.update(info.get("cache", {}))
        references.update(info.get("references", {}))
        fingerprinting.submit(prints.add, info["name"])  # a failure here: pairs() fingerprints it again
        emit("student", {**info, "done": len(results), "todo": len(todo)})

    jobs_list = [Job(s, out, settings, audience) for s in todo]
    try:
        if client is not None:
            if jobs_list:
                summary.failed_processes = dask_backend.run_dask(client, jobs_list, finished, emit)
        elif jobs == 0:
            with _sigint_flag() as interrupted:
                for job in jobs_list:
                    finished(grade_student(job, interrupted))
        elif jobs_list:
            summary.failed_processes = run_pool(
                jobs_list, min(jobs, len(jobs_list)), seed, tuple(topics), finished, emit
            )
    except KeyboardInterrupt as exc:
        summary.interrupted = True
        summary.interrupted_twice = isinstance(exc, InterruptedAgain)
        for s in todo:  # whatever a killed process had begun for its student
            for stale in out.glob(f".{glob_escape(s.name)}.partial-*"):
                shutil.rmtree(stale, ignore_errors=True)
        emit("interrupted", {"done": len(results), "todo": len(todo)})

    fingerprinting.shutdown(wait=not summary.interrupted, cancel_futures=summary.interrupted)
    summary.graded = [s.name for s in todo if s.name in results]
    summary.left = [s.name for s in todo if s.name not in results]
    summary.cache = dict(cache)
    summary.references = dict(references)
    manifest.update(
        finished_at=None if summary.interrupted else utc_now(),
        interrupted_at=utc_now() if summary.interrupted else None,
        duration=round(time.monotonic() - started, 3),
        reference_cache=dict(cache),
        reference_store=dict(references),
        failed_processes=summary.failed_processes,
    )
    write_json(manifest_path, manifest)
    loaded = load_results(out)
    regraded = {n: loaded[n] for n in summary.graded if n in loaded}
    summary.changes = score_changes({n: r for n, r in previous.items() if n in regraded}, regraded)
    if any(n in previous for n in regraded):
        atomic_write(out / "changes.csv", changes_csv(summary.changes))
        summary.class_files["changes"] = out / "changes.csv"
    if not summary.interrupted_twice:
        # Class outputs cover every student graded in ``out`` (resumed, other shards sharing it).
        try:
            summary.class_files.update(
                write_class_files(
                    out,
                    settings,
                    results=loaded,
                    adjustments=adjustments,
                    similarity=not summary.interrupted,
                    meta={"seed": seed, "interrupted": summary.interrupted},
                    topics=topics,
                    students=sorted(set(allowed) | set(loaded)),
                    fingerprints=prints,
                )
            )
        except KeyboardInterrupt:
            summary.interrupted = summary.interrupted_twice = True
    for name, r in loaded.items():
        if name in names:
            summary.all_passed &= r.all_passed
            summary.internal_errors += len(r.internal_errors)
    summary.duration = round(time.monotonic() - started, 3)
    emit("finish", {"duration": summary.duration, "interrupted": summary.interrupted})
    return summary


def _select(
    mine: list[Student],
    previous: dict[str, RunResult],
    not_final: list[str],
    *,
    force: bool,
    only: Iterable[str] | None,
    changed: bool,
    out: Path,
) -> tuple[list[Student], dict[str, set]]:
    """Who to grade now, and why (``only`` / ``internal`` / ``changed``)."""
    why: dict[str, set] = {"only": set(), "internal": set(), "changed": set()}
    if only:
        wanted = list(dict.fromkeys(only))
        known = {s.name for s in mine}
        unknown = [n for n in wanted if n not in known]
        if unknown:
            sample = ", ".join(sorted(known)[:8]) + (" ..." if len(known) > 8 else "")
            raise UsageError(
                f"--only names student(s) not in the submissions: {', '.join(unknown)}",
                fix=f"use the students' folder names, e.g. {sample}",
            )
        why["only"] = set(wanted)
        return [s for s in mine if s.name in why["only"]], why
    if force:
        return list(mine), why
    todo = []
    for s in mine:
        if s.name not in previous:
            todo.append(s)
        elif s.name in not_final:
            why["internal"].add(s.name)
            todo.append(s)
        elif changed:
            recorded = load_submission_info(out, s.name).get("sha256")
            try:
                now = content_hash(s.path)
            except OSError:
                now = None
            if recorded is None or now != recorded:
                why["changed"].add(s.name)
                todo.append(s)
    return todo, why


@contextlib.contextmanager
def _sigint_flag():
    """In-process grading: remember that Ctrl-C came (pytest catches it and stops early, and
    the half-graded result it leaves must not be recorded), then interrupt as usual."""
    state = {"hit": False}
    if threading.current_thread() is not threading.main_thread():
        yield lambda: state["hit"]
        return

    def handler(signum, frame):
        state["hit"] = True
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield lambda: state["hit"]
    finally:
        signal.signal(signal.SIGINT, previous)
