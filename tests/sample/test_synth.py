"""Tests of the synthetic capture generator (kit.sample.generator) and of the bundled sample in data/.

The first part parses the CSVs with the stdlib csv module on purpose, so that the relog layout is
checked independently of the kit's own loader. The second part (several migrations, logging
toggles, core-bound throughput, seed scenarios) reads the generated files back through
``kit.load``, as the analyses do, and checks every feature against its own truth.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import kit
from kit.errors import OptionError
from kit.sample import generator as synth
from kit.sample import sample_dir

DATA = sample_dir()
BUNDLED = synth.BUNDLED[0]
HEADER_CELL = re.compile(r"^\(PDH-CSV 4\.0\) \((?P<name>.*)\)\((?P<bias>-?\d+)\)$")
STAMP = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}\.\d{3}$")
QUOTED_LINE = re.compile(r'^"[^"]*"(,"[^"]*")*$')
GAUGES = {
    "Current Bandwidth",
    "Output Queue Length",
    "Packets Received Discarded",
    "Available MBytes",
    "Transfer Pass: Number",
    "Transfer Pass: Is blackout",
    "Transfer pass: Dirty Page Count",
    "SMB Transport: Bytes Sent",
}


class Capture:
    """One host's CSV parsed with the csv module: header, UTC sample times, values (NaN = blank)."""

    def __init__(self, data: bytes, bias_minutes: int) -> None:
        rows = list(csv.reader(io.StringIO(data.decode("ascii"), newline="")))
        self.header = rows[0]
        self.cells = rows[1:]
        local = [datetime.strptime(r[0], "%m/%d/%Y %H:%M:%S.%f") for r in self.cells]
        self.utc = [t + timedelta(minutes=bias_minutes) for t in local]
        self.seconds = np.array([(t - self.utc[0]).total_seconds() for t in self.utc])
        self.values = np.array([[np.nan if c.strip() == "" else float(c) for c in r[1:]] for r in self.cells])

    def column(self, obj: str, instance: str | None, counter: str) -> np.ndarray:
        where = obj if instance is None else f"{obj}({instance})"
        matches = [i for i, h in enumerate(self.header[1:]) if h.split("\\", 3)[3] == f"{where}\\{counter}"]
        assert len(matches) == 1, (where, counter, matches)
        return self.values[:, matches[0]]

    def integral(self, values: np.ndarray, mask: np.ndarray | None = None) -> float:
        """Σ value_k · (t[k] − t[k−1]) over k >= 1 (optionally only where mask)."""
        products = values[1:] * np.diff(self.seconds)
        return float(np.sum(products if mask is None else products[mask[1:]]))

    def sample_mask(self, start: datetime, end: datetime) -> np.ndarray:
        """Samples whose interval (t[k-1], t[k]] overlaps [start, end]."""
        previous = [self.utc[0], *self.utc[:-1]]
        return np.array([k > 0 and previous[k] < end and self.utc[k] > start for k in range(len(self.utc))])


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.removesuffix("Z"))


@pytest.fixture(scope="module")
def test() -> synth.GeneratedTest:
    return synth.generate(BUNDLED)


@pytest.fixture(scope="module")
def truth(test: synth.GeneratedTest) -> dict:
    return test.truth


@pytest.fixture(scope="module")
def captures(test: synth.GeneratedTest) -> dict[str, Capture]:
    return {host: Capture(data, BUNDLED.bias_minutes) for host, data in test.csv.items()}


@pytest.fixture(scope="module")
def migration(truth: dict) -> dict:
    return truth["migrations"][0]


# --- determinism -------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(test: synth.GeneratedTest) -> None:
    again = synth.generate(BUNDLED)
    assert again.csv == test.csv
    assert again.truth_json() == test.truth_json()


def test_different_seed_gives_different_bytes(test: synth.GeneratedTest) -> None:
    other = synth.generate(replace(BUNDLED, seed=BUNDLED.seed + 1))
    for host in test.csv:
        assert other.csv[host] != test.csv[host]
    assert other.truth["migrations"][0]["bytes_per_nic"] != test.truth["migrations"][0]["bytes_per_nic"]


def test_scenario_needs_only_a_name() -> None:
    result = synth.generate(synth.Scenario("defaults"))
    assert set(result.csv) == {"HV01", "HV02"}


# --- relog layout ------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["HV01", "HV02"])
def test_relog_layout(test: synth.GeneratedTest, host: str) -> None:
    data = test.csv[host]
    assert data.endswith(b"\r\n")
    assert data.count(b"\n") == data.count(b"\r\n"), "bare LF line end"
    assert b"\r\n\r\n" not in data
    lines = data.decode("ascii").split("\r\n")[:-1]
    for line in lines:
        assert QUOTED_LINE.match(line), line[:80]
    rows = list(csv.reader(io.StringIO(data.decode("ascii"), newline="")))
    header = rows[0]
    match = HEADER_CELL.match(header[0])
    assert match and match["name"] == "W. Europe Standard Time" and match["bias"] == "-60"
    assert all(h.startswith(f"\\\\{host}\\") for h in header[1:])
    assert len(set(header)) == len(header)
    for row in rows[1:]:
        assert len(row) == len(header)
        assert STAMP.match(row[0]), row[0]
        for cell in row[1:]:
            assert cell == " " or "%.20g" % float(cell) == cell, cell


@pytest.mark.parametrize("host", ["HV01", "HV02"])
def test_first_row_blank_for_rates_only(test: synth.GeneratedTest, host: str) -> None:
    rows = list(csv.reader(io.StringIO(test.csv[host].decode("ascii"), newline="")))
    for path, cell in zip(rows[0][1:], rows[1][1:]):
        counter = path.rsplit("\\", 1)[1]
        is_rate = counter.endswith("/sec") or counter.startswith("%")
        if is_rate:
            assert cell == " ", path
        elif "Live Migration" not in path:  # the migration instance does not exist yet
            assert cell != " ", path


def test_counter_paths_and_escaping(test: synth.GeneratedTest) -> None:
    header = test.csv["HV01"].split(b"\r\n", 1)[0].decode("ascii")
    for expected in (
        r'"\\HV01\Network Interface(Mellanox ConnectX-4 Lx Ethernet Adapter _2)\Bytes Sent/sec"',
        r'"\\HV01\Network Interface(Intel[R] I350 Gigabit Network Connection)\Current Bandwidth"',
        r'"\\HV01\Processor Information(0,15)\% DPC Time"',
        r'"\\HV01\Processor Information(0,_Total)\DPCs Queued/sec"',
        r'"\\HV01\Processor Information(_Total)\% Interrupt Time"',
        r'"\\HV01\Hyper-V Hypervisor Logical Processor(_Total)\% Total Run Time"',
        r'"\\HV01\Hyper-V Hypervisor Root Virtual Processor(Root VP 15)\% Total Run Time"',
        r'"\\HV01\RDMA Activity(Mellanox ConnectX-4 Lx Ethernet Adapter)\RDMA Inbound Bytes/sec"',
        r'"\\HV01\Hyper-V VM Live Migration(SQL-VM01:VM Live Migration)\Transfer pass: Dirty Page Count"',
        r'"\\HV01\Memory\Available MBytes"',
    ):
        assert expected in header
    # Network Interface escapes the description; RDMA Activity keeps it, #2 included (domain §8a)
    assert r'"\\HV01\RDMA Activity(Mellanox ConnectX-4 Lx Ethernet Adapter #2)\RDMA Outbound Bytes/sec"' in header
    assert "Intel(R)" not in header and "Network Interface(Mellanox ConnectX-4 Lx Ethernet Adapter #2)" not in header
    vnic = r"Hyper-V Virtual Network Adapter\(SQL-VM01_Network Adapter_[0-9A-F-]{36}--[0-9A-F-]{36}\)"
    assert re.search(vnic, header)


