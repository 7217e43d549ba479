"""grader/config.py: every [tool.grader] key and flag is validated where it is written (exit 2)."""

from __future__ import annotations

import json

import pytest

from grader import config
from grader.config import KEYS, Limits, Settings, build_settings, describe, load_pyproject
from grader.errors import ExitCode, UsageError

# A value of the wrong type and a value of the right type that breaks the key's rule.
WRONG_TYPE = {
    "seed": "x",
    "mnist": 3,
    "mnist_threshold": "high",
    "mnist_time_budget": [1],
    "mnist_epochs": 2.5,
    "lang": 1,
    "call_timeout": True,
    "import_timeout": "20",
    "memory_mb": 1.5,
    "output_kb": {"a": 1},
    "due": 20261215,
    "late_penalty_per_day": "10%",
    "late_grace_minutes": [5],
    "late_cap": False,
    "sandbox": 1,
    "worker_start": True,
    "batch_cpus": False,
    "reference_cache": 3,
}
BREAKS_RULE = {
    "seed": -1,
    "mnist_threshold": 1.5,
    "mnist_time_budget": 0,
    "mnist_epochs": 0,
    "lang": "fr",
    "call_timeout": -3,
    "import_timeout": float("inf"),
    "memory_mb": 32,
    "output_kb": -1,
    "due": "2026-12-15T23:59:00",  # no UTC offset: ambiguous across time zones
    "late_penalty_per_day": 1.5,
    "late_grace_minutes": -1,
    "late_cap": 2,
    "sandbox": "lenient",
    "worker_start": "thread",
    "batch_cpus": "all",
    "reference_cache": "  ",
}
GOOD = {
    "seed": 7,
    "mnist": "data/mnist.npz",
    "mnist_threshold": 0.9,
    "mnist_time_budget": 60,
    "mnist_epochs": 2,
    "lang": "zh",
    "call_timeout": 3,
    "import_timeout": 30.5,
    "memory_mb": 0,
    "output_kb": 0,
    "due": "2026-12-15T23:59:00+08:00",
    "late_penalty_per_day": 0.1,
    "late_grace_minutes": 15,
    "late_cap": 0.5,
    "sandbox": "strict",
    "worker_start": "spawn",
    "batch_cpus": "share",
    "reference_cache": "off",
}


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v == float("inf"):
        return "inf"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + "}"
    return json.dumps(v)


def pyproject(tmp_path, **table) -> object:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.grader]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in table.items()))
    return path


def test_the_tables_cover_every_key():
    assert set(WRONG_TYPE) == set(KEYS) == set(GOOD)
    assert set(BREAKS_RULE) == {k for k, f in KEYS.items() if f.metadata["check"] is not None}


@pytest.mark.parametrize("key", sorted(KEYS))
def test_a_value_of_the_wrong_type_is_refused_in_the_file(tmp_path, key):
    with pytest.raises(UsageError) as exc:
        load_pyproject(pyproject(tmp_path, **{key: WRONG_TYPE[key]}))
    assert key in exc.value.message and exc.value.fix and exc.value.exit_code == ExitCode.USAGE == 2


@pytest.mark.parametrize("key", sorted(BREAKS_RULE))
def test_a_value_that_breaks_the_rule_is_refused_in_the_file_and_as_a_flag(tmp_path, key):
    with pytest.raises(UsageError) as exc:
        load_pyproject(pyproject(tmp_path, **{key: BREAKS_RULE[key]}))
    assert key in exc.value.message and KEYS[key].metadata["rule"] in exc.value.message
    with pytest.raises(UsageError) as exc:
        build_settings({}, **{key: BREAKS_RULE[key]})
    assert (KEYS[key].metadata["flag"] or key) in exc.value.message


@pytest.mark.parametrize("key", sorted(KEYS))
def test_a_good_value_is_typed_and_lands_in_the_settings(tmp_path, key):
    table = load_pyproject(pyproject(tmp_path, **{key: GOOD[key]}))
    s = build_settings(table)
    where = s.limits if key in {f for f in Limits.__dataclass_fields__} else s
    got = getattr(where, key)
    assert got == GOOD[key] and type(got) is type(KEYS[key].default if KEYS[key].default is not None else GOOD[key])


def test_defaults_pass_their_own_rules():
    for key, default, meaning, flag in describe():
        assert meaning and flag and flag.startswith("--")
        if default is not None:
            assert config._validated(key, default, key) == default


def test_unknown_keys_are_refused_with_the_known_ones(tmp_path):
    with pytest.raises(UsageError) as exc:
        load_pyproject(pyproject(tmp_path, call_timout=3))
    assert "call_timout" in exc.value.message and "call_timeout" in (exc.value.fix or "")
    with pytest.raises(UsageError):
        build_settings({}, no_such_flag=1)
    for invocation in ("submission", "topics", "out"):  # given on the command line, not in the file
        with pytest.raises(UsageError):
            load_pyproject(pyproject(tmp_path, **{invocation: "x"}))


@pytest.mark.parametrize(
    "content, needle", [("[tool.grader\n", "not valid TOML"), (None, "does not exist"), ("folder", "is a folder")]
)
def test_an_unreadable_file_is_a_usage_error(tmp_path, content, needle):
    path = tmp_path / "pyproject.toml"
    if content == "folder":
        path.mkdir()
    elif content is not None:
        path.write_text(content)
    with pytest.raises(UsageError) as exc:
        load_pyproject(path)
    assert needle in exc.value.message and exc.value.fix


def test_without_a_file_there_is_no_table(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_pyproject(None) == {}
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert load_pyproject(None) == {}


def test_precedence_defaults_then_file_then_flags(tmp_path, monkeypatch):
    monkeypatch.delenv("GRADER_MNIST", raising=False)
    table = load_pyproject(pyproject(tmp_path, call_timeout=3, mnist_threshold=0.95))
    s = build_settings(table, call_timeout=None, seed=5)  # None: the flag was not given
    assert s.limits.call_timeout == 3.0 and s.mnist_threshold == 0.95 and s.seed == 5
    assert s.limits.memory_mb == Limits().memory_mb and s.mnist is None
    assert build_settings(table, call_timeout=9.0).limits.call_timeout == 9.0
    assert build_settings({}) == Settings()


def test_the_environment_names_mnist_only_when_nothing_else_does(monkeypatch):
    monkeypatch.setenv("GRADER_MNIST", "/env/mnist.npz")
    assert build_settings({}).mnist == "/env/mnist.npz"
    assert build_settings({"mnist": "/file/mnist.npz"}).mnist == "/file/mnist.npz"
    assert build_settings({}, mnist="/flag/mnist.npz").mnist == "/flag/mnist.npz"


def test_settings_are_frozen():
    with pytest.raises(AttributeError):
        Settings().seed = 3  # type: ignore[misc]
