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
from itertools import combinations
from pathlib import Path
from typing import cast
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


def similar_pairs(
    out: Path,
    students: list[str],
    topics: list[str],
    *,
    stubs: Path | None = None,
    threshold: float = THRESHOLD,
    top: int = TOP,
) -> list[dict]:
    """The most alike pairs over all topics, most alike first (at most ``top``).

    Each pair: topic, a, b, similarity (the larger of the two shares), similarity_a/_b (share
    of a's code found in b's and the other way round), file and links to both files.
    """
    from copydetect import compare_files

    logging.getLogger("copydetect").setLevel(logging.ERROR)
    source_root = out / INSTRUCTOR_DIR / SOURCES_DIR
    dirs = stub_dirs(stubs)
    pairs = []
    for topic in topics:
        filename = BY_SLUG[topic].module_file
        boilerplate = []
        for d in dirs:
            stub = d / filename
            if stub.is_file():
                boilerplate = list(_fingerprint(stub.read_text(encoding="utf-8", errors="replace"), stub.name).hashes)
                break
        prints, by_text = {}, {}
        for name in students:
            path = source_root / name / filename
            if not path.is_file():
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            if text not in by_text:  # copies of one text (an untouched stub, a verbatim copy): lexed once
                by_text[text] = _fingerprint(text, filename, boilerplate)
            fp = by_text[text]
            if fp.token_coverage > 0 and len(fp.hashes) > 0:
                prints[name] = fp
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


def _link(student: str, filename: str) -> str:
    return "/".join((INSTRUCTOR_DIR, SOURCES_DIR, quote(student), filename))