@pytest.mark.parametrize(
    ("raw", "instance"),
    [
        ("Intel(R) PRO/1000 MT Network Connection", "Intel[R] PRO_1000 MT Network Connection"),
        ("Intel(R) I210 Gigabit Network Connection #2", "Intel[R] I210 Gigabit Network Connection _2"),
        ("a\\b", "a_b"),
    ],
)
def test_escape_instance(raw: str, instance: str) -> None:
    assert synth.escape_instance(raw) == instance


def test_truth_shape_matches_files(test: synth.GeneratedTest, truth: dict, captures: dict[str, Capture]) -> None:
    assert json.loads(test.truth_json()) == truth
    assert truth["hosts"] == {"source": "HV01", "destination": "HV02"}
    assert truth["files"] == {"HV01": "HV01.csv", "HV02": "HV02.csv"}
    assert truth["clock_offset_s"] == {"HV01": 0.0, "HV02": 0.0}
    for host, capture in captures.items():
        assert truth["columns"][host] == len(capture.header) - 1
        assert truth["rows"][host] == len(capture.cells)
        assert truth["first_sample_utc"][host] == capture.utc[0].isoformat(timespec="milliseconds") + "Z"
        steps = np.diff(capture.seconds)
        assert np.all(np.abs(steps - BUNDLED.interval_s) <= 0.013)
        assert capture.utc[-1] - utc(truth["migrations"][0]["end_utc"]) >= timedelta(seconds=29)
        assert utc(truth["migrations"][0]["start_utc"]) - capture.utc[0] >= timedelta(seconds=29)


# --- bytes -------------------------------------------------------------------------------------


def test_byte_integration_matches_truth(truth: dict, captures: dict[str, Capture]) -> None:
    counters = {
        "bytes_sent": "Bytes Sent/sec",
        "bytes_received": "Bytes Received/sec",
        "packets_sent": "Packets Sent/sec",
        "packets_received": "Packets Received/sec",
    }
    for host, capture in captures.items():
        for instance, totals in truth["nic_totals"][host].items():
            for key, counter in counters.items():
                got = capture.integral(capture.column("Network Interface", instance, counter))
                assert got == pytest.approx(totals[key], rel=1e-9), (host, instance, key)
            total = capture.integral(capture.column("Network Interface", instance, "Bytes Total/sec"))
            assert total == pytest.approx(totals["bytes_sent"] + totals["bytes_received"], rel=1e-9)


def test_migration_bytes_match_source_counters(migration: dict, captures: dict[str, Capture]) -> None:
    source = captures["HV01"]
    window = source.sample_mask(utc(migration["start_utc"]), utc(migration["end_utc"]))
    for instance, wire in migration["bytes_per_nic"].items():
        got = source.integral(source.column("Network Interface", instance, "Bytes Sent/sec"), window)
        assert got == pytest.approx(wire, rel=1e-6)
    assert sum(migration["bytes_per_nic"].values()) == pytest.approx(migration["bytes_total"], rel=1e-12)
    assert sum(p["wire_bytes"] for p in migration["passes"]) == pytest.approx(migration["bytes_total"], rel=1e-9)
    lm = ("Hyper-V VM Live Migration", "SQL-VM01:VM Live Migration")
    smb = np.nan_to_num(source.column(*lm, "SMB Transport: Bytes Sent/sec"))
    assert source.integral(smb) == pytest.approx(migration["memory_bytes"], rel=1e-9)
    assert np.nanmax(source.column(*lm, "SMB Transport: Bytes Sent")) == pytest.approx(migration["memory_bytes"])
    assert np.nansum(source.column(*lm, "TCP Transport: Bytes Sent/sec")) == 0
    destination = captures["HV02"]
    written = np.nan_to_num(destination.column(*lm, "Receiver: Bytes Written/sec"))
    assert destination.integral(written) == pytest.approx(migration["memory_bytes"], rel=1e-9)


def test_source_sent_matches_destination_received(truth: dict, captures: dict[str, Capture]) -> None:
    source, destination = captures["HV01"], captures["HV02"]
    for instance in truth["migrations"][0]["bytes_per_nic"]:
        sent = source.integral(source.column("Network Interface", instance, "Bytes Sent/sec"))
        received = destination.integral(destination.column("Network Interface", instance, "Bytes Received/sec"))
        assert received == pytest.approx(sent, rel=1e-5)


def test_nic_split_is_close_to_half(migration: dict) -> None:
    shares = np.array(list(migration["bytes_per_nic"].values())) / migration["bytes_total"]
    assert len(shares) == 2
    assert np.all(np.abs(shares - 0.5) < 0.05)


def test_management_nic_carries_only_background(captures: dict[str, Capture]) -> None:
    for capture in captures.values():
        total = capture.column("Network Interface", "Intel[R] I350 Gigabit Network Connection", "Bytes Total/sec")
        assert np.nanmax(total) < 2e6


def test_rdma_counters_stay_zero_for_smb_over_tcp(captures: dict[str, Capture]) -> None:
    for capture in captures.values():
        for instance in ("Mellanox ConnectX-4 Lx Ethernet Adapter", "Mellanox ConnectX-4 Lx Ethernet Adapter #2"):
            for counter in ("RDMA Inbound Bytes/sec", "RDMA Outbound Bytes/sec"):
                assert np.nansum(np.abs(capture.column("RDMA Activity", instance, counter))) == 0


# --- physics -----------------------------------------------------------------------------------


def test_pass_sizes_shrink_and_pass_one_is_all_memory(migration: dict) -> None:
    passes = migration["passes"]
    memory = BUNDLED.vm_memory_gib * 2**30
    assert passes[0]["bytes"] == pytest.approx(memory, rel=1e-6)
    assert passes[0]["dirty_pages"] * 4096 == memory
    assert 3 <= len(passes) <= 5
    sizes = [p["bytes"] for p in passes]
    assert all(later < earlier for earlier, later in zip(sizes, sizes[1:]))
    assert [p["number"] for p in passes] == list(range(1, len(passes) + 1))
    assert [p["blackout"] for p in passes] == [False] * (len(passes) - 1) + [True]
    for earlier, later in zip(passes, passes[1:]):
        assert utc(earlier["end_utc"]) <= utc(later["start_utc"])
        dirtied = BUNDLED.dirty_rate_mb_s * 1e6 * earlier["duration_s"]
        assert later["dirty_pages"] * 4096 == pytest.approx(dirtied, rel=0.01)
    assert sum(sizes) == migration["memory_bytes"]


