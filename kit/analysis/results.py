"""What the analyses return: typed, immutable results (frozen dataclasses).

One :class:`Analysis` per capture holds one :class:`Migration` per migration; a migration has its
:class:`Window`, a :class:`Leg` per host (its NICs in one direction and its cores), the headline
:class:`Throughput`, the :class:`Blackout`, the :class:`Channels`, the :class:`ClockOffset` of
the two hosts and the plain-language :class:`Finding` s. Per-sample and per-item tables (rates,
NICs, cores, passes, histogram bins) stay polars frames, documented where they are made.

Units are in the field names or their docstrings: rates in bytes/s (``*_bytes_s``), bytes as
Windows counts them (with each frame's 14-byte MAC header), times UTC, durations in seconds.
Charts, widgets, the command line and the JSON report (:mod:`kit.contract`) read these types.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from kit.errors import LoadWarning
from kit.inputs.capture import Capture

GBPS = 8e-9
"""bytes/s → Gbit/s (10^9 bit/s)."""
GB = 1e-9
"""bytes → GB (10^9 bytes)."""
PERCENTILES = (5, 50, 95, 99)
"""Percentiles of the transfer rate that every result carries. [%]"""
WARNING_TEXT_CHARS = 200
"""Longest text a warning group quotes of its first warning. [characters]"""
SIDE_INPUTS = ("events", "topology", "pings")
"""The side inputs of an analysis, in the order :attr:`Analysis.inputs` lists them."""
READ_UNITS = {"events": "event(s)", "topology": "export file(s)", "pings": "probe(s)"}
"""What :attr:`SideInput.read` counts, per side input."""


@dataclass(frozen=True)
class Window:
    """When a migration ran, between which hosts, for which VM, and how that was found."""

    number: int
    """Migrations are numbered from 1 in order of start."""
    vm: str | None
    instance: str | None
    """The ``Hyper-V VM Live Migration`` instance, where the counters name it."""
    source: str | None
    """The sending host (from its counters, else its traffic; None only when no host sent)."""
    destination: str | None
    start: datetime
    """UTC, right to ± :attr:`resolution_s`."""
    end: datetime
    duration_s: float
    """[s], right to ± :attr:`resolution_s`."""
    resolution_s: float
    """[s]"""
    method: str
    """``counters``, ``throughput`` or ``given``."""
    concurrent_with: tuple[int, ...] = ()
    """Numbers of the migrations whose windows overlap this one."""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Window:
        """A window from a row of :data:`kit.analysis.windows.WINDOW_SCHEMA`."""
        return cls(
            number=row["migration"], vm=row["vm"], instance=row["instance"], source=row["source"],
            destination=row["destination"], start=row["start"], end=row["end"], duration_s=row["duration_s"],
            resolution_s=row["resolution_s"], method=row["method"], concurrent_with=tuple(row["concurrent_with"] or ()),
        )

    @property
    def span(self) -> tuple[datetime, datetime]:
        """``(start, end)`` [UTC]."""
        return self.start, self.end


@dataclass(frozen=True)
class RateStats:
    """A rate over the transfer samples (see :func:`kit.analysis.throughput.rate_stats`). [bytes/s]"""

    mean_bytes_s: float | None
    """Time-weighted mean."""
    p5_bytes_s: float | None
    p50_bytes_s: float | None
    p95_bytes_s: float | None
    p99_bytes_s: float | None
    peak_bytes_s: float | None
    transfer_s: float
    """Time the transfer samples cover. [s]"""
    samples: int

    def percentile(self, p: int) -> float | None:
        """The ``p``-th percentile, ``p`` in :data:`PERCENTILES`. [bytes/s]"""
        return getattr(self, f"p{p}_bytes_s")


@dataclass(frozen=True)
class Dip:
    """A run of steady-state samples below the dip threshold."""

    start: datetime
    end: datetime
    seconds: float
    min_bytes_s: float
    depth: float
    """1 − min ÷ plateau. [1]"""


@dataclass(frozen=True)
class Steadiness:
    """Plateau, steady state and "jig-saw" dips of a rate (see
    :func:`kit.analysis.throughput.steadiness`)."""

    dip_fraction: float
    """The dip threshold and plateau band, as a share of the plateau. [1]"""
    plateau_bytes_s: float | None = None
    steady_s: float = 0.0
    cv: float | None = None
    """Coefficient of variation in the steady state. [1]"""
    dip_count: int = 0
    max_dip_depth: float | None = None
    mean_dip_depth: float | None = None
    time_at_plateau_s: float = 0.0
    at_plateau_share: float | None = None
    dips: tuple[Dip, ...] = ()


@dataclass(frozen=True)
class HotCore:
    """One of the busiest cores of a host in a migration. [% of one core]"""

    core: int
    label: str | None = None
    network_pct: float | None = None
    """DPC + interrupt time."""
    dpc_pct: float | None = None
    interrupt_pct: float | None = None
    processor_pct: float | None = None
    root_vp_run_pct: float | None = None


@dataclass(frozen=True)
class CoreSummary:
    """How one host's cores carried a migration (see :func:`kit.analysis.cores.core_spread`)."""

    cores: int = 0
    active: tuple[int, ...] = ()
    """Cores ≥ ``active_pct`` points over their idle level."""
    effective: float | None = None
    """1 / Σ share² of the excess load. [cores]"""
    effective_shannon: float | None = None
    """exp(Shannon entropy) of the excess shares. [cores]"""
    hottest: tuple[HotCore, ...] = ()
    saturated: tuple[int, ...] = ()
    saturated_root_vps: tuple[int, ...] = ()
    max_network_pct: float | None = None
    max_to_mean: float | None = None
    cpu_s: float | None = None
    """Core-seconds over idle in the window, all CPU. [s]"""
    network_cpu_s: float | None = None
    """Core-seconds over idle in the window, DPC + interrupt. [s]"""
    cpu_s_per_gb: float | None = None
    network_cpu_s_per_gb: float | None = None
    baseline: str | None = None
    """``idle`` (from the samples outside every migration), ``none``, or None without cores."""

    @property
    def active_count(self) -> int:
        return len(self.active)


