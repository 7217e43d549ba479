"""OS-level confinement of a grader worker process (Linux: privilege drop, Landlock, seccomp).

A worker calls :func:`confine` on itself as the very first thing in its life, while it is still
single-threaded and before it imports numpy, TensorFlow or any student code::

    from grader.sandbox.confine import confine
    status = confine(scratch, read_roots=[submission_copy], exclude=[checkout])

What it applies, in this order (each step is reported in the returned :class:`Confinement`;
the Landlock rules are collected first, while still root, because opening the paths needs it):

1. ``RLIMIT_CORE`` = 0 (no core files anywhere).
2. **privilege_drop** (only when running as root): ``setgroups([])`` and
   ``setresgid/setresuid(65534)`` (nobody/nogroup). If the interpreter or a read root cannot be
   reached by that uid (e.g. a pyenv interpreter under ``/root``, mode 0700), the process keeps
   exactly one capability, ``CAP_DAC_READ_SEARCH``, so that it can still *read* what Landlock
   lets it read (Landlock is checked in addition to DAC, so the capability widens nothing
   beyond the Landlock read rules; it is never kept without Landlock file rules). The bounding
   and ambient capability sets are emptied. When the drop is impossible the process stays
   uid 0 with no capabilities at all, and seccomp also refuses chmod/chown/xattr/utime calls.
3. **prctl**: ``PR_SET_PDEATHSIG`` (after the uid change, which would clear it), a check that the
   parent is still the one we started with, ``PR_SET_DUMPABLE`` 0, ``PR_SET_NO_NEW_PRIVS`` 1.
4. **landlock_fs / landlock_net / landlock_scopes**: one Landlock layer that handles every file
   system right the kernel knows, TCP bind/connect (ABI >= 4) and the abstract-UNIX-socket and
   signal scopes (ABI >= 6). Rules: write inside ``scratch`` only; read the caller's read roots
   and what imports need (see :func:`default_read_paths`), minus ``exclude``. Nothing is
   executable (no ``EXECUTE`` right anywhere; ``mmap(PROT_EXEC)`` of libraries is unaffected).
5. **seccomp** (libseccomp through ``pyseccomp``, with ``TSYNC``): refuses process creation
   (fork/vfork/clone without ``CLONE_THREAD``; ``clone3`` returns ``ENOSYS`` so glibc falls
   back to ``clone`` for threads), exec, ptrace and cross-process memory access, signals to
   anyone but this process, every ``socket()`` (``AF_UNIX`` only when asked), and a list of
   kernel attack surface a grader never needs (namespaces, mounts, bpf, io_uring, keyrings...).
   Refused calls return an errno (``EPERM``/``EACCES``/``ENOSYS``), so Python raises
   ``PermissionError``/``OSError``; syscalls of a foreign architecture (``int 0x80``) return
   ``ENOSYS``. See :func:`seccomp_rules` for the exact list.
6. ``TMPDIR`` / :data:`tempfile.tempdir` point at ``scratch/tmp`` (``/tmp`` is not writable).

:func:`probe` reports, without changing anything, which mechanisms this machine offers and why
not. :func:`confine` never crashes on other systems: on macOS/Windows/old kernels each missing
mechanism is reported as ``unavailable: <reason>``; with ``strict=True`` it raises
:class:`ConfinementError` *before changing anything* when a mechanism is unavailable.

The parent side uses :func:`prepare_scratch` to create the scratch folder owned by the uid the
worker will drop to.

Landlock is done with raw syscalls through ctypes (the ``landlock`` package on PyPI has no
network rules, no scopes and a faulty errno check; checked against its source, see the README's
security model); seccomp uses ``pyseccomp``. ``landlockpy`` (ABI 1-11, return values checked)
could replace the three Landlock functions one-for-one once it has some track record.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import platform
import signal
import stat
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = [
    "MECHANISMS",
    "NOBODY",
    "OPTIONAL_READ",
    "Confinement",
    "ConfinementError",
    "MechanismStatus",
    "confine",
    "default_read_paths",
    "describe",
    "distribution_paths",
    "prepare_scratch",
    "probe",
    "reachable_by",
    "seccomp_rules",
]

MECHANISMS = ("privilege_drop", "prctl", "landlock_fs", "landlock_net", "landlock_scopes", "seccomp")
NOBODY = (65534, 65534)  # (uid, gid): nobody / nogroup on Debian, Ubuntu, Fedora, Arch

_IS_LINUX = sys.platform.startswith("linux")


class ConfinementError(RuntimeError):
    """Confinement could not be set up as asked.

    Raised before anything changed for argument errors, a multi-threaded caller and, with
    ``strict=True``, an unavailable mechanism. Raised *after* some steps were applied when a step
    fails in strict mode or the parent died: the process is then partly confined and should exit.
    """

    def __init__(self, message: str, status: Confinement | None = None):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class MechanismStatus:
    """The state of one mechanism: ``state`` is one of

    ``available`` (probe only), ``applied``, ``unavailable`` (this machine lacks it),
    ``not_needed`` (e.g. privilege drop when not root), ``skipped`` (the caller asked),
    ``failed`` (available but applying it failed; non-strict mode only).
    """

    state: str
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.state in ("available", "applied", "not_needed")

    def __str__(self) -> str:
        return f"{self.state}: {self.detail}" if self.detail else self.state


@dataclass
class Confinement:
    """What :func:`confine` did. ``mechanisms`` maps each name in :data:`MECHANISMS` to a status."""

    mechanisms: dict[str, MechanismStatus]
    landlock_abi: int = 0
    landlock_rules: list[tuple[str, str]] = field(default_factory=list)  # (path, rights)
    missing: list[str] = field(default_factory=list)  # default paths absent here (not granted)
    seccomp_rules: list[str] = field(default_factory=list)
    uid: int | None = None
    gid: int | None = None
    capabilities: str = ""  # capabilities kept in the effective set, e.g. "CAP_DAC_READ_SEARCH"
    tmpdir: str | None = None
    seconds: float = 0.0

    @property
    def fully_applied(self) -> bool:
        """Every mechanism was applied or was not needed (nothing unavailable, skipped or failed)."""
        return all(s.state in ("applied", "not_needed") for s in self.mechanisms.values())

    def summary(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.mechanisms.items())


# ---------------------------------------------------------------------------------------------
# libc access (Linux only; nothing here runs at import time)

_libc_cache: list = []


def _libc():
    if not _libc_cache:
        _libc_cache.append(ctypes.CDLL(None, use_errno=True))
    return _libc_cache[0]


def _arg(a):
    # Every syscall argument is passed as a full register: ints become c_long, ctypes values and
    # byref() pointers pass as they are.
    return ctypes.c_long(a) if isinstance(a, int) else a


def _syscall(nr: int, *args) -> int:
    fn = _libc().syscall
    fn.restype = ctypes.c_long
    res = fn(ctypes.c_long(nr), *map(_arg, args))
    if res == -1:  # check the result, not errno: errno may be stale from an earlier call
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return res


def _prctl(option: int, a2: int = 0, a3: int = 0, a4: int = 0, a5: int = 0) -> int:
    fn = _libc().prctl
    fn.restype = ctypes.c_int
    res = fn(ctypes.c_int(option), ctypes.c_ulong(a2), ctypes.c_ulong(a3), ctypes.c_ulong(a4), ctypes.c_ulong(a5))
    if res == -1:
        e = ctypes.get_errno()
        raise OSError(e, f"prctl({option}): {os.strerror(e)}")
    return res


PR_SET_PDEATHSIG = 1
PR_GET_DUMPABLE = 3
PR_SET_DUMPABLE = 4
PR_SET_KEEPCAPS = 8
PR_GET_SECCOMP = 21
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4

# ---------------------------------------------------------------------------------------------
# Landlock (kernel UAPI, include/uapi/linux/landlock.h)

_SYS_LANDLOCK_CREATE_RULESET = 444  # the same number on every architecture
_SYS_LANDLOCK_ADD_RULE = 445
_SYS_LANDLOCK_RESTRICT_SELF = 446
_LANDLOCK_CREATE_RULESET_VERSION = 1 << 0
_LANDLOCK_CREATE_RULESET_ERRATA = 1 << 1
_LANDLOCK_RULE_PATH_BENEATH = 1

FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13  # ABI 2
FS_TRUNCATE = 1 << 14  # ABI 3
FS_IOCTL_DEV = 1 << 15  # ABI 5
NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1  # ABI 6

_FS_NAMES = {
    FS_EXECUTE: "execute",
    FS_WRITE_FILE: "write_file",
    FS_READ_FILE: "read_file",
    FS_READ_DIR: "read_dir",
    FS_REMOVE_DIR: "remove_dir",
    FS_REMOVE_FILE: "remove_file",
    FS_MAKE_CHAR: "make_char",
    FS_MAKE_DIR: "make_dir",
    FS_MAKE_REG: "make_reg",
    FS_MAKE_SOCK: "make_sock",
    FS_MAKE_FIFO: "make_fifo",
    FS_MAKE_BLOCK: "make_block",
    FS_MAKE_SYM: "make_sym",
    FS_REFER: "refer",
    FS_TRUNCATE: "truncate",
    FS_IOCTL_DEV: "ioctl_dev",
}
# Rights that make sense on a file (the kernel refuses directory-only rights on a file rule).
_FS_FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV

READ = FS_READ_FILE | FS_READ_DIR
# Scratch: everything except executing, device nodes and device ioctls.
WRITE = (
    FS_WRITE_FILE
    | FS_READ_FILE
    | FS_READ_DIR
    | FS_REMOVE_DIR
    | FS_REMOVE_FILE
    | FS_MAKE_DIR
    | FS_MAKE_REG
    | FS_MAKE_SOCK
    | FS_MAKE_FIFO
    | FS_MAKE_SYM
    | FS_REFER
    | FS_TRUNCATE
)


def _fs_rights_for_abi(abi: int) -> int:
    rights = (1 << 13) - 1  # ABI 1: bits 0..12
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


def _rights_text(rights: int) -> str:
    return "+".join(name for bit, name in _FS_NAMES.items() if rights & bit)


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # __attribute__((packed)) in the UAPI: 12 bytes
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _landlock_abi() -> tuple[int, str]:
    """(ABI version, reason if 0)."""
    if not _IS_LINUX:
        return 0, f"Landlock is Linux only (this is {platform.system() or sys.platform})"
    try:
        return _syscall(_SYS_LANDLOCK_CREATE_RULESET, None, 0, _LANDLOCK_CREATE_RULESET_VERSION), ""
    except OSError as exc:
        if exc.errno == errno.ENOSYS:
            return 0, f"kernel {platform.release()} has no Landlock (needs >= 5.13 with CONFIG_SECURITY_LANDLOCK)"
        if exc.errno == errno.EOPNOTSUPP:
            return 0, "Landlock is built in but disabled at boot (add 'landlock' to the lsm= kernel parameter)"
        return 0, f"landlock_create_ruleset failed: {exc}"


def _landlock_errata() -> int:
    try:
        return _syscall(_SYS_LANDLOCK_CREATE_RULESET, None, 0, _LANDLOCK_CREATE_RULESET_ERRATA)
    except OSError:
        return 0


# ---------------------------------------------------------------------------------------------
# Paths


def _real(p) -> str:
    return os.path.realpath(os.fspath(p))


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _ld_so_conf_dirs(path: str = "/etc/ld.so.conf", depth: int = 0) -> list[str]:
    """Directories listed in ld.so.conf and its includes (e.g. CUDA or /usr/local dirs)."""
    import glob

    out: list[str] = []
    try:
        with open(path) as fh:
            lines = fh.read().splitlines()
    except OSError:
        return out
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("include ") and depth < 4:
            pattern = line.split(None, 1)[1]
            if not pattern.startswith("/"):
                pattern = os.path.join(os.path.dirname(path), pattern)
            for inc in sorted(glob.glob(pattern)):
                out += _ld_so_conf_dirs(inc, depth + 1)
        elif line.startswith("/"):
            out.append(line)
    return out


def default_read_paths() -> dict[str, list[str]]:
    """What imports and the runtime need to read, grouped (paths as found, not resolved).

    Found empirically (strace of ``import numpy``/``import tensorflow, keras``, fit, save, load
    with Python 3.11, TF 2.21, Keras 3 on Debian 12).
    """
    paths = sysconfig.get_paths()
    stdlib = [paths.get("stdlib"), paths.get("platstdlib")]
    dynload = os.path.join(paths.get("platstdlib") or "", "lib-dynload")
    site_dirs: list[str] = []
    try:
        import site

        site_dirs += site.getsitepackages()
        if site.ENABLE_USER_SITE:
            site_dirs.append(site.getusersitepackages())
    except Exception:  # noqa: BLE001 - embedded interpreters may lack parts of site
        pass
    site_dirs += [p for p in (paths.get("purelib"), paths.get("platlib")) if p]
    # Where the dynamic loader looks for the system libraries that imports dlopen() (libstdc++,
    # libgcc_s, ...): needed by numpy and TensorFlow.
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    libs = ["/lib64", "/usr/lib64", "/usr/local/lib"]
    if multiarch:
        libs += [f"/lib/{multiarch}", f"/usr/lib/{multiarch}"]
    else:
        libs += ["/lib", "/usr/lib"]
    libs += _ld_so_conf_dirs()
    libs += [p for p in os.environ.get("LD_LIBRARY_PATH", "").split(":") if p]
    system = [
        "/etc/ld.so.cache",  # dlopen() by soname of libraries in ld.so.conf directories
        "/etc/localtime",  # correct local time for time.localtime(), logging
        "/dev/urandom",  # TensorFlow aborts without it (std::random_device)
        "/proc/self",  # TensorFlow aborts without it (env.cc reads /proc/self/...); resolved to
        # /proc/<pid>, so other processes' /proc entries stay out of reach
    ]
    return {
        "stdlib": [p for p in stdlib + [dynload] if p],
        "site": [p for p in site_dirs if p],
        "sys_path": [p for p in sys.path if p],
        "system_libs": libs,
        "system": system,
    }


# Read by Python/TF/numpy/matplotlib when allowed, but not needed (checked one by one: same
# results, no new messages). Pass any of them in read_roots to allow them.
OPTIONAL_READ = (
    "/proc/cpuinfo",  # TensorFlow's CPU-frequency estimate for its cost model
    "/sys/devices/system/cpu/online",
    "/sys/devices/system/cpu/possible",  # glibc falls back
    "/dev/random",
    "/usr/lib/ssl/openssl.cnf",  # OpenSSL config read when hashlib loads libcrypto (Debian)
    "/usr/share/fonts",
    "/usr/local/share/fonts",  # matplotlib's font scan at first import
    sys.executable,  # already mapped; nothing re-reads it
)


DISTRIBUTION = "tfgrader"  # the name pyproject.toml gives this project


def distribution_paths(name: str) -> list[str]:
    """Files and folders an installed distribution owns (dist-info, editable finder, packages).

    For ``exclude``: e.g. ``distribution_paths("tfgrader")`` plus the checkout folder.
    """
    from importlib import metadata

    out: set[str] = set()
    # Every copy on sys.path, not only the first: a checkout's egg-info can shadow the
    # site-packages install that a worker could otherwise still read.
    for dist in metadata.distributions(name=name):
        base = os.path.abspath(str(dist.locate_file("")))
        for f in dist.files or ():
            top = str(f).split("/", 1)[0]
            if top and top not in ("..", "__pycache__"):
                out.add(os.path.join(base, top))
    return sorted(out)


def private_entries(package_dir=None, site_dirs: Iterable | None = None) -> list[str]:
    """Paths inside the default read grants that a worker must not read, for ``exclude``.

    - ``package_dir`` (the caller's own package) and, when it sits in a checkout, that checkout,
      if either lies inside a granted folder (an installed package in site-packages);
    - in every site-packages folder: ``.pth`` files and ``__editable__*`` finders (a worker started
      with ``-S`` never runs them, and they name source folders), ``.egg-link`` files, and the
      ``dist-info``/``egg-info`` of installs from a local folder (their ``direct_url.json`` names it).

    Cheap (one listing per site folder); nothing is imported.
    """
    groups = default_read_paths()
    sites = [
        p for p in (groups["site"] if site_dirs is None else [os.fspath(s) for s in site_dirs]) if os.path.isdir(p)
    ]
    grants = [_real(p) for p in groups["stdlib"] + sites + groups["system_libs"] if os.path.exists(p)]
    out: set[str] = set()
    if package_dir is not None:
        pkg = _real(package_dir)
        checkout = os.path.dirname(pkg)
        candidates = [pkg]
        if any(os.path.exists(os.path.join(checkout, m)) for m in ("pyproject.toml", "setup.py", ".git")):
            candidates.append(checkout)
        out.update(c for c in candidates if any(_inside(c, g) for g in grants))
    # An installed copy of this project (``pip install .``) stays readable to nobody even when
    # the running grader is another copy (a checkout): it holds the checks and catalogues too.
    out.update(
        _real(p)
        for p in distribution_paths(DISTRIBUTION)
        if os.path.lexists(p) and any(_inside(_real(p), g) for g in grants)
    )
    for site in sites:
        try:
            entries = list(os.scandir(site))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if name.endswith((".pth", ".egg-link")) or name.startswith("__editable__"):
                out.add(_real(entry.path))
            elif name.endswith((".dist-info", ".egg-info")):
                try:
                    with open(os.path.join(entry.path, "direct_url.json"), encoding="utf-8") as fh:
                        local = '"file:' in fh.read()
                except OSError:
                    local = False
                if local:
                    out.add(_real(entry.path))
    return sorted(out)


def reachable_by(path, uid: int, gid: int, groups: Iterable[int] = ()) -> str | None:
    """None if ``uid``/``gid`` can reach and read ``path`` by mode bits, else the blocking path.

    Checks search (x) on every ancestor and read (and search, for a directory) on the path.
    ACLs are not considered.
    """
    groups = set(groups) | {gid}
    path = _real(path)
    parts = path.split("/")
    for i in range(1, len(parts) + 1):
        p = "/".join(parts[:i]) or "/"
        try:
            st = os.stat(p)
        except OSError:
            return p
        if st.st_uid == uid:
            bits = (st.st_mode >> 6) & 7
        elif st.st_gid in groups:
            bits = (st.st_mode >> 3) & 7
        else:
            bits = st.st_mode & 7
        last = i == len(parts)
        need = (4 | (1 if stat.S_ISDIR(st.st_mode) else 0)) if last else 1
        if bits & need != need and uid != 0:
            return p
    return None


def prepare_scratch(path, uid: int | None = None, gid: int | None = None, mode: int = 0o700) -> str:
    """Parent side: create ``path`` (if missing) as the worker's scratch folder and return it.

    As root, the folder is chowned to ``uid``/``gid`` (default :data:`NOBODY`), the uid the worker
    drops to, so that it can write there. Its ancestors must let that uid through (``o+x``)
    unless the worker keeps ``CAP_DAC_READ_SEARCH`` (see :func:`confine`); :func:`reachable_by`
    tells. Not root: the folder simply belongs to the current user.
    """
    path = os.fspath(path)
    os.makedirs(path, mode=mode, exist_ok=True)
    os.chmod(path, mode)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        u, g = NOBODY
        os.chown(path, u if uid is None else uid, g if gid is None else gid)
    return _real(path)


# ---------------------------------------------------------------------------------------------
# Landlock plan


def _plan_tree(root: str, rights: int, excluded: list[str], out: list[tuple[str, int]], depth: int = 0) -> None:
    """Grant ``rights`` on ``root`` except the excluded paths beneath it.

    Landlock rules always cover a whole hierarchy, so a folder with an excluded path somewhere
    below is not granted itself: it gets READ_DIR only (listing, which also covers the excluded
    names) and each entry is granted separately. Symbolic links met while splitting are skipped
    (they could point anywhere); a top-level root that is a link is resolved by the caller.
    """
    if any(_inside(root, e) for e in excluded):
        return
    inner = [e for e in excluded if _inside(e, root) and e != root]
    if not inner:
        out.append((root, rights))
        return
    if depth > 32:
        return
    out.append((root, FS_READ_DIR))
    try:
        entries = list(os.scandir(root))
    except OSError:
        return
    for entry in entries:
        if entry.is_symlink():
            continue
        _plan_tree(entry.path, rights, inner, out, depth + 1)


def _bytecode_of(paths: Iterable[str]) -> list[str]:
    """The __pycache__ files of excluded .py files: the import system loads ``m.py`` from
    ``__pycache__/m.cpython-311.pyc`` after only a stat() of ``m.py`` (which Landlock does not
    restrict), so excluding the source alone would not stop ``import m``."""
    import glob

    out = []
    for p in paths:
        if p.endswith(".py"):
            d, name = os.path.split(_real(p))
            out += [
                _real(c)
                for c in glob.glob(os.path.join(glob.escape(d), "__pycache__", glob.escape(name[:-3]) + ".*.pyc"))
            ]
    return out


# The plans of the folders every worker reads (stdlib, site-packages, system libraries), split
# around the exclusions: ~30 ms of each worker's start-up, the same for every worker of a process.
# A zygote fills this before it forks (keep_plans), so its workers find them computed. Off elsewhere:
# a plan is a snapshot of those folders' entries (an entry created later is not granted, the safe way).
_PLANS: dict[tuple[str, int, tuple[str, ...]], tuple[tuple[str, int], ...]] | None = None


def keep_plans(exclude: list[str], include_sys_path: bool = True) -> None:
    """Compute and keep the shared folders' plans in this process (and in the processes it forks)."""
    global _PLANS
    _PLANS = {}
    _MERGES.clear()
    try:
        excluded, plan = _excluded(exclude), []  # type: list[str], list[tuple[str, int]]
        _shared_plan(excluded, include_sys_path, plan, [], [])
        _merged(plan, [], (tuple(excluded), include_sys_path))
    except BaseException:
        _PLANS = None  # each worker computes its own, as a spawned one does
        _MERGES.clear()
        raise


def _excluded(exclude: list[str]) -> list[str]:
    return sorted({_real(e) for e in exclude if os.path.lexists(e)} | set(_bytecode_of(exclude)))


def _add_plan(
    p: str, rights: int, excluded: list[str], plan: list, missing: list, *, shared: bool, own: list | None = None
) -> None:
    """Add ``p``'s rules to ``plan`` (``own``, when given, takes those of this process only)."""
    if p == "/proc/self":
        p, shared = f"/proc/{os.getpid()}", False  # what the magic link resolves to: this process only
    if not os.path.exists(p):
        missing.append(p)
        return
    # site-packages usually lies inside the stdlib folder: an exclusion in it splits both.
    key = (_real(p), rights, tuple(excluded))
    if not shared or _PLANS is None:
        _plan_tree(key[0], rights, excluded, plan if shared or own is None else own)
        return
    if key not in _PLANS:
        part: list[tuple[str, int]] = []
        _plan_tree(key[0], rights, excluded, part)
        _PLANS[key] = tuple(part)
    plan.extend(_PLANS[key])


def _shared_plan(
    excluded: list[str], include_sys_path: bool, plan: list, missing: list, own: list | None = None
) -> None:
    """The folders every process reads (the same for each worker of a process, but /proc/self,
    which goes to ``own`` when given)."""
    groups = default_read_paths()
    for p in groups["stdlib"]:
        _add_plan(p, READ, excluded, plan, missing, shared=True)
    for p in sorted({_real(p) for p in groups["site"] if os.path.isdir(p)}):
        _add_plan(p, READ, excluded, plan, missing, shared=True)
    if include_sys_path:
        for p in groups["sys_path"]:
            if os.path.exists(p):
                _add_plan(p, READ, excluded, plan, missing, shared=True)
    for p in groups["system_libs"]:
        if os.path.isdir(p):
            _add_plan(p, READ, excluded, plan, missing, shared=True)
    for p in groups["system"]:
        _add_plan(p, READ, excluded, plan, missing, shared=True, own=own)
    _add_plan("/dev/null", FS_READ_FILE | FS_WRITE_FILE | FS_TRUNCATE, excluded, plan, missing, shared=True)


def _landlock_plan(
    scratch: str, read_roots: list[str], exclude: list[str], extra_write: list[str], include_sys_path: bool
) -> tuple[list[tuple[str, int]], list[str]]:
    """[(real path, rights)] for Landlock, and the paths that were asked for but do not exist."""
    excluded = _excluded(exclude)
    missing: list[str] = []
    plan: list[tuple[str, int]] = []
    own: list[tuple[str, int]] = []  # this worker's own rules: its /proc entry, read roots, scratch
    _shared_plan(excluded, include_sys_path, plan, missing, own)
    for p in read_roots:
        real = _real(p)
        for e in excluded:
            if _inside(real, e):
                raise ConfinementError(f"read root {p} lies inside the excluded path {e}")
        _add_plan(p, READ, excluded, own, missing, shared=False)
    for p in [scratch] + extra_write:
        for e in excluded:
            if _inside(_real(p), e) or _inside(e, _real(p)):
                raise ConfinementError(f"writable folder {p} overlaps the excluded path {e}")
        _add_plan(p, WRITE, excluded, own, missing, shared=False)
    shared_key = (tuple(excluded), include_sys_path) if _PLANS is not None else None
    return _merged(plan, own, shared_key), missing


# The shared rules merged and pruned (see _merged), per (exclusions, include_sys_path): kept with
# _PLANS, so that a worker merges only its own few rules in (~5 ms of each worker's start-up).
_MERGES: dict[tuple, tuple[dict[str, int], dict[str, bool]]] = {}


def _covered(p: str, r: int, merged: dict[str, int]) -> bool:
    """Whether a rule on an ancestor of ``p`` grants at least ``r``."""
    parent, covered = os.path.dirname(p), False
    while parent and not covered:
        covered = r & ~merged.get(parent, 0) == 0
        parent = os.path.dirname(parent) if parent != "/" else ""
    return covered


def _union(rules: list[tuple[str, int]], into: dict[str, int] | None = None) -> dict[str, int]:
    """path -> the union of its rights over ``rules`` (added to a copy of ``into``)."""
    merged = dict(into or {})
    for p, r in rules:
        merged[p] = merged.get(p, 0) | r
    return merged


def _merged(shared: list[tuple[str, int]], own: list[tuple[str, int]], key: tuple | None) -> list[tuple[str, int]]:
    """Collapse duplicates (same path: union of rights), then drop rules already covered by a rule
    on an ancestor with at least the same rights (e.g. a ld.so.conf dir inside /usr/lib/<arch>).

    With ``key``, the shared rules' merge is computed once per key; only the rules whose rights or
    ancestors ``own`` changes (the own paths and what lies below them) are looked at again."""
    if key is None:
        merged = _union(shared + own)
        return [(p, r) for p, r in merged.items() if not _covered(p, r, merged)]
    if key not in _MERGES:
        base = _union(shared)
        _MERGES[key] = (base, {p: _covered(p, r, base) for p, r in base.items()})
    base, covered = _MERGES[key]
    merged = _union(own, base)
    mine = {p for p, _ in own}
    below = tuple(p.rstrip("/") + "/" for p in mine)
    return [
        (p, r)
        for p, r in merged.items()
        if not (_covered(p, r, merged) if p in mine or p.startswith(below) else covered[p])
    ]


def _landlock_prepare(abi: int, plan: list[tuple[str, int]], *, fs: bool, net: bool, scopes: bool) -> tuple[int, list]:
    """Create the ruleset and add the rules (while still privileged: the O_PATH opens must reach
    the paths). Returns (ruleset fd, [(path, rights granted)])."""
    handled_fs = _fs_rights_for_abi(abi) if fs else 0
    attr = _RulesetAttr(
        handled_fs,
        (NET_BIND_TCP | NET_CONNECT_TCP) if net else 0,
        (SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL) if scopes else 0,
    )
    size = 8 if abi < 4 else (16 if abi < 6 else 24)  # older kernels only know the first fields
    ruleset = _syscall(_SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), size, 0)
    granted = []
    try:
        for path, rights in plan:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue  # vanished meanwhile
            try:
                is_dir = stat.S_ISDIR(os.fstat(fd).st_mode)
                allowed = rights & handled_fs & (~0 if is_dir else _FS_FILE_RIGHTS)
                if not allowed:
                    continue
                rule = _PathBeneathAttr(allowed, fd)
                _syscall(_SYS_LANDLOCK_ADD_RULE, ruleset, _LANDLOCK_RULE_PATH_BENEATH, ctypes.byref(rule), 0)
                granted.append((path, _rights_text(allowed)))
            finally:
                os.close(fd)
    except BaseException:
        os.close(ruleset)
        raise
    return ruleset, granted


