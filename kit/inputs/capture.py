"""The capture: counter data (wide), its catalogue and the metadata of every source file.

``Capture.data`` has a UTC ``time`` column and one Float64 column per counter, named by the raw
counter path; ``Capture.catalog`` has one row per data column describing it. Data stays wide;
:meth:`Capture.long` makes the long form a chart needs, for the columns it needs.

A capture is immutable, so what is derived from it alone is computed once and kept on it: its
:attr:`~Capture.timebase`, and the views analyses declare with :func:`per_capture` (the NIC table,
each host's traffic). A changed capture (``dataclasses.replace``) is a new object with none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property, wraps
from typing import TypeVar

import polars as pl

from kit.errors import LoadWarning, OptionError
from kit.inputs.timebase import TimeBase
from kit.vocabulary import matches

CATALOG_SCHEMA = {
    "column": pl.String,
    "host": pl.String,
    "object": pl.String,
    "parent": pl.String,
    "instance": pl.String,
    "index": pl.Int64,
    "counter": pl.String,
    "object_en": pl.String,
    "counter_en": pl.String,
    "path": pl.String,
    "source": pl.String,
}
"""Catalogue columns: ``column`` is the data column; ``*_en`` the canonical English names."""


@dataclass(frozen=True)
class SourceInfo:
    """What one input file was and how it was read."""

    path: str
    format: str
    """``pdh-csv``, ``pdh-tsv`` or ``powershell-csv``."""
    encoding: str
    encoding_basis: str
    """How the encoding was chosen: ``bom``, ``utf-8``, ``scored``, ``fallback``, ``requested``…"""
    zone_name: str | None
    bias_minutes: int
    """UTC = local + bias. [min]"""
    bias_basis: str
    """``header``, ``user`` or ``assumed-utc`` (no zone anywhere: times taken as UTC)."""
    interval_s: float | None
    """Median sample interval of the file. [s]"""
    rows: int
    columns: int
    """Counter columns kept in the data."""
    header_fields: int
    """Fields in the header line, including the timestamp column."""
    hosts: tuple[str, ...]
    start: datetime | None
    end: datetime | None
    cache_key: str = ""
    """Key of this file's entry in the Parquet cache (content hash + load options)."""
    separator: str | None = None
    """Field separator: ``,``, ``;`` or TAB."""
    samples: int | None = None
    """Data lines of the file that are in the data: ``rows`` for PDH logs, one per counter and
    time for the long PowerShell CSV. Every other data line is named in a warning's
    ``skipped_lines``."""


@dataclass(frozen=True)
class Capture:
    """Counter data from one or more files, with catalogue, sources and load warnings."""

    data: pl.DataFrame
    catalog: pl.DataFrame
    sources: tuple[SourceInfo, ...]
    warnings: tuple[LoadWarning, ...] = field(default=())
    log_times: dict[str, pl.Series] = field(default_factory=dict)
    """Sample times of each source log (key: catalogue ``source``) when logs were joined on
    time; empty when every row of ``data`` belongs to every column's log."""

    @cached_property
    def timebase(self) -> TimeBase:
        """Each log's sample times, intervals and gaps (:class:`kit.inputs.timebase.TimeBase`)."""
        return TimeBase.of(self.data, self.catalog, self.log_times)

    @property
    def hosts(self) -> list[str]:
        """Host names in the capture, in order of first appearance."""
        return self.catalog["host"].drop_nulls().unique(maintain_order=True).to_list()

    @property
    def interval_s(self) -> float | None:
        """The smallest of its logs' sample intervals (:attr:`timebase`). [s]"""
        return self.timebase.interval_s

    @property
    def start(self) -> datetime | None:
        """First sample time (UTC)."""
        return self.data["time"].min() if self.data.height else None

    @property
    def end(self) -> datetime | None:
        """Last sample time (UTC)."""
        return self.data["time"].max() if self.data.height else None

    def lookup(
        self,
        *,
        object: str | Iterable[str] | None = None,
        counter: str | Iterable[str] | None = None,
        instance: str | Iterable[str] | None = None,
        host: str | Iterable[str] | None = None,
    ) -> pl.DataFrame:
        """Catalogue rows matching every given field, case-insensitively (one name or several
        each); ``object`` and ``counter`` match the English name or the name as written
        (:func:`kit.vocabulary.matches`)."""
        return self.catalog.filter(matches(object=object, counter=counter, instance=instance, host=host))

    def columns(
        self,
        *,
        object: str | Iterable[str] | None = None,
        counter: str | Iterable[str] | None = None,
        instance: str | Iterable[str] | None = None,
        host: str | Iterable[str] | None = None,
    ) -> list[str]:
        """Data columns whose catalogue entry matches (see :meth:`lookup`)."""
        return self.lookup(object=object, counter=counter, instance=instance, host=host)["column"].to_list()

    def select(self, columns: list[str]) -> Capture:
        """A capture with only ``columns`` (rows where they are all null are kept)."""
        unknown = sorted(set(columns) - set(self.catalog["column"]))
        if unknown:
            raise OptionError(f"not columns of this capture: {unknown[:3]}")
        catalog = self.catalog.filter(pl.col("column").is_in(columns))
        return replace(self, data=self.data.select("time", *catalog["column"]), catalog=catalog)

    def long(self, columns: list[str] | None = None) -> pl.DataFrame:
        """Long form (time, column, value + catalogue fields) of ``columns`` (default: all).

        Only unpivot what a view needs: the long form of a day of thousands of counters is huge.
        """
        wanted = self.catalog["column"].to_list() if columns is None else columns
        long = self.data.select("time", *wanted).unpivot(
            index="time", variable_name="column", value_name="value"
        )
        return long.join(self.catalog, on="column", how="left")


T = TypeVar("T")


def per_capture(view: Callable[[Capture], T]) -> Callable[[Capture], T]:
    """Decorator for a view computed from a capture alone: computed on first use and kept on the
    capture, so every analysis of it shares one (a capture never changes)."""
    key = f"_view {view.__module__}.{view.__qualname__}"

    @wraps(view)
    def cached(capture: Capture) -> T:
        if key not in capture.__dict__:
            capture.__dict__[key] = view(capture)
        return capture.__dict__[key]

    return cached