def test_blackout_holds_the_final_pass(migration: dict) -> None:
    start, end = utc(migration["blackout_start_utc"]), utc(migration["blackout_end_utc"])
    assert (end - start).total_seconds() == pytest.approx(BUNDLED.blackout_s)
    final = migration["passes"][-1]
    assert utc(final["start_utc"]) == start
    assert utc(final["end_utc"]) <= end
    assert utc(migration["start_utc"]) < utc(migration["transfer_start_utc"]) < start
    assert end < utc(migration["end_utc"])


def test_rates_respect_link_ceilings(truth: dict, captures: dict[str, Capture], migration: dict) -> None:
    for instance, nic in truth["nics"].items():
        wire_rate = nic["link_gbps"] * 1e9 / 8
        l2 = wire_rate * (nic["mtu"] + 14) / (nic["mtu"] + 38)
        payload = wire_rate * (nic["mtu"] - 40) / (nic["mtu"] + 38)
        assert nic["l2_ceiling_bytes_s"] == pytest.approx(l2)
        assert nic["payload_ceiling_bytes_s"] == pytest.approx(payload)
        for capture in captures.values():
            for counter in ("Bytes Sent/sec", "Bytes Received/sec"):
                assert np.nanmax(capture.column("Network Interface", instance, counter)) <= l2
    # pass 1 runs close to the achievable rate: every full pass-1 interval >= 85 % of the payload ceiling
    source = captures["HV01"]
    first = migration["passes"][0]
    inside = np.array(
        [k > 0 and source.utc[k - 1] >= utc(first["start_utc"]) and source.utc[k] <= utc(first["end_utc"])
         for k in range(len(source.utc))]
    )
    assert inside.sum() >= 5
    for instance in migration["bytes_per_nic"]:
        rate = source.column("Network Interface", instance, "Bytes Sent/sec")[inside]
        assert np.all(rate >= 0.85 * truth["nics"][instance]["payload_ceiling_bytes_s"])


def test_busy_receive_cores_four_per_nic(migration: dict, captures: dict[str, Capture]) -> None:
    first = migration["passes"][0]
    for host, expected in migration["busy_receive_cores"].items():
        capture = captures[host]
        inside = np.array(
            [k > 0 and capture.utc[k - 1] >= utc(first["start_utc"]) and capture.utc[k] <= utc(first["end_utc"])
             for k in range(len(capture.utc))]
        )
        load = np.array(
            [
                capture.column("Processor Information", f"0,{lp}", "% DPC Time")[inside]
                + capture.column("Processor Information", f"0,{lp}", "% Interrupt Time")[inside]
                for lp in range(BUNDLED.logical_processors)
            ]
        ).mean(axis=1)
        busy = sorted(int(lp) for lp in np.flatnonzero(load >= 10.0))
        assert busy == expected, host
    destination_cores = migration["busy_receive_cores"]["HV02"]
    assert len(destination_cores) == 4 * 2 == len(set(destination_cores))
    per_nic = migration["receive_cores_per_nic"]
    assert sorted(sum(per_nic.values(), [])) == destination_cores
    assert all(len(cores) == 4 for cores in per_nic.values())


@pytest.mark.parametrize("host", ["HV01", "HV02"])
def test_totals_are_means_of_logical_processors(captures: dict[str, Capture], host: str) -> None:
    capture = captures[host]
    lps = range(BUNDLED.logical_processors)
    for counter in ("% Processor Time", "% DPC Time", "% Interrupt Time", "DPCs Queued/sec"):
        per_lp = np.array([capture.column("Processor Information", f"0,{lp}", counter) for lp in lps])
        # % counters average over LPs; the real file in shared/realdata shows DPCs Queued/sec _Total = sum
        expected = per_lp.sum(axis=0) if counter.endswith("/sec") else per_lp.mean(axis=0)
        for instance in ("0,_Total", "_Total"):
            got = capture.column("Processor Information", instance, counter)
            np.testing.assert_allclose(got[1:], expected[1:], rtol=1e-12)
        assert np.all(per_lp[:, 1:] >= 0)
        assert counter.endswith("/sec") or np.all(per_lp[:, 1:] <= 100)
    hv_object, root_object = "Hyper-V Hypervisor Logical Processor", "Hyper-V Hypervisor Root Virtual Processor"
    hv = np.array([capture.column(hv_object, f"Hv LP {lp}", "% Total Run Time") for lp in lps])
    np.testing.assert_allclose(
        capture.column(hv_object, "_Total", "% Total Run Time")[1:],
        hv.mean(axis=0)[1:],
        rtol=1e-12,
    )
    root = np.array([capture.column(root_object, f"Root VP {lp}", "% Total Run Time") for lp in lps])
    processor = np.array([capture.column("Processor Information", f"0,{lp}", "% Processor Time") for lp in lps])
    assert np.all(hv[:, 1:] >= root[:, 1:]) and np.all(root[:, 1:] >= processor[:, 1:])


# --- instances that come and go ----------------------------------------------------------------


def test_migration_instance_blank_outside_migration(migration: dict, captures: dict[str, Capture]) -> None:
    start, end = utc(migration["start_utc"]), utc(migration["end_utc"])
    for capture in captures.values():
        number = capture.column("Hyper-V VM Live Migration", "SQL-VM01:VM Live Migration", "Transfer Pass: Number")
        exists = np.array([start <= t < end for t in capture.utc])
        assert np.all(np.isnan(number[~exists]))
        assert not np.any(np.isnan(number[exists]))
    source = captures["HV01"]
    lm = ("Hyper-V VM Live Migration", "SQL-VM01:VM Live Migration")
    # a rate needs two raw samples of the instance: blank where the instance first shows up
    appears = int(np.flatnonzero([start <= t < end for t in source.utc])[0])
    assert np.isnan(source.column(*lm, "Memory Walker: Bytes Read/sec")[appears])
    assert source.column(*lm, "Memory Walker: Bytes Read/sec")[appears + 1] == 0  # still in setup
    assert source.column(*lm, "Transfer Pass: Number")[appears] == 0
    numbers = source.column(*lm, "Transfer Pass: Number")
    assert np.nanmax(numbers) == len(migration["passes"])
    assert np.nanmax(source.column(*lm, "Transfer Pass: Is blackout")) <= 1
    destination = captures["HV02"]
    assert np.nansum(destination.column(*lm, "Memory Walker: Bytes Read/sec")) == 0


