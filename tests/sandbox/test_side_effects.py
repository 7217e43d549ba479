"""Side-effect attacks from a submission, graded for real in a scratch world (see world.py).

Each case plants an attack in ``activations.py`` (run at import time, in the worker), grades it
with the world's own grader installation (``grader run`` or ``grader batch``, strict sandbox),
and then checks by hashing that nothing it guards changed, that no process the run started is
alive, and that the world still grades a correct and a known-wrong submission exactly as before.

The attack reports what happened through the only channel a worker keeps, the verdict: ``relu``
raises ``ATTACK-OUTCOME[label=ok|label=Error(errno) ...]``, which lands in results.json. Every
attack is also run once *outside* the sandbox (a control, in a copy of the world of its own) to
prove it is real: there every step succeeds and the world visibly changes. Attacks only ever touch
world paths; the daemon exits by itself after DAEMON_SECONDS.

Every attack is graded three ways: in ``activations.py`` (a numpy-only topic) with its worker
spawned (``worker_start = spawn``) and forked from the run's or the batch process's NumPy zygote,
and in ``models.py`` (a Keras topic; ``build_sequential`` reports the outcome) with its worker
forked from the TensorFlow zygote, which imported TensorFlow before any of it (see
grader/sandbox/zygote.py). The control runs once, for the attack itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.sandbox.world import (
    MODELS,
    World,
    body,
    build_template,
    changed,
    copy_world,
    new_base,
    verdicts,
    wait_until,
    world_processes,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="the attacks and the checks use /proc"),
]

DAEMON_SECONDS = 15

PRELUDE = r"""
import ctypes, json, os, socket, sys, time
W = json.loads(%(world)r)
_R = []
def _try(label, fn):
    try:
        value = fn()
        _R.append("%%s=ok%%s" %% (label, "" if value is None else "(" + str(value)[:120].replace("]", ")") + ")"))
    except BaseException as e:  # noqa: BLE001
        _R.append("%%s=%%s(%%s)" %% (label, type(e).__name__, getattr(e, "errno", "")))
def _attack():
%(attack)s
try:
    _attack()
except BaseException as e:  # noqa: BLE001
    _R.append("attack=%%s(%%s)" %% (type(e).__name__, e))
_OUTCOME = " ".join(_R)
"""

ATTACKS: dict[str, dict] = {
    "write_grader_source": {
        "code": r"""
p = os.path.join(W["install"], "grader", "__init__.py")
_try("append_init", lambda: open(p, "a").write("\n# every later run passes everything\n"))
q = os.path.join(W["install"], "grader", "course", "checks", "test_activations.py")
_try("truncate_checks", lambda: os.truncate(q, 0))
_try("new_module", lambda: open(os.path.join(W["install"], "grader", "evil.py"), "w").write("x = 1\n"))
_try("write_own_original", lambda: open(os.path.join(W["class"], "zed", "activations.py"), "a").write("#\n"))
"""
    },
    "pth_in_site_packages": {
        "code": r"""
_try("pth", lambda: open(os.path.join(W["site"], "zzz_tamper.pth"), "w").write("import builtins; builtins.TAMPERED = 1\n"))
_try("overwrite_module", lambda: open(os.path.join(W["site"], "world_marker.py"), "w").write("MARK = 2\n"))
"""
    },
    "home_bashrc_and_keras_json": {
        "code": r"""
_try("bashrc", lambda: open(os.path.join(W["home"], ".bashrc"), "a").write("\necho pwned\n"))
_try("keras_json", lambda: open(os.path.join(W["home"], ".keras", "keras.json"), "w").write('{"floatx": "float16"}'))
_try("profile", lambda: open(os.path.join(W["home"], ".profile"), "w").write("echo pwned\n"))
"""
    },
    "overwrite_data_file": {
        "code": r"""
_try("overwrite", lambda: open(W["data"], "wb").write(b"\0" * 64))
_try("replace", lambda: os.replace(W["data"], W["data"] + ".old"))
"""
    },
    "tamper_cwd_and_out_folder": {
        "code": r"""
