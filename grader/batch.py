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
  then grade students one after another with :func:`grader.runner.run` in-process. Student
  code still never runs there: every student gets fresh worker processes (one per topic,
  :class:`grader.student.WorkerPool`), exactly as in ``grader run``.
* The ``tf`` / ``keras`` fixtures of a batch process are :mod:`grader.refcache` stand-ins: a
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

import concurrent.futures as cf
import contextlib
import csv
import gc
import datetime as _dt
import io
import json
import multiprocessing
import os
import re
import secrets
import shutil
import statistics
import tempfile
import time
import uuid
import zipfile
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable

import pytest

import grader
from grader.config import Settings
from grader.errors import UsageError
from grader.plugin import GraderPlugin
from grader.results import CheckResult, RunResult, TopicResult

Event = Callable[[str, dict], None]

RESERVED = {"index.html", "gradebook.csv", "junit.xml", "batch.json", "students"}
ZIP_MAX_FILES = 2000
ZIP_MAX_BYTES = 200 * 1024 * 1024  # uncompressed; a zip bomb stops here
MAX_ATTEMPTS = 3  # a batch process dying (not a student) is retried this many times per student


# ------------------------------------------------------------------------------ students


@dataclass(frozen=True)
class Student:
    name: str  # folder name under DIR
    path: Path  # the folder, .zip or .ipynb
    kind: str  # "dir" | "zip" | "ipynb"


def discover(submissions: Path) -> tuple[list[Student], list[str]]:
    """(students sorted by name, names of children that were ignored)."""
    if not submissions.exists():
        raise UsageError(f"submissions folder {submissions} does not exist",
                         fix="pass a folder with one sub-folder, .zip or .ipynb per student")
    if not submissions.is_dir():
        raise UsageError(f"{submissions} is not a folder",
                         fix="pass a folder with one sub-folder, .zip or .ipynb per student")
    students: dict[str, Student] = {}
    ignored: list[str] = []
    for child in sorted(submissions.iterdir(), key=lambda p: p.name):
        name = child.name
        if name.startswith(".") or name in ("__MACOSX", "__pycache__"):
            continue
        if child.is_dir():
            kind, stem = "dir", name
        elif child.is_file() and name.lower().endswith(".zip"):
            kind, stem = "zip", name[:-4]
        elif child.is_file() and name.lower().endswith(".ipynb"):
            kind, stem = "ipynb", name[:-6]
        else:
            ignored.append(name)
            continue
        stem = _safe_name(stem)
        if stem in students:
            raise UsageError(
                f"two submissions are both named {stem!r} ({students[stem].path.name} and {name})",
                fix="keep one folder, .zip or .ipynb per student",
            )
        students[stem] = Student(stem, child, kind)
    return [students[k] for k in sorted(students)], ignored