def test_vm_vnic_moves_at_the_blackout(migration: dict, captures: dict[str, Capture]) -> None:
    start, end = utc(migration["blackout_start_utc"]), utc(migration["blackout_end_utc"])
    vnic = ("Hyper-V Virtual Network Adapter", migration["vnic_instance"], "Bytes/sec")
    source, destination = captures["HV01"], captures["HV02"]
    on_source = source.column(*vnic)
    assert np.all(np.isnan([v for v, t in zip(on_source, source.utc) if t >= end]))
    assert np.all(np.array([v for k, (v, t) in enumerate(zip(on_source, source.utc)) if 0 < k and t < start]) > 0)
    on_destination = destination.column(*vnic)
    assert np.all(np.isnan([v for v, t in zip(on_destination, destination.utc) if t < end]))
    after = [v for v, t in zip(on_destination, destination.utc) if t >= end + timedelta(seconds=2)]
    assert after and np.all(np.array(after) > 0)
    last_source = max(t for v, t in zip(on_source, source.utc) if v > 0)
    first_destination = min(t for v, t in zip(on_destination, destination.utc) if v > 0)
    assert first_destination - last_source >= end - start  # the gap bounds the blackout from above


# --- other transports and validation -----------------------------------------------------------


def test_tcp_transport_uses_one_connection_on_one_nic() -> None:
    result = synth.generate(replace(BUNDLED, name="tcp", transport="tcp"))
    migration = result.truth["migrations"][0]
    assert len(migration["bytes_per_nic"]) == 1
    assert len(migration["busy_receive_cores"]["HV02"]) == 1
    capture = Capture(result.csv["HV01"], BUNDLED.bias_minutes)
    lm = ("Hyper-V VM Live Migration", "SQL-VM01:VM Live Migration")
    assert capture.integral(np.nan_to_num(capture.column(*lm, "TCP Transport: Bytes Sent/sec"))) == pytest.approx(
        migration["memory_bytes"], rel=1e-9
    )


def test_smb_direct_moves_bytes_to_rdma_counters() -> None:
    result = synth.generate(replace(BUNDLED, name="rdma", transport="smb-direct"))
    migration = result.truth["migrations"][0]
    assert migration["wire_object"] == "RDMA Activity"
    assert migration["busy_receive_cores"]["HV02"] == []
    source = Capture(result.csv["HV01"], BUNDLED.bias_minutes)
    for instance, wire in migration["bytes_per_nic"].items():
        description = result.truth["nics"][instance]["description"]  # RDMA Activity's instance name
        outbound = source.column("RDMA Activity", description, "RDMA Outbound Bytes/sec")
        assert source.integral(outbound) == pytest.approx(wire)
        assert source.integral(source.column("Network Interface", instance, "Bytes Sent/sec")) < 1e5


def test_compression_sends_fewer_wire_bytes() -> None:
    result = synth.generate(replace(BUNDLED, name="compressed", transport="compression", compression_ratio=2.0))
    migration = result.truth["migrations"][0]
    assert migration["bytes_total"] < 0.6 * migration["memory_bytes"]


@pytest.mark.parametrize(
    "change",
    [
        {"transport": "rdma"},
        {"blackout_s": 0.001},
        {"setup_s": 0.5},
        {"receive_cores": ((1, 2, 3, 4), (4, 5, 6, 7))},
        {"nics": (synth.Nic("mgmt", 1.0, 1500, False, "management"),)},
        {"destination_host": "HV01"},
        {"transport": "smb-direct", "nics": (synth.Nic("plain 10G", 10.0, 9000, False),)},
        {"cpu_object": "CPU"},
        {"migrations": (synth.Migration("A", start_s=10), synth.Migration("A", start_s=60))},  # twice forward
        {"migrations": (synth.Migration("A", start_s=10), synth.Migration("A", direction="back", start_s=12))},
        {"migrations": (synth.Migration("A", direction="sideways"),)},
        {"transport": "tcp", "receive_cores": ((3,),), "migrations": synth.drain((2, 2), start_s=5, every_s=0,
                                                                                    at_a_time=2)},
        {"logical_processors": 8, "migrations": synth.SEEDS["back-and-forth-smb-2x10g"].migrations},
    ],
)
def test_invalid_scenarios_raise(change: dict) -> None:
    with pytest.raises(OptionError):
        synth.generate(replace(BUNDLED, **change))


# --- bundled data ------------------------------------------------------------------------------


def test_bundled_data_is_what_the_generator_writes(tmp_path: Path) -> None:
    written = synth.write_bundled(tmp_path)
    assert written
    for path in written:
        committed = DATA / path.relative_to(tmp_path)
        assert committed.is_file(), f"{committed} missing: run python3 -m kit sample"
        assert committed.read_bytes() == path.read_bytes(), f"{committed} drifted from the generator"
    folder = DATA / BUNDLED.name
    assert sorted(p.name for p in folder.iterdir()) == ["HV01.csv", "HV02.csv", "truth.json"]
    assert sum(p.stat().st_size for p in folder.iterdir()) < 1_500_000


# --- several migrations, logging toggles, core limits, seeds: read back through kit.load --------

LM = "Hyper-V VM Live Migration"
PACKETS = "Received Packets/sec"
JITTER_S = BUNDLED.jitter_ms / 1000


def epoch(text: str) -> float:
    """UTC ISO text of the truth → seconds since the epoch. [s]"""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class Loaded:
    """A generated test read back with kit.load, one capture per host (its own sample times)."""

    def __init__(self, scenario: synth.Scenario, folder: Path) -> None:
        self.scenario = scenario
        self.truth = json.loads((folder / "truth.json").read_text())
        self.hosts = {
            host: kit.load(folder / name, cache_results=False, progress=False)
            for host, name in self.truth["files"].items()
        }

    def has(self, host: str, obj: str, instance: str | None = None) -> bool:
        return bool(self.hosts[host].columns(object=obj, instance=instance))

    def values(self, host: str, obj: str, instance: str | None, counter: str) -> np.ndarray:
        """One counter as floats (blank = NaN)."""
        [column] = self.hosts[host].columns(object=obj, instance=instance, counter=counter)
        return self.hosts[host].data[column].cast(float).to_numpy()

    def milliseconds(self, host: str) -> np.ndarray:
        """Sample times since the epoch, exact integers. [ms]"""
        return self.hosts[host].data["time"].dt.epoch("ms").to_numpy()

    def seconds(self, host: str) -> np.ndarray:
        """Sample times since the epoch. [s]"""
        return self.milliseconds(host) / 1000

    def overlapping(self, host: str, start: float, end: float) -> np.ndarray:
        """Samples whose interval (t[k-1], t[k]] overlaps [start, end]."""
        t = self.seconds(host)
        return np.concatenate([[False], (t[:-1] < end) & (t[1:] > start)])

    def inside(self, host: str, start: float, end: float) -> np.ndarray:
        """Samples whose interval (t[k-1], t[k]] lies within [start, end]."""
        t = self.seconds(host)
        return np.concatenate([[False], (t[:-1] >= start) & (t[1:] <= end)])

    def integral(self, host: str, values: np.ndarray, mask: np.ndarray | None = None) -> float:
        """Σ value_k · (t[k] − t[k−1]) over k >= 1 (optionally only where mask). [value · s]"""
        products = values[1:] * (np.diff(self.milliseconds(host)) / 1000)
        return float(np.nansum(products if mask is None else products[mask[1:]]))

    def core_load(self, host: str, lp: int) -> np.ndarray:
        """% DPC Time + % Interrupt Time of one LP. [%]"""
        instance = f"0,{lp}" if self.scenario.cpu_object == "Processor Information" else str(lp)
        obj = self.scenario.cpu_object
        return sum(self.values(host, obj, instance, counter) for counter in ("% DPC Time", "% Interrupt Time"))

    def busy_cores(self, host: str, mask: np.ndarray, threshold: float = 10.0) -> list[int]:
        """LPs whose mean DPC + interrupt load over the masked samples is >= threshold [%]."""
        lps = range(self.scenario.logical_processors)
        return [lp for lp in lps if np.mean(self.core_load(host, lp)[mask]) >= threshold]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory):
    """seeded(name or Scenario) -> Loaded, written and loaded once per module."""
    cache: dict[str, Loaded] = {}

    def get(which: str | synth.Scenario) -> Loaded:
        scenario = synth.SEEDS[which] if isinstance(which, str) else which
        if scenario.name not in cache:
            folder = tmp_path_factory.mktemp("seeds")
            synth.write(scenario, folder)
            cache[scenario.name] = Loaded(scenario, folder / scenario.name)
        return cache[scenario.name]

    return get


