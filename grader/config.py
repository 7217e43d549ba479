"""Settings: defaults, then ``[tool.grader]`` in pyproject.toml, then command-line flags.

Every key is declared once, as a dataclass field whose metadata says what it means and
what values it accepts; loading a table and applying flags both validate through it, so a
wrong value is refused where it was written, with the key's name and how to fix it.
``describe()`` lists the keys (the README's settings table and ``grader config`` use it).
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from grader.errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


def _key(
    help: str,
    check: Callable[[Any], bool] | None = None,
    rule: str = "",
    flag: str | None = None,
    default: Any = MISSING,
    factory: Any = MISSING,
) -> Any:
    meta = {"help": help, "check": check, "rule": rule, "flag": flag}
    if factory is not MISSING:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


def _positive(v: Any) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v) and v > 0


def _non_negative(v: Any) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v) and v >= 0


def parse_due(text: str) -> _dt.datetime:
    """A due date: an ISO 8601 time with a UTC offset (a bare local time would mean different
    moments on the grading machine and the students' laptops)."""
    when = _dt.datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    if when.tzinfo is None:
        raise ValueError("no UTC offset")
    return when


def _due(v: Any) -> bool:
    try:
        parse_due(v)
    except (TypeError, ValueError):
        return False
    return True


def _fraction(v: Any) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v) and 0 <= v <= 1


@dataclass(frozen=True)
class Limits:
    """What one worker process running student code may use."""

    call_timeout: float = _key(
        "seconds one call of a student function may take", _positive, "> 0", "--timeout", default=20.0
    )
    import_timeout: float = _key(
        "seconds for importing a student module (Keras topics import TF)",
        _positive,
        "> 0",
        "--set import_timeout=S",
        default=120.0,
    )
    memory_mb: int = _key(
        "address-space cap (MB) of each worker running student code; 0: no cap",
        lambda v: v == 0 or v >= 64,
        "0 or >= 64",
        "--memory-mb",
        default=4096,
    )
    output_kb: int = _key(
        "student stdout/stderr kept per topic (KB); the rest is dropped",
        _non_negative,
        ">= 0",
        "--set output_kb=KB",
        default=256,
    )


@dataclass(frozen=True)
class Settings:
    """One grading run: what to grade (invocation) and how (configuration)."""

    submission: Path = Path("exercises")
    topics: tuple[str, ...] = ()
    out: Path = Path("grader-report")
    seed: int | None = _key(
        "seed for the random test inputs; the report records it", _non_negative, ">= 0", "--seed", default=None
    )
    limits: Limits = field(default_factory=Limits)
    mnist: str | None = _key("path to mnist.npz", None, "", "--mnist", default=None)
    # 0.965: the reference solution reaches 0.9706-0.9800 over 20 seeds (mean 0.9757, std 0.0022;
    # benchmarks/mnist_seeds.py), so a correct network clears it by ~5 std under any seed.
    mnist_threshold: float = _key(
        "test accuracy the MNIST model must reach",
        lambda v: 0 <= v <= 1,
        "in [0, 1]",
        "--set mnist_threshold=X",
        default=0.965,
    )
    mnist_time_budget: float = _key(
        "seconds the student's train() may take", _positive, "> 0", "--set mnist_time_budget=S", default=600.0
    )
    mnist_epochs: int | None = _key(
        "override the number of epochs (the course uses 4)",
        lambda v: v >= 1,
        ">= 1",
        "--set mnist_epochs=N",
        default=None,
    )
    lang: str | None = _key(
        "language of messages and reports: en or zh (default: from the locale)",
        lambda v: v in ("en", "zh"),
        "en or zh",
        "--lang",
        default=None,
    )
    due: str | None = _key(
        "due date: ISO 8601 with a UTC offset, e.g. 2026-12-15T23:59:00+08:00",
        _due,
        "an ISO 8601 time with a UTC offset (e.g. 2026-12-15T23:59:00+08:00)",
        "--set due=TIME",
        default=None,
    )
    late_penalty_per_day: float = _key(
        "fraction of the earned score taken off per started day late",
        _fraction,
        "in [0, 1]",
        "--set late_penalty_per_day=X",
        default=0.0,
    )
    late_grace_minutes: float = _key(
        "minutes after the due date that still count as on time",
        _non_negative,
        ">= 0",
        "--set late_grace_minutes=M",
        default=0.0,
    )
    late_cap: float = _key(
        "largest fraction of the score the late penalty takes off in all",
        _fraction,
        "in [0, 1]",
        "--set late_cap=X",
        default=1.0,
    )
    reference_cache: str | None = _key(
        "folder where expected values that do not depend on the student (Keras trajectories, samples, ...) are "
        "kept between runs and shared by a batch's processes, or off (default: $GRADER_CACHE_DIR, else "
        "~/.cache/tfgrader)",
        lambda v: bool(str(v).strip()),
        "a folder or off",
        "--set reference_cache=DIR|off",
        default=None,
    )
    worker_start: str = _key(
        "how workers start: fork (from a process per run, or per batch process, that imported NumPy - or "
        "TensorFlow, for Keras topics - once; each is then confined like a spawned one) or spawn (each "
        "starts a fresh interpreter)",
        lambda v: v in ("fork", "spawn"),
        "fork or spawn",
        "--set worker_start=fork|spawn",
        default="fork",
    )
    batch_cpus: str = _key(
        "how grader batch places its processes: pin (each batch process and its workers on a core of its own, "
        "when there is one per process) or share (wherever the system schedules them, e.g. on a machine "
        "busy with other work)",
        lambda v: v in ("pin", "share"),
        "pin or share",
        "--set batch_cpus=pin|share",
        default="pin",
    )
    sandbox: str | None = _key(
        "confinement of student code by the operating system: strict refuses to grade "
        "where it is incomplete (`grader doctor` says why), best-effort grades and "
        "reports what was missing (default: strict for grader batch, best-effort for "
        "grader run)",
        lambda v: v in ("strict", "best-effort"),
        "strict or best-effort",
        "--sandbox",
        default=None,
    )