@dataclass(frozen=True)
class NicStop:
    """A NIC that stopped carrying a migration while the others went on (a link drop, a pulled
    cable, SMB failing over to another channel)."""

    host: str
    instance: str
    nic: str
    """The NIC key (:func:`kit.identity.nic_key`)."""
    last_active: datetime
    """The last sample in which it still carried bytes [UTC]; it went silent in the interval
    after it, by :attr:`silent_from`."""
    silent_from: datetime
    """The first sample it read (next to) nothing in [UTC]."""
    shares_before: dict[str, float]
    """Each carrying NIC's share of the leg's transfer bytes up to :attr:`last_active`. [1]"""
    shares_after: dict[str, float]
    """… and after it. [1]"""


@dataclass(frozen=True)
class Leg:
    """One host's view of a migration: its NICs in one direction and its cores."""

    host: str
    role: str
    """``source`` (bytes sent), ``destination`` (bytes received) or ``host`` (no NIC traffic)."""
    direction: str | None
    """``sent``, ``received`` or None (``host``)."""
    series: pl.DataFrame
    """Per-sample rates (see :func:`kit.analysis.throughput.leg_series`). [bytes/s]"""
    nics: pl.DataFrame
    """Per-NIC bytes, share, link and MTU (see :func:`kit.analysis.throughput.nic_bytes`)."""
    stats: RateStats
    steadiness: Steadiness
    histogram: pl.DataFrame
    cdf: pl.DataFrame
    gaps: pl.DataFrame
    """Missed samples inside the migration window: ``start``, ``end``, ``seconds``."""
    cores: pl.DataFrame
    core_summary: CoreSummary
    core_frame: pl.DataFrame
    """Per-core counters over the whole capture, wide (see :func:`kit.analysis.cores.core_frame`)."""
    core_labels: pl.DataFrame
    nic_cores: pl.DataFrame
    nic_stops: tuple[NicStop, ...] = ()
    """Carrying NICs that went silent mid-migration (see :func:`kit.analysis.throughput.nic_stops`)."""

    @property
    def bytes(self) -> float:
        """Bytes of the NICs that carried the migration. [bytes]"""
        return self.nics.filter(pl.col("carried"))["bytes"].sum()


