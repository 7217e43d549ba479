"""Soak: grade a generated class of N students in ONE `grader batch` and watch its processes.

The class (students graded in name order, kinds shuffled with a fixed seed):

* correct: copies of solutions/ for every topic (most of the class);
* mutated (40%): one realistic mistake each from tests/mutants/<topic>.py, cycling through the
  catalogue (topic by topic, round robin), every other topic correct;
* hostile (5 for a small class, up to all of them for 200): solutions/ everywhere except one
  module that attacks the machine -- `fork_daemon` (a native fork through ctypes, setsid, a
  daemon that keeps writing outside its folder), `write_outside` (writes into this benchmark's
  folder, a classmate's code and the batch's out folder), `memory_hog` (allocates until the
  memory limit stops it and keeps it), `infinite_loop` (a function that never returns),
  `segfault` (crashes its worker) -- or a cheater from tests/cheaters/<topic>.py (the course
  notes' numbers, garbage elsewhere).

It calls grader.batch.run.run_batch in this process (strict sandbox, as `grader batch`), so this
process is the batch's parent: every finished-student event carries the grading process's pid,
RSS, peak RSS (ru_maxrss) and open fd count, and a monitor thread walks this process's tree
with psutil every 0.5 s. This process is made a child subreaper first, so anything a submission
forks stays in that tree even if it escapes its worker.

Reports, at students 20, 100 and 200 (for a class under 200: N/10 but at least --jobs, N/2, N):

* throughput: students per minute overall (wall time from the batch's start) and after warm-up
  (from the first point to the end), and the wall time;
* per batch process: RSS, peak RSS and open fds at each point (its last report at or before
  it); PASS when the peak at the later points stays within 10% of the one at the first point;
* open fds: PASS when no batch process gains more than FD_SLACK fds after the first point and
  this process (the parent) holds no more fds at the end than before the batch;
* leftover processes: anything the batch started still alive at the end; must be 0 (found ones
  are killed after the count). multiprocessing's resource tracker, which lives as long as this
  process, is not counted;
* containment: nothing a hostile submission wrote outside its folder exists, the classmate's
  code is unchanged, and the grader's temporary folders are all gone;
* verdicts: every correct student gets full marks, every mutated and hostile one loses points,
  and no student has an internal grader error.

Exit code 1 when a PASS/FAIL line fails.

    python benchmarks/bench_soak.py                  # 200 students, --jobs 2, 8 topics (~1 h)
    python benchmarks/bench_soak.py --students 20    # a quick run
    python benchmarks/bench_soak.py [--students N] [--jobs J] [--topics T ...] [--seed S] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import hashlib
import multiprocessing
import multiprocessing.util
import os
import random
import shutil
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DEFAULT_TOPICS = [
    "activations",
    "initializers",
    "models",
    "losses",
    "backprop",
    "optimizers",
    "schedules",
    "regularization",
]
POINTS = (20, 100, 200)
MEMORY_TOLERANCE = 0.10  # peak RSS after warm-up may exceed the one at the first point by this fraction
FD_SLACK = 2  # fds a batch process may open once after warm-up (a lazily created TF thread pool's eventfd)
MUTATED_SHARE = 0.4
SAMPLE_EVERY = 0.5  # seconds between the monitor's walks of the process tree
HOSTILE_TOPIC = "activations"  # where the attacks live (a numpy topic: its worker starts fast)

# Each attack replaces activations.py: the reference solution with this code in front (run at
# import, in the worker) and, for some, a function body replaced ("breaks": that function is
# wrong, so the student must lose points; the others are correct code whose attack the sandbox
# must make harmless, and may score anything). {canary} etc. are filled in.
ATTACKS: dict[str, dict[str, str]] = {
    "fork_daemon": {
        "prelude": r"""
import ctypes as _c, os as _os, time as _t
def _daemon():
    libc = _c.CDLL(None, use_errno=True)
    pid = libc.fork()  # native code: no audit hook sees it
    if pid == 0:
        libc.setsid()
        null = _os.open(_os.devnull, _os.O_RDWR)
        for fd in (0, 1, 2):
            _os.dup2(null, fd)
        end = _t.time() + {lifetime}
        while _t.time() < end:  # keeps writing outside its folder for the rest of the soak
            try:
                with open({daemon_canary!r}, "a") as fh:
                    fh.write("still here\n")
            except OSError:
                pass
            _t.sleep(1)
        libc._exit(0)
