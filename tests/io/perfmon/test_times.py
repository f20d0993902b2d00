"""Local times → UTC (kit/io/perfmon/times.py and kit/io/common.py) on their own: formats, the
bias, DST jumps, clock steps and repeated times, with answers computed by hand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import polars as pl
import pytest

from kit.errors import OptionError
from kit.io.common import CULTURE_FORMATS, LINE, offset_minutes, parse_local
from kit.io.perfmon.times import iana_zone, to_utc


def frame(texts: list[str]) -> pl.DataFrame:
    local, _ = parse_local(pl.Series(texts))
    return pl.DataFrame({"local": local, LINE: range(2, 2 + len(texts))})


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_pdh_format_and_bias():
    times, warnings = to_utc(frame(["01/02/2026 10:00:00.000", "01/02/2026 10:00:01.500"]), bias_minutes=-60, source="f")
    assert times.to_list() == [utc(2026, 1, 2, 9, 0, 0), utc(2026, 1, 2, 9, 0, 1, 500000)]
    assert warnings == []


def test_spring_forward_is_moved_back_by_an_hour():
    texts = ["03/29/2026 01:59:58.000", "03/29/2026 01:59:59.000", "03/29/2026 03:00:00.000", "03/29/2026 03:00:01.000"]
    zone = "W. Europe Standard Time"
    times, warnings = to_utc(frame(texts), bias_minutes=-60, source="f", zone_name=zone)
    assert [t - times[0] for t in times] == [timedelta(seconds=s) for s in (0, 1, 2, 3)]
    assert [w.code for w in warnings] == ["dst-jump"] and warnings[0].line == 4 and "Europe/Berlin" in warnings[0].message
    kept, _ = to_utc(frame(texts), bias_minutes=-60, source="f", correct_dst=False, zone_name=zone)
    assert kept[2] - kept[1] == timedelta(hours=1, seconds=1)


def test_an_hour_step_without_a_dst_change_is_left_as_written():
    """Issue 13 §8: a collector paused for an hour on 24 November was "corrected" as a DST jump."""
    texts = ["11/24/2025 09:00:00.000", "11/24/2025 09:00:01.000", "11/24/2025 10:00:02.000", "11/24/2025 10:00:03.000"]
    for zone in ("W. Europe Standard Time", None, "Mitteleuropäische Zeit"):
        times, warnings = to_utc(frame(texts), bias_minutes=-60, source="f", zone_name=zone)
        assert times[2] - times[1] == timedelta(hours=1, seconds=1)  # the gap stays a gap
        assert [w.code for w in warnings] == ["hour-step"]


def test_a_steady_two_hour_interval_is_not_dst():
    texts = [f"11/24/2025 {h:02d}:00:00.000" for h in range(0, 24, 2)]
    _, warnings = to_utc(frame(texts), bias_minutes=-60, source="f", zone_name="W. Europe Standard Time")
    assert warnings == []


def test_windows_zone_names_map_to_iana():
    assert iana_zone("W. Europe Standard Time").key == "Europe/Berlin"
    assert iana_zone("Pacific Daylight Time").key == "America/Los_Angeles"
    assert iana_zone("India Standard Time") is not None
    assert iana_zone("Mitteleuropäische Zeit") is None and iana_zone(None) is None


def test_steps_back_are_reported():
    texts = ["01/02/2026 10:00:05.000", "01/02/2026 10:00:03.000", "01/02/2026 10:00:03.000"]
    _, warnings = to_utc(frame(texts), bias_minutes=0, source="f")
    assert {w.code: w.line for w in warnings} == {"clock-step-back": 3}


def test_culture_formats():
    local, chosen = parse_local(pl.Series(["5/31/2026 4:36:21 PM", "5/31/2026 4:36:22 PM"]), CULTURE_FORMATS)
    assert chosen == "%m/%d/%Y %I:%M:%S %p" and local[0] == datetime(2026, 5, 31, 16, 36, 21)
    german, _ = parse_local(pl.Series(["31.05.2026 16:36:21"]), CULTURE_FORMATS)
    assert german[0] == datetime(2026, 5, 31, 16, 36, 21)
    garbage, _ = parse_local(pl.Series(["not a time"]))
    assert garbage.to_list() == [None]


@pytest.mark.parametrize(("text", "minutes"), [("+08:00", 480), ("-0530", -330), ("UTC+1", 60), (480, 480),
                                               (timedelta(hours=-5), -300)])
def test_offsets(text, minutes):
    assert offset_minutes(text) == minutes


@pytest.mark.parametrize("bad", ["+25:00", "8:75", "east", 1.5])
def test_bad_offsets(bad):
    with pytest.raises(OptionError):
        offset_minutes(bad)