@dataclass(frozen=True)
class Throughput:
    """A migration's headline throughput: its source's carrying NICs (else the first leg with
    traffic), against the link and the MTU's ceiling."""

    host: str | None
    bytes_moved: float | None
    """This migration's bytes [bytes]: its carrying NICs' bytes, or, when migrations ran at the
    same time, its share of them (see :attr:`bytes_basis`)."""
    average_bytes_s: float | None
    """``bytes_moved`` ÷ the window's duration. [bytes/s]"""
    stats: RateStats
    steadiness: Steadiness
    histogram: pl.DataFrame
    link_bits_s: float | None
    """Σ Current Bandwidth of the carrying NICs. [bit/s]"""
    ceiling_bytes_s: float | None
    """Σ L2 ceiling of the carrying NICs at their MTU. [bytes/s]"""
    pct_of_link: float | None
    pct_of_ceiling: float | None
    mtu: int | None
    mtu_basis: str | None
    nic_bytes: float | None = None
    """All the bytes the carrying NICs moved in the window (shared by :attr:`shared_with`). [bytes]"""
    bytes_basis: str = "nics"
    """``nics`` (the NICs' bytes, this migration's alone), ``apportioned`` (each sample's NIC
    bytes split by the concurrent migrations' own live-migration transport rates) or ``shared``
    (concurrent, and not every one logged those counters: the NICs' bytes, shared)."""
    shared_with: tuple[int, ...] = ()
    """Numbers of the migrations that shared these NICs' bytes (same source, overlapping)."""
    stats_shared: bool = False
    """The rate statistics are of the NICs' traffic, shared with :attr:`shared_with`."""


@dataclass(frozen=True)
class LiveMigrationBytes:
    """What the VM's own ``Hyper-V VM Live Migration`` counters say of the migration (None where
    not logged). Bytes over the window [bytes]; pending gauges at their peak [bytes].

    Meanings are read from the counter names (Microsoft documents none of them: UNCONFIRMED):
    the source's memory walker reads the VM's memory and sends it uncompressed or for
    compression, the compressor sends compressed bytes, the transports (SMB or TCP) put them on
    the wire; the destination's receiver takes them in (compressed or not), decompresses and
    writes them. Pending bytes are queues: a receiver whose pending bytes reach a second's worth
    of the transfer is not keeping up (back-pressure).
    """

    smb: float | None = None
    """``SMB Transport: Bytes Sent/sec`` on the source."""
    tcp: float | None = None
    """``TCP Transport: Bytes Sent/sec`` on the source."""
    compression: float | None = None
    """``Compressor: Compressed Bytes Sent/sec`` on the source."""
    memory: float | None = None
    """``Memory Walker: Bytes Read/sec`` on the source: memory the walker read."""
    uncompressed_sent: float | None = None
    """``Memory Walker: Uncompressed Bytes Sent/sec``."""
    sent_for_compression: float | None = None
    """``Memory Walker: Bytes Sent for Compression/sec``."""
    written: float | None = None
    """``Receiver: Bytes Written/sec`` on the destination: memory it wrote."""
    decompressed: float | None = None
    """``Receiver: Decompressed Bytes/sec`` on the destination."""
    compressed_received: float | None = None
    """``Receiver: Compressed Bytes Received/sec`` on the destination."""
    uncompressed_received: float | None = None
    """``Receiver: Uncompressed Bytes Received/sec`` on the destination."""
    send_pending_peak: float | None = None
    """Peak of ``TCP Transport: Bytes Pending Send`` + ``SMB Transport: Pending Send Bytes`` on the source."""
    receive_pending_peak: float | None = None
    """Peak of ``Receiver: Bytes Pending Write`` + ``Receiver: Bytes Pending Decompression`` on the destination."""
    cpu_cap: tuple[float, ...] = ()
    """``Transfer pass: CPU Cap`` as recorded: its distinct values, in order (unit UNCONFIRMED)."""

    @property
    def transports(self) -> dict[str, float]:
        """Transport → bytes, for the transport counters that were logged."""
        return {k: v for k, v in (("smb", self.smb), ("tcp", self.tcp), ("compression", self.compression)) if v is not None}

    @property
    def compression_ratio(self) -> float | None:
        """Memory sent for compression ÷ compressed bytes sent (else memory read ÷ compressed). [1]"""
        memory = self.sent_for_compression or self.memory
        return memory / self.compression if memory and self.compression else None


@dataclass(frozen=True)
class BlackoutMethod:
    """One method's bounds on the blackout. [s]"""

    method: str
    estimate_s: float
    lower_s: float
    upper_s: float | None
    """None: the method gives no upper bound."""
    basis: str
    """How, in words."""


