"""Counter logs inside archives: ``.gz`` (gzip) and ``.zip``, recognised by their first bytes.

Each log is decompressed as a stream into a temporary file (the readers parse files; memory stays
flat whatever the size) and named ``archive.zip/member.csv`` or ``log.csv.gz`` in the capture.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from kit.errors import UnsupportedFormatError

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
ARCHIVE_SUFFIXES = (".gz", ".zip")
MEMBER_SUFFIXES = (".csv", ".tsv", ".txt")
_COPY = 8 << 20


def kind(path: Path) -> str | None:
    """``"gzip"`` or ``"zip"`` from the file's first bytes, None for anything else. A ZIP that
    is an Office document (an ``.xlsx``) is not an archive of logs: None (the reader refuses it)."""
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head == ZIP_MAGIC:
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError):
            return None  # the reader's "ZIP container" refusal names it
        return None if "[Content_Types].xml" in names else "zip"
    return None


def members(path: Path, kind_: str) -> list[str]:
    """The names under which the logs in archive ``path`` appear in a capture."""
    if kind_ == "gzip":
        return [str(path)]
    with zipfile.ZipFile(path) as archive:
        names = [i.filename for i in archive.infolist()
                 if not i.is_dir() and PurePosixPath(i.filename).suffix.lower() in MEMBER_SUFFIXES
                 and not PurePosixPath(i.filename).name.startswith(".")]
    if not names:
        raise UnsupportedFormatError(
            f"the ZIP archive holds no {'/'.join(MEMBER_SUFFIXES)} counter log", path=path,
            hint="unzip it and load the logs (a .blg inside must be converted with relog first)",
        )
    return [f"{path}/{name}" for name in names]


@contextmanager
def extracted(path: Path, kind_: str, name: str) -> Iterator[Path]:
    """The log called ``name`` (from :func:`members`) decompressed into a temporary file, removed
    on exit. A damaged archive raises :class:`UnsupportedFormatError` naming it."""
    suffix = PurePosixPath(name.removesuffix(".gz")).suffix or ".csv"
    handle, spooled = tempfile.mkstemp(suffix=suffix, prefix="kit-archive-")
    try:
        with os.fdopen(handle, "wb") as out:
            try:
                if kind_ == "gzip":
                    with gzip.open(path, "rb") as stream:
                        shutil.copyfileobj(stream, out, _COPY)
                else:
                    with zipfile.ZipFile(path) as archive, archive.open(name[len(str(path)) + 1 :]) as stream:
                        shutil.copyfileobj(stream, out, _COPY)
            except (EOFError, zlib.error, gzip.BadGzipFile, zipfile.BadZipFile, NotImplementedError) as exc:
                raise UnsupportedFormatError(
                    f"the {kind_} archive is damaged or cut off ({exc})", path=name,
                    hint="copy it again, or decompress it with another tool to see what is left",
                ) from None
        yield Path(spooled)
    finally:
        Path(spooled).unlink(missing_ok=True)
