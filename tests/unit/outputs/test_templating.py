"""grader/outputs/templating.py: the one Jinja2 environment, its filters, and text made safe for markup."""

from __future__ import annotations

from grader.outputs.templating import clean, diff_table, environment, svg_curve


def test_diff_table_fills_missing_fields_and_ignores_other_details():
    assert diff_table({"kind": "scalar", "got": 1}) == {
        "kind": "scalar",
        "got": 1,
        "expected": "—",
        "abs_err": "—",
        "atol": "—",
        "rtol": "—",
        "inputs": "—",
    }
    assert diff_table({"kind": "type"}) is None and diff_table(None) is None and diff_table("x") is None


def test_markup_is_autoescaped_by_file_name_only():
    escape = environment().autoescape
    assert escape("report.html.j2") and escape("junit.xml.j2")
    assert not escape("report.md.j2") and not escape("summary.rich.j2")


def test_clean_makes_text_xml_safe_and_bounded():
    assert clean("a\x00b\ud800c") == "a\ufffdb\ufffdc"
    assert clean("x" * 5000, limit=10) == "x" * 10 + " …"


def test_svg_curve_maps_both_curves_into_the_box():
    c = svg_curve({"x": [0.0, 1.0, 2.0], "got": [0.0, None, 2.0], "expected": [0.0, 1.0, 2.0]})
    assert len(c["got"].split()) == 2 and len(c["expected"].split()) == 3  # a None is a gap, not a point
    for pair in c["expected"].split():
        x, y = map(float, pair.split(","))
        assert c["pad"] <= x <= c["width"] - c["pad"] and c["pad"] <= y <= c["height"] - c["pad"]
    flat = svg_curve({"x": [0.0, 1.0], "got": [1.0, 1.0], "expected": [1.0, 1.0]})  # no division by zero
    assert flat["lo"] < flat["hi"]