def wire_nic(loaded: Loaded) -> str:
    return next(iter(loaded.truth["migrations"][0]["bytes_per_nic"]))


def transport_counter(loaded: Loaded) -> str:
    smb = loaded.scenario.transport.startswith("smb")
    return "SMB Transport: Bytes Sent/sec" if smb else "TCP Transport: Bytes Sent/sec"


MULTI = ["back-and-forth-smb-2x10g", "drain-6-sequential-smb-2x10g", "drain-6-concurrent-2-smb-2x10g",
         "tcp-1x10g-jumbo-2-concurrent"]


def test_explicit_migration_is_the_default_one() -> None:
    explicit = synth.Migration(BUNDLED.vm_name, BUNDLED.vm_memory_gib, BUNDLED.dirty_rate_mb_s, BUNDLED.blackout_s,
                               "forward", BUNDLED.idle_before_s)
    assert BUNDLED.schedule == (explicit,)
    assert synth.generate(replace(BUNDLED, migrations=(explicit,))).csv == synth.generate(BUNDLED).csv


def test_drain_starts_batches_every_interval() -> None:
    migrations = synth.drain((4, 8, 2), start_s=10, every_s=30, at_a_time=2, prefix="W")
    assert [(m.vm_name, m.vm_memory_gib, m.start_s, m.direction) for m in migrations] == [
        ("W01", 4, 10, "forward"), ("W02", 8, 10, "forward"), ("W03", 2, 40, "forward")]


@pytest.mark.parametrize("name", list(synth.SEEDS))
def test_seed_scenarios_generate_fast_with_labels(name: str) -> None:
    scenario = synth.SEEDS[name]
    begin = time.perf_counter()
    result = synth.generate(scenario)
    assert time.perf_counter() - begin < 3.0  # about 0.1 s on a laptop; guards against per-sample loops
    truth = result.truth
    assert json.loads(result.truth_json()) == truth and truth["schema_version"] == 2
    assert scenario.name == name and scenario.description
    wire = [synth.escape_instance(n["description"]) for n in truth["scenario"]["nics"] if n["role"] == "migration"]
    labels = truth["labels"]
    assert labels["transport"] == scenario.transport and labels["power_plan"] == scenario.power_plan
    assert labels["mtu"] == truth["nics"][wire[0]]["mtu"] and labels["migrations"] == len(truth["migrations"])
    assert labels["live_migration_counters"] == scenario.log_live_migration_counters
    rule = {"smb": 4 * len(wire), "smb-direct": 2 * len(wire), "tcp": 1, "compression": 1}[scenario.transport]
    for m in truth["migrations"]:
        assert m["expected_receive_cores"] == rule == labels["nic_count"] * m["connections_per_nic"]
        busy = m["busy_receive_cores"][m["destination"]]
        assert len(busy) == (0 if scenario.transport == "smb-direct" else rule)
        assert m["core_bound"] == (m["plateau_wire_bytes_s"] is not None)


def test_the_bundled_scenario_is_a_seed() -> None:
    assert synth.SEEDS[BUNDLED.name] is BUNDLED
    assert synth.SEEDS["smb-multichannel-2x10g-no-lm-counters"].seed == BUNDLED.seed


@pytest.mark.parametrize("name", MULTI)
def test_each_migration_has_its_instance_for_its_window(seeded, name: str) -> None:
    loaded = seeded(name)
    interval = loaded.scenario.interval_s
    by_instance: dict[str, list[dict]] = {}
    for m in loaded.truth["migrations"]:
        by_instance.setdefault(m["lm_instance"], []).append(m)
    for host in loaded.hosts:
        t = loaded.milliseconds(host)
        for instance, migrations in by_instance.items():
            number = loaded.values(host, LM, instance, "Transfer Pass: Number")
            present = ~np.isnan(number)
            expected = np.zeros(t.size, dtype=bool)
            for m in migrations:
                start, end = (round(epoch(m[key]) * 1000) for key in ("start_utc", "end_utc"))
                window = (t >= start) & (t < end)
                expected |= window
                shown = t[window]
                step = (interval + JITTER_S) * 1000
                assert 0 <= shown[0] - start < step and 0 < end - shown[-1] <= step
                sending = host == m["source"]
                assert np.nanmax(number[window]) == (len(m["passes"]) if sending else 0), (host, instance)
            np.testing.assert_array_equal(present, expected)
        vnics = {m["vnic_instance"] for m in loaded.truth["migrations"]}
        assert all(loaded.has(host, "Hyper-V Virtual Network Adapter", v) for v in vnics)
    assert len(by_instance) == len({m["vm"] for m in loaded.truth["migrations"]})


@pytest.mark.parametrize("name", MULTI)
def test_each_migration_moves_its_own_memory(seeded, name: str) -> None:
    loaded = seeded(name)
    for m in loaded.truth["migrations"]:
        sender, receiver = m["source"], m["destination"]
        start, end = epoch(m["start_utc"]), epoch(m["end_utc"])
        sent = np.nan_to_num(loaded.values(sender, LM, m["lm_instance"], transport_counter(loaded)))
        window = loaded.overlapping(sender, start, end)
        assert loaded.integral(sender, sent, window) == pytest.approx(m["memory_bytes"], rel=1e-9)
        written = np.nan_to_num(loaded.values(receiver, LM, m["lm_instance"], "Receiver: Bytes Written/sec"))
        window = loaded.overlapping(receiver, start, end)
        assert loaded.integral(receiver, written, window) == pytest.approx(m["memory_bytes"], rel=1e-9)
        assert sum(p["wire_bytes"] for p in m["passes"]) == pytest.approx(m["bytes_total"], rel=1e-9)


