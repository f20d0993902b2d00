"""What every reader shares: input lists, line bookkeeping, CSV fields, local times and UTC offsets.

Perfmon logs and the side inputs (events, topology, pings) are all text written by Windows tools
in the culture of the machine that wrote them; the helpers here read those parts the same way for
every format.
"""

from __future__ import annotations

import csv
import errno
import glob
import os
import sys
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from stat import S_ISFIFO, S_ISREG, S_ISSOCK

import polars as pl

from kit.errors import FileAccessError, InputNotFoundError, KitError, LoadWarning, OptionError, UnsupportedFormatError

BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
"""Byte-order marks and the codecs they announce."""
LINE = "__line"
"""Name of the column holding each row's 1-based line number in the file."""
_MAX_LISTED = 5

PDH_FORMATS = (
    "%m/%d/%Y %H:%M:%S%.f",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S%.f",
    "%d/%m/%Y %H:%M",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y/%m/%d %H:%M:%S%.f",
    "%d.%m.%Y %H:%M:%S%.f",
    "%d.%m.%Y %H:%M",
)
"""Timestamp formats tried in order: PDH's own first, then what spreadsheet re-saves produce."""
CULTURE_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%d.%m.%Y %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
)
"""Timestamp formats of PowerShell's culture-formatted output (Export-Csv, Get-Date), tried in order."""
EARLIEST = datetime(1601, 1, 1)
LATEST = datetime(9999, 1, 1)
"""Sample times outside this range are garbage: Windows clocks start in 1601, and times near the
ends would leave Python's datetime range once the bias is added."""


def parse_local(text: pl.Series, formats: tuple[str, ...] = PDH_FORMATS) -> tuple[pl.Series, str]:
    """Parse timestamp text with the format that reads the most rows (ties: fewest steps back).

    Returns the naive local datetimes (null where unreadable or a day or less from the ends of
    :data:`EARLIEST`…:data:`LATEST`) and the format chosen.
    """
    text = text.str.strip_chars()
    best: tuple[int, int, int] | None = None
    chosen, parsed = formats[0], None
    low, high = EARLIEST + timedelta(days=1), LATEST - timedelta(days=1)
    for rank, fmt in enumerate(formats):
        candidate = text.str.to_datetime(fmt, strict=False, time_unit="us")
        candidate = pl.select(pl.when(candidate.is_between(low, high)).then(candidate)).to_series()
        if parsed is None:
            parsed = candidate  # all null if no format reads anything
        read = candidate.len() - candidate.null_count()
        if read == 0:
            continue
        backwards = int((candidate.drop_nulls().diff().dt.total_microseconds() < 0).sum())
        score = (read, -backwards, -rank)
        if best is None or score > best:
            best, chosen, parsed = score, fmt, candidate
        if read == text.len() - text.null_count() and not backwards:
            break  # every row read in order: no later format can score higher
    return parsed.alias("local"), chosen


def offset_minutes(offset: str | int | timedelta) -> int:
    """Minutes east of UTC from ``"+08:00"``, ``"-0530"``, ``480`` or a timedelta."""
    if isinstance(offset, timedelta):
        minutes = round(offset.total_seconds() / 60)
    elif isinstance(offset, int) and not isinstance(offset, bool):
        minutes = offset
    elif isinstance(offset, str):
        minutes = _parse_offset(offset)
    else:
        raise OptionError(f"utc_offset {offset!r} is not like '+08:00', '-05:30' or minutes")
    if abs(minutes) > 14 * 60:
        raise OptionError(f"utc_offset {offset!r} is outside -14:00…+14:00")
    return minutes


def _parse_offset(offset: str) -> int:
    """Minutes east of UTC from ``"+08:00"``, ``"UTC-0530"``, ``"8"``."""
    text = offset.strip().upper().removeprefix("UTC")
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-").replace(":", "")
    if not digits.isdigit() or len(digits) not in (1, 2, 4):
        raise OptionError(f"utc_offset {offset!r} is not like '+08:00', '-05:30' or minutes")
    hours, minutes = (int(digits), 0) if len(digits) <= 2 else (int(digits[:2]), int(digits[2:]))
    if minutes >= 60:
        raise OptionError(f"utc_offset {offset!r} has {minutes} minutes")
    return sign * (hours * 60 + minutes)


def split_fields(line: str, separator: str) -> list[str]:
    """The fields of one CSV/TSV line (quotes respected; fields of any length)."""
    csv.field_size_limit(sys.maxsize)
    try:
        return next(csv.reader([line], delimiter=separator), [])
    except csv.Error:  # Python 3.10 refuses NUL; a CR far into a huge header is not a line break
        return next(csv.reader([line.replace("\x00", "").replace("\r", " ")], delimiter=separator), [])


QUOTE_LIMIT = 80
"""Characters of a cell quoted in a message; the rest is counted, not shown (a cell may be megabytes)."""


def quote(text: object, limit: int = QUOTE_LIMIT) -> str:
    """``repr`` of a cell for a message, cut to ``limit`` characters.

    >>> quote("x" * 1000, 5)
    "'xxxxx'… (1,000 characters)"
    """
    text = "" if text is None else str(text)
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}… ({len(text):,} characters)"