# ---------------------------------------------------------------------------------------------
# seccomp

_CLONE_THREAD = 0x00010000
_AF_UNIX = 1
_SOCK_DGRAM = 2
_SOCK_TYPE_MASK = 0xF
_TIOCSTI = 0x5412
_TIOCLINUX = 0x541C

# Never needed by a grader worker; mostly capability-guarded, refused anyway (defence in depth:
# also covers the case where the privilege drop is unavailable).
_EPERM_ALWAYS = (
    # processes
    "fork",
    "vfork",
    "execve",
    "execveat",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "pidfd_send_signal",
    "pidfd_getfd",
    "kcmp",
    "tkill",
    # namespaces and mounts (unprivileged user namespaces are enabled on this kind of machine)
    "unshare",
    "setns",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "mount_setattr",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    # file handles: with CAP_DAC_READ_SEARCH (kept by a root worker, see _privilege_plan) these are
    # the "shocker" escape that opens files by inode handle, around every path-based rule
    "open_by_handle_at",
    "name_to_handle_at",
    # kernel attack surface; io_uring would also create sockets without the socket() syscall
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "keyctl",
    "add_key",
    "request_key",
    # administration
    "init_module",
    "finit_module",
    "delete_module",
    "kexec_load",
    "kexec_file_load",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "iopl",
    "ioperm",
    "settimeofday",
    "clock_settime",
    "adjtimex",
    "clock_adjtime",
    "sethostname",
    "setdomainname",
    "syslog",
    "quotactl",
    "vhangup",
)
# Only when the process stays uid 0 (privilege drop unavailable): it owns most system files, and
# Landlock (ABI <= 7) does not cover chmod/chown/xattr/utime.
_EPERM_IF_ROOT = (
    "chmod",
    "fchmod",
    "fchmodat",
    "fchmodat2",
    "chown",
    "fchown",
    "lchown",
    "fchownat",
    "setxattr",
    "lsetxattr",
    "fsetxattr",
    "removexattr",
    "lremovexattr",
    "fremovexattr",
    "utime",
    "utimes",
    "utimensat",
    "futimesat",
)
_EPERM_IF_ROOT_X86_64_NR = {"setxattrat": 463, "removexattrat": 466, "file_setattr": 469}  # newer than libseccomp 2.5


