"""The table reader (kit/io/perfmon/table.py) on its own: the fast and the exact path give the same
rows, and every line it skips or cell it blanks is named with its line."""

from __future__ import annotations

import pytest

from kit.io.common import LINE
from kit.io.perfmon.source import open_source
from kit.io.perfmon.table import read_body

HEADER = '"(PDH-CSV 4.0) (UTC)(0)","\\\\H\\M\\A","\\\\H\\M\\B"'


def read(tmp_path, body: list[str], **options):
    path = tmp_path / "log.csv"
    path.write_text("\r\n".join([HEADER, *body]) + "\r\n", encoding="utf-8")
    return read_body(open_source(path), 3, separator=",", **options)


def test_clean_rows_take_the_fast_path(tmp_path):
    frame, warnings = read(tmp_path, ['"01/02/2026 10:00:00.000","1","2.5"', '"01/02/2026 10:00:01.000"," ","1e-005"'])
    assert warnings == []
    assert sorted(frame.columns) == sorted(["c0", "c1", "c2", LINE])
    assert frame["c1"].to_list() == [1.0, None] and frame["c2"].to_list() == [2.5, 1e-5]
    assert frame[LINE].to_list() == [2, 3]


def test_bad_lines_and_cells_are_named(tmp_path):
    frame, warnings = read(tmp_path, [
        '"01/02/2026 10:00:00.000","1","2"',
        '',
        '"01/02/2026 10:00:01.000","3"',
        '"01/02/2026 10:00:02.000","x","4"',
        '"01/02/2026 10:00:03.000","1.#QNAN","5"',
    ])
    assert frame[LINE].to_list() == [2, 5, 6]
    assert frame["c1"].to_list() == [1.0, None, None] and frame["c2"].to_list() == [2.0, 4.0, 5.0]
    by_code = {w.code: w for w in warnings}
    assert set(by_code) == {"field-count", "blank-line", "bad-value"}
    assert by_code["field-count"].skipped_lines == (4,)
    assert by_code["blank-line"].skipped_lines == (3,)
    assert by_code["bad-value"].line == 5 and "2 cells" in by_code["bad-value"].message  # 'x' and '1.#QNAN'


def test_msvc_non_finite_values_on_the_fast_path_are_nulled_and_named(tmp_path):
    frame, warnings = read(tmp_path, ['"01/02/2026 10:00:00.000","1","2"', '"01/02/2026 10:00:01.000","1.#QNAN","3"'])
    assert frame["c1"].to_list() == [1.0, None]
    assert [w.code for w in warnings] == ["non-finite"]


def test_only_the_asked_columns_are_read(tmp_path):
    frame, _ = read(tmp_path, ['"01/02/2026 10:00:00.000","1","2"'], fields=[2])
    assert sorted(frame.columns) == sorted(["c0", "c2", LINE]) and frame["c2"].to_list() == [2.0]


@pytest.mark.parametrize("numeric", [True, False])
def test_text_mode_keeps_cells_as_written(tmp_path, numeric):
    frame, _ = read(tmp_path, ['"01/02/2026 10:00:00.000","1,5","2"'], numeric=numeric, decimal_comma=True)
    assert frame["c1"].to_list() == ([1.5] if numeric else ["1,5"])
