"""One call from a capture to every migration's figures: windows, throughput, cores, findings.

:func:`analyze` runs the pure analyses of :mod:`kit.windows`, :mod:`kit.throughput` and
:mod:`kit.cores` for each migration and keeps their frames (for charts and notebooks) together
with a JSON-ready report (``python -m kit analyze --json``; schema in the README, "Report
contract"). Units: Gbit/s = 10^9 bit/s, GB = 10^9 bytes, times UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version

import polars as pl

from kit.blackout import estimate_blackout, transfer_passes
from kit.capture import Capture
from kit.channels import attribute_channels
from kit.clock import clock_offset, shift_host
from kit.cores import (
    ACTIVE_PCT, SATURATED_PCT, core_frame, core_labels, core_spread, expected_receive_cores, idle_baseline, nic_cores,
)
from kit.io.events import Events
from kit.io.pings import Pings
from kit.io.topology import Topology
from kit.limits import l2_ceiling_bytes_s
from kit.nics import Traffic, host_traffic
from kit.series import Logs, gaps, overlaps
from kit.throughput import (
    DIP_FRACTION, GB, GBPS, PERCENTILES, cdf, histogram, leg_series, nic_bytes, rate_stats, steadiness,
)
from kit.windows import LM_OBJECT, find_migrations, given_windows

SCHEMA_VERSION = 1
LM_TRANSPORT_COUNTERS = {
    "smb": "smb transport: bytes sent/sec",
    "tcp": "tcp transport: bytes sent/sec",
    "compression": "compressor: compressed bytes sent/sec",
    "memory": "memory walker: bytes read/sec",
}
"""Live-migration counters (source side) that tell the transport, and the memory read. [bytes/s]"""
ROLE_DIRECTION = {"source": "sent", "destination": "received", "host": None}
"""Leg role → NIC direction; ``host``: a host with no NIC traffic, seen for its cores only."""


@dataclass(frozen=True)
class Leg:
    """One host's view of a migration: its NICs in one direction and its cores."""

    host: str
    role: str
    """``source`` (bytes sent), ``destination`` (bytes received) or ``host`` (no NIC traffic)."""
    direction: str | None
    series: pl.DataFrame
    """Per-sample rates (see :func:`kit.throughput.leg_series`). [bytes/s]"""
    nics: pl.DataFrame
    """Per-NIC bytes, share, link and MTU (see :func:`kit.throughput.nic_bytes`)."""
    stats: dict
    steadiness: dict
    histogram: pl.DataFrame
    cdf: pl.DataFrame
    gaps: pl.DataFrame
    """Missed samples inside the migration window: ``start``, ``end``, ``seconds``."""
    cores: pl.DataFrame
    core_summary: dict
    core_frame: pl.DataFrame
    """Per-core counters over the whole capture, wide (see :func:`kit.cores.core_frame`)."""
    core_labels: pl.DataFrame
    nic_cores: pl.DataFrame


@dataclass(frozen=True)
class Migration:
    """One migration: its window, its legs, and the JSON-ready report."""

    window: dict
    legs: tuple[Leg, ...]
    report: dict
    blackout: pl.DataFrame = field(default_factory=pl.DataFrame)
    """One row per blackout method with its bounds (see :func:`kit.blackout.estimate_blackout`)."""
    passes: pl.DataFrame = field(default_factory=pl.DataFrame)
    """Transfer passes (see :func:`kit.blackout.transfer_passes`)."""
    channels: dict = field(default_factory=dict)
    """Channel attribution (see :func:`kit.channels.attribute_channels`)."""


