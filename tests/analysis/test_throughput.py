"""Throughput figures on a hand-computed capture: bytes, percentiles, steadiness, histogram, CDF."""

from __future__ import annotations

import math

import polars as pl
import pytest

import kit
from kit.analysis.throughput import cdf, histogram, leg_series, nic_bytes, rate_stats, steadiness
from kit.cli import describe_analysis
from kit.errors import OptionError
from tests.handmade import at, load_log

NIC = r"\\HV01\Network Interface(Mellanox ConnectX-4 Lx Ethernet Adapter)"
MGMT = r"\\HV01\Network Interface(Intel[R] I350 Gigabit Network Connection)"
MB = 1e6
# sent rate per second: idle, burst (edge 50, interior 100 80 120 100, edge 40), idle
SENT = [None, 0, 50, 100, 80, 120, 100, 40, 0, 0]


@pytest.fixture
def capture(tmp_path):
    return load_log(
        tmp_path,
        {
            rf"{NIC}\Bytes Sent/sec": [None if v is None else v * MB for v in SENT],
            rf"{NIC}\Bytes Received/sec": [None] + [0.1 * MB] * 9,
            rf"{NIC}\Packets Sent/sec": [None if v is None else v * MB / 9014 for v in SENT],
            rf"{NIC}\Current Bandwidth": [10e9] * 10,
            rf"{MGMT}\Bytes Sent/sec": [None] + [0.5 * MB] * 9,
            rf"{MGMT}\Current Bandwidth": [1e9] * 10,
        },
    )


def leg(capture, start=0.5, end=8.5):
    return leg_series(capture, host="HV01", direction="sent", start=at(start), end=at(end))


def test_phases_and_total(capture):
    series, _ = leg(capture)
    # samples 1..9 overlap [0.5, 8.5]; the burst is samples 2..7 with edges 2 and 7
    assert series["phase"].to_list() == ["idle", "edge", "transfer", "transfer", "transfer", "transfer", "edge", "idle", "idle"]
    assert series["total_bytes_s"][1] == pytest.approx(50.5 * MB)  # counted NICs: the NIC + management


def test_nic_bytes_shares_and_mtu(capture):
    _, nics = leg(capture)
    table = nic_bytes(capture, nics, direction="sent", start=at(0.5), end=at(8.5))
    row = table.filter(pl.col("instance").str.starts_with("Mellanox")).row(0, named=True)
    assert row["bytes"] == pytest.approx(490 * MB)  # Σ rate × 1 s over samples 1..9
    management = 9 * 0.5 * MB
    assert row["share"] == pytest.approx(490 / (490 + management / MB))
    assert row["carried"] and row["mtu"] == 9000 and row["mtu_basis"] == "bytes/packet"
    assert row["link_bits_s"] == 10e9
    mgmt = table.filter(pl.col("instance").str.starts_with("Intel")).row(0, named=True)
    assert mgmt["carried"] is False and mgmt["mtu"] == 1500 and mgmt["mtu_basis"] == "assumed"
    given = nic_bytes(capture, nics, direction="sent", start=at(0.5), end=at(8.5), mtu=1500)
    assert set(given["mtu_basis"]) == {"given"}


def test_rate_stats_are_true_percentiles(capture):
    series, _ = leg(capture)
    name = [c for c in series.columns if c.startswith("Mellanox")][0]
    stats = rate_stats(series, column=name)
    # interior samples 100, 80, 120, 100 (sorted 80 100 100 120), linear interpolation
    assert stats.mean_bytes_s == pytest.approx(100 * MB)
    assert stats.p5_bytes_s == pytest.approx(83 * MB)
    assert stats.p50_bytes_s == pytest.approx(100 * MB)
    assert stats.p95_bytes_s == pytest.approx(117 * MB)
    assert stats.p99_bytes_s == pytest.approx(119.4 * MB)
    assert stats.peak_bytes_s == pytest.approx(120 * MB)
    assert stats.transfer_s == pytest.approx(4.0) and stats.samples == 4


def test_steadiness_and_dips(capture):
    series, _ = leg(capture)
    name = [c for c in series.columns if c.startswith("Mellanox")][0]
    steady = steadiness(series, column=name)
    assert steady.plateau_bytes_s == pytest.approx(100 * MB)
    assert steady.cv == pytest.approx(math.sqrt(800 / 3) / 100)
    assert steady.dip_count == 1
    dip = steady.dips[0]
    assert dip.depth == pytest.approx(0.2) and dip.seconds == pytest.approx(1.0)
    assert dip.start == at(3) and dip.end == at(4)
    assert steady.time_at_plateau_s == pytest.approx(3.0)
    assert steady.at_plateau_share == pytest.approx(0.75)
    assert steadiness(series, column=name, dip_fraction=0.7).dip_count == 0