_try("cwd_file", lambda: open(os.path.join(W["cwd"], "pyproject.toml"), "w").write("[tool.grader]\nsandbox = 'best-effort'\n"))
_try("out_neighbour", lambda: open(os.path.join(W["out"], "keep.txt"), "w").write("gone\n"))
_try("out_results", lambda: open(os.path.join(W["out"], "results.json"), "w").write('{"score": 999}'))
_try("out_sibling", lambda: os.unlink(os.path.join(W["base"], "out-sibling", "other-report.html")))
"""
    },
    "poison_reference_store": {
        "code": r"""
def plant():
    folder = os.path.join(W["refstore"], "references", "00")
    os.makedirs(folder, exist_ok=True)
    open(os.path.join(folder, "poison"), "w").write('{"v": 0}')
_try("plant", plant)
_try("list", lambda: len(os.listdir(W["refstore"])))
"""
    },
    "delete_classmates_results": {
        "mode": "batch",
        "code": r"""
g = W["graded"]
_try("delete_results", lambda: os.unlink(os.path.join(g, "alice", "results.json")))
_try("delete_instructor_copy", lambda: os.unlink(os.path.join(g, ".instructor", "alice.json")))
_try("zero_results", lambda: open(os.path.join(g, "bob", "results.json"), "w").write('{"score": 0}'))
_try("add_student", lambda: os.mkdir(os.path.join(g, "mallory")))
_try("overwrite_classmate_code", lambda: open(os.path.join(W["class"], "bob", "activations.py"), "w").write("x = 1\n"))
""",
    },
    "run_classmates_code": {
        "mode": "batch",
        "code": r"""
def borrow():
    import importlib.util
    spec = importlib.util.spec_from_file_location("alice_work", os.path.join(W["class"], "alice", "activations.py"))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m.relu
_try("import_classmate", borrow)
_try("list_class", lambda: sorted(os.listdir(W["class"])))
""",
    },
    "native_fork_daemon": {
        "code": r"""
def daemon():
    libc = ctypes.CDLL(None, use_errno=True)
    pid = libc.fork()  # native code: no audit hook sees it
    if pid == 0:
        libc.setsid()
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # a daemon lets go of its parent's pipes
            os.dup2(null, fd)
        end = time.time() + %d
        while time.time() < end:  # bounded: the daemon leaves by itself
            for target in (os.path.join(W["out"], "results.json"), os.path.join(W["graded"], "alice", "results.json")):
                try:
                    with open(target, "w") as fh:
                        fh.write('{"score": 999}')
                except OSError:
                    pass
            time.sleep(0.2)
        libc._exit(0)
    if pid < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return pid
_try("fork", daemon)
""".replace("%d", str(DAEMON_SECONDS))
    },
    "tcp_connect_to_loopback": {
        "code": r"""
def connect():
    s = socket.create_connection(("127.0.0.1", W["port"]), timeout=3)
    s.sendall(b"stolen")
_try("tcp", connect)
"""
    },
    "read_parent_environ": {
        "code": r"""
def ancestors():
    pid, seen = os.getpid(), []
    for _ in range(8):
        with open("/proc/%d/status" % pid) as fh:
            pid = int(fh.read().split("PPid:")[1].split()[0])
        if pid <= 1:
            break
        with open("/proc/%d/environ" % pid, "rb") as fh:
            if W["marker"].encode() in fh.read():
                return "marker in the environment of pid %d" % pid
    raise LookupError("no ancestor's environment holds the marker")
_try("environ", ancestors)
_try("cmdline_of_1", lambda: open("/proc/1/cmdline", "rb").read()[:20])
"""
    },
    "read_solutions_and_misconceptions": {
        "code": r"""
