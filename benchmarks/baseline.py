"""The bare floor for bench_run.py: the same checks, in one process, without the grader.

Imports TensorFlow, then calls every check function of the given topics directly, with the
reference solutions imported in-process as the "student" (no pytest, no worker processes,
no plain-data codec, no reports). Parametrized checks are expanded and fixtures resolved by
a tiny resolver, so the TF reference computations and solution calls are exactly those of a
real run.

    python benchmarks/baseline.py activations losses ... [--seed N]
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import itertools
import os
import sys
import zlib
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402


class InProcessStudent:
    """Duck-types grader.sandbox.student.StudentModule, calling the module directly."""

    def __init__(self, module):
        self._m = module
        self.topic = module.__name__
        self.last_warnings: list[str] = []
        self.last_args_after = None

    def call_full(self, name, args=(), kwargs=None, *, describe=None, describe_kwargs=None, **_):
        value = getattr(self._m, name)(*args, **(kwargs or {}))
        if describe:
            mod, _, fn = describe.partition(":")
            value = getattr(importlib.import_module(mod), fn)(value, **(describe_kwargs or {}))
        self.last_args_after = list(args)
        return {"value": value, "warnings": [], "args_after": list(args)}

    def call(self, name, *args, **kwargs):
        return self.call_full(name, args, kwargs)["value"]

    call_pure = call

    def prefetch(self, name, steps, **_):
        """Announced calls save round trips to a worker; in-process there are none to save."""

    def describe(self, name, describer, *args, timeout=None, describe_kwargs=None, **kwargs):
        return self.call_full(name, args, kwargs, describe=describer, describe_kwargs=describe_kwargs)["value"]

    def drive(self, driver, *, timeout=None, what="", **kwargs):
        mod, _, fn = driver.partition(":")
        return getattr(importlib.import_module(mod), fn)(self._m, progress=None, **kwargs)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *a, **k: self.call(name, *a, **k)


class _Node:
    def __init__(self, nodeid):
        self.nodeid = nodeid
        self.stash = {}


class _Request:
    def __init__(self, module, nodeid, param=None):
        self.module = module
        self.node = _Node(nodeid)
        self.param = param


def _fixture_fn(obj):
    getter = getattr(obj, "_get_wrapped_function", None)
    return getter() if getter else None


def _param_sets(fn):
    sets = [{}]
    for mark in reversed(getattr(fn, "pytestmark", [])):
        if mark.name != "parametrize":
            continue
        names = mark.args[0]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        rows = []
        for v in mark.args[1]:
            v = getattr(v, "values", v)
            if len(names) == 1 and not (hasattr(v, "__len__") and len(v) == 1 and not isinstance(v, (str, bytes))):
                v = (v,)
            elif len(names) == 1:
                v = tuple(v) if not isinstance(v, tuple) else v
            rows.append(dict(zip(names, v, strict=True)))
        sets = [{**a, **b} for a, b in itertools.product(sets, rows)]
    return sets


def run_topic(topic: str, seed: int, tf, keras) -> tuple[int, int]:
    from grader.config import Settings

    spec = importlib.util.spec_from_file_location(topic, REPO / "solutions" / f"{topic}.py")
    sol = importlib.util.module_from_spec(spec)
    sys.modules[topic] = sol
    spec.loader.exec_module(sol)
    checks = importlib.import_module(f"grader.course.checks.test_{topic}")
    student = InProcessStudent(sol)
    module_cache: dict[str, object] = {}
    fixtures = {name: obj for name, obj in vars(checks).items() if _fixture_fn(obj) is not None}
    passed = failed = 0

    def resolve(name, nodeid, local):
        if name in local:
            return local[name]
        builtin = {
            "student": student,
            "tf": tf,
            "keras": keras,
            "seed": seed,
            "grader_settings": Settings(),
        }
        if name == "reference" and name not in fixtures:
            # The grader's store fixture (a topic may define its own "reference"): the floor
            # computes every reference value itself, no store, no codec.
            return lambda _name, compute, inputs=(): compute()
        if name in builtin:
            return builtin[name]
        if name == "rng":
            return np.random.default_rng([seed, zlib.crc32(nodeid.encode())])
        if name == "check_details":
            return {}
        if name == "request":
            return _Request(checks, nodeid)
        obj = fixtures[name]
        fn = _fixture_fn(obj)
        scope = getattr(getattr(obj, "_fixture_function_marker", None), "scope", "function")
        if scope != "function" and name in module_cache:
            return module_cache[name]
        kwargs = {p: resolve(p, nodeid, local) for p in inspect.signature(fn).parameters}
        value = fn(**kwargs)
        if inspect.isgenerator(value):
            value = next(value)
        if scope != "function":
            module_cache[name] = value
        return value

    for name, fn in vars(checks).items():
        if not (name.startswith("test_") and callable(fn)):
            continue
        for params in _param_sets(fn):
            nodeid = f"test_{topic}.py::{name}"
            sig = inspect.signature(fn).parameters
            try:
                fn(**{p: resolve(p, nodeid, params) for p in sig})
                passed += 1
            except Exception as exc:  # noqa: BLE001
                failed += 1
                print(f"FAILED {topic}::{name}{params}: {type(exc).__name__}: {str(exc)[:300]}", file=sys.stderr)
    return passed, failed


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("topics", nargs="+")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    import keras
    import tensorflow as tf

    total_p = total_f = 0
    for topic in args.topics:
        p, f = run_topic(topic, args.seed, tf, keras)
        total_p, total_f = total_p + p, total_f + f
    print(f"{total_p} passed, {total_f} failed")
    return 1 if total_f else 0


if __name__ == "__main__":
    raise SystemExit(main())
