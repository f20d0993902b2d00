"""Readers: the only code that opens files. :func:`load` reads counter logs into a capture;
:mod:`kit.io.side` reads the side inputs (events, topology, pings).

* :mod:`kit.io.perfmon`: counter logs — :mod:`~kit.io.perfmon.sniff` (the format table) →
  :mod:`~kit.io.perfmon.source` (bytes, encoding, header) → :mod:`~kit.io.perfmon.table` (rows) →
  :mod:`~kit.io.perfmon.pdh` / :mod:`~kit.io.perfmon.powershell` → :mod:`~kit.io.perfmon.assemble`
  (catalogue, UTC times via :mod:`~kit.io.perfmon.times`, :mod:`~kit.io.perfmon.quality` checks);
  :mod:`~kit.io.perfmon.cache` keeps parsed files as Parquet.
* :mod:`kit.io.side`: :mod:`~kit.io.side.events`, :mod:`~kit.io.side.topology`,
  :mod:`~kit.io.side.pings` (their text decoding in :mod:`~kit.io.side.text`).
* :mod:`kit.io.common`: what every reader shares.
"""

from __future__ import annotations

import codecs
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO, TextIO

import polars as pl
from tqdm.auto import tqdm

from kit.errors import FileAccessError, InputNotFoundError, KitError, LoadWarning, OptionError
from kit.inputs.capture import Capture
from kit.io.common import expand_inputs, offset_minutes
from kit.io.perfmon import archive, cache
from kit.io.perfmon.assemble import keep_selected
from kit.io.perfmon.merge import combine
from kit.io.perfmon.paths import counter_filter
from kit.io.perfmon.sniff import FORMATS, read_file
from kit.io.perfmon.source import ReadOptions

LOG_SUFFIXES = (".csv", ".tsv", ".txt", ".blg")
PROGRESS_DELAY_S = 1.0
"""A load shows a progress bar only once it has taken this long (unless asked). [s]"""
_TICK_S = 0.25

PathLike = str | Path
Stream = BinaryIO | TextIO


def load(
    paths: PathLike | Stream | Iterable[PathLike],
    *,
    format: str | None = None,
    encoding: str | None = None,
    utc_offset: str | int | timedelta | None = None,
    override_zone: bool = False,
    correct_dst: bool = True,
    decimal_comma: bool | None = None,
    counters: str | Sequence[str] | None = None,
    cache_results: bool = True,
    progress: bool | None = None,
) -> Capture:
    r"""Load one or more counter logs (files, folders, glob patterns or an open file) into one
    :class:`~kit.inputs.capture.Capture`.

    Reads PDH-CSV/TSV (relog, typeperf, Data Collector Sets, Export-Counter) and the long CSV of
    ``Get-Counter | … CounterSamples | Export-Csv``. Every counter column and data row ends up in
    the capture or, with the reason, in ``capture.warnings``.

    Parameters
    ----------
    paths
        A file, a folder (its ``.csv``/``.tsv``/``.txt`` files), a glob pattern, a list of them,
        or a file-like object open for reading (its ``name``, if any, names it in messages).
    format
        ``"pdh"`` or ``"powershell"`` (:data:`kit.io.perfmon.sniff.FORMATS`); None: detected
        from each file's header.
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
        :func:`kit.io.perfmon.paths.counter_filter`), e.g. ``[r"\Network Interface(*)\Bytes*",
        r"\Processor Information(*)\% DPC Time"]``. Only those columns are parsed from a CSV,
        or read from a cached file; the rest are named in a ``not-selected`` warning per file.
        A file with no matching counter adds nothing but that warning.
    cache_results
        Reuse / store parsed files in the Parquet cache (:mod:`kit.io.perfmon.cache`). A load
        with ``counters`` reads a cached file's columns but never stores a partial one.
    progress
        ``None``: a progress bar (bytes of the files, the file and what is being done with it,
        time elapsed) appears once loading takes over 1 s; ``True``: at once; ``False``: never.
    """
    if _is_stream(paths):
        return _load_stream(paths, format=format, encoding=encoding, utc_offset=utc_offset,
                            override_zone=override_zone, correct_dst=correct_dst, decimal_comma=decimal_comma,
                            counters=counters, cache_results=cache_results, progress=progress)
    bias = None if utc_offset is None else -offset_minutes(utc_offset)
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except (LookupError, TypeError):
            raise OptionError(f"unknown encoding {encoding!r}", hint="e.g. cp1252, cp1251, cp932, utf-16") from None
    if format is not None and format not in FORMATS:
        raise OptionError(f"unknown format {format!r}", hint=f"use one of {', '.join(FORMATS)} (or None to detect it)")
    if counters is not None:
        counters = (counters,) if isinstance(counters, str) else tuple(counters)
        counter_filter(counters)  # a malformed pattern fails here, before any file is read
    files, notes = expand_inputs(paths, LOG_SUFFIXES + archive.ARCHIVE_SUFFIXES, kind=".csv/.tsv/.txt counter logs")
    options = {
        "encoding": encoding,
        "bias": bias,
        "override": override_zone,
        "dst": correct_dst,
        "decimal_comma": decimal_comma,
        "format": format,
    }
    parts, skipped = [], []
    with _Progress([path for path, _ in files], progress) as bar:
        for path, listed in files:
            try:
                parts += _load_path(path, options, cache_results, counters, bar.phase)
            except KitError as exc:
                if not listed:
                    raise
                skipped.append(_skipped(path, exc))
            bar.done(path)
    notes += skipped
    if not parts:
        raise InputNotFoundError(
            f"none of the {len(files) or len(notes)} files found could be read: {notes[0].message}", path=notes[0].source,
            hint="name a file on its own to see its error in full",
        )
    parts = _one_cache_warning(parts)
    if counters is None:
        capture = combine(parts)
        return replace(capture, warnings=tuple(notes) + capture.warnings)
    found = [part for part in parts if part.catalog.height]
    if not found:
        raise OptionError(
            f"no counter in {len(files)} file(s) matches counters={list(counters)}",
            hint="list a file's counters with: python -m kit info FILE",
        )
    capture = combine(found)
    missed = tuple(w for part in parts if not part.catalog.height for w in part.warnings)
    return replace(capture, warnings=tuple(notes) + capture.warnings + missed)


