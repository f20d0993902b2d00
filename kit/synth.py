"""Seeded synthetic live-migration captures: two relog CSVs plus the ground truth behind them.

A :class:`Scenario` describes one live migration of one VM between two Hyper-V hosts that share a
set of NICs (:class:`Nic`). :func:`generate` turns it into one relog-style PDH CSV per host
(``"(PDH-CSV 4.0) (<zone>)(<bias>)"`` header, every field double-quoted, CRLF, local timestamps
``MM/DD/YYYY HH:MM:SS.mmm``, values printed with C ``%.20g``, ``" "`` for a missing value, a blank
first row for rate counters) and a JSON-serialisable ``truth`` dict. Everything is a function of
the scenario; all randomness comes from ``numpy.random.default_rng(scenario.seed)``.

Model (all on a 1 ms grid, so every perfmon rate is the exact average over its sample interval)
------------------------------------------------------------------------------------------------
* Counter semantics: the value of a rate counter at sample k is (amount in (t[k-1], t[k]]) /
  (t[k] - t[k-1]); gauges are the state at t[k]. A rate is blank (``" "``) unless its instance
  existed at both t[k-1] and t[k]; a gauge is blank unless the instance existed at t[k].
* Transfer: each migration NIC has a per-ms payload capacity of ``link_efficiency`` x the §6
  TCP payload ceiling of its link and MTU, with small Gaussian noise and saw-tooth ("jig-saw")
  dips, never above 98.5 % of the ceiling. SMB (Multichannel or Direct) uses every migration NIC;
  TCP/IP and Compression use one TCP connection on the first migration NIC.
* Passes: pass 1 copies all VM memory; pass p+1 copies the pages dirtied during pass p
  (``dirty_rate_mb_s`` x pass duration, whole 4 KiB pages, at most all memory). Pre-copy stops when
  the next dirty set would take <= ``stop_copy_s`` at the rate just achieved, or when the next pass
  would be pass ``max_passes``. The final pass (dirty pages + ``device_state_mib``) runs with the
  VM paused: the blackout starts with it and lasts exactly ``blackout_s``. Passes follow each other
  after a 20 ms gap. The migration instance exists from ``setup_s`` before pass 1 until
  ``teardown_s`` after the blackout.
* Wire bytes: ``Network Interface`` byte counters include the 14-byte Ethernet header, so wire
  bytes = payload x (MTU + 14) / (MTU - 40); packets = payload / (MTU - 40); the receiver answers
  every second data segment with a 54-byte ACK. With ``smb-direct`` the same wire bytes appear under
  ``RDMA Activity`` instead and the Network Interface counters show only background traffic.
* CPU: per-LP background load; on the destination each migration connection's share of its NIC's
  received bytes becomes % DPC Time (85 %) + % Interrupt Time (15 %) on one receive LP (SMB over TCP:
  4 connections per NIC -> 4 distinct LPs per NIC); the source does the lighter send work on its
  own LPs. Root VP n = LP n (no minroot); Hyper-V LP run time = root VP + guest load.
  ``0,_Total`` / ``_Total`` are the mean over LPs of % counters and the sum of DPCs Queued/sec
  (as in the real capture in shared/realdata).
* Both hosts sample on their own phase (same clock unless ``clock_offset_s`` != 0).

Truth schema (``truth.json``; times are UTC ISO 8601 with milliseconds and ``Z``)
--------------------------------------------------------------------------------
``schema_version`` (int, 1); ``scenario`` (every :class:`Scenario` field, ``nics`` as a list of
dicts, ``start_local`` as ISO local time without zone); ``hosts`` {``source``, ``destination``:
host name}; ``interval_s``; ``timezone`` {``name``, ``bias_minutes``}; ``clock_offset_s`` {host:
seconds the host clock is ahead of the source clock}; ``files`` {host: CSV file name};
``columns`` {host: number of counter columns, timestamp column excluded}; ``rows`` {host: number
of data rows, header excluded}; ``first_sample_utc`` / ``last_sample_utc`` {host: first / last
timestamp of its file, i.e. on that host's clock}; all other times are on the source clock;
``nic_instances`` {raw description: escaped perf instance}; ``nics`` {instance: {``description``,
``role``, ``link_gbps``, ``mtu``, ``rdma_capable``, ``payload_ceiling_bytes_s``,
``l2_ceiling_bytes_s``}}; ``nic_totals`` {host: {instance: {``bytes_sent``, ``bytes_received``,
``packets_sent``, ``packets_received``}}} = Σ_{k>=1} value_k · (t[k] - t[k-1]) of the matching
``Network Interface`` counter over the whole file [bytes, packets]; ``migrations``: list of
{``vm``, ``source``, ``destination``, ``transport``, ``lm_instance``, ``vnic_instance``,
``start_utc`` / ``end_utc`` (migration instance appears / disappears), ``duration_s``,
``transfer_start_utc`` / ``transfer_end_utc`` (first / last byte), ``memory_bytes`` (Σ pass
payload [bytes]), ``bytes_total`` (wire bytes the source sent over the migration NICs [bytes]),
``bytes_per_nic`` {instance: wire bytes sent by the source [bytes]}, ``wire_object`` (``"Network
Interface"`` or ``"RDMA Activity"``: where those bytes are counted), ``connections_per_nic``,
``passes`` [{``number``, ``start_utc``, ``end_utc``, ``duration_s``, ``bytes`` (payload
[bytes]), ``wire_bytes`` [bytes], ``dirty_pages`` (4 KiB pages the pass copies; pass 1 = every
page), ``blackout`` (bool)}], ``blackout_s``, ``blackout_start_utc``, ``blackout_end_utc``,
``busy_receive_cores`` {host: sorted LP indices doing receive DPC work},
``receive_cores_per_nic`` {instance: destination LPs}, ``busy_send_cores`` {host: sorted LPs}}.

Counter gauges on the migration instance: ``Transfer Pass: Number`` is the current pass (0 during
setup, the last pass after it ends); ``Transfer pass: Dirty Page Count`` is the page count of the
current pass; ``SMB Transport: Bytes Sent`` counts since the instance appeared. On the destination
the instance exists for the same time but only ``Receiver: Bytes Written/sec`` is non-zero.
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from kit.errors import OptionError

Transport = Literal["tcp", "compression", "smb", "smb-direct"]
TRANSPORTS: tuple[str, ...] = ("tcp", "compression", "smb", "smb-direct")

PAGE_BYTES = 4096
"""Hyper-V memory page. [bytes]"""
ETHERNET_HEADER_BYTES = 14
"""Ethernet MAC header, counted by the Network Interface byte counters as framing. [bytes]"""
WIRE_OVERHEAD_BYTES = 38
"""Preamble + SFD + MAC header + FCS + inter-packet gap per frame (§6.1). [bytes]"""
IP_TCP_HEADER_BYTES = 40
"""IPv4 + TCP headers without options. [bytes]"""
ACK_FRAME_BYTES = 54
"""A bare TCP ACK as counted by Network Interface (14 + 20 + 20). [bytes]"""

_MAX_CEILING_SHARE = 0.985  # highest per-ms share of the payload ceiling a NIC reaches
_DIP_FLOOR = 0.5  # lowest capacity factor in a dip (also the horizon bound)
_SEGMENT_MS = 50  # granularity of throughput noise [ms]
_BACKGROUND_SEGMENT_MS = 100  # granularity of background traffic [ms]
_BACKGROUND_PACKET_BYTES = 400.0  # mean size of background packets [bytes]
_PASS_GAP_MS = 20  # dirty-bitmap scan between passes [ms]
_PACKETS_PER_DPC = 4.0  # receive interrupt moderation
_HOST_CPU_MB_S_PER_CORE = 2500.0  # memory walker / receiver copy cost [MB/s per core]
_COMPRESS_MB_S_PER_CORE = 600.0  # compression cost [MB/s per core]
_GUEST_LOAD_PCT = {"source": 15.0, "destination": 10.0}  # other VMs per LP [%]
_FREE_MEMORY_SHARE = {"source": 0.40, "destination": 0.55}  # host memory available [1]


def escape_instance(name: str) -> str:
    """Perf instance name of a raw name under the provider escaping rule of §1.5.

    ``(`` → ``[``, ``)`` → ``]``, ``#`` / ``\\`` / ``/`` → ``_``.
    """
    return name.translate(str.maketrans({"(": "[", ")": "]", "#": "_", "\\": "_", "/": "_"}))


def payload_ceiling_bytes_s(link_gbps: float, mtu: int) -> float:
    """Highest IPv4/TCP payload rate of a link (§6.2, no VLAN, no timestamps). [bytes/s]"""
    return link_gbps * 1e9 / 8 * (mtu - IP_TCP_HEADER_BYTES) / (mtu + WIRE_OVERHEAD_BYTES)


def l2_ceiling_bytes_s(link_gbps: float, mtu: int) -> float:
    """Highest rate of L2 frames without FCS, the most a Bytes …/sec counter can show. [bytes/s]"""
    return link_gbps * 1e9 / 8 * (mtu + ETHERNET_HEADER_BYTES) / (mtu + WIRE_OVERHEAD_BYTES)


@dataclass(frozen=True)
class Nic:
    """One physical NIC, present with the same description on both hosts.

    Attributes:
        description: Raw InterfaceDescription as Get-NetAdapter shows it. [text]
        link_gbps: Link speed. [Gbit/s]
        mtu: IP MTU. [bytes]
        rdma_capable: Whether the NIC has RDMA and so an ``RDMA Activity`` instance. [bool]
        role: ``"migration"`` (carries live migration) or anything else (e.g. ``"management"``).
        background_rx_bytes_s: Mean background traffic received outside the migration. [bytes/s]
        background_tx_bytes_s: Mean background traffic sent outside the migration. [bytes/s]
    """

    description: str
    link_gbps: float = 10.0
    mtu: int = 9000
    rdma_capable: bool = False
    role: str = "migration"
    background_rx_bytes_s: float = 100.0
    background_tx_bytes_s: float = 100.0

    @property
    def instance(self) -> str:
        """Instance name under ``Network Interface`` and ``RDMA Activity``. [text]"""
        return escape_instance(self.description)

    @property
    def frame_bytes(self) -> int:
        """Bytes a full-size frame adds to Bytes …/sec (MTU + MAC header). [bytes]"""
        return self.mtu + ETHERNET_HEADER_BYTES

    @property
    def segment_bytes(self) -> int:
        """TCP payload of a full-size frame. [bytes]"""
        return self.mtu - IP_TCP_HEADER_BYTES

    @property
    def payload_ceiling_bytes_s(self) -> float:
        """TCP payload ceiling of this link and MTU. [bytes/s]"""
        return payload_ceiling_bytes_s(self.link_gbps, self.mtu)

    @property
    def l2_ceiling_bytes_s(self) -> float:
        """L2 (without FCS) ceiling of this link and MTU. [bytes/s]"""
        return l2_ceiling_bytes_s(self.link_gbps, self.mtu)


DEFAULT_NICS: tuple[Nic, ...] = (
    Nic("Mellanox ConnectX-4 Lx Ethernet Adapter", 10.0, 9000, True, "migration"),
    Nic("Mellanox ConnectX-4 Lx Ethernet Adapter #2", 10.0, 9000, True, "migration"),
    Nic("Intel(R) I350 Gigabit Network Connection", 1.0, 1500, False, "management", 150_000.0, 60_000.0),
)


@dataclass(frozen=True)
class Scenario:
    """One live migration between two hosts, and how it was captured.

    Attributes:
        name: Folder name of the test. [text]
        seed: Seed of ``numpy.random.default_rng``. [int]
        vm_name: VM name as Hyper-V shows it. [text]
        vm_memory_gib: VM memory (startup RAM). [GiB]
        vm_vcpus: Virtual processors of the VM. [count]
        vm_cpu_percent: Guest CPU load while running. [% of its vCPUs]
        vm_traffic_mb_s: Mean network traffic of the VM's own vNIC. [MB/s]
        nics: NICs of each host (same set on both). [Nic]
        transport: Live-migration performance option: tcp, compression, smb, smb-direct. [text]
        blackout_s: Time the VM is paused (final pass + switchover). [s]
        dirty_rate_mb_s: Rate at which the guest dirties memory. [MB/s]
        source_host: Source host name. [text]
        destination_host: Destination host name. [text]
        logical_processors: Logical processors per host, all in NUMA node 0. [count]
        host_memory_gib: Physical memory per host. [GiB]
        interval_s: Perfmon sample interval. [s]
        idle_before_s: Capture time before the migration starts. [s]
        idle_after_s: Capture time after the migration ends. [s]
        tz_name: Time-zone name written to the header. [text]
        bias_minutes: Win32 bias written to the header; UTC = local + bias. [min]
        start_local: Local wall-clock time of the capture origin (first sample ≈ +jitter). [datetime]
        clock_offset_s: How far the destination's clock is ahead of the source's. [s]
        link_efficiency: Mean per-NIC throughput before dips, share of the payload ceiling. [1]
        max_passes: Most transfer passes including the final (blackout) pass. [count]
        stop_copy_s: Enter the blackout once the next dirty set copies within this time. [s]
        setup_s: Migration instance lifetime before pass 1 (must exceed one interval). [s]
        teardown_s: Migration instance lifetime after the blackout (must exceed one interval). [s]
        device_state_mib: Device/processor state sent in the final pass. [MiB]
        compression_ratio: Memory bytes per wire byte with transport "compression". [1]
        receive_cores: Destination receive LPs per migration connection, one tuple per wire NIC;
            None = drawn with the rng. [LP index]
        rx_mb_s_per_core: Received throughput that keeps one LP 100 % busy in DPC + ISR. [MB/s]
        tx_mb_s_per_core: Sent throughput that keeps one LP 100 % busy in DPC + ISR. [MB/s]
        jitter_ms: Largest lateness of a sample against its interval grid. [ms]
    """

    name: str
    seed: int = 20250211
    vm_name: str = "SQL-VM01"
    vm_memory_gib: float = 16.0
    vm_vcpus: int = 4
    vm_cpu_percent: float = 30.0
    vm_traffic_mb_s: float = 3.0
    nics: tuple[Nic, ...] = DEFAULT_NICS
    transport: Transport = "smb"
    blackout_s: float = 0.6
    dirty_rate_mb_s: float = 300.0
    source_host: str = "HV01"
    destination_host: str = "HV02"
    logical_processors: int = 16
    host_memory_gib: int = 256
    interval_s: float = 1.0
    idle_before_s: float = 30.0
    idle_after_s: float = 30.0
    tz_name: str = "W. Europe Standard Time"
    bias_minutes: int = -60
    start_local: datetime = datetime(2025, 2, 11, 14, 5, 17)
    clock_offset_s: float = 0.0
    link_efficiency: float = 0.95
    max_passes: int = 5
    stop_copy_s: float = 0.05
    setup_s: float = 1.6
    teardown_s: float = 1.3
    device_state_mib: float = 1.0
    compression_ratio: float = 2.0
    receive_cores: tuple[tuple[int, ...], ...] | None = None
    rx_mb_s_per_core: float = 1000.0
    tx_mb_s_per_core: float = 4000.0
    jitter_ms: int = 12

    def __post_init__(self) -> None:
        problems = self._problems()
        if problems:
            raise OptionError(f"scenario {self.name!r}: " + "; ".join(problems))

    def _problems(self) -> list[str]:
        interval_ms = self.interval_s * 1000 + self.jitter_ms
        wire = self.wire_nics
        instances = [nic.instance for nic in self.nics]
        checks = {
            f"transport must be one of {TRANSPORTS}": self.transport in TRANSPORTS,
            "needs at least one NIC with role 'migration'": bool(wire),
            "source_host and destination_host must differ": self.source_host != self.destination_host,
            "NIC descriptions must give distinct perf instances": len(set(instances)) == len(instances),
            "smb-direct needs RDMA-capable migration NICs": self.transport != "smb-direct"
            or all(nic.rdma_capable for nic in wire),
            "setup_s and teardown_s must exceed interval_s + jitter": min(self.setup_s, self.teardown_s) * 1000
            > interval_ms,
            "more receive connections than logical processors": self.connections_per_nic * len(wire)
            <= self.logical_processors,
            "0 < link_efficiency <= 0.985": 0 < self.link_efficiency <= _MAX_CEILING_SHARE,
            "vm_memory_gib, interval_s, blackout_s must be > 0": min(
                self.vm_memory_gib, self.interval_s, self.blackout_s
            )
            > 0,
            "max_passes must be >= 2": self.max_passes >= 2,
            "compression_ratio must be >= 1": self.compression_ratio >= 1,
            "receive_cores must give connections_per_nic distinct LPs per wire NIC": self._receive_cores_ok(),
        }
        return [text for text, ok in checks.items() if not ok]

    def _receive_cores_ok(self) -> bool:
        if self.receive_cores is None:
            return True
        flat = [lp for cores in self.receive_cores for lp in cores]
        return (
            len(self.receive_cores) == len(self.wire_nics)
            and all(len(cores) == self.connections_per_nic for cores in self.receive_cores)
            and len(set(flat)) == len(flat)
            and all(0 <= lp < self.logical_processors for lp in flat)
        )

    @property
    def wire_nics(self) -> tuple[Nic, ...]:
        """NICs that carry the migration: all migration NICs for SMB, else the first one."""
        migration = tuple(nic for nic in self.nics if nic.role == "migration")
        return migration if self.transport.startswith("smb") else migration[:1]

    @property
    def connections_per_nic(self) -> int:
        """Transport connections per wire NIC (SMB: 4 per RSS NIC, 2 per RDMA NIC; else 1). [count]"""
        return {"smb": 4, "smb-direct": 2}.get(self.transport, 1)

    @property
    def memory_per_payload(self) -> float:
        """Memory bytes carried per payload byte on the wire (compression ratio or 1). [1]"""
        return self.compression_ratio if self.transport == "compression" else 1.0

    @property
    def vm_memory_bytes(self) -> int:
        """VM memory rounded down to whole pages. [bytes]"""
        return int(self.vm_memory_gib * 2**30) // PAGE_BYTES * PAGE_BYTES

    @property
    def lm_instance(self) -> str:
        """Instance of ``Hyper-V VM Live Migration``. [text]"""
        return f"{self.vm_name}:VM Live Migration"


@dataclass(frozen=True)
class GeneratedTest:
    """The generated capture of one scenario.

    Attributes:
        scenario: The scenario it was generated from.
        csv: Relog CSV per host name, exactly as written to disk. [bytes]
        truth: Ground truth (schema in the module docstring); JSON-serialisable.
    """

    scenario: Scenario
    csv: dict[str, bytes]
    truth: dict[str, Any]

    def truth_json(self) -> str:
        """``truth`` as written to ``truth.json``: indent 2, sorted keys, final newline."""
        return json.dumps(self.truth, indent=2, sort_keys=True) + "\n"


@dataclass(frozen=True)
class _Pass:
    number: int
    start_ms: float  # first byte, on the global 1 ms grid
    end_ms: float  # last byte (fractional)
    payload: int  # memory bytes [bytes]
    pages: int  # pages of the pass [count]


@dataclass(frozen=True)
class _Timeline:
    ticks: int  # length of the 1 ms grid
    times: dict[str, np.ndarray]  # role -> sample times on the source clock [ms]
    lm_start: int
    blackout_start: int
    blackout_end: int
    lm_end: int
    passes: tuple[_Pass, ...]
    payload: np.ndarray  # (NIC, tick) payload on the wire per scenario NIC [bytes/ms]
    memory: np.ndarray  # (tick,) memory bytes moved [bytes/ms]
    vm_traffic: np.ndarray  # (tick,) VM vNIC traffic while running [bytes/ms]
    vnic_instance: str


@dataclass(frozen=True)
class _Col:
    object: str
    instance: str | None
    counter: str
    values: np.ndarray  # NaN = blank

    def path(self, host: str) -> str:
        where = self.object if self.instance is None else f"{self.object}({self.instance})"
        return f"\\\\{host}\\{where}\\{self.counter}"


@dataclass(frozen=True)
class _NicSeries:
    """Per-interval Network Interface quantities of one NIC on one host [bytes, packets]."""

    sent: np.ndarray
    received: np.ndarray
    packets_sent: np.ndarray
    packets_received: np.ndarray
    data_wire: np.ndarray  # migration wire bytes in the interval (either direction)


# ---------------------------------------------------------------------------------------------
# Public entry points


def generate(scenario: Scenario) -> GeneratedTest:
    """Generate both hosts' CSVs and the truth of ``scenario`` (deterministic in its seed)."""
    rng = np.random.default_rng(scenario.seed)
    timeline = _timeline(scenario, rng)
    rx_cores, tx_cores, weights = _pick_cores(scenario, rng)
    csv: dict[str, bytes] = {}
    totals: dict[str, dict[str, dict[str, float]]] = {}
    for role, host in (("source", scenario.source_host), ("destination", scenario.destination_host)):
        cores = rx_cores if role == "destination" else tx_cores
        columns, nic_series = _host_columns(scenario, timeline, role, cores, weights, rng)
        written = timeline.times[role] + _offset_ms(scenario, role)
        csv[host] = _render_csv(scenario, host, written, columns)
        totals[host] = {nic.instance: _nic_totals(series) for nic, series in zip(scenario.nics, nic_series)}
    truth = _truth(scenario, timeline, csv, totals, rx_cores, tx_cores)
    return GeneratedTest(scenario, csv, truth)


