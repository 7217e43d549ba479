"""grader/i18n.py: the language is a context variable, and ``Text`` re-renders in any language."""

from __future__ import annotations

import concurrent.futures
import copy
import pickle

import pytest

from grader import i18n
from grader.errors import UsageError
from grader.i18n import Text, _, t

WRONG = "wrong answer"  # an id with a Chinese translation
INT = "{name} should return an int, but returned {got}"
TYPE = "an object of type {type}"


def test_default_lang_follows_the_locale(monkeypatch):
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.default_lang() == "zh"
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert i18n.default_lang() == "en"
    monkeypatch.setenv("LC_ALL", "zh_TW.UTF-8")  # LC_ALL wins over LANG
    assert i18n.default_lang() == "zh"


def test_an_unknown_language_is_a_usage_error():
    with pytest.raises(UsageError) as exc:
        i18n.check_lang("fr")
    assert "fr" in exc.value.message and "en, zh" in (exc.value.fix or "")
    with pytest.raises(UsageError), i18n.language("fr"):
        pass


def test_language_is_a_context_not_a_global():
    assert i18n.current() == "en"
    with i18n.language("zh") as lang:
        assert lang == "zh" == i18n.current()
        assert _(WRONG) == "答案错误"
        # Another thread starts from the default: nothing leaks between runs.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            assert pool.submit(i18n.current).result() == "en"
        with i18n.language("en"):
            assert _(WRONG) == WRONG
        assert i18n.current() == "zh"
    assert i18n.current() == "en"


def test_language_is_restored_when_the_block_raises():
    with pytest.raises(RuntimeError), i18n.language("zh"):
        raise RuntimeError
    assert i18n.current() == "en"


def test_text_is_a_str_in_the_current_language_that_renders_in_another():
    with i18n.language("zh"):
        msg = t(INT, name="f", got=3)
    assert isinstance(msg, str) and isinstance(msg, Text)
    assert msg == "f 应返回 int，但返回了3"
    assert msg.render("en") == "f should return an int, but returned 3"
    assert msg.render("zh") == str(msg)
    assert i18n.localize(msg, "en") == msg.render("en")
    assert i18n.localize("plain", "zh") == "plain" and i18n.localize(3, "zh") == 3


def test_a_text_parameter_is_rendered_in_the_target_language_too():
    with i18n.language("zh"):
        msg = t(INT, name="f", got=t(TYPE, type="Foo"))
    assert msg.render("en") == "f should return an int, but returned an object of type Foo"
    assert "一个类型为 Foo 的对象" in msg.render("zh")


def test_concatenation_keeps_every_part_translatable():
    with i18n.language("zh"):
        msg = _(WRONG) + "\n" + t(INT, name="g", got=1)
        left = "» " + _(WRONG)
    assert isinstance(msg, Text) and isinstance(left, Text)
    assert msg.render("en") == "wrong answer\ng should return an int, but returned 1"
    assert msg.render("zh") == str(msg) == "答案错误\ng 应返回 int，但返回了1"
    assert left.render("en") == "» wrong answer"
    # Anything but + gives a plain str in the current language: still right, no longer re-renderable.
    joined = " ".join([_(WRONG), _(WRONG)])
    assert type(joined) is str


def test_adding_a_non_string_is_refused_as_for_str():
    with pytest.raises(TypeError):
        _(WRONG) + 3  # noqa: B018 - the operation is the test


def test_text_survives_pickling_and_copying():
    # Results travel between processes in batch grading: a Text must arrive re-renderable.
    with i18n.language("zh"):
        msg = t(INT, name="h", got=t(TYPE, type="X")) + "!"
    for back in (pickle.loads(pickle.dumps(msg)), copy.deepcopy(msg), copy.copy(msg)):
        assert isinstance(back, Text) and back == msg
        assert back.render("en") == "h should return an int, but returned an object of type X!"


def test_an_unknown_id_is_its_own_english_and_chinese():
    assert i18n.gettext("no such id, surely", "zh") == "no such id, surely"
    assert t("no {such} id", such="x").render("zh") == "no x id"
    assert i18n.gettext("", "zh") == ""


def test_a_broken_translation_falls_back_to_the_english_id(monkeypatch):
    monkeypatch.setitem(i18n.catalog("zh"), INT, "{nom} 坏了")  # a translator's typo in a placeholder
    assert t(INT, name="f", got=1).render("zh") == "f should return an int, but returned 1"


def test_bound_translates_into_a_fixed_language_with_plain_strings():
    gettext, tr = i18n.bound("zh")
    assert gettext(WRONG) == "答案错误" and type(gettext(WRONG)) is str
    assert tr(INT, name="f", got=2) == "f 应返回 int，但返回了2"


def test_title_keeps_a_parametrization_suffix_untranslated():
    title = "passed"  # any translated id stands in for a check title
    assert i18n.translate_title(f"{title} [float32]", "zh") == "通过 [float32]"
    assert i18n.translate_title(title, "zh") == "通过"
    assert i18n.translate_title("no such title [x]", "zh") == "no such title [x]"


def test_placeholders():
    assert i18n.placeholders(INT) == {"name", "got"}
    assert i18n.placeholders("no fields {{here}}") == set()
