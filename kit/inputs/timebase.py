"""The time base: each log's sample times, intervals and gaps, worked out once, and the one way to
turn a rate into an amount.

A capture joins logs of several hosts on time, so a row may hold one log's sample and nulls for
the others. Analyses that integrate rates need each log's own sample times: a perfmon rate at
sample k is the average over ``(t[k-1], t[k]]``, so its amount is ``value × dt_s``
(:func:`amount`). A log's *interval* is the median of its positive steps
(:func:`median_interval_s`); an interval over :data:`GAP_FACTOR` × that is a *gap* (missed
samples). Every analysis reads these from :attr:`kit.Capture.timebase`, computed once per capture.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from kit.errors import OptionError

GAP_FACTOR = 1.5
"""An interval longer than this × the log's interval is a gap (missed samples). [1]"""
TIME = pl.Datetime("us", "UTC")
"""The dtype of every time in the kit: UTC, microseconds."""


def median_interval_s(times: pl.Series) -> float | None:
    """Median of the positive steps between successive times [s]; None with < 2 distinct times.

    >>> from datetime import datetime as d
    >>> median_interval_s(pl.Series([d(2025, 1, 1, 0, 0, 0), d(2025, 1, 1, 0, 0, 1), d(2025, 1, 1, 0, 0, 1),
    ...                              d(2025, 1, 1, 0, 0, 3)]))
    1.5
    """
    steps = times.diff().dt.total_microseconds().cast(pl.Float64) / 1e6
    steps = steps.filter(steps > 0)
    return float(steps.median()) if steps.len() else None


def amount(rate: str | pl.Expr) -> pl.Expr:
    """What a rate moved in each sample's interval: ``rate × dt_s`` [rate unit × s].

    The one null policy: a blank value, or the first sample of a log (no interval), adds 0 — blank
    time is reported apart (as missing time or a gap), never bridged silently. Needs ``dt_s``.

    >>> frame = pl.DataFrame({"rate": [None, 10.0, None, 4.0], "dt_s": [None, 1.0, 1.0, 0.5]})
    >>> frame.select(amount("rate")).to_series().to_list()
    [0.0, 10.0, 0.0, 2.0]
    """
    value = pl.col(rate) if isinstance(rate, str) else rate
    return value.fill_null(0.0) * pl.col("dt_s").fill_null(0.0)


@dataclass(frozen=True, eq=False)
class Log:
    """One log's sample times."""

    source: str | None
    """The catalogue ``source`` of the log (None: every row of the capture)."""
    samples: pl.DataFrame
    """``row`` (index in the capture's data), ``time``, ``prev`` (the log's previous sample time),
    ``dt_s`` (the interval the sample covers [s]) and ``gap`` (``dt_s`` over :data:`GAP_FACTOR` ×
    the interval: samples are missing before this one)."""
    interval_s: float | None
    """Median interval [s] (None with fewer than 2 distinct times)."""


