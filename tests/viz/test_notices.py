"""kit.viz.notices: the side inputs and warnings of an analysis as HTML, in the report page and the
notebook views (issue 14 §9)."""

from __future__ import annotations

import dataclasses

import pytest

import kit
from kit.errors import LoadWarning
from kit.sample import bundled_tests
from kit.viz.html import write_report
from kit.viz.notices import inputs_html, notices_html, warnings_html

SIDE = bundled_tests()["smb-2x10g-jumbo-55gb"]


@pytest.fixture(scope="module")
def unused_sides() -> kit.Analysis:
    """A Windows ping log read without its UTC offset, and events pointed at a folder with no export."""
    return kit.analyze(kit.load(SIDE, progress=False), pings=kit.read_pings(SIDE / "pings" / "ping-windows.txt"),
                       events=kit.read_events(SIDE), topology=kit.read_topology(SIDE / "topology"))


def test_no_side_input_and_no_warning():
    assert inputs_html([]) == ""
    assert warnings_html(()) == '<div class="kit-warnings"><b>Warnings</b>: none</div>'


def test_side_inputs_say_what_was_used_and_why_not(unused_sides):
    html = inputs_html(unused_sides.inputs)
    assert "<b>events</b>: 0 event(s) read, <span style=\"color:#b00\">not used</span>: no event export found" in html
    assert "<b>topology</b>: 9 export file(s) read, used" in html
    assert "<b>pings</b>: 51 probe(s) read, <span style=\"color:#b00\">not used</span>: its probes" in html


def test_warnings_are_grouped_counted_and_escaped(unused_sides):
    html = notices_html(unused_sides)
    assert html.startswith('<div class="kit-notices">') and '<details class="kit-warnings" open>' in html
    assert "7 in 4 group(s): blank-first-row ×2, partly-blank ×2, not-events ×2, timezone-unknown ×1" in html
    assert '<details class="kit-warnings"><summary>' in notices_html(unused_sides, folded=True)
    assert html.count("<tr>") == 1 + 4
    assert "<td" in html and ">timezone-unknown<" in html and ">not-events<" in html and ">2<" in html
    hostile = LoadWarning("a<b>.csv", "bad-value", "<script>alert(1)</script>" + "x" * 500, line=4)
    capture = dataclasses.replace(unused_sides.capture, warnings=(hostile,))
    html = notices_html(dataclasses.replace(unused_sides, capture=capture, inputs=()))
    assert "<script>" not in html and "&lt;script&gt;" in html and "a&lt;b&gt;.csv:4" in html
    assert "x" * 200 not in html and "…" in html


def test_the_report_page_shows_the_inputs_and_the_warnings(unused_sides, tmp_path):
    write_report(unused_sides, tmp_path, formats=())
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    notices = page[page.index("<h2>Inputs and warnings</h2>"):page.index("<h2>Charts</h2>")]
    assert notices.count("not used") == 2 and ">timezone-unknown<" in notices and ">blank-first-row<" in notices
