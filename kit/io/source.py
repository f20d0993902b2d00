"""Open a text log: refuse binary formats, settle the encoding, find and decode the header line.

Only the head of the file is read here. The body is later parsed straight from the file by polars
(PDH data rows are ASCII numbers whatever the code page), except for UTF-16 files, which are
transcoded to UTF-8 in memory once.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

from kit.errors import FileEncodingError, HeaderError, LoadWarning
from kit.io.encoding import SUPPORTED, decode_header, detect_bom, refuse_binary

_CHUNK = 1 << 20
_MAX_HEADER = 256 << 20


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
    """The whole file as UTF-8 when it had to be transcoded (UTF-16), else ``None``."""
    warnings: tuple[LoadWarning, ...]

    @property
    def data_codec(self) -> str:
        """Codec of the data rows as polars will see them."""
        return "utf-8" if self.body is not None else self.codec.replace("-sig", "")

    def read_all(self) -> bytes:
        """The whole file as bytes in :attr:`data_codec`."""
        return self.body if self.body is not None else self.path.read_bytes()


def open_source(path: Path, *, encoding: str | None = None) -> TextSource:
    """Read the head of ``path`` and return its :class:`TextSource`.

    Raises :class:`~kit.errors.UnsupportedFormatError` for binary files and
    :class:`~kit.errors.HeaderError` when there is no header line.
    """
    with path.open("rb") as handle:
        head = handle.read(_CHUNK)
        refuse_binary(head, path)
        bom_codec, bom_length = detect_bom(head)
        codec = encoding or bom_codec
        if codec and codec.lower().replace("_", "-").startswith("utf-16"):
            head += handle.read()
            return _from_text(path, _decode_all(head, codec, bom_length, path), codec, bom_codec)
        while head.count(b"\n") < 3 and len(head) < _MAX_HEADER:
            more = handle.read(_CHUNK)
            if not more:
                break
            head += more
    lines = head[bom_length:].split(b"\n")
    index, preamble = _skip_preamble([line.decode("latin-1") for line in lines[:50]])
    if index >= len(lines) or (index == len(lines) - 1 and not lines[index].strip()):
        raise HeaderError("the file holds no header line", path=path, hint="expected " + SUPPORTED)
    raw_header = lines[index].rstrip(b"\r")
    text, chosen, basis = decode_header(raw_header, path, requested=encoding)
    if bom_codec == "utf-8-sig" and not encoding:
        chosen, basis = "utf-8-sig", "bom"
    warnings = []
    if basis == "fallback":
        warnings.append(
            LoadWarning(
                str(path), "encoding-guess",
                f"the header is not UTF-8 and no code page matched known counter names; read as "
                f"{chosen}. If names look garbled, pass encoding= (e.g. cp1251, cp932)", line=index + 1,
            )
        )
    return TextSource(path, chosen, basis, text, index + 1, tuple(preamble), None, tuple(warnings))


def split_fields(line: str, separator: str) -> list[str]:
    """The fields of one CSV/TSV line (quotes respected; fields of any length)."""
    csv.field_size_limit(sys.maxsize)
    return next(csv.reader([line], delimiter=separator), [])


def _decode_all(raw: bytes, codec: str, bom_length: int, path: Path) -> str:
    try:
        return raw[bom_length:].decode(codec.replace("-sig", ""))
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n\x00" if codec.endswith("le") else b"\x00\n") + 1
        raise FileEncodingError(
            f"invalid {codec} bytes at offset {exc.start}", path=path, line=line,
            hint="the file may be truncated or not UTF-16; pass encoding= to override",
        ) from None


def _from_text(path: Path, text: str, codec: str, bom_codec: str | None) -> TextSource:
    lines = text.split("\n", 60)
    index, preamble = _skip_preamble(lines[:50])
    if index >= len(lines) or not lines[index].strip():
        raise HeaderError("the file holds no header line", path=path, hint="expected " + SUPPORTED)
    header = lines[index].rstrip("\r")
    basis = "bom" if bom_codec else "nul-pattern"
    return TextSource(
        path, codec, basis, header, index + 1, tuple(preamble), text.encode("utf-8"), ()
    )


def _skip_preamble(lines: list[str]) -> tuple[int, list[str]]:
    """Index of the header line, skipping blank lines (typeperf) and ``#TYPE`` (Export-Csv)."""
    preamble = []
    for index, line in enumerate(lines):
        stripped = line.strip().strip("\x00")
        if stripped and not stripped.startswith("#"):
            return index, preamble
        preamble.append(line.rstrip("\r"))
    return len(lines), preamble
