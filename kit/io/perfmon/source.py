"""Open a text log: refuse binary formats, settle the encoding, find and decode the header line.

Only the head of the file is read here. The body is later parsed straight from the file by polars
(PDH data rows are ASCII numbers whatever the code page), except for UTF-16 files, transcoded to
UTF-8 in memory block by block, and files whose lines end in a lone CR, whose line breaks are made
LF in memory.
"""

from __future__ import annotations

import codecs
import io
import mmap
import os
import re
import tempfile
from contextlib import nullcontext
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path

import numpy as np

from kit.errors import HeaderError, LoadWarning
from kit.io.common import detect_bom
from kit.io.perfmon.encoding import SUPPORTED, decode_header, double_encoded, garbled, refuse_binary

_CHUNK = 1 << 20
_MAX_HEADER = 256 << 20
_BLOCK = 16 << 20
"""Bytes of UTF-16 transcoded at a time (even, so that blocks start on a code unit)."""
_BLANK = " \t\r\n\x0b\x0c\x00"
"""What a blank line before the header may hold (ASCII white space and NUL)."""
_LINE_BREAK = re.compile(rb"\r\n?")


@dataclass(frozen=True)
class ReadOptions:
    """How a reader turns a file's cells and local times into a capture."""

    bias_minutes: int | None = None
    """UTC = local + bias; used where the file has no zone, or always with ``override_zone``. [min]"""
    override_zone: bool = False
    correct_dst: bool = True
    decimal_comma: bool | None = None
    """Read ``12,5`` as 12.5; None: decided from the file."""
    counters: tuple[str, ...] | None = None
    """Read only the counters matching these patterns (:func:`kit.paths.counter_filter`)."""


@dataclass(frozen=True)
class TextSource:
    """A text log ready to parse: its decoded header and where its data rows start."""

    path: Path
    codec: str
    encoding_basis: str
    header: str
    header_line: int
    preamble: tuple[str, ...]
    body: bytes | None
    """The whole file (without BOM) as UTF-8 when its line breaks had to be rewritten (lone CRs)
    or it holds several runs, else ``None``. Line breaks are LF or CRLF as in the file; a file with
    a lone CR has them all made LF."""
    warnings: tuple[LoadWarning, ...]
    spool: Path | None = None
    """A temporary UTF-8 copy of a file that had to be transcoded (UTF-16), which polars reads
    from disk as it reads any file (the text is not held in memory beside the parsed frame);
    removed by :meth:`close`."""

    @property
    def data_codec(self) -> str:
        """Codec of the data rows as polars will see them."""
        return "utf-8" if self.body is not None or self.spool is not None else self.codec.replace("-sig", "")

    @property
    def data(self) -> bytes | Path:
        """What the parsers read: the rewritten text, the UTF-8 copy or the file itself."""
        return self.body if self.body is not None else self.spool or self.path

    def read_all(self) -> bytes:
        """The whole file as bytes in :attr:`data_codec`."""
        return self.data if isinstance(self.data, bytes) else self.data.read_bytes()

    def last_line(self) -> bytes:
        """The bytes after the file's last LF (empty when it ends with a line break)."""
        if self.body is not None:
            return self.body[self.body.rfind(b"\n") + 1 :]
        with self.data.open("rb") as handle:
            end = handle.seek(0, 2)
            tail = b""
            while end > 0 and b"\n" not in tail:
                start = max(0, end - _CHUNK)
                handle.seek(start)
                tail = handle.read(end - start) + tail
                end = start
        return tail.rpartition(b"\n")[2]

    def close(self) -> None:
        """Remove the temporary UTF-8 copy, if any."""
        if self.spool is not None:
            self.spool.unlink(missing_ok=True)


