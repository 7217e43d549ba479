"""The batch processes: one student at a time each, retried when a process dies, killed on Ctrl-C.

The parent keeps one pipe per batch process (:func:`grader.batch.process.serve`) and always
knows which student each one is grading, so a process that dies is charged to that student
alone. Students that were in flight when a process died ("suspects") are retried one at a
time with nothing else running, so one killer cannot take an innocent down with it; after
MAX_ATTEMPTS the student is recorded as an internal error (and graded again on resume).

Any exception in the parent (KeyboardInterrupt above all) kills every batch process and every
process below it, workers included (they run in sessions of their own, so a terminal's
Ctrl-C never reaches them, and they may not die with their parent): each tree is frozen
first, so nothing new starts while it is collected, then killed. Nothing is left running.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

import psutil

from grader.batch.process import Job, record_internal, serve
from grader.core import runner
from grader.sandbox.client import Zygote

MAX_ATTEMPTS = 3  # a batch process dying (not a student) is retried this many times per student
_POLL = 0.5  # seconds between looks at the processes (a Ctrl-C interrupts the wait at once)


class InterruptedAgain(KeyboardInterrupt):
    """Ctrl-C came again while the batch was stopping: stop at once, skip the class files."""


@dataclass
class _Slot:
    proc: multiprocessing.process.BaseProcess
    conn: multiprocessing.connection.Connection
    ready: bool = False
    job: Job | None = None
    suspect: bool = False
    why: str = ""  # why it could not start
    retiring: bool = False
    below: list = field(default_factory=list)  # its descendants when last looked at (workers)
    cpu: int | None = None  # the core it and its workers run on (free_cpu)


@dataclass
class _State:
    pending: deque = field(default_factory=deque)
    suspects: deque = field(default_factory=deque)
    attempts: Counter = field(default_factory=Counter)
    died: int = 0
    start_failures: int = 0
    started_once: bool = False
    last_why: str = ""


def run_pool(
    jobs_list: list[Job],
    workers: int,
    seed: int,
    topics: tuple[str, ...],
    finished: Callable[[dict], None],
    emit: Callable[[str, dict], None],
) -> int:
    """Grade ``jobs_list`` on ``workers`` processes; returns how many processes died."""
    st = _State(pending=deque(jobs_list))
    pin = bool(jobs_list) and jobs_list[0].settings.batch_cpus == "pin"
    slots: list[_Slot] = []
    # First: their TensorFlow import overlaps the fork server's (started with the first process).
    shared = _shared_zygotes(jobs_list, topics)
    try:
        ctx = _context()
        while st.pending or st.suspects or any(s.job for s in slots):
            _top_up(slots, st, workers, ctx, seed, topics, shared, pin)
            _dispatch(slots, st)
            waitables = [s.conn for s in slots] + [s.proc.sentinel for s in slots]
            multiprocessing.connection.wait(waitables, timeout=_POLL)
            for slot in list(slots):
                _read(slot, st, finished)
                _look_below(slot)
            for slot in list(slots):
                if not slot.proc.is_alive():
                    _read(slot, st, finished)  # a last message sent just before it exited
                    slots.remove(slot)
                    _buried(slot, st, finished, emit)
            if st.start_failures >= MAX_ATTEMPTS:
                why = st.last_why or "see stderr"
                for job in [*st.pending, *st.suspects]:
                    finished(record_internal(job, f"the grading processes could not start ({why})"))
                st.pending.clear()
                st.suspects.clear()
        _retire(slots)
    except BaseException:
        with _deferred_sigint() as again:
            # The shared zygotes too: the workers are below them (their clones), not below the processes.
            kill_trees([s.proc.pid for s in slots if s.proc.pid] + [z.proc.pid for z in shared.values() if z.proc.pid])
        if again():
            raise InterruptedAgain from None
        raise
    finally:
        for z in shared.values():
            z.close()
        _stop_fork_server()
    return st.died


PRELOAD = "grader.batch.preload"


def _context():
    """Batch processes are forked from a fork server that imported TensorFlow and the checks once
    (:mod:`grader.batch.preload`), where there is one (POSIX); elsewhere each is a fresh interpreter."""
    if "forkserver" not in multiprocessing.get_all_start_methods():  # pragma: no cover - Windows
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([PRELOAD])  # read when the server starts: with the batch's first process
    return ctx


def _stop_fork_server() -> None:
    """The fork server holds a TensorFlow (~0.7 GB): it goes with the batch that started it (whose
    processes are gone by now), so a process that grades several batches keeps nothing between
    them, and the next batch's server starts afresh, with that moment's environment and folder."""
    from multiprocessing import forkserver

    stop = getattr(forkserver._forkserver, "_stop", None)  # private, but the only way (3.10 to 3.14)
    if stop is not None:
        with contextlib.suppress(Exception):
            stop()


def _shared_zygotes(jobs_list: list[Job], topics: tuple[str, ...]) -> dict[str, Zygote]:
    """One zygote of each kind the topics need, for all the batch processes (each gets a clone):
    the worker side's TensorFlow is imported once per batch, not once per process."""
    if not jobs_list or jobs_list[0].settings.worker_start != "fork":
        return {}
    return runner.start_zygotes(runner.topic_zygote_kinds(topics))