def _safe_name(stem: str) -> str:
    stem = stem.strip().replace("/", "_").replace("\\", "_").replace("\x00", "")
    if not stem or stem.startswith(".") or stem in RESERVED or stem.startswith("batch-"):
        stem = f"student-{stem.lstrip('.') or 'unnamed'}"
    return stem


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``"i/n"`` (1 <= i <= n) -> (i, n)."""
    if text is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not m or not (1 <= int(m.group(1)) <= int(m.group(2))):
        raise UsageError(f"--shard must look like i/n with 1 <= i <= n, not {text!r}",
                         fix="e.g. --shard 2/8 grades the second of eight slices")
    return int(m.group(1)), int(m.group(2))


def select_shard(students: list[Student], shard: tuple[int, int] | None) -> list[Student]:
    """Round-robin over the sorted names: shard i/n takes students i-1, i-1+n, i-1+2n, ..."""
    if shard is None:
        return list(students)
    i, n = shard
    return sorted(students, key=lambda s: s.name)[i - 1 :: n]


def manifest_name(shard: tuple[int, int] | None) -> str:
    return "batch.json" if shard is None else f"batch-{shard[0]}-of-{shard[1]}.json"


# ------------------------------------------------------------------- one batch process


class _Process:
    """Per-process state: TF imported once, the reference cache, the collected checks."""

    cache = None
    tf = None
    keras = None
    checks: dict[tuple[str, ...], list] = {}


def _init_process(seed: int, topics: tuple[str, ...] = (), quiet_tf: bool = True) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _stderr_silenced(quiet_tf):  # TF's C++ start-up chatter would break the progress bar
        import keras
        import tensorflow

        tensorflow.constant(1.0) + 1.0  # create the eager context now, not inside the first check
    from grader import runner
    from grader.refcache import RefCache, wrap

    try:  # import the check modules once, before freezing
        _checks_for(tuple(runner.resolve_topics(list(topics))))
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

    @pytest.fixture(scope="session")
    def tf(self):
        return _Process.tf

    @pytest.fixture(scope="session")
    def keras(self, tf):
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
    from grader import runner

    student, seed = job.student, job.settings.seed
    topics = list(job.settings.topics)
    replay = f"grader run {' '.join(topics)} --submission {student.path} --seed {seed}".replace("  ", " ")
    if student.kind == "zip":
        replay += f"  (after unzipping {student.path.name})"
    with tempfile.TemporaryDirectory(prefix="grader-batch-") as scratch:
        try:
            path = _materialize(student, Path(scratch))
            result = runner.run(replace(job.settings, submission=path), plugin_factory=BatchPlugin)
        except UsageError as exc:  # the submission cannot be graded as handed in
            msg = exc.message + (f" ({exc.fix})" if exc.fix else "")
            return failed_result(student, job.settings, msg, internal=False, replay=replay)
        except _BadSubmission as exc:
            return failed_result(student, job.settings, str(exc), internal=False, replay=replay)
        except Exception as exc:  # noqa: BLE001 - the grader broke on this student; the batch goes on
            msg = f"internal grader error while grading this submission ({type(exc).__name__}: {exc})"
            return failed_result(student, job.settings, msg, internal=True, replay=replay)
    return replace(result, submission=str(student.path), replay=replay)


class _BadSubmission(Exception):
    pass


def _materialize(student: Student, scratch: Path) -> Path:
    if student.kind in ("dir", "ipynb"):
        return student.path  # runner.run copies folders; notebooks go where `grader run` sends them
    return _extract_zip(student.path, scratch / "zip")


def _extract_zip(path: Path, dest: Path) -> Path:
    """Extract safely (no absolute paths, no '..', no links, bounded size) and find the root."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _BadSubmission(f"{path.name} is not a readable zip archive ({exc})") from None
    with zf:
        members = [m for m in zf.infolist() if not m.is_dir()]
        if len(members) > ZIP_MAX_FILES:
            raise _BadSubmission(f"{path.name} holds {len(members)} files; at most {ZIP_MAX_FILES} are accepted")
        if sum(m.file_size for m in members) > ZIP_MAX_BYTES:
            raise _BadSubmission(f"{path.name} unpacks to more than {ZIP_MAX_BYTES // 2**20} MB")
        dest.mkdir(parents=True)
        for m in members:
            parts = Path(m.filename.replace("\\", "/")).parts
            if not parts or m.filename.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
                raise _BadSubmission(f"{path.name} contains an unsafe path: {m.filename!r}")
            if parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts):
                continue
            if (m.external_attr >> 16) & 0o170000 == 0o120000:  # symbolic link
                continue
            target = dest.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            try:
                with zf.open(m) as src, open(target, "wb") as dst:
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        if written > ZIP_MAX_BYTES:
                            raise _BadSubmission(f"{path.name} unpacks to more than {ZIP_MAX_BYTES // 2**20} MB")
                        dst.write(chunk)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError) as exc:
                raise _BadSubmission(f"{path.name}: cannot extract {m.filename!r} ({exc})") from None
    root = dest
    while True:  # students often zip the folder rather than its contents
        entries = [p for p in root.iterdir() if not p.name.startswith(".")]
        if len(entries) == 1 and entries[0].is_dir() and not any(root.glob("*.py")):
            root = entries[0]
        else:
            return root