@dataclass(frozen=True)
class Analysis:
    """Every migration of a capture (see :func:`analyze`)."""

    windows: pl.DataFrame
    migrations: tuple[Migration, ...]
    traffic: dict[tuple[str, str], pl.DataFrame] = field(default_factory=dict)
    """NIC rates over the whole capture per (host, direction ``sent``/``received``), wide:
    ``time``, ``prev``, ``dt_s``, ``gap``, one column per NIC and ``total_bytes_s`` (the counted
    NICs) [bytes/s]. Downsample before charting a long capture."""
    labels: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)
    capture: dict = field(default_factory=dict)
    """What was analysed: hosts, time range, interval, sources and load warnings."""

    def to_dict(self) -> dict:
        """The report as a JSON-ready dict (schema in the README, "Report contract")."""
        return {
            "schema_version": SCHEMA_VERSION,
            "kit_version": _kit_version(),
            "labels": self.labels,
            "options": self.options,
            "capture": self.capture,
            "migrations": [m.report for m in self.migrations],
        }

    def table(self) -> pl.DataFrame:
        """One row per migration with the headline figures (what :func:`kit.comparison.compare` stacks)."""
        rows = [_headline(m.report) for m in self.migrations]
        return pl.DataFrame(rows, schema=HEADLINE_SCHEMA)


HEADLINE_SCHEMA = {
    "migration": pl.Int64, "vm": pl.String, "source": pl.String, "destination": pl.String,
    "transport": pl.String, "method": pl.String, "start": pl.String, "duration_s": pl.Float64,
    "bytes_moved": pl.Float64, "mean_gbps": pl.Float64, "p5_gbps": pl.Float64, "p50_gbps": pl.Float64,
    "p95_gbps": pl.Float64, "p99_gbps": pl.Float64, "peak_gbps": pl.Float64, "pct_of_link": pl.Float64,
    "pct_of_ceiling": pl.Float64, "cv": pl.Float64, "dip_count": pl.Int64, "at_plateau_share": pl.Float64,
    "nics_carrying": pl.Int64, "active_cores": pl.Int64, "expected_cores": pl.Int64,
    "effective_cores": pl.Float64, "max_core_pct": pl.Float64, "cpu_s_per_gb": pl.Float64,
    "network_cpu_s_per_gb": pl.Float64,
}
"""Columns of :meth:`Analysis.table`: units as in the report (Gbit/s, %, s, bytes, s/GB)."""


