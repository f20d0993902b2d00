"""Local timestamps → UTC: formats, the header's bias, DST jumps and clock steps.

PDH writes local wall-clock time as ``MM/DD/YYYY HH:MM:SS.mmm``; the header's bias (minutes)
gives UTC = local + bias, but the bias is the one in force when the header was written, so a log
that crosses a DST change has a one-hour jump (spring) or repeat (autumn) in its timestamps. Those
are detected here, reported, and (by default) corrected by moving the bias ±60 minutes from the
jump on.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from kit.errors import LoadWarning, OptionError
from kit.io.table import LINE

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

HOUR_S = 3600.0
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
    return parsed.alias("local"), chosen


def median_interval_s(times: pl.Series) -> float | None:
    """Median of the positive gaps between successive times. [s]; None with < 2 distinct times."""
    gaps = times.diff().dt.total_microseconds().cast(pl.Float64) / 1e6
    gaps = gaps.filter(gaps > 0)
    return float(gaps.median()) if gaps.len() else None


def to_utc(
    frame: pl.DataFrame, *, bias_minutes: int, source: str, correct_dst: bool = True
) -> tuple[pl.Series, list[LoadWarning]]:
    """UTC times of ``frame['local']`` (naive local times; rows carry :data:`LINE`).

    Detects DST jumps (a step of ±1 h beyond the sample interval) and, when ``correct_dst``,
    moves the bias by ∓60 min from that row on. Reports every jump, any other step back in time
    and repeated timestamps.
    """
    local, line_numbers = frame["local"], frame[LINE]
    interval = median_interval_s(local) or 0.0
    tolerance = max(0.5 * interval, 2.0)
    step = local.diff().dt.total_microseconds().cast(pl.Float64).fill_null(interval * 1e6) / 1e6
    fall_back = (step - (interval - HOUR_S)).abs() <= tolerance
    spring = (step - (interval + HOUR_S)).abs() <= tolerance
    warnings = []
    for mask, kind, change in ((fall_back, "fall-back (the hour repeats)", 60), (spring, "spring-forward (an hour is skipped)", -60)):
        for line in line_numbers.filter(mask).to_list():
            todo = "bias adjusted by %+d min from here on" % change if correct_dst else "left as written"
            warnings.append(
                LoadWarning(source, "dst-jump", f"local time jumps by a DST {kind}: {todo}", line=line)
            )
    shift = (fall_back.cast(pl.Int64) * 60 - spring.cast(pl.Int64) * 60).cum_sum()
    if not correct_dst:
        shift = shift * 0
    minutes = shift + bias_minutes
    offset = (minutes * 60_000_000).cast(pl.Duration("us"))
    utc = (local + offset).dt.replace_time_zone("UTC").alias("time")
    steps = utc.diff().dt.total_microseconds() / 1e6
    back = steps < 0
    for line, seconds in zip(line_numbers.filter(back).to_list(), steps.filter(back).to_list()):
        warnings.append(
            LoadWarning(
                source, "clock-step-back",
                f"time steps back by {-seconds:.3f} s (clock change?): rows are sorted by time",
                line=line,
            )
        )
    repeats = utc.is_duplicated()
    if repeats.any():
        lines = line_numbers.filter(repeats).to_list()
        warnings.append(
            LoadWarning(
                source, "duplicate-time",
                f"{len(lines)} rows share a timestamp with another row (kept, in file order)",
                line=lines[0],
            )
        )
    return utc, warnings


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