def seccomp_rules(pid: int, *, allow_unix_sockets: bool = False, still_root: bool = False) -> list[tuple]:
    """The filter as data: [(syscall, errno, condition)] with condition None or
    (arg index, op, value, mask-or-None) where op is "!=" or "==" (masked when a mask is given).
    The default action is ALLOW; every listed match returns the errno."""
    rules: list[tuple] = [(name, errno.EPERM, None) for name in _EPERM_ALWAYS]
    rules += [
        ("clone", errno.EPERM, (0, "==", 0, _CLONE_THREAD)),  # a new process, not a thread
        ("clone3", errno.ENOSYS, None),  # glibc then falls back to clone(), which is checked
        ("kill", errno.EPERM, (0, "!=", pid, None)),  # full 64-bit compare: only exactly our pid
        ("tgkill", errno.EPERM, (0, "!=", pid, None)),
        ("rt_sigqueueinfo", errno.EPERM, (0, "!=", pid, None)),
        ("rt_tgsigqueueinfo", errno.EPERM, (0, "!=", pid, None)),
        ("prlimit64", errno.EPERM, (0, "!=", 0, None)),  # only our own limits (setrlimit uses pid 0)
        ("setpriority", errno.EPERM, (1, "!=", 0, None)),
        ("ioprio_set", errno.EPERM, (1, "!=", 0, None)),
        ("ioctl", errno.EPERM, (1, "==", _TIOCSTI, 0xFFFFFFFF)),  # typing into a terminal
        ("ioctl", errno.EPERM, (1, "==", _TIOCLINUX, 0xFFFFFFFF)),
        ("prctl", errno.EPERM, (0, "==", PR_SET_PDEATHSIG, 0xFFFFFFFF)),  # keep dying with the parent
        ("prctl", errno.EPERM, (0, "==", PR_SET_DUMPABLE, 0xFFFFFFFF)),
        ("socketpair", errno.EACCES, (0, "!=", _AF_UNIX, None)),
    ]
    if allow_unix_sockets:
        rules.append(("socket", errno.EACCES, (0, "!=", _AF_UNIX, None)))
    else:
        # Landlock (ABI <= 7) does not cover connect() to a *pathname* UNIX socket, so socket()
        # is refused for every family; socketpair() stays for in-process plumbing, but not
        # SOCK_DGRAM pairs, which could be re-connected to a pathname socket.
        rules.append(("socket", errno.EACCES, None))
        rules.append(("socketpair", errno.EACCES, (1, "==", _SOCK_DGRAM, _SOCK_TYPE_MASK)))
    if still_root:
        rules += [(name, errno.EPERM, None) for name in _EPERM_IF_ROOT]
        if platform.machine() == "x86_64":
            rules += [(nr, errno.EPERM, None) for nr in _EPERM_IF_ROOT_X86_64_NR.values()]
    return rules