def open_source(path: Path, *, encoding: str | None = None) -> TextSource:
    """Read the head of ``path`` and return its :class:`TextSource`.

    Raises :class:`~kit.errors.UnsupportedFormatError` for binary files and
    :class:`~kit.errors.HeaderError` when there is no header line. A file whose lines end in a
    lone CR (classic Mac, some exporters) is read whole and its line breaks made LF.
    """
    with path.open("rb") as handle:
        head = handle.read(_CHUNK)
        refuse_binary(head, path)
        bom_codec, bom_length = detect_bom(head)
        codec = encoding or bom_codec
        family = (codec or "").lower().replace("_", "-").replace("utf16", "utf-16")
        if family == "utf-16":  # byte order from the BOM, else little-endian as Windows writes
            codec = bom_codec if bom_codec and bom_codec.startswith("utf-16") else "utf-16-le"
        if family.startswith("utf-16"):
            spool, warnings = _transcode(path, bom_length, codec.replace("-sig", ""))
            basis = "requested" if encoding else "bom" if bom_length else "nul-pattern"
            try:
                return _from_spool(path, spool, codec, basis, warnings)
            except BaseException:
                spool.unlink(missing_ok=True)
                raise
        if head.endswith(b"\r"):  # is it CRLF cut by the chunk, or a lone CR?
            head += handle.read(1)
        lone_cr = _has_lone_cr(head)
        if lone_cr:
            head = _LINE_BREAK.sub(b"\n", head + handle.read())
        while head.count(b"\n") < 3 and len(head) < _MAX_HEADER:
            more = handle.read(_CHUNK)
            if not more:
                break
            head += more
    lines = head[bom_length:].split(b"\n")
    index, preamble = _skip_preamble([line.decode("latin-1") for line in lines[:50]])
    if index >= len(lines):
        raise HeaderError("the file holds no header line", path=path, hint="expected " + SUPPORTED)
    raw_header = lines[index].rstrip(b"\r")
    if bom_codec == "utf-8-sig" and not encoding:
        text, warnings = decode_lossy(raw_header, "utf-8", path, first_line=index + 1)
        chosen, basis = "utf-8-sig", "bom"
    else:
        text, chosen, basis = decode_header(raw_header, path, requested=encoding)
        warnings = []
    warnings += _mojibake(text, path, index + 1)
    if basis == "requested" and garbled(text):
        warnings.append(
            LoadWarning(
                str(path), "encoding-doubt",
                f"the header read as the requested {chosen} looks garbled (words mixing scripts or "
                "cases): is that the code page of the system that wrote the file?", line=index + 1,
            )
        )
    if basis == "fallback":
        warnings.append(
            LoadWarning(
                str(path), "encoding-guess",
                f"the header is not UTF-8 and no code page matched known counter names; read as "
                f"{chosen}. If names look garbled, pass encoding= (e.g. cp1251, cp932)", line=index + 1,
            )
        )
    body = None
    if lone_cr:
        body_text, more = decode_lossy(head[bom_length:], chosen.replace("-sig", ""), path)
        body, warnings = body_text.encode("utf-8"), warnings + more
    return TextSource(path, chosen, basis, text, index + 1, tuple(preamble), body, tuple(warnings))


_RUN_HEADER = re.compile(rb'\n[ \t]*"?\((?:PDH-CSV|PDH-TSV) [\d.]+\)')
"""A header line after the first: relog and Data Collector Sets append a new run to a log this way."""
_RUN_MARK = b"(PDH-"


def _run_starts(data: bytes | mmap.mmap) -> list[int]:
    """Offsets of the header lines after the first in ``data`` (memchr-speed ``find`` for the
    marker, the regex only where it occurs: a scan at several GB/s)."""
    starts, at = [], data.find(_RUN_MARK, 1)
    while at != -1:
        line = data.rfind(b"\n", max(0, at - 64), at)
        if line != -1 and _RUN_HEADER.match(data[line : at + 32]) and (not starts or starts[-1] != line + 1):
            starts.append(line + 1)  # once, however many markers the line holds
        at = data.find(_RUN_MARK, at + 1)
    return starts


def _line_end(data: bytes | mmap.mmap, line: int) -> int:
    """Offset just after the break that ends 1-based ``line`` of ``data`` (its length if none)."""
    at = -1
    for _ in range(line):
        at = data.find(b"\n", at + 1)
        if at == -1:
            return len(data)
    return at + 1


