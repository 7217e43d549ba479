"""A class: who the students are, which slice a shard grades, what was recorded before.

A batch output folder ``DIR`` holds one ``DIR/<student>/`` per graded student, the
unredacted copies in ``DIR/.instructor/``, and one manifest per batch (``batch.json``, or
``batch-<i>-of-<n>.json`` for a shard) recording the seed and topics.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from grader.core.results import RunResult
from grader.errors import UsageError

RESERVED = {"index.html", "gradebook.csv", "junit.xml", "batch.json", "students", "changes.csv", "adjustments.csv"}
INSTRUCTOR_DIR = ".instructor"  # DIR/.instructor/<student>.json: unredacted results for the dashboard
SOURCES_DIR = "sources"  # DIR/.instructor/sources/<student>/<topic>.py: the code that was graded
_HASH_SKIP = {"__pycache__", ".ipynb_checkpoints", ".DS_Store"}


@dataclass(frozen=True)
class Student:
    name: str  # folder name under DIR
    path: Path  # the folder, .zip or .ipynb
    kind: str  # "dir" | "zip" | "ipynb"


def discover(submissions: Path) -> tuple[list[Student], list[str]]:
    """(students sorted by name, names of children that were ignored)."""
    if not submissions.exists():
        raise UsageError(
            f"submissions folder {submissions} does not exist",
            fix="pass a folder with one sub-folder, .zip or .ipynb per student",
        )
    if not submissions.is_dir():
        raise UsageError(
            f"{submissions} is not a folder", fix="pass a folder with one sub-folder, .zip or .ipynb per student"
        )
    students: dict[str, Student] = {}
    ignored: list[str] = []
    for child in sorted(submissions.iterdir(), key=lambda p: p.name):
        name = child.name
        if name.startswith(".") or name in ("__MACOSX", "__pycache__") or name.endswith(".submitted_at"):
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
        raise UsageError(
            f"--shard must look like i/n with 1 <= i <= n, not {text!r}",
            fix="e.g. --shard 2/8 grades the second of eight slices",
        )
    return int(m.group(1)), int(m.group(2))


def select_shard(students: list[Student], shard: tuple[int, int] | None) -> list[Student]:
    """Round-robin over the sorted names: shard i/n takes students i-1, i-1+n, i-1+2n, ..."""
    if shard is None:
        return list(students)
    i, n = shard
    return sorted(students, key=lambda s: s.name)[i - 1 :: n]


def manifest_name(shard: tuple[int, int] | None) -> str:
    return "batch.json" if shard is None else f"batch-{shard[0]}-of-{shard[1]}.json"


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


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
    return sorted(p.name for p in out.iterdir() if not p.name.startswith(".") and (p / "results.json").is_file())


def resolve_seed(out: Path, seed: int | None, topics: list[str], shard, force: bool) -> int:
    """One seed per batch: reuse the recorded one on resume, refuse silent mixing."""
    recorded = read_manifests(out)
    seeds = {m.get("seed") for m in recorded if isinstance(m.get("seed"), int)}
    done = graded_students(out)
    if seed is None:
        if len(seeds) == 1:
            return seeds.pop()
        if len(seeds) > 1:
            raise UsageError(
                f"{out} holds batches with different seeds ({sorted(seeds)})",
                fix="pass --seed, or use a fresh --out folder",
            )
        if shard is not None:
            raise UsageError(
                "--shard needs --seed, so that every shard gives students the same inputs",
                fix="pick one seed for the whole class, e.g. --seed 20261127, and pass it to every shard",
            )
        return secrets.randbelow(2**31)
    if seeds and seeds != {seed} and done and not force:
        raise UsageError(
            f"{out} was graded with seed {sorted(seeds)[0]}, not {seed}; mixing seeds would give students different inputs",  # noqa: E501
            fix=f"pass --seed {sorted(seeds)[0]} to resume, --force to regrade everyone, or use a fresh --out folder",
        )
    for m in recorded:
        if m.get("topics") and m["topics"] != topics and done and not force:
            raise UsageError(
                f"{out} was graded for topics {' '.join(m['topics'])}, not {' '.join(topics)}",
                fix="grade the same topics to resume, --force to regrade everyone, or use a fresh --out folder",
            )
    return seed


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


def content_hash(path: Path) -> str:
    """sha256 over what was handed in (file names and bytes; caches left out)."""
    h = hashlib.sha256()
    if path.is_file():
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()
    for root, dirs, files in sorted(os.walk(path)):
        dirs[:] = sorted(d for d in dirs if d not in _HASH_SKIP)
        for name in sorted(files):
            if name in _HASH_SKIP or name.endswith(".pyc"):
                continue
            full = Path(root) / name
            h.update(full.relative_to(path).as_posix().encode("utf-8", "surrogateescape") + b"\0")
            try:
                h.update(full.read_bytes() if not full.is_symlink() else os.readlink(full).encode())
            except OSError:
                h.update(b"<unreadable>")
            h.update(b"\0")
    return h.hexdigest()


def instructor_path(out: Path, name: str, kind: str = "json") -> Path:
    """DIR/.instructor/<student>.json (results) or <student>.submission.json (hash, time)."""
    return out / INSTRUCTOR_DIR / (f"{name}.json" if kind == "json" else f"{name}.{kind}.json")


def load_submission_info(out: Path, name: str) -> dict:
    """What was recorded about a student's submission at grading time ({} if nothing)."""
    try:
        data = json.loads(instructor_path(out, name, "submission").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def unfinished(results: dict[str, RunResult]) -> list[str]:
    """Students whose recorded result holds an internal grader error: never a final grade."""
    return sorted(name for name, r in results.items() if r.internal_errors)