def analyze(
    capture: Capture,
    *,
    windows: Iterable[Sequence[object]] | pl.DataFrame | None = None,
    vm_memory_gb: float | None = None,
    mtu: int | None = None,
    transport: str | None = None,
    labels: Mapping[str, object] | None = None,
    dip_fraction: float = DIP_FRACTION,
    bin_width_gbps: float | None = None,
    active_pct: float = ACTIVE_PCT,
    saturated_pct: float = SATURATED_PCT,
    events: Events | None = None,
    topology: Topology | None = None,
    pings: Pings | None = None,
    align_clocks: bool = True,
) -> Analysis:
    """Find every migration in ``capture`` (or use ``windows``) and measure it.

    With two hosts, their clock offset is first estimated from the traffic (source's bytes sent
    against destination's bytes received) and, where it exceeds its uncertainty, the destination
    is moved onto the source's clock (``capture["clock"]`` and each report's ``clock_offset_s``).

    Parameters
    ----------
    windows
        Migration windows to use instead of finding them: ``(start, end[, vm])`` items or a frame
        (see :func:`kit.windows.given_windows`).
    vm_memory_gb
        VM memory, for the memory-transfer rate. [GB, 10^9 bytes]
    mtu
        MTU of the migration NICs (default: inferred from bytes per packet, else 1500). [bytes]
    transport
        ``tcp``, ``compression``, ``smb`` or ``smb-direct`` (default: from the live-migration
        counters, RDMA bytes or the NIC count).
    labels
        User metadata of the run (MTU, power plan, NIC count…), copied into the report.
    dip_fraction
        Dip threshold and plateau band, as a share of the plateau. [1]
    bin_width_gbps
        Histogram bin width (default: Freedman–Diaconis, rounded). [Gbit/s]
    active_pct, saturated_pct
        Core thresholds on DPC + interrupt time: over idle to count as active, absolute to count
        as saturated. [%]
    events, topology, pings
        Side inputs (:func:`kit.io.events.read_events`, :func:`kit.io.topology.read_topology`,
        :func:`kit.io.pings.read_pings`) for the blackout and the channel attribution; each
        analysis runs on what there is and lists what it lacked.
    align_clocks
        Estimate and remove the clock offset between two hosts.
    """
    logs = Logs.of(capture)
    traffic = host_traffic(capture, logs=logs)
    clock = _clock(capture, traffic) if align_clocks else None
    if clock is not None and clock["shifted"]:
        capture = shift_host(capture, clock["moved"], clock["offset_s"])
        logs = Logs.of(capture)
        traffic = host_traffic(capture, logs=logs)
    found = (
        find_migrations(capture, logs=logs, traffic=traffic) if windows is None
        else given_windows(capture, windows, traffic=traffic)
    )
    all_windows = list(zip(found["start"].to_list(), found["end"].to_list()))
    frames = {host: core_frame(capture, host, logs=logs) for host in capture.hosts}
    samples = {
        host: (frame, core_labels(capture, host), idle_baseline(frame, all_windows)) for host, frame in frames.items()
    }
    options = {
        "vm_memory_gb": vm_memory_gb, "mtu": mtu, "transport": transport, "dip_fraction": dip_fraction,
        "bin_width_gbps": bin_width_gbps, "active_pct": active_pct, "saturated_pct": saturated_pct,
        "windows": "given" if windows is not None else "found",
        "events": events is not None, "topology": topology is not None, "pings": pings is not None,
    }
    sides = {"events": events, "topology": topology, "pings": pings, "clock": clock}
    migrations = tuple(
        _migration(logs, traffic, window, samples, options, sides) for window in found.iter_rows(named=True)
    )
    summary = capture.summary()
    return Analysis(
        windows=found,
        migrations=migrations,
        traffic=_traffic(logs),
        labels=dict(labels or {}),
        options=options,
        capture={k: summary[k] for k in ("hosts", "rows", "columns", "start_utc", "end_utc", "interval_s")}
        | {"sources": [s.path for s in capture.sources], "load_warnings": len(capture.warnings), "clock": clock},
    )


def _clock(capture: Capture, traffic: Traffic) -> dict | None:
    """With two hosts: their clock offset from the traffic (:func:`kit.nics.host_traffic`).

    The host that sent most is taken as the reference; the other is to move onto its clock
    (:func:`kit.clock.shift_host`) when the offset exceeds its uncertainty. Returns the clock dict
    (:func:`kit.clock.clock_offset` plus ``reference``, ``moved`` and ``shifted``) or None with
    fewer or more than two hosts.
    """
    hosts = list(dict.fromkeys(host for host, _ in traffic))
    if len(hosts) != 2 or len(capture.hosts) != 2:
        return None
    sent = {h: (f["sent_bytes_s"].fill_null(0) * f["dt_s"].fill_null(0)).sum() for h, f in traffic}
    reference = max(hosts, key=lambda h: sent[h])
    other = next(h for h in hosts if h != reference)
    clock = clock_offset(capture, reference, other, traffic=traffic)
    offset, uncertainty = clock.get("offset_s"), clock.get("uncertainty_s")
    shifted = offset is not None and uncertainty is not None and abs(offset) > uncertainty
    return {**clock, "reference": reference, "moved": other, "shifted": shifted}


def _traffic(logs: Logs) -> dict[tuple[str, str], pl.DataFrame]:
    """NIC rates of every host and direction over the whole capture (see ``Analysis.traffic``)."""
    capture = logs.capture
    out = {}
    if capture.start is None:
        return out
    for host in capture.hosts:
        for direction in ("sent", "received"):
            series, _ = leg_series(
                capture, host=host, direction=direction, start=capture.start, end=capture.end, logs=logs
            )
            if series.height:
                out[(host, direction)] = series.drop("phase")
    return out


