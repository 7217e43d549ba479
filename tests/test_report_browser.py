"""The HTML report in a real headless browser (Debian's chromium, driven by Playwright).

Chinese text is checked for real glyphs: CI installs a CJK font (fonts-noto-cjk, .ci/run),
and the test proves it is used by drawing the report's own heading characters with the
report's own font stack on a canvas. Real glyphs are each a different shape, none of them
the "tofu" box a font-less machine draws, and about one em wide; the same measurement in a
browser started without any CJK font (a scratch fontconfig with DejaVu only) must see tofu,
so the check is known to fail when the glyphs are missing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.outputs.report import write_reports
from tests.conftest import SOLUTIONS, grade_dir

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LATIN_FONTS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation")]


def failing_result(tmp_path_factory, lang):
    src = (SOLUTIONS / "activations.py").read_text()
    src = src.replace("z = x - np.max(x, axis=axis, keepdims=True)", "z = x")  # overflow: diff table
    src = src.replace("return (x > 0).astype", "return (x >= 0).astype")  # relu'(0): curve
    sub = tmp_path_factory.mktemp("sub")
    (sub / "activations.py").write_text(src)
    return grade_dir(sub, ("activations",), lang=lang)


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    out = {}
    for lang in ("en", "zh"):
        folder = tmp_path_factory.mktemp(f"report-{lang}")
        out[lang] = write_reports(failing_result(tmp_path_factory, lang), folder, "student", lang)["html"]
    return out


def _launch(p, env=None):
    assert CHROMIUM, "Chromium is needed for this test: apt-get install -y chromium"
    return p.chromium.launch(executable_path=CHROMIUM, args=ARGS, env=env)


@pytest.fixture(scope="module")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright):
    b = _launch(playwright)
    yield b
    b.close()


@pytest.fixture(scope="module")
def fontless_browser(playwright, tmp_path_factory):
    """Chromium that sees no CJK font: what a student's machine without one shows."""
    import os

    folder = tmp_path_factory.mktemp("fontconfig")
    dirs = "".join(f"<dir>{d}</dir>" for d in LATIN_FONTS if d.is_dir())
    assert dirs, "a Latin font (DejaVu, from chromium's dependencies) is expected"
    (folder / "fonts.conf").write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
        f"<fontconfig>{dirs}<cachedir>{folder / 'cache'}</cachedir></fontconfig>"
    )
    b = _launch(playwright, env={**os.environ, "FONTCONFIG_FILE": str(folder / "fonts.conf")})
    yield b
    b.close()


def _open(browser, path, width=1280):
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors


@pytest.mark.parametrize(
    "lang, heading, mistake", [("en", "Grading report", "Known mistake"), ("zh", "评分报告", "常见错误")]
)
def test_report_loads_and_shows_grouped_feedback_diff_and_curve(browser, reports, tmp_path, lang, heading, mistake):
    page, errors = _open(browser, reports[lang])
    assert heading in page.locator("h1").inner_text()
    failing = page.locator("article.fn.failing")
    assert failing.count() == 2  # softmax and relu_grad, each stated once
    assert page.locator(".mistake").count() >= 1 and mistake in page.locator(".mistake").first.inner_text()
    assert page.locator("table.diff").count() >= 1 and page.locator("table.diff").first.is_visible()
    curve = page.locator("svg.curve").first
    assert curve.is_visible() and curve.locator("polyline.student").count() == 1
    # passed checks are collapsed into a count, and expand on a click
    passed = page.locator("details.fn-passed").first
    item = passed.locator("li.check").first
    assert not item.is_visible()
    passed.locator("summary").click()
    assert item.is_visible()
    page.screenshot(path=str(tmp_path / f"report-{lang}.png"), full_page=True)
    assert errors == []


# The report's heading characters drawn on a canvas in the heading's own font (its font stack).
_GLYPHS = """() => {
  const h = document.querySelector('h1');
  const style = getComputedStyle(h);
  const font = style.fontWeight + ' 40px ' + style.fontFamily;
  const canvas = document.createElement('canvas');
  canvas.width = 64; canvas.height = 64;
  const g = canvas.getContext('2d');
  g.font = font;
  const ink = ch => { g.clearRect(0, 0, 64, 64); g.fillText(ch, 4, 48);
                      return Array.from(g.getImageData(0, 0, 64, 64).data).join(','); };
  const chars = Array.from(h.textContent).filter(ch => /[\\u4e00-\\u9fff]/.test(ch));
  const tofu = ink('\\ue000');  // a private-use code point: no font has a glyph for it
  const range = document.createRange();
  const node = h.firstChild;
  range.setStart(node, 0); range.setEnd(node, chars.length);
  return {
    chars: chars.join(''), distinct: new Set(chars.map(ink)).size, tofu: chars.filter(ch => ink(ch) === tofu).length,
    width: g.measureText(chars.join('')).width, tofu_width: g.measureText('\\ue000'.repeat(chars.length)).width,
    heading_width: range.getBoundingClientRect().width, em: parseFloat(style.fontSize),
  };
}"""


def test_chinese_renders_with_real_glyphs(browser, fontless_browser, reports):
    page, _ = _open(browser, reports["zh"])
    real = page.evaluate(_GLYPHS)
    n = len(real["chars"])
    assert real["chars"] == "评分报告"
    assert real["tofu"] == 0 and real["distinct"] == n, real  # every character its own shape, none a box
    assert real["width"] == pytest.approx(n * 40, rel=0.1) and real["width"] > real["tofu_width"], real
    assert real["heading_width"] >= 0.9 * n * real["em"], real  # the heading itself: full-width glyphs
    # The same page where no CJK font exists: the check sees the boxes it is there to catch.
    page, _ = _open(fontless_browser, reports["zh"])
    tofu = page.evaluate(_GLYPHS)
    assert tofu["tofu"] == n and tofu["distinct"] == 1, tofu
    assert real["heading_width"] > tofu["heading_width"]


_OVERFLOW = """() => {
  const vw = document.documentElement.clientWidth;
  const out = el => el.getBoundingClientRect().right > vw + 0.5 || el.getBoundingClientRect().left < -0.5;
  return {
    page: document.documentElement.scrollWidth, viewport: vw,
    points: Array.from(document.querySelectorAll('table.checks td.num, table.checks th.num, #summary td.num'))
      .filter(out).map(el => el.textContent),
    messages: Array.from(document.querySelectorAll('.msg, .mistake, .hint')).filter(out).map(el => el.textContent.slice(0, 60)),
  };
}"""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_readable_on_a_phone(browser, reports, tmp_path, lang):
    """At 420 px: no horizontal scrolling of the page; points and messages inside the screen."""
    page, errors = _open(browser, reports[lang], width=420)
    found = page.evaluate(_OVERFLOW)
    assert found["page"] <= found["viewport"] == 420, found
    assert found["points"] == [] and found["messages"] == [], found
    points = page.locator("table.checks td.num").first
    assert points.is_visible() and "/" in points.inner_text()
    assert page.locator(".msg").first.is_visible()
    page.screenshot(path=str(tmp_path / f"phone-{lang}.png"), full_page=True)
    assert errors == []