@dataclass(frozen=True)
class Blackout:
    """The blackout by every method its inputs allowed, combined (see
    :func:`kit.analysis.blackout.estimate_blackout`). [s]"""

    estimate_s: float | None = None
    lower_s: float | None = None
    upper_s: float | None = None
    method: str | None = None
    """``event-20415``, a method, methods joined by ``+`` for an intersection, or None."""
    basis: str | None = None
    note: str | None = None
    """Where methods disagree, which and why."""
    methods: tuple[BlackoutMethod, ...] = ()
    lacking: tuple[str, ...] = ()
    """What each method that gave nothing lacked."""

    def table(self) -> pl.DataFrame:
        """The methods as a frame: ``method``, ``estimate_s``, ``lower_s``, ``upper_s``, ``basis``."""
        schema = {"method": pl.String, "estimate_s": pl.Float64, "lower_s": pl.Float64, "upper_s": pl.Float64,
                  "basis": pl.String}
        return pl.DataFrame([m.__dict__ for m in self.methods], schema=schema)


@dataclass(frozen=True)
class Imbalance:
    """Carrying NICs of equal speed on one host with unequal shares."""

    host: str
    nics: tuple[str, ...]
    shares: tuple[float, ...]
    spread: float
    """(max − min) ÷ mean of the shares. [1]"""


@dataclass(frozen=True)
class IdleChannel:
    """A NIC SMB selected that carried nothing."""

    host: str
    instance: str
    name: str | None
    nic: str | None = None
    """The NIC key."""


@dataclass(frozen=True)
class MixedSpeeds:
    """Carrying NICs of different speeds on one host."""

    host: str
    gbps: tuple[float, ...]


@dataclass(frozen=True)
class Accounting:
    """Transport accounting from the live-migration counters. [bytes]"""

    smb_bytes: float | None = None
    tcp_bytes: float | None = None
    compressed_bytes: float | None = None
    wire_bytes: float | None = None
    memory_bytes: float | None = None
    compression_ratio: float | None = None
    """Memory read ÷ bytes on the wire. [1]"""


@dataclass(frozen=True)
class Channels:
    """Which NICs carried a migration against what was configured (see
    :func:`kit.analysis.channels.attribute_channels`)."""

    nics: pl.DataFrame
    imbalance: tuple[Imbalance, ...] = ()
    idle_selected: tuple[IdleChannel, ...] = ()
    mixed_speeds: tuple[MixedSpeeds, ...] = ()
    accounting: Accounting = field(default_factory=Accounting)
    lacking: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClockOffset:
    """How far one host's clock was ahead of the other's, from their traffic (see
    :func:`kit.analysis.clock.clock_offset`)."""

    source: str
    """The reference host (the one that sent)."""
    destination: str
    """The host whose clock is measured against it."""
    offset_s: float | None = None
    """Destination time − source time of the same instant. [s]"""
    uncertainty_s: float | None = None
    """± bound that the true offset lies within. [s]"""
    standard_error_s: float | None = None
    samples: int = 0
    residual_bytes: float | None = None
    bytes: float | None = None
    reason: str | None = None
    """Why there is no offset (None when there is one)."""
    method: str = "cumulative-bytes"
    shifted: bool = False
    """The destination's samples were moved onto the source's clock before the analysis."""

    @property
    def known(self) -> bool:
        return self.offset_s is not None and self.uncertainty_s is not None

    @property
    def significant(self) -> bool:
        """The offset exceeds its uncertainty."""
        return self.known and abs(self.offset_s) > self.uncertainty_s


@dataclass(frozen=True)
class Finding:
    """A plain-language sentence on what stands out, with a stable ``kind`` to filter on."""

    kind: str
    text: str
    host: str | None = None
    subject: str | None = None
    """What it is about, where one thing: the NIC key of a NIC finding, the core of a core finding."""

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class WarningGroup:
    """The warnings of one code from one input: how many, and the first one."""

    input: str
    """``capture``, ``events``, ``topology`` or ``pings``."""
    code: str
    """The warning code (:attr:`kit.errors.LoadWarning.code`)."""
    count: int
    message: str
    """The first warning's message, cut to :data:`WARNING_TEXT_CHARS` (``…`` marks a cut)."""
    where: str
    """The first warning's file, with ``:line`` where it has one."""

    def __str__(self) -> str:
        return f"{self.input} [{self.code}] ×{self.count}: {self.where}: {self.message}"