def expand(paths: PathLike | Iterable[PathLike]) -> list[Path]:
    """The files named by ``paths`` (files, folders, glob patterns), in a stable order, each once."""
    return [path for path, _ in expand_inputs(paths, LOG_SUFFIXES + archive.ARCHIVE_SUFFIXES)[0]]


class _Progress:
    """A load's progress bar: bytes of the files done, the current file and its phase (hashing,
    parsing, …) in the postfix; a ticker thread keeps the elapsed time moving while one big file
    is parsed, and shows the bar once the load has taken :data:`PROGRESS_DELAY_S`."""

    def __init__(self, paths: list[Path], progress: bool | None) -> None:
        self._sizes = {p: _size(p) for p in paths}
        self._delay = 0.0 if progress else PROGRESS_DELAY_S
        self._bar = tqdm(total=sum(self._sizes.values()), unit="B", unit_scale=True, desc="loading",
                         disable=progress is False, delay=self._delay)
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, daemon=True, name="kit-progress")
        if progress is not False:
            self._ticker.start()

    def _tick(self) -> None:
        started = time.monotonic()
        while not self._stop.wait(_TICK_S):
            if time.monotonic() - started >= self._delay:
                self._bar.refresh()

    def phase(self, path: Path, what: str) -> None:
        """Say what is being done with ``path`` (shown at the next tick)."""
        size = tqdm.format_sizeof(self._sizes.get(path, 0), "B")
        self._bar.set_postfix_str(f"{path.name} ({size}): {what}", refresh=False)

    def done(self, path: Path) -> None:
        """``path`` is read: its bytes count as done."""
        self._bar.update(self._sizes.get(path, 0))

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._ticker.is_alive():
            self._ticker.join()
        self._bar.close()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _skipped(path: Path, exc: KitError) -> LoadWarning:
    """The warning for a file found in a folder or by a pattern that cannot be read."""
    hint = f" ({exc.hint})" if exc.hint else ""
    where = f", line {exc.line}" if exc.line else ""
    return LoadWarning(str(path), "skipped-file", f"{type(exc).__name__}{where}: {exc.reason}{hint}: left out",
                       line=exc.line)


def _is_stream(paths: object) -> bool:
    return hasattr(paths, "read") and not isinstance(paths, (str, Path))