def _migration(
    logs: Logs,
    traffic: Traffic,
    window: dict,
    samples: dict[str, tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None]],
    options: dict,
    sides: dict,
) -> Migration:
    """One migration's legs, report and side analyses; ``traffic``: :func:`kit.nics.host_traffic`."""
    start, end = window["start"], window["end"]
    legs = tuple(
        _leg(logs, host, role, window, samples[host], options) for host, role in _roles(logs.capture, window, traffic)
    )
    lm_bytes = _lm_bytes(logs, window)
    transport, basis = _transport(legs, options["transport"], lm_bytes)
    report = _report(window, legs, transport, basis, options, lm_bytes)
    extra = _side_analyses(logs, traffic, window, legs, report, sides)
    return Migration(window={**window, "start": start, "end": end}, legs=legs, report=report, **extra)


def _side_analyses(
    logs: Logs, traffic: Traffic, window: dict, legs: tuple[Leg, ...], report: dict, sides: dict
) -> dict:
    """Blackout, passes and channel attribution of one migration, added to its report."""
    capture = logs.capture
    clock = sides["clock"]
    aligned = None if clock is None else {"offset_s": 0.0, "uncertainty_s": clock.get("uncertainty_s") or 0.0}
    passes = transfer_passes(capture, window, logs=logs)
    methods, blackout = estimate_blackout(
        capture, window, events=sides["events"], pings=sides["pings"], clock=aligned,
        logs=logs, traffic=traffic, passes=passes,
    )
    channels = attribute_channels(
        legs, topology=sides["topology"], capture=capture, lm_bytes=report["lm_bytes"] or None,
        memory_bytes=report["memory_read_bytes"], transport=report["transport"],
    )
    report["clock_offset_s"] = None if clock is None else clock.get("offset_s")
    report["clock_uncertainty_s"] = None if clock is None else clock.get("uncertainty_s")
    report["blackout"] = {k: blackout[k] for k in ("estimate_s", "lower_s", "upper_s", "method", "basis", "note")} | {
        "methods": _plain_rows(methods)
    }
    report["passes"] = _plain_rows(passes)
    configured = {
        (r["host"], r["instance"], r["direction"]): r for r in channels["nics"].iter_rows(named=True)
    }
    for item in report["nics"]:
        extra = configured.get((item["host"], item["instance"], item["direction"]), {})
        item.update({k: extra.get(k) for k in ("configured", "name", "selected", "current_channels", "smb_direct_connections")})
    report["channels"] = {k: channels[k] for k in ("imbalance", "idle_selected", "mixed_speeds", "accounting")}
    report["findings"] += channels["findings"] + ([blackout["note"]] if blackout.get("note") else [])
    report["lacking"] = blackout["lacking"] + channels["lacking"]
    return {"blackout": methods, "passes": passes, "channels": channels}


