"""The worker's view of the grader: a private runtime copy holding only the worker-side modules."""

from __future__ import annotations

import re
from pathlib import Path

from grader.core.runner import WORKER_MODULES
from grader.sandbox import client

PACKAGE = Path(client.__file__).resolve().parents[1]


def test_the_runtime_holds_the_sandbox_and_the_named_modules_only(tmp_path):
    runtime = client.build_runtime(tmp_path / "runtime", WORKER_MODULES)
    files = sorted(str(p.relative_to(runtime)) for p in runtime.rglob("*.py"))
    assert files == sorted(
        [
            "grader/__init__.py",
            "grader/i18n.py",
            "grader/errors.py",
            "grader/status.py",
            "grader/sandbox/__init__.py",
            "grader/sandbox/boot.py",
            "grader/sandbox/codec.py",
            "grader/sandbox/confine.py",
            "grader/sandbox/worker.py",
            "grader/course/__init__.py",
            "grader/course/keras_describe.py",
            "grader/course/mnist_driver.py",
            "grader/course/backprop_functions.py",
        ]
    )
    for rel in files:
        assert (runtime / rel).read_bytes() == (PACKAGE.parent / rel).read_bytes()
    assert not list(runtime.rglob("misconceptions")) and not list(runtime.rglob("checks"))


def test_every_module_the_checks_run_in_the_worker_is_copied():
    """Drivers and describers are named as "grader.module:function" strings; classes in check inputs
    travel by pickle. Both must be importable in the worker, i.e. listed in WORKER_MODULES."""
    named = set()
    for path in (PACKAGE / "course" / "checks").glob("test_*.py"):
        text = path.read_text(encoding="utf-8")
        named |= set(re.findall(r"[\"'](grader(?:\.\w+)+):\w+[\"']", text))
        named |= {m for m in re.findall(r"from (grader\.course\.\w+) import", text) if m.endswith("_functions")}
    assert named and named <= set(WORKER_MODULES), named - set(WORKER_MODULES)
    # ... and what those modules import from the package is in the runtime too.
    for module in WORKER_MODULES:
        source = (PACKAGE.parent / Path(*module.split("."))).with_suffix(".py").read_text(encoding="utf-8")
        for imported in re.findall(r"^\s*from (grader(?:\.\w+)*) import", source, re.M):
            assert imported in (*WORKER_MODULES, *client.SANDBOX_MODULES, "grader"), (module, imported)


def test_a_module_outside_the_package_is_refused(tmp_path):
    import pytest

    with pytest.raises(ValueError):
        client.build_runtime(tmp_path / "r", ["numpy"])


def test_the_audit_hook_applies_landlock_rules_as_landlock_does():
    from grader.sandbox.worker import _rule_checker

    allowed = _rule_checker([("/a", "read_file+read_dir"), ("/a/w", "write_file+read_file"), ("/f.txt", "read_file")])
    assert allowed("/a/x/y.py", "read_file") and allowed("/a", "read_dir")
    assert allowed("/a/w/new.txt", "write_file") and not allowed("/a/x.txt", "write_file")
    assert allowed("/f.txt", "read_file") and not allowed("/f.txt.bak", "read_file")
    assert not allowed("/b/secret", "read_file") and not allowed("/", "read_dir")
    assert _rule_checker([]) is None  # no rules known: the hook leaves paths to the OS


def test_without_landlock_the_hook_gets_the_rules_landlock_would_have(tmp_path):
    """Best effort on a kernel without Landlock: the same plan, enforced for Python-level opens."""
    from grader.sandbox import boot
    from grader.sandbox import confine as C

    scratch, student, secret = tmp_path / "scratch", tmp_path / "student", tmp_path / "secret"
    for d in (scratch, student, secret):
        d.mkdir()
    status = C.Confinement({k: C.MechanismStatus("unavailable", "no Landlock here") for k in C.MECHANISMS})
    rules, hook = boot._file_rules(C, status, str(scratch), {"read": [str(student)], "exclude": []})
    assert hook["state"] == "applied" and "native code" in hook["detail"]
    from grader.sandbox.worker import _rule_checker

    allowed = _rule_checker(rules)
    assert allowed(str(student / "activations.py"), "read_file")
    assert allowed(str(scratch / "out.txt"), "write_file")
    assert not allowed(str(secret / "x"), "read_file") and not allowed(str(student / "x"), "write_file")


def test_closing_a_pool_leaves_no_process_of_its_workers_alive(tmp_path):
    """The last line of defence before any output is written: a process the pool knows of that is still
    there after the workers were ended is killed, and the pool waits until it is gone."""
    import subprocess

    from grader.config import Limits

    copy = client.SubmissionCopy(tmp_path)
    try:
        pool = client.WorkerPool(copy, [client.ModuleSpec("empty", "empty.py", True)], Limits())
        pool.start_all()
        worker = pool.get("empty")
        worker._await_hello()
        assert worker.hellos[-1]["ok"] and worker.alive()
        straggler = subprocess.Popen(["sleep", "30"])
        with open(f"/proc/{straggler.pid}/stat", "rb") as fh:
            start = int(fh.read().rsplit(b")", 1)[1].split()[19])
        worker.processes.append((straggler.pid, start))  # as if the worker had left it behind
        pool.close()
        assert straggler.wait(timeout=5) == -9
        assert worker.alive() == [] and pool.sandbox()["workers"] == 1
    finally:
        copy.cleanup()


def test_keras_keeps_its_files_in_the_workers_scratch(tmp_path, monkeypatch):
    """Keras falls back to /tmp/.keras where HOME is not writable, and another user's
    /tmp/.keras/keras.json is then unreadable under Landlock: the worker names KERAS_HOME."""
    from grader.config import Limits

    monkeypatch.setenv("KERAS_HOME", "/somewhere/of/the/grader")
    (tmp_path / "models.py").write_text("")
    copy = client.SubmissionCopy(tmp_path)
    try:
        pool = client.WorkerPool(copy, [client.ModuleSpec("models", "models.py", False)], Limits())
        worker = pool.get("models")
        worker.scratch = tmp_path / "scratch"
        env = worker._env()
        assert Path(env["KERAS_HOME"]).parent == Path(env["HOME"])
        assert Path(env["HOME"]).is_relative_to(worker.scratch)
    finally:
        copy.cleanup()
