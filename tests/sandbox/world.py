"""A scratch world for the side-effect hostile suite: a grading machine in a folder.

Everything an attack could hurt exists inside the world and nowhere else: a copy of the grader
installation run from there with PYTHONPATH (with ``solutions/`` beside it, as in a checkout), a
virtualenv whose site-packages stands for the machine's, a HOME with ``.bashrc`` and
``~/.keras/keras.json``, a data file, the grader's working directory, an out folder with
neighbours, a class of submissions and the class's graded results, and the grader's TMPDIR (so
the run's private folders, and the environment of every process a run starts, name the world).

A template world is built (and graded) once per test process; each test copies it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SEED = 20261127
TOPIC = "activations"
ACT = (REPO / "solutions" / "activations.py").read_text()
# A Keras topic: its workers fork from the zygote (grader/sandbox/zygote.py), not spawned like ACT's.
MODELS = (REPO / "solutions" / "models.py").read_text()
WRONG = ACT.replace("return np.maximum(x, 0)", "return np.abs(x)")  # a known mistake: relu as |x|
assert WRONG != ACT
KERAS_JSON = {"floatx": "float32", "epsilon": 1e-07, "backend": "tensorflow", "image_data_format": "channels_last"}


def body(fn: str, code: str, source: str = ACT) -> str:
    """``source`` with ``fn``'s reference body replaced by ``code`` (4-space indented)."""
    start = source.index(f"def {fn}(")
    begin = source.index("# BEGIN SOLUTION", start)
    end = source.index("# END SOLUTION", begin) + len("# END SOLUTION")
    return source[:begin] + code.strip().replace("\n", "\n    ") + source[end:]


@dataclass
class World:
    base: Path
    marker: str = field(default_factory=lambda: "WORLD-SECRET-" + os.urandom(6).hex())
    pristine: dict = field(default_factory=dict)  # {student: {check id: status}} of the template's grading

    # -- layout --------------------------------------------------------------------------
    @property
    def install(self) -> Path:
        return self.base / "install"

    @property
    def venv(self) -> Path:
        return self.base / "venv"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def site(self) -> Path:
        return self.venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"

    @property
    def home(self) -> Path:
        return self.base / "home"

    @property
    def data(self) -> Path:
        return self.base / "data" / "mnist.npz"

    @property
    def cwd(self) -> Path:
        return self.base / "cwd"

    @property
    def out(self) -> Path:
        return self.base / "out"

    @property
    def klass(self) -> Path:
        return self.base / "class"

    @property
    def graded(self) -> Path:
        return self.base / "graded"

    @property
    def refstore(self) -> Path:
        """The grader's reference store: shared by every student, so a submission must not write it."""
        return self.base / "refstore"

    @property
    def tmp(self) -> Path:
        return self.base / "tmp"

    def paths(self) -> dict[str, str]:
        """What an attack is told: every path of the world (a student who read our source knows them)."""
        return {
            "install": str(self.install),
            "site": str(self.site),
            "home": str(self.home),
            "data": str(self.data),
            "cwd": str(self.cwd),
            "out": str(self.out),
            "class": str(self.klass),
            "graded": str(self.graded),
            "base": str(self.base),
            "marker": self.marker,
            "repo": str(REPO),
            "refstore": str(self.refstore),
        }

    def env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", os.defpath),
            "HOME": str(self.home),
            "PYTHONPATH": str(self.install),
            "TMPDIR": str(self.tmp),
            "GRADER_MNIST": str(self.data),
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONDONTWRITEBYTECODE": "1",  # the installation stays byte-for-byte as copied
            "MPLCONFIGDIR": str(self.base / "mpl"),  # the grader's own matplotlib cache, outside HOME
            # The grader's own reference store (grader/core/refstore.py), outside HOME too: the
            # guarded trees must change only if a submission changed them.
            "GRADER_CACHE_DIR": str(self.refstore),
            "OMP_NUM_THREADS": "1",
            "LANG": "C.UTF-8",
            "WORLD_MARKER": self.marker,  # what an attack on the grader's environment looks for
        }

    # -- the grader, run from the world -----------------------------------------------------
    def grader(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.python), "-m", "grader.cli", *args],
            cwd=self.cwd,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def batch(self, submissions: Path, out: Path, *extra: str, topic: str = TOPIC) -> subprocess.CompletedProcess:
        return self.grader(
            "batch", str(submissions), topic, "--out", str(out), "--seed", str(SEED), "--jobs", "1", "-q", *extra
        )

    def run(self, submission: Path, out: Path, *extra: str, topic: str = TOPIC) -> subprocess.CompletedProcess:
        return self.grader(
            "run",
            topic,
            "--submission",
            str(submission),
            "--out",
            str(out),
            "--seed",
            str(SEED),
            "-q",
            "--sandbox",
            "strict",
            *extra,
        )

    # -- what must not change ----------------------------------------------------------------
    def guarded(self) -> dict[str, Path]:
        return {
            "installation": self.install,
            "site-packages": self.site,
            "HOME": self.home,
            "data": self.data.parent,
            "working directory": self.cwd,
            "classmates and submissions": self.klass,
            "graded results": self.graded,
            "out-folder neighbours": self.out,
            "out-folder siblings": self.base / "out-sibling",
        }

    def snapshot(self) -> dict[str, dict[str, str]]:
        """Hashes of every guarded tree (the out folder without the three files the grader writes)."""
        snap = {}
        for name, root in self.guarded().items():
            skip = {"results.json", "report.html", "report.md"} if root == self.out else set()
            snap[name] = tree_hash(root, skip)
        return snap