def _plain_rows(frame: pl.DataFrame) -> list[dict]:
    """A frame as JSON-ready rows (times as ISO 8601 UTC)."""
    times = [c for c, t in frame.schema.items() if isinstance(t, pl.Datetime)]
    return frame.with_columns(pl.col(times).dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")).to_dicts()


def _roles(capture: Capture, window: dict, traffic: Traffic) -> list[tuple[str, str]]:
    """(host, role) of every host with a view of the migration: known roles first, then the
    other hosts by the direction of their traffic in the window (:func:`kit.nics.host_traffic`)."""
    roles = [(window[r], r) for r in ("source", "destination") if window[r] in capture.hosts]
    known = {h for h, _ in roles}
    for host, frame in traffic:
        if host in known:
            continue
        inside = frame.filter(overlaps(window["start"], window["end"]))
        sent = (inside["sent_bytes_s"].fill_null(0) * inside["dt_s"]).sum()
        received = (inside["received_bytes_s"].fill_null(0) * inside["dt_s"]).sum()
        if max(sent, received) > 0:
            roles.append((host, "source" if sent > received else "destination"))
            known.add(host)
    return roles + [(host, "host") for host in capture.hosts if host not in known]


def _leg(
    logs: Logs,
    host: str,
    role: str,
    window: dict,
    samples: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None],
    options: dict,
) -> Leg:
    capture = logs.capture
    direction = ROLE_DIRECTION[role]
    start, end = window["start"], window["end"]
    series, nic_cols = leg_series(
        capture, host=host, direction=direction or "received", start=start, end=end, logs=logs
    )
    if direction is None:
        series, nic_cols = series.clear(), nic_cols.clear()
    nics = nic_bytes(
        capture, nic_cols, direction=direction or "received", start=start, end=end, mtu=options["mtu"], logs=logs
    )
    nics = nics.join(_nic_rates(series, nics["instance"].to_list()), on="instance", how="left")
    transfer = series.filter(pl.col("phase") == "transfer")
    span = (transfer["prev"].min(), transfer["time"].max()) if transfer.height else (start, end)
    bytes_moved = nics.filter(pl.col("carried"))["bytes"].sum()
    frame, labels, baseline = samples
    cores, summary = core_spread(
        frame, span=span, window=(start, end), baseline=baseline, labels=labels, bytes_moved=bytes_moved or None,
        active_pct=options["active_pct"], saturated_pct=options["saturated_pct"],
    )
    return Leg(
        host=host, role=role, direction=direction, series=series, nics=nics,
        stats=rate_stats(series), steadiness=steadiness(series, dip_fraction=options["dip_fraction"]),
        histogram=histogram(series, bin_width_gbps=options["bin_width_gbps"]), cdf=cdf(series),
        gaps=gaps(series), cores=cores, core_summary=summary, core_frame=frame, core_labels=labels,
        nic_cores=nic_cores(capture, host, span=span, logs=logs),
    )


def _nic_rates(series: pl.DataFrame, instances: list[str]) -> pl.DataFrame:
    """Mean and peak rate of each NIC over the transfer samples. [bytes/s]"""
    rows = []
    for name in instances:
        if name in series.columns:
            stats = rate_stats(series, column=name)
            rows.append({"instance": name, "mean_bytes_s": stats["mean_bytes_s"], "peak_bytes_s": stats["peak_bytes_s"]})
    return pl.DataFrame(rows, schema={"instance": pl.String, "mean_bytes_s": pl.Float64, "peak_bytes_s": pl.Float64})


def _transport(legs: tuple[Leg, ...], given: str | None, sent: dict[str, float]) -> tuple[str | None, str]:
    """The migration's transport and how it was told (``given``, ``counters``, ``rdma``, ``nics``);
    ``sent``: :func:`_lm_bytes`. [bytes]"""
    if given:
        return given, "given"
    rdma = sum(leg.nics["rdma_bytes"].fill_null(0).sum() for leg in legs)
    wire = sum(leg.nics.filter(pl.col("carried"))["bytes"].sum() for leg in legs)
    mostly_rdma = wire > 0 and rdma > wire / 2
    if sent.get("compression", 0) > 0:
        return "compression", "counters"
    if sent.get("smb", 0) > 0:
        return ("smb-direct" if mostly_rdma else "smb"), "counters"
    if sent.get("tcp", 0) > 0:
        return "tcp", "counters"
    if mostly_rdma:
        return "smb-direct", "rdma"
    carrying = max((leg.nics.filter(pl.col("carried") & (pl.col("kind") == "physical")).height for leg in legs), default=0)
    if carrying >= 2:
        return "smb", "nics"
    return None, "unknown"


