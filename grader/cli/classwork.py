"""``grader export`` and ``grader release-feedback``: a graded class out to the LMS and back to students."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from grader.batch.export import export as export_class
from grader.batch.feedback import release_feedback as release
from grader.cli.common import Adjustments, Config, GradedDir, LangOpt, course_settings, err, lang_value, out
from grader.errors import ExitCode
from grader.outputs.lms import FORMATS, MOODLE_ID_COLUMNS

Format = enum.Enum("Format", {f: f for f in FORMATS}, type=str)  # type: ignore[misc]
MoodleId = enum.Enum("MoodleId", {f: f for f in MOODLE_ID_COLUMNS}, type=str)  # type: ignore[misc]


def export(
    fmt: Annotated[Format, typer.Argument(metavar="canvas|moodle|csv", help="The gradebook layout.")],
    graded: GradedDir,
    roster: Annotated[
        Path,
        typer.Option(
            "--roster",
            help="CSV mapping student folder names to LMS ids (header: "
            "student, id, and optionally name, email, section, login, canvas_id).",
        ),
    ] = ...,  # type: ignore[assignment]
    out_file: Annotated[Path, typer.Option("--out", "-o", help="The CSV file to write.")] = ...,  # type: ignore[assignment]
    assignment: Annotated[str, typer.Option(help="The assignment's column name in the LMS.")] = "tfgrader",
    per_topic: Annotated[bool, typer.Option("--per-topic", help="Also one column per topic.")] = False,
    moodle_id: Annotated[
        MoodleId,
        typer.Option(
            "--moodle-id",
            metavar="FIELD",
            help="Moodle: which user field (idnumber, email or username) the identifier column holds.",
        ),
    ] = MoodleId.idnumber,  # type: ignore[attr-defined]
    zero_missing: Annotated[
        bool,
        typer.Option(
            "--zero-missing",
            help="Roster students with no submission get 0 (default: blank, the LMS keeps their grade).",
        ),
    ] = False,
    config: Config = None,
    adjustments: Adjustments = None,
) -> None:
    """(Instructors) Write the class's final scores as a Canvas or Moodle gradebook import, or a plain CSV."""
    info = export_class(
        fmt.value,
        graded,
        roster,
        out_file,
        course_settings(config),
        assignment=assignment,
        per_topic=per_topic,
        id_field=moodle_id.value,
        missing="zero" if zero_missing else "blank",
        adjustments=adjustments,
    )
    out.print(f"wrote {escape(str(out_file))}: {info['students']} student(s), {info['points']:g} points possible")
    if info["roster_only"]:
        what = "0" if zero_missing else "a blank grade"
        err.print(
            f"[yellow]{len(info['roster_only'])} roster student(s) handed nothing in and get {what}: "
            f"{escape(', '.join(info['roster_only'][:20]))}[/]"
        )
    raise typer.Exit(ExitCode.OK)


def release_feedback(
    graded: GradedDir,
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Where the reports to hand back go (one folder per student).")
    ] = ...,  # type: ignore[assignment]
    after_due: Annotated[
        bool,
        typer.Option(
            "--after-due",
            help="Reveal the hidden checks now (by default only once the due date in \\[tool.grader] has passed).",
        ),
    ] = False,
    lang: LangOpt = None,
    config: Config = None,
    adjustments: Adjustments = None,
) -> None:
    """(Instructors) Write each student's report to hand back: score, late penalty, adjustments, final score."""
    info = release(
        graded,
        out_dir,
        course_settings(config),
        after_due=after_due,
        lang=lang_value(lang),
        adjustments=adjustments,
    )
    hidden = "revealed" if info["revealed"] else "kept hidden (before the due date; --after-due reveals them)"
    out.print(f"wrote {len(info['students'])} report folder(s) to {escape(str(out_dir))}; hidden checks {hidden}")
    raise typer.Exit(ExitCode.OK)