def _load_stream(stream: Stream, **options: object) -> Capture:
    """:func:`load` of an open file: its bytes are spooled to a temporary file (the readers
    parse files), and every name in the capture is the stream's own."""
    data = stream.read()
    if isinstance(data, str):
        data = data.encode("utf-8")
    name = str(getattr(stream, "name", "<stream>"))
    suffix = Path(name).suffix if Path(name).suffix.lower() in LOG_SUFFIXES else ".csv"
    handle, spooled = tempfile.mkstemp(suffix=suffix, prefix="kit-stream-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        return _named(lambda: load(spooled, **options), spooled, name)
    finally:
        Path(spooled).unlink(missing_ok=True)


def _named(read: Callable[[], Capture], spooled: str, name: str) -> Capture:
    """``read()`` of a temporary file ``spooled`` with ``name`` in its place everywhere (errors too)."""
    try:
        capture = read()
    except KitError as exc:
        path = name if exc.path == spooled else exc.path
        raise type(exc)(exc.reason, path=path, line=exc.line, column=exc.column, hint=exc.hint) from None
    return _renamed(capture, spooled, name)


def _renamed(capture: Capture, old: str, new: str) -> Capture:
    """``capture`` with its one source file ``old`` called ``new`` everywhere."""
    return replace(
        capture,
        catalog=capture.catalog.with_columns(source=pl.col("source").replace(old, new)),
        sources=tuple(replace(s, path=new) if s.path == old else s for s in capture.sources),
        warnings=tuple(replace(w, source=new) if w.source == old else w for w in capture.warnings),
        log_times={new if k == old else k: v for k, v in capture.log_times.items()},
    )


Phase = Callable[[Path, str], None]
"""Told what is being done with a file, for the progress bar."""


def _quiet(path: Path, what: str) -> None:
    """A :data:`Phase` that shows nothing."""


def _load_path(
    path: Path, options: dict, use_cache: bool, counters: tuple[str, ...] | None, phase: Phase = _quiet
) -> list[Capture]:
    """The capture of one file, or of each log in an archive (:mod:`kit.io.perfmon.archive`)."""
    try:
        kind = archive.kind(path)
    except OSError as exc:
        raise _access_error(path, exc) from None
    if kind is None:
        return [_load_file(path, options, use_cache, counters, phase=phase)]
    parts = []
    for name in archive.members(path, kind):
        phase(path, f"decompressing {Path(name).name}")
        with archive.extracted(path, kind, name) as spooled:
            parts.append(_named(lambda: _load_file(spooled, options, use_cache, counters, remember=False,
                                                    phase=lambda _, what: phase(path, what)),
                                str(spooled), name))
    return parts


def _load_file(
    path: Path, options: dict, use_cache: bool, counters: tuple[str, ...] | None, *, remember: bool = True,
    phase: Phase = _quiet,
) -> Capture:
    try:
        return _load_cached(path, options, use_cache, counters, remember, phase)
    except KitError:
        raise
    except OSError as exc:
        raise _access_error(path, exc) from None


def _access_error(path: Path, exc: OSError) -> FileAccessError:
    return FileAccessError(
        f"cannot read the file: {exc.strerror or exc}", path=path,
        hint="check permissions; if a Data Collector Set is still writing it, stop it or copy the file",
    )


def _load_cached(
    path: Path, options: dict, use_cache: bool, counters: tuple[str, ...] | None, remember: bool, phase: Phase
) -> Capture:
    read_options = ReadOptions(
        options["bias"], options["override"], options["dst"], options["decimal_comma"], counters
    )
    if not use_cache:
        phase(path, "parsing")
        return read_file(path, read_options, encoding=options["encoding"], format=options["format"])
    phase(path, "looking in the cache")
    session = cache.Session(path, options, remember=remember)
    capture = session.read(select=None if counters is None else counter_filter(counters))
    if capture is not None:
        capture = capture if counters is None else keep_selected(capture, counters)
    else:
        phase(path, "parsing")
        capture = read_file(path, read_options, encoding=options["encoding"], format=options["format"])
        if counters is None:
            capture = session.store(capture)
    return replace(capture, warnings=capture.warnings + session.warnings())


def _one_cache_warning(parts: list[Capture]) -> list[Capture]:
    """``parts`` with their ``cache-problem`` warnings made one (on the first part that had one):
    a read-only cache folder is one problem, not one per file."""
    problems = [(i, w) for i, part in enumerate(parts) for w in part.warnings if w.code == "cache-problem"]
    if len(problems) < 2:
        return parts
    first, warning = problems[0]
    others = len({i for i, _ in problems}) - 1
    warning = replace(warning, message=f"{warning.message} (and {others} other file{'s' if others > 1 else ''})")
    return [
        replace(part, warnings=tuple(
            w for w in part.warnings if w.code != "cache-problem") + ((warning,) if i == first else ()))
        for i, part in enumerate(parts)
    ]
