"""``grader batch --scheduler``: grade a class as Dask tasks, recorded here by the client.

A Dask worker process is a batch process (:mod:`grader.batch.process`): it imports TensorFlow
once, at its first student, and then grades one student per task with the same reference cache
and reference store. Student code still never runs in it: every student gets fresh sandboxed
workers (:mod:`grader.sandbox`), started by the Dask worker on its own machine.

What travels:

* to a Dask worker: the :class:`~grader.batch.process.Job` and a copy of the submission
  (:func:`pack`: the files, symlinks kept as symlinks, never followed, so nothing of the
  client's machine rides along), unpacked into a scratch folder there. The workers need no
  shared filesystem; a relative ``reference_cache`` folder is made absolute here, so it is one
  folder when the workers share this machine's filesystem (otherwise each worker machine keeps
  its own store under its own cache folder);
* back: the result model, the graded sources and the process's counters. Only the client
  writes ``DIR`` (:func:`grader.batch.process.record_graded`), with the local pool's atomic,
  resumable layout.

How it is robust, as the local pool: a task that raises on a worker (the grader broke) and a
worker that dies too often (Dask's ``distributed.scheduler.allowed-failures``, then
``KilledWorker``) are internal errors for that student alone, graded again on the next run. A
Dask worker that cannot confine student code (strict sandbox) or runs another tfgrader version
stops the batch with a usage error before it grades anyone. On any exception here (Ctrl-C
above all) every future is cancelled; what finished is recorded, nothing half-graded is. A task
already running on a worker cannot be stopped from here: it finishes there and is thrown away.

Security: Dask workers run whatever pickled task reaches their scheduler; the scheduler port
must never be reachable from student code or students (see the README).
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import tempfile
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import grader
from grader.batch.pool import InterruptedAgain, _deferred_sigint
from grader.batch.process import Job, grade_unrecorded, record_graded, record_internal, submission_info
from grader.core import runner
from grader.errors import UsageError

INSTALL_FIX = "install the Dask extra: pip install 'tfgrader[dask]'"
MAX_SHIP_BYTES = 256 * 1024 * 1024  # one submission's files sent to a worker; more is not a homework
_WINDOW_PER_THREAD = 2  # tasks in flight per worker thread: workers never wait, the client holds little

_lock = threading.Lock()  # one student at a time per worker process, however many threads it has
_refusal: dict[str | None, str | None] = {}  # sandbox mode -> why this worker cannot grade (None: it can)


def _distributed():
    try:
        import distributed
    except ImportError as exc:
        raise UsageError(
            f"--scheduler needs Dask's distributed scheduler, which is not installed ({exc})", fix=INSTALL_FIX
        ) from None
    return distributed


@contextlib.contextmanager
def connect(address: str, sandbox: str | None) -> Iterator[object]:
    """A Dask client of the scheduler at ``address``, after checking its current workers.

    A wrong or unreachable address is a usage error (exit 2): the connection attempt lasts
    Dask's ``distributed.comm.timeouts.connect`` (default 30 s; environment variable
    ``DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT``).
    """
    distributed = _distributed()
    try:
        client = distributed.Client(address, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise UsageError(
            f"cannot reach the Dask scheduler at {address} ({type(exc).__name__}: {exc})",
            fix="pass the scheduler's address as printed by `dask scheduler` or `cluster.scheduler_address` "
            "(e.g. --scheduler tcp://10.0.0.5:8786), and check that it is running and reachable from here",
        ) from None
    try:
        for worker, why in client.run(probe_worker, sandbox).items():
            _refuse(worker, why)
        yield client
    finally:
        with contextlib.suppress(Exception):
            client.close()


def probe_worker(sandbox: str | None) -> str | None:
    """(On a Dask worker.) Why this worker cannot grade for this client, or None."""
    if sandbox not in _refusal:
        from grader.sandbox.client import require

        try:
            require(sandbox)
        except UsageError as exc:
            _refusal[sandbox] = exc.message + (f" ({exc.fix})" if exc.fix else "")
        else:
            _refusal[sandbox] = None
    why = _refusal[sandbox]
    return f"version:{grader.__version__}" if why is None else why


def _refuse(worker: str, why: str | None) -> None:
    if why == f"version:{grader.__version__}":
        return
    if why and why.startswith("version:"):
        raise UsageError(
            f"the Dask worker {worker} runs tfgrader {why.removeprefix('version:')}, this client "
            f"{grader.__version__}: a class must be graded by one grader",
            fix="install the same tfgrader (and TensorFlow) on every worker and here",
        )
    raise UsageError(f"the Dask worker {worker} cannot grade: {why}")


def total_threads(client) -> int:
    return sum(client.nthreads().values())


def run_dask(
    client,
    jobs_list: list[Job],
    finished: Callable[[dict], None],
    emit: Callable[[str, dict], None],
) -> int:
    """Grade ``jobs_list`` as tasks on ``client``'s cluster, recording each student here as it
    comes back; returns how many students' workers died (``KilledWorker``)."""
    distributed = _distributed()
    pending = deque(jobs_list)
    running: dict[str, tuple[object, Job]] = {}
    done = distributed.as_completed(loop=client.loop)  # this client: it is not the default one
    died = 0

    def top_up() -> None:
        window = max(_WINDOW_PER_THREAD, _WINDOW_PER_THREAD * total_threads(client))
        while pending and len(running) < window:
            job = pending.popleft()
            try:
                packed = pack(job.student.path)
            except (OSError, ValueError) as exc:  # the client cannot read it: the student's problem
                finished(_ungradable(job, str(exc)))
                continue
            key = f"grade-{job.student.name}-{uuid.uuid4().hex[:8]}"
            future = client.submit(grade_remote, _portable(job), packed, pure=False, key=key)
            running[future.key] = (future, job)
            done.add(future)

    try:
        top_up()
        for future in done:
            _, job = running.pop(future.key)
            if future.status == "finished":
                graded = future.result()
                if "refused" in graded:
                    _refuse(graded["worker"], graded["refused"])
                finished(record_graded(job, graded, submission_info(job)))
            elif isinstance(exc := _exception(future), distributed.KilledWorker):
                died += 1
                finished(
                    record_internal(
                        job,
                        "the Dask worker grading this submission died every time it was tried (did the submission "
                        f"kill its parent process or exhaust the machine's memory?) ({exc})",
                    )
                )
            else:
                finished(record_internal(job, f"on the Dask worker: {type(exc).__name__}: {exc}"))
            del future
            top_up()
    except BaseException:
        with _deferred_sigint() as again, contextlib.suppress(Exception):
            client.cancel([f for f, _ in running.values()], force=True)
        if again():
            raise InterruptedAgain from None
        raise
    return died


