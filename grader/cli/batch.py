"""``grader batch`` and ``grader merge``: grade a whole class."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

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
from rich.table import Table

from grader.batch.merge import merge as merge_folders
from grader.batch.roster import RESERVED, parse_shard
from grader.batch.run import run_batch
from grader.cli.common import (
    Adjustments,
    AudienceOpt,
    Config,
    LangOpt,
    MemoryMb,
    Mnist,
    SandboxOpt,
    Seed,
    SetOpt,
    Timeout,
    Topics,
    course_settings,
    err,
    exit_code,
    out,
    settings_from_options,
)
from grader.errors import ExitCode, UsageError
from grader.outputs.files import check_out_dir
from grader.outputs.redact import Audience
from grader.sandbox.client import require as require_sandbox

CLASS_FILES = tuple(sorted(name for name in RESERVED if "." in name))  # what the batch writes into --out


def batch(
    submissions: Annotated[
        Path, typer.Argument(help="Folder with one sub-folder, .zip or .ipynb per student (named by its file name).")
    ],
    topics: Topics = None,
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Batch output folder: <student>/ reports, gradebook.csv, junit.xml, index.html."
        ),
    ] = ...,  # type: ignore[assignment]
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", help="Parallel grading processes (default: number of cores).", show_default=False),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Grade on the Dask cluster whose scheduler is at this address (tcp://HOST:PORT) instead of local "
            "processes; results are still written here. Needs pip install 'tfgrader\\[dask]'. Not with --jobs.",
            show_default=False,
        ),
    ] = None,
    seed: Seed = None,
    shard: Annotated[
        str | None,
        typer.Option(
            help="Grade only slice i of n (i/n, 1-based, round-robin over sorted names); needs --seed.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Regrade students that already have results in --out.")
    ] = False,
    config: Config = None,
    timeout: Timeout = None,
    memory_mb: MemoryMb = None,
    mnist: Mnist = None,
    lang: LangOpt = None,
    audience: AudienceOpt = Audience.STUDENT,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="Regrade just this student (folder name; repeat for more).", show_default=False),
    ] = None,
    changed: Annotated[
        bool,
        typer.Option(
            "--changed", help="Also regrade students whose submission changed since they were graded (content hash)."
        ),
    ] = False,
    adjustments: Adjustments = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar; print only the summary.")] = False,
    sandbox: SandboxOpt = None,
    assignments: SetOpt = None,
) -> None:
    """(Instructors) Grade every submission of a class: per-student reports, gradebook, JUnit, dashboard.

    Ctrl-C stops at once and keeps every student graded so far; the same command resumes.
    """
    parsed_shard = parse_shard(shard)
    if scheduler is not None and jobs is not None:
        raise UsageError(
            "--scheduler and --jobs are alternatives",
            fix="grade on the Dask cluster (--scheduler tcp://HOST:PORT; its workers set the parallelism) or "
            "here (--jobs N), not both",
        )
    if jobs is not None and jobs < 1:
        raise UsageError(
            f"--jobs must be at least 1, not {jobs}", fix="pass the number of grading processes, e.g. -j 2"
        )
    settings = settings_from_options(
        config,
        submission=submissions,
        topics=topics,
        out_dir=out_dir,
        seed=seed,
        timeout=timeout,
        memory_mb=memory_mb,
        mnist=mnist,
        lang=lang,
        sandbox=sandbox,
        assignments=assignments,
        sandbox_default="strict",
    )
    check_out_dir(out_dir, CLASS_FILES)
    require_sandbox(settings.sandbox)  # strict (the default here): refuse the class before grading anyone
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("elapsed"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=err,
        transient=False,
        disable=quiet,
    )
    task = None

    def on_event(kind: str, info: dict) -> None:
        nonlocal task
        if kind == "start":
            extra = f", {info['skipped']} already graded" if info["skipped"] else ""
            if info["regrade_internal"]:  # said even with -q: these grades were not final
                err.print(
                    f"[yellow]regrading {len(info['regrade_internal'])} student(s) whose results were internal "
                    f"grader errors (never a final grade): {escape(_names(info['regrade_internal']))}[/]"
                )
            if info["changed"]:
                err.print(
                    f"regrading {len(info['changed'])} student(s) whose submission changed: "
                    f"{escape(_names(info['changed']))}"
                )
            if not quiet:
                if info["resumed"]:
                    extra += " (resuming: those are kept)"
                where = (
                    f"{info['jobs']} Dask worker thread(s) at {escape(info['scheduler'])}"
                    if info.get("scheduler")
                    else f"{info['jobs']} process(es)"
                )
                err.print(f"{info['total']} student(s){extra}; seed {info['seed']}; {where}")
                if info["ignored"]:
                    err.print(
                        f"[dim]ignored (not a folder, .zip or .ipynb): {escape(', '.join(info['ignored'][:10]))}[/]"
                    )
            task = progress.add_task("grading (importing TensorFlow)", total=info["todo"])
        elif kind == "interrupted":
            progress.stop()
            err.print(
                "[yellow]interrupted: grading processes stopped; writing the class files for the students graded so "
                "far (Ctrl-C again: stop at once)[/]"
            )
        elif kind == "student" and task is not None:
            progress.update(task, advance=1, description=f"graded {escape(info['name'][:30])}")
        elif kind == "retry" and not quiet:
            err.print(f"[yellow]a grading process died; retrying {escape(', '.join(info['students']))}[/]")

    with progress:
        summary = run_batch(
            submissions,
            settings,
            out_dir,
            jobs=jobs,
            scheduler=scheduler,
            shard=parsed_shard,
            force=force,
            only=only,
            changed=changed,
            audience=audience,
            adjustments=adjustments,
            on_event=on_event,
        )
    if summary.changes:
        out.print(_changes_table(summary.changes))
    if summary.interrupted:
        _interrupted(summary, submissions, topics, out_dir, shard, jobs, scheduler)
    cache = summary.cache
    out.print(
        f"graded {len(summary.graded)}, skipped {len(summary.skipped)} (already graded) of {summary.total} "
        f"student(s) in {summary.duration:.1f} s; seed {summary.seed}"
    )
    if cache.get("hits") or cache.get("misses"):
        out.print(f"reference cache: {cache.get('hits', 0)} hits, {cache.get('misses', 0)} misses")
    refs = summary.references
    if refs.get("computed") or refs.get("disk_hits") or refs.get("memory_hits"):
        out.print(
            f"reference store: {refs.get('computed', 0)} computed, "
            f"{refs.get('disk_hits', 0) + refs.get('memory_hits', 0)} reused"
        )
    for name, path in summary.class_files.items():
        out.print(f"{name}: {path}")
    _exit(summary.all_passed, summary.internal_errors)


def _names(names: list[str], limit: int = 12) -> str:
    return ", ".join(names[:limit]) + (f" ... ({len(names) - limit} more)" if len(names) > limit else "")


def _changes_table(rows: list[dict]) -> Table:
    table = Table(title="Changed by this regrade", title_justify="left")
    for col in ("student", "check", "was", "now", "change"):
        table.add_column(col, justify="right" if col == "change" else "left")
    for r in rows:
        was = f"{r['old_status']} {r['old_points']:g}".strip()
        now = f"{r['new_status']} {r['new_points']:g}".strip()
        style = "green" if r["change"] > 0 else "red" if r["change"] < 0 else ""
        table.add_row(
            escape(r["student"]),
            escape(r["check"]),
            was,
            now,
            f"[{style}]{r['change']:+g}[/]" if style else f"{r['change']:+g}",
        )
    return table


def _interrupted(summary, submissions: Path, topics, out_dir: Path, shard, jobs, scheduler=None) -> None:
    """Ctrl-C: say what was kept and how to go on, then exit 130."""
    argv = ["grader", "batch", str(submissions), *(topics or []), "--out", str(out_dir), "--seed", str(summary.seed)]
    if shard:
        argv += ["--shard", shard]
    if jobs:
        argv += ["--jobs", str(jobs)]
    if scheduler:
        argv += ["--scheduler", scheduler]
    kept = len(summary.graded)
    err.print(
        f"[yellow]interrupted[/]: {kept} student(s) graded in this run and kept; {len(summary.left)} not "
        "graded (nothing of theirs was recorded)."
    )
    if summary.interrupted_twice:
        err.print("The class files were not rewritten; `grader merge " + escape(str(out_dir)) + "` rebuilds them.")
    else:
        for name, path in summary.class_files.items():
            out.print(f"{name}: {path}")
    err.print("To resume, run: " + escape(shlex.join(argv)), soft_wrap=True)
    raise typer.Exit(ExitCode.INTERRUPTED)


def merge(
    dirs: Annotated[list[Path], typer.Argument(help="Batch output folders to combine (e.g. one per shard).")],
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Where the merged class goes (default: the first folder).", show_default=False
        ),
    ] = None,
    config: Config = None,
    adjustments: Adjustments = None,
) -> None:
    """(Instructors) Combine `grader batch` outputs (shards) into one gradebook, JUnit file and dashboard.

    `grader merge graded` alone rebuilds the class files of one folder (after editing adjustments.csv or
    the late policy).
    """
    target = out_dir or dirs[0]
    info = merge_folders(dirs, target, settings=course_settings(config), adjustments=adjustments)
    out.print(f"merged {len(info['students'])} student(s) (seed {info['seed']}) into {target}")
    for name, path in info["paths"].items():
        out.print(f"{name}: {path}")
    _exit(info["all_passed"], info["internal_errors"])


def _exit(all_passed: bool, internal_errors: int) -> None:
    code = exit_code(all_passed, internal_errors)
    if code == ExitCode.INTERNAL:
        err.print(f"[yellow]{internal_errors} check result(s) are internal grader errors; see the dashboard.[/]")
    raise typer.Exit(code)
