"""Grade a whole class: one folder / zip / notebook per student, one seed per batch.

Layout of a batch output folder ``DIR``::

    DIR/<student>/results.json      the same results model `grader run` writes
    DIR/<student>/report.html|.md   the student's reports
    DIR/<student>/gradescope.json   Gradescope autograder results format
    DIR/.instructor/<student>.json  the unredacted results (hidden checks in full) for the class files
    DIR/gradebook.csv               one row per student: total and one column per topic
    DIR/junit.xml                   one testsuite per student, one testcase per check
    DIR/index.html                  the class dashboard
    DIR/batch.json                  (batch-<i>-of-<n>.json for a shard) seed, topics, timing

How it is fast:

* ``jobs`` batch processes (``spawn``; default one per core) each import TensorFlow once and
  then grade students one after another with :func:`grader.core.runner.run` in-process. Student
  code still never runs there: every student gets fresh worker processes (one per topic,
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
  skipped unless ``force``; left-over partial folders of an interrupted run are removed.

Library code never prints: progress goes to the ``on_event(kind, info)`` callback.
"""

from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import grader
from grader.batch.pool import _run_pool
from grader.batch.process import Job, grade_student
from grader.batch.roster import (discover, glob_escape, graded_students, load_results, manifest_name,
                                 resolve_seed, select_shard)
from grader.config import Settings
from grader.core.catalog import resolve_topics
from grader.core.results import utc_now
from grader.errors import UsageError
from grader.outputs.dashboard import write_class_outputs
from grader.outputs.files import write_json

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
    duration: float = 0.0
    all_passed: bool = True
    internal_errors: int = 0
    class_files: dict[str, Path] = field(default_factory=dict)


def run_batch(
    submissions: Path,
    settings: Settings,
    out: Path,
    *,
    jobs: int | None = None,
    shard: tuple[int, int] | None = None,
    force: bool = False,
    audience: str = "student",
    on_event: Event | None = None,
) -> BatchSummary:
    """Grade every student of ``submissions`` (or of one shard) into ``out``.

    ``jobs``: number of batch processes (default: CPU count); ``0`` grades in this process
    (handy for tests and debugging; TensorFlow is then imported here).
    """
    emit = on_event or (lambda kind, info: None)
    started = time.monotonic()
    topics = resolve_topics(settings.topics)
    students, ignored = discover(submissions)
    mine = select_shard(students, shard)
    out.mkdir(parents=True, exist_ok=True)
    seed = resolve_seed(out, settings.seed, topics, shard, force)
    settings = replace(settings, seed=seed, topics=tuple(topics))
    if jobs is None:
        jobs = os.cpu_count() or 1
    if jobs < 0:
        raise UsageError(f"--jobs must be >= 0, not {jobs}")

    for s in mine:  # half-written outputs of an interrupted run
        for kind in ("partial", "old", "running"):
            for stale in out.glob(f".{glob_escape(s.name)}.{kind}-*"):
                shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)
    done = set(graded_students(out))
    todo = [s for s in mine if force or s.name not in done]
    summary = BatchSummary(out=out, seed=seed, topics=topics, total=len(mine), ignored=ignored,
                           skipped=[s.name for s in mine if s not in todo])
    manifest = {
        "grader_version": grader.__version__, "seed": seed, "topics": topics,
        "shard": list(shard) if shard else None, "submissions": str(submissions),
        "students": [s.name for s in mine], "jobs": jobs, "started_at": utc_now(), "finished_at": None,
    }
    manifest_path = out / manifest_name(shard)
    write_json(manifest_path, manifest)  # recorded first: a resumed run reuses this seed
    emit("start", {"total": len(mine), "todo": len(todo), "skipped": len(summary.skipped), "seed": seed,
                   "jobs": jobs, "ignored": ignored})

    cache = Counter()
    results: dict[str, dict] = {}

    def finished(info: dict) -> None:
        results[info["name"]] = info
        cache.update(info.get("cache", {}))
        emit("student", {**info, "done": len(results), "todo": len(todo)})

    jobs_list = [Job(s, out, settings, audience) for s in todo]
    if jobs == 0:
        for job in jobs_list:
            finished(grade_student(job))
    elif jobs_list:
        summary.failed_processes = _run_pool(jobs_list, min(jobs, len(jobs_list)), seed, tuple(topics), finished, emit)

    summary.graded = [s.name for s in todo]
    summary.cache = dict(cache)
    manifest.update(finished_at=utc_now(), duration=round(time.monotonic() - started, 3), reference_cache=dict(cache),
                    failed_processes=summary.failed_processes)
    write_json(manifest_path, manifest)
    # Class outputs cover every student graded in ``out`` (resumed, other shards sharing it).
    loaded = load_results(out)
    summary.class_files = write_class_outputs(out, loaded, meta={"seed": seed})
    mine_names = {s.name for s in mine}
    for name, r in loaded.items():
        if name in mine_names:
            summary.all_passed &= r.all_passed
            summary.internal_errors += len(r.internal_errors)
    summary.duration = round(time.monotonic() - started, 3)
    emit("finish", {"duration": summary.duration})
    return summary
