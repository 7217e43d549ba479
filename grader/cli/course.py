"""``grader handout``, ``grader release`` and ``grader stubs``: the instructor's course material."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from grader.authoring import handouts as ho
from grader.authoring.release import build_release
from grader.authoring.stubs import generate
from grader.cli.common import out
from grader.core.catalog import resolve_topics
from grader.course.topics import BY_SLUG
from grader.errors import ExitCode, UsageError


def handout(
    topics: Annotated[
        list[str] | None, typer.Argument(help="Topics (default: every topic with exercises).", show_default=False)
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="en or zh.")] = "en",
    edition: Annotated[
        str, typer.Option("--edition", help="student (the stubs) or instructor (the reference code).")
    ] = "student",
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the notebooks.")] = Path("handouts"),
    exercises: Annotated[Path, typer.Option(help="Folder with the student stubs.")] = Path("exercises"),
    solutions: Annotated[Path, typer.Option(help="Folder with the reference solutions (instructor edition).")] = Path(
        "solutions"
    ),
) -> None:
    """Write one teaching notebook (.ipynb) per topic: explanations, code cells, experiments, self-check."""
    if lang not in ho.LANGS:
        raise UsageError(f"--lang must be one of {', '.join(ho.LANGS)}, not {lang!r}")
    if edition not in ho.EDITIONS:
        raise UsageError(f"--edition must be one of {', '.join(ho.EDITIONS)}, not {edition!r}")
    chosen = resolve_topics(topics or ())
    if not topics:
        folder = exercises if edition == "student" else solutions
        chosen = [t for t in chosen if (folder / BY_SLUG[t].module_file).is_file()]
        if not chosen:
            raise UsageError(
                f"no topic modules found in {folder}",
                fix="run from the course repository, or pass --exercises / --solutions",
            )
    written = ho.write_handouts(chosen, [lang], [edition], out_dir, exercises=exercises, solutions=solutions)
    for p in written:
        out.print(f"wrote {p}")


def release(
    out_file: Annotated[Path, typer.Option("--out", "-o", help="The zip to write.")] = Path(
        "dist/tfgrader-student.zip"
    ),
    exercises: Annotated[Path, typer.Option(help="Folder with the student stubs.")] = Path("exercises"),
    solutions: Annotated[
        Path, typer.Option(help="Reference solutions (only to check the stubs are current; never shipped).")
    ] = Path("solutions"),
) -> None:
    """(Instructors) Write the student bundle: exercises, student notebooks (en, zh), how-to, the grader."""
    if out_file.suffix != ".zip":
        raise UsageError(f"--out must name a .zip file, not {out_file}")
    names = build_release(Path.cwd(), out_file, exercises=exercises, solutions=solutions)
    out.print(f"wrote {out_file} ({len(names)} files; no solutions, no instructor notebooks)")


def stubs(
    solutions: Annotated[Path, typer.Option(help="Folder with reference modules.")] = Path("solutions"),
    exercises: Annotated[Path, typer.Option(help="Folder to write the stubs to.")] = Path("exercises"),
    check: Annotated[bool, typer.Option(help="Only report stubs that are out of date (exit 1 if any).")] = False,
) -> None:
    """(Instructors) Regenerate the student stubs from the reference solutions."""
    changed = generate(solutions, exercises, check=check)
    if check:
        if changed:
            out.print(f"out of date: {', '.join(changed)} (run `grader stubs`)")
            raise typer.Exit(ExitCode.FAILED)
        out.print("stubs are up to date")
    else:
        out.print(f"wrote {len(changed)} stub(s)" + (f": {', '.join(changed)}" if changed else ""))
