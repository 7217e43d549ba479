"""Combine batch output folders (e.g. one per shard) into one class."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import grader
from grader.batch.gradebook import write_class_files
from grader.batch.roster import INSTRUCTOR_DIR, SOURCES_DIR, graded_students, load_results, read_manifests
from grader.config import Settings
from grader.core.results import utc_now
from grader.errors import UsageError
from grader.outputs.files import publish_dir, write_json

Event = Callable[[str, dict], None]


def merge(
    dirs: Iterable[Path],
    out: Path,
    *,
    settings: Settings | None = None,
    adjustments: Path | None = None,
    on_event: Event | None = None,
) -> dict[str, Any]:
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
                raise UsageError(
                    f"student {name!r} was graded in both {owner[name]} and {d}",
                    fix="merge the outputs of disjoint shards (same --shard n, different i)",
                )
            owner[name] = d
    if not owner:
        raise UsageError(
            "no graded students found in " + ", ".join(map(str, dirs)),
            fix="pass the --out folders of `grader batch` runs",
        )
    for name, d in sorted(owner.items()):
        if d.resolve() == out.resolve():
            continue
        tmp = out / f".{name}.partial-{uuid.uuid4().hex[:8]}"
        try:
            shutil.copytree(d / name, tmp, symlinks=False)
            publish_dir(tmp, out / name)
            for kind in ("json", "submission.json"):
                full = d / INSTRUCTOR_DIR / f"{name}.{kind}"
                if full.is_file():
                    (out / INSTRUCTOR_DIR).mkdir(exist_ok=True)
                    shutil.copyfile(full, out / INSTRUCTOR_DIR / f"{name}.{kind}")
            sources = d / INSTRUCTOR_DIR / SOURCES_DIR / name
            if sources.is_dir():
                target = out / INSTRUCTOR_DIR / SOURCES_DIR / name
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(sources, target, symlinks=False)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        emit("student", {"name": name})
    results = {name: r for name, r in load_results(out).items() if name in owner}
    seeds = sorted({r.seed for r in results.values()})
    if len(seeds) > 1:
        raise UsageError(
            f"the folders were graded with different seeds: {seeds}", fix="regrade with one --seed for every shard"
        )
    manifests = [m for d in dirs for m in read_manifests(d)]
    meta = {"seed": seeds[0] if seeds else None, "merged_from": [str(d) for d in dirs]}
    if out.resolve() not in {d.resolve() for d in dirs}:
        full_marks: dict = {}
        for m in manifests:
            full_marks.update(m.get("max_scores") or {})
        write_json(
            out / "batch.json",
            {
                "grader_version": grader.__version__,
                "seed": meta["seed"],
                "topics": next((m.get("topics") for m in manifests if m.get("topics")), None),
                "max_scores": full_marks or None,
                "shard": None,
                "merged_from": meta["merged_from"],
                "students": sorted(results),
                "finished_at": utc_now(),
            },
        )
    paths = write_class_files(out, settings or Settings(), results=results, adjustments=adjustments, meta=meta)
    return {
        "students": sorted(results),
        "paths": paths,
        "seed": meta["seed"],
        "all_passed": all(r.all_passed for r in results.values()),
        "internal_errors": sum(len(r.internal_errors) for r in results.values()),
    }