def _lm_bytes(logs: Logs, window: dict) -> dict[str, float]:
    """Bytes of each transport counter of the migration's instance on its source. [bytes]"""
    if not window.get("instance") or not window.get("source"):
        return {}
    cat = logs.capture.catalog.filter(
        (pl.col("host") == window["source"]) & (pl.col("instance") == window["instance"])
        & (pl.col("object_en").str.to_lowercase() == LM_OBJECT)
    ).with_columns(counter=pl.col("counter_en").str.to_lowercase())
    wanted = {row["counter"]: row["column"] for row in cat.iter_rows(named=True)}
    columns = {k: wanted[c] for k, c in LM_TRANSPORT_COUNTERS.items() if c in wanted}
    out: dict[str, float] = {}
    for group in logs.by_source(list(columns.values())).values():
        frame = logs.frame(group, where=overlaps(window["start"], window["end"]))
        for key, column in columns.items():
            if column in group:
                out[key] = (frame[column].fill_null(0) * frame["dt_s"]).sum()
    return out


# ---------------------------------------------------------------------------------------------
# The report


def _report(
    window: dict, legs: tuple[Leg, ...], transport: str | None, basis: str, options: dict, lm: dict[str, float]
) -> dict:
    """The JSON-ready report of one migration; ``lm``: :func:`_lm_bytes`. [bytes]"""
    primary = next((leg for leg in legs if leg.role == "source"), legs[0] if legs else None)
    stats = primary.stats if primary else {}
    steady = primary.steadiness if primary else {}
    carried = primary.nics.filter(pl.col("carried")) if primary else pl.DataFrame()
    bytes_moved = carried["bytes"].sum() if primary else None
    link = carried["link_bits_s"].sum() if primary and carried.height else None
    ceiling = (
        sum(l2_ceiling_bytes_s(r["link_bits_s"], r["mtu"]) for r in carried.iter_rows(named=True) if r["link_bits_s"])
        if primary else None
    )
    mean = stats.get("mean_bytes_s")
    destination = next((leg for leg in legs if leg.role == "destination"), None)
    flows = 1 + len(window["concurrent_with"])
    tcp_nics = destination.nics.filter(pl.col("carried") & (pl.col("tcp_bytes").fill_null(0) > 0)).height if destination else 0
    expected = expected_receive_cores(transport, nics=tcp_nics, flows=flows)
    report = {
        "migration": window["migration"],
        "vm": window["vm"],
        "instance": window["instance"],
        "source": window["source"],
        "destination": window["destination"],
        "method": window["method"],
        "start": _iso(window["start"]),
        "end": _iso(window["end"]),
        "duration_s": window["duration_s"],
        "resolution_s": window["resolution_s"],
        "concurrent_with": window["concurrent_with"],
        "transport": transport,
        "transport_basis": basis,
        "bytes_moved": bytes_moved,
        "gb_moved": bytes_moved * GB if bytes_moved is not None else None,
        "average_gbps": _gbps(bytes_moved / window["duration_s"]) if bytes_moved and window["duration_s"] else None,
        "mean_gbps": _gbps(mean),
        **{f"p{p}_gbps": _gbps(stats.get(f"p{p}_bytes_s")) for p in PERCENTILES},
        "peak_gbps": _gbps(stats.get("peak_bytes_s")),
        "mean_gb_s": mean * GB if mean is not None else None,
        "peak_gb_s": stats["peak_bytes_s"] * GB if stats.get("peak_bytes_s") is not None else None,
        "transfer_s": stats.get("transfer_s"),
        "link_gbps": link / 1e9 if link else None,
        "pct_of_link": 100 * mean / (link / 8) if mean and link else None,
        "pct_of_ceiling": 100 * mean / ceiling if mean and ceiling else None,
        "mtu": carried["mtu"].to_list()[0] if primary and carried.height else None,
        "mtu_basis": carried["mtu_basis"].to_list()[0] if primary and carried.height else None,
        "vm_memory_gb": options["vm_memory_gb"],
        "memory_gb_per_s": options["vm_memory_gb"] / window["duration_s"] if options["vm_memory_gb"] and window["duration_s"] else None,
        "memory_read_bytes": lm.get("memory"),
        "lm_bytes": {k: v for k, v in lm.items() if k != "memory"},
        "steady": {
            "plateau_gbps": _gbps(steady.get("plateau_bytes_s")),
            "steady_s": steady.get("steady_s"),
            "cv": steady.get("cv"),
            "dip_fraction": options["dip_fraction"],
            "dip_count": steady.get("dip_count"),
            "max_dip_depth": steady.get("max_dip_depth"),
            "mean_dip_depth": steady.get("mean_dip_depth"),
            "time_at_plateau_s": steady.get("time_at_plateau_s"),
            "at_plateau_share": steady.get("at_plateau_share"),
            "dips": [
                {**d, "start": _iso(d["start"]), "end": _iso(d["end"]), "min_gbps": _gbps(d.pop("min_bytes_s", None))}
                for d in [dict(x) for x in steady.get("dips", [])]
            ],
        },
        "nics": [_nic_item(row) for leg in legs for row in leg.nics.iter_rows(named=True)],
        "cores": [_core_item(leg, expected) for leg in legs],
        "legs": [_leg_item(leg) for leg in legs],
        "histogram": primary.histogram.to_dicts() if primary else [],
        "gaps": [
            {"host": leg.host, "start": _iso(g["start"]), "end": _iso(g["end"]), "seconds": g["seconds"]}
            for leg in legs for g in leg.gaps.iter_rows(named=True)
        ],
    }
    report["findings"] = _findings(report, legs)
    return report


