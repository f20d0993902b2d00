"""kit.analyze() checks every argument and names it (issue 14 §8), and records what each side
input gave the analysis and what its reader warned of (issue 14 §9)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import polars as pl
import pytest

import kit
from kit.analysis.analyze import analyze, check_windows
from kit.analysis.results import WARNING_TEXT_CHARS, Analysis, SideInput, warning_groups
from kit.errors import LoadWarning, OptionError
from kit.io.side.events import read_events
from kit.io.side.pings import read_pings
from kit.io.side.topology import read_topology
from kit.sample import sample_dir, sample_test

SIDES = sample_dir() / "smb-2x10g-jumbo-55gb"


@pytest.fixture(scope="module")
def capture():
    return kit.load(sample_test(), cache_results=False, progress=False)


@pytest.fixture(scope="module")
def sides():
    return kit.load(SIDES, cache_results=False, progress=False)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"mtu": -14}, "mtu=-14 is not an MTU (give 576 to 65535 bytes"),
        ({"mtu": 575}, "mtu=575 is not an MTU"),
        ({"mtu": 65536}, "mtu=65536 is not an MTU"),
        ({"mtu": 1500.5}, "mtu=1500.5 is not an MTU"),
        ({"mtu": True}, "mtu=True is not an MTU"),
        ({"mtu": "9000"}, "mtu='9000' is not an MTU"),
        ({"vm_memory_gb": -16}, "vm_memory_gb=-16 is not a finite number above 0"),
        ({"vm_memory_gb": float("inf")}, "vm_memory_gb=inf is not a finite number above 0"),
        ({"vm_memory_gb": float("nan")}, "vm_memory_gb=nan is not"),
        ({"vm_memory_gb": "16"}, "vm_memory_gb='16' is not a finite number above 0"),
        ({"bin_width_gbps": 0}, "bin_width_gbps=0 is not a finite number above 0"),
        ({"bin_width_gbps": -0.5}, "bin_width_gbps=-0.5 is not"),
        ({"transport": "rdma"}, "transport='rdma' is not a transport (give one of tcp, compression, smb, smb-direct)"),
        ({"dip_fraction": 1.0}, "dip_fraction=1 is not between 0 and 1"),
        ({"dip_fraction": None}, "dip_fraction=None is not between 0 and 1"),
        ({"active_pct": 0}, "active_pct=0 is not a share of one core above 0 and up to 100 [%]"),
        ({"saturated_pct": 150}, "saturated_pct=150 is not a share of one core"),
        ({"labels": {"plan": float("nan")}}, "labels: the value of 'plan' is nan, which JSON cannot hold"),
        ({"labels": ["mtu=9000"]}, "labels is a list, not a mapping"),
        ({"events": "HV01.evtx"}, "events is a str (give what kit.read_events(...) returns)"),
        ({"topology": str(SIDES / "topology")}, "topology is a str (give what kit.read_topology(...) returns)"),
        ({"pings": 3}, "pings is an int (give what kit.read_pings(...) returns)"),
        ({"align_clocks": "yes"}, "align_clocks='yes' is not True or False"),
        ({"windows": 5}, "windows= is not a list of (start, end[, vm]) items or a frame"),
        ({"windows": [("noon", "one")]}, "windows=: 'noon' is not an ISO 8601 time"),
        ({"windows": pl.DataFrame({"begin": [1]})}, "windows=: the windows frame lacks ['end', 'start']"),
        ({"windows": [("2025-02-11T13:06:40Z", "2025-02-11T13:05:40Z")]},
         "windows=: the window 2025-02-11T13:06:40.000Z/2025-02-11T13:05:40.000Z does not end after it starts"),
        ({"windows": [("2025-02-11T13:05:40Z", "2025-02-11T13:06:00Z"), ("2030-02-11T13:05:40Z", "2030-02-11T13:06:40Z")]},
         "windows=: the window 2030-02-11T13:05:40.000Z/2030-02-11T13:06:40.000Z lies wholly outside the capture "
         "(2025-02-11T13:05:17.006Z → 2025-02-11T13:06:30.153Z)"),
        ({"windows": [(datetime(2025, 2, 11, 12, 0), datetime(2025, 2, 11, 13, 5, 17))]},
         "windows=: the window 2025-02-11T12:00:00.000Z/2025-02-11T13:05:17.000Z lies wholly outside the capture"),
    ],
)
def test_a_bad_argument_is_named(capture, arguments, message):
    with pytest.raises(OptionError) as caught:
        analyze(capture, **arguments)
    assert str(caught.value).startswith(message)
    assert "datetime.datetime" not in str(caught.value) and "zone" not in str(caught.value)


def test_a_capture_that_is_not_one_is_named():
    with pytest.raises(OptionError, match=r"^capture is a str, not a capture \(give kit.load\(...\)\)$"):
        analyze("HV01.csv")


def test_arguments_in_range_are_taken(capture):
    start = datetime(2025, 2, 11, 13, 5, 0, tzinfo=timezone.utc)  # before the capture, overlapping it
    result = analyze(capture, mtu=9000.0, vm_memory_gb=16, windows=[(start, start + timedelta(seconds=40))],
                     labels={"plan": "high"}, active_pct=100, saturated_pct=100, dip_fraction=0.5)
    assert result.migrations[0].throughput.mtu == 9000 and isinstance(result.options.mtu, int)
    assert result.migrations[0].window.start == start


def test_check_windows_names_the_option_it_is_given(capture):
    end = capture.end + timedelta(hours=1)
    with pytest.raises(OptionError, match=r"^--window: the window .* lies wholly outside the capture"):
        check_windows(capture, [(capture.end, end)], option="--window")
    check_windows(capture, [(capture.end - timedelta(seconds=1), end)], option="--window")


# ---------------------------------------------------------------------------------------------
# Side inputs: what was read and used, and the warnings


def test_no_side_input_given(capture):
    result = analyze(capture)
    assert [s.kind for s in result.inputs] == ["events", "topology", "pings"]
    assert all(not s.given and not s.used and s.note is None for s in result.inputs)
    assert [g.code for g in result.warning_groups()] == ["blank-first-row", "partly-blank"]
    assert {g.input for g in result.warning_groups()} == {"capture"}


def test_side_inputs_used(sides):
    events = read_events(SIDES / "events")
    result = analyze(sides, events=events, topology=read_topology(SIDES / "topology"),
                     pings=read_pings(SIDES / "pings" / "ping-windows.txt", utc_offset="+01:00"))
    assert result.input("events") == SideInput("events", given=True, read=events.table.height, used=True,
                                               warnings=events.warnings)
    assert result.input("topology").used and result.input("topology").read == 9
    pings = result.input("pings")
    assert pings.used and pings.read == 51 and pings.note is None
    assert "ping-gap" in {m.method for m in result.migrations[0].blackout.methods}


def test_a_ping_log_read_as_utc_misses_the_capture_and_says_so(sides):
    result = analyze(sides, pings=read_pings(SIDES / "pings" / "ping-windows.txt"))
    pings = result.input("pings")
    assert (pings.given, pings.used, pings.read) == (True, False, 51)
    assert pings.note == (
        "its probes (2025-02-11T14:05:18.000Z → 2025-02-11T14:06:12.000Z) lie outside the capture "
        "(2025-02-11T13:05:17.006Z → 2025-02-11T13:06:17.009Z); its local times were taken as UTC: give the "
        "UTC offset of the machine that wrote it"
    )
    [group] = [g for g in result.warning_groups() if g.input == "pings"]
    assert (group.code, group.count) == ("timezone-unknown", 1)


def test_a_ping_log_without_times_cannot_be_placed(sides, tmp_path):
    log = tmp_path / "ping.txt"
    log.write_text("Pinging 10.0.0.5 with 32 bytes of data:\nReply from 10.0.0.5: bytes=32 time=1ms TTL=128\n"
                   "Request timed out.\n")
    pings = analyze(sides, pings=read_pings(log)).input("pings")
    assert not pings.used and pings.note.startswith("the log has no timestamps and no start time was given")


def test_events_with_nothing_read(sides, tmp_path):
    empty = tmp_path / "none.xml"
    empty.write_text("")
    result = analyze(sides, events=read_events(empty))
    assert result.input("events") == SideInput(
        "events", given=True, read=0, used=False, note="no event read from 1 file",
        warnings=result.input("events").warnings,
    )
    assert [(g.input, g.code) for g in result.warning_groups()][-1] == ("events", "empty-export")
    assert analyze(sides, events=read_events(SIDES)).input("events").note == "no event export found"


def test_warning_groups_count_and_cap_their_first_message():
    found = [LoadWarning("a.csv", "bad-value", "x" * 10_000_000, line=3), LoadWarning("b.csv", "no-data", "empty"),
             LoadWarning("a.csv", "bad-value", "second", line=9)]
    groups = warning_groups(found, input="capture")
    assert [(g.code, g.count, g.where) for g in groups] == [("bad-value", 2, "a.csv:3"), ("no-data", 1, "b.csv")]
    assert len(groups[0].message) == WARNING_TEXT_CHARS and groups[0].message.endswith("x…")
    assert groups[1].message == "empty" and str(groups[1]) == "capture [no-data] ×1: b.csv: empty"
    assert warning_groups([], input="pings") == ()


def test_an_analysis_built_without_inputs_lists_none_given(capture):
    result = analyze(capture)
    bare = Analysis(capture=result.capture, windows=result.windows, migrations=(), traffic={}, options=result.options)
    assert bare.input("pings") == SideInput("pings", given=False) and len(bare.warning_groups()) == 2


def test_the_results_doctests_run():
    import doctest

    import kit.analysis.results

    outcome = doctest.testmod(kit.analysis.results)
    assert outcome.attempted >= 4 and outcome.failed == 0
