"""Shared last steps of every reader: catalogue, UTC times, sorting, quality checks, metadata."""

from __future__ import annotations

import polars as pl

from kit.capture import CATALOG_SCHEMA, Capture, SourceInfo
from kit.errors import LoadWarning
from kit.io.table import LINE
from kit.io.times import median_interval_s, to_utc
from kit.names import with_english
from kit.paths import parse_counter_path
from kit.quality import check_source


def unique_names(paths: list[str], source: str, first_column: int = 2) -> tuple[list[str], list[LoadWarning]]:
    """Column names for ``paths``: the path itself, with `` [duplicate N]`` on repeats (reported)."""
    seen: dict[str, int] = {}
    names, warnings = [], []
    for position, path in enumerate(paths):
        count = seen.get(path, 0) + 1
        seen[path] = count
        if count == 1:
            names.append(path)
            continue
        names.append(f"{path} [duplicate {count}]")
        warnings.append(
            LoadWarning(
                source, "duplicate-column",
                f"header repeats {path!r}; kept as {names[-1]!r}", line=None,
                column=position + first_column,
            )
        )
    return names, warnings


def catalog(columns: list[str], paths: list[str], source: str) -> pl.DataFrame:
    """The catalogue rows of ``columns`` (data column names) holding counter ``paths``."""
    rows = []
    for column, path in zip(columns, paths):
        parsed = parse_counter_path(path)
        if parsed is None:
            rows.append({"column": column, "path": path, "source": source})
            continue
        rows.append(
            {
                "column": column,
                "host": parsed.host,
                "object": parsed.object,
                "parent": parsed.parent,
                "instance": parsed.instance,
                "index": parsed.index,
                "counter": parsed.counter,
                "path": path,
                "source": source,
            }
        )
    return with_english(pl.DataFrame(rows, schema=CATALOG_SCHEMA))


def finish(
    values: pl.DataFrame,
    cat: pl.DataFrame,
    *,
    source: str,
    bias_minutes: int,
    correct_dst: bool,
    warnings: list[LoadWarning],
    info: dict,
) -> Capture:
    """Build the one-source capture from ``values`` (``local`` + :data:`LINE` + counter columns).

    Rows whose timestamp could not be read are reported and left out (they cannot be placed in
    time); rows are sorted by UTC time; the quality checks run here, once per source.
    """
    unreadable = values.filter(pl.col("local").is_null())
    if unreadable.height:
        lines = unreadable[LINE].to_list()
        warnings.append(
            LoadWarning(
                source, "bad-timestamp",
                f"{len(lines)} row(s) with an unreadable timestamp skipped (lines "
                f"{', '.join(map(str, lines[:5]))}{' …' if len(lines) > 5 else ''})",
                line=lines[0], column=1,
            )
        )
        values = values.filter(pl.col("local").is_not_null())
    utc, time_warnings = to_utc(values, bias_minutes=bias_minutes, source=source, correct_dst=correct_dst)
    warnings.extend(time_warnings)
    frame = values.with_columns(utc).drop("local")
    if any(w.code == "clock-step-back" for w in time_warnings):
        frame = frame.sort("time", maintain_order=True)
    frame = frame.select("time", LINE, *cat["column"])
    interval = median_interval_s(frame["time"])
    warnings.extend(check_source(frame, cat, source=source, interval_s=interval))
    data = frame.drop(LINE)
    hosts = tuple(cat["host"].drop_nulls().unique(maintain_order=True).to_list())
    meta = SourceInfo(
        path=source,
        bias_minutes=bias_minutes,
        interval_s=interval,
        rows=data.height,
        columns=cat.height,
        hosts=hosts,
        start=data["time"].min() if data.height else None,
        end=data["time"].max() if data.height else None,
        **info,
    )
    return Capture(data=data, catalog=cat, sources=(meta,), warnings=tuple(warnings))