def _nic_item(row: dict) -> dict:
    link = row["link_bits_s"]
    mean = row["mean_bytes_s"]
    return {
        "host": row["host"], "instance": row["instance"], "direction": row["direction"], "kind": row["kind"],
        "counted": row["counted"], "carried": row["carried"], "bytes": row["bytes"], "share": row["share"],
        "counter": row["counter"], "tcp_bytes": row["tcp_bytes"], "rdma_bytes": row["rdma_bytes"], "missing_s": row["missing_s"],
        "mean_gbps": _gbps(mean), "peak_gbps": _gbps(row["peak_bytes_s"]),
        "link_gbps": link / 1e9 if link else None,
        "pct_of_link": 100 * mean / (link / 8) if mean is not None and link else None,
        "pct_of_ceiling": 100 * mean / l2_ceiling_bytes_s(link, row["mtu"]) if mean is not None and link else None,
        "bytes_per_packet": row["bytes_per_packet"], "mtu": row["mtu"], "mtu_basis": row["mtu_basis"],
    }


def _core_item(leg: Leg, expected: int | None) -> dict:
    s = leg.core_summary
    carried = set(leg.nics.filter(pl.col("carried"))["instance"].to_list())
    return {
        "host": leg.host, "role": leg.role,
        "active": s.get("active", []), "active_count": s.get("active_count", 0),
        "expected_active": expected if leg.role == "destination" else None,
        "effective": s.get("effective"), "effective_shannon": s.get("effective_shannon"),
        "hottest": s.get("hottest", []), "saturated": s.get("saturated", []),
        "saturated_root_vps": s.get("saturated_root_vps", []), "max_network_pct": s.get("max_network_pct"),
        "max_to_mean": s.get("max_to_mean"), "cores": s.get("cores", 0), "baseline": s.get("baseline"),
        "cpu_s": s.get("cpu_s"), "network_cpu_s": s.get("network_cpu_s"),
        "cpu_s_per_gb": s.get("cpu_s_per_gb"), "network_cpu_s_per_gb": s.get("network_cpu_s_per_gb"),
        "nic_cores": {
            nic: group["core"].to_list()
            for (nic,), group in leg.nic_cores.group_by("instance", maintain_order=True)
            if nic in carried
        },
    }