def _rule_text(rule: tuple) -> str:
    name, err, cond = rule
    what = f"{errno.errorcode.get(err, err)}"
    if cond is None:
        return f"{name}: {what}"
    idx, op, value, mask = cond
    lhs = f"arg{idx}" if mask is None else f"(arg{idx} & {mask:#x})"
    rhs = f"{value:#x}" if mask is not None else str(value)
    return f"{name} if {lhs} {op} {rhs}: {what}"


def _import_pyseccomp():
    """Import pyseccomp without its two ctypes.util.find_library() calls ("c", "seccomp"), each of
    which runs ``ldconfig -p`` in a subprocess (~3 ms each per worker); falls back to them."""
    if "pyseccomp" in sys.modules:
        return sys.modules["pyseccomp"]
    original = ctypes.util.find_library

    known = {"seccomp": ("libseccomp.so.2", "libseccomp.so"), "c": ("libc.so.6",)}

    def find_library(name):
        for soname in known.get(name, ()):
            try:
                ctypes.CDLL(soname)
                return soname
            except OSError:
                pass
        return original(name)

    ctypes.util.find_library = find_library
    try:
        import pyseccomp
    finally:
        ctypes.util.find_library = original
    return pyseccomp


def _seccomp_build(rules: list[tuple]):
    sc = _import_pyseccomp()
    flt = sc.SyscallFilter(sc.ALLOW)
    flt.set_attr(sc.Attr.CTL_TSYNC, 1)  # every thread of the process, should one exist already
    flt.set_attr(sc.Attr.ACT_BADARCH, sc.ERRNO(errno.ENOSYS))  # int 0x80 & co: refused, not killed
    flt.set_attr(sc.Attr.CTL_NNP, 1)
    added, skipped = [], []
    for rule in rules:
        name, err, cond = rule
        args = []
        if cond is not None:
            idx, op, value, mask = cond
            if mask is not None:
                args.append(sc.Arg(idx, sc.MASKED_EQ, mask, value))
            else:
                args.append(sc.Arg(idx, sc.NE if op == "!=" else sc.EQ, value))
        nr = name if isinstance(name, int) else sc.resolve_syscall(sc.Arch.NATIVE, name)
        if nr == -1:  # __NR_SCMP_ERROR (other negative numbers are valid pseudo-syscalls)
            skipped.append(f"{name}: unknown on this architecture or to libseccomp")
            continue
        try:
            flt.add_rule(sc.ERRNO(err), nr, *args)
        except OSError as exc:
            skipped.append(f"{name}: not added ({exc})")
            continue
        added.append(_rule_text(rule))
    return flt, added, skipped


