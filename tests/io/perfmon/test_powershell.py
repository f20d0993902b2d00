"""The long CSV of (Get-Counter …).CounterSamples | Export-Csv, PS 5.1 and PS 7 flavours."""

from datetime import datetime, timezone

import kit

P1 = r"\\hv01\network interface(mellanox connectx-4 lx)\bytes sent/sec"
P2 = r"\\hv01\processor(_total)\% processor time"
COLUMNS = ["Path", "InstanceName", "CookedValue", "RawValue", "SecondValue", "MultipleCount", "CounterType", "Timestamp", "Timestamp100NSec", "Status", "DefaultScale", "TimeBase"]


def export_csv(rows, *, type_line=True, sep=",", ts_format="%m/%d/%Y %I:%M:%S %p", comma=False):
    lines = ['#TYPE Microsoft.PowerShell.Commands.GetCounter.PerformanceCounterSample'] if type_line else []
    lines.append(sep.join(f'"{c}"' for c in COLUMNS))
    for path, value, when, status in rows:
        text = f"{value}".replace(".", ",") if comma else f"{value}"
        cells = [path, "x", text, "1", "0", "1", "RateOfCountsPerSecond64", when.strftime(ts_format), "131247", str(status), "0", "10000000"]
        lines.append(sep.join(f'"{c}"' for c in cells))
    return "\r\n".join(lines) + "\r\n"


T0, T1 = datetime(2016, 11, 26, 13, 46, 30), datetime(2016, 11, 26, 13, 46, 33)
ROWS = [(P1, 12.5, T0, 0), (P2, 3.25, T0, 0), (P1, 14.0, T1, 0), (P2, 4.5, T1, 0)]


def test_ps51_with_type_line_pivots_wide(write):
    capture = kit.load(write("ps51.csv", export_csv(ROWS), encoding="ascii"), utc_offset="-08:00")
    assert capture.sources[0].format == "powershell-csv"
    assert capture.data.columns == ["time", P1, P2]
    assert capture.data[P1].to_list() == [12.5, 14.0]
    assert capture.data["time"][0] == datetime(2016, 11, 26, 21, 46, 30, tzinfo=timezone.utc)
    assert capture.catalog.row(0, named=True)["counter_en"] == "Bytes Sent/sec"


def test_ps7_without_type_line_and_no_zone_is_reported(write):
    capture = kit.load(write("ps7.csv", export_csv(ROWS, type_line=False, ts_format="%m/%d/%Y %H:%M:%S")))
    assert capture.data[P2].to_list() == [3.25, 4.5]
    assert "timezone-unknown" in [w.code for w in capture.warnings]


def test_german_culture_semicolons_decimal_commas_and_day_first_dates(write):
    text = export_csv(ROWS, sep=";", ts_format="%d.%m.%Y %H:%M:%S", comma=True)
    capture = kit.load(write("de.csv", text, encoding="utf-8-sig"))
    assert capture.data[P1].to_list() == [12.5, 14.0]
    assert capture.data["time"][1] == datetime(2016, 11, 26, 13, 46, 33, tzinfo=timezone.utc)


def test_bad_status_and_repeated_samples_are_reported(write):
    rows = ROWS + [(P1, 99.0, T1, 0)]
    rows[1] = (P2, 3.25, T0, 2147485648)
    capture = kit.load(write("bad.csv", export_csv(rows)))
    assert capture.data[P2].to_list() == [None, 4.5]
    assert capture.data[P1].to_list() == [12.5, 14.0]
    assert {"status-not-ok", "long-format-duplicates"} <= {w.code for w in capture.warnings}
