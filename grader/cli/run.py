"""``grader run`` and ``grader list``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from grader import config as cfg
from grader import i18n
from grader.cli.common import (
    STYLE,
    AudienceOpt,
    Config,
    LangOpt,
    MemoryMb,
    Mnist,
    Quiet,
    SandboxOpt,
    Seed,
    SetOpt,
    Timeout,
    Topics,
    err,
    lang_value,
    out,
    print_markup,
    result_exit_code,
    settings_from_options,
)
from grader.core import runner
from grader.core.catalog import collect, resolve_topics
from grader.course.topics import BY_SLUG
from grader.errors import ExitCode
from grader.intake.prepare import prepared
from grader.outputs import templating
from grader.outputs.files import check_out_dir
from grader.outputs.redact import Audience
from grader.outputs.report import REPORT_FILES, render_summary, write_reports


def run(
    topics: Topics = None,
    submission: Annotated[
        Path, typer.Option("--submission", "-s", help="Folder with your topic modules (or a notebook, or a .zip).")
    ] = Path("exercises"),
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Where results.json and the reports go.")] = Path(
        "grader-report"
    ),
    seed: Seed = None,
    config: Config = None,
    timeout: Timeout = None,
    memory_mb: MemoryMb = None,
    mnist: Mnist = None,
    audience: AudienceOpt = Audience.STUDENT,
    lang: LangOpt = None,
    quiet: Quiet = False,
    sandbox: SandboxOpt = None,
    assignments: SetOpt = None,
) -> None:
    """Grade a submission and write results.json, report.html and report.md."""
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
    check_out_dir(settings.out, REPORT_FILES)  # a bad --out is a usage error before anything is graded
    lang_code = i18n.check_lang(settings.lang)
    with i18n.language(lang_code):
        status_text = i18n._("Grading… (importing TensorFlow and starting workers)")
    with prepared(settings.submission, settings.topics) as work:
        for note in work.notes:
            err.print(f"[dim]note: {escape(note)}[/]")
        with err.status(status_text, spinner="dots") as status:

            def progress(topic: str, event: dict) -> None:
                status.update(f"{topic}: {escape(str(event.get('message', '')))}")

            result = runner.run(
                replace(settings, submission=work.path, topics=work.narrow(settings.topics), lang=lang_code),
                on_progress=progress,
                label=submission,
            )
    paths = write_reports(result, settings.out, audience, lang_code)
    print_markup(out, render_summary(result, lang=lang_code, audience=audience, quiet=quiet, style=STYLE))
    _, t = i18n.bound(lang_code)
    out.print("\n" + t("Reports: {html}  {md}  {json}", html=paths["html"], md=paths["md"], json=paths["json"]))
    if result.internal_errors:
        err.print(
            "[yellow]"
            + escape(t("{n} check(s) broke inside the grader; see the report.", n=len(result.internal_errors)))
            + "[/]"
        )
    raise typer.Exit(result_exit_code(result))


def list_checks(
    topics: Topics = None,
    lang: LangOpt = None,
    ids: Annotated[bool, typer.Option("--ids", help="Also print each check's id (topic::test name).")] = False,
) -> None:
    """List the topics, their functions and checks (titles as the reports show them) with points."""
    lang_code = i18n.check_lang(lang_value(lang))
    chosen = resolve_topics(topics or ())
    groups: dict[str, dict[str, list]] = {topic: {} for topic in chosen}
    for cid, meta in collect(chosen):
        groups[meta.topic].setdefault(meta.function, []).append(
            {
                "id": cid,
                "title": i18n.translate_title(meta.title, lang_code),
                "points": meta.points,
                "hidden": meta.hidden,
            }
        )
    listing = [
        {
            "topic": topic,
            "title": BY_SLUG[topic].title,
            "numpy_only": BY_SLUG[topic].numpy_only,
            "points": sum(c["points"] for checks in functions.values() for c in checks),
            "functions": [
                {"name": name, "checks": checks, "points": sum(c["points"] for c in checks)}
                for name, checks in functions.items()
            ],
        }
        for topic, functions in groups.items()
    ]
    print_markup(out, templating.render("checks.rich.j2", lang_code, topics=listing, ids=ids))
    raise typer.Exit(ExitCode.OK)


def config_keys(config: Config = None) -> None:
    """List every [tool.grader] setting: meaning, default, the value in effect and its flag."""
    table = cfg.load_pyproject(config)
    keys = [
        {
            "key": key,
            "default": "—" if default is None else repr(default),
            "meaning": meaning,
            "flag": flag,
            "value": repr(table[key]) if key in table else ("—" if default is None else repr(default)),
            "source": "pyproject.toml" if key in table else "default",
        }
        for key, default, meaning, flag in cfg.describe()
    ]
    print_markup(out, templating.render("config.rich.j2", "en", keys=keys))
    raise typer.Exit(ExitCode.OK)
