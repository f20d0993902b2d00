"""The long CSV of ``(Get-Counter …).CounterSamples | Export-Csv``: one row per sample and counter.

Columns (any order, any case): ``Path``, ``CookedValue``, ``Timestamp`` are required;
``Status`` (0 = valid) is used when present; the rest are ignored. Windows PowerShell 5.1 writes a
``#TYPE …`` first line and ASCII; PowerShell 7 writes UTF-8 and no ``#TYPE`` line. Values and
timestamps are written with the *culture* of the session, so ``12,5`` decimal commas, ``;``
delimiters (``-UseCulture``) and day-first dates all occur; the timestamp is local time with no
zone. The rows are pivoted to the kit's wide form.
"""

from __future__ import annotations

import polars as pl

from kit.errors import DataError, HeaderError, LoadWarning
from kit.inputs.capture import Capture
from kit.io.common import CULTURE_FORMATS, LINE, line_list, parse_local, split_fields
from kit.io.perfmon.assemble import bad_timestamps, catalog, finish, unique_names
from kit.io.perfmon.paths import parse_counter_path
from kit.io.perfmon.source import ReadOptions, TextSource
from kit.io.perfmon.table import read_body

REQUIRED = ("path", "cookedvalue", "timestamp")
USED = (*REQUIRED, "status")
def _fields(header: str) -> tuple[str, list[str]]:
    """(separator, lower-cased header names); the separator is the one that splits most."""
    best = max((",", ";", "\t"), key=lambda sep: len(split_fields(header, sep)))
    return best, [f.strip().lower() for f in split_fields(header, best)]


def is_powershell(header: str) -> bool:
    """True when the header has the Path, CookedValue and Timestamp columns of CounterSamples."""
    _, names = _fields(header)
    return all(name in names for name in REQUIRED)