_try("solutions", lambda: open(os.path.join(W["install"], "solutions", "activations.py")).read().count("def "))
_try("misconceptions", lambda: open(os.path.join(W["install"], "grader", "course", "misconceptions", "activations.py")).read().count("def "))
_try("checks", lambda: open(os.path.join(W["install"], "grader", "course", "checks", "test_activations.py")).read().count("def "))
_try("list_install", lambda: len(os.listdir(W["install"])))
"""
    },
    "open_by_handle_at": {
        "code": r"""
class FH(ctypes.Structure):
    _fields_ = [("handle_bytes", ctypes.c_uint), ("handle_type", ctypes.c_int), ("f_handle", ctypes.c_ubyte * 128)]
libc = ctypes.CDLL(None, use_errno=True)
def check(r):
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r
def by_handle():
    raw = bytes.fromhex(W["handle"])
    fh = FH(); fh.handle_bytes = len(raw); fh.handle_type = W["handle_type"]
    ctypes.memmove(fh.f_handle, raw, len(raw))
    mount_fd = os.open("/tmp", os.O_RDONLY)  # a directory of the same file system as the world
    fd = check(libc.open_by_handle_at(mount_fd, ctypes.byref(fh), os.O_RDONLY))
    return os.read(fd, 200).count(b"def ")
def name_to_handle():
    fh = FH(); fh.handle_bytes = 128; mount_id = ctypes.c_int()
    return check(libc.name_to_handle_at(-100, b"/tmp", ctypes.byref(fh), ctypes.byref(mount_id), 0))
_try("open_by_handle_at", by_handle)
_try("name_to_handle_at", name_to_handle)
"""
    },
    "walk_for_grader_paths": {
        "leak_scan": True,
        "code": r"""
import gc
# The needles are bytes, decoded from hex, so that the scan does not find its own copies.
needles = [bytes.fromhex(h) for h in W["needles_hex"]]
own = globals().get("__file__")
def hits(text, where):
    data = text.encode("utf-8", "replace") if isinstance(text, str) else bytes(text)
    for n in needles:
        if n in data:
            _R.append("leak:%s" % where.replace(" ", "_"))
            return
hits(" ".join(sys.argv), "argv")
hits(repr(dict(os.environ)), "environ")
hits(repr(sys.path), "sys.path")
hits(repr(sys.meta_path) + repr(sys.path_hooks) + repr(list(sys.path_importer_cache)), "importers")
for name, m in list(sys.modules.items()):
    hits(str(getattr(m, "__file__", "") or "") + repr(getattr(m, "__path__", "")), "module " + name)
for part in ("cmdline", "environ", "maps", "mountinfo"):
    try:
        with open("/proc/self/" + part, "rb") as fh:
            hits(fh.read(), "/proc/self/" + part)
    except OSError:
        pass
for fd in os.listdir("/proc/self/fd"):
    try:
        hits(os.readlink("/proc/self/fd/" + fd), "fd " + fd)
    except OSError:
        pass
hits(os.getcwd(), "cwd")
frame = sys._getframe()
while frame is not None:
    if own is None or frame.f_code.co_filename != own:
        hits(repr(frame.f_locals)[:200000] + frame.f_code.co_filename, "frame " + frame.f_code.co_name)
    frame = frame.f_back
for obj in gc.get_objects():
    try:
        if isinstance(obj, dict):
            text = " ".join(v for v in list(obj.values()) if isinstance(v, str))
        elif isinstance(obj, (list, tuple)):
            text = " ".join(v for v in obj if isinstance(v, str))
        else:
            continue
    except Exception:  # noqa: BLE001
        continue
    hits(text, "object " + type(obj).__name__)