def warning_groups(warnings: Iterable[LoadWarning], *, input: str) -> tuple[WarningGroup, ...]:
    """``warnings`` of one input grouped by code, in order of first appearance.

    >>> from kit.errors import LoadWarning
    >>> found = [LoadWarning("a.csv", "bad-value", "x" * 300, line=7), LoadWarning("a.csv", "bad-value", "y")]
    >>> [(g.code, g.count, len(g.message), g.where) for g in warning_groups(found, input="capture")]
    [('bad-value', 2, 200, 'a.csv:7')]
    """
    frame = pl.DataFrame(
        [(w.code, w.message, w.source if w.line is None else f"{w.source}:{w.line}") for w in warnings],
        schema={"code": pl.String, "message": pl.String, "where": pl.String}, orient="row",
    )
    cut = pl.col("message").str.len_chars() > WARNING_TEXT_CHARS
    grouped = frame.group_by("code", maintain_order=True).agg(
        count=pl.len(), message=pl.col("message").first(), where=pl.col("where").first()
    ).with_columns(
        message=pl.when(cut).then(pl.col("message").str.slice(0, WARNING_TEXT_CHARS - 1) + "…").otherwise("message")
    )
    return tuple(WarningGroup(input=input, **row) for row in grouped.iter_rows(named=True))


@dataclass(frozen=True)
class SideInput:
    """What one side input (events, topology, pings) gave an analysis (see
    :func:`kit.analysis.sides.side_inputs`)."""

    kind: str
    """``events``, ``topology`` or ``pings``."""
    given: bool
    read: int = 0
    """Events, topology files or probes read. [1]"""
    used: bool = False
    """Something of it reached the analyses: events read, a topology export read, probes timed
    within the capture."""
    note: str | None = None
    """Why it was not used (None when it was, or was not given)."""
    warnings: tuple[LoadWarning, ...] = ()
    """What its reader skipped or doubted."""


@dataclass(frozen=True)
class Options:
    """The options an analysis ran with (see :func:`kit.analysis.analyze.analyze`)."""

    vm_memory_gb: float | None = None
    mtu: int | None = None
    transport: str | None = None
    dip_fraction: float = 0.9
    bin_width_gbps: float | None = None
    active_pct: float = 5.0
    saturated_pct: float = 90.0
    windows: str = "found"
    """``found`` or ``given``."""
    events: bool = False
    """Events were given (what was read and used: :attr:`Analysis.inputs`)."""
    topology: bool = False
    """A topology was given."""
    pings: bool = False
    """A ping log was given."""
    align_clocks: bool = True


@dataclass(frozen=True)
class Migration:
    """One migration: its window, its legs, and everything measured of it."""

    window: Window
    legs: tuple[Leg, ...]
    throughput: Throughput
    transport: str | None
    """``tcp``, ``compression``, ``smb``, ``smb-direct`` or None."""
    transport_basis: str
    """``given``, ``counters``, ``rdma``, ``nics`` or ``unknown``."""
    expected_cores: int | None
    """Receive cores the transport should keep busy on the destination. [cores]"""
    lm_bytes: LiveMigrationBytes
    """What the VM's own live-migration counters say (:class:`LiveMigrationBytes`)."""
    blackout: Blackout
    passes: pl.DataFrame
    """Transfer passes (see :func:`kit.analysis.blackout.transfer_passes`)."""
    channels: Channels
    clock: ClockOffset | None
    vm_memory_gb: float | None
    findings: tuple[Finding, ...] = ()

    @property
    def number(self) -> int:
        return self.window.number

    @property
    def source_leg(self) -> Leg | None:
        return next((leg for leg in self.legs if leg.role == "source"), None)

    @property
    def destination_leg(self) -> Leg | None:
        return next((leg for leg in self.legs if leg.role == "destination"), None)

    def leg(self, host: str) -> Leg:
        """The leg of ``host``."""
        return next(leg for leg in self.legs if leg.host == host)

    @property
    def lacking(self) -> tuple[str, ...]:
        """What the blackout methods and the channel attribution could not use."""
        return self.blackout.lacking + self.channels.lacking

    @property
    def label(self) -> str:
        """``#1 SQL-VM01 HV01 → HV02``."""
        route = f" {self.window.source or '?'} → {self.window.destination or '?'}"
        return f"#{self.number} {self.window.vm or ''}".rstrip() + route


