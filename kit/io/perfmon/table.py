"""Parse the data rows of a delimited log into columns, accounting for every line.

Two paths give the same result:

* the fast path hands the file to ``polars.read_csv`` with a full schema (first column text, value
  columns Float64, blanks ``" "`` as null). The last column is read as text so that a row with
  missing fields (which polars would pad with nulls) shows up as a null there;
* the exact path, taken only when the fast path finds something odd, splits the body into lines,
  counts each line's fields outside quotes, reports and skips blank lines and lines with the wrong
  number of fields, then parses the rest as text and converts values cell by cell, reporting each
  value that is not a number. Both are vectorised in polars.

Columns are named ``c0`` … ``cN`` here; the format readers name them.
"""

from __future__ import annotations

import io
import math

import polars as pl

from kit.errors import DataError, LoadWarning
from kit.io.common import LINE, line_list, quote
from kit.io.perfmon.source import TextSource, decode_lossy

_MSVC_NONFINITE = r"^\s*[+-]?\d*\.?\d*#(?:QNAN|SNAN|IND|INF)\w*\s*$"
_MAX_LISTED = 5
_SEPARATORS = {",": ",", ";": ";", "\t": r"\t"}
"""Field separators the loaders know, and their form in a regex."""
_QUOTED = r'"(?:[^"]|"")*"'


def read_body(
    source: TextSource,
    width: int,
    *,
    separator: str,
    text_columns: int = 1,
    numeric: bool = True,
    decimal_comma: bool = False,
    fields: list[int] | None = None,
) -> tuple[pl.DataFrame, list[LoadWarning]]:
    """Read the data rows of ``source`` into ``width`` columns ``c0``…, plus :data:`LINE`.

    The first ``text_columns`` columns stay text; the others become Float64 when ``numeric``
    (blank ``" "`` and empty cells are null). ``fields``: read only these value columns (0-based
    field numbers; the text columns always come too), so a few counters of a wide file cost a
    fraction of the whole. Returns the frame and the warnings for every line or cell that was
    skipped or blanked.
    """
    names = [f"c{i}" for i in range(width)]
    wanted = names if fields is None else names[:text_columns] + [names[i] for i in fields if i >= text_columns]
    if numeric:
        try:
            frame = _fast(source, names, wanted, separator, text_columns, decimal_comma)
        except (pl.exceptions.PolarsError, pl.exceptions.PanicException):
            frame = None  # polars 2.1 panics on some cut-off quoted fields; the exact path copes
        if frame is not None:
            return _finite(frame, source, wanted[text_columns:])
    frame, warnings = _exact(source, names, separator)
    frame = frame.select(*wanted, LINE)
    if not numeric:
        return frame, warnings
    frame, cell_warnings = _to_numbers(frame, source, wanted[text_columns:], decimal_comma)
    frame, finite_warnings = _finite(frame, source, wanted[text_columns:])
    return frame, warnings + cell_warnings + finite_warnings


def _fast(
    source: TextSource,
    names: list[str],
    wanted: list[str],
    separator: str,
    text_columns: int,
    decimal_comma: bool,
) -> pl.DataFrame | None:
    """Typed polars parse of the ``wanted`` columns (and the last, to spot short rows);
    ``None`` when a row is short, spans lines or its last column holds a non-number, or the file
    ends inside a quoted field (the exact path then finds out which lines are at fault)."""
    if source.last_line().count(b'"') % 2:
        return None
    last = names[-1]
    schema = {name: pl.Float64 for name in names}
    schema.update({name: pl.String for name in names[:text_columns]})
    schema[last] = pl.String
    projection = sorted({int(name[1:]) for name in wanted} | {len(names) - 1})
    frame = pl.read_csv(
        source.data,
        has_header=False,
        skip_lines=source.header_line,
        separator=separator,
        schema=schema,
        columns=projection if len(projection) < len(names) else None,
        null_values={name: " " for name in names[:-1]},
        decimal_comma=decimal_comma,
        raise_if_empty=False,
        encoding="utf8",
    )
    # A wide parse comes in many chunks per column, and a frame-wide select or with_columns walks
    # every chunk of every column (seconds for thousands of counters): work on single columns and
    # assemble with getitem, replace_column and insert_column, which do not.
    first, tail = frame[names[0]], frame[last]
    # A quoted field holding a line break (only text columns can) would shift the line numbers.
    if tail.null_count() or first.str.contains("\n").any() or tail.str.contains("\n").any():
        return None
    if len(names) > text_columns:
        tail = tail.str.strip_chars()
        if decimal_comma:
            tail = tail.str.replace(",", ".", literal=True)
        value = tail.replace("", None).cast(pl.Float64, strict=False)
        if (value.is_null() & (tail != "")).any():
            return None
        frame.replace_column(len(frame.columns) - 1, value)
    start = source.header_line + 1
    lines = pl.int_range(start, start + frame.height, dtype=pl.Int64, eager=True).alias(LINE)
    return frame[wanted].insert_column(0, lines)


