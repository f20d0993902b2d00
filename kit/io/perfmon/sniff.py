"""Which format a counter log is in, and the reader for it: one table of (sniffer, reader) pairs.

Each format has a cheap sniffer that looks at the decoded header line only, and a reader that
turns the whole file into a one-source :class:`~kit.inputs.capture.Capture`. :func:`read_file`
opens the file (refusing binary formats such as ``.blg`` with the command that converts them),
tries the sniffers in turn (or uses the format asked for) and reads it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from kit.errors import HeaderError, OptionError
from kit.inputs.capture import Capture
from kit.io.perfmon.assemble import keep_selected
from kit.io.perfmon.encoding import SUPPORTED
from kit.io.perfmon.pdh import is_pdh, read_pdh
from kit.io.perfmon.powershell import is_powershell, read_powershell
from kit.io.perfmon.source import ReadOptions, TextSource, open_source


@dataclass(frozen=True)
class Format:
    """A counter-log format the kit reads."""

    name: str
    description: str
    sniff: Callable[[str], bool]
    """True when a decoded header line is of this format."""
    read: Callable[[TextSource, ReadOptions], Capture]
    """The reader: the opened file and the read options → a one-source capture."""
    cuts_columns: bool
    """The reader parses only the columns ``ReadOptions.counters`` selects (else it reads all and
    the selection is applied after)."""


FORMATS: dict[str, Format] = {
    "pdh": Format(
        "pdh", "PDH-CSV / PDH-TSV (relog, typeperf, Data Collector Sets, Export-Counter)", is_pdh, read_pdh, True,
    ),
    "powershell": Format(
        "powershell", "Get-Counter … CounterSamples | Export-Csv (long: one row per counter and time)",
        is_powershell, read_powershell, False,
    ),
}
"""The formats, tried in this order when none is asked for."""


def read_file(path: Path, options: ReadOptions, *, encoding: str | None = None, format: str | None = None) -> Capture:
    """Read one counter log (no cache): sniff its format (or use ``format``, a key of
    :data:`FORMATS`) and run that format's reader with ``options``."""
    if format is not None and format not in FORMATS:
        raise OptionError(f"unknown format {format!r}", hint=f"use one of {', '.join(FORMATS)} (or None to detect it)")
    source = open_source(path, encoding=encoding)
    try:
        return _read(source, options, format)
    finally:
        source.close()


def _read(source: TextSource, options: ReadOptions, format: str | None) -> Capture:
    """Read an opened log with the reader of its format (or ``format``)."""
    path = source.path
    chosen = FORMATS[format] if format is not None else next((f for f in FORMATS.values() if f.sniff(source.header)), None)
    if chosen is None:
        _unknown(source)
    elif not chosen.sniff(source.header):
        raise HeaderError(
            f"the header is not that of the {chosen.name} format asked for: it starts {source.header[:60]!r}",
            path=path, line=source.header_line, hint="leave format=None to detect the format",
        )
    capture = chosen.read(source, options)
    if options.counters is None or chosen.cuts_columns:
        return capture
    return keep_selected(capture, options.counters)


def _unknown(source: TextSource) -> NoReturn:
    """Raise the error for a text file whose header no format knows."""
    header = source.header.lower()
    if "countersamples" in header or "readings" in header:
        raise HeaderError(
            "this Export-Csv holds Get-Counter sample *sets* (Timestamp, Readings, "
            "CounterSamples), whose values are lost", path=source.path, line=source.header_line,
            hint="export the samples instead: (Get-Counter …).CounterSamples | Export-Csv f.csv",
        )
    raise HeaderError(
        f"unknown format: header starts {source.header[:60]!r}", path=source.path,
        line=source.header_line, hint="expected " + SUPPORTED,
    )
