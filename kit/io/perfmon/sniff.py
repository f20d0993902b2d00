"""Which format a counter log is in, and the reader for it: one table of (sniffer, reader) pairs.

Each text format has a cheap sniffer that looks at the decoded header line only, and a reader that
turns the whole file into a one-source :class:`~kit.inputs.capture.Capture`. A binary format
(the perfmon binary log, ``.blg``) is recognised by the structure of its first bytes (or its
suffix, so that a damaged one gets the binary reader's error naming the offset) before any text
decoding. :func:`read_file` tries the sniffers in turn (or uses the format asked for) and reads it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from kit.errors import HeaderError, OptionError
from kit.inputs.capture import Capture
from kit.io.perfmon.assemble import keep_selected
from kit.io.perfmon.blg import is_blg, read_blg
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


@dataclass(frozen=True)
class BinaryFormat:
    """A binary counter-log format the kit reads (sniffed from the file's first bytes)."""

    name: str
    description: str
    sniff: Callable[[bytes], bool]
    """True when the file's first bytes are of this format."""
    suffix: str
    """Files with this suffix go to this reader even when the sniffer fails (it says what is wrong)."""
    read: Callable[[Path, ReadOptions], Capture]
    cuts_columns: bool


BINARY_HEAD = 4096
"""Bytes of a file the binary sniffers look at."""

FORMATS: dict[str, Format | BinaryFormat] = {
    "pdh": Format(
        "pdh", "PDH-CSV / PDH-TSV (relog, typeperf, Data Collector Sets, Export-Counter)", is_pdh, read_pdh, True,
    ),
    "powershell": Format(
        "powershell", "Get-Counter … CounterSamples | Export-Csv (long: one row per counter and time)",
        is_powershell, read_powershell, True,
    ),
    "blg": BinaryFormat("blg", "binary perfmon log (.blg: Data Collector Sets, logman, relog -f bin)", is_blg, ".blg",
                        read_blg, True),
}
"""The formats, tried in this order when none is asked for."""


def read_file(path: Path, options: ReadOptions, *, encoding: str | None = None, format: str | None = None) -> Capture:
    """Read one counter log (no cache): sniff its format (or use ``format``, a key of
    :data:`FORMATS`) and run that format's reader with ``options``."""
    if format is not None and format not in FORMATS:
        raise OptionError(f"unknown format {format!r}", hint=f"use one of {', '.join(FORMATS)} (or None to detect it)")
    binary = _binary(path, format)
    if binary is not None:
        capture = binary.read(path, options)
        return capture if options.counters is None or binary.cuts_columns else keep_selected(capture, options.counters)
    source = open_source(path, encoding=encoding)
    try:
        return _read(source, options, format)
    finally:
        source.close()


def _read(source: TextSource, options: ReadOptions, format: str | None) -> Capture:
    """Read an opened log with the reader of its format (or ``format``)."""
    path = source.path
    texts = {key: f for key, f in FORMATS.items() if isinstance(f, Format)}
    chosen = texts[format] if format is not None else next((f for f in texts.values() if f.sniff(source.header)), None)
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


def _binary(path: Path, format: str | None) -> BinaryFormat | None:
    """The binary format of ``path`` (by its first bytes, or its suffix), or None for text. A text
    format asked for on a binary file is an error."""
    with path.open("rb") as handle:
        head = handle.read(BINARY_HEAD)
    binaries = [f for f in FORMATS.values() if isinstance(f, BinaryFormat)]
    found = next((f for f in binaries if f.sniff(head)), None)
    if format is not None:
        asked = FORMATS[format]
        if isinstance(asked, BinaryFormat):
            return asked
        if found is not None:
            raise HeaderError(
                f"the file is a {found.description}, not of the {asked.name} format asked for", path=path,
                hint="leave format=None to detect the format",
            )
        return None
    return found or next((f for f in binaries if path.suffix.lower() == f.suffix), None)


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