def runs(source: TextSource) -> list[TextSource]:
    """``source`` split where a later header line starts another run (relog ``-a``, a Data
    Collector Set restarted on one file): one :class:`TextSource` per run, each with its own
    header, its rows' line numbers those of the file. A file of one run is ``[source]``.

    Only PDH text is searched (the bytes of a header are ASCII in every code page it is written
    in), with a memory-mapped scan; a file of several runs is then held in memory, one run at a time.
    """
    if source.body is not None:
        data = source.body
        head_end = _line_end(data, source.header_line)
        starts = [s for s in _run_starts(data) if s >= head_end]
    else:
        with source.data.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            head_end = _line_end(mapped, source.header_line)
            starts = [s for s in _run_starts(mapped) if s >= head_end]  # not the first header, after a preamble
            data = mapped[:] if starts else b""
    if not starts:
        return [source]
    codec = source.data_codec
    bounds = [head_end, *starts, len(data)]
    out = [replace(source, body=_as_utf8(b"\n" * source.header_line + data[head_end : starts[0]], codec))]
    line = source.header_line + data[head_end : starts[0]].count(b"\n") + 1
    for begin, end in zip(bounds[1:-1], bounds[2:]):
        chunk = data[begin:end]
        raw = chunk.split(b"\n", 1)[0].rstrip(b"\r")
        if source.spool is not None or source.body is not None:  # transcoded to UTF-8 already
            header, run_codec, basis = raw.decode("utf-8", errors="replace"), "utf-8", source.encoding_basis
        else:  # each run's header decoded on its own (an ASCII first header says nothing of the code page)
            requested = source.codec if source.encoding_basis == "requested" else None
            header, run_codec, basis = decode_header(raw, source.path, requested=requested)
        out.append(replace(source, header=header, header_line=line, preamble=(), warnings=(), codec=run_codec,
                           encoding_basis=basis, body=_as_utf8(b"\n" * (line - 1) + chunk, run_codec)))
        line += chunk.count(b"\n")
    return out


def _as_utf8(data: bytes, codec: str) -> bytes:
    """``data`` in ``codec`` as UTF-8 (the codec of every :attr:`TextSource.body`)."""
    return data if codec.replace("-", "").lower() in ("utf8", "ascii") else data.decode(codec, errors="replace").encode()


def decode_lossy(
    raw: bytes, codec: str, path: Path, *, first_line: int = 1
) -> tuple[str, list[LoadWarning]]:
    """``raw`` (starting at line ``first_line`` of the file) as text; bytes invalid in ``codec``
    become U+FFFD, reported with their line."""
    try:
        return raw.decode(codec), []
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].decode(codec, errors="replace").count("\n") + first_line
    return raw.decode(codec, errors="replace"), [_undecodable(path, codec, line)]


def _undecodable(path: Path, codec: str, line: int) -> LoadWarning:
    """The warning for bytes invalid in ``codec`` from 1-based ``line`` on."""
    return LoadWarning(
        str(path), "undecodable-bytes",
        f"bytes that are not valid {codec} (from line {line} on) were replaced by U+FFFD; "
        "if text looks garbled, pass encoding= with the file's code page (a file cut off "
        "in the middle of a character also shows this)",
        line=line,
    )