def _seccomp_available() -> tuple[bool, str]:
    if not _IS_LINUX:
        return False, f"seccomp is Linux only (this is {platform.system() or sys.platform})"
    try:
        mode = _prctl(PR_GET_SECCOMP)
    except OSError as exc:
        return False, f"kernel without seccomp ({exc})"
    if mode == 1:
        return False, "the process is in strict seccomp mode"
    try:
        sc = _import_pyseccomp()
    except Exception as exc:  # noqa: BLE001 - ImportError, RuntimeError("Unable to find libseccomp")
        return False, f"pyseccomp/libseccomp not usable: {exc}"
    try:
        api = sc.get_api()
    except Exception:  # noqa: BLE001 - libseccomp < 2.4 has no api level
        api = 0
    if api < 2:
        return False, f"libseccomp API level {api} has no TSYNC support (needs >= 2)"
    return True, f"libseccomp API level {api}, filters already installed: {mode == 2}"


# ---------------------------------------------------------------------------------------------
# privileges

_CAP_DAC_READ_SEARCH = 2
_LINUX_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _capset(caps: Iterable[int]) -> None:
    """Set effective = permitted = ``caps``, inheritable = none, for this thread."""
    hdr = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    for c in caps:
        data[c // 32].effective |= 1 << (c % 32)
        data[c // 32].permitted |= 1 << (c % 32)
    if _libc().capset(ctypes.byref(hdr), data) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"capset: {os.strerror(e)}")


def _drop_bounding_set() -> None:
    try:
        with open("/proc/sys/kernel/cap_last_cap") as fh:
            last = int(fh.read())
    except (OSError, ValueError):
        last = 40
    for cap in range(last + 1):
        with contextlib.suppress(OSError):  # EINVAL for an unknown capability
            _prctl(PR_CAPBSET_DROP, cap)
    with contextlib.suppress(OSError):
        _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)