def tree_hash(root: Path, skip: set[str] = frozenset()) -> dict[str, str]:
    """{relative path: sha256 of the content, the link target, or 'dir'}, for every entry below root."""
    out: dict[str, str] = {}
    if not root.exists():
        return {".": "missing"}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            if Path(dirpath) == root and name in skip:
                continue
            if p.is_symlink():
                out[rel] = "link:" + os.readlink(p)
            elif p.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def changed(before: dict, after: dict) -> dict[str, list[str]]:
    diff = {}
    for name in before:
        a, b = before[name], after.get(name, {})
        keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        if keys:
            diff[name] = keys[:20]
    return diff


def world_processes(world: World) -> list[int]:
    """Processes (other than this one) whose command line or environment names the world: anything
    a grading run or a control run started in it."""
    needle = str(world.base).encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                if fh.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                    continue
            blob = b""
            for part in ("cmdline", "environ"):
                with open(f"/proc/{name}/{part}", "rb") as fh:
                    blob += fh.read()
        except OSError:
            continue
        if needle in blob:
            found.append(int(name))
    return found


def verdicts(results: Path) -> dict[str, str]:
    data = json.loads(results.read_text())
    return {c["id"]: c["status"] for t in data["topics"] for c in t["checks"]}


def build_template(base: Path) -> World:
    """The pristine world, with the class graded once (its verdicts are the reference)."""
    w = World(base)
    base.mkdir(parents=True, exist_ok=True)
    os.chmod(base, 0o755)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "grader", w.install / "grader", ignore=ignore)
    shutil.copytree(REPO / "templates", w.install / "templates", ignore=ignore)
    shutil.copytree(REPO / "solutions", w.install / "solutions", ignore=ignore)
    shutil.copy(REPO / "pyproject.toml", w.install / "pyproject.toml")  # a checkout, as instructors have one
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(w.venv)], check=True)
    w.site.mkdir(parents=True, exist_ok=True)
    (w.site / "world_marker.py").write_text("MARK = 1\n")
    (w.home / ".keras").mkdir(parents=True)
    (w.home / ".bashrc").write_text("# the instructor's shell start-up\nexport EDITOR=vi\n")
    (w.home / ".keras" / "keras.json").write_text(json.dumps(KERAS_JSON, indent=4))
    w.data.parent.mkdir()
    w.data.write_bytes(b"PK-not-really-mnist-" + os.urandom(64))  # only its bytes matter here
    w.cwd.mkdir()
    (w.cwd / "notes.txt").write_text("the instructor's working directory\n")
    w.out.mkdir()
    (w.out / "keep.txt").write_text("a neighbour of the reports\n")
    (base / "out-sibling").mkdir()
    (base / "out-sibling" / "other-report.html").write_text("<p>another run</p>\n")
    w.tmp.mkdir()
    os.chmod(w.tmp, 0o1777)
    for name, source in (("alice", ACT), ("bob", WRONG)):
        (w.klass / name).mkdir(parents=True)
        (w.klass / name / "activations.py").write_text(source)
    where = subprocess.run(
        [str(w.python), "-c", "import grader; print(grader.__file__)"],
        env=w.env(),
        cwd=w.cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where == str(w.install / "grader" / "__init__.py"), where
    proc = w.batch(w.klass, w.graded)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # bob fails
    w.pristine = {name: verdicts(w.graded / ".instructor" / f"{name}.json") for name in ("alice", "bob")}
    assert all(v == "passed" for v in w.pristine["alice"].values())
    assert any(v == "failed" for v in w.pristine["bob"].values())
    return w


def copy_world(template: World, base: Path) -> World:
    shutil.copytree(template.base, base, symlinks=True)
    return World(base, marker=template.marker, pristine=template.pristine)


def wait_until(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def new_base() -> Path:
    base = Path(tempfile.mkdtemp(prefix="grader-world-", dir="/tmp"))
    os.chmod(base, 0o755)
    return base
