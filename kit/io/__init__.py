"""Loaders: the only code that opens counter files. ``load()`` is the entry point."""

from __future__ import annotations

import codecs
from dataclasses import replace
from collections.abc import Iterable, Sequence
from datetime import timedelta
from pathlib import Path

import polars as pl
from tqdm.auto import tqdm

from kit import cache
from kit.capture import Capture
from kit.errors import FileAccessError, HeaderError, KitError, LoadWarning, OptionError
from kit.io.assemble import keep_selected
from kit.io.encoding import SUPPORTED
from kit.io.exports import expand_inputs
from kit.io.pdh import is_pdh, read_pdh
from kit.io.powershell import is_powershell, read_powershell
from kit.io.source import ReadOptions, open_source
from kit.io.times import offset_minutes
from kit.paths import counter_filter

LOG_SUFFIXES = (".csv", ".tsv", ".txt", ".blg")
PROGRESS_DELAY_S = 2.0
"""A load shows a progress bar only once it has taken this long (unless asked)."""

PathLike = str | Path


def load(
    paths: PathLike | Iterable[PathLike],
    *,
    encoding: str | None = None,
    utc_offset: str | int | timedelta | None = None,
    override_zone: bool = False,
    correct_dst: bool = True,
    decimal_comma: bool | None = None,
    counters: str | Sequence[str] | None = None,
    cache_results: bool = True,
    progress: bool | None = None,
) -> Capture:
    r"""Load one or more counter logs (files, folders or glob patterns) into one :class:`Capture`.

    Reads PDH-CSV/TSV (relog, typeperf, Data Collector Sets, Export-Counter) and the long CSV of
    ``Get-Counter | … CounterSamples | Export-Csv``. Every counter column and data row ends up in
    the capture or, with the reason, in ``capture.warnings``.

    Parameters
    ----------
    paths
        A file, a folder (its ``.csv``/``.tsv``/``.txt`` files), a glob pattern, or a list of them.
    encoding
        Force a text encoding (e.g. ``"cp1251"``) instead of detecting it.
    utc_offset
        The collecting host's offset from UTC, used for files whose header has none:
        ``"+08:00"``, ``"-05:30"``, minutes east of UTC (``480``) or a ``timedelta``.
    override_zone
        Use ``utc_offset`` even where the header has a zone (relog writes the zone of the machine
        that converted the BLG, which may not be the one that collected it).
    correct_dst
        Move the bias by ±60 min after a DST jump in the timestamps (always reported).
    decimal_comma
        Read ``12,5`` as 12.5. Default: only for ``;``-separated files and culture-formatted
        PowerShell exports.
    counters
        Load only the counters matching these patterns (perfmon paths with ``*`` wildcards, see
        :func:`kit.paths.counter_filter`), e.g. ``[r"\Network Interface(*)\Bytes*",
        r"\Processor Information(*)\% DPC Time"]``. Only those columns are parsed from a CSV,
        or read from a cached file; the rest are named in a ``not-selected`` warning per file.
        A file with no matching counter adds nothing but that warning.
    cache_results
        Reuse / store parsed files in the Parquet cache (:mod:`kit.cache`). A load with
        ``counters`` reads a cached file's columns but never stores a partial one.
    progress
        ``None``: a progress bar appears if loading takes over 2 s; ``True``: always; ``False``: never.
    """
    bias = None if utc_offset is None else -offset_minutes(utc_offset)
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except (LookupError, TypeError):
            raise OptionError(f"unknown encoding {encoding!r}", hint="e.g. cp1252, cp1251, cp932, utf-16") from None
    if counters is not None:
        counters = (counters,) if isinstance(counters, str) else tuple(counters)
        counter_filter(counters)  # a malformed pattern fails here, before any file is read
    files = expand(paths)
    options = {
        "encoding": encoding,
        "bias": bias,
        "override": override_zone,
        "dst": correct_dst,
        "decimal_comma": decimal_comma,
    }
    parts = []
    with tqdm(
        total=len(files), unit="file", disable=progress is False,
        delay=0 if progress else PROGRESS_DELAY_S, desc="loading",
    ) as bar:
        for path in files:
            bar.set_postfix_str(path.name, refresh=False)
            parts.append(_load_file(path, options, cache_results, counters))
            bar.update(1)
    if counters is None:
        return combine(parts)
    found = [part for part in parts if part.catalog.height]
    if not found:
        raise OptionError(
            f"no counter in {len(files)} file(s) matches counters={list(counters)}",
            hint="list a file's counters with: python -m kit info FILE",
        )
    capture = combine(found)
    missed = tuple(w for part in parts if not part.catalog.height for w in part.warnings)
    return replace(capture, warnings=capture.warnings + missed)


def expand(paths: PathLike | Iterable[PathLike]) -> list[Path]:
    """The files named by ``paths`` (files, folders, glob patterns), in a stable order."""
    return [path for path, _ in expand_inputs(paths, LOG_SUFFIXES, kind=".csv/.tsv/.txt counter logs")]