def _uid_mapped(uid: int, path: str = "/proc/self/uid_map") -> bool:
    try:
        with open(path) as fh:
            for line in fh:
                inner, _outer, count = (int(x) for x in line.split())
                if inner <= uid < inner + count:
                    return True
    except (OSError, ValueError):
        return True  # no user namespaces: every uid exists
    return False


def _privilege_plan(
    drop_to, keep_read_capability: bool, need_read: list[str], scratch: str, landlock_fs: bool
) -> tuple[MechanismStatus, bool]:
    """(status as probed, keep CAP_DAC_READ_SEARCH?). The capability is only ever kept together
    with Landlock file rules: alone it would let uid 65534 read every file on the machine."""
    if not _IS_LINUX:
        return MechanismStatus("unavailable", f"Linux only (this is {platform.system() or sys.platform})"), False
    if os.geteuid() != 0:
        return MechanismStatus("not_needed", f"not root (uid {os.geteuid()})"), False
    if drop_to is None:
        return MechanismStatus("skipped", "drop_to=None"), False
    uid, gid = drop_to
    if not (_uid_mapped(uid) and _uid_mapped(gid, "/proc/self/gid_map")):
        return MechanismStatus("unavailable", f"uid {uid}/gid {gid} not mapped in this user namespace"), False
    blocked = [(p, b) for p in need_read + ([scratch] if scratch else []) if (b := reachable_by(p, uid, gid))]
    if blocked and not (keep_read_capability and landlock_fs):
        p, b = blocked[0]
        why = (
            "keep_read_capability=False"
            if not keep_read_capability
            else "CAP_DAC_READ_SEARCH is kept only together with Landlock file rules"
        )
        return MechanismStatus(
            "unavailable",
            f"uid {uid} cannot reach {p} (blocked at {b}) and {why}; make the path reachable by uid {uid}",
        ), False
    if blocked:
        p, b = blocked[0]
        return MechanismStatus(
            "available",
            f"uid {uid} gid {gid}, keeping CAP_DAC_READ_SEARCH: uid {uid} cannot reach {p} (blocked at {b})",
        ), True
    return MechanismStatus("available", f"uid {uid} gid {gid}"), False