def write(scenario: Scenario, directory: str | Path) -> list[Path]:
    """Write ``<directory>/<name>/<HOST>.csv`` per host and ``truth.json``; return the paths."""
    test = generate(scenario)
    folder = Path(directory) / scenario.name
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for host, data in test.csv.items():
        path = folder / f"{host}.csv"
        path.write_bytes(data)
        paths.append(path)
    truth_path = folder / "truth.json"
    truth_path.write_text(test.truth_json(), encoding="utf-8", newline="\n")
    return [*paths, truth_path]


BUNDLED: tuple[Scenario, ...] = (
    Scenario(
        name="smb-multichannel-2x10g",
        seed=20250211,
        vm_name="SQL-VM01",
        vm_memory_gib=16.0,
        nics=DEFAULT_NICS,
        transport="smb",
        blackout_s=0.6,
        dirty_rate_mb_s=300.0,
        source_host="HV01",
        destination_host="HV02",
        logical_processors=16,
        interval_s=1.0,
        idle_before_s=30.0,
        idle_after_s=30.0,
        tz_name="W. Europe Standard Time",
        bias_minutes=-60,
    ),
)
"""Scenarios whose output is committed under ``data/``."""


def write_bundled(directory: str | Path) -> list[Path]:
    """Write every scenario of :data:`BUNDLED` under ``directory``; return all paths."""
    return [path for scenario in BUNDLED for path in write(scenario, directory)]