def _load_file(path: Path, options: dict, use_cache: bool, counters: tuple[str, ...] | None) -> Capture:
    try:
        return _load_cached(path, options, use_cache, counters)
    except KitError:
        raise
    except OSError as exc:
        raise FileAccessError(
            f"cannot read the file: {exc.strerror or exc}", path=path,
            hint="check permissions; if a Data Collector Set is still writing it, stop it or copy the file",
        ) from None


def _load_cached(path: Path, options: dict, use_cache: bool, counters: tuple[str, ...] | None) -> Capture:
    if use_cache:
        key = cache.entry_key(cache.content_hash(path), options)
        hit = cache.read(key, path, select=None if counters is None else counter_filter(counters))
        if hit is not None:
            return hit if counters is None else keep_selected(hit, counters)
    capture = read_file(path, **_reader_options(options), counters=counters)
    if use_cache and counters is None:
        info = replace(capture.sources[0], cache_key=key)
        capture = replace(capture, sources=(info,))
        cache.write(key, capture)
    return capture


def _reader_options(options: dict) -> dict:
    return {
        "encoding": options["encoding"],
        "bias_minutes": options["bias"],
        "override_zone": options["override"],
        "correct_dst": options["dst"],
        "decimal_comma": options["decimal_comma"],
    }


def read_file(
    path: Path,
    *,
    encoding: str | None = None,
    bias_minutes: int | None = None,
    override_zone: bool = False,
    correct_dst: bool = True,
    decimal_comma: bool | None = None,
    counters: tuple[str, ...] | None = None,
) -> Capture:
    """Sniff the format of one file and read it (no cache). ``bias_minutes``: UTC = local + bias;
    ``counters``: read only the counters matching these patterns (PDH logs parse only their
    columns)."""
    source = open_source(path, encoding=encoding)
    options = ReadOptions(bias_minutes, override_zone, correct_dst, decimal_comma, counters)
    if is_pdh(source.header):
        return read_pdh(source, options)
    if is_powershell(source.header):
        capture = read_powershell(source, options)
        return capture if counters is None else keep_selected(capture, counters)
    if "countersamples" in source.header.lower() or "readings" in source.header.lower():
        raise HeaderError(
            "this Export-Csv holds Get-Counter sample *sets* (Timestamp, Readings, "
            "CounterSamples), whose values are lost", path=path, line=source.header_line,
            hint="export the samples instead: (Get-Counter …).CounterSamples | Export-Csv f.csv",
        )
    raise HeaderError(
        f"unknown format: header starts {source.header[:60]!r}", path=path,
        line=source.header_line, hint="expected " + SUPPORTED,
    )


def combine(parts: list[Capture]) -> Capture:
    """One capture from several: files with the same header are pieces of one log (stacked in
    time); different logs (e.g. two hosts) are joined on time, so a row holds every log's sample
    at that instant and nulls where a log had none. A column name used by two logs gets the file
    name appended (reported).
    """
    if len(parts) == 1:
        return parts[0]
    groups: dict[tuple[str, ...], list[Capture]] = {}
    for part in parts:
        groups.setdefault(tuple(part.catalog["path"].to_list()), []).append(part)
    logs = [_stack(group) for group in groups.values()]
    warnings = [w for part in parts for w in part.warnings]
    seen: set[str] = set()
    frames, catalogs = [], []
    for log in logs:
        own = log.catalog["column"].to_list()
        rename, taken = {}, seen | set(own)
        for column in (c for c in own if c in seen):
            base = f"{column} [{Path(log.sources[0].path).name}"
            name, count = base + "]", 2
            while name in taken:
                name, count = f"{base} {count}]", count + 1
            rename[column] = name
            taken.add(name)
        for old, new in rename.items():
            warnings.append(
                LoadWarning(log.sources[0].path, "column-collision", f"{old!r} also comes from another file: named {new!r}")
            )
        seen.update(rename.get(c, c) for c in own)
        frames.append(log.data.rename(rename).with_columns(pl.int_range(pl.len()).over("time").alias("__k")))
        catalogs.append(log.catalog.with_columns(pl.col("column").replace(rename)))
    data = frames[0]
    for frame in frames[1:]:
        data = data.join(frame, on=["time", "__k"], how="full", coalesce=True)
    data = data.sort("time", "__k").drop("__k")
    sources = tuple(s for part in parts for s in part.sources)
    times = {log.catalog["source"][0]: log.data["time"] for log in logs if log.catalog.height}
    return Capture(
        data=data, catalog=pl.concat(catalogs), sources=sources, warnings=tuple(warnings),
        log_times=times if len(logs) > 1 else {},
    )


def _stack(group: list[Capture]) -> Capture:
    """Pieces of one log (same header) stacked in time order."""
    if len(group) == 1:
        return group[0]
    group = sorted(group, key=lambda c: (c.start is None, c.start))
    names = " + ".join(c.sources[0].path for c in group)
    data = pl.concat([c.data for c in group]).sort("time", maintain_order=True)
    catalog = group[0].catalog.with_columns(source=pl.lit(names))
    return Capture(
        data=data, catalog=catalog, sources=tuple(s for c in group for s in c.sources),
        warnings=tuple(w for c in group for w in c.warnings),
    )
