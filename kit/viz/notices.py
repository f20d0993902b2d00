"""What an analysis rests on, as HTML for the report page and the notebook views: the side inputs
given (read, used, or why not) and the warnings of the capture and the side inputs, grouped by
input and code (count and first message). Plain HTML with inline styles, so it shows the same in
``report.html`` and in a notebook's ``ipywidgets.HTML``.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from kit.analysis.results import READ_UNITS, SIDE_INPUTS, Analysis, SideInput, WarningGroup

CELL = "padding:2px 8px;border-bottom:1px solid #e5e5e5;text-align:left;vertical-align:top;white-space:normal"
"""Style of the warnings table's cells."""


def notices_html(analysis: Analysis, *, folded: bool = False) -> str:
    """The side inputs given and the warnings of ``analysis``, in one block (class ``kit-notices``);
    ``folded``: the warnings table closed under its one-line summary."""
    inputs = [analysis.input(kind) for kind in SIDE_INPUTS]
    warnings = warnings_html(analysis.warning_groups(), folded=folded)
    return f'<div class="kit-notices">{inputs_html(inputs)}{warnings}</div>'


def inputs_html(inputs: Sequence[SideInput]) -> str:
    """One line per side input given: how much was read, used or why not (empty when none given)."""
    given = [s for s in inputs if s.given]
    if not given:
        return ""
    items = "".join(
        f"<li><b>{escape(s.kind)}</b>: {s.read} {READ_UNITS.get(s.kind, 'item(s)')} read, "
        + ("used" if s.used else f'<span style="color:#b00">not used</span>: {escape(s.note or "")}') + "</li>"
        for s in given
    )
    return f'<div class="kit-inputs"><b>Side inputs</b><ul style="margin:2px 0">{items}</ul></div>'


def warnings_html(groups: Sequence[WarningGroup], *, folded: bool = False) -> str:
    """The warnings: a one-line summary (count and codes) over a table of input, code, count, where
    the first one is and its message; ``folded``: the table closed under the summary."""
    if not groups:
        return '<div class="kit-warnings"><b>Warnings</b>: none</div>'
    total = sum(g.count for g in groups)
    codes = ", ".join(f"{g.code} ×{g.count}" for g in groups)
    summary = f"<b>Warnings</b>: {total} in {len(groups)} group(s): {escape(codes)}"
    head = "".join(f'<th style="{CELL}">{title}</th>' for title in ("Input", "Code", "Count", "First at", "First message"))
    rows = "".join(
        "<tr>" + "".join(
            f'<td style="{CELL}">{escape(str(value))}</td>' for value in (g.input, g.code, g.count, g.where, g.message)
        ) + "</tr>"
        for g in groups
    )
    table = (
        '<table style="border-collapse:collapse;font-size:0.85em">'
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    )
    return f'<details class="kit-warnings"{"" if folded else " open"}><summary>{summary}</summary>{table}</details>'
