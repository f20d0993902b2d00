"""Seeded synthetic live-migration captures: two relog CSVs plus the ground truth behind them.

A :class:`Scenario` describes two Hyper-V hosts that share a set of NICs (:class:`Nic`), what was
logged on them, and the live migrations between them: by default one migration of one VM from
``source_host`` to ``destination_host`` (the scenario's ``vm_*`` fields), or any sequence of
:class:`Migration` s in ``Scenario.migrations`` (back and forth, a host drained one VM after
another, several at once). :func:`generate` turns it into one relog-style PDH CSV per host
(``"(PDH-CSV 4.0) (<zone>)(<bias>)"`` header, every field double-quoted, CRLF, local timestamps
``MM/DD/YYYY HH:MM:SS.mmm``, values printed with C ``%.20g``, ``" "`` for a missing value, a blank
first row for rate counters) and a JSON-serialisable ``truth`` dict. Everything is a function of
the scenario; all randomness comes from ``numpy.random.default_rng(scenario.seed)``.
:data:`SEEDS` holds the scenarios of the comparison the kit is built around.

Model (all on a 1 ms grid, so every perfmon rate is the exact average over its sample interval)
------------------------------------------------------------------------------------------------
* Counter semantics: the value of a rate counter at sample k is (amount in (t[k-1], t[k]]) /
  (t[k] - t[k-1]); gauges are the state at t[k]. A rate is blank (``" "``) unless its instance
  existed at both t[k-1] and t[k]; a gauge is blank unless the instance existed at t[k].
* NIC capacity: each migration NIC has a per-ms payload capacity of ``link_efficiency`` x the §6
  TCP payload ceiling of its link and MTU, with small Gaussian noise and saw-tooth ("jig-saw")
  dips, never above 98.5 % of the ceiling (the same series in both directions; the two directions
  do not compete).
* Connections: SMB (Multichannel or Direct) uses every migration NIC with ``connections_per_nic``
  connections each (4 per RSS NIC, 2 per RDMA NIC), and every SMB migration in one direction uses
  the same connections (one connection group per direction). TCP/IP and Compression use one TCP
  connection per migration on the first migration NIC (one group per migration).
* Core limit: a connection's wire throughput cannot exceed what its one core can process:
  ``0.97 x min(rx_mb_s_per_core, tx_mb_s_per_core)`` [MB/s] (the receive core is the one that
  binds with the defaults); an SMB group's limit on a NIC is connections x that (SMB balances its
  channels); SMB Direct offloads the data path and has no core limit.
* Sharing: at every ms the connection groups transferring in the same direction split each NIC's
  capacity equally (max-min fair: each group gets min(capacity / groups, its core limit)); a
  group's rate is split equally among its migrations that are in a pass at that ms.
* Passes (per migration): pass 1 copies all VM memory; pass p+1 copies the pages dirtied during
  pass p (``dirty_rate_mb_s`` x pass duration, whole 4 KiB pages, at most all memory). Pre-copy
  stops when the next dirty set would take <= ``stop_copy_s`` at the rate just achieved, or when
  the next pass would be pass ``max_passes``. The final pass (dirty pages + ``device_state_mib``)
  runs with the VM paused: the blackout starts with it and lasts exactly ``blackout_s``. Passes
  follow each other after a 20 ms gap. The migration instance exists from ``setup_s`` before pass
  1 until ``teardown_s`` after the blackout; it appears ``start_s`` + a random 0..interval phase
  after the capture origin.
* Wire bytes: ``Network Interface`` byte counters include the 14-byte Ethernet header, so wire
  bytes = payload x (MTU + 14) / (MTU - 40); packets = payload / (MTU - 40); the receiver answers
  every second data segment with a 54-byte ACK. With ``smb-direct`` the same wire bytes appear under
  ``RDMA Activity`` instead and the Network Interface counters show only background traffic.
* CPU: per-LP background load; on the receiving host each connection's share of its NIC's
  received migration bytes becomes % DPC Time (85 %) + % Interrupt Time (15 %) on one receive LP
  (100 % at ``rx_mb_s_per_core``, shown at most 99 %); the sender does the lighter send work on its
  own LPs. All connections of a host (both directions) sit on distinct LPs. Root VP n = LP n (no
  minroot); Hyper-V LP run time = root VP + guest load. ``0,_Total`` / ``_Total`` are the mean over
  LPs of % counters and the sum of DPCs Queued/sec (as in the real capture in shared/realdata).
  ``Per Processor Network Interface Card Activity(<lp>, <NIC instance>)``: ``Received Packets/sec``
  = data packets (receiver) or ACKs (sender) of the connections on that LP + the NIC's background
  packets spread evenly over the LPs; ``DPCs Queued/sec`` = the connection DPCs that
  ``Processor Information`` counts on that LP + background packets / 4.
* Both hosts sample on their own phase (same clock unless ``clock_offset_s`` != 0).
* What was logged: ``log_live_migration_counters`` (the ``Hyper-V VM Live Migration`` object),
  ``cpu_object`` (``Processor Information`` with instances ``0,N``, ``0,_Total``, ``_Total``, or
  ``Processor`` with ``N``, ``_Total``), ``hyperv_cpu_counters`` (``Hyper-V Hypervisor Logical
  Processor`` and ``… Root Virtual Processor``), ``per_processor_nic_counters``. Switching one off
  drops columns and never changes the values of the others.

Truth schema (``truth.json``; times are UTC ISO 8601 with milliseconds and ``Z``)
--------------------------------------------------------------------------------
``schema_version`` (int, 2); ``scenario`` (every :class:`Scenario` field, ``nics`` and
``migrations`` as lists of dicts, ``start_local`` as ISO local time without zone); ``labels``
{``transport``, ``mtu`` and ``link_gbps`` [Gbit/s] of the first wire NIC, ``mtus`` (every wire
NIC's MTU, once each, in NIC order), ``nic_count`` (NICs
carrying the migrations), ``power_plan``, ``migrations`` (count), ``max_concurrent`` (most
migrations transferring at once), ``live_migration_counters`` (bool: the object was logged)}: what
a comparison of runs groups by; ``hosts`` {``source``, ``destination``: host name};
``interval_s``; ``timezone`` {``name``, ``bias_minutes``}; ``clock_offset_s`` {host: seconds the
host clock is ahead of the source clock}; ``files`` {host: CSV file name}; ``columns`` {host:
number of counter columns, timestamp column excluded}; ``rows`` {host: number of data rows, header
excluded}; ``first_sample_utc`` / ``last_sample_utc`` {host: first / last timestamp of its file,
i.e. on that host's clock}; all other times are on the source clock; ``nic_instances`` {raw
description: escaped perf instance}; ``nics`` {instance: {``description``, ``role``,
``link_gbps``, ``mtu``, ``rdma_capable``, ``payload_ceiling_bytes_s``, ``l2_ceiling_bytes_s``}};
``nic_totals`` {host: {instance: {``bytes_sent``, ``bytes_received``, ``packets_sent``,
``packets_received``}}} = Σ_{k>=1} value_k · (t[k] - t[k-1]) of the matching ``Network
Interface`` counter over the whole file [bytes, packets]; ``migrations``: list in the order of
``Scenario.schedule`` of {``index`` (position in the list), ``vm``, ``direction`` (``forward``:
scenario source → destination, ``back``: the reverse), ``source`` / ``destination`` (sending /
receiving host of this migration), ``transport``, ``lm_instance``, ``vnic_instance``,
``start_utc`` / ``end_utc`` (migration instance appears / disappears), ``duration_s``,
``transfer_start_utc`` / ``transfer_end_utc`` (first / last byte), ``concurrent_with`` (indices
of the migrations whose transfer overlaps this one's), ``memory_bytes`` (Σ pass payload [bytes]),
``bytes_total`` (wire bytes the source sent for this migration over the migration NICs [bytes]),
``bytes_per_nic`` {instance: wire bytes sent by the source [bytes]}, ``wire_object`` (``"Network
Interface"`` or ``"RDMA Activity"``: where those bytes are counted), ``connections_per_nic``,
``passes`` [{``number``, ``start_utc``, ``end_utc``, ``duration_s``, ``bytes`` (payload
[bytes]), ``wire_bytes`` [bytes], ``dirty_pages`` (4 KiB pages the pass copies; pass 1 = every
page), ``blackout`` (bool)}], ``blackout_s``, ``blackout_start_utc``, ``blackout_end_utc``,
``expected_receive_cores`` (receive cores by the rule of domain §4.2/§5.4: 4 per RSS NIC for SMB,
2 per RDMA NIC for SMB Direct, 1 per TCP flow for TCP/IP and Compression [count]),
``busy_receive_cores`` {host: sorted LP indices the model loads with this migration's receive
DPC work; empty for SMB Direct; concurrent SMB migrations in one direction list the same LPs},
``receive_cores_per_nic`` {instance: receiving-host LPs}, ``busy_send_cores`` {host: sorted LPs},
``core_limit_wire_bytes_s`` (the most its connections' cores carry over all its NICs, shared by
the migrations of an SMB group; null for SMB Direct [bytes/s]), ``core_bound`` (bool: for more
than half of its transfer time the core limit, not the NIC, set its rate), ``plateau_wire_bytes_s``
(median wire rate over the core-bound ms when ``core_bound``, else null [bytes/s])}.

Instance names: ``Network Interface`` escapes the adapter description, ``RDMA Activity`` and ``Per
Processor Network Interface Card Activity`` keep it (``… #2``, ``Intel(R) …``), as Windows does.
Live-migration rates: the source's ``Memory Walker: Bytes Read/sec``, ``Uncompressed Bytes
Sent/sec`` (or, with compression, ``Bytes Sent for Compression/sec`` and ``Compressor: Compressed
Bytes Sent/sec``) and its transport's ``Bytes Sent/sec``; the destination's ``Receiver: Bytes
Written/sec`` (with compression also ``Compressed Bytes Received/sec`` and ``Decompressed
Bytes/sec``) and ``Receiver: Bytes Pending Write`` (0: a receiver that keeps up).
Counter gauges on the migration instance: ``Transfer Pass: Number`` is the current pass (0 during
setup, the last pass after it ends); ``Transfer pass: Dirty Page Count`` is the page count of the
current pass; ``SMB Transport: Bytes Sent`` counts since the instance appeared. On the receiving
host the instance exists for the same time but only ``Receiver: Bytes Written/sec`` is non-zero.
A VM migrated twice (back and forth) has one instance per host that exists in both windows.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from kit.errors import OptionError
from kit.identity import escape_instance
from kit.io.perfmon.names import translation_table
from kit.limits import ETHERNET_HEADER_BYTES, IP_TCP_HEADER_BYTES, l2_ceiling_bytes_s, payload_ceiling_bytes_s

Transport = Literal["tcp", "compression", "smb", "smb-direct"]
TRANSPORTS: tuple[str, ...] = ("tcp", "compression", "smb", "smb-direct")
Direction = Literal["forward", "back"]
DIRECTIONS: tuple[str, ...] = ("forward", "back")
CpuObject = Literal["Processor Information", "Processor"]
CPU_OBJECTS: tuple[str, ...] = ("Processor Information", "Processor")

PAGE_BYTES = 4096
"""Hyper-V memory page. [bytes]"""
ACK_FRAME_BYTES = 54
"""A bare TCP ACK as counted by Network Interface (14 + 20 + 20). [bytes]"""
CORE_NETWORK_SHARE = 0.97
"""Share of one core a connection's network processing can use; the rest is other work. [1]"""

_MAX_CEILING_SHARE = 0.985  # highest per-ms share of the payload ceiling a NIC reaches
_DIP_FLOOR = 0.5  # lowest capacity factor in a dip (also the horizon bound)
_SEGMENT_MS = 50  # granularity of throughput noise [ms]
_BACKGROUND_SEGMENT_MS = 100  # granularity of background traffic [ms]
_BACKGROUND_PACKET_BYTES = 400.0  # mean size of background packets [bytes]
_PASS_GAP_MS = 20  # dirty-bitmap scan between passes [ms]
_PACKETS_PER_DPC = 4.0  # receive interrupt moderation
_MAX_CONNECTION_LOAD_PCT = 99.0  # highest DPC + ISR load one connection shows on its core [%]
_HOST_CPU_MB_S_PER_CORE = 2500.0  # memory walker / receiver copy cost [MB/s per core]
_COMPRESS_MB_S_PER_CORE = 600.0  # compression cost [MB/s per core]
_GUEST_LOAD_PCT = {"source": 15.0, "destination": 10.0}  # other VMs per LP [%]
_FREE_MEMORY_SHARE = {"source": 0.40, "destination": 0.55}  # host memory available [1]
_ROLES = {"forward": ("source", "destination"), "back": ("destination", "source")}  # sender, receiver
_LIVE_MIGRATION = "Hyper-V VM Live Migration"
_PER_PROCESSOR_NIC = "Per Processor Network Interface Card Activity"


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
        return payload_ceiling_bytes_s(self.link_gbps * 1e9, self.mtu)

    @property
    def l2_ceiling_bytes_s(self) -> float:
        """L2 (without FCS) ceiling of this link and MTU. [bytes/s]"""
        return l2_ceiling_bytes_s(self.link_gbps * 1e9, self.mtu)