def batches(migrations: list[dict]) -> list[list[dict]]:
    """Migrations grouped with everything they run concurrently with (transitively)."""
    groups: list[list[dict]] = []
    for m in migrations:
        joined = [g for g in groups if any(o["index"] in m["concurrent_with"] for o in g)]
        merged = [m] + [o for g in joined for o in g]
        groups = [g for g in groups if g not in joined] + [merged]
    return groups


@pytest.mark.parametrize("name", MULTI)
def test_nic_bytes_of_each_batch_match_the_truth(seeded, name: str) -> None:
    loaded = seeded(name)
    for batch in batches(loaded.truth["migrations"]):
        [sender] = {m["source"] for m in batch}
        start = min(epoch(m["start_utc"]) for m in batch)
        end = max(epoch(m["end_utc"]) for m in batch)
        window = loaded.overlapping(sender, start, end)
        for instance in batch[0]["bytes_per_nic"]:
            sent = loaded.values(sender, "Network Interface", instance, "Bytes Sent/sec")
            expected = sum(m["bytes_per_nic"][instance] for m in batch)
            assert loaded.integral(sender, sent, window) == pytest.approx(expected, rel=1e-5), (sender, instance)


@pytest.mark.parametrize("name", ["drain-6-concurrent-2-smb-2x10g", "tcp-1x10g-jumbo-2-concurrent"])
def test_concurrent_migrations_share_the_nics_fairly(seeded, name: str) -> None:
    loaded = seeded(name)
    truth = loaded.truth
    assert truth["labels"]["max_concurrent"] == 2
    pairs = batches(truth["migrations"])
    assert all(len(pair) == 2 for pair in pairs)
    # the pair whose pass-1 windows overlap longest: there each gets half of what the NICs carry
    overlap = [
        min(epoch(m["passes"][0]["end_utc"]) for m in p) - max(epoch(m["passes"][0]["start_utc"]) for m in p)
        for p in pairs
    ]
    first, second = pairs[int(np.argmax(overlap))]
    start = max(epoch(m["passes"][0]["start_utc"]) for m in (first, second))
    end = min(epoch(m["passes"][0]["end_utc"]) for m in (first, second))
    both = loaded.inside("HV01", start, end)
    assert both.sum() >= 3
    rates = [loaded.values("HV01", LM, m["lm_instance"], transport_counter(loaded))[both] for m in (first, second)]
    np.testing.assert_allclose(rates[0] / rates[1], 1.0, atol=1e-9)
    for instance in first["bytes_per_nic"]:
        nic = truth["nics"][instance]
        wire = loaded.values("HV01", "Network Interface", instance, "Bytes Sent/sec")[both]
        payload = wire * (nic["mtu"] - 40) / (nic["mtu"] + 14)
        assert np.all(payload >= 0.85 * nic["payload_ceiling_bytes_s"])  # together they fill the link
    used = list(first["bytes_per_nic"])
    total = sum(loaded.values("HV01", "Network Interface", i, "Bytes Sent/sec")[both] for i in used)
    framing = np.mean([(truth["nics"][i]["mtu"] + 14) / (truth["nics"][i]["mtu"] - 40) for i in used])
    np.testing.assert_allclose(rates[0] * 2 * framing, total, rtol=0.01)


def test_tcp_concurrent_migrations_use_one_receive_core_each(seeded) -> None:
    loaded = seeded("tcp-1x10g-jumbo-2-concurrent")
    first, second = loaded.truth["migrations"]
    cores = [m["busy_receive_cores"]["HV02"] for m in (first, second)]
    assert all(len(c) == 1 == m["expected_receive_cores"] for c, m in zip(cores, (first, second)))
    assert cores[0] != cores[1]
    start = max(epoch(m["passes"][0]["start_utc"]) for m in (first, second))
    end = min(epoch(m["passes"][0]["end_utc"]) for m in (first, second))
    assert loaded.busy_cores("HV02", loaded.inside("HV02", start, end)) == sorted(cores[0] + cores[1])
    assert not first["core_bound"] and not second["core_bound"]  # jumbo frames: half the link each, cores idle-ish


def test_smb_concurrent_migrations_share_the_receive_cores(seeded) -> None:
    loaded = seeded("drain-6-concurrent-2-smb-2x10g")
    migrations = loaded.truth["migrations"]
    shared = migrations[0]["busy_receive_cores"]["HV02"]
    assert len(shared) == 8 and all(m["busy_receive_cores"]["HV02"] == shared for m in migrations)
    for batch in batches(migrations):
        start = max(epoch(m["passes"][0]["start_utc"]) for m in batch)
        end = min(epoch(m["passes"][0]["end_utc"]) for m in batch)
        assert loaded.busy_cores("HV02", loaded.inside("HV02", start, end)) == shared


def test_back_and_forth_swaps_roles(seeded) -> None:
    loaded = seeded("back-and-forth-smb-2x10g")
    there, back = loaded.truth["migrations"]
    assert (there["direction"], there["source"], there["destination"]) == ("forward", "HV01", "HV02")
    assert (back["direction"], back["source"], back["destination"]) == ("back", "HV02", "HV01")
    assert there["lm_instance"] == back["lm_instance"] and there["vnic_instance"] == back["vnic_instance"]
    assert back["busy_receive_cores"]["HV01"] and not set(back["busy_receive_cores"]["HV01"]) & set(
        back["busy_send_cores"]["HV01"] + there["busy_send_cores"]["HV01"])
    window = loaded.inside("HV01", epoch(back["passes"][0]["start_utc"]), epoch(back["passes"][0]["end_utc"]))
    assert loaded.busy_cores("HV01", window) == back["busy_receive_cores"]["HV01"]
    # the VM's vNIC: on HV01, then HV02 from the first blackout's end, then HV01 again
    first_end, second_end = epoch(there["blackout_end_utc"]), epoch(back["blackout_end_utc"])
    for host, home in (("HV01", lambda t: (t < first_end) | (t >= second_end)),
                       ("HV02", lambda t: (t >= first_end) & (t < second_end))):
        t = loaded.seconds(host)
        traffic = loaded.values(host, "Hyper-V Virtual Network Adapter", there["vnic_instance"], "Bytes/sec")
        there_now = home(t)
        assert np.all(np.isnan(traffic[~there_now]))
        settled = there_now & home(t - 2 * loaded.scenario.interval_s) & (t > t[0] + 2)
        assert np.all(traffic[settled] > 0), host


def test_drain_moves_the_memory_of_every_vm(seeded) -> None:
    loaded = seeded("drain-6-sequential-smb-2x10g")
    migrations = loaded.truth["migrations"]
    assert [m["concurrent_with"] for m in migrations] == [[]] * 6 and loaded.truth["labels"]["max_concurrent"] == 1
    moved_mb = sum(m["vm_memory_gib"] * 1024 for m in loaded.truth["scenario"]["migrations"])
    for host, sign in (("HV01", 1), ("HV02", -1)):
        available = loaded.values(host, "Memory", None, "Available MBytes")
        assert sign * (available[-1] - available[0]) == pytest.approx(moved_mb, abs=150)
    for earlier, later in zip(migrations, migrations[1:]):
        assert epoch(earlier["end_utc"]) < epoch(later["start_utc"])


