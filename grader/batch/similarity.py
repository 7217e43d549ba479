"""Which students' code is suspiciously alike, topic by topic.

Uses copydetect's winnowing fingerprints (the MOSS algorithm: k-grams of the token stream
with identifiers, strings and comments normalised, so renaming variables does not hide a
copy). The stub's own text (docstrings, signatures, the ``raise NotImplementedError`` lines
students replace) is boilerplate: its fingerprints are removed from every submission, so
handing in the same skeleton is never "alike". The code compared is what was graded
(``DIR/.instructor/sources/<student>/<topic>.py``, notebooks already turned into modules).
"""

from __future__ import annotations

import io
import logging
import threading
from itertools import combinations
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from grader.batch.roster import INSTRUCTOR_DIR, SOURCES_DIR
from grader.course.topics import BY_SLUG

NOISE = 25  # copydetect's defaults: matches shorter than this many (filtered) characters are noise,
GUARANTEE = 30  # ... and every match at least this long is found
THRESHOLD = 0.6  # share of a submission's fingerprinted code found in the other's
TOP = 30
_GRADER_ROOT = Path(__file__).resolve().parent.parent.parent


def stub_dirs(extra: Path | None = None) -> list[Path]:
    """Where the topics' stubs may be: ``extra``, ./exercises, then the grader's own checkout."""
    found = [p for p in (extra, Path("exercises"), _GRADER_ROOT / "exercises") if p is not None]
    return [p for p in found if p.is_dir()]


def _fingerprint(text: str, name: str, boilerplate=None):
    from copydetect import CodeFingerprint

    return CodeFingerprint(name, NOISE, GUARANTEE - NOISE + 1, boilerplate, language="python", fp=io.StringIO(text))


class Fingerprints:
    """The class's fingerprints, topic by topic: added student by student (a batch adds each one as
    it is recorded, on a thread of its own, so that the class files only compare at the end) and
    compared by :meth:`pairs`, which fingerprints whoever was not added first."""

    def __init__(self, out: Path, topics: list[str], *, stubs: Path | None = None):
        self._root = out / INSTRUCTOR_DIR / SOURCES_DIR
        self._topics = list(topics)
        self._dirs = stub_dirs(stubs)
        self._boilerplate: dict[str, list] = {}
        self._by_text: dict[str, dict[str, Any]] = {t: {} for t in self._topics}
        self._prints: dict[str, dict[str, Any]] = {t: {} for t in self._topics}
        self._added: set[str] = set()
        self._lock = threading.Lock()  # add() on the batch's thread, pairs() on the caller's
        logging.getLogger("copydetect").setLevel(logging.ERROR)

    @property
    def topics(self) -> list[str]:
        return list(self._topics)

    def _boiler(self, topic: str) -> list:
        if topic not in self._boilerplate:
            filename = BY_SLUG[topic].module_file
            self._boilerplate[topic] = []
            for d in self._dirs:
                stub = d / filename
                if stub.is_file():
                    text = stub.read_text(encoding="utf-8", errors="replace")
                    self._boilerplate[topic] = list(_fingerprint(text, stub.name).hashes)
                    break
        return self._boilerplate[topic]

    def add(self, student: str) -> None:
        """Fingerprint ``student``'s graded sources as they are now (again, if added before)."""
        with self._lock:
            for topic in self._topics:
                filename = BY_SLUG[topic].module_file
                path = self._root / student / filename
                self._prints[topic].pop(student, None)
                if not path.is_file():
                    continue
                text = path.read_text(encoding="utf-8", errors="replace")
                by_text = self._by_text[topic]
                if text not in by_text:  # copies of one text (an untouched stub, a verbatim copy): lexed once
                    by_text[text] = _fingerprint(text, filename, self._boiler(topic))
                fp = by_text[text]
                if fp.token_coverage > 0 and len(fp.hashes) > 0:
                    self._prints[topic][student] = fp
            self._added.add(student)

    def pairs(self, students: list[str], *, threshold: float = THRESHOLD, top: int = TOP) -> list[dict]:
        """The most alike pairs of ``students`` over all topics, most alike first (at most ``top``).

        Each pair: topic, a, b, similarity (the larger of the two shares), similarity_a/_b (share
        of a's code found in b's and the other way round), file and links to both files.
        """
        from copydetect import compare_files

        for name in students:
            if name not in self._added:
                self.add(name)
        wanted = set(students)
        pairs = []
        with self._lock:
            for topic in self._topics:
                filename = BY_SLUG[topic].module_file
                prints = {n: fp for n, fp in self._prints[topic].items() if n in wanted}
                compared: dict[tuple[int, int], tuple] = {}
                for a, b in combinations(sorted(prints), 2):
                    key = (id(prints[a]), id(prints[b]))
                    if key not in compared:
                        compared[key] = compare_files(prints[a], prints[b])
                    overlap, (sim_a, sim_b), _ = compared[key]
                    score = max(float(sim_a), float(sim_b))
                    if overlap and score >= threshold:
                        pairs.append(
                            {
                                "topic": topic,
                                "a": a,
                                "b": b,
                                "similarity": round(score, 4),
                                "similarity_a": round(float(sim_a), 4),
                                "similarity_b": round(float(sim_b), 4),
                                "file": filename,
                                "link_a": _link(a, filename),
                                "link_b": _link(b, filename),
                            }
                        )
        pairs.sort(key=lambda p: (-cast(float, p["similarity"]), str(p["topic"]), str(p["a"]), str(p["b"])))
        return pairs[:top]


def similar_pairs(
    out: Path,
    students: list[str],
    topics: list[str],
    *,
    stubs: Path | None = None,
    threshold: float = THRESHOLD,
    top: int = TOP,
) -> list[dict]:
    """The most alike pairs over all topics, most alike first (at most ``top``): see :meth:`Fingerprints.pairs`."""
    return Fingerprints(out, topics, stubs=stubs).pairs(students, threshold=threshold, top=top)


def _link(student: str, filename: str) -> str:
    return "/".join((INSTRUCTOR_DIR, SOURCES_DIR, quote(student), filename))