def line_list(numbers: list[int]) -> str:
    """``lines 3, 4, 9 …``: the first few of ``numbers`` for a message."""
    listed = ", ".join(map(str, numbers[:_MAX_LISTED]))
    return f"line{'s' if len(numbers) > 1 else ''} {listed}" + (" …" if len(numbers) > _MAX_LISTED else "")


def expand_inputs(
    paths: str | Path | Iterable[str | Path], suffixes: tuple[str, ...], *, kind: str | None = None
) -> tuple[list[tuple[Path, bool]], list[LoadWarning]]:
    """([(file, found by listing a folder or pattern)], warnings) from a file, a folder (its files
    whose names end in ``suffixes``), a glob pattern or a list of them, in a stable order.

    Each file is listed once however it is named (a relative and an absolute path, a symbolic
    link, overlapping patterns, another case on a case-insensitive disk: one device and inode),
    the repeats reported. In a folder or pattern, what is not a regular file (a named pipe, a
    dangling or looping link) is reported and left out; named on its own it is an error, as is a
    folder that cannot be listed. ``kind`` names the files a folder should hold in the error when
    it holds none (default: the suffixes).
    """
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    if not items:
        raise OptionError("no files given")
    wrong = [item for item in items if not isinstance(item, (str, Path))]
    if wrong:
        raise OptionError(f"paths must be str or Path, not {type(wrong[0]).__name__}: {wrong[0]!r}")
    files: dict[tuple[int, int], tuple[Path, bool]] = {}
    warnings: list[LoadWarning] = []

    def add(path: Path, listed: bool) -> None:
        try:
            stat = path.stat()
        except OSError as exc:
            if not listed:
                raise _not_a_file(path, exc) from None
            warnings.append(LoadWarning(str(path), "skipped-file", f"{_not_a_file(path, exc).reason}: left out"))
            return
        if not S_ISREG(stat.st_mode):
            error = _not_a_file(path, None)
            if not listed:
                raise error
            warnings.append(LoadWarning(str(path), "skipped-file", f"{error.reason}: left out"))
            return
        identity = (stat.st_dev, stat.st_ino)
        if identity in files:
            first = files[identity][0]
            if first != path:
                warnings.append(LoadWarning(
                    str(path), "named-twice", f"this is the same file as {first} (named twice): read once"))
            return
        files[identity] = (path, listed)

    for item in items:
        path = Path(item)
        if path.is_dir():
            try:
                entries = sorted(path.iterdir())
            except OSError as exc:
                raise FileAccessError(f"cannot list the folder: {exc.strerror or exc}", path=path,
                                      hint="check its permissions") from None
            found = [p for p in entries if p.name.lower().endswith(suffixes) and not p.is_dir()]
            if not found:
                raise InputNotFoundError(f"the folder holds no {kind or '/'.join(suffixes) + ' files'}", path=path)
            for entry in found:
                add(entry, True)
        elif any(ch in str(item) for ch in "*?[") and not path.exists():
            matched = sorted(Path(p) for p in glob.glob(str(item), recursive=True) if not Path(p).is_dir())
            if not matched:
                raise InputNotFoundError("the pattern matches no file", path=str(item))
            for entry in matched:
                add(entry, True)
        else:
            add(path, False)
    return list(files.values()), warnings


def _not_a_file(path: Path, exc: OSError | None) -> KitError:
    """The error for ``path`` that is not a readable regular file (``exc``: what stat raised)."""
    if exc is not None and exc.errno == errno.ELOOP:
        return InputNotFoundError("a symbolic link that loops back on itself", path=path, hint="fix or remove the link")
    if exc is not None and path.is_symlink():
        return InputNotFoundError(f"a symbolic link to {os.readlink(path)}, which does not exist", path=path,
                                  hint="fix or remove the link")
    if exc is not None and not isinstance(exc, FileNotFoundError):
        return FileAccessError(f"cannot read the file: {exc.strerror or exc}", path=path, hint="check its permissions")
    if exc is not None:
        return InputNotFoundError("no such file or folder", path=path)
    mode = path.stat().st_mode
    what = "a named pipe (FIFO)" if S_ISFIFO(mode) else "a socket" if S_ISSOCK(mode) else "a device"
    return UnsupportedFormatError(f"this is {what}, not a file", path=path,
                                  hint="save what it carries to a file and load that")


def detect_bom(head: bytes) -> tuple[str | None, int]:
    """(codec, BOM length) from a byte-order mark or BOM-less UTF-16; (None, 0) otherwise."""
    for bom, codec in BOMS:
        if head.startswith(bom):
            return codec, len(bom)
    return _looks_utf16(head), 0


def _looks_utf16(head: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when the ASCII text has a NUL in every other byte, else None."""
    sample = head[:4096]
    if len(sample) < 8:
        return None
    odd_zero = sample[1::2].count(0) / len(sample[1::2])
    even_zero = sample[0::2].count(0) / len(sample[0::2])
    if odd_zero > 0.9 and even_zero < 0.1:
        return "utf-16-le"
    if even_zero > 0.9 and odd_zero < 0.1:
        return "utf-16-be"
    return None
