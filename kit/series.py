"""Counter columns on their own log's sample times: intervals, gaps, windows and integrals.

A capture joins logs of several hosts on time, so a row may hold one log's sample and nulls for
the others. Analyses that integrate rates need each log's own sample times: :meth:`Logs.frame`
returns them with the interval each sample's value covers. A perfmon rate at sample k is the
average over ``(t[k-1], t[k]]``; its amount is ``value × dt_s``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from kit.capture import Capture
from kit.errors import OptionError

GAP_FACTOR = 1.5
"""An interval longer than this × the log's median interval is a gap (missed samples). [1]"""


@dataclass(frozen=True, eq=False)
class Logs:
    """The sample times of every log of a capture, with their intervals and gaps, worked out once.

    An analysis reads hundreds of sets of columns, each on the sample times of its own log:
    :meth:`frame` then only picks the columns, and the samples asked for, of a day-long capture.
    Build it with :meth:`of` once per capture (and again for a capture whose times changed).
    """

    capture: Capture
    times: dict[str | None, pl.DataFrame]
    """Per source log (catalogue ``source``; None: every row, for columns of no known log):
    ``row`` (index in ``capture.data``), ``time``, ``prev`` (previous sample time of that log),
    ``dt_s`` (interval the sample covers [s]) and ``gap`` (over 1.5 × the log's median interval:
    samples are missing before this one)."""
    position: dict[str, tuple[int, str | None]]
    """Data column → (its catalogue row, its source log)."""

    @classmethod
    def of(cls, capture: Capture) -> Logs:
        """The sample times of each of ``capture``'s logs (see :attr:`times`)."""
        time = capture.data["time"]
        every = _log_times(time)
        times: dict[str | None, pl.DataFrame] = {None: every}
        for source in capture.catalog["source"].unique(maintain_order=True):
            own = capture.log_times.get(source)
            times[source] = every if own is None else _log_times(time, rows=time.is_in(own.implode()))
        cat = capture.catalog
        position = {c: (i, s) for i, (c, s) in enumerate(zip(cat["column"], cat["source"]))}
        return cls(capture=capture, times=times, position=position)

    def frame(self, columns: list[str], *, where: pl.Expr | None = None) -> pl.DataFrame:
        """``columns`` on the sample times of the log they come from.

        Columns: ``time``, ``prev``, ``dt_s`` [s], ``gap`` (see :attr:`times`), then ``columns``.
        ``where``: only the samples where it holds; it may use those four columns only. All
        ``columns`` must come from one source log.
        """
        sources = list(self.by_source(columns))
        if len(sources) > 1:
            raise OptionError(f"columns from more than one log: {sources}; pass one log's columns")
        times = self.times[sources[0] if sources else None]
        if where is not None:
            times = times.filter(where)
        values = self.capture.data.select(columns)
        if columns and times.height != values.height:
            values = values.gather(times["row"])
        return times.drop("row").hstack(values)

    def by_source(self, columns: list[str]) -> dict[str | None, list[str]]:
        """``columns`` grouped by the source log they come from (in catalogue order); columns not
        in the catalogue are left out."""
        known = sorted({c for c in columns if c in self.position}, key=lambda c: self.position[c][0])
        groups: dict[str | None, list[str]] = {}
        for column in known:
            groups.setdefault(self.position[column][1], []).append(column)
        return groups


def _log_times(time: pl.Series, *, rows: pl.Series | None = None) -> pl.DataFrame:
    """:attr:`Logs.times` of one log: the ``rows`` of ``time`` that are its samples (default all)."""
    frame = time.to_frame().with_row_index("row")
    if rows is not None:
        frame = frame.filter(rows)
    frame = frame.with_columns(prev=pl.col("time").shift(1))
    frame = frame.with_columns(dt_s=(pl.col("time") - pl.col("prev")).dt.total_microseconds() / 1e6)
    median = frame["dt_s"].median()
    gap = pl.col("dt_s") > GAP_FACTOR * median if median else pl.lit(False)
    return frame.with_columns(gap=gap.fill_null(False))


def overlaps(start: datetime, end: datetime) -> pl.Expr:
    """Samples whose interval ``(prev, time]`` overlaps ``[start, end]`` (needs ``prev``)."""
    return (pl.col("prev") < end) & (pl.col("time") > start)


def inside(start: datetime, end: datetime) -> pl.Expr:
    """Samples whose interval lies wholly within ``[start, end]`` (needs ``prev``)."""
    return (pl.col("prev") >= start) & (pl.col("time") <= end)


def rows_where(frame: pl.DataFrame, where: pl.Expr) -> pl.DataFrame:
    """``frame.filter(where)`` for a wide frame of which few rows are wanted: ``where`` picks the
    row numbers once, and only those rows of each column are copied."""
    return frame.gather(frame.select(pl.arg_where(where)).to_series())


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
    """The gaps of a :meth:`Logs.frame`: ``start`` (last sample before), ``end``, ``seconds``."""
    return frame.filter(pl.col("gap")).select(start="prev", end="time", seconds="dt_s")
