"""Counter columns on their own log's sample times: intervals, gaps, windows and integrals.

A capture joins logs of several hosts on time, so a row may hold one log's sample and nulls for
the others. Analyses that integrate rates need each log's own sample times: :func:`log_frame`
returns them with the interval each sample's value covers. A perfmon rate at sample k is the
average over ``(t[k-1], t[k]]``; its amount is ``value × dt_s``.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from kit.capture import Capture
from kit.errors import OptionError

GAP_FACTOR = 1.5
"""An interval longer than this × the log's median interval is a gap (missed samples). [1]"""


def log_frame(capture: Capture, columns: list[str]) -> pl.DataFrame:
    """``columns`` on the sample times of the log they come from.

    Columns: ``time``, ``prev`` (previous sample time of that log), ``dt_s`` (interval the
    sample covers [s]), ``gap`` (the interval is over 1.5 × the median: samples are missing
    before this one), then ``columns``. All columns must come from one source log.
    """
    sources = capture.catalog.filter(pl.col("column").is_in(columns))["source"].unique()
    if sources.len() > 1:
        raise OptionError(f"columns from more than one log: {sources.to_list()}; pass one log's columns")
    data = capture.rows_of(sources[0]) if sources.len() else capture.data
    frame = data.select("time", *columns).with_columns(prev=pl.col("time").shift(1))
    dt = (pl.col("time") - pl.col("prev")).dt.total_microseconds() / 1e6
    frame = frame.with_columns(dt_s=dt)
    median = frame["dt_s"].median()
    gap = pl.col("dt_s") > GAP_FACTOR * median if median else pl.lit(False)
    return frame.with_columns(gap=gap.fill_null(False)).select("time", "prev", "dt_s", "gap", *columns)


def by_source(capture: Capture, columns: list[str]) -> dict[str, list[str]]:
    """``columns`` grouped by the source log they come from (in catalogue order)."""
    cat = capture.catalog.filter(pl.col("column").is_in(columns))
    groups: dict[str, list[str]] = {}
    for source, column in cat.select("source", "column").iter_rows():
        groups.setdefault(source, []).append(column)
    return groups


def overlaps(start: datetime, end: datetime) -> pl.Expr:
    """Samples whose interval ``(prev, time]`` overlaps ``[start, end]`` (needs ``prev``)."""
    return (pl.col("prev") < end) & (pl.col("time") > start)


def inside(start: datetime, end: datetime) -> pl.Expr:
    """Samples whose interval lies wholly within ``[start, end]`` (needs ``prev``)."""
    return (pl.col("prev") >= start) & (pl.col("time") <= end)


def runs(flag: pl.Expr) -> pl.Expr:
    """Run id of consecutive equal values of a boolean expression (0, 1, 2, …)."""
    return (flag != flag.shift(1)).fill_null(False).cum_sum()


def spans(frame: pl.DataFrame, flag: pl.Expr, **aggregations: pl.Expr) -> pl.DataFrame:
    """One row per run of consecutive samples where ``flag`` holds, with ``aggregations``."""
    return (
        frame.with_columns(__run=runs(flag), __flag=flag)
        .filter(pl.col("__flag"))
        .group_by("__run", maintain_order=True)
        .agg(**aggregations)
        .drop("__run")
    )


def gaps(frame: pl.DataFrame) -> pl.DataFrame:
    """The gaps of a :func:`log_frame`: ``start`` (last sample before), ``end``, ``seconds``."""
    return frame.filter(pl.col("gap")).select(start="prev", end="time", seconds="dt_s")