def _exception(future) -> BaseException:
    try:
        exc = future.exception()
    except BaseException as why:  # noqa: BLE001 - cancelled or lost: the reason is the exception itself
        exc = why
    return exc if exc is not None else RuntimeError(f"task ended as {future.status}")


def _portable(job: Job) -> Job:
    """The job as a worker elsewhere must see it: a relative reference store folder made absolute."""
    folder = job.settings.reference_cache
    if folder and folder.strip().lower() != "off" and not Path(folder).expanduser().is_absolute():
        return replace(job, settings=replace(job.settings, reference_cache=str(Path(folder).resolve())))
    return job


def _ungradable(job: Job, why: str) -> dict:
    result = runner.failed_result(
        job.student.path, job.settings, f"the submission could not be sent to the cluster: {why}", internal=False
    )
    graded = {"result": result, "sources": {}, "seconds": 0.0, "cache": {}, "references": {}, "pid": os.getpid()}
    return record_graded(job, graded, submission_info(job))


def grade_remote(job: Job, packed: dict) -> dict:
    """(The Dask task.) Grade one student from a shipped copy; nothing is written but scratch."""
    with _lock:
        why = probe_worker(job.settings.sandbox)
        if why != f"version:{grader.__version__}":
            return {"refused": why, "worker": socket.gethostname()}
        with tempfile.TemporaryDirectory(prefix="grader-dask-") as scratch:
            path = unpack(packed, Path(scratch))
            graded = grade_unrecorded(job, path)
        return {**graded, "host": socket.gethostname()}


def pack(path: Path) -> dict:
    """A submission (folder, .zip or .ipynb) as plain data: files with their bytes and times,
    symlinks as their target text (not followed), anything else left out."""
    entries: list[tuple[str, str, bytes | str, float]] = []
    size = 0

    def add(rel: str, full: Path) -> None:
        nonlocal size
        st = os.lstat(full)
        if stat.S_ISLNK(st.st_mode):
            entries.append((rel, "link", os.readlink(full), st.st_mtime))
        elif stat.S_ISREG(st.st_mode):
            size += st.st_size
            if size > MAX_SHIP_BYTES:
                raise ValueError(f"more than {MAX_SHIP_BYTES // 2**20} MB of files")
            with open(full, "rb") as fh:
                entries.append((rel, "file", fh.read(), st.st_mtime))
        elif stat.S_ISDIR(st.st_mode):
            entries.append((rel, "dir", b"", st.st_mtime))

    if path.is_dir() and not path.is_symlink():
        for root, dirs, files in os.walk(path):  # followlinks=False: a linked folder is a link
            base = Path(root)
            for name in sorted(dirs + files):
                add(str((base / name).relative_to(path)), base / name)
        return {"name": path.name, "kind": "dir", "entries": entries}
    add(path.name, path)
    return {"name": path.name, "kind": "file", "entries": entries}


def unpack(packed: dict, scratch: Path) -> Path:
    """Rebuild :func:`pack`'s submission under ``scratch``; returns its path there."""
    top = scratch / packed["name"]
    root = top if packed["kind"] == "dir" else scratch
    root.mkdir(parents=True, exist_ok=True)
    times = []
    for rel, kind, data, mtime in packed["entries"]:
        target = root / rel
        if ".." in Path(rel).parts or Path(rel).is_absolute():
            continue  # not something pack() makes
        target.parent.mkdir(parents=True, exist_ok=True)
        if kind == "dir":
            target.mkdir(exist_ok=True)
        elif kind == "link":
            os.symlink(data, target)
            continue
        else:
            target.write_bytes(data)
        times.append((target, mtime))
    for target, mtime in reversed(times):  # folders last, after their files changed them
        with contextlib.suppress(OSError):
            os.utime(target, (mtime, mtime))
    return top
