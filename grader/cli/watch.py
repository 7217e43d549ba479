"""``grader watch``: re-grade on every save, with TensorFlow and the checks loaded once."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from grader import i18n
from grader.cli.common import (
    STYLE,
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
    err,
    out,
    print_markup,
    settings_from_options,
)
from grader.core.catalog import resolve_topics
from grader.core.session import GradingSession
from grader.errors import ExitCode, GraderError, InternalError
from grader.intake.prepare import prepared
from grader.intake.watch import SubmissionWatcher
from grader.outputs.redact import Audience
from grader.outputs.report import render_summary, write_reports


def watch(
    topics: Topics = None,
    submission: Annotated[
        Path, typer.Option("--submission", "-s", help="Folder with your topic modules (or one notebook) to watch.")
    ] = Path("exercises"),
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Where results.json and the reports go (rewritten after every grade).")
    ] = Path("grader-report"),
    seed: Seed = None,
    config: Config = None,
    timeout: Timeout = None,
    memory_mb: MemoryMb = None,
    mnist: Mnist = None,
    audience: AudienceOpt = Audience.STUDENT,
    lang: LangOpt = None,
    sandbox: SandboxOpt = None,
    assignments: SetOpt = None,
) -> None:
    """Grade, then re-grade the topics you change every time you save a file (Ctrl-C stops)."""
    settings = settings_from_options(
        config,
        submission=submission,
        topics=topics,
        out_dir=out_dir,
        seed=seed,
        timeout=timeout,
        memory_mb=memory_mb,
        mnist=mnist,
        lang=lang,
        sandbox=sandbox,
        assignments=assignments,
        sandbox_default="best-effort",
    )
    lang_code = i18n.check_lang(settings.lang)
    _, t = i18n.bound(lang_code)
    with prepared(settings.submission, settings.topics) as work:  # a single notebook narrows the topics
        chosen = resolve_topics(work.narrow(settings.topics))
    settings = replace(settings, topics=tuple(chosen), lang=lang_code)
    watcher = SubmissionWatcher(settings.submission, chosen, ignore=[settings.out])

    with err.status(t("Starting… (importing TensorFlow and the checks, once)"), spinner="dots") as status:

        def progress(topic: str, event: dict) -> None:
            status.update(f"{topic}: {escape(str(event.get('message', '')))}")

        session = GradingSession(settings, label=submission, on_progress=progress)
        session.warm_up()

    def grade(touched: set[str] | None) -> None:
        started = time.monotonic()
        names = ", ".join(t_ for t_ in chosen if touched is None or t_ in touched)
        with err.status(t("Grading {topics}…", topics=names), spinner="dots"):
            with prepared(settings.submission, settings.topics) as work:
                for note in work.notes:
                    err.print(f"[dim]note: {escape(note)}[/]")
                result = session.grade(work.path, touched)
            paths = write_reports(result, settings.out, audience, lang_code)
        took = time.monotonic() - started
        out.clear()
        print_markup(out, render_summary(result, lang=lang_code, audience=audience, style=STYLE))
        out.print(
            "\n" + escape(t("Reports: {html}  {md}  {json}", html=paths["html"], md=paths["md"], json=paths["json"]))
        )
        out.print(
            "[dim]"
            + escape(
                t(
                    "Graded {topics} in {seconds} s at {time}.",
                    topics=names,
                    seconds=f"{took:.1f}",
                    time=datetime.now().strftime("%H:%M:%S"),
                )
            )
            + "[/]"
        )
        out.print(
            "[bold]"
            + escape(t("Watching {path}: save a file to grade it again; Ctrl-C stops.", path=settings.submission))
            + "[/]"
        )

    def attempt(touched: set[str] | None) -> None:
        try:
            grade(touched)
        except InternalError:
            raise
        except GraderError as exc:  # e.g. a notebook saved half-way: say so and keep watching
            err.print(f"[red]error:[/] {escape(exc.message)}")
            if exc.fix:
                err.print(f"[dim]fix:[/] {escape(exc.fix)}")

    try:
        attempt(None)
        for touched in watcher.changes():
            attempt(touched)
    except KeyboardInterrupt:
        err.print(escape(t("Stopped watching.")))
        raise typer.Exit(ExitCode.INTERRUPTED) from None
