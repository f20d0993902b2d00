"""Migration windows: from the live-migration counters, from NIC throughput, and as given."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

import kit
from kit.analysis.windows import WINDOW_SCHEMA, find_migrations, given_windows
from kit.errors import OptionError
from tests.handmade import at, load_log, write_log

MB = 1e6
NIC = r"Network Interface(Mellanox ConnectX-4 Lx Ethernet Adapter)"
_ = None


def lm(host: str, vm: str, counter: str) -> str:
    return rf"\\{host}\Hyper-V VM Live Migration({vm}:VM Live Migration)\{counter}"


def nic(host: str, counter: str) -> str:
    return rf"\\{host}\{NIC}\{counter}"


def pair(tmp_path, source: dict, destination: dict) -> kit.Capture:
    paths = [write_log(tmp_path, source, name="HV01.csv"), write_log(tmp_path, destination, name="HV02.csv")]
    return kit.load(paths, cache_results=False, progress=False)


def test_counters_give_vm_hosts_and_midpoint_bounds(tmp_path):
    # instance present at samples 3..8 on both hosts
    source = {
        lm("HV01", "VM1", "Transfer Pass: Number"): [_, _, _, 0, 1, 1, 2, 3, 3, _, _],
        lm("HV01", "VM1", "Memory Walker: Bytes Read/sec"): [_, _, _, _, 5e8, 5e8, 2e8, 1e7, 0, _, _],
    }
    destination = {
        lm("HV02", "VM1", "Transfer Pass: Number"): [_, _, _, 0, 0, 0, 0, 0, 0, _, _],
        lm("HV02", "VM1", "Receiver: Bytes Written/sec"): [_, _, _, _, 5e8, 5e8, 2e8, 1e7, 0, _, _],
    }
    found = find_migrations(pair(tmp_path, source, destination))
    assert found.schema == pl.Schema(WINDOW_SCHEMA)
    row = found.row(0, named=True)
    assert (row["vm"], row["source"], row["destination"], row["method"]) == ("VM1", "HV01", "HV02", "counters")
    assert row["instance"] == "VM1:VM Live Migration"
    assert row["start"] == at(2.5) and row["end"] == at(8.5)
    assert row["duration_s"] == pytest.approx(6.0) and row["resolution_s"] == pytest.approx(1.0)
    assert found.height == 1 and row["concurrent_with"] == []


def test_back_and_forth_and_concurrent_vms(tmp_path):
    # VM1 leaves HV01 (samples 2-4) and comes back (samples 8-10); VM2 leaves HV01 at 3-5
    columns = {
        lm("HV01", "VM1", "Transfer Pass: Number"): [_, _, 1, 2, 3, _, _, _, 0, 0, 0, _],
        lm("HV01", "VM1", "Receiver: Bytes Written/sec"): [_, _, _, 0, 0, _, _, _, _, 4e8, 4e8, _],
        lm("HV01", "VM2", "Transfer Pass: Number"): [_, _, _, 1, 1, 2, _, _, _, _, _, _],
    }
    found = find_migrations(load_log(tmp_path, columns))
    rows = found.select("migration", "vm", "source", "destination", "start", "end", "concurrent_with").to_dicts()
    assert [(r["vm"], r["source"], r["destination"]) for r in rows] == [
        ("VM1", "HV01", None), ("VM2", "HV01", None), ("VM1", None, "HV01")
    ]
    assert rows[0]["start"] == at(1.5) and rows[0]["end"] == at(4.5)
    assert rows[2]["start"] == at(7.5) and rows[2]["end"] == at(10.5)
    assert rows[0]["concurrent_with"] == [2] and rows[1]["concurrent_with"] == [1]
    assert rows[2]["concurrent_with"] == []


def test_an_instance_that_never_vanishes_is_cut_by_activity(tmp_path):
    columns = {lm("HV01", "VM1", "Transfer Pass: Number"): [0, 0, 0, 1, 2, 3, 0, 0, 0]}
    row = find_migrations(load_log(tmp_path, columns)).row(0, named=True)
    assert (row["start"], row["end"], row["source"]) == (at(2.5), at(5.5), "HV01")


def test_throughput_bursts_merge_short_gaps_and_drop_blips(tmp_path):
    sent = [_, 0, 1e9, 1e9, 0.05e9, 1e9, 0, 0, 0, 0, 1e9, 1e9, 1e9, 0, 0, 0, 0.2e9, 0, 0, 0]
    # burst A: samples 2-5 with a one-sample dip (merged); burst B: 10-12; a 200 MB blip at 16
    capture = load_log(tmp_path, {nic("HV01", "Bytes Sent/sec"): sent, nic("HV01", "Bytes Received/sec"): [_] + [1e5] * 19})
    found = find_migrations(capture, min_bytes=300e6)
    assert found["method"].to_list() == ["throughput", "throughput"]
    assert found["source"].to_list() == ["HV01", "HV01"] and found["destination"].to_list() == [None, None]
    # start: the middle of the first high interval, end: the middle of the last
    assert found["start"].to_list() == [at(1.5), at(9.5)]
    assert found["end"].to_list() == [at(4.5), at(11.5)]
    assert find_migrations(capture, min_bytes=300e6, merge_gap_s=0.5).height == 3
    with_blip = find_migrations(capture)
    assert with_blip.height == 3 and with_blip["start"][2] == at(15.5)
    assert find_migrations(capture, min_duration_s=3.5).height == 1


def test_throughput_pairs_hosts_by_overlap(tmp_path):
    sent = [_, 0, 0, 1e9, 1e9, 1e9, 0, 0, 0, 0]
    received = [_, 0, 0, 0, 1e9, 1e9, 1e9, 0, 0, 0]  # destination sees it a little later
    source = {nic("HV01", "Bytes Sent/sec"): sent, nic("HV01", "Bytes Received/sec"): [_] + [1e5] * 9}
    destination = {nic("HV02", "Bytes Sent/sec"): [_] + [1e5] * 9, nic("HV02", "Bytes Received/sec"): received}
    found = find_migrations(pair(tmp_path, source, destination))
    row = found.row(0, named=True)
    assert found.height == 1
    assert (row["source"], row["destination"]) == ("HV01", "HV02")
    assert (row["start"], row["end"]) == (at(2.5), at(4.5))  # the source's view wins


def test_traffic_missed_by_the_counters_is_added(tmp_path):
    columns = {
        lm("HV01", "VM1", "Transfer Pass: Number"): [_, _, 1, 1, _, _, _, _, _, _],
        nic("HV01", "Bytes Sent/sec"): [_, 0, 1e9, 1e9, 0, 0, 1e9, 1e9, 0, 0],
    }
    found = find_migrations(load_log(tmp_path, columns))
    assert found["method"].to_list() == ["counters", "throughput"]
    assert found["vm"].to_list() == ["VM1", None]


def test_idle_capture_has_no_migration(tmp_path):
    capture = load_log(tmp_path, {nic("HV01", "Bytes Sent/sec"): [_, 1e4, 2e4, 1e4, 3e4, 1e4]})
    found = find_migrations(capture)
    assert found.is_empty() and found.schema == pl.Schema(WINDOW_SCHEMA)


def test_given_windows_in_any_form(tmp_path):
    source = {nic("HV01", "Bytes Sent/sec"): [_, 0, 1e9, 1e9, 0], nic("HV01", "Bytes Received/sec"): [_, 0, 1e6, 1e6, 0]}
    destination = {nic("HV02", "Bytes Sent/sec"): [_, 0, 1e6, 1e6, 0], nic("HV02", "Bytes Received/sec"): [_, 0, 1e9, 1e9, 0]}
    capture = pair(tmp_path, source, destination)
    by_text = given_windows(capture, [("2025-02-11T13:00:00.5Z", "2025-02-11T14:00:03.5+01:00", "VM9")])
    row = by_text.row(0, named=True)
    assert (row["start"], row["end"], row["vm"], row["method"]) == (at(0.5), at(3.5), "VM9", "given")
    assert (row["source"], row["destination"], row["duration_s"]) == ("HV01", "HV02", 3.0)
    naive = given_windows(capture, [(datetime(2025, 2, 11, 13, 0, 1), datetime(2025, 2, 11, 13, 0, 2))])
    assert naive["start"][0] == at(1)
    frame = given_windows(capture, pl.DataFrame({"start": ["2025-02-11T13:00:01Z"], "end": ["2025-02-11T13:00:02Z"]}))
    assert frame["end"][0] == at(2) and frame["vm"][0] is None


@pytest.mark.parametrize(
    ("windows", "message"),
    [
        ([("2025-02-11T13:00:03Z", "2025-02-11T13:00:01Z")], "does not end after it starts"),
        ([("yesterday", "2025-02-11T13:00:01Z")], "is not an ISO 8601 time"),
        ([("2025-02-11T13:00:01Z",)], r"is not \(start, end\)"),
        ([], "no windows given"),
        ([(3, 4)], "is not a time"),
    ],
)
def test_bad_given_windows_are_refused(tmp_path, windows, message):
    capture = load_log(tmp_path, {nic("HV01", "Bytes Sent/sec"): [_, 0, 1e9]})
    with pytest.raises(OptionError, match=message):
        given_windows(capture, windows)