_R.append("scanned")
""",
    },
}


# Where each topic's attack reports: the student function its first check calls.
REPORTER = {"activations": "relu", "models": "build_sequential"}
VARIANTS = [("activations", "spawn"), ("activations", "fork"), ("models", "fork")]


def attack_module(name: str, world: World, extra: dict, topic: str = "activations") -> str:
    spec = ATTACKS[name]
    w = {**world.paths(), **extra}
    if spec.get("leak_scan"):
        p = world.paths()
        w = {"needles_hex": [v.encode().hex() for v in (p["install"], p["repo"], "/work/main", p["marker"])]}
    prelude = PRELUDE % {"world": json.dumps(w), "attack": textwrap.indent(spec["code"].strip("\n"), "    ")}
    report = 'raise RuntimeError("ATTACK-OUTCOME[" + _OUTCOME + "]")'
    if topic == "models":
        return prelude + body(REPORTER[topic], report, source=MODELS)
    return prelude + body(REPORTER[topic], report)


def outcome(results: Path) -> str:
    data = json.loads(results.read_text())
    for t in data["topics"]:
        for c in t["checks"]:
            m = re.search(r"ATTACK-OUTCOME\[(.*?)\]", c.get("message", ""))
            if m:
                return m.group(1)
    raise AssertionError(f"no attack outcome in {results}: {[t.get('message') for t in data['topics']]}")


# ------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def template():
    base = new_base()
    try:
        yield build_template(base / "world")
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def worlds(template):
    made: list[World] = []

    def make() -> World:
        w = copy_world(template, new_base() / "world")
        made.append(w)
        return w

    yield make
    for w in made:
        for pid in world_processes(w):  # a control's daemon, or a failed test's leftovers
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(w.base.parent, ignore_errors=True)


@pytest.fixture
def listener():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(5)
    s.setblocking(False)
    yield s
    s.close()


def _pending(sock: socket.socket) -> bool:
    return bool(select.select([sock], [], [], 0.3)[0])


class _FH(ctypes.Structure):
    _fields_ = [("handle_bytes", ctypes.c_uint), ("handle_type", ctypes.c_int), ("f_handle", ctypes.c_ubyte * 128)]


def _handle(path: Path) -> dict:
    libc = ctypes.CDLL(None, use_errno=True)
    fh, mount_id = _FH(), ctypes.c_int()
    fh.handle_bytes = 128
    if libc.name_to_handle_at(-100, os.fsencode(path), ctypes.byref(fh), ctypes.byref(mount_id), 0) != 0:
        return {"handle": "", "handle_type": 0}
    return {"handle": bytes(fh.f_handle[: fh.handle_bytes]).hex(), "handle_type": fh.handle_type}


# ------------------------------------------------------------------------------------- control

CONTROL = r"""
import os, subprocess, sys
# The attack's parent holds the world's environment, as the grader would.
code = "exec(compile(open(%r).read(), 'activations.py', 'exec')); print('OUTCOME ' + _OUTCOME)"
proc = subprocess.run([sys.executable, "-c", code % sys.argv[1]], capture_output=True, text=True, cwd=sys.argv[2])
sys.stdout.write(proc.stdout[-3000:])
sys.stderr.write(proc.stderr[-3000:])
"""


def plant(name: str, w: World, listener, topic: str = "activations") -> Path:
    """The attacker's submission, class/zed/<topic>.py (sorted after alice and bob)."""
    extra = {"port": listener.getsockname()[1], **_handle(w.install / "solutions" / "activations.py")}
    sub = w.klass / "zed"
    sub.mkdir()
    (sub / f"{topic}.py").write_text(attack_module(name, w, extra, topic))
    return sub / f"{topic}.py"