def test_histogram_and_cdf(capture):
    series, _ = leg(capture)
    name = [c for c in series.columns if c.startswith("Mellanox")][0]
    hist = histogram(series, column=name, bin_width_gbps=0.2)
    # 0.8, 0.64, 0.96, 0.8 Gbit/s
    assert hist.to_dicts() == [
        {"bin_start_gbps": 0.6, "bin_end_gbps": 0.8, "samples": 1, "seconds": 1.0, "share": 0.25},
        {"bin_start_gbps": 0.8, "bin_end_gbps": 1.0, "samples": 3, "seconds": 3.0, "share": 0.75},
    ]
    curve = cdf(series, column=name)
    assert curve["gbps"].to_list() == pytest.approx([0.64, 0.8, 0.8, 0.96])
    assert curve["share"].to_list() == pytest.approx([0.25, 0.5, 0.75, 1.0])
    with pytest.raises(OptionError, match="bin_width_gbps"):
        histogram(series, column=name, bin_width_gbps=-1)


def test_default_bin_width_is_round_and_bounded(capture):
    series, _ = leg(capture)
    hist = histogram(series)
    width = hist["bin_end_gbps"][0] - hist["bin_start_gbps"][0]
    mantissa = width / 10 ** math.floor(math.log10(width))
    assert round(mantissa, 6) in (1, 2, 5)
    assert 1 <= hist.height <= 50
    assert hist["samples"].sum() == 4 and hist["share"].sum() == pytest.approx(1.0)


def test_gap_is_reported_and_integrated_over_its_length(tmp_path):
    offsets = [0, 1, 2, 3, 6, 7, 8]  # samples at 4 and 5 s are missing
    capture = load_log(
        tmp_path,
        {rf"{NIC}\Bytes Sent/sec": [None, 0, 100 * MB, 100 * MB, 100 * MB, 100 * MB, 0]},
        offsets_s=offsets,
    )
    series, nics = leg_series(capture, host="HV01", direction="sent", start=at(0.5), end=at(7.5))
    assert series.filter(pl.col("gap"))["time"].to_list() == [at(6)]
    table = nic_bytes(capture, nics, direction="sent", start=at(0.5), end=at(7.5))
    assert table["bytes"][0] == pytest.approx(100 * MB * 6)  # the 3 s interval counts 3 s


def test_blank_values_count_as_missing_time(tmp_path):
    capture = load_log(tmp_path, {rf"{NIC}\Bytes Sent/sec": [None, 0, 100 * MB, None, 100 * MB, 0]})
    _, nics = leg_series(capture, host="HV01", direction="sent", start=at(0.5), end=at(5))
    table = nic_bytes(capture, nics, direction="sent", start=at(0.5), end=at(5))
    assert table["bytes"][0] == pytest.approx(200 * MB)
    assert table["missing_s"][0] == pytest.approx(1.0)


def test_bytes_total_only_stands_in_for_the_direction(tmp_path):
    capture = load_log(tmp_path, {rf"{NIC}\Bytes Total/sec": [None, 0, 100 * MB, 100 * MB, 0]})
    series, nics = leg_series(capture, host="HV01", direction="received", start=at(0.5), end=at(4))
    table = nic_bytes(capture, nics, direction="received", start=at(0.5), end=at(4))
    assert table["bytes"][0] == pytest.approx(200 * MB)
    assert table["counter"][0] == "Bytes Total/sec"


def test_unknown_direction_is_refused(capture):
    with pytest.raises(OptionError, match="direction"):
        leg_series(capture, host="HV01", direction="sideways", start=at(0), end=at(1))


def two_nics(tmp_path, *, second_speed: bool):
    """Two 10 GbE NICs each sending 1 GB/s for 8 s; the second logs Current Bandwidth or not."""
    first, second = NIC, r"\\HV01\Network Interface(Mellanox ConnectX-4 Lx Ethernet Adapter _2)"
    sent = [None, 0.0, *[1e9] * 8, 0.0, 0.0]
    columns = {rf"{first}\Bytes Sent/sec": sent, rf"{second}\Bytes Sent/sec": sent,
               rf"{first}\Current Bandwidth": [10e9] * 12}
    if second_speed:
        columns[rf"{second}\Current Bandwidth"] = [10e9] * 12
    return load_log(tmp_path, columns)


