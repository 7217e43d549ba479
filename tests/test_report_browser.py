"""The HTML report in a real headless browser (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

import shutil

import pytest

from grader.outputs.report import write_reports
from tests.conftest import SOLUTIONS, grade_dir

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def failing_result(tmp_path_factory, lang):
    src = (SOLUTIONS / "activations.py").read_text()
    src = src.replace("z = x - np.max(x, axis=axis, keepdims=True)", "z = x")  # overflow: diff table
    src = src.replace("return (x > 0).astype", "return (x >= 0).astype")  # relu'(0): curve
    sub = tmp_path_factory.mktemp("sub")
    (sub / "activations.py").write_text(src)
    return grade_dir(sub, ("activations",), lang=lang)


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM, "Chromium is needed for this test: apt-get install -y chromium"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _open(browser, path):
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors


@pytest.mark.parametrize("lang, heading", [("en", "Grading report"), ("zh", "评分报告")])
def test_report_loads_and_shows_diff_and_curve(browser, tmp_path_factory, tmp_path, lang, heading):
    paths = write_reports(failing_result(tmp_path_factory, lang), tmp_path / lang, "student", lang)
    page, errors = _open(browser, paths["html"])
    assert heading in page.locator("h1").inner_text()
    assert page.locator("table.diff").count() >= 1 and page.locator("table.diff").first.is_visible()
    curve = page.locator("svg.curve").first
    assert curve.is_visible() and curve.locator("polyline.student").count() == 1
    assert ("known mistake" if lang == "en" else "常见错误") in page.inner_text("body")
    page.screenshot(path=str(tmp_path / f"report-{lang}.png"), full_page=True)
    assert errors == []