@dataclass(frozen=True, eq=False)
class TimeBase:
    """The sample times of every log of a capture (:attr:`kit.Capture.timebase`).

    An analysis reads hundreds of sets of columns, each on the sample times of its own log:
    :meth:`frame` then only picks the columns, and the samples asked for.
    """

    data: pl.DataFrame
    logs: dict[str | None, Log]
    position: dict[str, tuple[int, str | None]]
    """Data column → (its catalogue row, its source log)."""
    contiguous: dict[str, pl.Series] = field(default_factory=dict, repr=False)
    """The columns :meth:`frame` has read, each in one piece. A CSV parse leaves every column in
    pieces of ~2 MB of the file (1,543 in a week of 1 s samples), and picking samples from a column
    in pieces joins them again on every call: 133 ms a call there, 1.3 ms in one piece (a week's
    ``analyze``: 89 s → 3.4 s). Only the columns analyses read are kept, once."""

    @classmethod
    def of(cls, data: pl.DataFrame, catalog: pl.DataFrame, log_times: dict[str, pl.Series]) -> TimeBase:
        """The time base of a capture's ``data``, ``catalog`` and ``log_times`` (see :class:`kit.Capture`)."""
        time = data["time"]
        every = _log(None, time)
        logs: dict[str | None, Log] = {None: every}
        for source in catalog["source"].unique(maintain_order=True):
            own = log_times.get(source)
            logs[source] = Log(source, every.samples, every.interval_s) if own is None else _log(
                source, time, rows=time.is_in(own.implode())
            )
        position = {c: (i, s) for i, (c, s) in enumerate(zip(catalog["column"], catalog["source"]))}
        return cls(data=data, logs=logs, position=position)

    @property
    def interval_s(self) -> float | None:
        """The smallest of the logs' intervals [s] (None when no log has two samples)."""
        own = [log for source, log in self.logs.items() if source is not None] or list(self.logs.values())
        intervals = [log.interval_s for log in own if log.interval_s]
        return min(intervals) if intervals else None

    def log(self, columns: list[str]) -> Log:
        """The log that ``columns`` come from (all from one log; no columns: every row)."""
        sources = list(self.by_source(columns))
        if len(sources) > 1:
            raise OptionError(f"columns from more than one log: {sources}; pass one log's columns")
        return self.logs[sources[0] if sources else None]

    def frame(self, columns: list[str], *, where: pl.Expr | None = None) -> pl.DataFrame:
        """``columns`` on the sample times of the log they come from.

        Columns: ``time``, ``prev``, ``dt_s`` [s], ``gap`` (see :class:`Log`), then ``columns``.
        ``where``: only the samples where it holds; it may use those four columns only. All
        ``columns`` must come from one log.
        """
        times = self.log(columns).samples
        if where is not None:
            times = times.filter(where)
        values = pl.DataFrame([self._column(c) for c in columns]) if columns else self.data.select(columns)
        if columns and times.height != values.height:
            values = values.gather(times["row"])
        return times.drop("row").hstack(values)

    def _column(self, name: str) -> pl.Series:
        """Data column ``name`` in one piece (see :attr:`contiguous`)."""
        column = self.contiguous.get(name)
        if column is None:
            column = self.data[name]
            if column.n_chunks() > 1:
                column = self.contiguous[name] = column.rechunk()
        return column

    def by_source(self, columns: list[str]) -> dict[str | None, list[str]]:
        """``columns`` grouped by the log they come from (in catalogue order); columns not in
        the catalogue are left out."""
        known = sorted({c for c in columns if c in self.position}, key=lambda c: self.position[c][0])
        groups: dict[str | None, list[str]] = {}
        for column in known:
            groups.setdefault(self.position[column][1], []).append(column)
        return groups


def _log(source: str | None, time: pl.Series, *, rows: pl.Series | None = None) -> Log:
    """The :class:`Log` of the ``rows`` of ``time`` that are its samples (default all)."""
    frame = time.to_frame().with_row_index("row")
    if rows is not None:
        frame = frame.filter(rows)
    interval = median_interval_s(frame["time"])
    frame = frame.with_columns(prev=pl.col("time").shift(1))
    frame = frame.with_columns(dt_s=(pl.col("time") - pl.col("prev")).dt.total_microseconds() / 1e6)
    gap = pl.col("dt_s") > GAP_FACTOR * interval if interval else pl.lit(False)
    return Log(source, frame.with_columns(gap=gap.fill_null(False)), interval)


def overlaps(start: datetime, end: datetime) -> pl.Expr:
    """Samples whose interval ``(prev, time]`` overlaps ``[start, end]`` (needs ``prev``)."""
    return (pl.col("prev") < end) & (pl.col("time") > start)


def inside(start: datetime, end: datetime) -> pl.Expr:
    """Samples whose interval lies wholly within ``[start, end]`` (needs ``prev``)."""
    return (pl.col("prev") >= start) & (pl.col("time") <= end)


def read_within(start: datetime, end: datetime) -> pl.Expr:
    """Samples taken within ``[start, end]``: where a gauge was read then."""
    return pl.col("time").is_between(start, end)


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


def hms(when: datetime) -> str:
    """A time of day for sentences, to the millisecond: ``13:05:17.006``."""
    return when.strftime("%H:%M:%S.%f")[:-3]


def gaps(frame: pl.DataFrame) -> pl.DataFrame:
    """The gaps of a :meth:`TimeBase.frame`: ``start`` (last sample before), ``end``, ``seconds``."""
    return frame.filter(pl.col("gap")).select(start="prev", end="time", seconds="dt_s")
