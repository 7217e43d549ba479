"""A submission watched as the student edits it: which topics each save changes.

``grader watch`` re-grades only what a save touched. A topic module (``losses.py``) touches
its topic; a notebook touches the topic it is about (:func:`grader.intake.ipynb.notebook_topic`)
unless a module for that topic sits beside it (the module wins, as in
:mod:`grader.intake.prepare`); ``mnist_model.keras`` touches ``mnist``; any other Python file
may be imported by every topic module, so it touches them all. A save that leaves the code
as it was (an editor touching a file, a notebook's autosave that changed only outputs)
touches nothing. File events come from ``watchfiles`` (inotify on Linux).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from grader.course.topics import BY_SLUG
from grader.intake.ipynb import SUFFIX, notebook_topic, read_notebook
from grader.intake.prepare import check_submission

_SUFFIXES = (".py", SUFFIX, ".keras")
_SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints", ".git", ".pytest_cache", ".mypy_cache", ".venv"}
MODEL_FILE = "mnist_model.keras"


def _fingerprint(path: Path) -> str | None:
    """What grading reads from ``path``: its bytes, or a notebook's code cells only; None if absent."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if path.suffix == SUFFIX:
        try:
            cells = json.loads(data.decode("utf-8")).get("cells", [])
            code = [c.get("source", "") for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"]
            data = json.dumps(code).encode("utf-8")
        except (ValueError, AttributeError, UnicodeDecodeError):
            pass  # half-written or not a notebook: its bytes decide
    return hashlib.sha256(data).hexdigest()


class SubmissionWatcher:
    """Watch the submission ``path`` (a folder or one notebook) for saves touching ``topics``.

    ``ignore`` lists folders whose changes never count (the reports' folder, when it lies
    inside the submission, would otherwise re-trigger every grade).
    """

    def __init__(self, path: Path, topics: Iterable[str], *, ignore: Iterable[Path] = ()):
        path = check_submission(Path(path))
        self.path = path
        self.root = (path if path.is_dir() else path.parent).resolve()
        self.single = None if path.is_dir() else path.resolve()
        self.topics = list(topics)
        self.ignore = [Path(p).resolve() for p in ignore]
        self._prints: dict[Path, str | None] = {p: _fingerprint(p) for p in self._files()}
        self._stamps: dict[Path, tuple[int, int] | None] = {}  # (mtime, size) when last compared
        self.rescan()

    def _files(self) -> list[Path]:
        if self.single is not None:
            return [self.single, self.single.parent / MODEL_FILE]
        return [p.resolve() for p in self.root.rglob("*") if p.is_file() and self._relevant(p.resolve())]

    def _relevant(self, path: Path) -> bool:
        if self.single is not None:  # one notebook (or archive) and the model file beside it
            return path in (self.single, self.single.parent / MODEL_FILE)
        if path.suffix not in _SUFFIXES:
            return False
        try:
            rel = path.relative_to(self.root)
        except ValueError:
            return False
        if any(part in _SKIP_DIRS or part.startswith(".") for part in rel.parts):
            return False
        return not any(path == d or d in path.parents for d in self.ignore)

    def _filter(self, change, raw: str) -> bool:
        return self._relevant(Path(raw).resolve())

    def topics_for(self, paths: Iterable[Path]) -> set[str]:
        """The topics whose graded code changed in ``paths`` since the last call (or the start)."""
        touched: set[str] = set()
        for path in {Path(p).resolve() for p in paths}:
            if not self._relevant(path):
                continue
            now = _fingerprint(path)
            if self._prints.get(path) == now:
                continue
            self._prints[path] = now
            touched |= self._owners(path)
        return {t for t in touched if t in self.topics}

    def _owners(self, path: Path) -> set[str]:
        if self.single is not None:
            return set(self.topics)
        top_level = path.parent == self.root
        if top_level and path.suffix == ".py" and path.stem in BY_SLUG:
            return {path.stem}
        if top_level and path.name == MODEL_FILE:
            return {"mnist"}
        if top_level and path.suffix == SUFFIX:
            try:
                topic = notebook_topic(path, read_notebook(path))
            except Exception:  # noqa: BLE001 - half-written, deleted or not a notebook
                topic = notebook_topic(path)
            if topic is None or (self.root / BY_SLUG[topic].module_file).exists():
                return set()  # not a topic's notebook, or the module beside it is what is graded
            return {topic}
        if path.suffix == ".py":
            return set(self.topics)  # a helper module any topic module may import
        return set()

    def rescan(self) -> set[str]:
        """Topics whose files changed without an event reaching us (e.g. saved before watching began)."""
        paths = set(self._prints) | set(self._files())
        changed = []
        for path in paths:
            try:
                st = path.stat()
                stamp = (st.st_mtime_ns, st.st_size)
            except OSError:
                stamp = None
            if self._stamps.get(path, ...) != stamp:
                self._stamps[path] = stamp
                changed.append(path)
        return self.topics_for(changed)

    def changes(
        self, stop_event=None, *, debounce_ms: int = 1600, step_ms: int = 50, rescan_ms: int = 1000
    ) -> Iterator[set[str]]:
        """Yield the set of touched topics after each save that touched any (blocks in between).

        ``stop_event`` (a ``threading.Event``) ends the iteration; Ctrl-C raises
        KeyboardInterrupt. Saves that arrive while the caller grades are collected and
        yielded together on the next iteration. Every ``rescan_ms`` without events the files
        are compared with what was last graded, which catches a save made before the file
        system watch was in place (and file systems that send no events).
        """
        import watchfiles

        for batch in watchfiles.watch(
            self.root,
            watch_filter=self._filter,
            stop_event=stop_event,
            debounce=debounce_ms,
            step=step_ms,
            rust_timeout=rescan_ms,
            yield_on_timeout=True,
            raise_interrupt=True,
            recursive=self.single is None,
        ):
            touched = self.topics_for(Path(raw) for _, raw in batch) if batch else self.rescan()
            if touched:
                yield touched
