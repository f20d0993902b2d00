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
import re

import polars as pl

from kit.errors import DataError, LoadWarning
from kit.io.source import TextSource

LINE = "__line"
"""Name of the column holding each row's 1-based line number in the file."""

_MSVC_NONFINITE = r"^\s*[+-]?\d*\.?\d*#(?:QNAN|SNAN|IND|INF)\w*\s*$"
_MAX_LISTED = 5


def read_body(
    source: TextSource,
    width: int,
    *,
    separator: str,
    text_columns: int = 1,
    numeric: bool = True,
    decimal_comma: bool = False,
) -> tuple[pl.DataFrame, list[LoadWarning]]:
    """Read the data rows of ``source`` into ``width`` columns ``c0``…, plus :data:`LINE`.

    The first ``text_columns`` columns stay text; the others become Float64 when ``numeric``
    (blank ``" "`` and empty cells are null). Returns the frame and the warnings for every line
    or cell that was skipped or blanked.
    """
    names = [f"c{i}" for i in range(width)]
    if numeric:
        try:
            frame = _fast(source, names, separator, text_columns, decimal_comma)
        except pl.exceptions.PolarsError:
            frame = None
        if frame is not None:
            return _finite(frame, source, names[text_columns:])
    frame, warnings = _exact(source, names, separator)
    if not numeric:
        return frame, warnings
    frame, cell_warnings = _to_numbers(frame, source, names[text_columns:], decimal_comma)
    frame, finite_warnings = _finite(frame, source, names[text_columns:])
    return frame, warnings + cell_warnings + finite_warnings


def _fast(
    source: TextSource, names: list[str], separator: str, text_columns: int, decimal_comma: bool
) -> pl.DataFrame | None:
    """Typed polars parse; ``None`` when a row is short or the last column holds a non-number."""
    last = names[-1]
    schema = {name: pl.Float64 for name in names}
    schema.update({name: pl.String for name in names[:text_columns]})
    schema[last] = pl.String
    frame = pl.read_csv(
        source.body if source.body is not None else source.path,
        has_header=False,
        skip_lines=source.header_line,
        separator=separator,
        schema=schema,
        null_values={name: " " for name in names[:-1]},
        decimal_comma=decimal_comma,
        raise_if_empty=False,
        encoding="utf8",
    )
    if frame[last].null_count():
        return None
    tail = frame[last].str.strip_chars()
    if len(names) > text_columns:
        if decimal_comma:
            tail = tail.str.replace(",", ".", literal=True)
        value = tail.replace("", None).cast(pl.Float64, strict=False)
        if (value.is_null() & (tail != "")).any():
            return None
        frame = frame.with_columns(value.alias(last))
    first_line = source.header_line + 1
    return frame.with_row_index(LINE, offset=first_line).with_columns(pl.col(LINE).cast(pl.Int64))


def _exact(
    source: TextSource, names: list[str], separator: str
) -> tuple[pl.DataFrame, list[LoadWarning]]:
    """Line-accounted text parse; every skipped line becomes a warning."""
    raw = source.read_all()
    try:
        text = raw.decode(source.data_codec)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(
            f"bytes that are not valid {source.data_codec} in a data row", path=source.path,
            line=line, hint="pass encoding= with the file's code page",
        ) from None
    lines = pl.DataFrame({"text": text.split("\n")}).with_row_index(LINE, offset=1)
    lines = lines.with_columns(pl.col(LINE).cast(pl.Int64), pl.col("text").str.strip_suffix("\r"))
    lines = lines.filter(pl.col(LINE) > source.header_line)
    sep = re.escape(separator)
    fields = (
        pl.col("text").str.replace_all(r'"[^"]*"', '""').str.count_matches(sep) + 1
    ).alias("fields")
    lines = lines.with_columns(fields, blank=pl.col("text").str.strip_chars().str.len_chars() == 0)
    last_line = lines[LINE].max() if lines.height else 0
    # A file that ends with a newline has one empty "line" after it: not a line of data.
    lines = lines.filter(~(pl.col("blank") & (pl.col(LINE) == last_line) & (pl.col("text") == "")))
    warnings = _report_lines(lines.filter(pl.col("blank")), source, "blank-line", "blank line skipped")
    bad = lines.filter(~pl.col("blank") & (pl.col("fields") != len(names)))
    final = bad.filter(pl.col(LINE) == lines[LINE].max())
    if final.height and final["fields"][0] < len(names):
        warnings += _report_lines(
            final, source, "truncated-line",
            f"last line has fewer than the header's {len(names)} fields (file cut off while "
            "being written?): skipped",
        )
        bad = bad.filter(pl.col(LINE) != final[LINE][0])
    for kind, keep in (("too many", pl.col("fields") > len(names)), ("too few", pl.col("fields") < len(names))):
        warnings += _report_lines(
            bad.filter(keep), source, "field-count",
            f"{kind} fields for the header's {len(names)} columns: row skipped",
        )
    good = lines.filter(~pl.col("blank") & (pl.col("fields") == len(names)))
    if good.height == 0:
        return pl.DataFrame(schema={**{n: pl.String for n in names}, LINE: pl.Int64}), warnings
    frame = pl.read_csv(
        io.StringIO("\n".join(good["text"].to_list())),
        has_header=False,
        separator=separator,
        schema={name: pl.String for name in names},
        raise_if_empty=False,
    )
    return frame.with_columns(good[LINE]), warnings


def _to_numbers(
    frame: pl.DataFrame, source: TextSource, value_names: list[str], decimal_comma: bool
) -> tuple[pl.DataFrame, list[LoadWarning]]:
    """Text → Float64 for the value columns; a cell that is no number becomes null, reported."""
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
                f"{count} {what} set to null, first {sample!r}"
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
    counts = frame.select((~pl.col(value_names).is_finite()).sum()).row(0)
    bad = [(name, count) for name, count in zip(value_names, counts) if count]
    warnings = []
    for name, count in bad:
        first = frame.filter(~pl.col(name).is_finite())
        warnings.append(
            LoadWarning(
                str(source.path), "non-finite",
                f"{count} NaN/infinite values set to null, first {first[name][0]!r}",
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
    listed = ", ".join(map(str, numbers[:_MAX_LISTED])) + (" …" if len(numbers) > _MAX_LISTED else "")
    return [
        LoadWarning(
            str(source.path), code, f"{len(numbers)} line(s): {what} (lines {listed})",
            line=numbers[0],
        )
    ]
