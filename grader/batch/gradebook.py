"""The class as the course sees it: the assignment's full marks, late penalties, adjustments.

Every class file (gradebook, dashboard, LMS exports, returned feedback) is built from here, so
they all agree on each student's final score::

    final = max(0, score − late penalty + adjustments)
    late penalty = score × min(late_cap, days late × late_penalty_per_day)

over the assignment's full marks (every topic of the batch at its full points, whatever a
student handed in).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from grader.batch import adjust
from grader.batch.late import LatePolicy
from grader.batch.roster import load_results, load_submission_info, read_manifests
from grader.config import Settings
from grader.core.catalog import collect, max_scores, resolve_topics
from grader.core.results import RunResult
from grader.outputs.dashboard import topic_order, write_class_outputs

if TYPE_CHECKING:
    from grader.batch.similarity import Fingerprints


@dataclass
class ClassBook:
    out: Path
    results: dict[str, RunResult]
    topics: list[str]
    max_scores: dict[str, float]
    extras: dict[str, dict] = field(default_factory=dict)
    policy: LatePolicy = field(default_factory=LatePolicy)
    adjustments: list[adjust.Adjustment] = field(default_factory=list)

    def final(self, name: str) -> float:
        ex = self.extras.get(name, {})
        return round(max(0.0, self.raw(name) - ex.get("penalty", 0.0) + ex.get("adjustment", 0.0)), 4)

    def raw(self, name: str) -> float:
        return round(sum(t.score for t in self.results[name].topics if t.topic in self.topics), 4)

    def max_total(self, name: str) -> float:
        skipped = {t.topic for t in self.results[name].topics if t.status == "not_graded"}
        return round(sum(v for t, v in self.max_scores.items() if t not in skipped), 4)


def assignment(
    out: Path, results: dict[str, RunResult] | None = None, topics: list[str] | None = None
) -> tuple[list[str], dict[str, float]]:
    """The assignment's topics and their full marks: as the batch recorded them, else as the
    checks say now."""
    recorded: dict[str, float] = {}
    found: list[str] = list(topics or [])
    for m in read_manifests(out):
        found += [t for t in m.get("topics") or [] if isinstance(t, str)]
        for t, v in (m.get("max_scores") or {}).items():
            if isinstance(v, (int, float)):
                recorded.setdefault(t, float(v))
    if not found and results:
        found = [t.topic for r in results.values() for t in r.topics]
    ordered = topic_order(found)
    missing = [t for t in ordered if t not in recorded]
    if missing:
        recorded.update(max_scores(resolve_topics(missing)))
    return ordered, {t: recorded[t] for t in ordered}


def check_ids(topics: list[str]) -> list[str]:
    """Every check id of ``topics``; a parametrized check also by its name without ``[...]``."""
    ids = [cid for cid, _ in collect(resolve_topics(topics))] if topics else []
    return list(dict.fromkeys([*ids, *(cid.split("[", 1)[0] for cid in ids)]))


def build(
    out: Path,
    settings: Settings,
    *,
    results: dict[str, RunResult] | None = None,
    adjustments: Path | None = None,
    topics: list[str] | None = None,
    students: list[str] | None = None,
) -> ClassBook:
    """Every graded student of ``out`` with late penalty and adjustments applied.

    ``students``: who an adjustment may name (default: the graded students; a batch also
    allows those it has not graded yet).
    """
    results = load_results(out) if results is None else results
    topic_list, full = assignment(out, results, topics)
    policy = LatePolicy.from_settings(settings)
    path = adjustments if adjustments is not None else adjust.default_path(out)
    adjs = adjust.read_adjustments(
        path,
        students=sorted(results) if students is None else students,
        topics=topic_list,
        checks=check_ids(topic_list),
        required=adjustments is not None,
    )
    per = adjust.by_student(adjs)
    book = ClassBook(out, results, topic_list, full, policy=policy, adjustments=adjs)
    for name in results:
        info = load_submission_info(out, name)
        submitted = info.get("submitted_at")
        days = policy.days_late(submitted) if submitted else 0
        fraction = policy.fraction(days)
        raw = book.raw(name)
        mine = per.get(name, [])
        book.extras[name] = {
            "submitted_at": submitted or "",
            "submitted_at_source": info.get("submitted_at_source", ""),
            "late_days": days,
            "penalty_fraction": fraction,
            "penalty": round(raw * fraction, 4),
            "adjustment": round(sum(a.points for a in mine), 4),
            "adjustments": [a.as_dict() for a in mine],
            "sha256": info.get("sha256"),
        }
    return book


def write_class_files(
    out: Path,
    settings: Settings,
    *,
    results: dict[str, RunResult] | None = None,
    adjustments: Path | None = None,
    similarity: bool = True,
    meta: dict | None = None,
    topics: list[str] | None = None,
    stubs: Path | None = None,
    students: list[str] | None = None,
    fingerprints: Fingerprints | None = None,
) -> dict[str, Path]:
    """gradebook.csv, junit.xml and index.html for every student graded in ``out``.

    ``fingerprints``: the class's, when the caller kept them while grading (else computed here).
    """
    book = build(out, settings, results=results, adjustments=adjustments, topics=topics, students=students)
    pairs, note = [], ""
    if similarity:
        from grader.batch.similarity import Fingerprints

        if fingerprints is None or fingerprints.topics != list(book.topics):
            fingerprints = Fingerprints(out, book.topics, stubs=stubs)
        pairs = fingerprints.pairs(sorted(book.results))
    else:
        note = "Not computed: the batch was interrupted (run it again to finish)."
    meta = {**(meta or {}), **({"due": book.policy.due.isoformat()} if book.policy.due else {})}
    return write_class_outputs(
        out,
        book.results,
        meta,
        topics=book.topics,
        max_scores=book.max_scores,
        extras=book.extras,
        similarity=pairs,
        similarity_note=note,
    )