# Invocation fields: given on the command line, never in [tool.grader].
_INVOCATION = {"submission", "topics", "out"}
_LIMIT_FIELDS = {f.name: f for f in fields(Limits)}
_SETTING_FIELDS = {f.name: f for f in fields(Settings) if f.name not in _INVOCATION and f.name != "limits"}
KEYS = {**_SETTING_FIELDS, **_LIMIT_FIELDS}


def describe() -> Iterator[tuple[str, Any, str, str | None]]:
    """(key, default, meaning, flag) for every ``[tool.grader]`` key, in declaration order."""
    for f in (*_LIMIT_FIELDS.values(), *_SETTING_FIELDS.values()):
        default = f.default if f.default is not MISSING else None
        yield f.name, default, f.metadata["help"], f.metadata["flag"]


def load_pyproject(path: Path | None) -> dict[str, Any]:
    """The ``[tool.grader]`` table of ``path`` (or ./pyproject.toml when it exists)."""
    if path is None:
        path = Path("pyproject.toml")
        if not path.exists():
            return {}
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise UsageError(
            f"config file {path} does not exist", fix="pass an existing pyproject.toml to --config"
        ) from None
    except IsADirectoryError:
        raise UsageError(f"config file {path} is a folder", fix="pass a pyproject.toml file to --config") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path} is not valid TOML: {exc}", fix="fix the file or pass another with --config") from None
    table = data.get("tool", {}).get("grader", {})
    unknown = set(table) - set(KEYS)
    if unknown:
        raise UsageError(
            f"unknown key(s) in [tool.grader] of {path}: {', '.join(sorted(unknown))}",
            fix=f"known keys: {', '.join(sorted(KEYS))}",
        )
    return {key: _validated(key, value, f"[tool.grader] {key}") for key, value in table.items()}


def _kind(f: Any) -> type:
    annotation = str(f.type)
    for name, kind in (("float", float), ("int", int), ("str", str), ("bool", bool)):
        if annotation.startswith(name):
            return kind
    return str


def _validated(key: str, value: Any, where: str) -> Any:
    """``value`` converted to the key's type and checked against its rule."""
    f = KEYS[key]
    if value is None:
        return None
    kind = _kind(f)
    try:
        if kind is int and isinstance(value, float) and not value.is_integer():
            raise ValueError
        if kind in (int, float) and isinstance(value, (str, bool)):
            raise ValueError  # "20" or true in a TOML file is a mistake, not a number
        if kind is str and isinstance(value, _dt.datetime):
            value = value.isoformat()  # a TOML date-time (due = 2026-12-15T23:59:00+08:00)
        if kind is str and not isinstance(value, (str, Path)):
            raise ValueError  # mnist = 3 is a mistake, not the path "3"
        converted = kind(value)
    except (TypeError, ValueError):
        raise UsageError(
            f"{where} should be a {kind.__name__}, got {value!r}",
            fix=f"{f.metadata['help']}; e.g. {key} = {f.default!r}",
        ) from None
    check = f.metadata["check"]
    if check is not None and not check(converted):
        raise UsageError(f"{where} must be {f.metadata['rule']}, not {value!r}", fix=f"{key}: {f.metadata['help']}")
    return converted


def parse_assignments(pairs: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """``--set KEY=VALUE`` options as a table: VALUE is read as a TOML value, else as text."""
    table: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or key not in KEYS:
            raise UsageError(
                f"--set {pair!r} does not name a setting",
                fix=f"use --set KEY=VALUE with one of: {', '.join(sorted(KEYS))}",
            )
        try:
            value = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            value = text  # a bare word (a path, strict, zh)
        table[key] = _validated(key, value, f"--set {key}")
    return table


def build_settings(table: dict[str, Any], **overrides: Any) -> Settings:
    """Merge a [tool.grader] table with CLI overrides (None means 'not given')."""
    limits: dict[str, Any] = {}
    rest: dict[str, Any] = {}
    for key, value in table.items():
        (limits if key in _LIMIT_FIELDS else rest)[key] = value
    for key, value in overrides.items():
        if value is None:
            continue
        if key not in KEYS and key not in _INVOCATION:
            raise UsageError(f"unknown setting {key!r}", fix=f"known settings: {', '.join(sorted(KEYS))}")
        if key in KEYS:
            flag = KEYS[key].metadata["flag"] or key
            value = _validated(key, value, flag)
        (limits if key in _LIMIT_FIELDS else rest)[key] = value
    if rest.get("mnist") is None and os.environ.get("GRADER_MNIST"):
        rest["mnist"] = os.environ["GRADER_MNIST"]
    return replace(Settings(), limits=replace(Limits(), **limits), **rest)
