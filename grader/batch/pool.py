"""The pool of batch processes and its retry rules."""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
from collections import Counter

from grader.batch.process import Job, _init_process, _record_internal, grade_student
from grader.batch.roster import glob_escape

MAX_ATTEMPTS = 3  # a batch process dying (not a student) is retried this many times per student


def _run_pool(jobs_list: list[Job], workers: int, seed: int, topics: tuple[str, ...], finished, emit) -> int:
    """Run jobs on ``workers`` spawned processes; replace the pool if a process dies.

    When a batch process dies (e.g. a submission killed its parent), only the students that
    were being graded at that moment (their ``.running`` marker exists) are suspects: each is
    retried alone in a one-process pool, at most MAX_ATTEMPTS times in all, then recorded as an
    internal error. Students that had not started go back to the normal queue uncharged.
    """
    attempts: Counter = Counter()
    pending, suspects = list(jobs_list), []
    broken = idle_breaks = 0
    ctx = multiprocessing.get_context("spawn")
    while pending or suspects:
        # Suspects run one at a time so that one killer cannot take an innocent down with it.
        if suspects:
            round_jobs, round_workers = [suspects.pop(0)], 1
        else:
            round_jobs, round_workers, pending = pending, workers, []
        lost: list[Job] = []
        with cf.ProcessPoolExecutor(max_workers=min(round_workers, len(round_jobs)), mp_context=ctx,
                                    initializer=_init_process, initargs=(seed, topics)) as pool:
            futures = {pool.submit(grade_student, job): job for job in round_jobs}
            for fut in cf.as_completed(futures):
                job = futures[fut]
                try:
                    finished(fut.result())
                except cf.process.BrokenProcessPool:
                    lost.append(job)
                except Exception as exc:  # noqa: BLE001 - a bug surfaced for one student only
                    finished(_record_internal(job, f"{type(exc).__name__}: {exc}"))
        if not lost:
            continue
        broken += 1
        in_flight = []
        for job in lost:
            markers = list(job.out.glob(f".{glob_escape(job.student.name)}.running-*"))
            for m in markers:
                m.unlink(missing_ok=True)
            if markers or len(round_jobs) == 1:
                in_flight.append(job)
            else:
                pending.append(job)
        if not in_flight:  # died before grading anyone: the processes cannot even start
            idle_breaks += 1
            if idle_breaks >= MAX_ATTEMPTS:
                for job in pending:
                    finished(_record_internal(job, "the grading processes could not start (see stderr)"))
                pending = []
            continue
        idle_breaks = 0
        emit("retry", {"students": [j.student.name for j in in_flight]})
        for job in in_flight:
            attempts[job.student.name] += 1
            if attempts[job.student.name] >= MAX_ATTEMPTS:
                finished(_record_internal(
                    job, f"the process grading this submission died {MAX_ATTEMPTS} times (did the submission "
                         "kill its parent process or exhaust the machine's memory?)"))
            else:
                suspects.append(job)
    return broken