DEFAULT_NICS: tuple[Nic, ...] = (
    Nic("Mellanox ConnectX-4 Lx Ethernet Adapter", 10.0, 9000, True, "migration"),
    Nic("Mellanox ConnectX-4 Lx Ethernet Adapter #2", 10.0, 9000, True, "migration"),
    Nic("Intel(R) I350 Gigabit Network Connection", 1.0, 1500, False, "management", 150_000.0, 60_000.0),
)


@dataclass(frozen=True)
class Migration:
    """One live migration of one VM in a capture.

    Attributes:
        vm_name: VM name as Hyper-V shows it. [text]
        vm_memory_gib: VM memory (startup RAM). [GiB]
        dirty_rate_mb_s: Rate at which the guest dirties memory. [MB/s]
        blackout_s: Time the VM is paused (final pass + switchover). [s]
        direction: ``"forward"`` (``Scenario.source_host`` → ``destination_host``) or ``"back"``.
        start_s: Capture origin → the migration instance appears (plus a random phase within one
            sample interval). [s]
    """

    vm_name: str = "SQL-VM01"
    vm_memory_gib: float = 16.0
    dirty_rate_mb_s: float = 300.0
    blackout_s: float = 0.6
    direction: Direction = "forward"
    start_s: float = 30.0

    @property
    def memory_bytes(self) -> int:
        """VM memory rounded down to whole pages. [bytes]"""
        return int(self.vm_memory_gib * 2**30) // PAGE_BYTES * PAGE_BYTES

    @property
    def lm_instance(self) -> str:
        """Instance of ``Hyper-V VM Live Migration``. [text]"""
        return f"{self.vm_name}:VM Live Migration"


