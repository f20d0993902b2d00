"""Which bytes are we looking at: binary formats we refuse, and the text encoding of the rest.

(A binary perfmon log, ``.blg``, never gets here: :mod:`kit.io.perfmon.sniff` sends it to its own
reader, :mod:`kit.io.perfmon.blg`.)

Detection order (domain reference §1.4): a byte-order mark decides (UTF-8, UTF-16 LE/BE); then
UTF-16 without a BOM (every other byte NUL); then strict UTF-8; then the Windows code pages that
perfmon writes in (cp1252, cp1251, cp932, …), each decoded strictly and scored by how many known
counter names and how much plausible text it yields. A user's ``encoding=`` overrides all of it.
"""

from __future__ import annotations

import re
from pathlib import Path

from kit.errors import FileEncodingError, UnsupportedFormatError
from kit.io.common import detect_bom
from kit.io.perfmon.names import known_names

CODE_PAGES = ("cp1252", "cp1251", "cp932", "cp936", "cp1250", "cp949", "cp950", "cp1253", "cp1254")
SUPPORTED = (
    "PDH-CSV / PDH-TSV text logs (relog -f csv|tsv, typeperf -o, Data Collector Sets, "
    "Export-Counter -FileFormat csv|tsv), Get-Counter … CounterSamples | Export-Csv files and "
    "binary perfmon logs (.blg)"
)
RELOG_HINT = "convert it on Windows with: relog file.blg -f csv -o file.csv"

_MAGIC = (
    (b"ElfFile\x00", "a Windows event log (.evtx)", "export it as CSV or XML, or pass it as events"),
    (b"PK\x03\x04", "a ZIP container (.xlsx or .zip)", "save the sheet as CSV, or unzip it"),
    (b"\xd0\xcf\x11\xe0", "an OLE2 document (.xls)", "save the sheet as CSV"),
    (b"PAR1", "a Parquet file", "read it with polars.read_parquet"),
)
_TEXT_BYTES = bytes(b for b in range(256) if b >= 0x20 and b != 0x7F or b in b"\t\n\r\x0b\x0c")
"""Bytes a text log is made of; more than 1 % of anything else (NUL, control codes) is binary."""
_WORD = re.compile(r"[^\W\d_]+")
_NON_ASCII_WORD = re.compile(r'[^ \t\\()",;]*[^\x00-\x7f][^ \t\\()",;]*')


def refuse_binary(head: bytes, path: Path) -> None:
    """Raise :class:`UnsupportedFormatError` when ``head`` is not the start of a text log."""
    for magic, what, todo in _MAGIC:
        if head.startswith(magic):
            raise UnsupportedFormatError(f"this is {what}, not a counter log", path=path, hint=todo)
    if not head:
        raise UnsupportedFormatError("the file is empty", path=path, hint="expected " + SUPPORTED)
    if detect_bom(head)[0] is not None:
        return
    sample = head[:65536]
    if len(sample.translate(None, _TEXT_BYTES)) > len(sample) // 100:
        raise UnsupportedFormatError(
            "this is binary data, not a text counter log (nor a binary perfmon log the kit recognises)",
            path=path, hint=f"if it is a perfmon binary log, {RELOG_HINT}",
        )


def decode_header(raw: bytes, path: Path, *, requested: str | None = None) -> tuple[str, str, str]:
    """Decode a header line in an ASCII-compatible encoding: (text, codec, basis).

    ``basis`` says how the codec was chosen (``"requested"``, ``"utf-8"``, ``"scored"``,
    ``"fallback"``), so a guess can be reported as one.
    """
    if requested:
        try:
            return raw.decode(requested), requested, "requested"
        except (UnicodeDecodeError, LookupError) as exc:
            raise FileEncodingError(
                f"the header cannot be decoded as {requested!r}: {exc}", path=path, line=1,
                hint="try another encoding=, e.g. cp1252, cp1251, cp932 or utf-8",
            ) from None
    try:
        return raw.decode("utf-8"), "utf-8", "utf-8"
    except UnicodeDecodeError:
        pass
    scored = []
    for rank, codec in enumerate(CODE_PAGES):
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        scored.append((_score(text), -rank, codec, text))
    if not scored:
        raise FileEncodingError(
            "the header is neither UTF-8 nor any Windows code page the kit knows", path=path,
            line=1, hint="pass encoding= with the code page of the Windows system that wrote it",
        )
    best = max(scored)
    return best[3], best[2], "scored" if best[0] > 0 else "fallback"


def garbled(text: str) -> bool:
    """True when ``text`` has more implausible words than plausible ones and no known names."""
    return _score(text) < 0


def double_encoded(text: str) -> tuple[str, str, str] | None:
    """(code page, a garbled word, what it meant) when ``text`` is UTF-8 that was once decoded
    as a Windows code page and saved again (``VerfÃ¼gbare`` for ``Verfügbare``); else None."""
    if text.isascii():
        return None
    for codec in ("cp1252", "cp1251"):
        try:
            meant = text.encode(codec).decode("utf-8")
        except UnicodeError:
            continue
        if meant != text:
            word = _NON_ASCII_WORD.search(text).group()
            return codec, word, word.encode(codec).decode("utf-8", errors="replace")
    return None


def _score(text: str) -> float:
    """How much ``text`` looks like a real localized counter header (higher is better)."""
    names = known_names()
    parts = re.split(r"[\\()\"\t,;]", text)
    hits = sum(1 for part in parts if part.strip().lower() in names)
    plausible = implausible = 0
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        scripts = {_script(char) for char in word}
        latin_accented = sum(1 for char in word if not char.isascii() and _script(char) == "latin")
        if len(scripts) > 1 or latin_accented > len(word) / 2 or _lower_upper(word):
            implausible += 1
        else:
            plausible += 1
    return 10 * hits + plausible - 3 * implausible


def _lower_upper(word: str) -> bool:
    """True when a capital follows a small letter (``МнЮмз``: text decoded with the wrong code page)."""
    return any(a.islower() and b.isupper() for a, b in zip(word, word[1:]))


def _script(char: str) -> str:
    point = ord(char)
    if point < 0x250:
        return "latin"
    if 0x370 <= point < 0x400:
        return "greek"
    if 0x400 <= point < 0x530:
        return "cyrillic"
    if 0x3040 <= point < 0x3100 or 0x31F0 <= point < 0x3200 or 0xFF66 <= point < 0xFFA0:
        return "kana"
    if 0x4E00 <= point < 0xA000 or 0x3400 <= point < 0x4DC0:
        return "han"
    if 0xAC00 <= point < 0xD7B0:
        return "hangul"
    return f"other-{point >> 8}"
