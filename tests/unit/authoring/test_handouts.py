"""grader/authoring/handouts.py: every handout notebook is valid, complete and holds the right code.

Generating all of them takes about a second; executing them in kernels is tests/test_handouts.py.
"""

from __future__ import annotations

import re
import shutil

import nbformat
import pytest

from grader.authoring import handouts as ho
from grader.core.catalog import api_names, available_topics
from grader.errors import UsageError
from tests.conftest import EXERCISES, SOLUTIONS

TOPICS = [t for t in available_topics() if (SOLUTIONS / f"{t}.py").exists() and (EXERCISES / f"{t}.py").exists()]


@pytest.fixture(scope="module")
def handouts(tmp_path_factory):
    out = tmp_path_factory.mktemp("handouts")
    ho.write_handouts(TOPICS, list(ho.LANGS), list(ho.EDITIONS), out, exercises=EXERCISES, solutions=SOLUTIONS)
    return out


def _code(nb):
    return [c.source for c in nb.cells if c.cell_type == "code"]


@pytest.mark.parametrize("topic", TOPICS)
def test_every_handout_is_valid_and_complete(handouts, topic):
    names = api_names(topic)
    for lang in ho.LANGS:
        for edition in ho.EDITIONS:
            path = handouts / ho.notebook_name(topic, lang, edition)
            nb = nbformat.read(str(path), as_version=4)
            nbformat.validate(nb)
            assert nb.nbformat == 4
            assert nb.metadata["grader"]["topic"] == topic
            assert nb.metadata["grader"]["edition"] == edition
            code = "\n".join(_code(nb))
            for name in names:  # every graded function/class has its own cell
                assert re.search(rf"^(def|class) {name}\b", code, re.M), f"{path.name}: no cell defines {name}"
            assert f'self_check("{topic}", globals(), lang="{lang}")' in code
            text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
            assert len(text) > 1500, f"{path.name}: the explanations look too short"
            if lang == "zh":
                han = len(re.findall(r"[\u4e00-\u9fff]", text))
                assert han > 500, f"{path.name}: expected Chinese prose, found {han} CJK characters"


def _solution_bodies(topic: str) -> list[str]:
    text = (SOLUTIONS / f"{topic}.py").read_text(encoding="utf-8")
    bodies = re.findall(r"^[ \t]*# BEGIN SOLUTION[ \t]*\n(.*?)^[ \t]*# END SOLUTION", text, re.S | re.M)
    return [b for b in bodies if b.strip()]


def _body_lines(body: str) -> list[str]:
    return [line.strip() for line in body.splitlines() if line.strip()]


def _contains_body(text: str, body: str) -> bool:
    """Whether the body's lines occur in ``text`` consecutively (indentation ignored)."""
    want = _body_lines(body)
    have = [line.strip() for line in text.splitlines() if line.strip()]
    n = len(want)
    return any(have[i : i + n] == want for i in range(len(have) - n + 1))


@pytest.mark.parametrize("topic", TOPICS)
def test_code_cells_come_from_the_grader_sources(handouts, topic):
    """Instructor cells hold the reference code, student cells the stubs (no reference bodies)."""
    for lang in ho.LANGS:
        inst = "\n".join(_code(nbformat.read(str(handouts / ho.notebook_name(topic, lang, "instructor")), 4)))
        stud = "\n".join(_code(nbformat.read(str(handouts / ho.notebook_name(topic, lang, "student")), 4)))
        for body in _solution_bodies(topic):
            assert _contains_body(inst, body), f"instructor {topic}.{lang} lacks a reference body"
            if len(_body_lines(body)) > 1 or len(body.strip()) > 40:
                assert not _contains_body(stud, body), f"student {topic}.{lang} contains reference code:\n{body}"
        assert "NotImplementedError" in stud


def test_a_topic_without_experiments_still_gets_a_handout(tmp_path, monkeypatch):
    """A new topic needs prose and code; plots are optional (no experiments file, no experiment cells)."""
    (tmp_path / "handouts").mkdir()
    for name in ("schedules.en.md.j2", "_common.en.md.j2"):
        shutil.copy(ho.handouts_dir() / name, tmp_path / "handouts" / name)
    monkeypatch.setattr(ho, "handouts_dir", lambda: tmp_path / "handouts")
    nb = ho.build_notebook("schedules", "en", "student", (EXERCISES / "schedules.py").read_text())
    nbformat.validate(nb)
    assert not any("plt." in c.source for c in nb.cells if c.cell_type == "code")


# ------------------------------------------------------------------------------ the code in Chinese

_HAN = re.compile(r"[\u4e00-\u9fff]")


def _without_docstrings(source: str) -> str:
    import ast

    tree = ast.parse(source)
    for node in ast.walk(tree):
        if (
            isinstance(node, (ast.FunctionDef, ast.ClassDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(getattr(node.body[0], "value", None), ast.Constant)
        ):
            node.body[0].value.value = ""
    return ast.dump(tree)


@pytest.mark.parametrize("topic", TOPICS)
def test_zh_handouts_explain_the_code_in_chinese(handouts, topic):
    import ast

    for edition in ho.EDITIONS:
        zh = _code(nbformat.read(str(handouts / ho.notebook_name(topic, "zh", edition)), 4))
        en = _code(nbformat.read(str(handouts / ho.notebook_name(topic, "en", edition)), 4))
        assert len(zh) == len(en)
        for zh_cell, en_cell in zip(zh, en, strict=False):
            tree = ast.parse(en_cell.replace("%matplotlib inline", ""))
            if tree.body and all(isinstance(n, (ast.FunctionDef, ast.ClassDef)) for n in tree.body):
                # the module's functions: translated docstrings and comments, the very same code
                assert _without_docstrings(zh_cell) == _without_docstrings(en_cell), "a translation changed the code"
        assert not any(_HAN.search(c) for c in en), f"{topic}: Chinese in the English handout's code"
        for cell in zh:
            tree = ast.parse(cell.replace("%matplotlib inline", ""))
            for node in ast.walk(tree):
                if (
                    isinstance(node, (ast.FunctionDef, ast.ClassDef))
                    and not node.name.startswith("_")
                    and ast.get_docstring(node)
                ):
                    doc = ast.get_docstring(node)
                    assert len(_HAN.findall(doc)) >= 10, f"{topic}.{node.name}: docstring not in Chinese"
                    if isinstance(node, ast.FunctionDef):  # every argument is still explained
                        args = [a.arg for a in node.args.args if a.arg not in ("self", "cls")]
                        if len(doc.splitlines()) > 2:
                            missing = [a for a in args if a not in doc]
                            assert not missing, f"{topic}.{node.name}: the zh docstring omits {missing}"
        stubs = "\n".join(zh)
        if edition == "student":
            assert "# TODO：在这里写你的代码。" in stubs and "TODO: your code here" not in stubs
        labels = re.findall(r"set_(?:title|xlabel|ylabel)\(f?\"([^\"]+)\"", stubs)
        english = [
            label
            for label in labels  # words, not the {placeholders} of an f-string
            if re.search(r"[a-z]{4}", re.sub(r"\{[^}]*\}|\\n", " ", label)) and not _HAN.search(label)
        ]
        assert not english, f"{topic}: plot labels left in English in the zh handout: {english}"


def test_a_missing_translation_is_named():
    src = 'def brand_new(x):\n    """Docstring."""\n    return x\n'
    with pytest.raises(UsageError, match="lacks the docstring"):
        ho.localize_code(src, "activations", "zh")
    assert ho.localize_code(src, "activations", "en") == src
