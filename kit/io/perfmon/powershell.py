"""The long CSV of ``(Get-Counter …).CounterSamples | Export-Csv``: one row per sample and counter.

Columns (any order, any case): ``Path``, ``CookedValue``, ``Timestamp`` are required;
``Status`` (0 = valid) is used when present; the rest are ignored. Windows PowerShell 5.1 writes a
``#TYPE …`` first line and ASCII; PowerShell 7 writes UTF-8 and no ``#TYPE`` line. Values and
timestamps are written with the *culture* of the session, so ``12,5`` decimal commas, ``;``
delimiters (``-UseCulture``) and day-first dates all occur; the timestamp is local time with no
zone. The rows are pivoted to the kit's wide form.

The file is read a block of lines at a time (polars parses each block; only the rows of the
selected counters are kept, as codes and numbers), so memory stays a fraction of the file's size
whatever it holds (``polars.scan_csv`` would first read the whole file into memory). A block
whose rows are not its lines one to one (blank, short, long or cut lines, stray quotes, quoted
line breaks) sends the whole file to the line-accounted exact path of :mod:`kit.io.perfmon.table`,
which names every skipped line.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from dataclasses import replace

import polars as pl

from kit.errors import DataError, HeaderError, LoadWarning
from kit.inputs.capture import Capture
from kit.io.common import CULTURE_FORMATS, LINE, line_list, parse_local, split_fields
from kit.io.perfmon.assemble import bad_timestamps, catalog, finish, not_selected, unique_names
from kit.io.perfmon.paths import counter_filter, parse_counter_path
from kit.io.perfmon.source import ReadOptions, TextSource, decode_lossy
from kit.io.perfmon.table import read_body

REQUIRED = ("path", "cookedvalue", "timestamp")
USED = (*REQUIRED, "status")
_BLOCK = 2 << 20
"""Bytes of data lines parsed at a time: about what the reader holds beyond its result. [bytes]"""
_PIECE = 64 << 10
"""Bytes of a block decoded at a time (under glibc's 128 kB mmap threshold). [bytes]"""


def _fields(header: str) -> tuple[str, list[str]]:
    """(separator, lower-cased header names); the separator is the one that splits most."""
    best = max((",", ";", "\t"), key=lambda sep: len(split_fields(header, sep)))
    return best, [f.strip().lower() for f in split_fields(header, best)]


def is_powershell(header: str) -> bool:
    """True when the header has the Path, CookedValue and Timestamp columns of CounterSamples."""
    _, names = _fields(header)
    return all(name in names for name in REQUIRED)


def read_powershell(
    source: TextSource,
    options: ReadOptions,
) -> Capture:
    """Read a CounterSamples Export-Csv file and pivot it wide (one column per counter path).

    The file has no zone: ``options.bias_minutes`` (UTC = local + bias) applies whenever given,
    so ``options.override_zone`` changes nothing here. With ``options.counters`` only the rows of
    the matching paths are kept (and checked); the others are named in a ``not-selected`` warning.
    """
    name = str(source.path)
    separator, names = _fields(source.header)
    missing = [r for r in REQUIRED if r not in names]
    if missing:
        raise HeaderError(
            f"Export-Csv file lacks column(s) {missing}", path=source.path, line=source.header_line,
            hint="export with (Get-Counter …).CounterSamples | Export-Csv f.csv and keep every column",
        )
    column = {n: i for i, n in reversed(list(enumerate(names)))}  # first of repeated names
    fields = sorted(column[n] for n in USED if n in column)
    # A number with a comma is no number without the swap, so swapping by default reads decimal
    # commas and changes nothing else (a value with a comma and a dot fails either way).
    swap_comma = options.decimal_comma is not False
    samples, body_warnings = _Samples(column, options.counters, name, swap_comma=swap_comma), []
    try:
        for block, block_warnings in _blocks(source, len(names), separator, fields):
            samples.add(block)
            if not body_warnings:  # bytes invalid in the code page: reported from their first line
                body_warnings = block_warnings
    except _NotOneToOne:
        samples = _Samples(column, options.counters, name, swap_comma=swap_comma)
        table, body_warnings = read_body(source, len(names), separator=separator, numeric=False)
        samples.add(table)
    warnings = list(source.warnings) + body_warnings
    ignored = tuple(i + 1 for i, n in enumerate(names) if n not in USED or column[n] != i)
    if ignored:
        warnings.append(
            LoadWarning(
                name, "ignored-columns",
                f"{len(ignored)} column(s) not used (only the first Path, CookedValue, Timestamp "
                f"and Status are): {', '.join(names[i - 1] for i in ignored[:8])}"
                + (" …" if len(ignored) > 8 else ""),
                line=source.header_line, column=ignored[0], skipped_columns=ignored,
            )
        )
    long, fmt, row_warnings = samples.table(names)
    warnings += row_warnings
    total, picked = samples.paths.len(), samples.chosen.len()
    if options.counters is not None and picked < total:
        warnings.append(not_selected(name, options.counters, total - picked, total))
    codes = long["path"].unique(maintain_order=True)
    paths = samples.paths.gather(codes).to_list()
    none_chosen = options.counters is not None and total and not picked  # a capture with no columns
    if not paths and not none_chosen:
        skipped = [w for w in warnings if w.skipped_lines]
        raise DataError(
            "the file holds no readable counter samples"
            + (f"; {skipped[0].message}" if skipped else " (no data rows)"),
            path=source.path, line=skipped[0].line if skipped else source.header_line,
            hint="export samples with (Get-Counter …).CounterSamples | Export-Csv f.csv",
        )
    columns, dup_warnings = unique_names(paths, name, [None] * len(paths))
    warnings.extend(dup_warnings)
    warnings += [
        LoadWarning(name, "not-a-counter-path", f"Path {path!r} is not a counter path; kept with no object")
        for path in paths
        if parse_counter_path(path) is None
    ]
    wide = (
        long.pivot(on="path", index="local", values="value", aggregate_function="first", sort_columns=False)
        .join(long.group_by("local").agg(pl.col(LINE).min()), on="local", how="left")
        .sort(LINE)
    )  # pivoted on the codes: its columns are named "0", "1", …
    wide = wide.select("local", LINE, *[pl.col(str(code)).alias(c) for code, c in zip(codes, columns)])
    bias_minutes = options.bias_minutes
    if bias_minutes is None:
        warnings.append(
            LoadWarning(
                name, "timezone-unknown",
                f"Export-Csv timestamps are local time with no zone (read as {fmt!r}): taken as "
                "UTC; pass utc_offset= with the collecting host's offset",
            )
        )
    capture = finish(
        wide,
        catalog(columns, paths, name),
        source=name,
        bias_minutes=bias_minutes or 0,
        correct_dst=options.correct_dst,
        warnings=warnings,
        samples=long.height,
        info={
            "format": "powershell-csv",
            "encoding": source.codec,
            "encoding_basis": source.encoding_basis,
            "zone_name": None,
            "bias_basis": "user" if bias_minutes is not None else "assumed-utc",
            "separator": separator,
            "header_fields": len(names),
        },
    )
    if none_chosen:  # the not-selected warning says why there is nothing, not a log without data
        capture = replace(capture, warnings=tuple(w for w in capture.warnings if w.code != "no-data"))
    return capture


class _NotOneToOne(Exception):
    """A block's rows are not its lines one to one: only the exact path can say which lines."""


def _blocks(
    source: TextSource, width: int, separator: str, fields: list[int]
) -> Iterator[tuple[pl.DataFrame, list[LoadWarning]]]:
    """The data lines of ``source``, a block at a time, as text columns ``c<field>`` (``fields``
    and the last, which shows a row cut short) and :data:`LINE`, with the warning for bytes invalid
    in the file's code page.

    Raises :class:`_NotOneToOne` on the first block whose rows are not its lines one to one.
    """
    if source.last_line().count(b'"') % 2:  # the file ends inside a quoted field
        raise _NotOneToOne
    schema = {f"c{i}": pl.String for i in range(width)}
    projection = sorted({*fields, width - 1})
    line = source.header_line + 1
    for block in _line_blocks(source):
        lines = block.count(b"\n") + (not block.endswith(b"\n"))
        block, warnings = _utf8(block, source, line)
        try:
            frame = pl.read_csv(
                block, has_header=False, separator=separator, schema=schema, columns=projection,
                raise_if_empty=False, encoding="utf8",
            )
        except (pl.exceptions.PolarsError, pl.exceptions.PanicException):
            raise _NotOneToOne from None
        if frame.height != lines or frame[f"c{width - 1}"].null_count():
            raise _NotOneToOne
        del block
        yield frame.with_columns(pl.int_range(line, line + lines, dtype=pl.Int64).alias(LINE)), warnings
        line += lines


def _line_blocks(source: TextSource) -> Iterator[bytes]:
    """The data lines of ``source`` (in :attr:`TextSource.data_codec`) in blocks of whole lines of
    about :data:`_BLOCK` bytes; the last block may lack its final line break. One block is alive
    at a time."""
    rest = b""
    data = source.data
    with io.BytesIO(data) if isinstance(data, bytes) else data.open("rb") as handle:
        for _ in range(source.header_line):
            handle.readline()
        while chunk := handle.read(_BLOCK):
            cut = chunk.rfind(b"\n") + 1
            if not cut:  # a line longer than a block: read on
                rest += chunk
                continue
            block = b"".join((rest, memoryview(chunk)[:cut]))
            rest = chunk[cut:]
            del chunk
            yield block
            del block
    if rest:
        yield rest


def _utf8(block: bytes, source: TextSource, line: int) -> tuple[bytes, list[LoadWarning]]:
    """``block`` (from ``line`` on) as UTF-8, and the warning for bytes invalid in the file's code
    page (they become U+FFFD).

    Decoded :data:`_PIECE` bytes at a time: a whole block's text, allocated and freed block after
    block, would fragment the C heap by tens of MB.
    """
    if block.isascii():
        return block, []
    codec = source.data_codec
    utf8 = codecs.lookup(codec).name == "utf-8"  # then only checked: the block is the answer
    decoder, view = codecs.getincrementaldecoder(codec)(), memoryview(block)
    try:
        pieces = [decoder.decode(view[at : at + _PIECE], at + _PIECE >= len(block)) for at in range(0, len(block), _PIECE)]
        return block if utf8 else b"".join(piece.encode("utf-8") for piece in pieces), []
    except UnicodeDecodeError:
        text, warnings = decode_lossy(block, codec, source.path, first_line=line)
        return text.encode("utf-8"), warnings


class _Samples:
    """The samples of the selected counters, gathered block by block in compact form: line,
    path and timestamp as codes into the tables of distinct texts, value as a number."""

    def __init__(self, column: dict[str, int], counters: tuple[str, ...] | None, source: str, *, swap_comma: bool) -> None:
        self.column, self.counters, self.source, self.swap_comma = column, counters, source, swap_comma
        self.paths = pl.Series("text", [], pl.String)
        """Every distinct Path, in order of first appearance (its position is its code)."""
        self.chosen = pl.Series("code", [], pl.UInt32)
        """Codes of the paths the counter patterns select."""
        self.stamps = pl.Series("text", [], pl.String)
        """Every distinct Timestamp text, in order of first appearance."""
        self.parts: list[pl.DataFrame] = []
        self.no_path: list[pl.Series] = []
        self.bad_values, self.first_bad = 0, (0, "")
        """CookedValue cells that are not numbers: how many, and the first (line, text)."""
        self.invalid: list[pl.Series] = []

    def add(self, frame: pl.DataFrame) -> None:
        """Take in the rows of ``frame`` (text columns ``c<field>`` and :data:`LINE`)."""
        c = {n: f"c{i}" for n, i in self.column.items()}
        path = frame[c["path"]].str.strip_chars().replace("", None)
        self.no_path.append(frame[LINE].filter(path.is_null()))
        rows = frame.with_columns(path=path).filter(pl.col("path").is_not_null())
        path, self.paths, new = _encode(rows["path"], self.paths)
        rows = rows.with_columns(path=path)
        if self.counters is None:
            self.chosen = pl.int_range(self.paths.len(), dtype=pl.UInt32, eager=True)
        else:  # only the selected rows go on: the others cost no more than their path
            if new.len():
                names, _ = unique_names(self.paths.to_list(), self.source, [None] * self.paths.len())
                matches = catalog(names[-new.len() :], new.to_list(), self.source).select(counter_filter(self.counters))
                first = self.paths.len() - new.len()
                self.chosen = pl.concat([self.chosen, matches.to_series().arg_true().cast(pl.UInt32) + first])
            rows = rows.filter(pl.col("path").is_in(self.chosen.implode()))
        stamp, self.stamps, _ = _encode(rows[c["timestamp"]], self.stamps)
        rows = rows.select(
            LINE,
            "path",
            stamp=stamp,
            text=pl.col(c["cookedvalue"]).str.strip_chars().replace("", None),
            status=pl.col(c["status"]).str.strip_chars() if "status" in c else pl.lit("0"),
        )
        text = pl.col("text").str.replace(",", ".", literal=True) if self.swap_comma else pl.col("text")
        rows = rows.with_columns(
            number=text.cast(pl.Float64, strict=False),
            invalid=pl.col("status").is_not_null() & (pl.col("status") != "0"),
        )
        failed = rows.filter(pl.col("number").is_null() & pl.col("text").is_not_null())
        if failed.height and not self.bad_values:
            self.first_bad = (int(failed[LINE][0]), failed["text"][0])
        self.bad_values += failed.height
        self.invalid.append(rows.filter(pl.col("invalid"))[LINE])
        self.parts.append(
            rows.select(LINE, "path", "stamp", value=pl.when(pl.col("invalid")).then(None).otherwise(pl.col("number")))
        )

    def table(self, names: list[str]) -> tuple[pl.DataFrame, str, list[LoadWarning]]:
        """(the long table of good samples: :data:`LINE`, ``path`` code, ``local`` time, ``value``;
        the timestamp format read; the warnings for every row skipped or blanked)."""
        source, warnings = self.source, []
        no_path = pl.concat(self.no_path).to_list() if self.no_path else []
        if no_path:
            warnings.append(
                LoadWarning(
                    source, "missing-path",
                    f"{len(no_path)} row(s) with an empty Path skipped ({line_list(no_path)})",
                    line=no_path[0], column=names.index("path") + 1, skipped_lines=tuple(no_path),
                )
            )
        if self.bad_values:
            warnings.append(
                LoadWarning(
                    source, "bad-value",
                    f"{self.bad_values} CookedValue cell(s) are not numbers, set to null; first "
                    f"{self.first_bad[1]!r}",
                    line=self.first_bad[0], column=names.index("cookedvalue") + 1,
                )
            )
        invalid = pl.concat(self.invalid) if self.invalid else pl.Series([], dtype=pl.Int64)
        if invalid.len():
            warnings.append(
                LoadWarning(
                    source, "status-not-ok",
                    f"{invalid.len()} sample(s) have a non-zero PDH Status and were set to null",
                    line=int(invalid[0]),
                )
            )
        local, fmt = parse_local(self.stamps, CULTURE_FORMATS)
        # each timestamp text's time, and the code of the first text of that time
        stamps = local.to_frame().with_row_index("time").select("local", pl.col("time").first().over("local"))
        long = pl.concat(self.parts) if self.parts else pl.DataFrame(
            schema={LINE: pl.Int64, "path": pl.UInt32, "stamp": pl.UInt32, "value": pl.Float64}
        )
        long = long.select(LINE, "path", *(stamps[c].gather(long["stamp"]) for c in ("local", "time")), "value")
        warnings += bad_timestamps(
            long.filter(pl.col("local").is_null()), source, column=names.index("timestamp") + 1
        )
        long = long.filter(pl.col("local").is_not_null())
        # one integer per (time, path): hashing it costs a sixth of hashing a struct of the two
        first = (pl.col("time").cast(pl.UInt64) * self.paths.len() + pl.col("path")).is_first_distinct()
        repeated = long.filter(~first)[LINE].to_list()
        if repeated:
            warnings.append(
                LoadWarning(
                    source, "long-format-duplicates",
                    f"{len(repeated)} row(s) repeat the (Timestamp, Path) of an earlier row and were "
                    f"skipped ({line_list(repeated)})",
                    line=repeated[0], skipped_lines=tuple(repeated),
                )
            )
            long = long.filter(first)
        return long.drop("time"), fmt, warnings


def _encode(texts: pl.Series, known: pl.Series) -> tuple[pl.Series, pl.Series, pl.Series]:
    """(``texts`` as UInt32 codes: their positions in ``known`` grown by the texts it lacks, in
    order of first appearance; the grown ``known``; the texts added)."""
    seen = texts.unique(maintain_order=True)
    new = seen.filter(~seen.is_in(known.implode()))
    # copied out of the block (a slice of it would keep the block's whole text buffer alive)
    known = pl.concat([known, pl.Series(known.name, new.to_list(), pl.String)])
    positions = seen.replace_strict(known, pl.int_range(known.len(), dtype=pl.UInt32, eager=True))
    codes = texts.replace_strict(seen, positions).cast(pl.UInt32)  # cast: empty, it stays String
    return codes, known, new