def _exact(
    source: TextSource, names: list[str], separator: str
) -> tuple[pl.DataFrame, list[LoadWarning]]:
    """Line-accounted text parse; every skipped line becomes a warning.

    A line is read when it splits (CSV quoting rules, ``""`` escapes) into exactly as many fields
    as the header; otherwise it is blank, cut off (the last line), in another delimiter, has
    stray quotes or the wrong number of fields, and is reported as such.
    """
    text, warnings = decode_lossy(source.read_all(), source.data_codec, source.path)
    width = len(names)
    lines = pl.DataFrame({"text": text.split("\n")}).with_row_index(LINE, offset=1)
    lines = lines.with_columns(pl.col(LINE).cast(pl.Int64), pl.col("text").str.strip_suffix("\r"))
    lines = lines.filter(pl.col(LINE) > source.header_line)
    # A file that ends with a newline has one empty "line" after it: not a line of data.
    if lines.height and lines["text"][-1] == "":
        lines = lines.head(-1)
    last_line = lines[LINE].max() if lines.height else 0
    well_formed = pl.col("text").str.contains(_grammar(separator))
    fields = _field_count(separator)
    lines = lines.with_columns(
        blank=pl.col("text").str.strip_chars().str.len_chars() == 0, read=well_formed & (fields == width)
    )
    other_separator = pl.any_horizontal(
        pl.col("text").str.contains(_grammar(alt)) & (_field_count(alt) == width)
        for alt in _SEPARATORS
        if alt != separator
    )
    reason = (  # worked out only for the few lines that are neither blank nor read
        pl.when(other_separator).then(pl.lit("separator"))
        .when((pl.col(LINE) == last_line) & (~well_formed | (fields < width))).then(pl.lit("cut"))
        .when(~well_formed).then(pl.lit("quotes"))
        .when(fields > width).then(pl.lit("many"))
        .otherwise(pl.lit("few"))
    )
    odd = pl.concat(
        [
            lines.filter("blank").with_columns(reason=pl.lit("blank")),
            lines.filter(~pl.col("blank") & ~pl.col("read")).with_columns(reason=reason),
        ]
    ).sort(LINE)
    shown = {",": "','", ";": "';'", "\t": "TAB"}[separator]
    for key, code, what in (
        ("blank", "blank-line", "blank line skipped"),
        ("cut", "truncated-line",
         f"last line has fewer than the header's {width} fields (file cut off while being "
         "written?): skipped"),
        ("separator", "mixed-delimiter",
         f"fields separated by another character than the header's {shown} (pieces of "
         "differently saved files pasted together?): skipped; re-export the file in one format"),
        ("quotes", "malformed-line",
         'unbalanced or stray quote (") characters, so the fields cannot be told apart: skipped'),
        ("many", "field-count", f"too many fields for the header's {width} columns: row skipped"),
        ("few", "field-count", f"too few fields for the header's {width} columns: row skipped"),
    ):
        warnings += _report_lines(odd.filter(pl.col("reason") == key), source, code, what)
    good = lines.filter(pl.col("read") & ~pl.col("blank"))
    frame = pl.read_csv(
        io.StringIO(good.select(pl.col("text").str.join("\n")).item() if good.height else ""),
        has_header=False,
        separator=separator,
        schema={name: pl.String for name in names},
        raise_if_empty=False,
    )
    if frame.height != good.height:
        raise DataError(
            f"{good.height} well-formed data lines parsed into {frame.height} rows",
            path=source.path, line=int(good[LINE][0]),
            hint="the kit cannot split this file's rows consistently; please report it",
        )
    return frame.with_columns(good[LINE]), warnings


