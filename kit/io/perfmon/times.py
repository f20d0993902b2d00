"""Local timestamps → UTC: the header's bias, DST jumps and clock steps.

PDH writes local wall-clock time as ``MM/DD/YYYY HH:MM:SS.mmm``; the header's bias (minutes)
gives UTC = local + bias, but the bias is the one in force when the header was written, so a log
that crosses a DST change has a one-hour jump (spring) or repeat (autumn) in its timestamps.

A one-hour step is DST only where the header's time zone has a transition at that time: the
Windows zone name is mapped to its IANA zone with CLDR's ``windowsZones`` table (as the
``tzlocal`` package ships it) and tzdata's transitions decide. Only then is the bias moved by
±60 minutes from the jump on (and reported); any other one-hour step — a collector paused for an
hour, a clock set by hand, a zone the kit cannot name — is left as written and reported, so it
shows as a gap or a step back, never as a silent shift.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl
from tzlocal.windows_tz import win_tz

from kit.errors import LoadWarning
from kit.inputs.timebase import median_interval_s
from kit.io.common import LINE

HOUR_S = 3600.0
MAX_DST_INTERVAL_S = 1800.0
"""Above this sample interval a one-hour step cannot be told from the sampling: no DST check. [s]"""


@lru_cache(maxsize=64)
def iana_zone(name: str | None) -> ZoneInfo | None:
    """The IANA zone of a Windows time-zone name as a PDH header writes it (``W. Europe Standard
    Time``; a ``… Daylight Time`` name is the same zone), from CLDR's windowsZones mapping; None
    for a name it does not know (a localized name, a cut-off header)."""
    if not name:
        return None
    key = name.strip().replace("Daylight Time", "Standard Time").replace("Summer Time", "Standard Time")
    iana = win_tz.get(key)
    if iana is None:
        return None
    try:
        return ZoneInfo(iana)
    except ZoneInfoNotFoundError:
        return None


def dst_change(zone: ZoneInfo, before_utc: datetime, seconds: float) -> float:
    """How the zone's UTC offset changed over ``seconds`` after ``before_utc`` (+3600: spring
    forward, −3600: fall back, 0: none). [s]"""
    start = before_utc.replace(tzinfo=timezone.utc)
    end = start + timedelta(seconds=seconds)
    return (end.astimezone(zone).utcoffset() - start.astimezone(zone).utcoffset()).total_seconds()


def to_utc(
    frame: pl.DataFrame, *, bias_minutes: int, source: str, correct_dst: bool = True, zone_name: str | None = None
) -> tuple[pl.Series, list[LoadWarning]]:
    """UTC times of ``frame['local']`` (naive local times; rows carry :data:`LINE`).

    A step of one hour more or less than the sample interval is a DST jump only where
    ``zone_name``'s zone changes its offset that way at that time (:func:`iana_zone`); then, when
    ``correct_dst``, the bias moves by ∓60 min from that row on. Every other such step is
    reported and left as written. Steps back in time and repeated timestamps are reported.
    """
    local, line_numbers = frame["local"], frame[LINE]
    interval = median_interval_s(local) or 0.0
    tolerance = min(max(0.5 * interval, 2.0), 600.0)
    step = local.diff().dt.total_microseconds().cast(pl.Float64).fill_null(interval * 1e6) / 1e6
    fall_back = ((step - (interval - HOUR_S)).abs() <= tolerance) & (interval < MAX_DST_INTERVAL_S)
    spring = ((step - (interval + HOUR_S)).abs() <= tolerance) & (interval < MAX_DST_INTERVAL_S)
    zone = iana_zone(zone_name)
    warnings = []
    shifts = pl.Series(dtype=pl.Int64, values=[0] * local.len())
    applied = 0
    for row in pl.arg_where(fall_back | spring, eager=True).to_list():
        change = 60 if fall_back[row] else -60  # bias minutes: UTC = local + bias
        kind = "fall-back (the hour repeats)" if change > 0 else "spring-forward (an hour is skipped)"
        line = line_numbers[row]
        before_utc = local[row - 1] + timedelta(minutes=bias_minutes + applied)
        confirmed = zone is not None and dst_change(zone, before_utc, interval) == -60 * change
        if confirmed and correct_dst:
            applied += change
            shifts[row] = change
            warnings.append(LoadWarning(
                source, "dst-jump", f"local time jumps by a DST {kind} of {zone.key}: bias adjusted by {change:+d} min "
                "from here on", line=line,
            ))
        elif confirmed:
            warnings.append(LoadWarning(source, "dst-jump", f"local time jumps by a DST {kind} of {zone.key}: left as "
                                        "written (correct_dst=False)", line=line))
        else:
            why = (f"zone {zone_name!r} has no DST change then" if zone is not None
                   else f"the header's zone {zone_name!r} is not one the kit can map to tzdata" if zone_name
                   else "the header names no zone")
            warnings.append(LoadWarning(
                source, "hour-step", f"local time steps by about an hour ({step[row]:+.0f} s) but {why}: not DST, "
                "left as written (a gap or a step back in the samples, e.g. a paused collector or a clock set by hand)",
                line=line,
            ))
    minutes = shifts.cum_sum() + bias_minutes
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
    return utc, warnings
