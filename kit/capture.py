"""The capture: counter data (wide), its catalogue and the metadata of every source file.

``Capture.data`` has a UTC ``time`` column and one Float64 column per counter, named by the raw
counter path; ``Capture.catalog`` has one row per data column describing it. Data stays wide;
:meth:`Capture.long` makes the long form a chart needs, for the columns it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

import polars as pl

from kit.errors import LoadWarning, OptionError

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
    """Median sample interval. [s]"""
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

    def to_dict(self) -> dict:
        """JSON-friendly form (ISO 8601 UTC times)."""
        out = dict(self.__dict__)
        out["hosts"] = list(self.hosts)
        for key in ("start", "end"):
            out[key] = None if out[key] is None else out[key].isoformat().replace("+00:00", "Z")
        return out


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

    @property
    def hosts(self) -> list[str]:
        """Host names in the capture, in order of first appearance."""
        return self.catalog["host"].drop_nulls().unique(maintain_order=True).to_list()

    @property
    def interval_s(self) -> float | None:
        """The smallest median sample interval among the sources. [s]"""
        intervals = [s.interval_s for s in self.sources if s.interval_s]
        return min(intervals) if intervals else None

    @property
    def start(self) -> datetime | None:
        """First sample time (UTC)."""
        return self.data["time"].min() if self.data.height else None

    @property
    def end(self) -> datetime | None:
        """Last sample time (UTC)."""
        return self.data["time"].max() if self.data.height else None

    def columns(
        self,
        *,
        object: str | None = None,
        counter: str | None = None,
        instance: str | None = None,
        host: str | None = None,
    ) -> list[str]:
        """Data columns whose catalogue entry matches every given field (case-insensitive).

        ``object`` and ``counter`` match the English name or the name as written.
        """
        cat = self.catalog
        for value, names in (
            (object, ("object", "object_en")),
            (counter, ("counter", "counter_en")),
            (instance, ("instance",)),
            (host, ("host",)),
        ):
            if value is None:
                continue
            wanted = value.lower()
            cat = cat.filter(pl.any_horizontal(pl.col(n).str.to_lowercase() == wanted for n in names))
        return cat["column"].to_list()

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

    def summary(self) -> dict:
        """What the capture holds, as a JSON-friendly dict (used by ``kit info``)."""
        cat = self.catalog
        objects = (
            cat.group_by("host", "object_en", maintain_order=True)
            .agg(
                instances=pl.col("instance").drop_nulls().n_unique(),
                counters=pl.col("counter_en").unique(maintain_order=True),
                columns=pl.len(),
            )
            .rename({"object_en": "object"})
        )
        return {
            "hosts": self.hosts,
            "rows": self.data.height,
            "columns": cat.height,
            "start_utc": _iso(self.start),
            "end_utc": _iso(self.end),
            "interval_s": self.interval_s,
            "sources": [s.to_dict() for s in self.sources],
            "objects": objects.to_dicts(),
            "warnings": [
                {"source": w.source, "code": w.code, "message": w.message, "line": w.line, "column": w.column}
                for w in self.warnings
            ],
        }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")