def drain(
    memory_gib: Sequence[float],
    *,
    start_s: float,
    every_s: float,
    at_a_time: int = 1,
    dirty_rate_mb_s: float = 200.0,
    blackout_s: float = 0.6,
    prefix: str = "VM",
) -> tuple[Migration, ...]:
    """Forward migrations that empty the source host, ``at_a_time`` starting together.

    VM k (named ``f"{prefix}{k + 1:02d}"``, memory ``memory_gib[k]`` [GiB]) starts at
    ``start_s + (k // at_a_time) * every_s`` [s]; choose ``every_s`` longer than a batch takes.
    """
    return tuple(
        Migration(f"{prefix}{k + 1:02d}", gib, dirty_rate_mb_s, blackout_s, "forward", start_s + batch * every_s)
        for k, gib in enumerate(memory_gib)
        for batch in (k // at_a_time,)
    )


@dataclass(frozen=True)
class SideInputs:
    """What :func:`generate` also writes beside the perfmon CSVs: events, topology and pings.

    Attributes:
        events: The ``Microsoft-Windows-Hyper-V-VMMS-Admin`` event 20415 of every migration, on
            its source host, as ``wevtutil qe /f:xml`` text and as ``Get-WinEvent | Export-Csv``
            (PowerShell 7, English message, local ``M/d/yyyy h:mm:ss tt`` times). [bool]
        topology: Per host ``ConvertTo-Json`` of Get-NetAdapter, Get-NetAdapterRdma,
            Get-NetAdapterRss, Get-VMHost and Get-VMMigrationNetwork, and on the source host
            (the SMB client) Get-SmbMultichannelConnection -IncludeNotSelected. [bool]
        pings: A client pinging the first VM all through the capture: Linux ``ping -D -O`` at
            ``linux_ping_interval_s`` and Windows ``ping -t`` time-stamped with Get-Date. [bool]
        lm_networks: Descriptions of the NICs whose subnets are the hosts' live-migration
            networks (Get-VMMigrationNetwork); None = every migration NIC. SMB Multichannel
            still uses every migration NIC: the others are the "unexpected" ones. [text]
        network_relearn_s: Time the VM stays unreachable after it resumes (ARP / MAC re-learn):
            pings are lost from the blackout start until this long after its end. [s]
        linux_ping_interval_s: Probe interval of the Linux ping (``-i``). [s]
        ping_address: IP address of the pinged VM. [text]
    """

    events: bool = True
    topology: bool = True
    pings: bool = True
    lm_networks: tuple[str, ...] | None = None
    network_relearn_s: float = 0.15
    linux_ping_interval_s: float = 0.2
    ping_address: str = "10.20.0.15"


@dataclass(frozen=True)
class Scenario:
    """Two hosts, their NICs, what was logged on them, and the live migrations between them.

    Attributes:
        name: Folder name of the test. [text]
        seed: Seed of ``numpy.random.default_rng``. [int]
        vm_name: VM name of the single default migration (when ``migrations`` is empty). [text]
        vm_memory_gib: VM memory of the default migration. [GiB]
        vm_vcpus: Virtual processors of every VM. [count]
        vm_cpu_percent: Guest CPU load of every VM while running. [% of its vCPUs]
        vm_traffic_mb_s: Mean network traffic of each VM's own vNIC. [MB/s]
        nics: NICs of each host (same set on both). [Nic]
        transport: Live-migration performance option: tcp, compression, smb, smb-direct. [text]
        blackout_s: Blackout of the default migration. [s]
        dirty_rate_mb_s: Dirty rate of the default migration. [MB/s]
        source_host: Host the forward migrations leave (first CSV). [text]
        destination_host: Host the forward migrations go to (second CSV). [text]
        logical_processors: Logical processors per host, all in NUMA node 0. [count]
        host_memory_gib: Physical memory per host. [GiB]
        interval_s: Perfmon sample interval. [s]
        idle_before_s: Start of the default migration after the capture origin. [s]
        idle_after_s: Capture time after the last migration ends. [s]
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
        receive_cores: Receive LPs on ``destination_host`` per connection, one tuple per wire NIC,
            for the one connection group received there; None = drawn with the rng. [LP index]
        rx_mb_s_per_core: Received wire throughput that keeps one LP 100 % busy in DPC + ISR
            (lower on a power-saver plan, higher with jumbo frames). [MB/s]
        tx_mb_s_per_core: Sent wire throughput that keeps one LP 100 % busy in DPC + ISR. [MB/s]
        jitter_ms: Largest lateness of a sample against its interval grid. [ms]
        migrations: The migrations of the capture; empty = one forward migration described by
            ``vm_name``, ``vm_memory_gib``, ``dirty_rate_mb_s``, ``blackout_s``, ``idle_before_s``.
        log_live_migration_counters: Whether ``Hyper-V VM Live Migration`` was logged. [bool]
        cpu_object: ``"Processor Information"`` or ``"Processor"``: the per-LP CPU object logged.
        hyperv_cpu_counters: Whether the Hyper-V Hypervisor Logical / Root Virtual Processor
            objects were logged. [bool]
        per_processor_nic_counters: Whether ``Per Processor Network Interface Card Activity`` was
            logged. [bool]
        power_plan: Power plan of both hosts, a label only (set ``rx_mb_s_per_core`` for its
            effect). [text]
        description: What the test is, for people comparing runs. [text]
        side_inputs: Also write events, topology exports and ping logs (:class:`SideInputs`);
            None = only the perfmon CSVs and ``truth.json``.
        lm_counter_hosts: Host roles (``"source"``, ``"destination"``: the scenario's two hosts)
            that logged ``Hyper-V VM Live Migration`` when ``log_live_migration_counters``.
        nic_drop: ``(wire NIC index, seconds after the first transfer starts)``: that NIC's link
            goes down for good then (a link drop, a pulled cable); the others carry on. [s]
        destination_tz: ``(zone name, bias minutes)`` of the destination host when it is set to
            another time zone than the source (its header and local times follow it).
        language: ``"en"`` or ``"de"``: object and counter names as a Windows of that language
            writes them (names only from ``kit/io/perfmon/counter_names.tsv``; the rest stay English).
        encoding: ``"utf-8"``, ``"cp1252"`` or ``"utf-16"`` (with a BOM, as PowerShell 5.1 writes).
        pause: ``(start, duration)`` after the capture origin during which the collectors took no
            sample (both hosts). [s]
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
    migrations: tuple[Migration, ...] = ()
    log_live_migration_counters: bool = True
    cpu_object: CpuObject = "Processor Information"
    hyperv_cpu_counters: bool = True
    per_processor_nic_counters: bool = False
    power_plan: str = "Balanced"
    description: str = ""
    side_inputs: SideInputs | None = None
    lm_counter_hosts: tuple[str, ...] = ("source", "destination")
    nic_drop: tuple[int, float] | None = None
    destination_tz: tuple[str, int] | None = None
    language: str = "en"
    encoding: str = "utf-8"
    pause: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        problems = self._problems()
        if problems:
            raise OptionError(f"scenario {self.name!r}: " + "; ".join(problems))

    def _problems(self) -> list[str]:
        interval_ms = self.interval_s * 1000 + self.jitter_ms
        wire = self.wire_nics
        instances = [nic.instance for nic in self.nics]
        plan = self.schedule
        checks = {
            f"transport must be one of {TRANSPORTS}": self.transport in TRANSPORTS,
            f"cpu_object must be one of {CPU_OBJECTS}": self.cpu_object in CPU_OBJECTS,
            "needs at least one NIC with role 'migration'": bool(wire),
            "source_host and destination_host must differ": self.source_host != self.destination_host,
            "NIC descriptions must give distinct perf instances": len(set(instances)) == len(instances),
            "smb-direct needs RDMA-capable migration NICs": self.transport != "smb-direct"
            or all(nic.rdma_capable for nic in wire),
            "setup_s and teardown_s must exceed interval_s + jitter": min(self.setup_s, self.teardown_s) * 1000
            > interval_ms,
            "more connections on a host than logical processors": self._connections_fit(),
            "0 < link_efficiency <= 0.985": 0 < self.link_efficiency <= _MAX_CEILING_SHARE,
            "vm_memory_gib, interval_s, blackout_s must be > 0": min(
                self.interval_s, *(value for m in plan for value in (m.vm_memory_gib, m.blackout_s))
            )
            > 0,
            f"migration directions must be in {DIRECTIONS} and start_s >= 0": all(
                m.direction in DIRECTIONS and m.start_s >= 0 for m in plan
            ),
            "a VM's successive migrations must alternate direction": self._directions_alternate(),
            "max_passes must be >= 2": self.max_passes >= 2,
            "compression_ratio must be >= 1": self.compression_ratio >= 1,
            "receive_cores must give connections_per_nic distinct LPs per wire NIC": self._receive_cores_ok(),
            "side_inputs.lm_networks must name migration NICs": self._lm_networks_ok(),
            "nic_drop must name a wire NIC of several": self.nic_drop is None
            or (len(self.wire_nics) > 1 and 0 <= self.nic_drop[0] < len(self.wire_nics) and self.nic_drop[1] > 0),
            "language must be en or de": self.language in ("en", "de"),
            "encoding must be utf-8, cp1252 or utf-16": self.encoding in ("utf-8", "cp1252", "utf-16"),
            "lm_counter_hosts must be source and/or destination": set(self.lm_counter_hosts) <= {"source", "destination"},
        }
        return [text for text, ok in checks.items() if not ok]

    def _groups(self) -> tuple[_Group, ...]:
        valid = self.transport in TRANSPORTS and all(m.direction in DIRECTIONS for m in self.schedule)
        return _connection_groups(self) if valid else ()

    def _receive_cores_ok(self) -> bool:
        if self.receive_cores is None:
            return True
        flat = [lp for cores in self.receive_cores for lp in cores]
        into_destination = [g for g in self._groups() if g.receiver == "destination"]
        return (
            len(into_destination) == 1
            and len(self.receive_cores) == len(self.wire_nics)
            and all(len(cores) == self.connections_per_nic for cores in self.receive_cores)
            and len(set(flat)) == len(flat)
            and all(0 <= lp < self.logical_processors for lp in flat)
        )

    def _lm_networks_ok(self) -> bool:
        chosen = None if self.side_inputs is None else self.side_inputs.lm_networks
        migration = {nic.description for nic in self.nics if nic.role == "migration"}
        return chosen is None or (bool(chosen) and set(chosen) <= migration)

    def _connections_fit(self) -> bool:
        groups = self._groups()
        per_group = len(self.wire_nics) * self.connections_per_nic
        return all(
            per_group * sum(role in (g.sender, g.receiver) for g in groups) <= self.logical_processors
            for role in ("source", "destination")
        )

    def _directions_alternate(self) -> bool:
        by_vm: dict[str, list[Migration]] = {}
        for m in sorted(self.schedule, key=lambda m: m.start_s):
            by_vm.setdefault(m.vm_name, []).append(m)
        return all(a.direction != b.direction for ms in by_vm.values() for a, b in zip(ms, ms[1:]))

    @property
    def schedule(self) -> tuple[Migration, ...]:
        """The migrations of the capture: ``migrations``, or the single default one."""
        if self.migrations:
            return self.migrations
        default = Migration(
            self.vm_name, self.vm_memory_gib, self.dirty_rate_mb_s, self.blackout_s, "forward", self.idle_before_s
        )
        return (default,)

    @property
    def wire_nics(self) -> tuple[Nic, ...]:
        """NICs that carry the migrations: all migration NICs for SMB, else the first one."""
        migration = tuple(nic for nic in self.nics if nic.role == "migration")
        return migration if self.transport.startswith("smb") else migration[:1]

    @property
    def connections_per_nic(self) -> int:
        """Transport connections per wire NIC (SMB: 4 per RSS NIC, 2 per RDMA NIC; else 1). [count]"""
        return {"smb": 4, "smb-direct": 2}.get(self.transport, 1)

    @property
    def core_limit_bytes_s(self) -> float:
        """Wire throughput one connection's cores can carry (inf for SMB Direct). [bytes/s]"""
        if self.transport == "smb-direct":
            return math.inf
        return CORE_NETWORK_SHARE * min(self.rx_mb_s_per_core, self.tx_mb_s_per_core) * 1e6

    @property
    def memory_per_payload(self) -> float:
        """Memory bytes carried per payload byte on the wire (compression ratio or 1). [1]"""
        return self.compression_ratio if self.transport == "compression" else 1.0

    @property
    def vm_memory_bytes(self) -> int:
        """Memory of the default migration's VM rounded down to whole pages. [bytes]"""
        return Migration(vm_memory_gib=self.vm_memory_gib).memory_bytes

    @property
    def lm_instance(self) -> str:
        """Instance of ``Hyper-V VM Live Migration`` of the default migration. [text]"""
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
    side: dict[str, bytes] = field(default_factory=dict)
    """Side inputs (``Scenario.side_inputs``) by path relative to the test folder, exactly as
    written: ``events/…``, ``topology/<HOST>/…``, ``pings/…``. [bytes]"""

    def truth_json(self) -> str:
        """``truth`` as written to ``truth.json``: indent 2, sorted keys, final newline."""
        return json.dumps(self.truth, indent=2, sort_keys=True) + "\n"


def _rounded(value: Any) -> Any:
    """``value`` with every float rounded to 12 significant digits (containers walked): the last
    digits of a float sum differ between numpy versions, and the committed truth must not."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value


@dataclass(frozen=True)
class _Group:
    """Transport connections some migrations share (SMB: one per direction; TCP: one per migration)."""

    sender: str  # host role
    receiver: str
    members: tuple[int, ...]  # indices into Scenario.schedule


@dataclass(frozen=True)
class _Pass:
    number: int
    start_ms: float  # first byte
    end_ms: float  # last byte (fractional)
    payload: int  # memory bytes [bytes]
    pages: int  # pages of the pass [count]


@dataclass(frozen=True)
class _MigrationTimeline:
    """One migration on the capture's 1 ms grid (ticks and ms count from the capture origin)."""

    index: int
    spec: Migration
    group: int
    sender: str  # host role
    receiver: str
    lm_start: int
    blackout_start: int
    blackout_end: int
    lm_end: int
    passes: tuple[_Pass, ...]
    payload: np.ndarray  # (scenario NIC, tick) payload on the wire [bytes/ms]
    memory: np.ndarray  # (tick,) memory bytes moved [bytes/ms]
    core_bound: bool
    plateau_wire_bytes_s: float | None


@dataclass(frozen=True)
class _Stay:
    """A VM on one host: instance present in [appear, vanish), running in [run_from, run_until) [ms]."""

    vm: str
    role: str
    appear: float
    vanish: float
    run_from: float
    run_until: float


@dataclass(frozen=True)
class _Timeline:
    ticks: int  # length of the 1 ms grid
    times: dict[str, np.ndarray]  # role -> sample times on the source clock [ms]
    migrations: tuple[_MigrationTimeline, ...]
    groups: tuple[_Group, ...]
    stays: tuple[_Stay, ...]
    vm_traffic: dict[str, np.ndarray]  # VM -> vNIC traffic while running [bytes/ms]
    vnic_instances: dict[str, str]  # VM -> Hyper-V Virtual Network Adapter instance


@dataclass(frozen=True)
class _Cores:
    """Per connection group: receiving-host LPs and sending-host LPs per wire NIC, and shares."""

    rx: list[list[list[int]]]
    tx: list[list[list[int]]]
    weights: np.ndarray  # (group, wire NIC, connection) share of the group's NIC traffic [1]


@dataclass(frozen=True)
class _Connection:
    """One migration connection as one host sees it."""

    nic: Nic
    lp: int
    share: float  # of its group's traffic on the NIC [1]
    rate: np.ndarray  # the group's migration wire bytes on the NIC per interval, NaN first [bytes/s]
    receiving: bool  # this host receives the data (else it sends it)
    per_core_mb_s: float  # wire rate that keeps the LP 100 % busy [MB/s]


@dataclass(frozen=True)
class _Col:
    object: str
    instance: str | None
    counter: str
    values: np.ndarray  # NaN = blank

    def path(self, host: str, names: dict[str, str] | None = None) -> str:
        names = names or {}
        name = names.get(self.object, self.object)
        where = name if self.instance is None else f"{name}({self.instance})"
        return f"\\\\{host}\\{where}\\{names.get(self.counter, self.counter)}"


@dataclass(frozen=True)
class _NicSeries:
    """Per-interval Network Interface quantities of one NIC on one host [bytes, packets]."""

    sent: np.ndarray
    received: np.ndarray
    packets_sent: np.ndarray
    packets_received: np.ndarray
    wire_sent: np.ndarray  # migration wire bytes this host sent (on whichever object counts them)
    wire_received: np.ndarray  # migration wire bytes this host received
    background_packets_received: np.ndarray


# ---------------------------------------------------------------------------------------------
# Public entry points


def generate(scenario: Scenario) -> GeneratedTest:
    """Generate both hosts' CSVs and the truth of ``scenario`` (deterministic in its seed)."""
    rng = np.random.default_rng(scenario.seed)
    timeline = _timeline(scenario, rng)
    cores = _pick_cores(scenario, timeline.groups, rng)
    csv: dict[str, bytes] = {}
    totals: dict[str, dict[str, dict[str, float]]] = {}
    for role, host in (("source", scenario.source_host), ("destination", scenario.destination_host)):
        columns, nic_series = _host_columns(scenario, timeline, role, cores, rng)
        written = timeline.times[role] + _offset_ms(scenario, role)
        csv[host] = _render_csv(scenario, host, role, written, columns)
        totals[host] = {nic.instance: _nic_totals(series) for nic, series in zip(scenario.nics, nic_series)}
    truth = _truth(scenario, timeline, csv, totals, cores)
    side: dict[str, bytes] = {}
    if scenario.side_inputs is not None:  # own rng: the perfmon CSVs stay as they are without it
        side, truth["side_inputs"] = _side_inputs(scenario, timeline, truth, np.random.default_rng([scenario.seed, 4]))
    return GeneratedTest(scenario, csv, _rounded(truth), side)


def write(scenario: Scenario, directory: str | Path) -> list[Path]:
    """Write ``<directory>/<name>/<HOST>.csv`` per host, the side inputs (if any) and
    ``truth.json``; return the paths."""
    test = generate(scenario)
    folder = Path(directory) / scenario.name
    paths = []
    for name, data in [*((f"{host}.csv", data) for host, data in test.csv.items()), *test.side.items()]:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        paths.append(path)
    truth_path = folder / "truth.json"
    truth_path.write_text(test.truth_json(), encoding="utf-8", newline="\n")
    return [*paths, truth_path]


# ---------------------------------------------------------------------------------------------
# Migration schedule on the 1 ms grid


def _connection_groups(sc: Scenario) -> tuple[_Group, ...]:
    """SMB: one group per direction (shared connections); TCP/IP, Compression: one per migration."""
    plan = sc.schedule
    keys: list[object] = [m.direction for m in plan] if sc.transport.startswith("smb") else list(range(len(plan)))
    groups = []
    for key in dict.fromkeys(keys):
        members = tuple(i for i, k in enumerate(keys) if k == key)
        groups.append(_Group(*_ROLES[plan[members[0]].direction], members))
    return tuple(groups)


def _core_limits(sc: Scenario) -> np.ndarray:
    """What one connection group's cores let through per wire NIC. [memory bytes/ms]"""
    per_ms = sc.connections_per_nic * sc.core_limit_bytes_s / 1000
    return np.array([per_ms * nic.segment_bytes / nic.frame_bytes * sc.memory_per_payload for nic in sc.wire_nics])


def _wire_per_memory(sc: Scenario) -> np.ndarray:
    """Wire bytes per memory byte on each wire NIC. [1]"""
    return np.array([nic.frame_bytes / nic.segment_bytes / sc.memory_per_payload for nic in sc.wire_nics])


@dataclass
class _Run:
    """Scheduling state of one migration; ticks count from the capacity origin."""

    spec: Migration
    group: int
    sender: str
    origin: int  # first tick of pass 1
    rates: np.ndarray  # (wire NIC, horizon) memory it moves per tick while in a pass [bytes/ms]
    bound: np.ndarray  # (horizon,) the core limit, not the NIC, sets that rate [bool]
    moved: np.ndarray  # (horizon,) memory bytes moved [bytes/ms]
    passes: list[_Pass] = field(default_factory=list)
    next_start: int | None = None  # tick the next pass starts; None while in a pass or when done
    start: int = 0  # tick the running pass started
    target: float | None = None  # Σ rate since origin at which the running pass ends [bytes]
    in_pass: bool = False
    size: int = 0  # memory bytes of the running / next pass [bytes]
    pages: int = 0  # pages of the running / next pass [count]
    final: bool = False

    @property
    def done(self) -> bool:
        return self.next_start is None and not self.in_pass

    def grow(self, extra: int) -> None:
        """Extend the per-tick arrays by ``extra`` ticks."""
        self.rates = np.pad(self.rates, ((0, 0), (0, extra)))
        self.bound = np.pad(self.bound, (0, extra))
        self.moved = np.pad(self.moved, (0, extra))


def _timeline(sc: Scenario, rng: np.random.Generator) -> _Timeline:
    interval = round(sc.interval_s * 1000)
    plan = sc.schedule
    groups = _connection_groups(sc)
    setup = round(sc.setup_s * 1000)
    planned = [round(m.start_s * 1000) + setup for m in plan]
    spread = max(planned) - min(planned) + (interval if len(plan) > 1 else 0)  # phases differ by < interval
    capacity = _capacity(sc, rng, spread + max(_horizon_ms(sc, m) for m in plan))
    lm_starts = [round(m.start_s * 1000) + int(rng.integers(0, interval)) for m in plan]
    origin = min(lm_starts) + setup
    group_of = {i: g for g, group in enumerate(groups) for i in group.members}
    runs = [
        _new_run(sc, m, group_of[i], lm_start + setup - origin, capacity.shape[1])
        for i, (m, lm_start) in enumerate(zip(plan, lm_starts))
    ]
    capacity = _schedule(sc, runs, capacity, rng)
    windows = []
    for run, lm_start in zip(runs, lm_starts):
        final_ms = run.passes[-1].end_ms - run.passes[-1].start_ms
        if final_ms >= run.spec.blackout_s * 1000:
            raise OptionError(
                f"scenario {sc.name!r}: the final pass of {run.spec.vm_name} needs {final_ms:.0f} ms, more than "
                "blackout_s (raise blackout_s or lower dirty_rate_mb_s)"
            )
        blackout_start = lm_start + setup + int(run.passes[-1].start_ms)
        blackout_end = blackout_start + round(run.spec.blackout_s * 1000)
        windows.append((lm_start, blackout_start, blackout_end, blackout_end + round(sc.teardown_s * 1000)))
    _check_vm_windows(sc, plan, windows)
    rows = math.ceil((max(w[3] for w in windows) + round(sc.idle_after_s * 1000)) / interval) + 1
    times = {
        "source": _sample_times(rng, rows, interval, 0, sc.jitter_ms),
        "destination": _sample_times(rng, rows, interval, int(rng.integers(0, interval)), sc.jitter_ms),
    }
    if sc.pause is not None:  # the collectors took no sample then
        first, last = sc.pause[0] * 1000, (sc.pause[0] + sc.pause[1]) * 1000
        times = {role: t[(t < first) | (t >= last)] for role, t in times.items()}
    ticks = int(max(t[-1] for t in times.values())) + 1
    migrations = tuple(
        _migration_timeline(sc, i, run, window, ticks) for i, (run, window) in enumerate(zip(runs, windows))
    )
    vms = list(dict.fromkeys(m.vm_name for m in plan))
    traffic, vnics = {}, {}
    for vm in vms:
        traffic[vm] = _segments(rng, ticks, sc.vm_traffic_mb_s * 1e6, _BACKGROUND_SEGMENT_MS)
        vnics[vm] = _vnic_instance(vm, rng)
    return _Timeline(ticks, times, migrations, groups, _stays(migrations, vms), traffic, vnics)


def _new_run(sc: Scenario, migration: Migration, group: int, origin: int, horizon: int) -> _Run:
    """A migration waiting to start pass 1 (every page) at tick ``origin``."""
    pages = migration.memory_bytes // PAGE_BYTES
    return _Run(
        spec=migration,
        group=group,
        sender=_ROLES[migration.direction][0],
        origin=origin,
        rates=np.zeros((len(sc.wire_nics), horizon)),
        bound=np.zeros(horizon, dtype=bool),
        moved=np.zeros(horizon),
        next_start=origin,
        size=pages * PAGE_BYTES,
        pages=pages,
    )


def _check_vm_windows(sc: Scenario, plan: tuple[Migration, ...], windows: list[tuple[int, int, int, int]]) -> None:
    """A VM's migrations must not overlap (one ends before the next starts)."""
    by_vm: dict[str, list[tuple[int, int, int, int]]] = {}
    for m, window in zip(plan, windows):
        by_vm.setdefault(m.vm_name, []).append(window)
    for vm, spans in by_vm.items():
        spans.sort()
        if any(later[0] < earlier[3] for earlier, later in zip(spans, spans[1:])):
            raise OptionError(f"scenario {sc.name!r}: migrations of {vm} overlap (space their start_s further)")


def _migration_timeline(
    sc: Scenario, index: int, run: _Run, window: tuple[int, int, int, int], ticks: int
) -> _MigrationTimeline:
    """Place a scheduled run on the capture grid: payload per NIC, memory, passes, core bound."""
    lm_start, blackout_start, blackout_end, lm_end = window
    transfer_start = lm_start + round(sc.setup_s * 1000)
    used = int(run.passes[-1].end_ms) + 1
    span = slice(run.origin, run.origin + used)
    rates, transfer = run.rates[:, span], run.moved[span]
    share = rates / rates.sum(axis=0)  # rates >= the dip floor / sharers > 0
    payload = np.zeros((len(sc.nics), ticks))
    wire_rows = [sc.nics.index(nic) for nic in sc.wire_nics]
    payload[wire_rows, transfer_start : transfer_start + used] = share * transfer / sc.memory_per_payload
    memory = np.zeros(ticks)
    memory[transfer_start : transfer_start + used] = transfer
    passes = tuple(
        _Pass(p.number, p.start_ms + transfer_start, p.end_ms + transfer_start, p.payload, p.pages)
        for p in run.passes
    )
    moving = transfer > 0
    core_bound = bool(run.bound[span][moving].mean() > 0.5)
    plateau = None
    if core_bound:
        wire_rate = _wire_per_memory(sc) @ rates * 1000
        plateau = float(np.median(wire_rate[moving & run.bound[span]]))
    sender, receiver = _ROLES[run.spec.direction]
    return _MigrationTimeline(
        index=index,
        spec=run.spec,
        group=run.group,
        sender=sender,
        receiver=receiver,
        lm_start=lm_start,
        blackout_start=blackout_start,
        blackout_end=blackout_end,
        lm_end=lm_end,
        passes=passes,
        payload=payload,
        memory=memory,
        core_bound=core_bound,
        plateau_wire_bytes_s=plateau,
    )


def _stays(migrations: tuple[_MigrationTimeline, ...], vms: list[str]) -> tuple[_Stay, ...]:
    """Where each VM is over the capture: on the first sender until its first blackout, and so on."""
    stays = []
    for vm in vms:
        own = sorted((m for m in migrations if m.spec.vm_name == vm), key=lambda m: m.lm_start)
        role, appear, run_from = own[0].sender, -math.inf, -math.inf
        for m in own:
            stays.append(_Stay(vm, role, appear, m.blackout_end, run_from, m.blackout_start))
            role, appear, run_from = m.receiver, m.blackout_end, m.blackout_end
        stays.append(_Stay(vm, role, appear, math.inf, run_from, math.inf))
    return tuple(stays)


def _horizon_ms(sc: Scenario, migration: Migration) -> int:
    """Upper bound of one migration's transfer time alone: every pass at the lowest rate. [ms]"""
    ceiling = sum(nic.payload_ceiling_bytes_s for nic in sc.wire_nics) / 1000
    floor = min(_DIP_FLOOR * sc.link_efficiency * sc.memory_per_payload * ceiling, float(_core_limits(sc).sum()))
    total, size = 0.0, float(migration.memory_bytes)
    for _ in range(sc.max_passes):
        duration = size / floor
        total += duration + _PASS_GAP_MS + 1
        dirtied = min(migration.memory_bytes, migration.dirty_rate_mb_s * 1e3 * duration)
        size = dirtied + sc.device_state_mib * 2**20
    return math.ceil(total) + 1


def _capacity(sc: Scenario, rng: np.random.Generator, horizon: int, *, start: int = 0) -> np.ndarray:
    """Memory bytes each wire NIC can move per ms, ticks ``start`` … ``start + horizon``: noise
    plus saw-tooth dips, and nothing on a NIC whose link dropped (``Scenario.nic_drop``). [bytes/ms]"""
    segments = -(-horizon // _SEGMENT_MS)
    n = len(sc.wire_nics)
    noise = 1 + 0.012 * rng.standard_normal((n, segments))
    dips = np.where(rng.random((n, segments)) < 0.03, rng.uniform(0.08, 0.30, (n, segments)), 0.0)
    ramp = np.array([1.0, 0.75, 0.5, 0.25])  # a dip recovers linearly over four segments
    sawtooth = np.stack([np.convolve(row, ramp)[:segments] for row in dips])
    ceiling = np.array([nic.payload_ceiling_bytes_s for nic in sc.wire_nics])[:, None] / 1000
    factor = np.clip(noise - sawtooth, _DIP_FLOOR, _MAX_CEILING_SHARE / sc.link_efficiency)
    per_segment = sc.link_efficiency * ceiling * factor * sc.memory_per_payload
    out = np.repeat(per_segment, _SEGMENT_MS, axis=1)[:, :horizon]
    if sc.nic_drop is not None:
        nic, at_s = sc.nic_drop
        out[nic, max(0, round(at_s * 1000) - start) :] = 0.0
    return out


def _schedule(sc: Scenario, runs: list[_Run], capacity: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Run every migration's passes on the shared NIC capacity; return the capacity (grown if needed).

    Event-driven: between two events (a pass starts or ends) the set of transferring migrations is
    fixed, so each one's per-tick rate is a vectorised min/divide of the capacity. A pass ends where
    the cumulative rate since the migration's first tick reaches the pass's target, as in a solo run.
    """
    limits = _core_limits(sc)[:, None]
    t = min(run.origin for run in runs)
    while not all(run.done for run in runs):
        for run in runs:
            if run.next_start == t:
                run.next_start, run.start, run.in_pass = None, t, True
        moving = [run for run in runs if run.in_pass]
        for run in runs:
            if run.origin <= t and not run.done:  # also in a pass gap: keeps the cumulative rate defined
                same_way = {r.group for r in moving if r.sender == run.sender} | {run.group}
                members = sum(r.group == run.group for r in moving) + (not run.in_pass)
                fair = capacity[:, t:] / len(same_way)
                run.rates[:, t:] = np.minimum(fair, limits) / members
                run.bound[t:] = (limits < fair).any(axis=0)
        ends = []  # (run, tick its pass would end in, Σ-over-NICs rate, cumulative rate since origin)
        for run in moving:
            total = run.rates[:, run.origin :].sum(axis=0)
            cumulative = np.concatenate([[0.0], np.cumsum(total)])
            if run.target is None:
                run.target = cumulative[run.start - run.origin] + run.size
            last = int(np.searchsorted(cumulative, run.target, side="left")) - 1 + run.origin
            ends.append((run, last, total, cumulative))
        if any(last >= capacity.shape[1] for _, last, _, _ in ends):
            extra = capacity.shape[1]
            capacity = np.concatenate([capacity, _capacity(sc, rng, extra, start=extra)], axis=1)
            for run in runs:
                run.grow(extra)
            continue
        waiting = [run.next_start for run in runs if run.next_start is not None]
        t_next = min([last + 1 for _, last, _, _ in ends] + waiting)
        for run, last, total, cumulative in ends:
            if last + 1 == t_next:
                _end_pass(sc, run, t, last, total, cumulative)
            else:
                run.moved[t:t_next] = total[t - run.origin : t_next - run.origin]
        t = t_next
    return capacity


def _end_pass(sc: Scenario, run: _Run, t: int, last: int, total: np.ndarray, cumulative: np.ndarray) -> None:
    """Finish ``run``'s pass in tick ``last`` and set up the next one (or end the migration)."""
    assert run.target is not None
    o = run.origin
    run.moved[t:last] = total[t - o : last - o]
    run.moved[last] = run.target - cumulative[last - o]
    start, end = run.start - o, last - o + run.moved[last] / total[last - o]
    run.passes.append(_Pass(len(run.passes) + 1, float(start), float(end), run.size, run.pages))
    run.in_pass, run.target = False, None
    if run.final:
        return
    duration_s = (end - start) / 1000
    dirty = int(run.spec.dirty_rate_mb_s * 1e6 * duration_s) // PAGE_BYTES
    pages = min(run.spec.memory_bytes // PAGE_BYTES, dirty)
    number = len(run.passes)
    run.final = number + 1 == sc.max_passes or pages * PAGE_BYTES * duration_s / run.size <= sc.stop_copy_s
    state = round(sc.device_state_mib * 2**20) if run.final else 0
    run.pages, run.size, run.next_start = pages, pages * PAGE_BYTES + state, last + 1 + _PASS_GAP_MS


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


def _pick_cores(sc: Scenario, groups: tuple[_Group, ...], rng: np.random.Generator) -> _Cores:
    """LPs of every connection (distinct per host) and each connection's share of its NIC's traffic."""
    shape = (len(sc.wire_nics), sc.connections_per_nic)
    rx: list[list[list[int]]] = [[] for _ in groups]
    tx: list[list[list[int]]] = [[] for _ in groups]
    for role in ("destination", "source"):
        receiving = [g for g, group in enumerate(groups) if group.receiver == role]
        sending = [g for g, group in enumerate(groups) if group.sender == role]
        drawn = rng.choice(sc.logical_processors, size=(len(receiving) + len(sending), *shape), replace=False)
        for g, lps in zip(receiving + sending, drawn.tolist()):
            (rx if g in receiving else tx)[g] = lps
    if sc.receive_cores is not None:
        [g] = [g for g, group in enumerate(groups) if group.receiver == "destination"]
        rx[g] = [list(c) for c in sc.receive_cores]
    weights = 1 + 0.15 * rng.uniform(-1, 1, (len(groups), *shape))
    weights /= weights.sum(axis=-1, keepdims=True)
    if sc.transport == "smb-direct":  # RDMA offloads the data path: no per-connection DPC work
        none: list[list[list[int]]] = [[[] for _ in sc.wire_nics] for _ in groups]  # never mutated
        return _Cores(none, none, weights)
    return _Cores(rx, tx, weights)


# ---------------------------------------------------------------------------------------------
# Counters of one host


def _host_columns(
    sc: Scenario, tl: _Timeline, role: str, cores: _Cores, rng: np.random.Generator
) -> tuple[list[_Col], list[_NicSeries]]:
    t = tl.times[role]
    seconds = np.concatenate([[np.nan], np.diff(t) / 1000])
    sent, received = np.zeros((len(sc.nics), tl.ticks)), np.zeros((len(sc.nics), tl.ticks))
    memory = np.zeros(tl.ticks)
    for m in tl.migrations:
        if m.sender == role:
            sent += m.payload
        else:
            received += m.payload
        memory += m.memory
    series = [_nic_series(sc, nic, sent[i], received[i], t, rng) for i, nic in enumerate(sc.nics)]
    columns = _network_columns(sc, series, seconds, rng)
    columns += _rdma_columns(sc, series, seconds)
    connections = _connections(sc, tl, role, cores, t, seconds)
    memory_rate = _interval_sums(memory, t) / seconds
    running = np.zeros(t.size)
    for stay in tl.stays:
        if stay.role == role:
            running = running + _overlap(t, stay.run_from, stay.run_until)
    columns += _cpu_columns(sc, role, connections, memory_rate, running, rng)
    if sc.per_processor_nic_counters:
        columns += _per_processor_nic_columns(sc, connections, series, seconds)
    if sc.log_live_migration_counters and role in sc.lm_counter_hosts:
        columns += _migration_columns(sc, tl, role, t, seconds)
    columns += _vnic_columns(tl, role, t, seconds)
    columns.append(_memory_column(sc, tl, role, t, rng))
    return columns, series


def _nic_series(
    sc: Scenario, nic: Nic, sent: np.ndarray, received: np.ndarray, t: np.ndarray, rng: np.random.Generator
) -> _NicSeries:
    """Interval totals of one NIC from the migration payload it sends and receives [bytes/ms]."""
    tcp = 0.0 if sc.transport == "smb-direct" else 1.0
    out_packets = _interval_sums(sent, t) / nic.segment_bytes
    in_packets = _interval_sums(received, t) / nic.segment_bytes
    out_wire, in_wire = out_packets * nic.frame_bytes, in_packets * nic.frame_bytes
    acks_in, acks_out = tcp * out_packets / 2, tcp * in_packets / 2  # ACKs answer the data
    bg_rx = _interval_sums(_segments(rng, len(sent), nic.background_rx_bytes_s, _BACKGROUND_SEGMENT_MS), t)
    bg_tx = _interval_sums(_segments(rng, len(sent), nic.background_tx_bytes_s, _BACKGROUND_SEGMENT_MS), t)
    return _NicSeries(
        sent=(tcp * out_wire + acks_out * ACK_FRAME_BYTES) + bg_tx,
        received=(tcp * in_wire + acks_in * ACK_FRAME_BYTES) + bg_rx,
        packets_sent=(tcp * out_packets + acks_out) + bg_tx / _BACKGROUND_PACKET_BYTES,
        packets_received=(tcp * in_packets + acks_in) + bg_rx / _BACKGROUND_PACKET_BYTES,
        wire_sent=out_wire,
        wire_received=in_wire,
        background_packets_received=bg_rx / _BACKGROUND_PACKET_BYTES,
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


def _rdma_columns(sc: Scenario, series: list[_NicSeries], seconds: np.ndarray) -> list[_Col]:
    columns = []
    for nic, s in zip(sc.nics, series):
        if not nic.rdma_capable:
            continue
        zero = 0 * seconds  # keeps the blank first row
        rdma = sc.transport == "smb-direct"
        inbound = s.wire_received / seconds if rdma else zero
        outbound = s.wire_sent / seconds if rdma else zero
        # RDMA Activity keeps the adapter's own description (#2, (R)); Network Interface escapes it
        columns.append(_Col("RDMA Activity", nic.description, "RDMA Inbound Bytes/sec", inbound))
        columns.append(_Col("RDMA Activity", nic.description, "RDMA Outbound Bytes/sec", outbound))
    return columns


def _connections(
    sc: Scenario, tl: _Timeline, role: str, cores: _Cores, t: np.ndarray, seconds: np.ndarray
) -> list[_Connection]:
    """Every migration connection with an LP on this host, with its group's wire rate."""
    connections = []
    for g, group in enumerate(tl.groups):
        receiving = group.receiver == role
        lp_lists = cores.rx[g] if receiving else cores.tx[g]
        per_core_mb_s = sc.rx_mb_s_per_core if receiving else sc.tx_mb_s_per_core
        for w, nic in enumerate(sc.wire_nics):
            payload = sum(tl.migrations[i].payload[sc.nics.index(nic)] for i in group.members)
            rate = _interval_sums(payload, t) / nic.segment_bytes * nic.frame_bytes / seconds
            connections += [
                _Connection(nic, lp, share, rate, receiving, per_core_mb_s)
                for lp, share in zip(lp_lists[w], cores.weights[g, w])
            ]
    return connections


def _cpu_columns(
    sc: Scenario,
    role: str,
    connections: list[_Connection],
    memory_rate: np.ndarray,
    running: np.ndarray,
    rng: np.random.Generator,
) -> list[_Col]:
    n, lps = memory_rate.size, sc.logical_processors
    busy = rng.uniform(1.5, 6.0, lps) * rng.uniform(0.7, 1.3, (n, lps))
    dpc = rng.uniform(0.05, 0.5, (n, lps))
    isr = rng.uniform(0.02, 0.25, (n, lps))
    queued = rng.uniform(40, 300, (n, lps))
    for c in connections:
        load = 100 * np.nan_to_num(c.rate) * c.share / (c.per_core_mb_s * 1e6) * rng.uniform(0.95, 1.05, n)
        load = np.minimum(load, _MAX_CONNECTION_LOAD_PCT)  # a saturated core still has a little other work
        dpc[:, c.lp] += 0.85 * load
        isr[:, c.lp] += 0.15 * load
        queued[:, c.lp] += np.nan_to_num(c.rate) * c.share / c.nic.frame_bytes / _PACKETS_PER_DPC
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
    if sc.cpu_object == "Processor Information":
        names, totals = [f"0,{lp}" for lp in range(lps)], ("0,_Total", "_Total")
    else:
        names, totals = [str(lp) for lp in range(lps)], ("_Total",)
    columns = []
    for counter, matrix in per_lp.items():
        matrix[0] = np.nan
        total = matrix.sum(axis=1) if counter.endswith("/sec") else matrix.mean(axis=1)
        columns += [_Col(sc.cpu_object, name, counter, matrix[:, lp]) for lp, name in enumerate(names)]
        columns += [_Col(sc.cpu_object, name, counter, total) for name in totals]
    if not sc.hyperv_cpu_counters:
        return columns
    hv_lp[0] = root_vp[0] = np.nan
    hv = "Hyper-V Hypervisor Logical Processor"
    columns += [_Col(hv, f"Hv LP {lp}", "% Total Run Time", hv_lp[:, lp]) for lp in range(lps)]
    columns.append(_Col(hv, "_Total", "% Total Run Time", hv_lp.mean(axis=1)))
    root = "Hyper-V Hypervisor Root Virtual Processor"
    columns += [_Col(root, f"Root VP {lp}", "% Total Run Time", root_vp[:, lp]) for lp in range(lps)]
    return columns


def _per_processor_nic_columns(
    sc: Scenario, connections: list[_Connection], series: list[_NicSeries], seconds: np.ndarray
) -> list[_Col]:
    """``Per Processor Network Interface Card Activity(<lp>, <NIC>)``: packets and DPCs per LP."""
    lps = sc.logical_processors
    packets = np.zeros((len(sc.nics), seconds.size, lps))
    dpcs = np.zeros_like(packets)
    for c in connections:
        j, data_packets = sc.nics.index(c.nic), np.nan_to_num(c.rate) * c.share / c.nic.frame_bytes
        packets[j, :, c.lp] += data_packets if c.receiving else data_packets / 2  # the sender gets ACKs
        dpcs[j, :, c.lp] += data_packets / _PACKETS_PER_DPC
    for j, s in enumerate(series):
        background = np.nan_to_num(s.background_packets_received / seconds)[:, None] / lps
        packets[j] += background
        dpcs[j] += background / _PACKETS_PER_DPC
    packets[:, 0] = dpcs[:, 0] = np.nan
    return [
        _Col(_PER_PROCESSOR_NIC, f"{lp}, {nic.description}", counter, values[j, :, lp])
        for counter, values in (("DPCs Queued/sec", dpcs), ("Received Packets/sec", packets))
        for j, nic in enumerate(sc.nics)
        for lp in range(lps)
    ]


def _migration_columns(sc: Scenario, tl: _Timeline, role: str, t: np.ndarray, seconds: np.ndarray) -> list[_Col]:
    """``Hyper-V VM Live Migration`` per VM; a VM migrated twice fills one instance in both windows."""
    smb = 1.0 if sc.transport.startswith("smb") else 0.0
    values: dict[tuple[str, str], np.ndarray] = {}
    for m in tl.migrations:
        gauge_ok, rate_ok = _presence(t, m.lm_start, m.lm_end)
        starts = np.array([p.start_ms for p in m.passes])
        current = np.searchsorted(starts, t, side="right")
        pages = np.array([0] + [p.pages for p in m.passes], dtype=float)[current]
        blackout = ((t >= m.blackout_start) & (t < m.blackout_end)).astype(float)
        memory = _interval_sums(m.memory, t) / seconds
        wire_payload = m.payload.sum(axis=0)
        payload = _interval_sums(wire_payload, t) / seconds
        sending = 1.0 if role == m.sender else 0.0
        gauges = {
            "Transfer Pass: Number": sending * current.astype(float),
            "Transfer Pass: Is blackout": sending * blackout,
            "Transfer pass: Dirty Page Count": sending * pages,
            "SMB Transport: Bytes Sent": sending * smb * _cumulative_at(wire_payload, t),
            "Receiver: Bytes Pending Write": np.zeros(t.size),  # a receiver that keeps up
        }
        compressed = 1.0 if sc.transport == "compression" else 0.0
        rates = {
            "Memory Walker: Bytes Read/sec": sending * memory,
            "Memory Walker: Uncompressed Bytes Sent/sec": sending * (1 - compressed) * memory,
            "Memory Walker: Bytes Sent for Compression/sec": sending * compressed * memory,
            "Compressor: Compressed Bytes Sent/sec": sending * compressed * payload,
            "SMB Transport: Bytes Sent/sec": sending * smb * payload,
            "TCP Transport: Bytes Sent/sec": sending * (1 - smb) * payload,
            "Receiver: Bytes Written/sec": (1 - sending) * memory,
            "Receiver: Compressed Bytes Received/sec": (1 - sending) * compressed * payload,
            "Receiver: Decompressed Bytes/sec": (1 - sending) * compressed * memory,
        }
        for counters, ok in ((gauges, gauge_ok), (rates, rate_ok)):
            for name, v in counters.items():
                key = (m.spec.lm_instance, name)
                values[key] = np.where(ok, v, values.get(key, np.nan))
    return [_Col(_LIVE_MIGRATION, instance, name, v) for (instance, name), v in values.items()]


def _vnic_columns(tl: _Timeline, role: str, t: np.ndarray, seconds: np.ndarray) -> list[_Col]:
    """Each VM's vNIC on the hosts it stays on: traffic only while it runs there."""
    tick = np.arange(tl.ticks)
    columns = []
    for vm, traffic in tl.vm_traffic.items():
        stays = [s for s in tl.stays if s.vm == vm and s.role == role]
        if not stays:
            continue
        present, running = np.zeros(t.size, dtype=bool), np.zeros(tl.ticks, dtype=bool)
        for s in stays:
            present |= (t >= s.appear) & (t < s.vanish)
            running |= (tick >= s.run_from) & (tick < s.run_until)
        values = np.where(_rate_ok(present), _interval_sums(traffic * running, t) / seconds, np.nan)
        columns.append(_Col("Hyper-V Virtual Network Adapter", tl.vnic_instances[vm], "Bytes/sec", values))
    return columns


def _memory_column(sc: Scenario, tl: _Timeline, role: str, t: np.ndarray, rng: np.random.Generator) -> _Col:
    total_mb = sc.host_memory_gib * 1024
    moved = np.zeros(t.size)
    for m in tl.migrations:
        vm_mb = m.spec.memory_bytes / 2**20
        moved = moved + (vm_mb * (t >= m.lm_end) if role == m.sender else -vm_mb * (t >= m.lm_start))
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


def _rate_ok(present: np.ndarray) -> np.ndarray:
    """Where a rate of an instance present at ``present`` samples has a value (two raw samples)."""
    return np.concatenate([[False], present[1:] & present[:-1]])


def _presence(t: np.ndarray, appear: float, vanish: float) -> tuple[np.ndarray, np.ndarray]:
    """Where a gauge / a rate of an instance living in [appear, vanish) has a value."""
    gauge = (t >= appear) & (t < vanish)
    return gauge, _rate_ok(gauge)


# ---------------------------------------------------------------------------------------------
# Output


def _offset_ms(sc: Scenario, role: str) -> int:
    return round(sc.clock_offset_s * 1000) if role == "destination" else 0


def _zone(sc: Scenario, role: str) -> tuple[str, int]:
    """(zone name, bias minutes) a host's header states."""
    return sc.destination_tz if role == "destination" and sc.destination_tz else (sc.tz_name, sc.bias_minutes)


def _render_csv(sc: Scenario, host: str, role: str, t: np.ndarray, columns: list[_Col]) -> bytes:
    """The relog CSV: columns sorted by object then counter (instances in order), names in the
    scenario's language, local times in the host's zone, bytes in the scenario's encoding."""
    ordered = sorted(columns, key=lambda c: (c.object.lower(), c.counter.lower()))
    matrix = np.column_stack([c.values for c in ordered]) + 0.0  # + 0.0 turns -0.0 into 0.0
    text = np.where(np.isnan(matrix), " ", np.char.mod("%.20g", matrix))
    zone, bias = _zone(sc, role)
    start = sc.start_local + timedelta(minutes=sc.bias_minutes - bias)  # the same instant on this host's clock
    stamps = pl.Series(np.datetime64(start, "ms") + t.astype("timedelta64[ms]"))
    header = f"(PDH-CSV 4.0) ({zone})({bias})"
    names = _localized(sc.language)
    frame = pl.DataFrame(
        {header: stamps.dt.strftime("%m/%d/%Y %H:%M:%S%.3f")}
        | {c.path(host, names): text[:, j] for j, c in enumerate(ordered)}
    )
    out = frame.write_csv(quote_style="always", line_terminator="\r\n")
    return out.encode("ascii") if sc.language == "en" and sc.encoding == "utf-8" else out.encode(sc.encoding)


def _localized(language: str) -> dict[str, str]:
    """English object or counter name → the name a Windows of ``language`` writes (the first
    sourced one in ``counter_names.tsv``); names it lacks stay English."""
    if language == "en":
        return {}
    out: dict[str, str] = {}
    table = translation_table().filter(pl.col("language") == language)
    for english, localized in table.select("english", "localized").iter_rows():
        out.setdefault(english, localized)
    return out


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
    cores: _Cores,
) -> dict[str, Any]:
    origin = sc.start_local + timedelta(minutes=sc.bias_minutes)
    hosts = {"source": sc.source_host, "destination": sc.destination_host}
    text = {host: data.decode(sc.encoding) for host, data in csv.items()}
    first_line = {host: body.split("\r\n", 1)[0] for host, body in text.items()}
    windows = [(m.passes[0].start_ms, m.passes[-1].end_ms) for m in tl.migrations]
    concurrent = [
        [j for j, (s, e) in enumerate(windows) if j != i and s < end and start < e]
        for i, (start, end) in enumerate(windows)
    ]
    return {
        "schema_version": 2,
        "scenario": _scenario_dict(sc),
        "labels": _labels(sc, windows),
        "hosts": hosts,
        "interval_s": sc.interval_s,
        "timezone": {"name": sc.tz_name, "bias_minutes": sc.bias_minutes},
        "timezones": {h: dict(zip(("name", "bias_minutes"), _zone(sc, r))) for r, h in hosts.items()},
        "pauses": [] if sc.pause is None else [
            {"start_utc": _iso(origin, sc.pause[0] * 1000), "end_utc": _iso(origin, (sc.pause[0] + sc.pause[1]) * 1000)}
        ],
        "nic_drop": None if sc.nic_drop is None else {
            "instance": sc.wire_nics[sc.nic_drop[0]].instance,
            "at_utc": _iso(origin, min(m.passes[0].start_ms for m in tl.migrations) + sc.nic_drop[1] * 1000),
        },
        "clock_offset_s": {host: _offset_ms(sc, role) / 1000 for role, host in hosts.items()},
        "files": {host: f"{host}.csv" for host in hosts.values()},
        "columns": {host: line.count('","') for host, line in first_line.items()},
        "rows": {host: body.count("\r\n") - 1 for host, body in text.items()},
        "first_sample_utc": {h: _iso(origin, tl.times[r][0] + _offset_ms(sc, r)) for r, h in hosts.items()},
        "last_sample_utc": {h: _iso(origin, tl.times[r][-1] + _offset_ms(sc, r)) for r, h in hosts.items()},
        "nic_instances": {nic.description: nic.instance for nic in sc.nics},
        "nics": {nic.instance: _nic_dict(nic) for nic in sc.nics},
        "nic_totals": totals,
        "migrations": [_migration_truth(sc, tl, m, origin, cores, concurrent[m.index]) for m in tl.migrations],
    }


def _labels(sc: Scenario, windows: list[tuple[float, float]]) -> dict[str, Any]:
    """What a comparison of runs groups by."""
    first = sc.wire_nics[0]
    return {
        "transport": sc.transport,
        "mtu": first.mtu,
        "mtus": list(dict.fromkeys(nic.mtu for nic in sc.wire_nics)),
        "link_gbps": first.link_gbps,
        "nic_count": len(sc.wire_nics),
        "power_plan": sc.power_plan,
        "migrations": len(windows),
        "max_concurrent": max(sum(s <= start < e for s, e in windows) for start, _ in windows),
        "live_migration_counters": sc.log_live_migration_counters,
    }


def _migration_truth(
    sc: Scenario, tl: _Timeline, m: _MigrationTimeline, origin: datetime, cores: _Cores, concurrent: list[int]
) -> dict[str, Any]:
    framing = np.array([nic.frame_bytes / nic.segment_bytes for nic in sc.nics])
    wire = {
        nic.instance: float(m.payload[i].sum()) * framing[i]
        for i, nic in enumerate(sc.nics)
        if nic in sc.wire_nics
    }
    wire_per_ms = framing @ m.payload
    passes = [
        {
            "number": p.number,
            "start_utc": _iso(origin, p.start_ms),
            "end_utc": _iso(origin, p.end_ms),
            "duration_s": (p.end_ms - p.start_ms) / 1000,
            "bytes": p.payload,
            "wire_bytes": float(wire_per_ms[int(p.start_ms) : int(p.end_ms) + 1].sum()),
            "dirty_pages": p.pages,
            "blackout": p is m.passes[-1],
        }
        for p in m.passes
    ]
    hosts = {"source": sc.source_host, "destination": sc.destination_host}
    sender, receiver = hosts[m.sender], hosts[m.receiver]
    rx, tx = cores.rx[m.group], cores.tx[m.group]
    limit = sc.connections_per_nic * len(sc.wire_nics) * sc.core_limit_bytes_s
    return {
        "index": m.index,
        "vm": m.spec.vm_name,
        "direction": m.spec.direction,
        "source": sender,
        "destination": receiver,
        "transport": sc.transport,
        "lm_instance": m.spec.lm_instance,
        "vnic_instance": tl.vnic_instances[m.spec.vm_name],
        "start_utc": _iso(origin, m.lm_start),
        "end_utc": _iso(origin, m.lm_end),
        "duration_s": (m.lm_end - m.lm_start) / 1000,
        "transfer_start_utc": _iso(origin, m.passes[0].start_ms),
        "transfer_end_utc": _iso(origin, m.passes[-1].end_ms),
        "concurrent_with": concurrent,
        "memory_bytes": sum(p.payload for p in m.passes),
        "bytes_total": sum(wire.values()),
        "bytes_per_nic": wire,
        "wire_object": "RDMA Activity" if sc.transport == "smb-direct" else "Network Interface",
        "connections_per_nic": sc.connections_per_nic,
        "passes": passes,
        "blackout_s": m.spec.blackout_s,
        "blackout_start_utc": _iso(origin, m.blackout_start),
        "blackout_end_utc": _iso(origin, m.blackout_end),
        "expected_receive_cores": sc.connections_per_nic * len(sc.wire_nics),
        "busy_receive_cores": {sender: [], receiver: sorted(sum(rx, []))},
        "receive_cores_per_nic": {nic.instance: sorted(c) for nic, c in zip(sc.wire_nics, rx)},
        "busy_send_cores": {sender: sorted(sum(tx, [])), receiver: []},
        "core_limit_wire_bytes_s": None if math.isinf(limit) else limit,
        "core_bound": m.core_bound,
        "plateau_wire_bytes_s": m.plateau_wire_bytes_s,
    }


def _scenario_dict(sc: Scenario) -> dict[str, Any]:
    data = asdict(sc)
    data["start_local"] = sc.start_local.isoformat(timespec="milliseconds")
    data["nics"] = [asdict(nic) for nic in sc.nics]
    data["migrations"] = [asdict(m) for m in sc.migrations]
    data["receive_cores"] = None if sc.receive_cores is None else [list(c) for c in sc.receive_cores]
    if sc.side_inputs is None:  # the truth of scenarios without side inputs stays as it was
        del data["side_inputs"]
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


# ---------------------------------------------------------------------------------------------
# Side inputs: events, topology exports and ping logs (Scenario.side_inputs)

_VMMS_PROVIDER = ("Microsoft-Windows-Hyper-V-VMMS", "{6066F867-7CA1-4418-85FD-36E3F9C0600C}")
_VMMS_CHANNEL = "Microsoft-Windows-Hyper-V-VMMS-Admin"
_WINEVENT_COLUMNS = (
    "Message", "Id", "Version", "Qualifiers", "Level", "Task", "Opcode", "Keywords", "RecordId", "ProviderName",
    "ProviderId", "LogName", "ProcessId", "ThreadId", "MachineName", "UserId", "TimeCreated", "ActivityId",
    "RelatedActivityId", "ContainerLog", "MatchedQueryIds", "Bookmark", "LevelDisplayName", "OpcodeDisplayName",
    "TaskDisplayName", "KeywordsDisplayNames", "Properties",
)
_PERFORMANCE_OPTION = {"tcp": 0, "compression": 1, "smb": 2, "smb-direct": 2}
"""Get-VMHost VirtualMachineMigrationPerformanceOption as ConvertTo-Json writes it (TCPIP, Compression, SMB)."""
_HOST_OCTET = {"source": 11, "destination": 12}
_FIRST_IF_INDEX = {"source": 4, "destination": 3}
_US_STAMP = "%-m/%-d/%Y %-I:%M:%S %p"
"""en-US culture date and time (Get-Date's default text there)."""
_WINDOWS_PING_TIMEOUT_MS = 4000
_WINDOWS_PING_GAP_MS = 1000


def _side_inputs(
    sc: Scenario, tl: _Timeline, truth: dict[str, Any], rng: np.random.Generator
) -> tuple[dict[str, bytes], dict[str, Any]]:
    """The side-input files of ``sc`` and their truth (``truth["side_inputs"]``)."""
    si = sc.side_inputs
    assert si is not None
    origin = sc.start_local + timedelta(minutes=sc.bias_minutes)
    files: dict[str, bytes] = {}
    facts: dict[str, Any] = {"utc_offset": _utc_offset_text(-sc.bias_minutes)}
    if si.events:
        event_files, facts["events"] = _event_files(sc, tl, origin, rng)
        files |= event_files
    if si.topology:
        topology_files, facts["topology"] = _topology_files(sc, tl, truth)
        files |= topology_files
    if si.pings:
        ping_files, facts["pings"] = _ping_files(sc, tl, origin, rng)
        files |= ping_files
    facts["files"] = sorted(files)
    return files, facts


def _utc_offset_text(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _event_files(
    sc: Scenario, tl: _Timeline, origin: datetime, rng: np.random.Generator
) -> tuple[dict[str, bytes], list[dict[str, Any]]]:
    """Event 20415 of each migration on its source host (that host's clock), XML and CSV."""
    hosts = {"source": sc.source_host, "destination": sc.destination_host}
    vm_ids = {vm: str(uuid.UUID(bytes=rng.bytes(16), version=4)).upper() for vm in tl.vm_traffic}
    rows = []
    for m in tl.migrations:
        logged_ms = m.lm_end + _offset_ms(sc, m.sender) + float(rng.uniform(5, 200))
        rows.append({
            "host": hosts[m.sender], "vm": m.spec.vm_name, "vm_id": vm_ids[m.spec.vm_name],
            "time": origin + timedelta(milliseconds=logged_ms), "blackout_text": f"{m.spec.blackout_s:.1f}",
            "blackout_s": m.spec.blackout_s, "migration": m.index,
        })
    files = {}
    for host in dict.fromkeys(r["host"] for r in rows):
        mine = [r | {"record_id": 52262 + 3 * k} for k, r in enumerate(r for r in rows if r["host"] == host)]
        files[f"events/{host}-vmms-admin.xml"] = "".join(_event_xml(r) + "\r\n" for r in mine).encode("utf-8")
        files[f"events/{host}-vmms-admin.csv"] = _winevent_csv(mine, -sc.bias_minutes)
    facts = [
        {"migration": r["migration"], "host": r["host"], "vm": r["vm"], "vm_id": r["vm_id"],
         "time_utc": r["time"].isoformat(timespec="microseconds") + "Z", "blackout_text": r["blackout_text"],
         "blackout_s": float(r["blackout_text"])}
        for r in rows
    ]
    return files, facts


def _event_xml(row: dict[str, Any]) -> str:
    """One event as ``wevtutil qe /f:xml`` prints it (one line, no root element)."""
    stamp = row["time"].isoformat(timespec="microseconds") + "0Z"  # 100 ns ticks
    return (
        '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>'
        f'<Provider Name="{_VMMS_PROVIDER[0]}" Guid="{_VMMS_PROVIDER[1]}"/><EventID>20415</EventID>'
        "<Version>0</Version><Level>4</Level><Task>0</Task><Opcode>0</Opcode>"
        f'<Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime="{stamp}"/>'
        f'<EventRecordID>{row["record_id"]}</EventRecordID><Correlation/>'
        f'<Execution ProcessID="4900" ThreadID="11504"/><Channel>{_VMMS_CHANNEL}</Channel>'
        f'<Computer>{row["host"].lower()}.lab.local</Computer><Security UserID="S-1-5-18"/></System>'
        '<UserData><VmlEventLog xmlns:auto-ns2="http://schemas.microsoft.com/win/2004/08/events" '
        'xmlns="http://www.microsoft.com/Windows/Virtualization/Events">'
        f'<Parameter0>{row["vm"]}</Parameter0><Parameter1>{row["vm_id"]}</Parameter1>'
        f'<Parameter2>{row["blackout_text"]}</Parameter2></VmlEventLog></UserData></Event>'
    )


def _winevent_csv(rows: list[dict[str, Any]], offset_minutes: int) -> bytes:
    """``Get-WinEvent … | Export-Csv`` (PowerShell 7: no #TYPE line), newest first, local times."""
    frame = pl.DataFrame({
        "Message": [
            "The Virtual Machine Management service successfully completed the live migration of virtual machine  "
            f"'{r['vm']}' with a blackout time of {r['blackout_text']} seconds (VMID {r['vm_id']})."
            for r in rows
        ],
        "RecordId": [r["record_id"] for r in rows],
        "MachineName": [f"{r['host'].lower()}.lab.local" for r in rows],
        "TimeCreated": [r["time"] + timedelta(minutes=offset_minutes) for r in rows],
    }).reverse()
    fixed = {
        "Id": "20415", "Version": "0", "Qualifiers": None, "Level": "4", "Task": "0", "Opcode": "0",
        "Keywords": "-9223372036854775808", "ProviderName": _VMMS_PROVIDER[0],
        "ProviderId": _VMMS_PROVIDER[1].strip("{}").lower(), "LogName": _VMMS_CHANNEL, "ProcessId": "4900",
        "ThreadId": "11504", "UserId": "S-1-5-18", "ActivityId": None, "RelatedActivityId": None,
        "ContainerLog": _VMMS_CHANNEL, "MatchedQueryIds": "System.UInt32[]",
        "Bookmark": "System.Diagnostics.Eventing.Reader.EventBookmark", "LevelDisplayName": "Information",
        "OpcodeDisplayName": "Info", "TaskDisplayName": None,
        "KeywordsDisplayNames": "System.Collections.ObjectModel.ReadOnlyCollection`1[System.String]",
        "Properties": "System.Collections.Generic.List`1[System.Diagnostics.Eventing.Reader.EventProperty]",
    }
    table = frame.with_columns(
        pl.col("RecordId").cast(pl.String), pl.col("TimeCreated").dt.strftime(_US_STAMP),
        *[pl.lit(v, pl.String).alias(k) for k, v in fixed.items()],
    ).select(_WINEVENT_COLUMNS)
    return table.write_csv(quote_style="non_numeric", line_terminator="\r\n").encode("utf-8")


def _nic_names(sc: Scenario) -> dict[Nic, str]:
    """Adapter names (Get-NetAdapter Name): ``Management`` or ``SLOT 6 Port <n>``."""
    ports = iter(range(1, len(sc.nics) + 1))
    return {nic: "Management" if nic.role == "management" else f"SLOT 6 Port {next(ports)}" for nic in sc.nics}


def _subnets(sc: Scenario) -> dict[Nic, str]:
    """Each NIC's /24 (``10.10.<n>.0`` for migration NICs, ``192.168.<n>.0`` for the others)."""
    migration = iter(range(1, len(sc.nics) + 1))
    other = iter(range(10, 10 + len(sc.nics)))
    return {
        nic: f"10.10.{next(migration)}.0/24" if nic.role == "migration" else f"192.168.{next(other)}.0/24"
        for nic in sc.nics
    }


def _ip(subnet: str, role: str) -> str:
    return subnet.rsplit(".", 1)[0] + f".{_HOST_OCTET[role]}"


def _topology_files(sc: Scenario, tl: _Timeline, truth: dict[str, Any]) -> tuple[dict[str, bytes], dict[str, Any]]:
    """Per host ConvertTo-Json exports; SMB Multichannel connections on every sending host."""
    si = sc.side_inputs
    assert si is not None
    names, subnets = _nic_names(sc), _subnets(sc)
    lm = set(si.lm_networks) if si.lm_networks is not None else {n.description for n in sc.nics if n.role == "migration"}
    hosts = {"source": sc.source_host, "destination": sc.destination_host}
    index = {role: {nic: _FIRST_IF_INDEX[role] + 2 * i for i, nic in enumerate(sc.nics)} for role in hosts}
    lm_subnets = [subnets[nic] for nic in sc.nics if nic.description in lm]
    files = {}
    for role, host in hosts.items():
        folder = f"topology/{host}/"
        files[folder + "adapters.json"] = _json([
            {"Name": names[nic], "InterfaceDescription": nic.description, "ifIndex": index[role][nic], "Status": "Up",
             "MacAddress": f"24-8A-07-{_HOST_OCTET[role]:02X}-00-{i + 1:02X}", "LinkSpeed": f"{nic.link_gbps:g} Gbps",
             "MtuSize": nic.mtu,
             "Speed": round(nic.link_gbps * 1e9)}
            for i, nic in enumerate(sc.nics)
        ])
        rdma = [nic for nic in sc.nics if nic.rdma_capable]
        if rdma:
            files[folder + "rdma.json"] = _json([
                {"Name": names[nic], "InterfaceDescription": nic.description, "Enabled": sc.transport == "smb-direct"}
                for nic in rdma
            ])
        files[folder + "rss.json"] = _json([
            {"Name": names[nic], "InterfaceDescription": nic.description, "Enabled": True,
             "NumberOfReceiveQueues": 8 if nic.role == "migration" else 2, "Profile": 4, "BaseProcessorGroup": 0,
             "BaseProcessorNumber": 0, "MaxProcessorGroup": 0, "MaxProcessorNumber": sc.logical_processors - 1,
             "MaxProcessors": 4 if nic.role == "migration" else 1, "NumaNode": 0}
            for nic in sc.nics
        ])
        files[folder + "vmhost.json"] = _json([{
            "ComputerName": host, "VirtualMachineMigrationEnabled": True, "UseAnyNetworkForMigration": False,
            "VirtualMachineMigrationPerformanceOption": _PERFORMANCE_OPTION[sc.transport],
            "VirtualMachineMigrationAuthenticationType": 1, "MaximumVirtualMachineMigrations": 2,
            "MaximumStorageMigrations": 2,
        }])
        files[folder + "migration-networks.json"] = _json([
            {"Subnet": subnet, "Priority": k, "ComputerName": host} for k, subnet in enumerate(lm_subnets)
        ])
    senders = {m.sender for m in tl.migrations}
    if sc.transport.startswith("smb"):
        for role in senders:
            peer = "destination" if role == "source" else "source"
            files[f"topology/{hosts[role]}/smb-multichannel.json"] = _json([
                _smb_connection(sc, nic, names[nic], subnets[nic], hosts[peer], index[role][nic], index[peer][nic], role)
                for nic in sc.nics
            ])
    wire = {nic.instance for nic in sc.wire_nics}
    unexpected = [nic.instance for nic in sc.wire_nics if nic.description not in lm]
    facts = {
        "lm_subnets": lm_subnets,
        "nics": {
            nic.instance: {
                "name": names[nic], "subnet": subnets[nic], "lm_network": nic.description in lm,
                "carries": nic.instance in wire,
                "ip": {hosts[r]: _ip(subnets[nic], r) for r in hosts},
                "if_index": {hosts[r]: index[r][nic] for r in hosts},
            }
            for nic in sc.nics
        },
        "unexpected_nics": unexpected,
        "unexpected_share": [
            {inst: m["bytes_per_nic"][inst] / m["bytes_total"] for inst in unexpected} for m in truth["migrations"]
        ],
    }
    return files, facts


def _smb_connection(
    sc: Scenario, nic: Nic, name: str, subnet: str, server: str, client_index: int, server_index: int, role: str
) -> dict[str, Any]:
    """One Get-SmbMultichannelConnection -IncludeNotSelected row: wire NICs selected, others not."""
    selected = nic in sc.wire_nics
    rdma = nic.rdma_capable and sc.transport == "smb-direct"
    peer = "destination" if role == "source" else "source"
    return {
        "ServerName": server, "ClientInterfaceIndex": client_index, "ServerInterfaceIndex": server_index,
        "ServerIpAddress": _ip(subnet, peer), "ClientIpAddress": _ip(subnet, role),
        "ClientInterfaceFriendlyName": name, "Selected": selected, "ClientRSSCapable": True,
        "ServerRSSCapable": True, "ClientRdmaCapable": rdma, "ServerRdmaCapable": rdma,
        "ClientLinkSpeed": round(nic.link_gbps * 1e9), "ServerLinkSpeed": round(nic.link_gbps * 1e9),
        "MaxChannels": sc.connections_per_nic if selected else 4, "CurrentChannels": sc.connections_per_nic if selected else 0,
        "Failed": False, "FailureCount": 0, "SmbInstance": 0,
    }


def _json(items: list[dict[str, Any]]) -> bytes:
    """ConvertTo-Json text (PowerShell 7, UTF-8): one object alone, several as an array."""
    return (json.dumps(items[0] if len(items) == 1 else items, indent=2) + "\r\n").encode("utf-8")


def _ping_files(
    sc: Scenario, tl: _Timeline, origin: datetime, rng: np.random.Generator
) -> tuple[dict[str, bytes], dict[str, Any]]:
    """A client pinging the first VM: lost probes from each blackout start to its end + re-learn."""
    si = sc.side_inputs
    assert si is not None
    vm = min(tl.migrations, key=lambda m: m.lm_start).spec.vm_name
    outages = sorted(
        (float(m.blackout_start), m.blackout_end + si.network_relearn_s * 1000) for m in tl.migrations if m.spec.vm_name == vm
    )
    epoch_ms = (origin - datetime(1970, 1, 1)).total_seconds() * 1000
    linux, linux_lost = _linux_ping(si, tl.ticks, outages, epoch_ms, rng)
    windows, windows_lost = _windows_ping(si, tl.ticks, outages, origin, -sc.bias_minutes, rng)
    facts = {
        "vm": vm,
        "address": si.ping_address,
        "outages": [
            {"start_utc": _iso(origin, a), "end_utc": _iso(origin, b), "seconds": (b - a) / 1000} for a, b in outages
        ],
        "linux": {"file": "pings/ping-linux.txt", "interval_s": si.linux_ping_interval_s, "lost": linux_lost},
        "windows": {"file": "pings/ping-windows.txt", "interval_s": _WINDOWS_PING_GAP_MS / 1000, "lost": windows_lost},
    }
    return {"pings/ping-linux.txt": linux, "pings/ping-windows.txt": windows}, facts


def _lost(sends: np.ndarray, outages: list[tuple[float, float]]) -> np.ndarray:
    """Probes sent while the VM is unreachable. [bool]"""
    return np.any([(sends >= a) & (sends < b) for a, b in outages], axis=0)


def _linux_ping(
    si: SideInputs, ticks: int, outages: list[tuple[float, float]], epoch_ms: float, rng: np.random.Generator
) -> tuple[bytes, int]:
    """``ping -D -O -i <interval> <address>``: epoch stamps, ``no answer yet`` for each lost probe."""
    step = si.linux_ping_interval_s * 1000
    sends = 500.0 + step * np.arange(int((ticks - 500 - step) // step)) + rng.uniform(0, 2, int((ticks - 500 - step) // step))
    lost = _lost(sends, outages)
    rtt = rng.uniform(0.25, 0.45, sends.size)
    following = np.append(sends[1:], sends[-1] + step)
    printed = np.where(lost, following, sends + rtt)  # -O reports a lost probe when it sends the next
    micros = np.round((epoch_ms + printed) * 1000).astype(np.int64)
    probes = pl.DataFrame({"seq": np.arange(1, sends.size + 1), "lost": lost, "rtt": rtt, "us": micros})
    stamp = pl.format("[{}.{}] ", pl.col("us") // 1_000_000, (pl.col("us") % 1_000_000).cast(pl.String).str.zfill(6))
    reply = f"64 bytes from {si.ping_address}: icmp_seq={{}} ttl=128 time={{}} ms"
    lines = probes.select(
        stamp + pl.when(pl.col("lost"))
        .then(pl.format("no answer yet for icmp_seq={}", "seq"))
        .otherwise(pl.format(reply, "seq", pl.col("rtt").round(3)))
    ).to_series().to_list()
    received = int((~lost).sum())
    ok_rtt = rtt[~lost]
    footer = [
        "", f"--- {si.ping_address} ping statistics ---",
        f"{sends.size} packets transmitted, {received} received, {100 * (1 - received / sends.size):.4g}% packet loss, "
        f"time {round(sends[-1] - sends[0])}ms",
        f"rtt min/avg/max/mdev = {ok_rtt.min():.3f}/{ok_rtt.mean():.3f}/{ok_rtt.max():.3f}/{ok_rtt.std():.3f} ms",
    ]
    header = f"PING {si.ping_address} ({si.ping_address}) 56(84) bytes of data."
    return ("\n".join([header, *lines, *footer]) + "\n").encode("ascii"), int(lost.sum())


def _windows_ping(
    si: SideInputs, ticks: int, outages: list[tuple[float, float]], origin: datetime, offset_minutes: int,
    rng: np.random.Generator,
) -> tuple[bytes, int]:
    """``ping -t <address> | ForEach-Object {"{0} - {1}" -f (Get-Date),$_} > file`` (PowerShell 5.1:
    UTF-16 LE): a probe a second after the last reply, 4 s time-out and a second more after a loss."""
    sends, lost, t = [], [], 1000.0
    for a, b in outages:  # regular probes up to the outage, then lost ones every 5 s while it lasts
        regular = t + _WINDOWS_PING_GAP_MS * np.arange(max(0, math.ceil((a - t) / _WINDOWS_PING_GAP_MS)))
        t = t + _WINDOWS_PING_GAP_MS * regular.size
        missed = t + (_WINDOWS_PING_TIMEOUT_MS + _WINDOWS_PING_GAP_MS) * np.arange(
            max(0, math.ceil((b - t) / (_WINDOWS_PING_TIMEOUT_MS + _WINDOWS_PING_GAP_MS)))
        )
        t = t + (_WINDOWS_PING_TIMEOUT_MS + _WINDOWS_PING_GAP_MS) * missed.size
        sends += [regular, missed]
        lost += [np.zeros(regular.size, dtype=bool), np.ones(missed.size, dtype=bool)]
    tail = t + _WINDOWS_PING_GAP_MS * np.arange(max(0, int((ticks - _WINDOWS_PING_TIMEOUT_MS - t) // _WINDOWS_PING_GAP_MS)))
    send = np.concatenate([*sends, tail])
    loss = np.concatenate([*lost, np.zeros(tail.size, dtype=bool)])
    rtt = rng.uniform(0.2, 2.5, send.size)
    printed = np.where(loss, send + _WINDOWS_PING_TIMEOUT_MS, send + rtt)
    local = np.datetime64(origin + timedelta(minutes=offset_minutes), "ms")
    probes = pl.DataFrame({
        "at": pl.Series(local + np.round(printed).astype("timedelta64[ms]")), "lost": loss, "rtt": rtt,
    }).with_columns(stamp=pl.col("at").dt.strftime(_US_STAMP))
    body = (
        pl.when(pl.col("lost")).then(pl.lit("Request timed out."))
        .when(pl.col("rtt") < 1).then(pl.lit(f"Reply from {si.ping_address}: bytes=32 time<1ms TTL=128"))
        .otherwise(pl.format(f"Reply from {si.ping_address}: bytes=32 time={{}}ms TTL=128", pl.col("rtt").floor().cast(pl.Int64)))
    )
    lines = probes.select(pl.format("{} - {}", "stamp", body)).to_series().to_list()
    first = probes["stamp"][0]
    head = [f"{first} - ", f"{first} - Pinging {si.ping_address} with 32 bytes of data:"]
    return ("\ufeff" + "\r\n".join([*head, *lines]) + "\r\n").encode("utf-16-le"), int(loss.sum())


# ---------------------------------------------------------------------------------------------
# Bundled and seed scenarios (module end: they need the helpers above)


_MANAGEMENT_NIC = DEFAULT_NICS[2]
_X710 = Nic("Intel(R) Ethernet Controller X710 for 10GbE SFP+", 10.0, 1500, False)
_X710_JUMBO = Nic(_X710.description, 10.0, 9000, False)
_CX5 = (
    Nic("Mellanox ConnectX-5 Adapter", 25.0, 9000, True),
    Nic("Mellanox ConnectX-5 Adapter #2", 25.0, 9000, True),
)
_X710_2 = Nic("Intel(R) Ethernet Controller X710 for 10GbE SFP+ #2", 10.0, 1500, False)
_X710_2_JUMBO = Nic(_X710_2.description, 10.0, 9000, False)
_E810 = Nic("Intel(R) Ethernet Network Adapter E810-C-Q2", 25.0, 9000, True)
_E810_2 = Nic("Intel(R) Ethernet Network Adapter E810-C-Q2 #2", 25.0, 9000, True)
_VM_55_GB = 55e9 / 2**30
"""The 55 GB (10^9 bytes) VM of the comparison the kit is built around. [GiB]"""


def _comparison_run(
    name: str, seed: int, transport: Transport, nics: tuple[Nic, ...], description: str, **changes: Any
) -> Scenario:
    """A bundled run of the 55 GB VM (dirtying 50 MB/s, 0.8 s blackout), High performance plan by
    default; 15 s idle either side keeps the committed files small."""
    return Scenario(
        name, seed=seed, transport=transport, nics=nics, description=description, vm_memory_gib=_VM_55_GB,
        dirty_rate_mb_s=50.0, blackout_s=0.8, idle_before_s=15.0, idle_after_s=15.0,
        **{"power_plan": "High performance", **changes},
    )


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
        description="One 16 GiB VM over SMB Multichannel on 2 x 10 GbE (jumbo frames): 2 x 4 receive cores.",
    ),
    _comparison_run(
        "tcp-1x10g-mtu1500-55gb", 201, "tcp", (_X710, _MANAGEMENT_NIC),
        "A 55 GB VM over TCP/IP on one 10 GbE NIC, MTU 1500, Balanced plan: about 70 s, bound by its one receive core.",
        rx_mb_s_per_core=940.0, power_plan="Balanced",
    ),
    _comparison_run(
        "tcp-1x10g-jumbo-55gb", 202, "tcp", (_X710_JUMBO, _MANAGEMENT_NIC),
        "As tcp-1x10g-mtu1500-55gb with jumbo frames (MTU 9000): fewer packets per byte, still bound by the one "
        "receive core on the Balanced plan (about 62 s).",
        rx_mb_s_per_core=1030.0, power_plan="Balanced",
    ),
    _comparison_run(
        "tcp-1x10g-jumbo-highperf-55gb", 203, "tcp", (_X710_JUMBO, _MANAGEMENT_NIC),
        "As tcp-1x10g-jumbo-55gb with power settings optimised (High performance plan): the receive core keeps "
        "up and the NIC sets the pace (about 54 s).",
        rx_mb_s_per_core=3000.0,
    ),
    _comparison_run(
        "smb-2x10g-mixed-mtu-55gb", 204, "smb", (_X710_JUMBO, _X710_2, _MANAGEMENT_NIC),
        "The 55 GB VM over SMB Multichannel on two 10 GbE NICs, one with jumbo frames and one without: about 31 s.",
        link_efficiency=0.855,
    ),
    _comparison_run(
        "smb-2x10g-jumbo-55gb", 205, "smb", (_X710_JUMBO, _X710_2_JUMBO, _MANAGEMENT_NIC),
        "The 55 GB VM over SMB Multichannel on two 10 GbE NICs, both with jumbo frames: about 28 s. With events, "
        "topology (only the first NIC is a live-migration network) and pings.",
        link_efficiency=0.935, side_inputs=SideInputs(lm_networks=(_X710_JUMBO.description,)),
    ),
    Scenario(
        "drain-6x9gb-smb-2x10g",
        seed=206,
        transport="smb",
        nics=(_X710_JUMBO, _X710_2_JUMBO, _MANAGEMENT_NIC),
        link_efficiency=0.935,
        power_plan="High performance",
        migrations=drain((9e9 / 2**30,) * 6, start_s=15.0, every_s=12.0, at_a_time=2, dirty_rate_mb_s=50.0),
        idle_after_s=15.0,
        description="Six 9 GB VMs, two at a time, over SMB Multichannel on two 10 GbE NICs (jumbo frames).",
    ),
    _comparison_run(
        "smb-direct-2x10g-55gb", 207, "smb-direct", DEFAULT_NICS,
        "The 55 GB VM over SMB Direct (RDMA) on two 10 GbE RoCE NICs: the Network Interface counters stay quiet "
        "while RDMA Activity carries the bytes, and no receive core works.",
    ),
)
"""Scenarios whose output is committed under ``kit/sample/data/`` (``data/`` in a checkout)."""


def write_bundled(directory: str | Path) -> list[Path]:
    """Write every scenario of :data:`BUNDLED` under ``directory``; return all paths."""
    return [path for scenario in BUNDLED for path in write(scenario, directory)]


_DRAIN_GIB = (8.0, 4.0, 16.0, 6.0, 12.0, 8.0)


def _tcp_seed(
    name: str, seed: int, nic: Nic, rx_mb_s_per_core: float, description: str, **changes: Any
) -> Scenario:
    """TCP/IP over one NIC (+ management): by default one 16 GiB VM dirtying 200 MB/s."""
    return Scenario(
        name,
        seed=seed,
        transport="tcp",
        nics=(nic, _MANAGEMENT_NIC),
        rx_mb_s_per_core=rx_mb_s_per_core,
        vm_memory_gib=16.0,
        dirty_rate_mb_s=200.0,
        description=description,
        **changes,
    )


SEEDS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        _tcp_seed(
            "tcp-1x10g-mtu1500",
            101,
            _X710,
            1500.0,
            "TCP/IP over one 10 GbE NIC, MTU 1500, balanced plan: near line rate on 1 receive core.",
        ),
        _tcp_seed(
            "tcp-1x10g-jumbo",
            102,
            _X710_JUMBO,
            3000.0,
            "TCP/IP over one 10 GbE NIC, jumbo frames (MTU 9000): line rate, 1 lightly loaded core.",
        ),
        _tcp_seed(
            "tcp-1x10g-powersaver",
            103,
            _X710,
            800.0,
            "TCP/IP over one 10 GbE NIC, MTU 1500, power-saver plan: core-bound plateau below line rate with "
            "the one receive core near 100 % DPC + interrupt.",
            power_plan="Power saver",
            per_processor_nic_counters=True,
        ),
        BUNDLED[0],
        Scenario(
            "smb-direct-2x25g",
            seed=105,
            transport="smb-direct",
            nics=(*_CX5, _MANAGEMENT_NIC),
            description="SMB Direct (RDMA) over 2 x 25 GbE: bytes under RDMA Activity, receive CPU load vanishes.",
        ),
        Scenario(
            "back-and-forth-smb-2x10g",
            seed=106,
            migrations=(
                Migration("APP-VM02", 8.0, 250.0, 0.6, "forward", 20.0),
                Migration("APP-VM02", 8.0, 250.0, 0.6, "back", 60.0),
            ),
            idle_after_s=20.0,
            description="One 8 GiB VM HV01 -> HV02, idle, then HV02 -> HV01 over SMB 2 x 10 GbE.",
        ),
        Scenario(
            "drain-6-sequential-smb-2x10g",
            seed=107,
            migrations=drain(_DRAIN_GIB, start_s=20.0, every_s=20.0),
            idle_after_s=20.0,
            description="HV01 drained of 6 VMs (4-16 GiB) one after another over SMB 2 x 10 GbE.",
        ),
        Scenario(
            "drain-6-concurrent-2-smb-2x10g",
            seed=108,
            migrations=drain(_DRAIN_GIB, start_s=20.0, every_s=25.0, at_a_time=2),
            idle_after_s=20.0,
            per_processor_nic_counters=True,
            description="HV01 drained of 6 VMs two at a time over SMB 2 x 10 GbE: each pair shares the "
            "NICs and the same 2 x 4 receive cores.",
        ),
        _tcp_seed(
            "tcp-1x10g-jumbo-2-concurrent",
            109,
            _X710_JUMBO,
            3000.0,
            "Two 8 GiB VMs at once over TCP/IP on one 10 GbE NIC (jumbo): half the line rate each, one receive "
            "core per migration.",
            migrations=drain((8.0, 8.0), start_s=20.0, every_s=0.0, at_a_time=2),
            idle_after_s=20.0,
            per_processor_nic_counters=True,
        ),
        Scenario(
            "smb-multichannel-2x10g-no-lm-counters",
            seed=BUNDLED[0].seed,  # same rng draws: every value logged in both equals the bundled one
            log_live_migration_counters=False,
            cpu_object="Processor",
            hyperv_cpu_counters=False,
            description="As the bundled SMB 2 x 10 GbE test, logged without Hyper-V VM Live Migration or "
            "Hyper-V CPU counters and with the classic Processor object: windows come from NIC throughput.",
        ),
        # --- captures nobody here made look like these (issue 13): each class with its truth ---
        Scenario(
            "smb-direct-e810-rdma-names",
            seed=301,
            transport="smb-direct",
            nics=(_E810, _E810_2, _MANAGEMENT_NIC),
            vm_memory_gib=8.0,
            side_inputs=SideInputs(),
            description="SMB Direct over two 25 GbE Intel(R) E810 ports: RDMA Activity names them "
            "'Intel(R) … #2', Network Interface 'Intel[R] … _2'; one adapter must stay one NIC.",
        ),
        Scenario(
            "final-pass-between-samples-1s",
            seed=302,
            vm_memory_gib=8.0,
            dirty_rate_mb_s=900.0,
            blackout_s=0.45,
            description="Fast-dirtying VM: the short last passes fall between 1 s samples.",
        ),
        Scenario(
            "final-pass-between-samples-5s",
            seed=303,
            vm_memory_gib=8.0,
            dirty_rate_mb_s=900.0,
            blackout_s=0.45,
            interval_s=5.0,
            setup_s=5.2,
            teardown_s=5.2,
            idle_before_s=40.0,
            idle_after_s=40.0,
            description="The same at 5 s sampling: 'Is blackout' is rarely read 1.",
        ),
        Scenario(
            "destination-without-lm-counters",
            seed=304,
            vm_memory_gib=8.0,
            lm_counter_hosts=("source",),
            description="Only the source logged Hyper-V VM Live Migration: the destination is known from its bytes.",
        ),
        Scenario(
            "nic-drop-smb-2x10g",
            seed=305,
            vm_memory_gib=16.0,
            nic_drop=(1, 4.0),
            description="SMB Multichannel over 2 x 10 GbE; the second port's link drops 4 s into the transfer and "
            "the first carries the rest.",
        ),
        Scenario(
            "compression-1x10g",
            seed=306,
            transport="compression",
            nics=(_X710_JUMBO, _MANAGEMENT_NIC),
            vm_memory_gib=16.0,
            compression_ratio=2.0,
            description="Compression over one 10 GbE NIC (2:1): memory read twice the bytes on the wire.",
        ),
        Scenario(
            "zones-and-clock-offset",
            seed=307,
            vm_memory_gib=8.0,
            destination_tz=("GMT Standard Time", 0),
            clock_offset_s=2.37,
            description="The destination is set to London time (the source to Berlin) and its clock runs 2.37 s ahead.",
        ),
        Scenario(
            "german-cp1252-0.5s",
            seed=308,
            vm_memory_gib=8.0,
            interval_s=0.5,
            language="de",
            encoding="cp1252",
            tz_name="Mitteleuropäische Zeit",
            description="A German Windows at 0.5 s, cp1252: localized names (from the sourced table) and zone name.",
        ),
        Scenario(
            "german-utf16-0.5s",
            seed=309,
            vm_memory_gib=8.0,
            interval_s=0.5,
            language="de",
            encoding="utf-16",
            tz_name="Mitteleuropäische Zeit",
            description="The same in UTF-16 with a BOM.",
        ),
        Scenario(
            "collector-pause-1h",
            seed=310,
            vm_memory_gib=8.0,
            interval_s=5.0,
            setup_s=5.2,
            teardown_s=5.2,
            idle_before_s=3700.0,
            idle_after_s=30.0,
            pause=(20.0, 3600.0),
            start_local=datetime(2025, 11, 24, 9, 0, 0),
            description="The collectors paused for an hour on 24 November (no DST change that day), then the migration.",
        ),
    )
}
"""Scenarios the kit is checked against (not written to ``data/``): the comparison it is built
around, and one of each class of capture nobody here made (issue 13)."""