# ---------------------------------------------------------------------------------------------
# Migration schedule on the 1 ms grid


def _timeline(sc: Scenario, rng: np.random.Generator) -> _Timeline:
    interval = round(sc.interval_s * 1000)
    capacity = _capacity(sc, rng, _horizon_ms(sc))
    passes, transfer = _passes(sc, capacity.sum(axis=0))
    final_ms = passes[-1].end_ms - passes[-1].start_ms
    if final_ms >= sc.blackout_s * 1000:
        raise OptionError(
            f"scenario {sc.name!r}: the final pass needs {final_ms:.0f} ms, more than blackout_s "
            "(raise blackout_s or lower dirty_rate_mb_s)"
        )
    lm_start = round(sc.idle_before_s * 1000) + int(rng.integers(0, interval))
    transfer_start = lm_start + round(sc.setup_s * 1000)
    blackout_start = transfer_start + int(passes[-1].start_ms)
    blackout_end = blackout_start + round(sc.blackout_s * 1000)
    lm_end = blackout_end + round(sc.teardown_s * 1000)
    rows = math.ceil((lm_end + round(sc.idle_after_s * 1000)) / interval) + 1
    times = {
        "source": _sample_times(rng, rows, interval, 0, sc.jitter_ms),
        "destination": _sample_times(rng, rows, interval, int(rng.integers(0, interval)), sc.jitter_ms),
    }
    ticks = int(max(t[-1] for t in times.values())) + 1
    used = transfer.shape[0]
    share = capacity[:, :used] / capacity[:, :used].sum(axis=0)  # capacity >= the dip floor > 0
    payload = np.zeros((len(sc.nics), ticks))
    wire_rows = [sc.nics.index(nic) for nic in sc.wire_nics]
    payload[wire_rows, transfer_start : transfer_start + used] = share * transfer / sc.memory_per_payload
    memory = np.zeros(ticks)
    memory[transfer_start : transfer_start + used] = transfer
    shifted = tuple(
        _Pass(p.number, p.start_ms + transfer_start, p.end_ms + transfer_start, p.payload, p.pages)
        for p in passes
    )
    return _Timeline(
        ticks=ticks,
        times=times,
        lm_start=lm_start,
        blackout_start=blackout_start,
        blackout_end=blackout_end,
        lm_end=lm_end,
        passes=shifted,
        payload=payload,
        memory=memory,
        vm_traffic=_segments(rng, ticks, sc.vm_traffic_mb_s * 1e6, _BACKGROUND_SEGMENT_MS),
        vnic_instance=_vnic_instance(sc.vm_name, rng),
    )


