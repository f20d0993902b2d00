"""Shared last steps of every reader: catalogue, UTC times, sorting, quality checks, metadata."""

from __future__ import annotations

from dataclasses import replace
from datetime import timezone

import polars as pl

from kit.errors import LoadWarning
from kit.inputs.capture import CATALOG_SCHEMA, Capture, SourceInfo
from kit.inputs.timebase import median_interval_s
from kit.io.common import EARLIEST, LATEST, LINE, line_list, quote
from kit.io.perfmon.names import with_english
from kit.io.perfmon.paths import counter_filter, parse_counter_path
from kit.io.perfmon.quality import check_source
from kit.io.perfmon.times import to_utc

RESERVED = frozenset({"time", "local", LINE, "__k"})
"""Column names the loaders use themselves; a header cell with one of them is renamed."""


def unique_names(
    paths: list[str], source: str, positions: list[int | None]
) -> tuple[list[str], list[LoadWarning]]:
    """Column names for ``paths`` (at header field ``positions``, None for rows of the long CSV):
    the path itself, with `` [duplicate N]`` on repeats and `` [column N]`` on names the kit
    reserves (N: the header field, or 2, 3… in the long CSV); both reported."""
    taken = set(RESERVED)
    names, warnings = [], []
    for path, column in zip(paths, positions):
        if path not in taken:
            names.append(path)
            taken.add(path)
            continue
        repeat = path not in RESERVED
        count = 2 if repeat or column is None else column
        while (name := f"{path} [{'duplicate' if repeat else 'column'} {count}]") in taken:
            count += 1
        names.append(name)
        taken.add(name)
        warnings.append(
            LoadWarning(
                source, "duplicate-column" if repeat else "reserved-name",
                f"header {'repeats' if repeat else 'uses the reserved name'} {quote(path)}; kept as {quote(name, 200)}",
                column=column,
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


def not_selected(source: str, counters: tuple[str, ...], left_out: int, total: int) -> LoadWarning:
    """The warning that ``left_out`` of a file's ``total`` counter columns were not asked for."""
    return LoadWarning(
        source, "not-selected",
        f"{left_out:,} of {total:,} counter columns left out: they match none of counters={list(counters)}",
    )


def keep_selected(capture: Capture, counters: tuple[str, ...]) -> Capture:
    """One file's ``capture`` cut to the counters matching ``counters`` (a no-op on data that is
    cut already, e.g. a projected cache read), with the :func:`not_selected` warning."""
    total = capture.sources[0].columns
    cat = capture.catalog.filter(counter_filter(counters))
    extra = (not_selected(capture.sources[0].path, counters, total - cat.height, total),) if cat.height < total else ()
    return replace(
        capture,
        data=capture.data.select("time", *cat["column"]),
        catalog=cat,
        sources=(replace(capture.sources[0], columns=cat.height),),
        warnings=capture.warnings + extra,
    )


def finish(
    values: pl.DataFrame,
    cat: pl.DataFrame,
    *,
    source: str,
    bias_minutes: int,
    correct_dst: bool,
    warnings: list[LoadWarning],
    info: dict,
    samples: int | None = None,
    keep_lines: bool = False,
) -> Capture:
    """Build the one-source capture from ``values`` (``local`` + :data:`LINE` + counter columns).

    ``samples`` is the number of data lines that went into ``values`` when that is not one per
    row (the long PowerShell CSV has one per counter and time).

    Rows whose timestamp could not be read are reported and left out (they cannot be placed in
    time); rows are sorted by UTC time; the quality checks run here, once per source.
    ``keep_lines``: keep :data:`LINE` after ``time`` in the data (for a caller that joins runs).
    """
    if values["local"].null_count():  # filtering copies every column: only when needed
        warnings += bad_timestamps(values.filter(pl.col("local").is_null()), source)
        values = values.filter(pl.col("local").is_not_null())
    zone = info.get("zone_name") if info.get("bias_basis") == "header" else None  # a user's offset has no DST rules
    utc, time_warnings = to_utc(values, bias_minutes=bias_minutes, source=source, correct_dst=correct_dst, zone_name=zone)
    warnings.extend(time_warnings)
    # replace_column and getitem, not with_columns/select/drop: see kit.io.table._fast
    frame = values.clone().replace_column(values.get_column_index("local"), utc)
    in_range = frame["time"].is_between(EARLIEST.replace(tzinfo=timezone.utc), LATEST.replace(tzinfo=timezone.utc))
    if not in_range.all():
        warnings += bad_timestamps(
            frame.filter(~in_range), source, f"outside {EARLIEST:%Y}–{LATEST:%Y} once converted to UTC"
        )
        frame = frame.filter(in_range)
    if any(w.code == "clock-step-back" for w in time_warnings):
        frame = frame.sort("time", maintain_order=True)
    frame = frame[["time", LINE, *cat["column"]]]
    if frame["time"].is_duplicated().any():
        frame, repeats = repeated_samples(frame, source)
        warnings += repeats
    interval = median_interval_s(frame["time"])
    warnings.extend(check_source(frame, cat, source=source, interval_s=interval))
    data = frame[["time", *([LINE] if keep_lines else []), *cat["column"]]]
    hosts = tuple(cat["host"].drop_nulls().unique(maintain_order=True).to_list())
    meta = SourceInfo(
        path=source,
        bias_minutes=bias_minutes,
        interval_s=interval,
        rows=data.height,
        samples=data.height if samples is None else samples,
        columns=cat.height,
        hosts=hosts,
        start=data["time"].min() if data.height else None,
        end=data["time"].max() if data.height else None,
        **info,
    )
    return Capture(data=data, catalog=cat, sources=(meta,), warnings=tuple(warnings))


def repeated_samples(frame: pl.DataFrame, source: str) -> tuple[pl.DataFrame, list[LoadWarning]]:
    """``frame`` (``time``, :data:`LINE`, counters; sorted by time) without rows that repeat an
    earlier row's time and every value (a log appended to itself, a run collected twice), and the
    warnings: those rows, skipped; rows that share a time but not their values, kept."""
    repeat = ~frame.select(pl.struct(pl.exclude(LINE)).is_first_distinct()).to_series()
    warnings = []
    if repeat.any():
        lines = frame[LINE].filter(repeat).to_list()
        warnings.append(LoadWarning(
            source, "repeated-samples",
            f"{len(lines)} row(s) repeat an earlier row's time and every value (the log holds the same samples "
            f"twice: appended to itself, or one run collected twice) and were skipped ({line_list(lines)})",
            line=lines[0], skipped_lines=tuple(lines),
        ))
        frame = frame.filter(~repeat)
    shared = frame["time"].is_duplicated()
    if shared.any():
        lines = frame[LINE].filter(shared).to_list()
        warnings.append(LoadWarning(
            source, "duplicate-time",
            f"{len(lines)} rows share a timestamp with another row but not its values (kept, in file order: "
            f"{line_list(lines)})", line=lines[0],
        ))
    return frame, warnings


def bad_timestamps(
    rows: pl.DataFrame,
    source: str,
    why: str = f"unreadable or outside {EARLIEST:%Y}–{LATEST:%Y}",
    *,
    column: int = 1,
) -> list[LoadWarning]:
    """The warning for ``rows`` (with :data:`LINE`) skipped for their timestamp (in field
    ``column``), if any."""
    if rows.height == 0:
        return []
    lines = rows[LINE].to_list()
    return [
        LoadWarning(
            source, "bad-timestamp",
            f"{len(lines)} row(s) with a timestamp {why} skipped ({line_list(lines)})",
            line=lines[0], column=column, skipped_lines=tuple(lines),
        )
    ]