# --- what was logged ---------------------------------------------------------------------------


def test_without_live_migration_counters_only_those_columns_go(seeded) -> None:
    plain, bare = seeded(BUNDLED), seeded("smb-multichannel-2x10g-no-lm-counters")
    for host in plain.hosts:
        assert not bare.has(host, LM) and not bare.has(host, "Hyper-V Hypervisor Logical Processor")
        assert not bare.has(host, "Hyper-V Hypervisor Root Virtual Processor")
        assert not bare.has(host, "Processor Information")
        instances = set(bare.hosts[host].catalog.filter(pl.col("object") == "Processor")["instance"])
        assert instances == {str(lp) for lp in range(16)} | {"_Total"}
        np.testing.assert_array_equal(bare.seconds(host), plain.seconds(host))
        for instance in plain.truth["nics"]:
            for counter in ("Bytes Sent/sec", "Bytes Received/sec", "Packets Received/sec"):
                np.testing.assert_array_equal(bare.values(host, "Network Interface", instance, counter),
                                              plain.values(host, "Network Interface", instance, counter))
        for lp in (0, 7, 15):
            np.testing.assert_array_equal(bare.values(host, "Processor", str(lp), "% DPC Time"),
                                          plain.values(host, "Processor Information", f"0,{lp}", "% DPC Time"))
        np.testing.assert_array_equal(bare.values(host, "Processor", "_Total", "DPCs Queued/sec"),
                                      plain.values(host, "Processor Information", "_Total", "DPCs Queued/sec"))
    # the window is still there in the NIC throughput: busy intervals lie within the transfer
    m = bare.truth["migrations"][0]
    t = bare.seconds("HV01")
    busy = np.zeros(t.size, dtype=bool)
    for instance, nic in ((i, bare.truth["nics"][i]) for i in m["bytes_per_nic"]):
        sent = bare.values("HV01", "Network Interface", instance, "Bytes Sent/sec")
        busy |= sent > 0.5 * nic["payload_ceiling_bytes_s"]
    start, end = epoch(m["transfer_start_utc"]), epoch(m["transfer_end_utc"])
    assert busy.sum() >= (end - start) - 2
    assert np.all(t[busy] > start) and np.all(t[busy] < end + bare.scenario.interval_s + JITTER_S)


@pytest.mark.parametrize(
    ("change", "dropped"),
    [
        ({"log_live_migration_counters": False}, {LM}),
        ({"hyperv_cpu_counters": False},
         {"Hyper-V Hypervisor Logical Processor", "Hyper-V Hypervisor Root Virtual Processor"}),
    ],
)
def test_toggles_drop_objects_and_keep_every_other_value(
    test: synth.GeneratedTest, change: dict, dropped: set
) -> None:
    toggled = synth.generate(replace(BUNDLED, **change))
    for host, data in test.csv.items():
        before, after = Capture(data, BUNDLED.bias_minutes), Capture(toggled.csv[host], BUNDLED.bias_minutes)
        objects = [h.split("\\")[3].split("(")[0] for h in before.header[1:]]
        kept = [j for j, obj in enumerate(objects) if obj not in dropped]
        assert len(kept) < len(objects) and after.header[1:] == [before.header[1:][j] for j in kept]
        np.testing.assert_array_equal(after.values, before.values[:, kept])
        assert toggled.truth["columns"][host] == len(kept)


@pytest.mark.parametrize("name", ["tcp-1x10g-powersaver", "drain-6-concurrent-2-smb-2x10g"])
def test_per_processor_nic_counters_point_at_the_receive_cores(seeded, name: str) -> None:
    loaded = seeded(name)
    lps = range(loaded.scenario.logical_processors)
    per = "Per Processor Network Interface Card Activity"
    for host in loaded.hosts:
        for instance, facts in loaded.truth["nics"].items():  # per-processor instances keep the description
            packets = np.array([loaded.values(host, per, f"{lp}, {facts['description']}", PACKETS) for lp in lps])
            nic = loaded.values(host, "Network Interface", instance, "Packets Received/sec")
            np.testing.assert_allclose(packets.sum(axis=0)[1:], nic[1:], rtol=1e-9)
        for lp in lps:
            dpcs = sum(loaded.values(host, per, f"{lp}, {n['description']}", "DPCs Queued/sec")
                       for n in loaded.truth["nics"].values())
            processor = loaded.values(host, "Processor Information", f"0,{lp}", "DPCs Queued/sec")
            assert np.all(dpcs[1:] <= processor[1:])
    for m in loaded.truth["migrations"]:
        receiver = m["destination"]
        first = m["passes"][0]
        window = loaded.inside(receiver, epoch(first["start_utc"]), epoch(first["end_utc"]))
        for instance, cores in m["receive_cores_per_nic"].items():
            description = loaded.truth["nics"][instance]["description"]
            packets = np.array([
                np.mean(loaded.values(receiver, per, f"{lp}, {description}", PACKETS)[window]) for lp in lps
            ])
            carrying = sorted(int(lp) for lp in np.flatnonzero(packets > 0.05 * packets.sum()))
            assert carrying == cores, (m["vm"], instance)


def test_processor_object_names_lps_plainly() -> None:
    result = synth.generate(replace(BUNDLED, cpu_object="Processor"))
    header = result.csv["HV02"].split(b"\r\n", 1)[0].decode("ascii")
    assert r'"\\HV02\Processor(15)\% DPC Time"' in header and r'"\\HV02\Processor(_Total)\% DPC Time"' in header
    assert "Processor Information" not in header and "0,_Total" not in header


# --- core-bound throughput ---------------------------------------------------------------------


def test_power_saver_tcp_plateaus_on_its_receive_core(seeded) -> None:
    loaded = seeded("tcp-1x10g-powersaver")
    m = loaded.truth["migrations"][0]
    limit = synth.CORE_NETWORK_SHARE * loaded.scenario.rx_mb_s_per_core * 1e6
    assert m["core_bound"] is True
    assert m["core_limit_wire_bytes_s"] == pytest.approx(limit)
    assert m["plateau_wire_bytes_s"] == pytest.approx(limit)
    instance = wire_nic(loaded)
    nic = loaded.truth["nics"][instance]
    first = m["passes"][0]
    window = loaded.inside("HV02", epoch(first["start_utc"]), epoch(first["end_utc"]))
    assert window.sum() >= 10
    received = loaded.values("HV02", "Network Interface", instance, "Bytes Received/sec")[window]
    assert np.median(received) == pytest.approx(limit, rel=0.005)
    assert np.max(received) <= limit * 1.001 + 1e4
    assert np.median(received) < 0.7 * nic["l2_ceiling_bytes_s"]  # well below line rate
    [core] = m["busy_receive_cores"]["HV02"]
    load = loaded.core_load("HV02", core)[window]
    assert np.mean(load) >= 90 and np.max(load) <= 100
    others = [loaded.core_load("HV02", lp)[window].mean() for lp in range(16) if lp != core]
    assert max(others) < 5


