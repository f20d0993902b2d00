"""Tests of the synthetic capture generator (kit.synth) and of the bundled sample in data/.

The CSVs are parsed here with the stdlib csv module on purpose: these tests must not depend on
the kit's own loader.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from kit import synth
from kit.errors import OptionError

DATA = Path(__file__).resolve().parents[1] / "data"
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
    assert "Intel(R)" not in header and "#2" not in header
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
        for instance in ("Mellanox ConnectX-4 Lx Ethernet Adapter", "Mellanox ConnectX-4 Lx Ethernet Adapter _2"):
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
        outbound = source.column("RDMA Activity", instance, "RDMA Outbound Bytes/sec")
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
        assert committed.is_file(), f"{committed} missing: run kit.synth.write_bundled('data')"
        assert committed.read_bytes() == path.read_bytes(), f"{committed} drifted from the generator"
    folder = DATA / BUNDLED.name
    assert sorted(p.name for p in folder.iterdir()) == ["HV01.csv", "HV02.csv", "truth.json"]
    assert sum(p.stat().st_size for p in folder.iterdir()) < 1_500_000
