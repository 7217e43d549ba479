"""What was handed in -> one folder of modules for :func:`grader.core.runner.run`.

A submission is a folder of modules, a folder that also holds notebooks, one notebook
(``.ipynb``) or a zip of any of these. Notebooks become modules (:mod:`grader.intake.ipynb`)
in a temporary folder: a module file (``losses.py``) in the folder wins over a notebook for
the same topic; among several notebooks for one topic the most recently modified one is
graded (and a note says so). A plain folder is used as it is (the sandbox copies it again).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from grader.course.topics import BY_SLUG
from grader.errors import UsageError
from grader.intake.archive import extract_zip
from grader.intake.ipynb import SUFFIX, notebook_to_module, notebook_topic, read_notebook


@dataclass
class PreparedSubmission:
    """A folder of modules to grade; ``topics`` limits the run (a single notebook)."""

    path: Path
    topics: list[str] | None = None
    converted: dict[str, Path] = field(default_factory=dict)  # topic -> the notebook it came from
    notes: list[str] = field(default_factory=list)  # what the student should know about the intake

    def narrow(self, topics: Iterable[str]) -> tuple[str, ...]:
        """The topics to grade: ``topics`` (all when empty) limited to a single notebook's topic."""
        topics = tuple(topics)
        if self.topics is None:
            return topics
        return tuple(t for t in topics if t in self.topics) or tuple(self.topics)


def check_submission(path: Path) -> Path:
    if not path.exists():
        raise UsageError(
            f"submission {path} does not exist",
            fix="pass the folder holding your topic modules with --submission (default ./exercises)",
        )
    if not path.is_dir() and path.suffix not in (SUFFIX, ".zip"):
        raise UsageError(
            f"submission {path} is neither a folder, a notebook (.ipynb) nor a .zip",
            fix="pass the folder that holds activations.py, losses.py, ... with --submission",
        )
    return path


@contextlib.contextmanager
def prepared(path: Path, requested: Iterable[str] = ()) -> Iterator[PreparedSubmission]:
    """``path`` as a folder of modules for the duration of the block (temporary files removed after)."""
    check_submission(path)
    with tempfile.TemporaryDirectory(prefix="grader-intake-") as scratch:
        if path.is_file() and path.suffix == ".zip":
            path = extract_zip(path, Path(scratch) / "zip")
        yield _prepare(path, list(requested), Path(scratch))


def _ignore():
    return shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "grader-report", "*.ipynb")


def _prepare(path: Path, requested: list[str], scratch: Path) -> PreparedSubmission:
    if path.is_file():
        nb = read_notebook(path)
        topic = notebook_topic(path, nb)
        if topic is None:
            if len(requested) != 1:
                raise UsageError(
                    f"cannot tell which topic the notebook {path.name} is about",
                    fix="name the topic on the command line (e.g. `grader run losses --submission "
                    f"{path.name}`) or put the topic's name in the file name (losses.ipynb)",
                )
            topic = requested[0]
        if requested and topic not in requested:
            raise UsageError(
                f"the notebook {path.name} is about {topic}, not {', '.join(requested)}",
                fix=f"run `grader run {topic} --submission {path}`",
            )
        root = scratch / "submission"
        root.mkdir()
        _write_module(root, topic, path)
        shipped = path.parent / "mnist_model.keras"
        if topic == "mnist" and shipped.is_file():
            shutil.copy2(shipped, root / shipped.name)
        return PreparedSubmission(root, [topic], {topic: path})

    notebooks = sorted(p for p in path.glob(f"*{SUFFIX}") if p.is_file())
    by_topic: dict[str, list[Path]] = {}
    for nb_path in notebooks:
        topic = notebook_topic(nb_path, read_notebook(nb_path))
        if topic is not None and not (path / BY_SLUG[topic].module_file).exists():
            by_topic.setdefault(topic, []).append(nb_path)
    if not by_topic:
        return PreparedSubmission(path)
    root = scratch / "submission"
    shutil.copytree(path, root, ignore=_ignore(), symlinks=False)
    prepared_ = PreparedSubmission(root)
    for topic, paths in by_topic.items():
        chosen = max(paths, key=lambda p: (p.stat().st_mtime, p.name))
        if len(paths) > 1:
            prepared_.notes.append(
                f"{topic}: grading {chosen.name}, the most recently modified of {', '.join(p.name for p in paths)}"
            )
        _write_module(root, topic, chosen)
        prepared_.converted[topic] = chosen
    return prepared_


def _write_module(root: Path, topic: str, nb_path: Path) -> None:
    conv = notebook_to_module(nb_path, topic)
    (root / BY_SLUG[topic].module_file).write_text(conv.module, encoding="utf-8")
