"""A zygote keeps the Landlock plan of the folders every worker reads (confine.keep_plans): its
workers must get exactly the plan they would have computed themselves, with the caller's own
/proc entry and its own scratch and read roots, and never a grant of an excluded path."""

from __future__ import annotations

import os
from pathlib import Path

import numpy
import pytest

from grader.sandbox import confine as C


@pytest.fixture(autouse=True)
def _no_kept_plans():
    C._PLANS = None
    yield
    C._PLANS = None


@pytest.fixture
def folders(tmp_path: Path) -> dict[str, str]:
    out = {}
    for name in ("scratch", "scratch2", "copy", "copy2"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "f.py").write_text("x = 1\n")
        out[name] = str(tmp_path / name)
    return out


def _exclusions() -> list[str]:
    """A real exclusion inside site-packages (numpy's package folder), so the shared plan splits it."""
    return [os.path.dirname(numpy.__file__)]


def test_kept_plans_give_the_plan_computed_afresh(folders, monkeypatch):
    exclude = _exclusions()
    fresh = C._landlock_plan(folders["scratch"], [folders["copy"]], exclude, [], True)
    fresh2 = C._landlock_plan(folders["scratch2"], [folders["copy2"]], exclude, [folders["copy"]], True)
    C.keep_plans(exclude)
    assert C._PLANS, "nothing was kept"
    trees = []
    real_plan_tree = C._plan_tree

    def counted(root, rights, excluded, out, depth=0):
        if depth == 0:
            trees.append(root)
        return real_plan_tree(root, rights, excluded, out, depth)

    monkeypatch.setattr(C, "_plan_tree", counted)
    assert C._landlock_plan(folders["scratch"], [folders["copy"]], exclude, [], True) == fresh
    assert C._landlock_plan(folders["scratch2"], [folders["copy2"]], exclude, [folders["copy"]], True) == fresh2
    # Only what is the caller's own was planned again: its read roots, scratch, extra folders and /proc entry.
    own = {folders["copy"], folders["scratch"], folders["copy2"], folders["scratch2"], f"/proc/{os.getpid()}"}
    assert set(trees) <= {os.path.realpath(p) for p in own}, set(trees) - own


@pytest.mark.parametrize(
    ("root", "write"),
    [
        pytest.param(os.path.dirname(os.__file__), False, id="a shared folder itself"),
        pytest.param("/usr", True, id="above shared folders"),
        pytest.param(os.path.join(os.path.dirname(os.__file__), "json"), True, id="inside a shared folder"),
    ],
)
def test_own_rules_that_overlap_the_kept_ones_merge_as_computed_afresh(folders, root, write):
    """A worker's own rules are merged into the kept, already pruned ones: a read (or writable) root
    equal to, above or below a shared folder changes what is pruned exactly as a fresh merge does."""
    exclude, extra = _exclusions(), [root] if write else []
    fresh = C._landlock_plan(folders["scratch"], [root, folders["copy"]], exclude, extra, True)
    C.keep_plans(exclude)
    assert C._landlock_plan(folders["scratch"], [root, folders["copy"]], exclude, extra, True) == fresh


def test_kept_plans_never_grant_an_excluded_path(folders):
    exclude = _exclusions()
    package = os.path.realpath(exclude[0])
    C.keep_plans(exclude)
    plan, _ = C._landlock_plan(folders["scratch"], [folders["copy"]], exclude, [], True)
    covering = [(p, r) for p, r in plan if C._inside(package, p)]
    assert covering, "site-packages should be split around the excluded package"
    # A folder above the excluded one may only be listed (READ_DIR), never read as a whole.
    assert all(r == C.FS_READ_DIR for _, r in covering), covering
    assert not any(C._inside(p, package) for p, _ in plan)


def test_another_exclusion_is_not_served_from_kept_plans(folders):
    fresh = C._landlock_plan(folders["scratch"], [], [], [], True)
    C.keep_plans(_exclusions())
    assert C._landlock_plan(folders["scratch"], [], [], [], True) == fresh


def test_a_forked_child_gets_its_own_proc_entry(folders):
    C.keep_plans(_exclusions())
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            plan, _ = C._landlock_plan(folders["scratch"], [], _exclusions(), [], True)
            paths = {p for p, _ in plan}
            ok = f"/proc/{os.getpid()}" in paths and f"/proc/{os.getppid()}" not in paths
            os.write(w, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    assert os.read(r, 1) == b"1"
    os.close(r)


def test_a_failure_while_keeping_leaves_each_worker_to_plan_alone(monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk gone")

    monkeypatch.setattr(C, "_shared_plan", broken)
    with pytest.raises(OSError):
        C.keep_plans(_exclusions())
    assert C._PLANS is None