def _grammar(separator: str) -> str:
    """Regex of one well-formed CSV line: fields quoted (``""`` escapes) or free of quotes."""
    sep = _SEPARATORS[separator]
    field = rf'(?:{_QUOTED}|[^"{sep}]*)'
    return rf"^{field}(?:{sep}{field})*$"


def _field_count(separator: str) -> pl.Expr:
    """Fields of each well-formed line of ``text``: separators outside quoted fields + 1."""
    return pl.col("text").str.replace_all(_QUOTED, '""').str.count_matches(_SEPARATORS[separator]) + 1


def _to_numbers(
    frame: pl.DataFrame, source: TextSource, value_names: list[str], decimal_comma: bool
) -> tuple[pl.DataFrame, list[LoadWarning]]:
    """Text → Float64 for the value columns; a cell that is no number becomes null, reported."""
    if not value_names:
        return frame, []
    cleaned = {
        name: pl.col(name).str.strip_chars().replace("", None) for name in value_names
    }
    frame = frame.with_columns(**cleaned)
    if decimal_comma:
        frame = frame.with_columns(pl.col(value_names).str.replace(",", ".", literal=True))
    numbers = frame.with_columns(pl.col(value_names).cast(pl.Float64, strict=False))
    failed = frame.select(
        LINE, *[(pl.col(n).is_not_null() & numbers[n].is_null()).alias(n) for n in value_names]
    )
    counts = failed.select(pl.col(value_names).sum()).row(0)
    warnings = []
    for name, count in zip(value_names, counts):
        if not count:
            continue
        rows = frame.filter(failed[name])
        sample = rows[name][0]
        nonfinite = rows[name].str.contains(_MSVC_NONFINITE).all()
        code = "non-finite" if nonfinite else "bad-value"
        what = "non-finite values (MSVC #IND/#QNAN/#INF)" if nonfinite else "cells that are not numbers"
        warnings.append(
            LoadWarning(
                str(source.path), code,
                f"{count} {what} set to null, first {quote(sample)}"
                + (" (decimal comma? pass decimal_comma=True)" if "," in sample and not decimal_comma else ""),
                line=int(rows[LINE][0]), column=int(name[1:]) + 1,
            )
        )
    return numbers, warnings


def _finite(
    frame: pl.DataFrame, source: TextSource, value_names: list[str]
) -> tuple[pl.DataFrame, list[LoadWarning]]:
    """NaN and ±inf values become null, reported per column."""
    if not value_names or frame.height == 0:
        return frame, []
    # A column's sum is finite unless it holds a NaN or an infinity (or overflows): one cheap
    # reduction per column, and the count of non-finite values only where the sum is not finite.
    sums = frame.select(pl.col(value_names).sum()).row(0)
    suspects = [name for name, total in zip(value_names, sums) if not math.isfinite(total)]
    counts = frame.select((~pl.col(suspects).is_finite()).sum()).row(0) if suspects else ()
    bad = [(name, count) for name, count in zip(suspects, counts) if count]
    warnings = []
    for name, count in bad:
        first = frame.filter(~pl.col(name).is_finite())
        warnings.append(
            LoadWarning(
                str(source.path), "non-finite",
                f"{count} NaN/infinite values set to null, first {quote(first[name][0])}",
                line=int(first[LINE][0]), column=int(name[1:]) + 1,
            )
        )
    if bad:
        names = [name for name, _ in bad]
        frame = frame.with_columns(
            pl.when(pl.col(names).is_finite()).then(pl.col(names)).otherwise(None).name.keep()
        )
    return frame, warnings


def _report_lines(lines: pl.DataFrame, source: TextSource, code: str, what: str) -> list[LoadWarning]:
    """One warning for a group of skipped lines, listing the first few line numbers."""
    if lines.height == 0:
        return []
    numbers = lines[LINE].to_list()
    return [
        LoadWarning(
            str(source.path), code, f"{len(numbers)} line(s): {what} ({line_list(numbers)})",
            line=numbers[0], skipped_lines=tuple(numbers),
        )
    ]


