"""Core spread on hand-computed captures: active cores, effective count, saturation, cost."""

from __future__ import annotations

import math

import polars as pl
import pytest

from kit.analysis.cores import (
    core_columns,
    core_frame,
    core_labels,
    core_matrix,
    core_spread,
    expected_receive_cores,
    nic_cores,
)
from tests.handmade import at, load_log

_ = None
IDLE, BUSY = 0.5, 40.0


def per_core(obj: str, instance_of, counter: str, values_of) -> dict[str, list]:
    return {rf"\\HV02\{obj}({instance_of(n)})\{counter}": values_of(n) for n in range(4)}


def busy_series(core: int, level: float = BUSY) -> list:
    """Idle 0.5 % everywhere; cores 2 and 3 busy (``level``) during samples 4..7."""
    return [_] + [level if core in (2, 3) and 4 <= k <= 7 else IDLE for k in range(1, 12)]


@pytest.fixture
def capture(tmp_path):
    columns = per_core("Processor Information", lambda n: f"0,{n}", "% DPC Time", busy_series)
    columns |= per_core("Processor Information", lambda n: f"0,{n}", "% Interrupt Time", lambda n: [_] + [0.0] * 11)
    columns |= per_core(
        "Processor Information", lambda n: f"0,{n}", "% Processor Time",
        lambda n: [_] + [50.0 if n in (2, 3) and 4 <= k <= 7 else 10.0 for k in range(1, 12)],
    )
    columns[r"\\HV02\Processor Information(0,_Total)\% DPC Time"] = [_] + [1.0] * 11
    columns |= per_core("Hyper-V Hypervisor Root Virtual Processor", lambda n: f"Root VP {n}", "% Total Run Time",
                        lambda n: [_] + [95.0 if n == 3 else 5.0] * 11)
    return load_log(tmp_path, columns)


def test_core_columns_number_cores_and_skip_totals(capture):
    columns = core_columns(capture, "HV02")
    assert sorted(columns["key"].unique()) == ["dpc_pct", "interrupt_pct", "processor_pct", "root_vp_run_pct"]
    assert columns.filter(pl.col("key") == "dpc_pct")["label"].to_list() == ["0,0", "0,1", "0,2", "0,3"]
    assert columns.filter(pl.col("key") == "root_vp_run_pct")["core"].to_list() == [0, 1, 2, 3]


def test_spread_finds_the_busy_cores(capture):
    frame = core_frame(capture, "HV02")
    cores, summary = core_spread(
        frame, span=(at(3), at(7)), window=(at(3), at(7)), idle=[(at(3), at(7))], bytes_moved=4e9,
        labels=core_labels(capture, "HV02"),
    )
    assert cores["label"].to_list() == ["0,0", "0,1", "0,2", "0,3"]
    assert summary.active == (2, 3) and summary.active_count == 2
    assert summary.baseline == "idle"
    # excess over idle: 39.5 on cores 2 and 3, 0 elsewhere → shares 1/2, 1/2
    assert summary.effective == pytest.approx(2.0)
    assert summary.effective_shannon == pytest.approx(2.0)
    assert cores.filter(pl.col("core") == 2)["excess_pct"].item() == pytest.approx(BUSY - IDLE)
    assert [h.core for h in summary.hottest][:2] == [2, 3]
    assert summary.max_to_mean == pytest.approx(BUSY / ((2 * BUSY + 2 * IDLE) / 4))
    # cost: 2 cores × 39.5 % × 4 s of DPC, and 2 × 40 % × 4 s of processor time over idle, per 4 GB
    assert summary.network_cpu_s == pytest.approx(2 * 0.395 * 4)
    assert summary.network_cpu_s_per_gb == pytest.approx(2 * 0.395 * 4 / 4)
    assert summary.cpu_s_per_gb == pytest.approx(2 * 0.40 * 4 / 4)
    # the root VP at 95 % run time is saturated although its DPC time is not
    assert summary.saturated_root_vps == (3,) and summary.saturated == (3,)


def test_saturated_core(tmp_path):
    columns = per_core("Processor", str, "% DPC Time", lambda n: busy_series(n, 97.0) if n == 2 else [_] + [IDLE] * 11)
    frame = core_frame(load_log(tmp_path, columns), "HV02")
    _cores, summary = core_spread(frame, span=(at(3), at(7)), idle=[(at(3), at(7))])
    assert summary.saturated == (2,) and summary.active == (2,)
    assert summary.effective == pytest.approx(1.0)
    assert summary.cpu_s is None  # no % Processor Time logged


def test_without_idle_samples_the_raw_load_is_used(capture):
    frame = core_frame(capture, "HV02")
    _cores, summary = core_spread(frame, span=(at(3), at(7)), idle=[(at(0), at(11))])
    assert summary.baseline == "none"
    shares = [BUSY, BUSY, IDLE, IDLE]
    expected = 1 / sum((x / sum(shares)) ** 2 for x in shares)
    assert summary.effective == pytest.approx(expected)


def test_idle_cores_have_no_effective_count(capture):
    """Issue 13 §7: a host whose cores stayed idle printed "0 active [], effective 4.71"."""
    frame = core_frame(capture, "HV02")
    _cores, summary = core_spread(frame, span=(at(8), at(11)), idle=[(at(3), at(7))])
    assert summary.active == () and summary.baseline == "idle"
    assert summary.effective is None and summary.effective_shannon is None


def test_core_matrix_is_long(capture):
    matrix = core_matrix(core_frame(capture, "HV02"), labels=core_labels(capture, "HV02"))
    assert matrix.columns == ["time", "core", "value", "label"]
    assert matrix.height == 4 * 12
    assert matrix.filter((pl.col("core") == 2) & (pl.col("time") == at(5)))["value"].item() == pytest.approx(BUSY)


def test_expected_receive_cores():
    assert expected_receive_cores("smb", nics=2) == 8
    assert expected_receive_cores("smb-direct", nics=2) == 0
    assert expected_receive_cores("tcp", nics=1, flows=3) == 3
    assert expected_receive_cores(None, nics=1) is None


def test_nic_cores_from_per_processor_counters(tmp_path):
    obj = "Per Processor Network Interface Card Activity"
    columns = {
        rf"\\HV02\{obj}({cpu}, Mellanox ConnectX-4 Lx Ethernet Adapter)\Received Packets/sec": [_, 0, 1000.0 * (cpu in (1, 3)), 0]
        for cpu in range(4)
    }
    columns[rf"\\HV02\{obj}(2, Mellanox ConnectX-4 Lx Ethernet Adapter _2)\Received Packets/sec"] = [_, 0, 500.0, 0]
    table = nic_cores(load_log(tmp_path, columns), "HV02", span=(at(1), at(2)))
    assert table.select("instance", "core").rows() == [
        ("Mellanox ConnectX-4 Lx Ethernet Adapter", 1), ("Mellanox ConnectX-4 Lx Ethernet Adapter", 3),
        ("Mellanox ConnectX-4 Lx Ethernet Adapter _2", 2),
    ]
    assert table["share"].to_list() == pytest.approx([0.5, 0.5, 1.0])
    assert math.isclose(table["received_packets_s"][0], 1000.0)