def control(name: str, worlds, listener) -> tuple[World, str]:
    """Run the attack unconfined, in a world of its own: it must succeed there."""
    w = worlds()
    module = plant(name, w, listener)
    proc = subprocess.run(
        [str(w.python), "-c", CONTROL, str(module), str(w.cwd)],
        env=w.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [x for x in proc.stdout.splitlines() if x.startswith("OUTCOME ")]
    assert lines, proc.stdout + proc.stderr
    return w, lines[-1][len("OUTCOME ") :]


# ------------------------------------------------------------------------------------- the suite

BATCH_ONLY = {n for n, s in ATTACKS.items() if s.get("mode") == "batch"}


@pytest.mark.parametrize(("topic", "start"), VARIANTS, ids=[f"{t}-{s}" for t, s in VARIANTS])
@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_changes_nothing(name, topic, start, template, worlds, listener):
    spec = ATTACKS[name]
    if (topic, start) == VARIANTS[0]:
        _attack_is_real(name, spec, worlds, listener)
    _graded_attack_changes_nothing(name, spec, topic, start, worlds, listener)


def _attack_is_real(name: str, spec: dict, worlds, listener) -> None:
    # 1. The attack is real: unconfined, every step works.
    cw, got = control(name, worlds, listener)
    if spec.get("leak_scan"):
        assert "leak:" in got, got  # the scan finds the world's paths where they are
    else:
        steps = [s for s in got.split() if "=" in s]
        assert steps and all("=ok" in s for s in steps), got
    if name == "native_fork_daemon":
        assert wait_until(lambda: world_processes(cw), 5), "the control's daemon did not start"
        target = cw.out / "results.json"
        assert wait_until(lambda: target.exists() and target.read_text() == '{"score": 999}', 5), (
            "the daemon did not write"
        )
    if name == "tcp_connect_to_loopback":
        assert _pending(listener), "the control did not connect"
        listener.accept()[0].close()


def _graded_attack_changes_nothing(name: str, spec: dict, topic: str, start: str, worlds, listener) -> None:
    # 2. The same attack, graded.
    w = worlds()
    sub = plant(name, w, listener, topic).parent  # in a batch, alice and bob have results already
    before = w.snapshot()
    how = ("--set", f"worker_start={start}")
    if name in BATCH_ONLY and topic == "activations":
        proc = w.batch(w.klass, w.graded, *how)
        results = w.graded / ".instructor" / "zed.json"
    elif name in BATCH_ONLY:
        # A batch of its own (the class's graded one is of activations); the attack still aims at
        # that one. alice and bob are graded first here, so zed's worker is the zygote's third fork.
        graded = w.base / "graded-models"
        proc = w.batch(w.klass, graded, *how, topic=topic)
        results = graded / ".instructor" / "zed.json"
    else:
        proc = w.run(sub, w.out, *how, topic=topic)
        results = w.out / "results.json"
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-4000:]  # relu fails: graded, not broken
    got = outcome(results)
    data = json.loads(results.read_text())
    assert data["sandbox"]["mode"] == "strict" and data["sandbox"]["confined"], data["sandbox"]
    assert (data["sandbox"]["forked"] > 0) == (start == "fork"), data["sandbox"]  # the path meant
    if spec.get("leak_scan"):
        assert "scanned" in got and "leak:" not in got, got
    else:
        assert "=ok" not in got, f"an attack step succeeded inside the sandbox: {got}"
        assert re.search(r"=\w*(Error|Exception)\(", got), got

    # 3. Nothing it guards changed; nothing it started is alive.
    after = w.snapshot()
    if name in BATCH_ONLY:
        # The grader added zed and rebuilt its class files; the classmates' own results are untouched.
        def classmates(tree):
            return {
                k: v
                for k, v in tree.items()
                if k.split("/")[0] in ("alice", "bob") or k in (".instructor/alice.json", ".instructor/bob.json")
            }

        g_before, g_after = classmates(before.pop("graded results")), classmates(after.pop("graded results"))
        assert g_before and g_after == g_before, changed({"graded": g_before}, {"graded": g_after})
        assert verdicts(w.graded / ".instructor" / "alice.json") == w.pristine["alice"]
        assert verdicts(w.graded / ".instructor" / "bob.json") == w.pristine["bob"]
        gradebook = (w.graded / "gradebook.csv").read_text()
        assert "alice" in gradebook and "bob" in gradebook and "mallory" not in gradebook
    assert changed(before, after) == {}
    assert world_processes(w) == [], "a process started by the run is still alive"
    if name == "tcp_connect_to_loopback":
        assert not _pending(listener), "the listener received a connection from the sandbox"
    if name == "native_fork_daemon":
        # A daemon would rewrite results.json for seconds after the grader exits.
        assert not wait_until(lambda: json.loads(results.read_text()).get("score") == 999, 2)
    assert w.marker not in results.read_text()
    # The store is the grader's to write (a Keras topic's run adds to it), never a submission's.
    assert not [p for p in w.refstore.rglob("poison")], "a submission wrote into the reference store"

    # 4. The world still grades exactly as before.
    verify = w.base / "verify"
    for student in ("alice", "bob"):
        (verify / student).mkdir(parents=True)
        shutil.copy(w.klass / student / "activations.py", verify / student / "activations.py")
    check = w.batch(verify, w.base / "verify-out")
    assert check.returncode == 1, check.stdout[-2000:] + check.stderr[-4000:]
    for student in ("alice", "bob"):
        assert verdicts(w.base / "verify-out" / ".instructor" / f"{student}.json") == w.pristine[student]
    assert world_processes(w) == []