try:
    _daemon()
except OSError:
    pass
""",
    },
    "write_outside": {
        "prelude": r"""
import os as _os
for _path, _mode in (({canary!r}, "w"), ({classmate!r}, "a"), ({out_file!r}, "w")):
    try:
        with open(_path, _mode) as _fh:
            _fh.write("\n# written by a hostile submission\n")
    except OSError:
        pass
""",
    },
    "memory_hog": {
        "prelude": r"""
_HOARD = []
def _hog():
    if not _HOARD:
        try:
            while True:  # written, so resident: a zeroed allocation might not be
                _HOARD.append(b"\x01" * (128 << 20))
        except MemoryError:
            pass
    return bytearray(1 << 30)  # one more GB: fails at once while the hoard is kept
""",
        "function": "softmax",
        "body": "_hog()\nreturn x",
        "breaks": "yes",
    },
    "infinite_loop": {"prelude": "", "function": "relu", "body": "while True:\n    pass", "breaks": "yes"},
    "segfault": {
        "prelude": "import ctypes as _c\n",
        "function": "sigmoid",
        "body": "return _c.string_at(0)",
        "breaks": "yes",
    },
}


@dataclass
class Student:
    name: str
    kind: str  # correct | mutated | hostile
    what: str = ""  # the mutant ("topic: name"), the attack or "cheater:<topic>"


def _body(source: str, fn: str, code: str) -> str:
    """``source`` with ``fn``'s reference body (between the SOLUTION markers) replaced by ``code``."""
    start = source.index(f"def {fn}(")
    begin = source.index("# BEGIN SOLUTION", start)
    end = source.index("# END SOLUTION", begin) + len("# END SOLUTION")
    return source[:begin] + code.strip().replace("\n", "\n    ") + source[end:]


