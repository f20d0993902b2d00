"""The kit's errors and load warnings.

Every error the kit raises at a user derives from :class:`KitError` and names the file (and, where
known, the line and column) plus what to do about it. Recoverable oddities are not errors: they
become :class:`LoadWarning` records on the capture.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class KitError(Exception):
    """Base class of every error the kit raises on purpose."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.path = None if path is None else str(path)
        self.line = line
        self.column = column
        self.hint = hint
        self.reason = message
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = self.path or ""
        if self.line is not None:
            where += f", line {self.line}" if where else f"line {self.line}"
        if self.column is not None:
            where += f", column {self.column}" if where else f"column {self.column}"
        text = f"{where}: {self.reason}" if where else self.reason
        if self.hint:
            text += f" ({self.hint})"
        return text


class UnsupportedFormatError(KitError):
    """The file is not a text counter log the kit can read (a .blg, .evtx, .xlsx, garbage…)."""


class FileEncodingError(KitError):
    """The file's bytes cannot be decoded with any candidate or requested encoding."""


class HeaderError(KitError):
    """The header line is missing, empty or holds no counter paths."""


class DataError(KitError):
    """A data row or cell cannot be read at all (not merely blank)."""


class OptionError(KitError):
    """An argument passed to a kit function is out of range or malformed."""


@dataclass(frozen=True)
class LoadWarning:
    """Something a loader skipped, repaired or found suspicious, with the reason.

    ``code`` is a stable machine-readable key (e.g. ``"description-column"``); ``line`` is the
    1-based line of the file and ``column`` the 1-based field number, where they apply.
    ``skipped_lines`` lists every data line this warning leaves out of the capture and
    ``skipped_columns`` every header field (1-based), so that each line and column of a file is
    either in the capture or accounted for here.
    """

    source: str
    code: str
    message: str
    line: int | None = None
    column: int | None = None
    skipped_lines: tuple[int, ...] = ()
    skipped_columns: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        # The Parquet cache stores warnings as JSON, which turns tuples into lists.
        object.__setattr__(self, "skipped_lines", tuple(self.skipped_lines))
        object.__setattr__(self, "skipped_columns", tuple(self.skipped_columns))

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}"
        if self.column is not None:
            where += f" col {self.column}"
        return f"{where}: [{self.code}] {self.message}"


class InputNotFoundError(KitError, FileNotFoundError):
    """A named file, folder or pattern does not exist or matches nothing."""


class FileAccessError(KitError, OSError):
    """A file exists but cannot be opened or read (permissions, a lock, a device)."""


class DatasetError(KitError):
    """A fleet dataset folder is missing, is not a fleet dataset, is of another layout version,
    or cannot be written (:mod:`kit.fleet`)."""