def read_powershell(
    source: TextSource,
    options: ReadOptions,
) -> Capture:
    """Read a CounterSamples Export-Csv file and pivot it wide (one column per counter path).

    The file has no zone: ``options.bias_minutes`` (UTC = local + bias) applies whenever given,
    so ``options.override_zone`` changes nothing here.
    """
    name = str(source.path)
    separator, names = _fields(source.header)
    missing = [r for r in REQUIRED if r not in names]
    if missing:
        raise HeaderError(
            f"Export-Csv file lacks column(s) {missing}", path=source.path, line=source.header_line,
            hint="export with (Get-Counter …).CounterSamples | Export-Csv f.csv and keep every column",
        )
    table, warnings = read_body(source, len(names), separator=separator, numeric=False)
    warnings = list(source.warnings) + warnings
    column = {n: f"c{i}" for i, n in reversed(list(enumerate(names)))}  # first of repeated names
    ignored = tuple(i + 1 for i, n in enumerate(names) if n not in USED or column[n] != f"c{i}")
    if ignored:
        warnings.append(
            LoadWarning(
                name, "ignored-columns",
                f"{len(ignored)} column(s) not used (only the first Path, CookedValue, Timestamp "
                f"and Status are): {', '.join(names[i - 1] for i in ignored[:8])}"
                + (" …" if len(ignored) > 8 else ""),
                line=source.header_line, column=ignored[0], skipped_columns=ignored,
            )
        )
    raw = table.select(
        LINE,
        path=pl.col(column["path"]).str.strip_chars().replace("", None),
        text=pl.col(column["timestamp"]),
        value_text=pl.col(column["cookedvalue"]).str.strip_chars().replace("", None),
        status=pl.col(column["status"]).str.strip_chars() if "status" in column else pl.lit("0"),
    )
    no_path = raw.filter(pl.col("path").is_null())[LINE].to_list()
    if no_path:
        warnings.append(
            LoadWarning(
                name, "missing-path",
                f"{len(no_path)} row(s) with an empty Path skipped ({line_list(no_path)})",
                line=no_path[0], column=names.index("path") + 1, skipped_lines=tuple(no_path),
            )
        )
        raw = raw.filter(pl.col("path").is_not_null())
    values = raw["value_text"]
    decimal_comma = options.decimal_comma
    if decimal_comma is None:
        decimal_comma = separator != "," or _has_decimal_commas(values)
    if decimal_comma:
        values = values.str.replace(",", ".", literal=True)
    number = values.cast(pl.Float64, strict=False)
    failed = raw.filter(number.is_null() & raw["value_text"].is_not_null())
    if failed.height:
        warnings.append(
            LoadWarning(
                name, "bad-value",
                f"{failed.height} CookedValue cell(s) are not numbers, set to null; first "
                f"{failed['value_text'][0]!r}",
                line=int(failed[LINE][0]), column=names.index("cookedvalue") + 1,
            )
        )
    invalid = raw["status"].is_not_null() & (raw["status"] != "0")
    if invalid.any():
        warnings.append(
            LoadWarning(
                name, "status-not-ok",
                f"{int(invalid.sum())} sample(s) have a non-zero PDH Status and were set to null",
                line=int(raw.filter(invalid)[LINE][0]),
            )
        )
    local, fmt = parse_local(raw["text"], CULTURE_FORMATS)
    long = raw.select(LINE, "path").with_columns(
        local, value=pl.when(invalid).then(None).otherwise(number)
    )
    warnings += bad_timestamps(
        long.filter(pl.col("local").is_null()), name, column=names.index("timestamp") + 1
    )
    long = long.filter(pl.col("local").is_not_null())
    repeated = long.filter(~pl.struct("local", "path").is_first_distinct())[LINE].to_list()
    if repeated:
        warnings.append(
            LoadWarning(
                name, "long-format-duplicates",
                f"{len(repeated)} row(s) repeat the (Timestamp, Path) of an earlier row and were "
                f"skipped ({line_list(repeated)})",
                line=repeated[0], skipped_lines=tuple(repeated),
            )
        )
        long = long.filter(pl.struct("local", "path").is_first_distinct())
    paths = long["path"].unique(maintain_order=True).to_list()
    if not paths:
        skipped = [w for w in warnings if w.skipped_lines]
        raise DataError(
            "the file holds no readable counter samples"
            + (f"; {skipped[0].message}" if skipped else " (no data rows)"),
            path=source.path, line=skipped[0].line if skipped else source.header_line,
            hint="export samples with (Get-Counter …).CounterSamples | Export-Csv f.csv",
        )
    columns, dup_warnings = unique_names(paths, name, [None] * len(paths))
    warnings.extend(dup_warnings)
    warnings += [
        LoadWarning(name, "not-a-counter-path", f"Path {path!r} is not a counter path; kept with no object")
        for path in paths
        if parse_counter_path(path) is None
    ]
    ids = [f"c{i}" for i in range(len(paths))]
    wide = (
        long.with_columns(pl.col("path").replace_strict(paths, ids))
        .pivot(on="path", index="local", values="value", aggregate_function="first", sort_columns=False)
        .join(long.group_by("local").agg(pl.col(LINE).min()), on="local", how="left")
        .sort(LINE)
    )
    wide = wide.select("local", LINE, *[pl.col(i).alias(c) for i, c in zip(ids, columns)])
    bias_minutes = options.bias_minutes
    if bias_minutes is None:
        warnings.append(
            LoadWarning(
                name, "timezone-unknown",
                f"Export-Csv timestamps are local time with no zone (read as {fmt!r}): taken as "
                "UTC; pass utc_offset= with the collecting host's offset",
            )
        )
    return finish(
        wide,
        catalog(columns, paths, name),
        source=name,
        bias_minutes=bias_minutes or 0,
        correct_dst=options.correct_dst,
        warnings=warnings,
        samples=long.height,
        info={
            "format": "powershell-csv",
            "encoding": source.codec,
            "encoding_basis": source.encoding_basis,
            "zone_name": None,
            "bias_basis": "user" if bias_minutes is not None else "assumed-utc",
            "separator": separator,
            "header_fields": len(names),
        },
    )


def _has_decimal_commas(values: pl.Series) -> bool:
    """True when values look like ``12,5`` (a comma and no dot) rather than plain numbers."""
    sample = values.drop_nulls()
    return bool(sample.len()) and bool(
        (sample.str.contains(",", literal=True) & ~sample.str.contains(".", literal=True)).any()
    )
