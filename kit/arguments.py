"""The command line's option types: each turns the text of one flag into its value or says
what is wrong with it (argparse prefixes "argument --flag: " and exits with status 2). Shared by
:mod:`kit.cli` and :mod:`kit.fleet.cli`."""

from __future__ import annotations

import argparse
import math
from datetime import datetime, timezone
from pathlib import Path

from kit.analysis.analyze import MTU_RANGE
from kit.contract import iso
from kit.errors import KitError
from kit.io.common import offset_minutes
from kit.io.perfmon.paths import counter_filter


def number(text: str) -> float:
    """A number."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None


def above_zero(text: str) -> float:
    """A finite number above 0."""
    value = number(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text} is not a finite number above 0")
    return value


def fraction(text: str) -> float:
    """A number between 0 and 1 (both excluded)."""
    value = number(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def mtu(text: str) -> int:
    """An MTU in :data:`~kit.analysis.analyze.MTU_RANGE`. [bytes]"""
    low, high = MTU_RANGE
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of bytes (e.g. 1500 or 9000)") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{value} is not an MTU: give {low} to {high} bytes (e.g. 1500 or 9000)")
    return value


def utc_time(text: str) -> datetime:
    """ISO 8601 text as an aware UTC datetime (no offset = UTC)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not an ISO 8601 time (e.g. 2025-02-11T13:05:40Z)") from None
    try:
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    except OverflowError:
        raise argparse.ArgumentTypeError(f"'{text}' is before the year 1 in UTC") from None


def window(text: str) -> tuple[datetime, datetime]:
    """``START/END`` in ISO 8601 (UTC unless an offset is given), START before END."""
    start, sep, end = text.partition("/")
    if not sep or not start.strip() or not end.strip():
        raise argparse.ArgumentTypeError(
            f"'{text}' is not START/END (e.g. 2025-02-11T13:05:40Z/2025-02-11T13:06:10Z)"
        )
    span = utc_time(start), utc_time(end)
    if not span[1] > span[0]:
        raise argparse.ArgumentTypeError(f"{iso(span[0])}/{iso(span[1])} does not end after it starts: give START first")
    return span


def utc_offset(text: str) -> str:
    """A UTC offset as :func:`kit.io.common.offset_minutes` reads it (the text is passed on)."""
    try:
        offset_minutes(text)
    except KitError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a UTC offset from -14:00 to +14:00 (e.g. +08:00, -05:30, or minutes east of UTC)"
        ) from None
    return text


def encoding(text: str) -> str:
    """A Python text encoding."""
    try:
        "".encode(text)  # LookupError for unknown names and for bytes-to-bytes codecs (hex, base64…)
    except LookupError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a known text encoding (e.g. cp1252, cp1251, cp932, utf-16)")
    return text


def counter(text: str) -> str:
    """A counter path pattern (:func:`kit.io.perfmon.paths.counter_filter`)."""
    try:
        counter_filter([text])
    except KitError as exc:
        raise argparse.ArgumentTypeError(f"'{text}' is not a counter path ({exc.hint})") from None
    return text


def label(text: str) -> tuple[str, object]:
    """``KEY=VALUE``; the value a number where it reads as a finite one, else text."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"'{text}' is not KEY=VALUE (e.g. --label mtu=9000)")
    for kind in (int, float):
        try:
            number = kind(value)
        except ValueError:
            continue
        if math.isfinite(number):
            return key, number
    return key, value


def folder(text: str) -> Path:
    """A folder to write into: an existing one or one to create, not a file."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file: give a folder (it gets several files)")
    return path


def file(text: str) -> Path:
    """A file to write: not a folder."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder: give the file to write")
    return path
