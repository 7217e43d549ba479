"""``grader batch`` and ``grader merge``: grade a whole class (registered in grader/cli.py)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from rich.console import Console

from grader.errors import UsageError

# Same conventions as grader.cli (not imported from there: cli imports this module).
EXIT_OK, EXIT_FAILED, EXIT_INTERNAL = 0, 1, 3
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def batch(
    submissions: Path = typer.Argument(..., help="Folder with one sub-folder, .zip or .ipynb per student (named by its file name)."),
    topics: Optional[List[str]] = typer.Argument(None, help="Topics to grade (default: all). See `grader list`."),
    out_dir: Path = typer.Option(..., "--out", "-o", help="Batch output folder: <student>/ reports, gradebook.csv, junit.xml, index.html."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", help="Parallel grading processes (default: number of cores)."),
    seed: Optional[int] = typer.Option(None, help="One seed for the whole class (default: the one recorded in --out, else random)."),
    shard: Optional[str] = typer.Option(None, help="Grade only slice i of n (i/n, 1-based, round-robin over sorted names); needs --seed."),
    force: bool = typer.Option(False, "--force", help="Regrade students that already have results in --out."),
    config: Optional[Path] = typer.Option(None, help="pyproject.toml with a [tool.grader] table (default: ./pyproject.toml)."),
    timeout: Optional[float] = typer.Option(None, help="Seconds one call of a student function may take."),
    memory_mb: Optional[int] = typer.Option(None, "--memory-mb", help="Memory cap (MB) for each worker process running student code."),
    mnist: Optional[str] = typer.Option(None, help="Path to mnist.npz (else GRADER_MNIST, then the Keras cache)."),
    lang: Optional[str] = typer.Option(None, help="Language of messages and reports: en or zh (default: from the locale)."),
    audience: str = typer.Option("student", help="student: hidden checks show no details in student reports; instructor: everything."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar; print only the summary."),
) -> None:
    """(Instructors) Grade every submission of a class: per-student reports, gradebook, JUnit, dashboard."""
    from grader import batch as lib
    from grader import config as cfg

    if audience not in ("student", "instructor"):
        raise UsageError(f"--audience must be student or instructor, not {audience!r}")
    parsed_shard = lib.parse_shard(shard)
    table = cfg.load_pyproject(config)
    settings = cfg.build_settings(
        table, submission=submissions, topics=tuple(topics or ()), seed=seed, out=out_dir,
        call_timeout=timeout, memory_mb=memory_mb, mnist=mnist, lang=lang,
    )
    progress = Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("elapsed"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
        console=err, transient=False, disable=quiet,
    )
    task = None

    def on_event(kind: str, info: dict) -> None:
        nonlocal task
        if kind == "start":
            extra = f", {info['skipped']} already graded" if info["skipped"] else ""
            if not quiet:
                err.print(f"{info['total']} student(s){extra}; seed {info['seed']}; {info['jobs']} process(es)")
                if info["ignored"]:
                    err.print(f"[dim]ignored (not a folder, .zip or .ipynb): {escape(', '.join(info['ignored'][:10]))}[/]")
            task = progress.add_task("grading (importing TensorFlow)", total=info["todo"])
        elif kind == "student" and task is not None:
            progress.update(task, advance=1, description=f"graded {escape(info['name'][:30])}")
        elif kind == "retry" and not quiet:
            err.print(f"[yellow]a grading process died; retrying {escape(', '.join(info['students']))}[/]")

    with progress:
        summary = lib.run_batch(submissions, settings, out_dir, jobs=jobs, shard=parsed_shard, force=force,
                                audience=audience, on_event=on_event)
    cache = summary.cache
    out.print(f"graded {len(summary.graded)}, skipped {len(summary.skipped)} (already graded) of {summary.total} "
              f"student(s) in {summary.duration:.1f} s; seed {summary.seed}")
    if cache.get("hits") or cache.get("misses"):
        out.print(f"reference cache: {cache.get('hits', 0)} hits, {cache.get('misses', 0)} misses")
    for name, path in summary.class_files.items():
        out.print(f"{name}: {path}")
    _exit(summary.all_passed, summary.internal_errors)


def merge(
    dirs: List[Path] = typer.Argument(..., help="Batch output folders to combine (e.g. one per shard)."),
    out_dir: Optional[Path] = typer.Option(None, "--out", "-o", help="Where the merged class goes (default: the first folder)."),
) -> None:
    """(Instructors) Combine `grader batch` outputs (shards) into one gradebook, JUnit file and dashboard."""
    from grader import batch as lib

    target = out_dir or dirs[0]
    info = lib.merge(dirs, target)
    out.print(f"merged {len(info['students'])} student(s) (seed {info['seed']}) into {target}")
    for name, path in info["paths"].items():
        out.print(f"{name}: {path}")
    _exit(info["all_passed"], info["internal_errors"])


def _exit(all_passed: bool, internal_errors: int) -> None:
    if internal_errors:
        err.print(f"[yellow]{internal_errors} check result(s) are internal grader errors; see the dashboard.[/]")
        raise typer.Exit(EXIT_INTERNAL)
    raise typer.Exit(EXIT_OK if all_passed else EXIT_FAILED)