def _leg_item(leg: Leg) -> dict:
    s = leg.stats
    return {
        "host": leg.host, "role": leg.role, "direction": leg.direction,
        "bytes": leg.nics.filter(pl.col("carried"))["bytes"].sum(),
        "mean_gbps": _gbps(s["mean_bytes_s"]),
        **{f"p{p}_gbps": _gbps(s[f"p{p}_bytes_s"]) for p in PERCENTILES},
        "peak_gbps": _gbps(s["peak_bytes_s"]), "transfer_s": s["transfer_s"], "samples": s["samples"],
        "cv": leg.steadiness["cv"], "dip_count": leg.steadiness["dip_count"],
    }


def _findings(report: dict, legs: tuple[Leg, ...]) -> list[str]:
    """Plain-language sentences on what stands out."""
    out = []
    if report["method"] == "throughput":
        out.append("Found from NIC throughput: no live-migration counters cover this migration.")
    if report["concurrent_with"]:
        others = ", ".join(str(n) for n in report["concurrent_with"])
        out.append(f"Ran at the same time as migration(s) {others}: the NIC figures include their traffic.")
    for gap in report["gaps"]:
        out.append(
            f"{gap['host']}'s log misses samples for {gap['seconds']:.1f} s before {gap['end']}: the rate "
            "after the gap is its average over the whole gap."
        )
    for leg in legs:
        s = leg.core_summary
        for core in s.get("saturated", []):
            pct = leg.cores.filter(pl.col("core") == core)["network_pct"].item()
            out.append(
                f"Core {core} on {leg.host} spent {pct:.0f} % in DPC + interrupt time: a single receive "
                f"core at its limit caps the throughput ({_fmt(report['mean_gbps'])} Gbit/s, "
                f"{_fmt(report['pct_of_link'])} % of link)."
            )
    for item in report["cores"]:
        expected, seen = item["expected_active"], item["active_count"]
        if expected is not None and seen != expected and item["baseline"] is not None:
            out.append(
                f"{item['host']}: {seen} core(s) did receive work where {report['transport']} over this "
                f"migration's NICs should keep {expected} busy."
            )
    steady = report["steady"]
    if steady["dip_count"]:
        out.append(
            f"Throughput dipped below {100 * steady['dip_fraction']:.0f} % of its {_fmt(steady['plateau_gbps'])} "
            f"Gbit/s plateau {steady['dip_count']} time(s), deepest {100 * steady['max_dip_depth']:.0f} %."
        )
    return out


def _headline(report: dict) -> dict:
    destination = next((c for c in report["cores"] if c["role"] == "destination"), None)
    cores = destination or (report["cores"][0] if report["cores"] else {})
    return {
        **{k: report[k] for k in ("migration", "vm", "source", "destination", "transport", "method", "start",
                                  "duration_s", "bytes_moved", "mean_gbps", "p5_gbps", "p50_gbps", "p95_gbps",
                                  "p99_gbps", "peak_gbps", "pct_of_link", "pct_of_ceiling")},
        "cv": report["steady"]["cv"], "dip_count": report["steady"]["dip_count"],
        "at_plateau_share": report["steady"]["at_plateau_share"],
        "nics_carrying": sum(1 for n in report["nics"] if n["carried"] and n["host"] == report["source"]) or
        sum(1 for n in report["nics"] if n["carried"]),
        "active_cores": cores.get("active_count"), "expected_cores": cores.get("expected_active"),
        "effective_cores": cores.get("effective"), "max_core_pct": cores.get("max_network_pct"),
        "cpu_s_per_gb": cores.get("cpu_s_per_gb"), "network_cpu_s_per_gb": cores.get("network_cpu_s_per_gb"),
    }


def _gbps(value: float | None) -> float | None:
    return None if value is None else value * GBPS


def _fmt(value: float | None) -> str:
    return "?" if value is None else f"{value:.3g}"


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _kit_version() -> str:
    try:
        return version("hvlm-kit")
    except PackageNotFoundError:
        return "unknown"
