"""Open lazily: a fleet dataset as a capture-like object whose data is a polars ``LazyFrame``.

:func:`open_dataset` reads the manifests and catalogues only (small); the counter data stays in
Parquet until asked for. :meth:`Dataset.scan` prunes by partition (hosts, UTC days), by capture,
by counter (only the matching columns are read) and by time (row groups outside the range are
skipped); :meth:`Dataset.capture` turns a slice of it into a :class:`kit.Capture` exactly as
:func:`kit.load` would have made it from the same files, for the analyses and views.

Only captures with a manifest are read (see :mod:`kit.fleet.ingestion`): the left-overs of a crashed
ingest are never seen. Where one file was ingested twice with other content (replaced, and the
old version not yet removed) the newer manifest wins.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from functools import cached_property
from pathlib import Path

import polars as pl

from kit.errors import DatasetError, LoadWarning, OptionError
from kit.fleet import layout
from kit.fleet.ingestion import check_marker
from kit.inputs.capture import Capture, SourceInfo
from kit.inputs.timebase import TIME
from kit.io.perfmon.merge import combine
from kit.io.perfmon.paths import counter_filter
from kit.vocabulary import matches

CAPTURES_SCHEMA = {
    "capture": pl.String, "path": pl.String, "identity": pl.String, "hosts": pl.List(pl.String),
    "start": TIME, "end": TIME, "rows": pl.Int64, "columns": pl.Int64, "file_bytes": pl.Int64,
    "ingested_at": pl.String,
}
""":attr:`Dataset.captures`: one row per ingested capture (``file_bytes`` [bytes])."""
PARTS_SCHEMA = {
    "capture": pl.String, "host": pl.String, "date": pl.Date, "file": pl.String, "rows": pl.Int64,
    "columns": pl.Int64, "start": TIME, "end": TIME,
}
""":attr:`Dataset.parts`: one row per data file (``host`` is the partition value, ``file`` absolute)."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """A fleet dataset (:func:`open_dataset`): what was ingested, its catalogue, and lazy data."""

    root: Path
    captures: pl.DataFrame
    """One row per ingested capture (:data:`CAPTURES_SCHEMA`)."""
    parts: pl.DataFrame
    """One row per data file (:data:`PARTS_SCHEMA`)."""
    catalog: pl.DataFrame
    """Every capture's catalogue: ``capture`` (key), ``partition`` (host partition), then
    :data:`kit.inputs.capture.CATALOG_SCHEMA`."""
    manifests: dict[str, dict]
    """Key → the capture's manifest (``captures/<key>.json``)."""
    warnings: tuple[LoadWarning, ...] = ()
    """Damaged or incomplete captures left out (``dataset-problem``)."""

    @property
    def hosts(self) -> list[str]:
        """Host partitions, sorted."""
        return sorted(self.parts["host"].unique().to_list())

    @property
    def start(self) -> datetime | None:
        """First sample time (UTC)."""
        return self.parts["start"].min()

    @property
    def end(self) -> datetime | None:
        """Last sample time (UTC)."""
        return self.parts["end"].max()

    @cached_property
    def sources(self) -> tuple[SourceInfo, ...]:
        """Every ingested file's :class:`~kit.inputs.capture.SourceInfo`."""
        return tuple(source for key in self.captures["capture"] for source in _sources(self.manifests[key]))

    @cached_property
    def load_warnings(self) -> tuple[LoadWarning, ...]:
        """The load warnings of every ingested file."""
        return tuple(w for key in self.captures["capture"] for w in _warnings(self.manifests[key]))

    @property
    def data(self) -> pl.LazyFrame:
        """Every sample, lazily: ``time``, ``host`` (partition), ``capture``, one column per counter."""
        return self.scan()

    @property
    def migrations(self) -> pl.DataFrame | None:
        """The migrations table written by :func:`kit.fleet_migrations` (None before the first)."""
        path = self.root / layout.MIGRATIONS / layout.MIGRATIONS_FILE
        return pl.read_parquet(path) if path.is_file() else None

    def lookup(
        self,
        *,
        object: str | Iterable[str] | None = None,
        counter: str | Iterable[str] | None = None,
        instance: str | Iterable[str] | None = None,
        host: str | Iterable[str] | None = None,
    ) -> pl.DataFrame:
        """Catalogue rows matching every given field, case-insensitively (as :meth:`kit.Capture.lookup`)."""
        return self.catalog.filter(matches(object=object, counter=counter, instance=instance, host=host))

    def columns(self, **fields: str | Iterable[str] | None) -> list[str]:
        """Data columns whose catalogue entry matches (see :meth:`lookup`), each once."""
        return self.lookup(**fields)["column"].unique(maintain_order=True).to_list()

    def ingested(self, path: str | Path) -> bool:
        """Whether the file at ``path`` (as it is now: same absolute path) is in the dataset."""
        return str(Path(path).resolve()) in set(self.captures["identity"])

    def select_parts(
        self,
        *,
        hosts: str | Sequence[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        captures: Sequence[str] | None = None,
    ) -> pl.DataFrame:
        """The data files of these hosts (any spelling), captures, and files overlapping ``[start, end]`` (UTC)."""
        start, end = _span(start, end)
        parts = self.parts
        if hosts is not None:
            wanted = [hosts] if isinstance(hosts, str) else list(hosts)
            parts = parts.filter(pl.col("host").is_in([layout.partition_host(h) for h in wanted]))
        if captures is not None:
            parts = parts.filter(pl.col("capture").is_in(list(captures)))
        if start is not None:
            parts = parts.filter(pl.col("end") >= _utc(start, "start"))
        if end is not None:
            parts = parts.filter(pl.col("start") <= _utc(end, "end"))
        return parts

    def scan(
        self,
        *,
        hosts: str | Sequence[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        counters: str | Sequence[str] | None = None,
        captures: Sequence[str] | None = None,
    ) -> pl.LazyFrame:
        r"""The samples of ``hosts`` in ``[start, end]`` (UTC), lazily, pruned before any read.

        Only the data files of those host partitions and days are scanned, only the columns of
        ``counters`` (perfmon paths with ``*``, as :func:`kit.load` takes them, e.g.
        ``\Network Interface(*)\Bytes*``) are read, and Parquet row groups outside the time range
        are skipped. Columns: ``time``, ``host`` (partition), ``capture`` (key), then the counters
        (null where a host or capture has no such column); rows in no particular order.
        """
        start, end = _span(start, end)
        parts = self.select_parts(hosts=hosts, start=start, end=end, captures=captures)
        catalog = self._catalog(counters)
        wanted = catalog.group_by("capture", "partition").agg(pl.col("column"))
        parts = parts.join(wanted, left_on=["capture", "host"], right_on=["capture", "partition"], how="inner")
        frames = [
            pl.scan_parquet(file).select("time", *columns).with_columns(host=pl.lit(host), capture=pl.lit(key))
            for key, host, file, columns in parts.select("capture", "host", "file", "column").iter_rows()
        ]
        if not frames:
            return pl.LazyFrame(schema={"time": TIME, "host": pl.String, "capture": pl.String})
        frame = pl.concat(frames, how="diagonal_relaxed")
        frame = frame.select("time", "host", "capture", pl.all().exclude("time", "host", "capture"))
        return frame.filter(_within(start, end))

    def capture(
        self,
        *,
        hosts: str | Sequence[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        counters: str | Sequence[str] | None = None,
        captures: Sequence[str] | None = None,
    ) -> Capture:
        """The samples of ``hosts`` in ``[start, end]`` (UTC) as a :class:`kit.Capture`, made as
        :func:`kit.load` makes one from the same files (logs of several hosts joined on time;
        captures of one host stacked in time), so every analysis and view takes it.

        Reads only what it returns: keep the range to what you analyse (hours, not months).
        Raises :class:`~kit.errors.OptionError` when nothing is in the range.
        """
        start, end = _span(start, end)
        parts = self.select_parts(hosts=hosts, start=start, end=end, captures=captures)
        catalog = self._catalog(counters)
        pieces: dict[str, list[Capture]] = {}
        for (key, host), files in parts.sort("date").group_by("capture", "host", maintain_order=True):
            piece = self._piece(key, host, files["file"].to_list(), catalog, start, end)
            if piece is not None:
                pieces.setdefault(host, []).append(piece)
        if not pieces:
            what = "any host" if hosts is None else ", ".join([hosts] if isinstance(hosts, str) else hosts)
            raise OptionError(
                f"no samples of {what} in {layout.iso(start) or 'the start'} → {layout.iso(end) or 'the end'} "
                f"in the dataset {self.root}", hint="list what it holds with kit.open_dataset(...).parts",
            )
        parts_of_hosts = [_stacked(host_pieces) for host_pieces in pieces.values()]
        parts_of_hosts.sort(key=lambda c: c.sources[0].path if c.sources else "")
        joined = combine(parts_of_hosts)
        unique_sources = tuple({s.path: s for s in joined.sources}.values())
        unique_warnings = tuple(dict.fromkeys(joined.warnings))
        return replace(joined, sources=unique_sources, warnings=unique_warnings)

    def _catalog(self, counters: str | Sequence[str] | None) -> pl.DataFrame:
        if counters is None:
            return self.catalog
        patterns = (counters,) if isinstance(counters, str) else tuple(counters)
        return self.catalog.filter(counter_filter(patterns))

    def _piece(
        self, key: str, host: str, files: list[str], catalog: pl.DataFrame, start: datetime | None, end: datetime | None
    ) -> Capture | None:
        """One capture's samples of one host in the range, as a one-source capture."""
        own = catalog.filter((pl.col("capture") == key) & (pl.col("partition") == host)).drop("capture", "partition")
        if own.is_empty():
            return None
        data = pl.scan_parquet(files).select("time", *own["column"]).filter(_within(start, end)).collect()
        if data.is_empty():
            return None
        manifest = self.manifests[key]
        paths = set(own["source"].unique())
        sources = tuple(s for s in _sources(manifest) if s.path in paths)
        warnings = tuple(w for w in _warnings(manifest) if w.source in paths)
        return Capture(data=data, catalog=own, sources=sources, warnings=warnings)


def open_dataset(path: str | Path) -> Dataset:
    """Open the fleet dataset at ``path``: its manifests and catalogues, no counter data.

    Raises :class:`~kit.errors.DatasetError` when ``path`` is not a fleet dataset of this
    layout version. A capture whose manifest or files are damaged or missing is left out and
    named in ``Dataset.warnings``.
    """
    root = Path(path)
    if not root.is_dir():
        raise DatasetError("no such dataset folder", path=root,
                           hint="make one with: python -m kit ingest FILES... --into FOLDER")
    check_marker(root)
    problems: list[LoadWarning] = []
    manifests: dict[str, dict] = {}
    for file in sorted((root / layout.CAPTURES).glob("*.json")):
        try:
            record = json.loads(file.read_text(encoding="utf-8"))
            missing = [p["file"] for p in record["parts"] if not (root / p["file"]).is_file()]
            if not (root / layout.CATALOG / f"{file.stem}.parquet").is_file():
                missing.append(f"{layout.CATALOG}/{file.stem}.parquet")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problems.append(LoadWarning(str(file), "dataset-problem", f"unreadable manifest ({exc}): capture left out; "
                                        "ingest its file again"))
            continue
        if missing:
            problems.append(LoadWarning(str(file), "dataset-problem", f"{len(missing)} file(s) missing, e.g. "
                                        f"{missing[0]}: capture {record.get('path')} left out; ingest it again"))
            continue
        manifests[file.stem] = record
    newest: dict[str, tuple[str, str]] = {}
    for key, record in manifests.items():  # a file ingested twice: the newer manifest wins
        stamp = (record.get("ingested_at", ""), key)
        identity = record.get("identity", key)
        if identity not in newest or stamp > newest[identity]:
            newest[identity] = stamp
    kept = {key: manifests[key] for _, key in sorted(newest.values(), key=lambda s: s[1])}
    return Dataset(
        root=root, captures=_captures_table(kept), parts=_parts_table(root, kept),
        catalog=_catalog_table(root, kept), manifests=kept, warnings=tuple(problems),
    )


def _captures_table(manifests: dict[str, dict]) -> pl.DataFrame:
    rows = [
        {"capture": key, "path": m.get("path"), "identity": m.get("identity"), "hosts": m.get("hosts", []),
         "start": layout.from_iso(m.get("start")), "end": layout.from_iso(m.get("end")), "rows": m.get("rows"),
         "columns": m.get("columns"), "file_bytes": m.get("file_bytes"), "ingested_at": m.get("ingested_at")}
        for key, m in manifests.items()
    ]
    return pl.DataFrame(rows, schema=CAPTURES_SCHEMA)


def _parts_table(root: Path, manifests: dict[str, dict]) -> pl.DataFrame:
    rows = [
        {"capture": key, "host": p["host"], "date": date.fromisoformat(p["date"]), "file": str(root / p["file"]),
         "rows": p["rows"], "columns": p["columns"], "start": layout.from_iso(p["start"]),
         "end": layout.from_iso(p["end"])}
        for key, m in manifests.items() for p in m["parts"]
    ]
    return pl.DataFrame(rows, schema=PARTS_SCHEMA)


def _catalog_table(root: Path, manifests: dict[str, dict]) -> pl.DataFrame:
    schema = {"capture": pl.String, "partition": pl.String,
              **{k: v for k, v in layout.CATALOG_FILE_SCHEMA.items() if k != "capture"}}
    if not manifests:
        return pl.DataFrame(schema=schema)
    files = [root / layout.CATALOG / f"{key}.parquet" for key in manifests]
    catalog = pl.read_parquet(files)
    return catalog.with_columns(partition=layout.partition_of("host")).select(list(schema)).cast(schema)


def _sources(manifest: dict) -> tuple[SourceInfo, ...]:
    out = []
    for source in manifest.get("sources", []):
        fields = dict(source)
        fields.update(start=layout.from_iso(fields.get("start")), end=layout.from_iso(fields.get("end")),
                      hosts=tuple(fields.get("hosts", ())))
        out.append(SourceInfo(**fields))
    return tuple(out)


def _warnings(manifest: dict) -> tuple[LoadWarning, ...]:
    return tuple(LoadWarning(**w) for w in manifest.get("warnings", []))


def _stacked(pieces: list[Capture]) -> Capture:
    """One host's pieces from several captures, stacked in time (columns united; one log)."""
    if len(pieces) == 1:
        return pieces[0]
    pieces = sorted(pieces, key=lambda c: c.start)
    name = " + ".join(dict.fromkeys(s.path for c in pieces for s in c.sources))
    data = pl.concat([c.data for c in pieces], how="diagonal_relaxed").sort("time", maintain_order=True)
    catalog = pl.concat([c.catalog for c in pieces]).unique("column", keep="first", maintain_order=True)
    return Capture(
        data=data.select("time", *catalog["column"]), catalog=catalog.with_columns(source=pl.lit(name)),
        sources=tuple(s for c in pieces for s in c.sources), warnings=tuple(w for c in pieces for w in c.warnings),
    )


def _within(start: datetime | None, end: datetime | None) -> pl.Expr:
    """Samples taken in ``[start, end]`` (UTC; None: open)."""
    expr = pl.lit(True)
    if start is not None:
        expr = expr & (pl.col("time") >= start)
    if end is not None:
        expr = expr & (pl.col("time") <= end)
    return expr


def _span(start: object, end: object) -> tuple[datetime | None, datetime | None]:
    """``start`` and ``end`` as aware UTC datetimes (or None), checked to be in order."""
    start = None if start is None else _utc(start, "start")
    end = None if end is None else _utc(end, "end")
    if start is not None and end is not None and end < start:
        raise OptionError(f"end={layout.iso(end)} is before start={layout.iso(start)}", hint="give the start first")
    return start, end


def _utc(value: object, name: str) -> datetime:
    """A datetime as aware UTC (naive = UTC); raises :class:`~kit.errors.OptionError` for anything else."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise OptionError(f"{name}={value!r} is not an ISO 8601 time", hint="e.g. 2025-03-01T02:00:00Z") from None
    if not isinstance(value, datetime):
        raise OptionError(f"{name}={value!r} is not a time", hint="give a datetime or ISO 8601 text")
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