def free_cpu(taken: list[int | None], processes: int) -> int | None:
    """The core a new batch process (and its workers) should run on: the first this process may use
    that no live one has, when there is a core for each of ``processes``; else None (not pinned).

    Pinned, a batch process and its workers share one core: a call to a worker is a switch on that
    core instead of a wake-up of the other, and caches stay warm (~5-9 % of a 20-student batch
    on 2 cores: ``benchmarks/bench_batch.py --share-rounds K``)."""
    if processes < 2 or not hasattr(os, "sched_getaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < processes:
        return None
    return next((c for c in cpus if c not in taken), None)


def _top_up(
    slots: list[_Slot],
    st: _State,
    workers: int,
    ctx,
    seed: int,
    topics: tuple[str, ...],
    shared: dict[str, Zygote],
    pin: bool = False,
) -> None:
    if st.suspects:  # suspects run alone: no need for more processes
        wanted = 1 if not slots else 0
    else:
        busy = sum(1 for s in slots if s.job)
        wanted = min(workers, len(st.pending) + busy) - len(slots)
    for _ in range(max(0, wanted)):
        parent_end, child_end = ctx.Pipe(duplex=True)
        clones = {kind: sock for kind, z in shared.items() if (sock := z.clone()) is not None}
        cpu = free_cpu([s.cpu for s in slots if s.proc.is_alive()], workers) if pin else None
        # The environment and folder of now: a fork server keeps those of the moment it started.
        args = (child_end, seed, topics, clones, dict(os.environ), os.getcwd(), cpu)
        proc = ctx.Process(target=serve, args=args, daemon=True, name="grader-batch")
        try:
            proc.start()
        finally:
            child_end.close()
            for sock in clones.values():
                sock.close()  # the process holds its own copy now
        slots.append(_Slot(proc, parent_end, cpu=cpu))


def _dispatch(slots: list[_Slot], st: _State) -> None:
    if any(s.job and s.suspect for s in slots):
        return
    idle = [s for s in slots if s.ready and s.job is None and not s.retiring]
    if st.suspects:
        if not any(s.job for s in slots) and idle:
            _send(idle[0], st.suspects.popleft(), suspect=True)
        return
    for slot in idle:
        if not st.pending:
            slot.retiring = True  # nothing left for it: let it go, and its memory with it
            _send_stop(slot)
            continue
        _send(slot, st.pending.popleft(), suspect=False)


def _send(slot: _Slot, job: Job, *, suspect: bool) -> None:
    slot.job, slot.suspect = job, suspect
    with contextlib.suppress(OSError):  # it died: found by the sentinel, and the job is charged then
        slot.conn.send(job)


def _send_stop(slot: _Slot) -> None:
    with contextlib.suppress(OSError):
        slot.conn.send(None)


def _read(slot: _Slot, st: _State, finished) -> None:
    while True:
        try:
            if not slot.conn.poll():
                return
            kind, payload = slot.conn.recv()
        except (EOFError, OSError):
            return
        if kind == "ready":
            slot.ready = True
            st.started_once = True
            st.start_failures = 0
        elif kind == "init_failed":
            slot.why = str(payload)
        elif kind in ("done", "failed") and slot.job is not None:
            job, slot.job, slot.suspect = slot.job, None, False
            if kind == "done":
                finished(payload)
            else:
                finished(record_internal(job, str(payload)))


def _look_below(slot: _Slot) -> None:
    """Remember a busy process's descendants: should it die, they are orphans to kill."""
    if slot.job is None:
        return
    with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, ValueError):
        slot.below = psutil.Process(slot.proc.pid).children(recursive=True)


def _buried(slot: _Slot, st: _State, finished, emit) -> None:
    slot.conn.close()
    for orphan in slot.below:  # psutil refuses to signal a pid that was reused since
        try:
            orphan.kill()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    if slot.retiring and slot.job is None:
        return
    st.died += 1
    if not slot.ready:
        st.start_failures += 1
        st.last_why = slot.why or f"exit code {slot.proc.exitcode}"
    job = slot.job
    if job is None:
        return
    name = job.student.name
    st.attempts[name] += 1
    if st.attempts[name] >= MAX_ATTEMPTS:
        finished(
            record_internal(
                job,
                f"the process grading this submission died {MAX_ATTEMPTS} times (did the submission kill "
                "its parent process or exhaust the machine's memory?)",
            )
        )
    else:
        emit("retry", {"students": [name]})
        st.suspects.append(job)


def _retire(slots: list[_Slot]) -> None:
    for slot in slots:
        _send_stop(slot)
    deadline = time.monotonic() + 10
    for slot in slots:
        slot.proc.join(max(0.0, deadline - time.monotonic()))
    kill_trees([s.proc.pid for s in slots if s.proc.is_alive() and s.proc.pid])
    for slot in slots:
        slot.conn.close()


def kill_trees(pids: list[int]) -> list[int]:
    """SIGKILL each process in ``pids`` and everything below it; returns the pids killed.

    Each process is stopped (SIGSTOP) before its children are listed, so it cannot start
    another one in between; the walk repeats until no new process turns up.
    """
    seen: dict[int, psutil.Process] = {}
    frontier = []
    for pid in pids:
        try:
            frontier.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            continue
    while frontier:
        nxt = []
        for proc in frontier:
            if proc.pid in seen:
                continue
            seen[proc.pid] = proc
            try:
                proc.suspend()
                nxt.extend(proc.children(recursive=False))
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
        frontier = nxt
    for proc in seen.values():
        try:
            proc.kill()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    psutil.wait_procs(list(seen.values()), timeout=5)
    return sorted(seen)


class _deferred_sigint:
    """Inside the block a Ctrl-C is only counted (killing the processes must not be cut short)."""

    def __enter__(self):
        self.count = 0
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._count)
        return lambda: self.count > 0

    def _count(self, signum, frame) -> None:
        self.count += 1

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
