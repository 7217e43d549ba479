"""``grader handout`` and ``grader release`` (registered in grader/cli.py)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from grader.errors import UsageError


def handout(
    topics: Optional[List[str]] = typer.Argument(None, help="Topics (default: every topic with exercises)."),
    lang: str = typer.Option("en", "--lang", help="en or zh."),
    edition: str = typer.Option("student", "--edition", help="student (the stubs) or instructor (the reference code)."),
    out_dir: Path = typer.Option(Path("handouts"), "--out", "-o", help="Folder for the notebooks."),
    exercises: Path = typer.Option(Path("exercises"), help="Folder with the student stubs."),
    solutions: Path = typer.Option(Path("solutions"), help="Folder with the reference solutions (instructor edition)."),
) -> None:
    """Write one teaching notebook (.ipynb) per topic: explanations, code cells, experiments, self-check."""
    from grader import handout as ho
    from grader import runner
    from grader.cli import out
    from grader.topics import BY_SLUG

    if lang not in ho.LANGS:
        raise UsageError(f"--lang must be one of {', '.join(ho.LANGS)}, not {lang!r}")
    if edition not in ho.EDITIONS:
        raise UsageError(f"--edition must be one of {', '.join(ho.EDITIONS)}, not {edition!r}")
    chosen = runner.resolve_topics(tuple(topics or ()))
    if not topics:
        folder = exercises if edition == "student" else solutions
        chosen = [t for t in chosen if (folder / BY_SLUG[t].module_file).is_file()]
        if not chosen:
            raise UsageError(f"no topic modules found in {folder}",
                             fix="run from the course repository, or pass --exercises / --solutions")
    written = ho.write_handouts(chosen, [lang], [edition], out_dir, exercises=exercises, solutions=solutions)
    for p in written:
        out.print(f"wrote {p}")


def release(
    out_file: Path = typer.Option(Path("dist/tfgrader-student.zip"), "--out", "-o", help="The zip to write."),
    exercises: Path = typer.Option(Path("exercises"), help="Folder with the student stubs."),
    solutions: Path = typer.Option(Path("solutions"), help="Reference solutions (only to check the stubs are current; never shipped)."),
) -> None:
    """(Instructors) Write the student bundle: exercises, student notebooks (en, zh), how-to, the grader."""
    from grader import handout as ho
    from grader.cli import out

    if out_file.suffix != ".zip":
        raise UsageError(f"--out must name a .zip file, not {out_file}")
    names = ho.build_release(Path.cwd(), out_file, exercises=exercises, solutions=solutions)
    out.print(f"wrote {out_file} ({len(names)} files; no solutions, no instructor notebooks)")
