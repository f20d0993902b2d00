"""Text exports of PowerShell and Windows tools (events, topology, pings): decoding, Export-Csv
tables and input lists, shared by the side-input loaders."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from kit.errors import DataError, FileEncodingError, InputNotFoundError, LoadWarning, OptionError, UnsupportedFormatError
from kit.io.encoding import detect_bom
from kit.io.source import split_fields
from kit.io.table import LINE


def decode_text(path: Path) -> tuple[str, str, list[LoadWarning]]:
    """The whole file as text with ``\\n`` line ends: (text, codec, warnings).

    A BOM decides (UTF-8, UTF-16 LE/BE, as PowerShell 5.1's ``Out-File``/``>`` write UTF-16 LE);
    then BOM-less UTF-16, strict UTF-8 and last cp1252 (reported).
    """
    raw = path.read_bytes()
    if not raw.strip():
        raise UnsupportedFormatError("the file is empty", path=path)
    codec, skip = detect_bom(raw[:4096])
    warnings = []
    if codec is None:
        try:
            raw.decode("utf-8")
            codec = "utf-8"
        except UnicodeDecodeError:
            codec = "cp1252"
            warnings.append(LoadWarning(str(path), "encoding-guess", "the file is not UTF-8: read as cp1252"))
    try:
        text = raw[skip:].decode(codec.replace("-sig", ""))
    except UnicodeDecodeError as exc:
        raise FileEncodingError(
            f"invalid {codec} bytes at offset {exc.start}", path=path,
            hint="the file may be truncated or re-encoded",
        ) from None
    if "\x00" in text:
        raise UnsupportedFormatError("this is binary data, not a text export", path=path)
    return text.replace("\r\n", "\n").replace("\r", "\n"), codec, warnings


def read_export_csv(text: str, path: Path) -> pl.DataFrame:
    """An Export-Csv file as all-text columns plus :data:`~kit.io.table.LINE` (each record's
    first line; quoted cells may span lines). Skips a ``#TYPE`` line; ``,`` or ``;`` separated."""
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip() and not line.startswith("#")), None)
    if start is None:
        raise UnsupportedFormatError("the file holds no header line", path=path)
    header = lines[start]
    separator = max((",", ";", "\t"), key=lambda sep: len(split_fields(header, sep)))
    body = "\n".join(lines[start:]).encode()
    try:
        frame = pl.read_csv(io.BytesIO(body), infer_schema=False, separator=separator)
    except pl.exceptions.PolarsError as exc:
        raise DataError(
            f"cannot be read as CSV: {str(exc).splitlines()[0]}", path=path,
            hint="check for a cut-off or hand-edited line",
        ) from None
    spans = pl.sum_horizontal(pl.col(c).str.count_matches("\n").fill_null(0) for c in frame.columns)
    first = start + 2  # 1-based line of the first record
    line = first + spans.cum_sum() - spans + pl.int_range(pl.len())
    return frame.with_columns(line.cast(pl.Int64).alias(LINE))


def expand_inputs(
    paths: str | Path | Iterable[str | Path], suffixes: tuple[str, ...]
) -> list[tuple[Path, bool]]:
    """[(file, found by listing a folder)] from a file, a folder (its files with ``suffixes``) or a list."""
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    if not items:
        raise OptionError("no files given")
    files: dict[Path, bool] = {}
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
            if not found:
                raise InputNotFoundError(f"the folder holds no {'/'.join(suffixes)} files", path=path)
            files.update((p, files.get(p, True)) for p in found)
        elif path.is_file():
            files[path] = False
        else:
            raise InputNotFoundError("no such file or folder", path=path)
    return list(files.items())