def _drop_privileges(drop_to, keep_read: bool) -> str:
    uid, gid = drop_to
    _drop_bounding_set()  # needs CAP_SETPCAP: do it while root
    if keep_read:
        _prctl(PR_SET_KEEPCAPS, 1)
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if keep_read:
        _capset([_CAP_DAC_READ_SEARCH])
        _prctl(PR_SET_KEEPCAPS, 0)
    if os.getresuid() != (uid, uid, uid) or os.getresgid() != (gid, gid, gid) or os.getgroups():
        raise OSError(errno.EPERM, "credentials did not change as asked")
    return "CAP_DAC_READ_SEARCH" if keep_read else ""


# ---------------------------------------------------------------------------------------------
# probe / confine


def _threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        import threading

        return threading.active_count()


def _writable_by(path: str, uid: int, gid: int) -> bool:
    st = os.stat(path)
    if st.st_uid == uid:
        return st.st_mode & 0o300 == 0o300
    if st.st_gid == gid:
        return st.st_mode & 0o030 == 0o030
    return st.st_mode & 0o003 == 0o003


def _probe(
    scratch: str, read_roots: list[str], drop_to, keep_read_capability: bool, skip: Iterable[str] = ()
) -> tuple[dict, bool]:
    out: dict[str, MechanismStatus] = {}
    keep_read = False
    abi, why_abi = _landlock_abi()
    if _IS_LINUX:
        groups = default_read_paths()
        need = [p for p in groups["stdlib"][:1] + groups["site"] if os.path.exists(p)] + list(read_roots)
        out["privilege_drop"], keep_read = _privilege_plan(
            drop_to, keep_read_capability, need, scratch, landlock_fs=abi > 0 and "landlock_fs" not in skip
        )
        out["prctl"] = MechanismStatus("available", "PDEATHSIG, DUMPABLE, NO_NEW_PRIVS")
    else:
        why = f"Linux only (this is {platform.system() or sys.platform})"
        out["privilege_drop"] = MechanismStatus("unavailable", why)
        out["prctl"] = MechanismStatus("unavailable", why)
    why = why_abi
    if abi:
        out["landlock_fs"] = MechanismStatus("available", f"ABI {abi}, errata {_landlock_errata():#x}")
        out["landlock_net"] = (
            MechanismStatus("available", f"ABI {abi} >= 4: TCP bind/connect")
            if abi >= 4
            else MechanismStatus("unavailable", f"Landlock ABI {abi} < 4 (kernel < 6.7)")
        )
        out["landlock_scopes"] = (
            MechanismStatus("available", f"ABI {abi} >= 6: signals, abstract UNIX sockets")
            if abi >= 6
            else MechanismStatus("unavailable", f"Landlock ABI {abi} < 6 (kernel < 6.12)")
        )
    else:
        for k in ("landlock_fs", "landlock_net", "landlock_scopes"):
            out[k] = MechanismStatus("unavailable", why)
    ok, why = _seccomp_available()
    out["seccomp"] = MechanismStatus("available" if ok else "unavailable", why)
    return {k: out[k] for k in MECHANISMS}, keep_read


def probe(
    *, scratch=None, read_roots: Iterable = (), drop_to=NOBODY, keep_read_capability: bool = True
) -> dict[str, MechanismStatus]:
    """Which mechanisms this machine offers, without changing anything.

    Returns {mechanism: MechanismStatus} (keys in :data:`MECHANISMS` order) with state
    ``available``, ``unavailable``, ``not_needed`` or ``skipped`` and a reason. ``scratch`` and
    ``read_roots`` refine the privilege-drop answer (can the target uid reach them?).
    """
    status, _ = _probe(
        _real(scratch) if scratch else "", [os.fspath(p) for p in read_roots], drop_to, keep_read_capability
    )
    return status