def _transcode(path: Path, skip: int, codec: str) -> tuple[Path, list[LoadWarning]]:
    """The file after its first ``skip`` bytes (UTF-16 in ``codec``) written as UTF-8 to a
    temporary file (returned; the caller removes it), line breaks unchanged.

    The file is memory-mapped and released block by block; blocks of ASCII code units are
    narrowed by numpy straight to the output, the others (a localized header, a character cut by
    a block edge) go through an incremental decoder. Code units that are not valid UTF-16 become
    U+FFFD, the first reported with its line. Memory stays at a block or two whatever the size.
    """
    size = path.stat().st_size - skip
    units = np.dtype(">u2" if codecs.lookup(codec).name.endswith("-be") else "<u2")
    decoder = codecs.getincrementaldecoder(codec)()
    handle_out, name = tempfile.mkstemp(prefix="kit-utf8-", suffix=".csv")
    spool = Path(name)
    warnings: list[LoadWarning] = []
    try:
        with os.fdopen(handle_out, "wb") as out:

            def decode(block: bytes, final: bool = False) -> None:
                """Write ``block`` decoded; on the first invalid code unit, warn and decode leniently."""
                try:
                    text = decoder.decode(block, final)
                except UnicodeDecodeError as exc:
                    before = exc.object[: exc.start].decode(codec, errors="replace").count("\n")
                    out.flush()
                    warnings.append(_undecodable(path, codec, _lines_in(spool) + before + 1))
                    decoder.errors = "replace"
                    text = decoder.decode(block, final)
                out.write(text.encode("utf-8"))

            end = skip + size - size % 2
            with path.open("rb") as handle:
                if end > skip:
                    with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                        for start in range(skip, end, _BLOCK):
                            block = np.frombuffer(mapped, units, count=min(_BLOCK, end - start) // 2, offset=start)
                            if not decoder.getstate()[0] and block.max() < 0x80:
                                out.write(block.astype(np.uint8))
                            else:
                                decode(block.tobytes())
                            del block  # the map cannot close while a view of it lives
                            if hasattr(mapped, "madvise") and hasattr(mmap, "MADV_DONTNEED"):
                                first = start - start % mmap.PAGESIZE  # done with these pages
                                mapped.madvise(mmap.MADV_DONTNEED, first, min(start + _BLOCK, end) - first)
                if size % 2:  # a last character cut in two: its odd byte goes to the decoder, which reports it
                    handle.seek(-1, 2)
                    decode(handle.read(1))
            decode(b"", final=True)
    except BaseException:
        spool.unlink(missing_ok=True)
        raise
    return spool, warnings


def _lines_in(path: Path) -> int:
    """Line breaks in the file ``path``."""
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(_BLOCK), b""))


def _from_spool(path: Path, spool: Path, codec: str, basis: str, warnings: list[LoadWarning]) -> TextSource:
    """The :class:`TextSource` of a file transcoded to the UTF-8 file ``spool`` (UTF-16)."""
    with spool.open("rb") as handle:
        size = handle.seek(0, 2)
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else nullcontext(b"") as mapped:
            lone_cr = _has_lone_cr(mapped)
            body = _LINE_BREAK.sub(b"\n", mapped[:]) if lone_cr else None
    if body is not None:
        spool.unlink()
        spool = None
    with io.BytesIO(body) if body is not None else spool.open("rb") as handle:
        head = list(islice(handle, 51))  # the lines _skip_preamble may look at
    lines = [line.removesuffix(b"\n").removesuffix(b"\r").decode("utf-8") for line in head]
    index, preamble = _skip_preamble(lines[:50])
    if index >= len(lines):
        raise HeaderError("the file holds no header line", path=path, hint="expected " + SUPPORTED)
    header = lines[index]
    warnings = _mojibake(header, path, index + 1) + warnings
    return TextSource(path, codec, basis, header, index + 1, tuple(preamble), body, tuple(warnings), spool)


def _has_lone_cr(data: bytes | mmap.mmap) -> bool:
    """True when ``data`` holds a CR that no LF follows (classic Mac line breaks). Numpy, block by
    block: 2.5 × faster than a regex search over a multi-GB transcoded file."""
    if len(data) and data[-1:] == b"\r":
        return True
    view = np.frombuffer(data, np.uint8)
    for start in range(0, len(view), _BLOCK):
        cr = np.flatnonzero(view[start : start + _BLOCK] == 13) + start
        if (view[cr + 1] != 10).any():
            return True
    return False


def _mojibake(header: str, path: Path, line: int) -> list[LoadWarning]:
    """A warning when the header looks double-encoded (UTF-8 read as a code page, saved again)."""
    found = double_encoded(header)
    if found is None:
        return []
    codec, word, meant = found
    return [
        LoadWarning(
            str(path), "mojibake",
            f"the header looks like UTF-8 text that was once read as {codec} and saved again "
            f"({word!r} stands for {meant!r}): names will not match; use the file as the "
            "collector wrote it", line=line,
        )
    ]


def _skip_preamble(lines: list[str]) -> tuple[int, list[str]]:
    """Index of the header line, skipping blank lines (typeperf) and ``#TYPE`` (Export-Csv)."""
    preamble = []
    for index, line in enumerate(lines):
        stripped = line.strip(_BLANK)
        if stripped and not stripped.startswith("#"):
            return index, preamble
        preamble.append(line.rstrip("\r"))
    return len(lines), preamble