def _checks_for(topics: tuple[str, ...]) -> list:
    if topics not in _Process.checks:
        from grader import runner

        _Process.checks[topics] = runner.collect(list(topics))
    return _Process.checks[topics]


def failed_result(student: Student, settings: Settings, message: str, *, internal: bool,
                  replay: str = "") -> RunResult:
    """A complete result (every check ``error``) for a submission that could not be graded."""
    from grader import runner
    from grader.topics import BY_SLUG

    topics = tuple(runner.resolve_topics(settings.topics))
    by_topic: dict[str, list[CheckResult]] = {t: [] for t in topics}
    for cid, meta in _checks_for(topics):
        by_topic[meta.topic].append(CheckResult(
            id=cid, topic=meta.topic, name=cid.split("::", 1)[1], function=meta.function, title=meta.title,
            status="error", points=0.0, max_points=meta.points, message=message, hint="",
            internal_error=internal, hidden=meta.hidden,
        ))
    topic_results = tuple(
        TopicResult(topic=t, title=BY_SLUG[t].title, score=0.0,
                    max_score=round(sum(c.max_points for c in by_topic[t]), 4),
                    checks=tuple(by_topic[t]), status="error", message=message)
        for t in topics
    )
    versions = {"tensorflow_version": "", "keras_version": "", "numpy_version": "", "python_version": ""}
    try:
        versions = runner._versions()
    except Exception:  # noqa: BLE001
        pass
    return RunResult(
        grader_version=grader.__version__, seed=int(settings.seed), submission=str(student.path),
        score=0.0, max_score=round(sum(t.max_score for t in topic_results), 4), topics=topic_results,
        started_at=_now(), duration=0.0, replay=replay, **versions,
    )