def confine(
    scratch,
    read_roots: Iterable = (),
    *,
    exclude: Iterable = (),
    extra_write: Iterable = (),
    strict: bool = False,
    drop_to: tuple[int, int] | None = NOBODY,
    keep_read_capability: bool = True,
    allow_unix_sockets: bool = False,
    include_sys_path: bool = True,
    tmpdir: bool = True,
    parent_pid: int | None = None,
    pdeathsig: int = signal.SIGKILL,
    dumpable: bool = False,
    skip: Iterable[str] = (),
) -> Confinement:
    """Confine the calling process for good. Call it once, single-threaded, before heavy imports.

    scratch: the only folder the process may write to (must exist; as root it must be writable
        by ``drop_to``: see :func:`prepare_scratch`).
    read_roots: folders or files readable in addition to what imports need (the student's copy,
        data files, ...).
    exclude: paths taken out of every read grant, including the automatic ones (the grader's
        checkout, its dist-info and editable finder: :func:`distribution_paths`). A read root
        inside an excluded path is an error.
    extra_write: further writable folders, with the same rights as scratch.
    strict: raise :class:`ConfinementError` when a mechanism is unavailable (checked before
        anything changes) or fails while being applied (the process is then partly confined).
    drop_to: (uid, gid) to become when running as root; None keeps uid 0 (not recommended; all
        capabilities are still dropped and the uid-0 seccomp rules added).
    keep_read_capability: when ``drop_to`` cannot reach the interpreter or a read root by mode
        bits (e.g. an interpreter under /root, mode 0700), keep CAP_DAC_READ_SEARCH; reads stay
        bounded by Landlock. False: the drop is then reported unavailable and the process stays
        uid 0 without capabilities (seccomp then also refuses chmod/chown/xattr/utime calls).
    allow_unix_sockets: let socket(AF_UNIX) through seccomp. Abstract names stay blocked by the
        Landlock scope; pathname sockets anywhere become reachable as far as DAC allows.
    include_sys_path: also grant the current ``sys.path`` entries (minus ``exclude``).
    tmpdir: create ``scratch/tmp`` and point TMPDIR/TEMP/TMP and :mod:`tempfile` at it.
    parent_pid: the expected parent (default: the parent at entry); if it changed by the time
        PDEATHSIG is armed, the parent is gone and ConfinementError is raised.
    pdeathsig / dumpable: the PR_SET_PDEATHSIG signal and the PR_SET_DUMPABLE value.
    skip: mechanism names not to apply (tests, measurements); reported ``skipped``.

    Returns a :class:`Confinement`: per-mechanism status, the Landlock rules and seccomp rules
    installed, the resulting uid/gid and kept capabilities, the tmpdir and the seconds taken.
    """
    t0 = time.perf_counter()
    skip = set(skip)
    if skip - set(MECHANISMS):
        raise ConfinementError(f"unknown mechanisms in skip: {sorted(skip - set(MECHANISMS))}")
    scratch_s = os.fspath(scratch)
    if not os.path.isdir(scratch_s):
        raise ConfinementError(f"scratch folder {scratch_s} does not exist")
    scratch_s = _real(scratch_s)
    read_roots = [os.fspath(p) for p in read_roots]
    for p in read_roots:
        if not os.path.exists(p):
            raise ConfinementError(f"read root {p} does not exist")
    exclude = [os.fspath(p) for p in exclude]
    extra_write = [os.fspath(p) for p in extra_write]
    if _IS_LINUX and (n := _threads()) > 1:
        raise ConfinementError(
            f"confine() must run while the process is single-threaded ({n} threads): "
            f"Landlock only confines the calling thread"
        )
    expected_parent = os.getppid() if parent_pid is None else parent_pid

    status, keep_read = _probe(scratch_s, read_roots, drop_to, keep_read_capability, skip)
    for name in skip:
        status[name] = MechanismStatus("skipped", "by the caller")
    if strict:
        bad = {k: v for k, v in status.items() if v.state == "unavailable"}  # skipped = asked for
        if bad:
            raise ConfinementError("confinement unavailable: " + "; ".join(f"{k}: {v}" for k, v in bad.items()))
    if status["privilege_drop"].state == "available" and drop_to is not None:
        uid, gid = drop_to
        for p in [scratch_s] + extra_write:
            if not _writable_by(p, uid, gid):
                raise ConfinementError(
                    f"{p} is not writable by uid {uid}/gid {gid}: create it with prepare_scratch() in the parent"
                )
    result = Confinement(mechanisms=dict(status))
    if not _IS_LINUX:
        _set_tmpdir(result, scratch_s, tmpdir)
        result.seconds = time.perf_counter() - t0
        return result

    def wanted(name: str) -> bool:
        return result.mechanisms[name].state == "available"

    def fail(names, exc: BaseException) -> None:
        for name in names:
            if wanted(name):
                result.mechanisms[name] = MechanismStatus("failed", f"{type(exc).__name__}: {exc}")
        if strict:
            raise ConfinementError(f"{', '.join(names)} failed: {exc}", result) from exc

    landlock = [n for n in ("landlock_fs", "landlock_net", "landlock_scopes") if wanted(n)]
    abi, _ = _landlock_abi()
    result.landlock_abi = abi

    # 1. Landlock rules are gathered now, while privileged: the O_PATH opens must reach the paths.
    ruleset = -1
    if landlock:
        try:
            plan: list[tuple[str, int]] = []
            if wanted("landlock_fs"):
                plan, result.missing = _landlock_plan(scratch_s, read_roots, exclude, extra_write, include_sys_path)
            ruleset, result.landlock_rules = _landlock_prepare(
                abi, plan, fs=wanted("landlock_fs"), net=wanted("landlock_net"), scopes=wanted("landlock_scopes")
            )
        except ConfinementError:
            raise
        except Exception as exc:  # noqa: BLE001
            fail(landlock, exc)
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass

    # 2. Privileges.
    if wanted("privilege_drop"):
        try:
            result.capabilities = _drop_privileges(drop_to, keep_read)
            result.mechanisms["privilege_drop"] = MechanismStatus("applied", status["privilege_drop"].detail)
        except Exception as exc:  # noqa: BLE001
            fail(["privilege_drop"], exc)
    still_root = os.geteuid() == 0
    if still_root:
        try:  # root that could not (or was told not to) drop: at least no capabilities
            _drop_bounding_set()
            _capset([])
        except OSError:
            pass
    result.uid, result.gid = os.getuid(), os.getgid()

    # 3. prctl. PDEATHSIG only now: a uid change clears it.
    if wanted("prctl"):
        try:
            _prctl(PR_SET_PDEATHSIG, int(pdeathsig))
            if os.getppid() != expected_parent:
                raise ConfinementError(f"the parent (pid {expected_parent}) exited before PDEATHSIG was set", result)
            _prctl(PR_SET_DUMPABLE, 1 if dumpable else 0)
            _prctl(PR_SET_NO_NEW_PRIVS, 1)
            result.mechanisms["prctl"] = MechanismStatus(
                "applied", f"PDEATHSIG={signal.Signals(pdeathsig).name}, DUMPABLE={int(dumpable)}, NO_NEW_PRIVS=1"
            )
        except ConfinementError:
            raise
        except Exception as exc:  # noqa: BLE001
            fail(["prctl"], exc)

    # 4. Landlock.
    if ruleset >= 0:
        try:
            _prctl(PR_SET_NO_NEW_PRIVS, 1)  # landlock_restrict_self needs it (or CAP_SYS_ADMIN)
            _syscall(_SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0)
            done = {
                "landlock_fs": f"ABI {abi}, {len(result.landlock_rules)} path rules",
                "landlock_net": "TCP bind and connect refused",
                "landlock_scopes": "signals and abstract UNIX sockets limited to this process",
            }
            for name in landlock:
                result.mechanisms[name] = MechanismStatus("applied", done[name])
        except Exception as exc:  # noqa: BLE001
            if result.capabilities:  # never CAP_DAC_READ_SEARCH without Landlock
                _capset([])
                result.capabilities = ""
            fail(landlock, exc)
        finally:
            os.close(ruleset)
    elif result.capabilities:
        _capset([])  # the ruleset could not even be built
        result.capabilities = ""

    # 5. seccomp, last (it also refuses prctl(PR_SET_PDEATHSIG/DUMPABLE) from now on).
    if wanted("seccomp"):
        try:
            rules = seccomp_rules(os.getpid(), allow_unix_sockets=allow_unix_sockets, still_root=still_root)
            flt, added, not_added = _seccomp_build(rules)
            flt.load()
            result.seccomp_rules = added
            detail = f"{len(added)} rules, TSYNC, foreign-architecture syscalls -> ENOSYS"
            if not_added:
                detail += f"; not added: {', '.join(not_added)}"
            result.mechanisms["seccomp"] = MechanismStatus("applied", detail)
        except Exception as exc:  # noqa: BLE001
            fail(["seccomp"], exc)

    _set_tmpdir(result, scratch_s, tmpdir)
    result.seconds = time.perf_counter() - t0
    return result


def _set_tmpdir(result: Confinement, scratch: str, enabled: bool) -> None:
    if not enabled:
        return
    path = os.path.join(scratch, "tmp")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except OSError:
        return
    for var in ("TMPDIR", "TEMP", "TMP"):
        os.environ[var] = path
    tempfile.tempdir = path
    result.tmpdir = path


def describe(status: Mapping[str, MechanismStatus]) -> str:
    """One line per mechanism, for logs."""
    return "\n".join(f"{k}: {v}" for k, v in status.items())