def test_strict_batch_refuses_where_confinement_is_missing(template, worlds):
    """Degrade honestly: a machine without seccomp (emulated by hiding pyseccomp) refuses strict
    grading with exit 2 and says why; best-effort grades and reports what was not confined."""
    w = worlds()
    (w.site / "pyseccomp.py").write_text("raise ImportError('pyseccomp is not installed (test world)')\n")
    proc = w.batch(w.klass, w.base / "strict-out")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "seccomp" in proc.stderr and "best-effort" in proc.stderr and "Traceback" not in proc.stderr
    assert not (w.base / "strict-out" / "alice").exists()
    sub = w.klass / "alice"
    proc = w.grader("run", "activations", "--submission", str(sub), "--out", str(w.out), "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "NOT fully confined" in proc.stdout and "seccomp" in proc.stdout
    box = json.loads((w.out / "results.json").read_text())["sandbox"]
    assert box["mode"] == "best-effort" and not box["confined"] and "seccomp" in box["not_confined"]
    assert box["mechanisms"]["seccomp"]["state"] == "unavailable"
    assert box["mechanisms"]["landlock_fs"]["state"] == "applied"
    assert "NOT fully confined" in (w.out / "report.md").read_text()


def test_the_reaper_kills_what_an_unfiltered_worker_started(worlds, listener):
    """Without seccomp (pyseccomp hidden, best-effort) a native fork works: the daemon must still die
    with its worker, before the grader writes results, and Landlock must still stop its writes."""
    w = worlds()
    (w.site / "pyseccomp.py").write_text("raise ImportError('pyseccomp is not installed (test world)')\n")
    sub = plant("native_fork_daemon", w, listener).parent
    proc = w.grader(
        "run",
        "activations",
        "--submission",
        str(sub),
        "--out",
        str(w.out),
        "--seed",
        "1",
        "-q",
        "--sandbox",
        "best-effort",
    )
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-3000:]
    results = w.out / "results.json"
    assert re.match(r"fork=ok\(\d+\)", outcome(results)), outcome(results)  # it really forked
    assert world_processes(w) == [], "the daemon outlived its worker"
    assert not wait_until(lambda: json.loads(results.read_text()).get("score") == 999, 2)
    box = json.loads(results.read_text())["sandbox"]
    assert box["mechanisms"]["subreaper"]["state"] == "applied" and "seccomp" in box["not_confined"]
    assert json.loads((w.graded / "alice" / "results.json").read_text()).get("score") != 999


def test_doctor_reports_every_mechanism(template, worlds):
    w = worlds()
    proc = w.grader("doctor")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in ("privilege_drop", "prctl", "landlock_fs", "landlock_net", "landlock_scopes", "seccomp", "subreaper"):
        assert name in proc.stdout
    assert "Full confinement works here" in proc.stdout
    (w.site / "pyseccomp.py").write_text("raise ImportError('pyseccomp is not installed (test world)')\n")
    proc = w.grader("doctor")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "not available here" in proc.stdout and "pyseccomp" in proc.stdout and "fix:" in proc.stdout
