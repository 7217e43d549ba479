"""The student-facing API is a contract (../shared/exercise-spec.md): names and signatures.

The spec lives beside the checkout (CI copies shared/ next to it); without it this module
fails at once, naming the file, rather than skipping.
"""

from __future__ import annotations

import importlib.util
import inspect
import re

import pytest

from grader.core.catalog import available_topics, collect
from tests.conftest import EXERCISES, REPO, SHARED, SOLUTIONS

SPEC = SHARED / "exercise-spec.md"
if not SPEC.exists():
    raise FileNotFoundError(f"the exercise spec {SPEC} is missing: put the shared/ folder beside the checkout")


def _spec_entries() -> dict[str, list[tuple[str, str | None]]]:
    """{topic: [(name, "params" or None for classes)]} from the spec's tables."""
    out: dict[str, list] = {}
    topic = None
    for line in SPEC.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^## (\w+)", line)
        if m:
            topic = m.group(1)
            continue
        if topic and line.startswith("| `"):
            first = line.split("|")[1]
            for name, params in re.findall(r"`(\w+)(?:\((.*?)\))?`", first):
                out.setdefault(topic, []).append((name, params if "(" in first else None))
    return out


def _load(path):
    spec = importlib.util.spec_from_file_location(f"_contract_{path.parent.name}_{path.stem}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _params(sig: inspect.Signature) -> str:
    parts = []
    for p in sig.parameters.values():
        parts.append(p.name if p.default is inspect.Parameter.empty else f"{p.name}={p.default!r}")
    return ", ".join(parts).replace("'", '"')


def _spec_params(params: str) -> str:
    """The spec's parameter list rendered like :func:`_params` (so ``epsilon=1e-3`` reads ``epsilon=0.001``)."""
    try:
        return _params(inspect.signature(eval(f"lambda {params}: None", {})))  # the spec is trusted text
    except SyntaxError:
        return params.replace("'", '"')


SPEC_ENTRIES = _spec_entries()


def test_spec_is_parsed():
    assert set(SPEC_ENTRIES) >= {"activations", "losses", "optimizers", "models", "mnist"}
    assert ("softmax", "x, axis=-1") in SPEC_ENTRIES["activations"]


@pytest.mark.parametrize("topic", available_topics())
@pytest.mark.parametrize("folder", [SOLUTIONS, EXERCISES], ids=["solutions", "exercises"])
def test_names_and_signatures_match_the_spec(topic, folder):
    mod = _load(folder / f"{topic}.py")
    for name, params in SPEC_ENTRIES[topic]:
        assert hasattr(mod, name), f"{folder.name}/{topic}.py lacks {name}"
        obj = getattr(mod, name)
        if params is None or inspect.isclass(obj):
            continue
        got = _params(inspect.signature(obj))
        # The spec may list only the leading parameters; added optional keywords are allowed.
        assert got.startswith(_spec_params(params)), f"{name}({got}) does not match the spec's {name}({params})"


@pytest.mark.parametrize("topic", available_topics())
def test_every_spec_function_has_a_check(topic):
    about = {meta.function for _, meta in collect([topic])}
    missing = {name for name, _ in SPEC_ENTRIES[topic]} - about
    assert not missing, f"{topic}: no check is about {sorted(missing)}"


def test_solutions_are_not_packaged():
    text = (REPO / "pyproject.toml").read_text()
    assert "solutions" not in text.split("[tool.setuptools]")[1].split("[tool.pytest")[0]
