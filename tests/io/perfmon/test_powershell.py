"""The long CSV of (Get-Counter …).CounterSamples | Export-Csv, PS 5.1 and PS 7 flavours, read a
block of lines at a time (the same capture as the line-accounted exact path)."""

from datetime import datetime, timedelta, timezone

import pytest

import kit
from kit.errors import OptionError
from kit.io.perfmon import powershell
from tests.conftest import BAD

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


# --- read a block of lines at a time: the same capture as the line-accounted exact path ----------

MEMORY = r"\\hv01\arbeitsspeicher\verfügbare mb"


def many_rows(samples=40, *, comma=False, sep=","):
    """A CounterSamples export of three counters (one with a non-ASCII path) over ``samples`` seconds."""
    rows = [
        (path, 1000.0 * k + t + 0.25, T0 + timedelta(seconds=t), 0)
        for t in range(samples)
        for k, path in enumerate((P1, P2, MEMORY))
    ]
    return export_csv(rows, comma=comma, sep=sep)


def streamed_and_exact(path, monkeypatch, block=256, *, damaged=False, **options):
    """``kit.load(path)`` read ``block`` bytes at a time (falling back to the exact path only if
    ``damaged``), and read by the exact path alone."""
    monkeypatch.setattr(powershell, "_BLOCK", block)
    if not damaged:
        monkeypatch.setattr(powershell, "read_body", None)  # the exact path would fail
    streamed = kit.load(path, cache_results=False, **options)
    monkeypatch.undo()
    monkeypatch.setattr(powershell, "_BLOCK", block)

    def not_one_to_one(*args):
        raise powershell._NotOneToOne

    monkeypatch.setattr(powershell, "_blocks", not_one_to_one)
    exact = kit.load(path, cache_results=False, **options)
    monkeypatch.undo()
    return streamed, exact


def assert_same(streamed, exact):
    assert streamed.data.equals(exact.data)
    assert streamed.catalog.equals(exact.catalog)
    assert streamed.warnings == exact.warnings and streamed.sources == exact.sources


CORPUS = sorted(p.name for p in BAD.glob("*powershell*.csv") if p.name != "powershell_header_only.csv")


@pytest.mark.parametrize("name", CORPUS)
def test_blocks_read_the_corpus_as_the_exact_path_does(name, monkeypatch):
    assert_same(*streamed_and_exact(BAD / name, monkeypatch, block=200))


@pytest.mark.parametrize(
    "text, encoding, options",
    [
        (many_rows(), "utf-8", {}),
        (many_rows(), "utf-16", {}),
        (many_rows(), "cp1252", {"encoding": "cp1252"}),
        (many_rows(comma=True), "utf-8-sig", {}),  # de-DE without -UseCulture: "12,5" in ',' fields
        (many_rows(comma=True, sep=";"), "utf-8", {"utc_offset": "+01:00"}),
    ],
    ids=["utf-8", "utf-16", "cp1252", "decimal-comma", "semicolons"],
)
def test_blocks_read_what_the_exact_path_reads(write, monkeypatch, text, encoding, options):
    streamed, exact = streamed_and_exact(write("ps.csv", text, encoding=encoding), monkeypatch, **options)
    assert_same(streamed, exact)
    assert streamed.data[MEMORY][:2].to_list() == [2000.25, 2001.25]


def test_hand_checked_values_across_blocks(write, monkeypatch):
    monkeypatch.setattr(powershell, "_BLOCK", 300)  # about one row a block
    capture = kit.load(write("ps.csv", many_rows(), encoding="utf-8"), cache_results=False)
    assert capture.data.columns == ["time", P1, P2, MEMORY]
    assert capture.data[P2].to_list() == [1000.25 + t for t in range(40)]
    assert capture.data["time"][39] == datetime(2016, 11, 26, 13, 47, 9, tzinfo=timezone.utc)
    assert capture.sources[0].samples == 120 and capture.sources[0].rows == 40


def test_a_line_longer_than_a_block(write, monkeypatch):
    monkeypatch.setattr(powershell, "_BLOCK", 16)
    capture = kit.load(write("ps.csv", export_csv(ROWS), encoding="ascii"), cache_results=False)
    assert capture.data[P1].to_list() == [12.5, 14.0]


def test_bytes_not_utf8_in_a_later_block_are_named_with_their_line(write, monkeypatch):
    raw = many_rows().encode("utf-8").split(b"\r\n")
    raw[60] = raw[60].replace(b'"x"', b'"\xff"')  # InstanceName of line 61: never parsed, still reported
    path = write("ps.csv", b"\r\n".join(raw))
    streamed, exact = streamed_and_exact(path, monkeypatch)
    assert_same(streamed, exact)
    (bad,) = [w for w in streamed.warnings if w.code == "undecodable-bytes"]
    assert bad.line == 61 and streamed.data.height == 40


def test_a_damaged_line_deep_in_the_file_sends_it_to_the_exact_path(write, monkeypatch):
    lines = many_rows().split("\r\n")
    lines[70] = lines[70].rsplit(",", 2)[0]  # line 71 cut short
    lines.insert(90, "")  # and a blank line 91
    streamed, exact = streamed_and_exact(write("ps.csv", "\r\n".join(lines)), monkeypatch, damaged=True)
    assert_same(streamed, exact)
    skipped = {w.code: w.skipped_lines for w in streamed.warnings if w.skipped_lines}
    assert skipped == {"field-count": (71,), "blank-line": (91,)}


def test_timestamps_written_differently_are_one_time(write):
    lines = export_csv(ROWS + [(P1, 15.0, T1, 0)]).split("\r\n")
    lines[6] = lines[6].replace('"11/26/2016 01:46:33 PM"', '" 11/26/2016 01:46:33 PM "')  # line 7
    capture = kit.load(write("ps.csv", "\r\n".join(lines)), cache_results=False)
    assert capture.data[P1].to_list() == [12.5, 14.0]
    (repeat,) = [w for w in capture.warnings if w.code == "long-format-duplicates"]
    assert repeat.skipped_lines == (7,)


def test_one_counter_keeps_and_checks_only_its_rows(write):
    text = many_rows().replace('"2000.25"', '"n/a"').replace('"1005.25"', '"n/a"')  # MEMORY, then P2
    path = write("ps.csv", text)
    full = kit.load(path, cache_results=False)
    part = kit.load(path, counters=[r"\Processor(*)\% Processor Time"], cache_results=False)
    assert part.data.equals(full.select([P2]).data)
    assert part.sources[0].samples == 40 and part.sources[0].columns == 1
    codes = {w.code: w for w in part.warnings}
    assert codes["not-selected"].message.startswith("2 of 3 counter columns left out")
    assert codes["bad-value"].message.startswith("1 CookedValue cell(s)") and codes["bad-value"].line == 19
    assert [w.message for w in full.warnings if w.code == "bad-value"][0].startswith("2 CookedValue")


def test_no_counter_of_the_file_matches(write):
    with pytest.raises(OptionError, match="no counter in 1 file"):
        kit.load(write("ps.csv", export_csv(ROWS)), counters=[r"\Memory\*"], cache_results=False)