def write_student_outputs(result: RunResult, folder: Path, audience: str, lang: str | None = None) -> None:
    from grader import gradescope, report

    report.write_reports(result, folder, audience, lang=lang)
    if audience == "student":  # the same redaction as results.json and the reports
        result = report.redact_hidden(result)
    data = gradescope.to_gradescope(result, audience)
    report._atomic_write(folder / "gradescope.json", json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _deliver(job: Job, result: RunResult) -> None:
    """Write DIR/<student>/ complete or not at all, then the instructor's unredacted copy."""
    tmp = job.out / f".{job.student.name}.partial-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir(parents=True)
        write_student_outputs(result, tmp, job.audience, getattr(job.settings, "lang", None))
        _publish(tmp, job.out / job.student.name)
        _write_instructor_copy(job.out, job.student.name, result)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


INSTRUCTOR_DIR = ".instructor"  # DIR/.instructor/<student>.json: unredacted results for the dashboard


def _write_instructor_copy(out: Path, name: str, result: RunResult) -> None:
    """The unredacted results beside (not inside) the student's folder, which may be handed back."""
    from grader.report import _atomic_write

    folder = out / INSTRUCTOR_DIR
    folder.mkdir(exist_ok=True)
    _atomic_write(folder / f"{name}.json", json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")


def _publish(tmp: Path, final: Path) -> None:
    """Replace ``final`` by the complete folder ``tmp`` (rename: atomic on one filesystem)."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
        os.rename(final, old)
    os.rename(tmp, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


# ------------------------------------------------------------------------- the batch


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


def read_manifests(out: Path) -> list[dict]:
    found = []
    for p in sorted(out.glob("batch*.json")):
        try:
            found.append(json.loads(p.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return found


def graded_students(out: Path) -> list[str]:
    if not out.is_dir():
        return []
    return sorted(p.name for p in out.iterdir()
                  if not p.name.startswith(".") and (p / "results.json").is_file())


def resolve_seed(out: Path, seed: int | None, topics: list[str], shard, force: bool) -> int:
    """One seed per batch: reuse the recorded one on resume, refuse silent mixing."""
    recorded = read_manifests(out)
    seeds = {m.get("seed") for m in recorded if isinstance(m.get("seed"), int)}
    done = graded_students(out)
    if seed is None:
        if len(seeds) == 1:
            return seeds.pop()
        if len(seeds) > 1:
            raise UsageError(f"{out} holds batches with different seeds ({sorted(seeds)})",
                             fix="pass --seed, or use a fresh --out folder")
        if shard is not None:
            raise UsageError("--shard needs --seed, so that every shard gives students the same inputs",
                             fix="pick one seed for the whole class, e.g. --seed 20261127, and pass it to every shard")
        return secrets.randbelow(2**31)
    if seeds and seeds != {seed} and done and not force:
        raise UsageError(
            f"{out} was graded with seed {sorted(seeds)[0]}, not {seed}; mixing seeds would give students different inputs",
            fix=f"pass --seed {sorted(seeds)[0]} to resume, --force to regrade everyone, or use a fresh --out folder",
        )
    for m in recorded:
        if m.get("topics") and m["topics"] != topics and done and not force:
            raise UsageError(
                f"{out} was graded for topics {' '.join(m['topics'])}, not {' '.join(topics)}",
                fix="grade the same topics to resume, --force to regrade everyone, or use a fresh --out folder",
            )
    return seed


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
    from grader import runner

    emit = on_event or (lambda kind, info: None)
    started = time.monotonic()
    topics = runner.resolve_topics(settings.topics)
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
        "students": [s.name for s in mine], "jobs": jobs, "started_at": _now(), "finished_at": None,
    }
    manifest_path = out / manifest_name(shard)
    _write_json(manifest_path, manifest)  # recorded first: a resumed run reuses this seed
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
    manifest.update(finished_at=_now(), duration=round(time.monotonic() - started, 3), reference_cache=dict(cache),
                    failed_processes=summary.failed_processes)
    _write_json(manifest_path, manifest)
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


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


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


def _record_internal(job: Job, why: str) -> dict:
    """Write an internal-error result for a student from the parent process."""
    result = failed_result(job.student, job.settings, f"internal grader error: {why}", internal=True)
    _deliver(job, result)
    return {"name": job.student.name, "score": 0.0, "max_score": result.max_score, "all_passed": False,
            "internal_errors": len(result.internal_errors), "seconds": 0.0, "cache": {}}


def _write_json(path: Path, data: dict) -> None:
    from grader.report import _atomic_write

    _atomic_write(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


# ------------------------------------------------------------------------ class outputs


def load_results(folder: Path, *, instructor: bool = True) -> dict[str, RunResult]:
    """Every graded student's results by name (unreadable ones are skipped).

    ``instructor``: prefer the unredacted copy in DIR/.instructor/ (hidden checks in full) over
    the student's own DIR/<student>/results.json.
    """
    out = {}
    for name in graded_students(folder):
        paths = [folder / name / "results.json"]
        if instructor:
            paths.insert(0, folder / INSTRUCTOR_DIR / f"{name}.json")
        for path in paths:
            try:
                out[name] = RunResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
                break
            except (OSError, ValueError, TypeError, KeyError):
                continue
    return out


_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def clean(text: Any, limit: int = 4000) -> str:
    """Text safe for XML/HTML attributes and bodies (escaping is the templates' job)."""
    text = _INVALID_XML.sub("\ufffd", str(text))
    return text if len(text) <= limit else text[:limit] + " …"


def misconception_key(message: str) -> str:
    """The first line of a message with numbers blanked, so equal mistakes group together."""
    first = (message.strip().splitlines() or [""])[0]
    return re.sub(r"\s+", " ", _NUMBER.sub("#", first)).strip()[:200]


@lru_cache(maxsize=1)
def environment():
    """Jinja2 environment for class outputs: autoescaped HTML and XML."""
    import jinja2

    from grader import report

    base = report.environment()
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(report.template_dir())),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2", "xml", "xml.j2"),
                                            default_for_string=True, default=True),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters.update(base.filters)
    env.globals.update(base.globals)
    return env


def class_data(results: dict[str, RunResult], meta: dict | None = None) -> dict:
    """Everything the dashboard, gradebook and JUnit file show, as plain data."""
    from grader.topics import TOPICS

    order = {t.slug: i for i, t in enumerate(TOPICS)}
    names = sorted(results)
    topics = sorted({t.topic for r in results.values() for t in r.topics}, key=lambda t: order.get(t, 99))
    titles = {t.topic: t.title for r in results.values() for t in r.topics}
    students, checks, groups = [], {}, {}
    for name in names:
        r = results[name]
        counts = Counter(c.status for t in r.topics for c in t.checks)
        per_topic = {t.topic: t for t in r.topics}
        students.append({
            "name": name, "score": r.score, "max_score": r.max_score,
            "percent": 100.0 * r.score / r.max_score if r.max_score else 0.0,
            "topics": {t: (per_topic[t].score if t in per_topic else None) for t in topics},
            "topic_max": {t: (per_topic[t].max_score if t in per_topic else None) for t in topics},
            "counts": {s: counts.get(s, 0) for s in ("passed", "failed", "error", "timeout", "not_attempted")},
            "internal_errors": len(r.internal_errors), "seed": r.seed, "duration": r.duration,
            "topic_messages": [clean(f"{t.topic}: {t.message}", 300) for t in r.topics if t.message],
        })
        for t in r.topics:
            for c in t.checks:
                row = checks.setdefault(c.id, {
                    "id": c.id, "topic": c.topic, "title": clean(c.title, 300), "function": c.function,
                    "points": c.max_points, "counts": Counter(), "n": 0,
                })
                row["counts"][c.status] += 1
                row["n"] += 1
                if c.status in ("failed", "error", "timeout") and c.message:
                    key = (c.id, c.status, misconception_key(c.message))
                    g = groups.setdefault(key, {"check": c.id, "title": clean(c.title, 300), "status": c.status,
                                                "pattern": clean(key[2], 300), "example": clean(c.message, 1200),
                                                "hint": clean(c.hint, 500), "students": []})
                    g["students"].append(name)
    n = len(names)
    check_rows = []
    for row in sorted(checks.values(), key=lambda r: (order.get(r["topic"], 99), r["id"])):
        passed = row["counts"]["passed"]
        check_rows.append({**row, "counts": dict(row["counts"]), "passed": passed,
                           "pass_rate": 100.0 * passed / row["n"] if row["n"] else 0.0})
    misconceptions = sorted(groups.values(), key=lambda g: (-len(g["students"]), g["check"]))[:25]
    for g in misconceptions:
        g["count"] = len(g["students"])
        g["share"] = 100.0 * g["count"] / n if n else 0.0
    percents = [s["percent"] for s in students]
    bins = [0] * 10
    for p in percents:
        bins[min(int(p // 10), 9)] += 1
    peak = max(bins) if any(bins) else 1
    histogram = [{"label": f"{10 * i}–{10 * i + 10}%", "count": c, "height": 100.0 * c / peak} for i, c in enumerate(bins)]
    seeds = sorted({s["seed"] for s in students})
    tf_versions = sorted({r.tensorflow_version for r in results.values() if r.tensorflow_version})
    return {
        "n": n, "topics": topics, "titles": titles, "students": students, "checks": check_rows,
        "misconceptions": misconceptions, "histogram": histogram,
        "stats": {
            "mean": statistics.fmean(percents) if percents else 0.0,
            "median": statistics.median(percents) if percents else 0.0,
            "min": min(percents) if percents else 0.0, "max": max(percents) if percents else 0.0,
            "full_marks": sum(1 for p in percents if p >= 100.0 - 1e-9),
            "internal_errors": sum(s["internal_errors"] for s in students),
        },
        "seeds": seeds, "tensorflow_versions": tf_versions, "generated_at": _now(),
        "grader_version": grader.__version__, **(meta or {}),
    }


def gradebook_csv(data: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", "total", "max_total", "percent", *data["topics"]])
    for s in data["students"]:
        name = s["name"]
        if name[:1] in ("=", "+", "-", "@", "\t", "\r"):  # keep spreadsheets from running formulas
            name = "'" + name
        w.writerow([name, f"{s['score']:g}", f"{s['max_score']:g}", f"{s['percent']:.2f}",
                    *("" if s["topics"][t] is None else f"{s['topics'][t]:g}" for t in data["topics"])])
    return buf.getvalue()


def write_class_outputs(out: Path, results: dict[str, RunResult], meta: dict | None = None) -> dict[str, Path]:
    """gradebook.csv, junit.xml and index.html in ``out``, each written atomically."""
    from grader import junit
    from grader.report import _atomic_write

    data = class_data(results, meta)
    paths = {"gradebook": out / "gradebook.csv", "junit": out / "junit.xml", "dashboard": out / "index.html"}
    _atomic_write(paths["gradebook"], gradebook_csv(data))
    _atomic_write(paths["junit"], junit.render(results))
    _atomic_write(paths["dashboard"], environment().get_template("dashboard.html.j2").render(d=data))
    return paths


# ------------------------------------------------------------------------------- merge


def merge(dirs: Iterable[Path], out: Path, *, on_event: Event | None = None) -> dict[str, Any]:
    """Combine batch output folders (e.g. one per shard) into ``out``: students + class files.

    Student folders are copied into ``out`` (atomically, like a batch) unless ``out`` is the
    folder they are in. Every student must have been graded with the same seed.
    """
    emit = on_event or (lambda kind, info: None)
    dirs = [Path(d) for d in dirs]
    for d in dirs:
        if not d.is_dir():
            raise UsageError(f"{d} is not a batch output folder", fix="pass the --out folders of `grader batch`")
    out.mkdir(parents=True, exist_ok=True)
    owner: dict[str, Path] = {}
    for d in dirs:
        for name in graded_students(d):
            if name in owner and owner[name].resolve() != d.resolve():
                raise UsageError(f"student {name!r} was graded in both {owner[name]} and {d}",
                                 fix="merge the outputs of disjoint shards (same --shard n, different i)")
            owner[name] = d
    if not owner:
        raise UsageError("no graded students found in " + ", ".join(map(str, dirs)),
                         fix="pass the --out folders of `grader batch` runs")
    for name, d in sorted(owner.items()):
        if d.resolve() == out.resolve():
            continue
        tmp = out / f".{name}.partial-{uuid.uuid4().hex[:8]}"
        try:
            shutil.copytree(d / name, tmp, symlinks=False)
            _publish(tmp, out / name)
            full = d / INSTRUCTOR_DIR / f"{name}.json"
            if full.is_file():
                (out / INSTRUCTOR_DIR).mkdir(exist_ok=True)
                shutil.copyfile(full, out / INSTRUCTOR_DIR / f"{name}.json")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        emit("student", {"name": name})
    results = {name: r for name, r in load_results(out).items() if name in owner}
    seeds = sorted({r.seed for r in results.values()})
    if len(seeds) > 1:
        raise UsageError(f"the folders were graded with different seeds: {seeds}",
                         fix="regrade with one --seed for every shard")
    manifests = [m for d in dirs for m in read_manifests(d)]
    meta = {"seed": seeds[0] if seeds else None, "merged_from": [str(d) for d in dirs]}
    paths = write_class_outputs(out, results, meta=meta)
    if out.resolve() not in {d.resolve() for d in dirs}:
        _write_json(out / "batch.json", {
            "grader_version": grader.__version__, "seed": meta["seed"],
            "topics": next((m.get("topics") for m in manifests if m.get("topics")), None),
            "shard": None, "merged_from": meta["merged_from"], "students": sorted(results),
            "finished_at": _now(),
        })
    return {"students": sorted(results), "paths": paths, "seed": meta["seed"],
            "all_passed": all(r.all_passed for r in results.values()),
            "internal_errors": sum(len(r.internal_errors) for r in results.values())}


__all__ = [
    "BatchPlugin", "BatchSummary", "Job", "Student", "class_data", "discover", "failed_result",
    "grade_student", "load_results", "merge", "parse_shard", "run_batch", "select_shard",
    "write_class_outputs",
]