def _composition(n: int, topics: list[str], attacks: list[str]) -> list[tuple[str, str]]:
    """(kind, what) for each of ``n`` students, in grading order."""
    from tests.mutants import all_mutants

    catalogue = all_mutants()
    cheaters = [t for t in topics if (REPO / "tests" / "cheaters" / f"{t}.py").is_file()]
    hostile = [*attacks, *(f"cheater:{t}" for t in cheaters)][: max(len(attacks), n // 15)]
    n_mutated = min(round(n * MUTATED_SHARE), n - len(hostile) - 1)
    by_topic = [[(t, m) for m in catalogue.get(t, [])] for t in topics]
    by_topic = [ms for ms in by_topic if ms]
    mutants = []
    for k in range(n_mutated):  # round robin over the topics, then through each topic's list
        ms = by_topic[k % len(by_topic)]
        t, m = ms[(k // len(by_topic)) % len(ms)]
        mutants.append(("mutated", f"{t}: {m.name}"))
    kinds = [*(("hostile", h) for h in hostile), *mutants]
    kinds += [("correct", "")] * (n - len(kinds))
    random.Random(0).shuffle(kinds)
    return kinds[:n]


def make_class(dest: Path, work: Path, out: Path, topics: list[str], n: int) -> list[Student]:
    """Write the class under ``dest``; hostile code targets files under ``work`` and ``out``."""
    from tests.mutants import all_mutants

    catalogue = {t: {m.name: m for m in ms} for t, ms in all_mutants().items()}
    solutions = {t: (REPO / "solutions" / f"{t}.py").read_text(encoding="utf-8") for t in topics}
    attacks = list(ATTACKS) if HOSTILE_TOPIC in topics else []
    students = [
        Student(f"s{i:03d}-{kind}", kind, what) for i, (kind, what) in enumerate(_composition(n, topics, attacks))
    ]
    classmate = next((s for s in students if s.kind == "correct"), students[0])
    targets = {
        "canary": str(work / "outside" / "written-by-a-submission.txt"),
        "daemon_canary": str(work / "outside" / "written-by-a-daemon.txt"),
        "classmate": str(dest / classmate.name / f"{HOSTILE_TOPIC}.py"),
        "out_file": str(out / "planted-by-a-submission.json"),
        "lifetime": 6 * 3600,  # outlives any soak; killed at the end if it ever ran
    }
    for s in students:
        folder = dest / s.name
        folder.mkdir(parents=True)
        files = dict(solutions)
        if s.kind == "mutated":
            topic, name = s.what.split(": ", 1)
            files[topic] = catalogue[topic][name].apply(files[topic])
        elif s.what.startswith("cheater:"):
            topic = s.what.split(":", 1)[1]
            files[topic] = (REPO / "tests" / "cheaters" / f"{topic}.py").read_text(encoding="utf-8")
        elif s.kind == "hostile":
            spec = ATTACKS[s.what]
            src = files[HOSTILE_TOPIC]
            if "function" in spec:
                src = _body(src, spec["function"], spec["body"])
            prelude = textwrap.dedent(spec["prelude"])
            for key, value in targets.items():
                prelude = prelude.replace("{" + key + "!r}", repr(value)).replace("{" + key + "}", str(value))
            files[HOSTILE_TOPIC] = prelude + "\n" + src
        for topic, text in files.items():
            (folder / f"{topic}.py").write_text(text, encoding="utf-8")
    return students


def _must_lose(s: Student) -> bool:
    return s.kind == "mutated" or s.what.startswith("cheater:") or bool(ATTACKS.get(s.what, {}).get("breaks"))


def checkpoints(n: int, jobs: int = 1) -> list[int]:
    """20, 100, 200 (and n beyond); under 200 students the same fractions of n, the first one
    late enough for every batch process to have reported once."""
    if n >= POINTS[-1]:
        return [*POINTS, *([n] if n > POINTS[-1] else [])]
    return sorted({min(n, max(jobs, round(n * p / POINTS[-1]))) for p in POINTS} | {n})


def _become_subreaper() -> bool:
    """Orphans below this process are re-parented to it, not to init: the tree walk sees them all."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def _is_tracker(p: psutil.Process) -> bool:
    with contextlib.suppress(psutil.Error):
        return "resource_tracker" in " ".join(p.cmdline())
    return False


@dataclass
class Monitor:
    """Walks this process's tree every SAMPLE_EVERY seconds from a thread of its own."""

    seen: dict[tuple[int, float], str] = field(default_factory=dict)  # (pid, start time) -> command
    peak_live: int = 0
    peak_rss: dict[int, int] = field(default_factory=dict)  # sampled, per direct child
    stop: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> list[psutil.Process]:
        me = psutil.Process()
        try:
            below = me.children(recursive=True)
        except psutil.Error:
            return []
        alive = []
        for p in below:
            try:
                if p.status() == psutil.STATUS_ZOMBIE or _is_tracker(p):
                    continue
                key = (p.pid, p.create_time())
                if key not in self.seen:
                    self.seen[key] = " ".join(p.cmdline())[:160] or p.name()
                if p.ppid() == me.pid:
                    self.peak_rss[p.pid] = max(self.peak_rss.get(p.pid, 0), p.memory_info().rss)
                alive.append(p)
            except psutil.Error:
                continue
        self.peak_live = max(self.peak_live, len(alive))
        return alive

    def run(self) -> None:
        while not self.stop.is_set():
            self.sample()
            self.stop.wait(SAMPLE_EVERY)


def _open_fds() -> dict[int, str]:
    """This process's open file descriptors and what each points at."""
    out = {}
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own descriptor, gone already
            out[int(name)] = os.readlink(f"/proc/self/fd/{name}")
    return out


def _tracker_fd() -> int | None:
    """The pipe to multiprocessing's resource tracker: opened by the first spawn, kept for good."""
    from multiprocessing import resource_tracker

    return getattr(resource_tracker._resource_tracker, "_fd", None)


def _mb(b: int | None) -> str:
    return "-" if b is None else f"{b / 2**20:.0f}"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=2, help="batch processes")
    ap.add_argument("--topics", nargs="*", default=DEFAULT_TOPICS)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", action="store_true", help="keep the temporary folders")
    args = ap.parse_args()
    if args.students < 1 or args.jobs < 1:
        ap.error("--students and --jobs must be >= 1")

    work = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    grader_tmp = work / "tmp"  # the grader's own temporary folders: must all be gone at the end
    grader_tmp.mkdir()
    (work / "outside").mkdir()
    # As on a real machine: the worker (dropped to nobody) can traverse to its scratch, and the
    # places hostile code writes to are writable by anyone, so that only the sandbox stops it.
    os.chmod(work, 0o755)
    os.chmod(grader_tmp, 0o1777)
    os.chmod(work / "outside", 0o1777)
    # multiprocessing's own folder (it holds the batch's fork server socket while a batch runs):
    # like its resource tracker, it lives as long as this process; made here, before TMPDIR names
    # the folder the grader must leave empty.
    multiprocessing.util.get_temp_dir()
    os.environ["TMPDIR"] = str(grader_tmp)  # the batch processes and their workers
    tempfile.tempdir = str(grader_tmp)  # and this process
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    klass, out = work / "class", work / "out"
    students = make_class(klass, work, out, args.topics, args.students)
    kind_of = {s.name: s for s in students}
    classmate = next((s for s in students if s.kind == "correct"), students[0])
    classmate_file = klass / classmate.name / f"{HOSTILE_TOPIC}.py"
    classmate_sha = _sha(classmate_file) if classmate_file.exists() else None
    if classmate_sha is not None:
        os.chmod(classmate_file, 0o666)
    points = checkpoints(args.students, args.jobs)
    counts = {k: sum(1 for s in students if s.kind == k) for k in ("correct", "mutated", "hostile")}
    print(
        f"class: {args.students} students ({counts['correct']} correct, {counts['mutated']} mutated, "
        f"{counts['hostile']} hostile: {', '.join(s.what for s in students if s.kind == 'hostile')}) in {klass}",
        flush=True,
    )
    print(
        f"topics: {' '.join(args.topics)}; --jobs {args.jobs}; seed {args.seed}; points {points}; "
        f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )

    from grader.batch.run import run_batch
    from grader.config import build_settings

    subreaper = _become_subreaper()
    settings = build_settings(
        {},
        topics=tuple(args.topics),
        seed=args.seed,
        sandbox="strict",  # `grader batch`'s default
        reference_cache=str(work / "references"),  # a cold store: the first students fill it
    )
    me = psutil.Process()
    parent_fds_before = _open_fds()
    monitor = Monitor()
    thread = threading.Thread(target=monitor.run, name="soak-monitor", daemon=True)

    last: dict[int, dict] = {}  # pid -> its latest per-student report
    snapshots: dict[int, dict] = {}  # point -> {"t", "procs": {pid: report}, "parent_fds", "live"}
    infos: dict[str, dict] = {}
    t0 = time.monotonic()

    def on_event(kind: str, info: dict) -> None:
        if kind == "retry":
            print(f"  a batch process died; retrying {', '.join(info['students'])}", flush=True)
        if kind != "student":
            return
        infos[info["name"]] = info
        if "rss" in info:
            last[info["pid"]] = {k: info.get(k) for k in ("rss", "peak_rss", "fds")} | {"done": info["done"]}
        done = info["done"]
        elapsed = time.monotonic() - t0
        if done in points:
            snapshots[done] = {
                "t": elapsed,
                "procs": {pid: dict(r) for pid, r in last.items()},
                "parent_fds": me.num_fds(),
                "live": len(monitor.sample()),
            }
        s = kind_of.get(info["name"])
        if done in points or done % 10 == 0 or (s is not None and s.kind == "hostile"):
            print(
                f"  {done:4d}/{args.students} {elapsed:7.1f} s  {info['name']:<22} {info['score']:6.1f}/"
                f"{info['max_score']:<6.1f} {info.get('seconds', 0):6.1f} s  pid {info.get('pid', '-')}  "
                f"rss {_mb(info.get('rss'))} MB  fds {info.get('fds', '-')}",
                flush=True,
            )

    thread.start()
    try:
        summary = run_batch(klass, settings, out, jobs=args.jobs, on_event=on_event)
    finally:
        monitor.stop.set()
        thread.join()
    wall = time.monotonic() - t0

    # -- leftovers: everything below this process, and everything ever seen still running
    time.sleep(1)  # a process killed at the very end may still be on its way out
    leftovers = {p.pid: " ".join(p.cmdline())[:160] for p in monitor.sample()}
    for (pid, started), cmd in monitor.seen.items():
        with contextlib.suppress(psutil.Error):
            p = psutil.Process(pid)
            if p.create_time() == started and p.status() != psutil.STATUS_ZOMBIE:
                leftovers.setdefault(pid, cmd)
    for pid in leftovers:  # counted: now clean up after them
        with contextlib.suppress(psutil.Error):
            psutil.Process(pid).kill()
    with contextlib.suppress(ChildProcessError):  # orphans re-parented here (subreaper) and now dead
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    parent_fds_after = _open_fds()
    new_parent_fds = {
        fd: target for fd, target in parent_fds_after.items() if fd not in parent_fds_before and fd != _tracker_fd()
    }

    # -- containment and verdicts
    outside = sorted(str(p.relative_to(work)) for p in (work / "outside").iterdir())
    planted = out / "planted-by-a-submission.json"
    if planted.exists():
        outside.append(str(planted.relative_to(work)))
    classmate_ok = classmate_sha is None or _sha(classmate_file) == classmate_sha
    temp_left = sorted(p.name for p in grader_tmp.iterdir())
    wrong = []
    for s in students:
        info = infos.get(s.name)
        if info is None:
            wrong.append(f"{s.name}: not graded")
        elif info.get("internal_errors"):
            wrong.append(f"{s.name}: {info['internal_errors']} internal error(s)")
        elif s.kind == "correct" and not info["all_passed"]:
            wrong.append(f"{s.name}: correct but {info['score']}/{info['max_score']}")
        elif s.kind != "correct" and _must_lose(s) and info["score"] >= info["max_score"]:
            wrong.append(f"{s.name} ({s.what}): full marks")

    # -- the report
    n = args.students
    first = points[0]
    print()
    print(
        f"soak: {n} students ({counts['correct']} correct, {counts['mutated']} mutated, {counts['hostile']} hostile), "
        f"{len(args.topics)} topics, --jobs {args.jobs}, seed {summary.seed}, {os.cpu_count()} cores, "
        f"load average now {os.getloadavg()[0]:.1f}"
    )
    print(f"wall time (run_batch, this process)          : {wall:8.1f} s   (the batch's {summary.duration:.1f} s)")
    print(f"throughput overall                           : {60 * n / wall:8.2f} students/min")
    after = None
    if first in snapshots and n > first:
        span = (snapshots[n]["t"] if n in snapshots else wall) - snapshots[first]["t"]
        after = 60 * (n - first) / span if span > 0 else None
    print(
        f"{f'throughput after warm-up ({first}..{n})':<45}: "
        + (f"{after:8.2f} students/min" if after else "       - (class too small)")
    )
    if after:
        projected = snapshots[first]["t"] + 60 * (POINTS[-1] - first) / after  # warm-up, then this rate
        print(f"projected wall time for {POINTS[-1]} students         : {projected / 60:8.1f} min")
    print(f"batch processes replaced (died)              : {summary.failed_processes:8d}")
    if summary.interrupted:
        print(f"INTERRUPTED after {len(summary.graded)} of {n} students")
    print(f"most processes alive at once (tree sample)   : {monitor.peak_live:8d}")
    print()
    pids = sorted({pid for snap in snapshots.values() for pid in snap["procs"]})
    header = f"{'batch process':<14}" + "".join(f"{'@' + str(p):>24}" for p in points)
    print(header + f"{'sampled peak':>14}")
    print(f"{'':<14}" + "".join(f"{'rss/peak MB  fds':>24}" for _ in points))
    for pid in pids:
        cells = []
        for p in points:
            r = snapshots.get(p, {}).get("procs", {}).get(pid)
            cells.append(
                f"{_mb(r['rss']) + '/' + _mb(r['peak_rss']) + '  ' + str(r['fds']):>24}" if r else f"{'-':>24}"
            )
        print(f"pid {pid:<10}" + "".join(cells) + f"{_mb(monitor.peak_rss.get(pid)) + ' MB':>14}")
    parent_cells = "".join(f"{snapshots[p]['parent_fds'] if p in snapshots else '-':>24}" for p in points)
    print(
        f"{'parent fds':<14}" + parent_cells + f"   before {len(parent_fds_before)}, end {len(parent_fds_after)} "
        f"(new, besides multiprocessing's resource tracker pipe: {len(new_parent_fds)})"
    )
    warm = [i for i in infos.values() if i.get("done", 0) > first and i.get("cache")]
    if warm:
        hits = sum(i["cache"].get("hits", 0) for i in warm) / len(warm)
        misses = sum(i["cache"].get("misses", 0) for i in warm) / len(warm)
        print(
            f"in-memory reference cache after student {first}: {hits:.0f} hits, {misses:.0f} misses per student "
            "(a miss is kept, up to the cache's bound per process)"
        )
    print()

    verdicts: list[tuple[str, bool, str]] = []
    mem_notes, fd_notes = [], []
    # Each process against its first report at a point (a process started later, e.g. a
    # replacement, is compared with its own first point).
    base: dict[int, tuple[int, dict]] = {}
    for p in points:
        for pid, r in snapshots.get(p, {}).get("procs", {}).items():
            base.setdefault(pid, (p, r))
    compared = False
    for pid, (p0, r0) in base.items():
        for p in points[points.index(p0) + 1 :]:
            r = snapshots.get(p, {}).get("procs", {}).get(pid)
            if r is None or r["done"] == r0["done"]:
                continue  # it retired or died before, or graded nobody since
            compared = True
            if r0.get("peak_rss") and r.get("peak_rss"):
                ratio = r["peak_rss"] / r0["peak_rss"]
                if ratio > 1 + MEMORY_TOLERANCE:
                    mem_notes.append(f"pid {pid} @{p}: peak x{ratio:.3f} of @{p0}")
            if r0.get("fds") is not None and r.get("fds") is not None and r["fds"] > r0["fds"] + FD_SLACK:
                fd_notes.append(f"pid {pid} @{p}: {r0['fds']} -> {r['fds']} fds")
    why_not = "" if compared else " (nothing to compare: no process graded anyone after the first point)"
    verdicts.append(
        (
            f"peak RSS of each batch process within {MEMORY_TOLERANCE:.0%} of its value at student {first}",
            compared and not mem_notes,
            "; ".join(mem_notes) + why_not,
        )
    )
    verdicts.append(
        (
            f"open fds: batch processes +{FD_SLACK} at most after student {first}; the parent none new at the end",
            compared and not fd_notes and not new_parent_fds,
            "; ".join(fd_notes + [f"parent fd {fd} -> {target}" for fd, target in sorted(new_parent_fds.items())])
            + why_not,
        )
    )
    verdicts.append(
        (
            f"leftover processes at the end: {len(leftovers)} (subreaper {'on' if subreaper else 'OFF'}; "
            f"{len(monitor.seen)} seen during the batch)",
            not leftovers,
            "; ".join(f"{pid} {cmd}" for pid, cmd in leftovers.items()),
        )
    )
    verdicts.append(
        (
            "containment: nothing written outside a submission's folder, grader temp folders all removed",
            not outside and classmate_ok and not temp_left,
            "; ".join(
                [*(f"exists: {p}" for p in outside)]
                + ([] if classmate_ok else [f"classmate's code changed: {classmate_file}"])
                + ([f"left in TMPDIR: {', '.join(temp_left[:5])}"] if temp_left else [])
            ),
        )
    )
    verdicts.append(
        (
            "verdicts: correct ones full marks, mutated, cheating and breaking ones lose points, no internal errors",
            not wrong and not summary.interrupted,
            "; ".join(wrong[:8]) + (f" (+{len(wrong) - 8} more)" if len(wrong) > 8 else ""),
        )
    )
    for what, ok, note in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {what}" + (f"\n      {note}" if note and not ok else ""))
    if args.keep:
        print(f"kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if all(ok for _, ok, _ in verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
