"""The class dashboard in a real headless browser: tables fit at 1280 px and scroll inside
themselves on a phone, never the page (Debian's chromium, launched as in test_report_browser)."""

from __future__ import annotations

import pytest

from grader.core.catalog import available_topics, max_scores
from grader.outputs.dashboard import write_class_outputs
from tests.test_report_browser import ARGS, CHROMIUM
from tests.unit.outputs.test_dashboard_data import result

LONG = "a_student_with_a_really_long_folder_name_from_the_lms_export_2026"


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory):
    topics = [t for t in available_topics() if t != "mnist"]  # every column the Students table can have
    syntax = "activations.py, line 12: SyntaxError: invalid syntax\n    return np.where(x > 0, x, 0.0" + "0" * 300 + ")"
    results = {}
    for i in range(12):
        scores = {t: (i % 5) / 4 for t in topics}
        if i % 4 == 0:
            scores["activations"] = "syntax"
        results[f"{LONG}_{i:02d}" if i % 3 == 0 else f"s{i:02d}"] = result(scores, messages={"activations": syntax})
    pairs = [
        {
            "topic": "losses",
            "a": f"{LONG}_00",
            "b": f"{LONG}_03",
            "similarity": 0.97,
            "similarity_a": 0.97,
            "similarity_b": 0.95,
            "file": "losses.py",
            "link_a": "x.py",
            "link_b": "y.py",
        }
    ]
    out = tmp_path_factory.mktemp("dash")
    write_class_outputs(out, results, {"seed": 1}, topics=topics, max_scores=max_scores(topics), similarity=pairs)
    return out / "index.html"


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM, "Chromium is needed for this test: apt-get install -y chromium"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


MEASURE = """() => ({
  page: document.documentElement.scrollWidth,
  boxes: [...document.querySelectorAll('.scroll')].map(e => ({id: e.id, scroll: e.scrollWidth, client: e.clientWidth,
                                                               overflow: getComputedStyle(e).overflowX})),
})"""


@pytest.mark.parametrize("width, height", [(1280, 800), (390, 844)])
def test_dashboard_tables_fit_or_scroll_inside_themselves(browser, dashboard, tmp_path, width, height):
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(dashboard.as_uri())
    page.wait_for_load_state("load")
    for summary in page.locator("details > summary").all()[:3]:
        summary.click()  # long example messages must not widen the page either
    m = page.evaluate(MEASURE)
    page.screenshot(path=str(tmp_path / f"dashboard-{width}.png"), full_page=True)
    assert errors == []
    assert m["page"] <= width, f"the page itself scrolls sideways: {m['page']} px"
    boxes = {b["id"]: b for b in m["boxes"] if b["id"]}
    assert {"mistakes", "checks", "students", "similarity"} <= set(boxes)
    assert all(b["overflow"] == "auto" for b in m["boxes"])
    if width >= 1280:
        wide = [b for b in m["boxes"] if b["scroll"] > b["client"] + 1]
        assert wide == [], "every table fits at 1280 px"
    else:
        assert boxes["students"]["scroll"] > boxes["students"]["client"]  # it scrolls inside its box
    assert page.locator("#students tbody tr").count() == 12
