"""Local timestamps → UTC: formats, the header's bias, DST jumps and clock steps.

PDH writes local wall-clock time as ``MM/DD/YYYY HH:MM:SS.mmm``; the header's bias (minutes)
gives UTC = local + bias, but the bias is the one in force when the header was written, so a log
that crosses a DST change has a one-hour jump (spring) or repeat (autumn) in its timestamps. Those
are detected here, reported, and (by default) corrected by moving the bias ±60 minutes from the
jump on.
"""

from __future__ import annotations

import polars as pl

from kit.errors import LoadWarning
from kit.inputs.timebase import median_interval_s
from kit.io.common import LINE

HOUR_S = 3600.0
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