def test_balanced_tcp_reaches_line_rate_off_the_core_limit(seeded) -> None:
    loaded = seeded("tcp-1x10g-mtu1500")
    m = loaded.truth["migrations"][0]
    assert m["core_bound"] is False and m["plateau_wire_bytes_s"] is None
    instance = wire_nic(loaded)
    first = m["passes"][0]
    window = loaded.inside("HV02", epoch(first["start_utc"]), epoch(first["end_utc"]))
    received = loaded.values("HV02", "Network Interface", instance, "Bytes Received/sec")[window]
    assert np.median(received) >= 0.9 * loaded.truth["nics"][instance]["l2_ceiling_bytes_s"]
    [core] = m["busy_receive_cores"]["HV02"]
    assert 50 < np.mean(loaded.core_load("HV02", core)[window]) < 90


def test_smb_direct_has_no_core_limit(seeded) -> None:
    loaded = seeded("smb-direct-2x25g")
    m = loaded.truth["migrations"][0]
    assert m["core_limit_wire_bytes_s"] is None and m["core_bound"] is False
    assert m["expected_receive_cores"] == 4 and m["busy_receive_cores"] == {"HV01": [], "HV02": []}
    first = m["passes"][0]
    window = loaded.inside("HV02", epoch(first["start_utc"]), epoch(first["end_utc"]))
    assert loaded.busy_cores("HV02", window) == []
    for instance, wire in m["bytes_per_nic"].items():
        description = loaded.truth["nics"][instance]["description"]  # RDMA Activity's instance name
        inbound = loaded.values("HV02", "RDMA Activity", description, "RDMA Inbound Bytes/sec")
        assert loaded.integral("HV02", inbound) == pytest.approx(wire, rel=1e-9)


# --- side inputs: events, topology exports, ping logs ------------------------------------------


def test_side_inputs_are_opt_in(test: synth.GeneratedTest) -> None:
    assert test.side == {} and "side_inputs" not in test.truth and "side_inputs" not in test.truth["scenario"]


@pytest.fixture(scope="module")
def side(tmp_path_factory: pytest.TempPathFactory):
    scenario = replace(
        BUNDLED, name="side", vm_memory_gib=4.0, clock_offset_s=2.0, blackout_s=0.75,
        side_inputs=synth.SideInputs(lm_networks=(BUNDLED.nics[0].description,)),
    )
    folder = tmp_path_factory.mktemp("side")
    written = synth.write(scenario, folder)
    return scenario, folder / scenario.name, written, synth.generate(scenario)


def test_side_inputs_are_written_and_leave_the_capture_as_it_was(side) -> None:
    scenario, folder, written, test = side
    side_files = [p.relative_to(folder).as_posix() for p in written if p.parent != folder]
    assert sorted(side_files) == test.truth["side_inputs"]["files"] == sorted(test.side)
    plain = synth.generate(replace(scenario, side_inputs=None))
    assert plain.csv == test.csv  # side inputs draw from their own rng


def test_events_read_without_warnings_with_the_rounded_blackout(side) -> None:
    from kit.io.side.events import read_events

    scenario, folder, _, test = side
    facts = test.truth["side_inputs"]
    [event] = facts["events"]
    assert event["blackout_text"] == "0.8" or event["blackout_text"] == "0.7"  # 0.75 rounded as %.1f
    assert abs(event["blackout_s"] - scenario.blackout_s) <= 0.05 + 1e-9
    for name, options in (("HV01-vmms-admin.xml", {}), ("HV01-vmms-admin.csv", {"utc_offset": facts["utc_offset"]})):
        events = read_events(folder / "events" / name, **options)
        assert events.warnings == ()
        row = events.blackouts().row(0, named=True)
        assert (row["vm"], row["vm_id"], row["blackout_s"]) == (scenario.vm_name, event["vm_id"], event["blackout_s"])
        logged = datetime.fromisoformat(event["time_utc"].replace("Z", "+00:00"))
        assert abs((row["time"] - logged).total_seconds()) < 1.0  # the CSV keeps whole seconds


def test_topology_reads_without_warnings_and_names_the_unexpected_nic(side) -> None:
    from kit.io.side.topology import read_topology

    _, folder, _, test = side
    topology = read_topology(folder / "topology")
    assert topology.warnings == () and set(topology.missing()) == {"smb_constraints", "cluster_networks"}
    facts = test.truth["side_inputs"]["topology"]
    assert facts["lm_subnets"] == ["10.10.1.0/24"] and facts["unexpected_nics"] == [BUNDLED.nics[1].instance]
    share = facts["unexpected_share"][0][BUNDLED.nics[1].instance]
    assert share == pytest.approx(0.5, abs=0.05)
    smb = topology.smb_connections.sort("client_if_index")
    assert smb["selected"].to_list() == [True, True, False]
    assert smb["client_instance"].to_list() == [nic.instance for nic in BUNDLED.nics]
    assert topology.migration_networks["subnet"].to_list() == ["10.10.1.0/24"] * 2
    assert topology.vmhost["performance_option"].to_list() == ["SMB", "SMB"]


def test_pings_lose_the_probes_of_the_outage(side) -> None:
    from kit.io.side.pings import read_pings

    _, folder, _, test = side
    facts = test.truth["side_inputs"]["pings"]
    [outage] = facts["outages"]
    migration = test.truth["migrations"][0]
    assert outage["start_utc"] == migration["blackout_start_utc"]
    assert outage["seconds"] == pytest.approx(migration["blackout_s"] + 0.15)
    start, end = (datetime.fromisoformat(outage[k].replace("Z", "+00:00")) for k in ("start_utc", "end_utc"))
    linux = read_pings(folder / facts["linux"]["file"])
    windows = read_pings(folder / facts["windows"]["file"], utc_offset=test.truth["side_inputs"]["utc_offset"])
    assert linux.warnings == () and windows.warnings == ()
    assert linux.interval_s == pytest.approx(0.2, abs=0.01) and windows.interval_s == pytest.approx(1.0)
    assert linux.lost().height == facts["linux"]["lost"] == 4  # 0.9 s at 0.2 s
    assert windows.lost().height == facts["windows"]["lost"]
    sent = linux.table.filter(~pl.col("ok")).select(pl.col("time") - pl.duration(milliseconds=200))["time"]
    assert sent.is_between(start - timedelta(milliseconds=5), end).all()  # -O reports at the next send


def test_side_inputs_need_migration_nics() -> None:
    with pytest.raises(OptionError, match="lm_networks must name migration NICs"):
        replace(BUNDLED, side_inputs=synth.SideInputs(lm_networks=(BUNDLED.nics[2].description,)))