def _horizon_ms(sc: Scenario) -> int:
    """Upper bound of the transfer time: every pass at the lowest possible capacity. [ms]"""
    ceiling = sum(nic.payload_ceiling_bytes_s for nic in sc.wire_nics) / 1000
    floor = _DIP_FLOOR * sc.link_efficiency * sc.memory_per_payload * ceiling
    total, size = 0.0, float(sc.vm_memory_bytes)
    for _ in range(sc.max_passes):
        duration = size / floor
        total += duration + _PASS_GAP_MS + 1
        size = min(sc.vm_memory_bytes, sc.dirty_rate_mb_s * 1e3 * duration) + sc.device_state_mib * 2**20
    return math.ceil(total) + 1


def _capacity(sc: Scenario, rng: np.random.Generator, horizon: int) -> np.ndarray:
    """Memory bytes each wire NIC can move per ms: noise plus saw-tooth dips. [bytes/ms]"""
    segments = -(-horizon // _SEGMENT_MS)
    n = len(sc.wire_nics)
    noise = 1 + 0.012 * rng.standard_normal((n, segments))
    dips = np.where(rng.random((n, segments)) < 0.03, rng.uniform(0.08, 0.30, (n, segments)), 0.0)
    ramp = np.array([1.0, 0.75, 0.5, 0.25])  # a dip recovers linearly over four segments
    sawtooth = np.stack([np.convolve(row, ramp)[:segments] for row in dips])
    ceiling = np.array([nic.payload_ceiling_bytes_s for nic in sc.wire_nics])[:, None] / 1000
    factor = np.clip(noise - sawtooth, _DIP_FLOOR, _MAX_CEILING_SHARE / sc.link_efficiency)
    per_segment = sc.link_efficiency * ceiling * factor * sc.memory_per_payload
    return np.repeat(per_segment, _SEGMENT_MS, axis=1)[:, :horizon]


def _passes(sc: Scenario, capacity: np.ndarray) -> tuple[list[_Pass], np.ndarray]:
    """Schedule the passes on the capacity; return them and the memory bytes moved per ms."""
    cumulative = np.concatenate([[0.0], np.cumsum(capacity)])
    moved = np.zeros_like(capacity)
    passes: list[_Pass] = []
    start, pages, state, final = 0, sc.vm_memory_bytes // PAGE_BYTES, 0, False
    for number in range(1, sc.max_passes + 1):
        size = pages * PAGE_BYTES + state
        target = cumulative[start] + size
        last = int(np.searchsorted(cumulative, target, side="left")) - 1
        if last >= capacity.size:
            raise OptionError(f"scenario {sc.name!r}: migration does not fit the transfer horizon")
        moved[start:last] = capacity[start:last]
        moved[last] = target - cumulative[last]
        end = last + moved[last] / capacity[last]
        passes.append(_Pass(number, float(start), float(end), size, pages))
        if final:
            break
        duration_s = (end - start) / 1000
        dirty = int(sc.dirty_rate_mb_s * 1e6 * duration_s) // PAGE_BYTES
        pages = min(sc.vm_memory_bytes // PAGE_BYTES, dirty)
        start = last + 1 + _PASS_GAP_MS
        final = number + 1 == sc.max_passes or pages * PAGE_BYTES * duration_s / size <= sc.stop_copy_s
        state = round(sc.device_state_mib * 2**20) if final else 0
    return passes, moved[: int(passes[-1].end_ms) + 1]


def _sample_times(rng: np.random.Generator, rows: int, interval: int, phase: int, jitter: int) -> np.ndarray:
    """Sample times: a grid of ``interval`` from ``phase`` plus 0..jitter ms lateness. [ms]"""
    return phase + np.arange(rows, dtype=np.int64) * interval + rng.integers(0, jitter + 1, rows)


def _segments(rng: np.random.Generator, ticks: int, mean_bytes_s: float, segment_ms: int) -> np.ndarray:
    """Traffic with a uniformly random level per segment (mean ``mean_bytes_s``). [bytes/ms]"""
    levels = mean_bytes_s / 1000 * rng.uniform(0.2, 1.8, -(-ticks // segment_ms))
    return np.repeat(levels, segment_ms)[:ticks]


def _vnic_instance(vm: str, rng: np.random.Generator) -> str:
    system, device = (str(uuid.UUID(bytes=rng.bytes(16), version=4)).upper() for _ in range(2))
    return f"{vm}_Network Adapter_{system}--{device}"


def _pick_cores(
    sc: Scenario, rng: np.random.Generator
) -> tuple[list[list[int]], list[list[int]], np.ndarray]:
    """Destination receive LPs and source send LPs per wire NIC, and connection weights."""
    shape = (len(sc.wire_nics), sc.connections_per_nic)
    drawn = rng.choice(sc.logical_processors, size=shape, replace=False)
    rx = [list(c) for c in sc.receive_cores] if sc.receive_cores is not None else drawn.tolist()
    tx = rng.choice(sc.logical_processors, size=shape, replace=False).tolist()
    weights = 1 + 0.15 * rng.uniform(-1, 1, shape)
    if sc.transport == "smb-direct":  # RDMA offloads the data path: no per-connection DPC work
        return [[] for _ in rx], [[] for _ in tx], weights
    return rx, tx, weights / weights.sum(axis=1, keepdims=True)


# ---------------------------------------------------------------------------------------------
# Counters of one host


def _host_columns(
    sc: Scenario,
    tl: _Timeline,
    role: str,
    cores: list[list[int]],
    weights: np.ndarray,
    rng: np.random.Generator,
) -> tuple[list[_Col], list[_NicSeries]]:
    t = tl.times[role]
    seconds = np.concatenate([[np.nan], np.diff(t) / 1000])
    series = [_nic_series(sc, tl, nic, i, role, t, rng) for i, nic in enumerate(sc.nics)]
    columns = _network_columns(sc, series, seconds, rng)
    columns += _rdma_columns(sc, series, role, seconds)
    wire_rates = [series[sc.nics.index(nic)].data_wire / seconds for nic in sc.wire_nics]
    memory_rate = _interval_sums(tl.memory, t) / seconds
    running = _overlap(t, -np.inf, tl.blackout_start) if role == "source" else _overlap(t, tl.blackout_end, np.inf)
    columns += _cpu_columns(sc, role, wire_rates, memory_rate, running, cores, weights, rng)
    columns += _migration_columns(sc, tl, role, t, seconds)
    columns += _vnic_columns(tl, role, t, seconds)
    columns.append(_memory_column(sc, tl, role, t, rng))
    return columns, series


def _nic_series(
    sc: Scenario, tl: _Timeline, nic: Nic, index: int, role: str, t: np.ndarray, rng: np.random.Generator
) -> _NicSeries:
    payload = _interval_sums(tl.payload[index], t)
    data_packets = payload / nic.segment_bytes
    data_wire = data_packets * nic.frame_bytes
    tcp = 0.0 if sc.transport == "smb-direct" else 1.0
    ack_packets = tcp * data_packets / 2
    bg_rx = _interval_sums(_segments(rng, tl.ticks, nic.background_rx_bytes_s, _BACKGROUND_SEGMENT_MS), t)
    bg_tx = _interval_sums(_segments(rng, tl.ticks, nic.background_tx_bytes_s, _BACKGROUND_SEGMENT_MS), t)
    data = (tcp * data_wire, tcp * data_packets)
    acks = (ack_packets * ACK_FRAME_BYTES, ack_packets)
    out, into = (data, acks) if role == "source" else (acks, data)
    return _NicSeries(
        sent=out[0] + bg_tx,
        received=into[0] + bg_rx,
        packets_sent=out[1] + bg_tx / _BACKGROUND_PACKET_BYTES,
        packets_received=into[1] + bg_rx / _BACKGROUND_PACKET_BYTES,
        data_wire=data_wire,
    )


def _network_columns(
    sc: Scenario, series: list[_NicSeries], seconds: np.ndarray, rng: np.random.Generator
) -> list[_Col]:
    ones = np.ones(seconds.size)
    columns = []
    for nic, s in zip(sc.nics, series):
        values = {
            "Bytes Received/sec": s.received / seconds,
            "Bytes Sent/sec": s.sent / seconds,
            "Bytes Total/sec": (s.sent + s.received) / seconds,
            "Current Bandwidth": ones * nic.link_gbps * 1e9,
            "Output Queue Length": ones * 0.0,
            "Packets Received Discarded": ones * float(rng.integers(0, 40)),
            "Packets Received/sec": s.packets_received / seconds,
            "Packets Sent/sec": s.packets_sent / seconds,
        }
        columns += [_Col("Network Interface", nic.instance, name, v) for name, v in values.items()]
    return columns


def _rdma_columns(sc: Scenario, series: list[_NicSeries], role: str, seconds: np.ndarray) -> list[_Col]:
    columns = []
    for nic, s in zip(sc.nics, series):
        if not nic.rdma_capable:
            continue
        zero = 0 * seconds  # keeps the blank first row
        rdma = s.data_wire / seconds if sc.transport == "smb-direct" else zero
        inbound, outbound = (zero, rdma) if role == "source" else (rdma, zero)
        columns.append(_Col("RDMA Activity", nic.instance, "RDMA Inbound Bytes/sec", inbound))
        columns.append(_Col("RDMA Activity", nic.instance, "RDMA Outbound Bytes/sec", outbound))
    return columns


def _cpu_columns(
    sc: Scenario,
    role: str,
    wire_rates: list[np.ndarray],
    memory_rate: np.ndarray,
    running: np.ndarray,
    cores: list[list[int]],
    weights: np.ndarray,
    rng: np.random.Generator,
) -> list[_Col]:
    n, lps = memory_rate.size, sc.logical_processors
    busy = rng.uniform(1.5, 6.0, lps) * rng.uniform(0.7, 1.3, (n, lps))
    dpc = rng.uniform(0.05, 0.5, (n, lps))
    isr = rng.uniform(0.02, 0.25, (n, lps))
    queued = rng.uniform(40, 300, (n, lps))
    per_core_mb_s = sc.rx_mb_s_per_core if role == "destination" else sc.tx_mb_s_per_core
    for nic, rate, lp_list, w in zip(sc.wire_nics, wire_rates, cores, weights):
        for lp, share in zip(lp_list, w):
            load = 100 * np.nan_to_num(rate) * share / (per_core_mb_s * 1e6) * rng.uniform(0.95, 1.05, n)
            load = np.minimum(load, 95.0)  # a saturated core still has a little other work
            dpc[:, lp] += 0.85 * load
            isr[:, lp] += 0.15 * load
            queued[:, lp] += np.nan_to_num(rate) * share / nic.frame_bytes / _PACKETS_PER_DPC
    host_mb_s = _HOST_CPU_MB_S_PER_CORE
    if sc.transport == "compression":
        host_mb_s = 1 / (1 / _HOST_CPU_MB_S_PER_CORE + 1 / _COMPRESS_MB_S_PER_CORE)
    copy_load = 100 * np.nan_to_num(memory_rate)[:, None] / (host_mb_s * 1e6) / lps
    processor = np.minimum(100.0, busy + dpc + isr + copy_load)
    root_vp = np.minimum(100.0, processor + rng.uniform(0.3, 1.2, (n, lps)))
    guest = _GUEST_LOAD_PCT[role] * rng.uniform(0.6, 1.4, (n, lps))
    guest += sc.vm_vcpus * sc.vm_cpu_percent / lps * np.nan_to_num(running)[:, None]
    hv_lp = np.minimum(100.0, root_vp + guest)
    per_lp = {"% DPC Time": dpc, "% Interrupt Time": isr, "% Processor Time": processor, "DPCs Queued/sec": queued}
    columns = []
    for counter, matrix in per_lp.items():
        matrix[0] = np.nan
        total = matrix.sum(axis=1) if counter.endswith("/sec") else matrix.mean(axis=1)
        columns += [_Col("Processor Information", f"0,{lp}", counter, matrix[:, lp]) for lp in range(lps)]
        columns += [_Col("Processor Information", name, counter, total) for name in ("0,_Total", "_Total")]
    hv_lp[0] = root_vp[0] = np.nan
    hv = "Hyper-V Hypervisor Logical Processor"
    columns += [_Col(hv, f"Hv LP {lp}", "% Total Run Time", hv_lp[:, lp]) for lp in range(lps)]
    columns.append(_Col(hv, "_Total", "% Total Run Time", hv_lp.mean(axis=1)))
    root = "Hyper-V Hypervisor Root Virtual Processor"
    columns += [_Col(root, f"Root VP {lp}", "% Total Run Time", root_vp[:, lp]) for lp in range(lps)]
    return columns


def _migration_columns(sc: Scenario, tl: _Timeline, role: str, t: np.ndarray, seconds: np.ndarray) -> list[_Col]:
    gauge_ok, rate_ok = _presence(t, tl.lm_start, tl.lm_end)
    starts = np.array([p.start_ms for p in tl.passes])
    current = np.searchsorted(starts, t, side="right")
    pages = np.array([0] + [p.pages for p in tl.passes], dtype=float)[current]
    blackout = ((t >= tl.blackout_start) & (t < tl.blackout_end)).astype(float)
    memory = _interval_sums(tl.memory, t) / seconds
    wire_payload = tl.payload.sum(axis=0)
    payload = _interval_sums(wire_payload, t) / seconds
    smb = 1.0 if sc.transport.startswith("smb") else 0.0
    sending = 1.0 if role == "source" else 0.0
    gauges = {
        "Transfer Pass: Number": sending * current.astype(float),
        "Transfer Pass: Is blackout": sending * blackout,
        "Transfer pass: Dirty Page Count": sending * pages,
        "SMB Transport: Bytes Sent": sending * smb * _cumulative_at(wire_payload, t),
    }
    rates = {
        "Memory Walker: Bytes Read/sec": sending * memory,
        "SMB Transport: Bytes Sent/sec": sending * smb * payload,
        "TCP Transport: Bytes Sent/sec": sending * (1 - smb) * payload,
        "Receiver: Bytes Written/sec": (1 - sending) * memory,
    }
    obj, inst = "Hyper-V VM Live Migration", sc.lm_instance
    return [_Col(obj, inst, name, np.where(gauge_ok, v, np.nan)) for name, v in gauges.items()] + [
        _Col(obj, inst, name, np.where(rate_ok, v, np.nan)) for name, v in rates.items()
    ]


def _vnic_columns(tl: _Timeline, role: str, t: np.ndarray, seconds: np.ndarray) -> list[_Col]:
    tick = np.arange(tl.ticks)
    if role == "source":
        traffic, (_, rate_ok) = tl.vm_traffic * (tick < tl.blackout_start), _presence(t, -np.inf, tl.blackout_end)
    else:
        traffic, (_, rate_ok) = tl.vm_traffic * (tick >= tl.blackout_end), _presence(t, tl.blackout_end, np.inf)
    values = np.where(rate_ok, _interval_sums(traffic, t) / seconds, np.nan)
    return [_Col("Hyper-V Virtual Network Adapter", tl.vnic_instance, "Bytes/sec", values)]


def _memory_column(sc: Scenario, tl: _Timeline, role: str, t: np.ndarray, rng: np.random.Generator) -> _Col:
    total_mb = sc.host_memory_gib * 1024
    vm_mb = sc.vm_memory_bytes / 2**20
    moved = vm_mb * (t >= tl.lm_end) if role == "source" else -vm_mb * (t >= tl.lm_start)
    available = total_mb * _FREE_MEMORY_SHARE[role] + moved + rng.normal(0, 25, t.size)
    return _Col("Memory", None, "Available MBytes", np.round(available))


# ---------------------------------------------------------------------------------------------
# Interval arithmetic on the 1 ms grid


def _cumulative_at(per_ms: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Sum of the ticks before each sample time (tick i covers [i, i+1) ms)."""
    return np.concatenate([[0.0], np.cumsum(per_ms)])[t]


def _interval_sums(per_ms: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Amount in (t[k-1], t[k]] for k >= 1; NaN for k = 0."""
    return np.concatenate([[np.nan], np.diff(_cumulative_at(per_ms, t))])


def _overlap(t: np.ndarray, start: float, end: float) -> np.ndarray:
    """Share of each interval (t[k-1], t[k]] inside [start, end); NaN for k = 0. [1]"""
    covered = np.clip(np.minimum(t[1:], end) - np.maximum(t[:-1], start), 0, None)
    return np.concatenate([[np.nan], covered / np.diff(t)])


def _presence(t: np.ndarray, appear: float, vanish: float) -> tuple[np.ndarray, np.ndarray]:
    """Where a gauge / a rate of an instance living in [appear, vanish) has a value."""
    gauge = (t >= appear) & (t < vanish)
    return gauge, np.concatenate([[False], gauge[1:] & gauge[:-1]])


# ---------------------------------------------------------------------------------------------
# Output


def _offset_ms(sc: Scenario, role: str) -> int:
    return round(sc.clock_offset_s * 1000) if role == "destination" else 0


def _render_csv(sc: Scenario, host: str, t: np.ndarray, columns: list[_Col]) -> bytes:
    """The relog CSV: columns sorted by object then counter (instances in order)."""
    ordered = sorted(columns, key=lambda c: (c.object.lower(), c.counter.lower()))
    matrix = np.column_stack([c.values for c in ordered]) + 0.0  # + 0.0 turns -0.0 into 0.0
    text = np.where(np.isnan(matrix), " ", np.char.mod("%.20g", matrix))
    stamps = pl.Series(np.datetime64(sc.start_local, "ms") + t.astype("timedelta64[ms]"))
    header = f"(PDH-CSV 4.0) ({sc.tz_name})({sc.bias_minutes})"
    frame = pl.DataFrame(
        {header: stamps.dt.strftime("%m/%d/%Y %H:%M:%S%.3f")}
        | {c.path(host): text[:, j] for j, c in enumerate(ordered)}
    )
    return frame.write_csv(quote_style="always", line_terminator="\r\n").encode("ascii")


def _nic_totals(series: _NicSeries) -> dict[str, float]:
    return {
        "bytes_sent": float(np.nansum(series.sent)),
        "bytes_received": float(np.nansum(series.received)),
        "packets_sent": float(np.nansum(series.packets_sent)),
        "packets_received": float(np.nansum(series.packets_received)),
    }


def _truth(
    sc: Scenario,
    tl: _Timeline,
    csv: dict[str, bytes],
    totals: dict[str, dict[str, dict[str, float]]],
    rx_cores: list[list[int]],
    tx_cores: list[list[int]],
) -> dict[str, Any]:
    origin = sc.start_local + timedelta(minutes=sc.bias_minutes)
    hosts = {"source": sc.source_host, "destination": sc.destination_host}
    first_line = {host: data.split(b"\r\n", 1)[0].decode("ascii") for host, data in csv.items()}
    return {
        "schema_version": 1,
        "scenario": _scenario_dict(sc),
        "hosts": hosts,
        "interval_s": sc.interval_s,
        "timezone": {"name": sc.tz_name, "bias_minutes": sc.bias_minutes},
        "clock_offset_s": {host: _offset_ms(sc, role) / 1000 for role, host in hosts.items()},
        "files": {host: f"{host}.csv" for host in hosts.values()},
        "columns": {host: line.count('","') for host, line in first_line.items()},
        "rows": {host: data.count(b"\r\n") - 1 for host, data in csv.items()},
        "first_sample_utc": {h: _iso(origin, tl.times[r][0] + _offset_ms(sc, r)) for r, h in hosts.items()},
        "last_sample_utc": {h: _iso(origin, tl.times[r][-1] + _offset_ms(sc, r)) for r, h in hosts.items()},
        "nic_instances": {nic.description: nic.instance for nic in sc.nics},
        "nics": {nic.instance: _nic_dict(nic) for nic in sc.nics},
        "nic_totals": totals,
        "migrations": [_migration_truth(sc, tl, origin, rx_cores, tx_cores)],
    }


def _migration_truth(
    sc: Scenario, tl: _Timeline, origin: datetime, rx_cores: list[list[int]], tx_cores: list[list[int]]
) -> dict[str, Any]:
    framing = np.array([nic.frame_bytes / nic.segment_bytes for nic in sc.nics])
    wire = {
        nic.instance: float(tl.payload[i].sum()) * framing[i]
        for i, nic in enumerate(sc.nics)
        if nic in sc.wire_nics
    }
    wire_per_ms = framing @ tl.payload
    passes = [
        {
            "number": p.number,
            "start_utc": _iso(origin, p.start_ms),
            "end_utc": _iso(origin, p.end_ms),
            "duration_s": (p.end_ms - p.start_ms) / 1000,
            "bytes": p.payload,
            "wire_bytes": float(wire_per_ms[int(p.start_ms) : int(p.end_ms) + 1].sum()),
            "dirty_pages": p.pages,
            "blackout": p is tl.passes[-1],
        }
        for p in tl.passes
    ]
    return {
        "vm": sc.vm_name,
        "source": sc.source_host,
        "destination": sc.destination_host,
        "transport": sc.transport,
        "lm_instance": sc.lm_instance,
        "vnic_instance": tl.vnic_instance,
        "start_utc": _iso(origin, tl.lm_start),
        "end_utc": _iso(origin, tl.lm_end),
        "duration_s": (tl.lm_end - tl.lm_start) / 1000,
        "transfer_start_utc": _iso(origin, tl.passes[0].start_ms),
        "transfer_end_utc": _iso(origin, tl.passes[-1].end_ms),
        "memory_bytes": sum(p.payload for p in tl.passes),
        "bytes_total": sum(wire.values()),
        "bytes_per_nic": wire,
        "wire_object": "RDMA Activity" if sc.transport == "smb-direct" else "Network Interface",
        "connections_per_nic": sc.connections_per_nic,
        "passes": passes,
        "blackout_s": sc.blackout_s,
        "blackout_start_utc": _iso(origin, tl.blackout_start),
        "blackout_end_utc": _iso(origin, tl.blackout_end),
        "busy_receive_cores": {sc.source_host: [], sc.destination_host: sorted(sum(rx_cores, []))},
        "receive_cores_per_nic": {nic.instance: sorted(c) for nic, c in zip(sc.wire_nics, rx_cores)},
        "busy_send_cores": {sc.source_host: sorted(sum(tx_cores, [])), sc.destination_host: []},
    }


def _scenario_dict(sc: Scenario) -> dict[str, Any]:
    data = asdict(sc)
    data["start_local"] = sc.start_local.isoformat(timespec="milliseconds")
    data["nics"] = [asdict(nic) for nic in sc.nics]
    data["receive_cores"] = None if sc.receive_cores is None else [list(c) for c in sc.receive_cores]
    return data


def _nic_dict(nic: Nic) -> dict[str, Any]:
    return {
        "description": nic.description,
        "role": nic.role,
        "link_gbps": nic.link_gbps,
        "mtu": nic.mtu,
        "rdma_capable": nic.rdma_capable,
        "payload_ceiling_bytes_s": nic.payload_ceiling_bytes_s,
        "l2_ceiling_bytes_s": nic.l2_ceiling_bytes_s,
    }


def _iso(origin: datetime, ms: float) -> str:
    """UTC ISO 8601 with milliseconds and Z of ``origin`` + ``ms``."""
    moment = origin + timedelta(milliseconds=round(float(ms)))
    return moment.isoformat(timespec="milliseconds") + "Z"
