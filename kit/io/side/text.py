"""Text exports of PowerShell and Windows tools (events, topology, pings): decoding, Export-Csv
tables and input lists, shared by the side-input loaders."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import polars as pl

from kit.errors import DataError, FileEncodingError, LoadWarning, UnsupportedFormatError
from kit.io.common import LINE, detect_bom, line_list, split_fields

_EXPORT_AGAIN = "the export may be empty or cut off; run the export command again"
OEM_CODE_PAGES = ("cp850", "cp437", "cp866")
"""Code pages of cmd.exe consoles (OEM: Western European, US, Russian): a log redirected from a
console program (``ping -t host > log.txt``) is written in one of them, not in the ANSI cp1252."""
CONSOLE_WORDS = (
    "ausgeführt für", "Zeitüberschreitung der", "Ping-Statistik für", "Übertragung", "Überprüfen Sie",
    "Обмен пакетами", "Ответ от", "Превышен", "Заданный узел", "Статистика Ping", "Пакетов:",
    "потерь", "Приблизительное время", "Минимальное =",
)
"""Words beyond ASCII of localized console output (ping.exe in German and Russian): a reading
that holds them has the right code page."""


def decode_text(path: Path) -> tuple[str, str, list[LoadWarning]]:
    """The whole file as text with ``\\n`` line ends: (text, codec, warnings).

    A BOM decides (UTF-8, UTF-16 LE/BE, as PowerShell 5.1's ``Out-File``/``>`` write UTF-16 LE);
    then BOM-less UTF-16, strict UTF-8 and last cp1252, or the OEM code page of
    :data:`OEM_CODE_PAGES` whose reading has more lines holding :data:`CONSOLE_WORDS` than cp1252's
    (either reported).
    """
    raw = path.read_bytes()
    if not raw.strip():
        raise UnsupportedFormatError("the file is empty", path=path, hint=_EXPORT_AGAIN)
    codec, skip = detect_bom(raw[:4096])
    warnings = []
    if codec is None:
        try:  # strict: a BOM-less file ending in a lone lead byte is more likely cp1252 than cut
            raw.decode("utf-8")
            codec = "utf-8"
        except UnicodeDecodeError:
            codec, why = _code_page(raw)
            warnings.append(LoadWarning(str(path), "encoding-guess", f"the file is not UTF-8: read as {codec}{why}"))
    body = raw[skip:]
    try:
        text, cut = _decode_cut(body, codec.replace("-sig", ""))
    except UnicodeDecodeError as exc:
        line = body[: exc.start].decode(codec.replace("-sig", ""), errors="replace").count("\n") + 1
        raise FileEncodingError(
            f"invalid {codec} bytes at offset {skip + exc.start}", path=path, line=line,
            hint="the file may be damaged or re-encoded; export it again",
        ) from None
    if cut:
        message = f"the file ends inside a {codec} character (cut off?): its last {cut} byte(s) are ignored"
        warnings.append(LoadWarning(str(path), "cut-character", message))
    if "\x00" in text:
        raise UnsupportedFormatError(
            "this is binary data, not a text export", path=path,
            hint="pass the text the export command wrote (is this the right file?)",
        )
    return text.replace("\r\n", "\n").replace("\r", "\n"), codec, warnings


def _code_page(raw: bytes) -> tuple[str, str]:
    """(codec, why) of text that is not UTF-8: cp1252, Windows' ANSI code page, unless an OEM code
    page's reading has more lines holding :data:`CONSOLE_WORDS` (the first such page of the most)."""
    hits = {
        codec: int(pl.Series(raw.decode(codec, errors="replace").splitlines(), dtype=pl.String).str.contains_any(CONSOLE_WORDS).sum())
        for codec in ("cp1252", *OEM_CODE_PAGES)
    }
    best = max(hits, key=hits.get)  # the first of equals: cp1252 unless an OEM page reads more
    if best == "cp1252":
        return best, ""
    return best, f", the OEM code page of a console ({hits[best]} line(s) of console output, {hits['cp1252']} as cp1252)"


def _decode_cut(raw: bytes, codec: str) -> tuple[str, int]:
    """(``raw`` decoded, bytes left off): a character cut off at the very end is left off, any
    other invalid byte raises :class:`UnicodeDecodeError`."""
    try:
        return raw.decode(codec), 0
    except UnicodeDecodeError as exc:
        if exc.end < len(raw) or not exc.reason.startswith(("unexpected end", "truncated")):
            raise
        return raw[: exc.start].decode(codec), len(raw) - exc.start


def read_export_csv(text: str, path: Path) -> tuple[pl.DataFrame, list[LoadWarning]]:
    """An Export-Csv file as all-text columns plus :data:`~kit.io.table.LINE` (each record's
    first line; quoted cells may span lines), and what was left out. Skips a ``#TYPE`` line and
    blank lines; ``,``, ``;`` or TAB separated. A record with more or fewer fields than the header
    (Export-Csv writes every field) is left out with a ``bad-record`` warning. Quoting that
    Export-Csv never writes (a cell cut off inside its quotes, text after a closing quote) raises
    :class:`~kit.errors.DataError` naming the line."""
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip() and not line.startswith("#")), None)
    if start is None:
        raise UnsupportedFormatError("the file holds no header line", path=path, hint=_EXPORT_AGAIN)
    separator = max((",", ";", "\t"), key=lambda sep: len(split_fields(lines[start], sep)))
    csv.field_size_limit(sys.maxsize)
    reader = csv.reader(io.StringIO("\n".join(lines[start:])), delimiter=separator, strict=True)
    records, numbers, bad = [], [], []
    try:
        header = next(reader)
        while True:
            line = start + reader.line_num + 1
            record = next(reader, None)
            if record is None:
                break
            if not "".join(record).strip():
                continue
            if len(record) != len(header):
                bad.append(line)
                continue
            records.append(record)
            numbers.append(line)
    except csv.Error as exc:
        raise DataError(
            f"broken CSV quoting ({exc})", path=path, line=start + reader.line_num,
            hint="the file may be cut off or hand-edited; export it again",
        ) from None
    if len(set(header)) < len(header) or LINE in header:
        twice = next(name for name in header if header.count(name) > 1 or name == LINE)
        raise DataError(
            f"the header names the column {twice!r} twice (or uses a reserved name)", path=path,
            line=start + 1, hint="export again with Export-Csv (it writes each property once)",
        )
    columns = list(zip(*records)) if records else [()] * len(header)
    frame = pl.DataFrame(
        {name: pl.Series(name, values, pl.String) for name, values in zip(header, columns)}
        | {LINE: pl.Series(LINE, numbers, pl.Int64)}
    )
    warnings = []
    if bad:
        warnings.append(
            LoadWarning(
                str(path), "bad-record",
                f"{len(bad)} record(s) do not have the header's {len(header)} fields (cut off or "
                f"hand-edited?) and were left out ({line_list(bad)})", line=bad[0], skipped_lines=tuple(bad),
            )
        )
    return frame, warnings


