"""The fleet dataset's layout: folder names, partition values, file names and the tables' schemas.

One place for everything ``docs/fleet-dataset.md`` promises (the contract a DuckDB, Spark or polars
user reads the dataset by)::

    DATASET/
      fleet.json                                     what this folder is (LAYOUT, LAYOUT_VERSION)
      data/host=<HOST>/date=<YYYY-MM-DD>/<key>.parquet   counter data of one capture, host and UTC day
      catalog/<key>.parquet                          the catalogue of that capture (one row per column)
      captures/<key>.json                            its manifest: written last, so it marks the capture ingested
      migrations/migrations.parquet                  the fleet's migrations (kit.fleet_migrations)
      .staging/                                      ingests under way (never read)

``<key>`` is the capture's content key (:func:`capture_key`): a capture ingested again with the
same bytes and options has the same key and is skipped.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timezone
from urllib.parse import quote, unquote

import polars as pl

from kit.inputs.capture import CATALOG_SCHEMA
from kit.inputs.timebase import TIME

LAYOUT = "hvlm-kit fleet dataset"
LAYOUT_VERSION = 1
"""Bumped when a file of the layout changes meaning; a dataset of another version is refused."""
MARKER = "fleet.json"
DATA = "data"
CATALOG = "catalog"
CAPTURES = "captures"
MIGRATIONS = "migrations"
MIGRATIONS_FILE = "migrations.parquet"
STAGING = ".staging"
NO_HOST = "__HIVE_DEFAULT_PARTITION__"
"""Partition value of columns whose counter path names no host (Hive's spelling of null)."""
ROW_GROUP_ROWS = 8192
"""Rows per Parquet row group of a data file: a time range reads only the groups it overlaps
(2 h 16 min of 1 s samples each)."""

COMPRESSION = "uncompressed"
"""Data files are not compressed: perfmon doubles barely compress (LZ4 saves ~3 %) and compressing
costs a third of the time of writing them."""
STATISTICS = {"min": True, "max": True, "distinct_count": False, "null_count": True}
"""Parquet column statistics of data files: min/max (time pruning) and null counts; no distinct
counts (they would triple the time of writing)."""

CATALOG_FILE_SCHEMA = {"capture": pl.String, **CATALOG_SCHEMA}
"""``catalog/<key>.parquet``: :data:`kit.inputs.capture.CATALOG_SCHEMA` plus ``capture`` (the key)."""

MIGRATIONS_SCHEMA = {
    "migration_id": pl.String,
    "date": pl.Date,
    "vm": pl.String,
    "instance": pl.String,
    "source": pl.String,
    "destination": pl.String,
    "method": pl.String,
    "start": TIME,
    "end": TIME,
    "duration_s": pl.Float64,
    "resolution_s": pl.Float64,
    "concurrent_with": pl.List(pl.String),
    "transport": pl.String,
    "transport_basis": pl.String,
    "bytes_moved": pl.Float64,
    "gb_moved": pl.Float64,
    "bytes_basis": pl.String,
    "average_gbps": pl.Float64,
    "mean_gbps": pl.Float64,
    "p5_gbps": pl.Float64,
    "p50_gbps": pl.Float64,
    "p95_gbps": pl.Float64,
    "p99_gbps": pl.Float64,
    "peak_gbps": pl.Float64,
    "link_gbps": pl.Float64,
    "pct_of_link": pl.Float64,
    "pct_of_ceiling": pl.Float64,
    "mtu": pl.Int64,
    "blackout_s": pl.Float64,
    "blackout_lower_s": pl.Float64,
    "blackout_upper_s": pl.Float64,
    "blackout_method": pl.String,
    "nics_used": pl.List(pl.String),
    "nics_not_configured": pl.List(pl.String),
    "nics_configured": pl.Boolean,
    "nics": pl.List(pl.Struct({
        "host": pl.String, "instance": pl.String, "nic": pl.String, "direction": pl.String,
        "bytes": pl.Float64, "share": pl.Float64, "configured": pl.Boolean,
    })),
    "clock_offset_s": pl.Float64,
    "findings": pl.List(pl.String),
    "finding_kinds": pl.List(pl.String),
    "lacking": pl.List(pl.String),
    "episode_hosts": pl.List(pl.String),
    "context_start": TIME,
    "context_end": TIME,
    "captures": pl.List(pl.String),
}
"""``migrations/migrations.parquet``, one row per migration (see ``docs/fleet-dataset.md``):
times UTC; ``date`` the UTC day of ``start``; durations [s]; bytes [bytes]; GB = 10^9 bytes;
Gbit/s = 10^9 bit/s; ``pct_*`` [%]; ``blackout_*`` [s] (``blackout_upper_s`` null = unbounded);
``nics_used``: NICs that carried it on the source (else the destination); ``nics_configured``:
every one of them is a live-migration network (null without topology); ``episode_hosts``,
``context_start``, ``context_end``, ``captures``: what was analysed to get the row (a drill-down
analyses exactly that again)."""


def partition_host(host: str | None) -> str:
    """The ``host=`` value of a host name: its key (upper case, no DNS domain), with the
    characters a path or Hive cannot hold percent-encoded.

    >>> partition_host("hv01.lab.local"), partition_host(None), partition_host("a/b")
    ('HV01', '__HIVE_DEFAULT_PARTITION__', 'A%2FB')
    """
    return pl.select(partition_of(pl.lit(host, pl.String))).item()


def partition_of(host: str | pl.Expr) -> pl.Expr:
    """:func:`partition_host` of a column of host names."""
    expr = pl.col(host) if isinstance(host, str) else host
    key = expr.str.strip_chars().str.to_uppercase().str.split(".").list.first()
    for char in "%/\\=:*?\"<>|#":  # % first: the escapes it makes are not escaped again
        key = key.str.replace_all(char, quote(char, safe=""), literal=True)
    return pl.when(expr.is_null()).then(pl.lit(NO_HOST)).otherwise(key)


def host_of_partition(value: str) -> str | None:
    """The host key a ``host=`` value stands for (None for :data:`NO_HOST`)."""
    return None if value == NO_HOST else unquote(value)


def data_file(host: str, day: date, key: str) -> str:
    """Path of a data file, relative to the dataset, with ``/`` separators."""
    return f"{DATA}/host={host}/date={day.isoformat()}/{key}.parquet"


def capture_key(content_hash: str, options: dict) -> str:
    """The content key of a capture: its bytes' hash, the load options and the layout version
    (any of them changing makes another key). [32 hex digits]"""
    text = json.dumps({"layout": LAYOUT_VERSION, "hash": content_hash, "options": options}, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def iso(value: datetime | None) -> str | None:
    """A time as ISO 8601 text in UTC, to the microsecond (manifests keep times exactly)."""
    return None if value is None else value.astimezone(timezone.utc).isoformat()


def from_iso(text: str | None) -> datetime | None:
    """The inverse of :func:`iso`."""
    return None if text is None else datetime.fromisoformat(text)