@pytest.mark.parametrize("second_speed", [True, False])
def test_percent_of_link_is_over_every_carrying_nic_or_unknown(tmp_path, second_speed):
    """Issue 13 §5: with one NIC's speed missing the kit said 192 % of a 10 Gbit/s link."""
    capture = two_nics(tmp_path, second_speed=second_speed)
    migration = kit.analyze(capture, windows=[(at(0.5), at(10.5))]).migrations[0]
    t = migration.throughput
    if second_speed:
        assert t.link_bits_s == 20e9 and t.pct_of_link == pytest.approx(100 * 2e9 / 2.5e9)
    else:
        assert t.link_bits_s is None and t.pct_of_link is None and t.pct_of_ceiling is None
        assert "link speed unknown" in describe_analysis(kit.analyze(capture, windows=[(at(0.5), at(10.5))]))


def test_a_nic_that_stops_mid_migration_is_reported_with_its_shares(tmp_path):
    """Issue 13 §4: port 2 went silent at 09:00:36 and nothing said so; the imbalance finding blamed RSS."""
    first, second = NIC, r"\\HV01\Network Interface(Mellanox ConnectX-4 Lx Ethernet Adapter _2)"
    one = [None, 0.0, *[1e9] * 5, *[1.8e9] * 5, 0.0, 0.0]
    two = [None, 0.0, *[1e9] * 5, *[0.0] * 5, 0.0, 0.0]
    capture = load_log(tmp_path, {rf"{first}\Bytes Sent/sec": one, rf"{second}\Bytes Sent/sec": two,
                                  rf"{first}\Current Bandwidth": [10e9] * 14, rf"{second}\Current Bandwidth": [10e9] * 14})
    migration = kit.analyze(capture, windows=[(at(0.5), at(12.5))]).migrations[0]
    [stop] = migration.source_leg.nic_stops
    assert stop.instance.endswith("_2") and (stop.last_active, stop.silent_from) == (at(6), at(7))
    first_name = "Mellanox ConnectX-4 Lx Ethernet Adapter"
    assert stop.shares_before[first_name] == pytest.approx(0.5)  # transfer samples 2..6 (edges left out)
    assert stop.shares_after[first_name] == pytest.approx(1.0)
    kinds = [f.kind for f in migration.findings]
    assert "nic-stopped" in kinds and "imbalance" not in kinds
    [text] = [f.text for f in migration.findings if f.kind == "nic-stopped"]
    assert "after 13:00:06.000 UTC" in text and "50 % / 50 % before, 100 % / 0 % after" in text


def test_no_stop_when_every_nic_goes_quiet_together(tmp_path):
    capture = two_nics(tmp_path, second_speed=True)
    migration = kit.analyze(capture, windows=[(at(0.5), at(10.5))]).migrations[0]
    assert migration.source_leg.nic_stops == () and "nic-stopped" not in [f.kind for f in migration.findings]


def test_a_receiver_that_cannot_keep_up_is_named(tmp_path):
    lm = r"Hyper-V VM Live Migration(VM1:VM Live Migration)"
    sent = [None, 0.0, *[1e9] * 8, 0.0, 0.0]
    capture = load_log(tmp_path, {
        rf"\\HV01\{lm}\SMB Transport: Bytes Sent/sec": sent,
        rf"\\HV01\{lm}\Transfer Pass: Number": [0, 1, *[1] * 8, 2, 2],
        rf"\\HV02\{lm}\Receiver: Bytes Written/sec": sent,
        rf"\\HV02\{lm}\Receiver: Bytes Pending Write": [0.0, 0.0, *[2.5e9] * 8, 0.0, 0.0],
        rf"{NIC}\Bytes Sent/sec": sent,
        r"\\HV02\Network Interface(nic)\Bytes Received/sec": sent,
    })
    migration = kit.analyze(capture).migrations[0]
    assert migration.lm_bytes.receive_pending_peak == 2.5e9 and migration.lm_bytes.smb == pytest.approx(8e9)
    [text] = [f.text for f in migration.findings if f.kind == "back-pressure"]
    assert text.startswith("HV02's live-migration receiver queued up to 2500 MB") and "2.5 s of the transfer" in text
