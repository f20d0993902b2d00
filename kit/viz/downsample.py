"""Time-series downsampling in polars, so that long captures chart without losing their extremes.

A day at 1 s is 86,400 samples per counter: far more than a chart can show (Altair embeds at most
5,000 rows, and a browser slows down long before a million points). Two vectorised reductions
over equal time buckets (aligned on multiples of the bucket width, so a bucket reads "13:05–13:10"):

* :func:`minmax` keeps, in every bucket, the samples that hold each column's minimum and maximum,
  at their own times and with every other column's value at those times: spikes and dips survive
  exactly, and the kept rows are real samples (a stacked chart of them still adds up). Chosen over
  LTTB, which picks one point per bucket by a sequential triangle search and can drop one of two
  opposite extremes in a bucket.
* :func:`aggregate` reduces each bucket to one row (``max``, ``mean`` or ``min`` of each column),
  for views that need regular cells, such as a heatmap.

:func:`bucket_width` picks a readable width (1 s, 2 s, 5 s, 10 s, 15 s, 30 s, 1 min, … 1 d) for a
target number of buckets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta

import polars as pl

from kit.errors import OptionError

NICE_WIDTHS_S = (
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5,
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
)
"""Bucket widths :func:`bucket_width` chooses from; beyond a day, whole days. [s]"""
AGGREGATES = ("max", "mean", "min")


def bucket_width(frame: pl.DataFrame, *, buckets: int, time: str = "time") -> timedelta:
    """The narrowest readable bucket width that cuts ``frame``'s time range into ≤ ``buckets``
    aligned buckets (a range of length L meets at most L / width + 1 of them)."""
    if buckets < 2:
        raise OptionError(f"buckets must be at least 2, not {buckets}")
    first, last = frame[time].min(), frame[time].max()
    span = (last - first).total_seconds() if first is not None else 0.0
    needed = span / (buckets - 1)
    width = next((w for w in NICE_WIDTHS_S if w >= needed), None)
    return timedelta(seconds=width if width is not None else 86400 * math.ceil(needed / 86400))


def minmax(
    frame: pl.DataFrame,
    *,
    every: timedelta,
    columns: Sequence[str] | None = None,
    time: str = "time",
    by: str | Sequence[str] | None = None,
) -> pl.DataFrame:
    """The rows holding each column's minimum and maximum in each ``every`` bucket.

    Wide input: ``columns`` (default: every numeric column but ``time``) are reduced together and
    at most 2 × len(columns) rows are kept per bucket. Long input: name the series key(s) in ``by``
    and the value column in ``columns``; buckets are then per series. The kept rows are returned
    whole and in their order in ``frame``. Ties keep the first row; nulls are never an extreme.
    """
    keys = [by] if isinstance(by, str) else list(by or [])
    if columns is None:
        columns = [c for c, t in frame.schema.items() if t.is_numeric() and c != time and c not in keys]
    row = pl.col("_row")
    extremes = [row.get(pl.col(c).arg_min()) for c in columns] + [row.get(pl.col(c).arg_max()) for c in columns]
    picked = (
        frame.select(time, *keys, *columns).with_row_index("_row")
        .group_by(*keys, pl.col(time).dt.truncate(every).alias("_bucket"))
        .agg(pl.concat_list(extremes).alias("_rows"))
    )
    rows = picked["_rows"].explode().drop_nulls().unique().sort()
    return frame[rows]


def aggregate(
    frame: pl.DataFrame,
    *,
    every: timedelta,
    columns: Sequence[str] | None = None,
    time: str = "time",
    how: str = "max",
) -> pl.DataFrame:
    """One row per ``every`` bucket: ``time`` (bucket start), ``end`` (bucket end) and the
    ``how`` (``max``, ``mean`` or ``min``) of each of ``columns`` (default: every numeric column
    but ``time``). ``frame`` must be sorted by ``time``; empty buckets are left out."""
    if how not in AGGREGATES:
        raise OptionError(f"how must be one of {list(AGGREGATES)}, not {how!r}")
    if columns is None:
        columns = [c for c, t in frame.schema.items() if t.is_numeric() and c != time]
    reduce = getattr(pl.col(columns), how)()
    return (
        frame.group_by(pl.col(time).dt.truncate(every), maintain_order=True)
        .agg(reduce)
        .select(time, end=pl.col(time) + every, *columns)
    )