@dataclass(frozen=True)
class Analysis:
    """Every migration of a capture (see :func:`kit.analysis.analyze.analyze`)."""

    capture: Capture
    """The capture analysed (with the partner host moved onto the reference clock, see :attr:`clock`)."""
    windows: pl.DataFrame
    migrations: tuple[Migration, ...]
    traffic: dict[tuple[str, str], pl.DataFrame]
    """NIC rates over the whole capture per (host, direction ``sent``/``received``), wide:
    ``time``, ``prev``, ``dt_s``, ``gap``, one column per NIC and ``total_bytes_s`` (the counted
    NICs) [bytes/s]. Downsample before charting a long capture."""
    options: Options
    labels: dict[str, Any] = field(default_factory=dict)
    clock: ClockOffset | None = None
    inputs: tuple[SideInput, ...] = ()
    """What each side input (:data:`SIDE_INPUTS`) gave the analysis, with its warnings."""

    def input(self, kind: str) -> SideInput:
        """The side input ``kind`` (``events``, ``topology`` or ``pings``); not given if absent."""
        return next((s for s in self.inputs if s.kind == kind), SideInput(kind, given=False))

    def warning_groups(self) -> tuple[WarningGroup, ...]:
        """The capture's load warnings, then each side input's, grouped by code."""
        groups = warning_groups(self.capture.warnings, input="capture")
        return groups + tuple(g for s in self.inputs for g in warning_groups(s.warnings, input=s.kind))

    def table(self) -> pl.DataFrame:
        """One row per migration with the headline figures (:data:`HEADLINE_SCHEMA`)."""
        return pl.DataFrame([_headline(m) for m in self.migrations], schema=HEADLINE_SCHEMA)


HEADLINE_SCHEMA = {
    "migration": pl.Int64, "vm": pl.String, "source": pl.String, "destination": pl.String,
    "transport": pl.String, "method": pl.String, "start": pl.Datetime("us", "UTC"), "duration_s": pl.Float64,
    "bytes_moved": pl.Float64, "mean_gbps": pl.Float64, "p5_gbps": pl.Float64, "p50_gbps": pl.Float64,
    "p95_gbps": pl.Float64, "p99_gbps": pl.Float64, "peak_gbps": pl.Float64, "pct_of_link": pl.Float64,
    "pct_of_ceiling": pl.Float64, "cv": pl.Float64, "dip_count": pl.Int64, "at_plateau_share": pl.Float64,
    "nics_carrying": pl.Int64, "active_cores": pl.Int64, "expected_cores": pl.Int64,
    "effective_cores": pl.Float64, "max_core_pct": pl.Float64, "cpu_s_per_gb": pl.Float64,
    "network_cpu_s_per_gb": pl.Float64,
}
"""Columns of :meth:`Analysis.table`: Gbit/s, %, s, bytes, s/GB; ``start`` UTC."""


def gbps(value: float | None) -> float | None:
    """bytes/s → Gbit/s (None stays None)."""
    return None if value is None else value * GBPS


def utc_text(value: datetime) -> str:
    """A time as the kit writes it everywhere (JSON, messages): ISO 8601 UTC, milliseconds, ``Z``.

    >>> from datetime import datetime, timezone
    >>> utc_text(datetime(2025, 2, 11, 13, 5, 17, 6000, tzinfo=timezone.utc))
    '2025-02-11T13:05:17.006Z'
    """
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _headline(m: Migration) -> dict[str, Any]:
    t = m.throughput
    cores_leg = m.destination_leg or (m.legs[0] if m.legs else None)
    cores = cores_leg.core_summary if cores_leg else CoreSummary()
    source_nics = m.source_leg.nics.filter(pl.col("carried")).height if m.source_leg else 0
    all_nics = sum(leg.nics.filter(pl.col("carried")).height for leg in m.legs if leg.direction)
    return {
        "migration": m.number, "vm": m.window.vm, "source": m.window.source, "destination": m.window.destination,
        "transport": m.transport, "method": m.window.method, "start": m.window.start, "duration_s": m.window.duration_s,
        "bytes_moved": t.bytes_moved, "mean_gbps": gbps(t.stats.mean_bytes_s),
        **{f"p{p}_gbps": gbps(t.stats.percentile(p)) for p in PERCENTILES},
        "peak_gbps": gbps(t.stats.peak_bytes_s), "pct_of_link": t.pct_of_link, "pct_of_ceiling": t.pct_of_ceiling,
        "cv": t.steadiness.cv, "dip_count": t.steadiness.dip_count, "at_plateau_share": t.steadiness.at_plateau_share,
        "nics_carrying": source_nics or all_nics,
        "active_cores": cores.active_count if cores_leg else None,
        "expected_cores": m.expected_cores if m.destination_leg else None,
        "effective_cores": cores.effective, "max_core_pct": cores.max_network_pct,
        "cpu_s_per_gb": cores.cpu_s_per_gb, "network_cpu_s_per_gb": cores.network_cpu_s_per_gb,
    }
