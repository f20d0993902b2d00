"""The JSON the kit writes, made in one place: ``python -m kit analyze --json``, ``report.json`` and
``python -m kit info --json`` are all built here from the typed results and nowhere else.

Stable (README, "Report contract"): fields are only ever added; :data:`SCHEMA_VERSION` changes
when one changes meaning. Times are ISO 8601 UTC with milliseconds and ``Z`` (:func:`iso`);
Gbit/s = 10^9 bit/s; GB = 10^9 bytes; bytes as Windows counts them.

Where a JSON field is made: find its name in this module (each field is spelled out once, in the
function of the object it belongs to: :func:`to_dict` → :func:`migration_dict` → ``_nic``,
``_cores``, ``_leg``, ``_steady``, ``_blackout``, ``_channels``…).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import polars as pl

from kit.analysis.results import (
    GB,
    PERCENTILES,
    SIDE_INPUTS,
    Analysis,
    Blackout,
    Channels,
    ClockOffset,
    CoreSummary,
    Leg,
    LiveMigrationBytes,
    Migration,
    SideInput,
    Steadiness,
    gbps,
    utc_text,
)
from kit.inputs.capture import Capture, SourceInfo

SCHEMA_VERSION = 2
"""2: options.events/topology/pings say what was used (a count, or false), not whether the flag was given."""


def iso(value: datetime | None) -> str | None:
    """The one ISO 8601 form of a time in the kit's JSON: UTC, milliseconds, ``Z``.

    >>> from datetime import datetime, timezone
    >>> iso(datetime(2025, 2, 11, 13, 5, 17, 6000, tzinfo=timezone.utc))
    '2025-02-11T13:05:17.006Z'
    """
    return None if value is None else utc_text(value)


def kit_version() -> str:
    """The installed package's version (``unknown`` when run from a bare checkout)."""
    try:
        return version("hvlm-kit")
    except PackageNotFoundError:
        return "unknown"


def to_dict(analysis: Analysis) -> dict[str, Any]:
    """The report of an analysis, JSON-ready (README, "Report contract")."""
    return {
        "schema_version": SCHEMA_VERSION,
        "kit_version": kit_version(),
        "labels": analysis.labels,
        "options": _options(analysis),
        "capture": {**_capture_figures(analysis.capture), "sources": [s.path for s in analysis.capture.sources],
                    "load_warnings": len(analysis.capture.warnings), "clock": _clock(analysis.clock)},
        "inputs": {kind: _input(analysis.input(kind)) for kind in SIDE_INPUTS},
        "warnings": [asdict(g) for g in analysis.warning_groups()],
        "migrations": [migration_dict(m) for m in analysis.migrations],
    }


def migration_dict(m: Migration) -> dict[str, Any]:
    """One item of the report's ``migrations[]``."""
    w, t = m.window, m.throughput
    stats = t.stats
    mean = stats.mean_bytes_s
    return {
        "migration": w.number,
        "vm": w.vm,
        "instance": w.instance,
        "source": w.source,
        "destination": w.destination,
        "method": w.method,
        "start": iso(w.start),
        "end": iso(w.end),
        "duration_s": w.duration_s,
        "resolution_s": w.resolution_s,
        "concurrent_with": list(w.concurrent_with),
        "transport": m.transport,
        "transport_basis": m.transport_basis,
        "bytes_moved": t.bytes_moved,
        "gb_moved": None if t.bytes_moved is None else t.bytes_moved * GB,
        "bytes_basis": t.bytes_basis,
        "nic_bytes": t.nic_bytes,
        "shared_with": list(t.shared_with),
        "average_gbps": gbps(t.average_bytes_s),
        "mean_gbps": gbps(mean),
        **{f"p{p}_gbps": gbps(stats.percentile(p)) for p in PERCENTILES},
        "peak_gbps": gbps(stats.peak_bytes_s),
        "mean_gb_s": None if mean is None else mean * GB,
        "peak_gb_s": None if stats.peak_bytes_s is None else stats.peak_bytes_s * GB,
        "transfer_s": stats.transfer_s if t.host is not None else None,
        "link_gbps": None if t.link_bits_s is None else t.link_bits_s / 1e9,
        "pct_of_link": t.pct_of_link,
        "pct_of_ceiling": t.pct_of_ceiling,
        "mtu": t.mtu,
        "mtu_basis": t.mtu_basis,
        "vm_memory_gb": m.vm_memory_gb,
        "memory_gb_per_s": m.vm_memory_gb / w.duration_s if m.vm_memory_gb and w.duration_s else None,
        "memory_read_bytes": m.lm_bytes.memory,
        "lm_bytes": m.lm_bytes.transports,
        "live_migration_counters": _lm(m.lm_bytes),
        "steady": _steady(t.steadiness),
        "nics": [_nic(row, m.channels) for leg in m.legs for row in leg.nics.iter_rows(named=True)],
        "cores": [_cores(leg, m) for leg in m.legs],
        "legs": [_leg(leg) for leg in m.legs],
        "histogram": t.histogram.to_dicts(),
        "nic_stops": [
            {"host": x.host, "instance": x.instance, "nic": x.nic, "last_active": iso(x.last_active),
             "silent_from": iso(x.silent_from), "shares_before": x.shares_before, "shares_after": x.shares_after}
            for leg in m.legs for x in leg.nic_stops
        ],
        "gaps": [
            {"host": leg.host, "start": iso(start), "end": iso(end), "seconds": seconds}
            for leg in m.legs for start, end, seconds in leg.gaps.iter_rows()
        ],
        "findings": [f.text for f in m.findings],
        "finding_kinds": [f.kind for f in m.findings],
        "clock_offset_s": None if m.clock is None else m.clock.offset_s,
        "clock_uncertainty_s": None if m.clock is None else m.clock.uncertainty_s,
        "blackout": _blackout(m.blackout),
        "passes": rows(m.passes),
        "channels": _channels(m.channels),
        "lacking": list(m.lacking),
    }


def _lm(lm: LiveMigrationBytes) -> dict[str, Any]:
    return {**asdict(lm), "cpu_cap": list(lm.cpu_cap), "compression_ratio": lm.compression_ratio}


def _steady(s: Steadiness) -> dict[str, Any]:
    return {
        "plateau_gbps": gbps(s.plateau_bytes_s),
        "steady_s": s.steady_s,
        "cv": s.cv,
        "dip_fraction": s.dip_fraction,
        "dip_count": s.dip_count,
        "max_dip_depth": s.max_dip_depth,
        "mean_dip_depth": s.mean_dip_depth,
        "time_at_plateau_s": s.time_at_plateau_s,
        "at_plateau_share": s.at_plateau_share,
        "dips": [
            {"start": iso(d.start), "end": iso(d.end), "seconds": d.seconds, "depth": d.depth, "min_gbps": gbps(d.min_bytes_s)}
            for d in s.dips
        ],
    }


def _nic(row: dict[str, Any], channels: Channels) -> dict[str, Any]:
    link = row["link_bits_s"]
    topology = _topology_of(channels, row)
    return {
        "host": row["host"], "instance": row["instance"], "direction": row["direction"], "kind": row["kind"],
        "counted": row["counted"], "carried": row["carried"], "bytes": row["bytes"], "share": row["share"],
        "counter": row["counter"], "tcp_bytes": row["tcp_bytes"], "rdma_bytes": row["rdma_bytes"],
        "missing_s": row["missing_s"], "mean_gbps": gbps(row["mean_bytes_s"]), "peak_gbps": gbps(row["peak_bytes_s"]),
        "link_gbps": link / 1e9 if link else None, "pct_of_link": row["pct_of_link"], "pct_of_ceiling": row["pct_of_ceiling"],
        "bytes_per_packet": row["bytes_per_packet"], "mtu": row["mtu"], "mtu_basis": row["mtu_basis"],
        **topology,
        "nic": row["nic"],
    }


def _topology_of(channels: Channels, row: dict[str, Any]) -> dict[str, Any]:
    """The channel attribution's fields of one NIC row (null where it has none)."""
    keys = ("configured", "name", "selected", "current_channels", "smb_direct_connections")
    match = channels.nics.filter(
        (pl.col("host") == row["host"]) & (pl.col("nic") == row["nic"]) & (pl.col("direction") == row["direction"])
    )
    return match.select(keys).row(0, named=True) if match.height else dict.fromkeys(keys)


def _cores(leg: Leg, m: Migration) -> dict[str, Any]:
    s: CoreSummary = leg.core_summary
    carried = leg.nics.filter(pl.col("carried")).select("nic", nic_instance="instance")
    mine = leg.nic_cores.select("nic", "core").join(carried, on="nic", maintain_order="left")
    return {
        "host": leg.host, "role": leg.role,
        "active": list(s.active), "active_count": s.active_count,
        "expected_active": m.expected_cores if leg.role == "destination" else None,
        "effective": s.effective, "effective_shannon": s.effective_shannon,
        "hottest": [asdict(h) for h in s.hottest], "saturated": list(s.saturated),
        "saturated_root_vps": list(s.saturated_root_vps), "max_network_pct": s.max_network_pct,
        "max_to_mean": s.max_to_mean, "cores": s.cores, "baseline": s.baseline,
        "cpu_s": s.cpu_s, "network_cpu_s": s.network_cpu_s,
        "cpu_s_per_gb": s.cpu_s_per_gb, "network_cpu_s_per_gb": s.network_cpu_s_per_gb,
        "nic_cores": {nic: group["core"].to_list() for (nic,), group in mine.group_by("nic_instance", maintain_order=True)},
    }


def _leg(leg: Leg) -> dict[str, Any]:
    s = leg.stats
    return {
        "host": leg.host, "role": leg.role, "direction": leg.direction, "bytes": leg.bytes,
        "mean_gbps": gbps(s.mean_bytes_s),
        **{f"p{p}_gbps": gbps(s.percentile(p)) for p in PERCENTILES},
        "peak_gbps": gbps(s.peak_bytes_s), "transfer_s": s.transfer_s, "samples": s.samples,
        "cv": leg.steadiness.cv, "dip_count": leg.steadiness.dip_count,
    }


def _blackout(b: Blackout) -> dict[str, Any]:
    return {
        "estimate_s": b.estimate_s, "lower_s": b.lower_s, "upper_s": b.upper_s, "method": b.method,
        "basis": b.basis, "note": b.note, "methods": [asdict(m) for m in b.methods], "lacking": list(b.lacking),
    }


def _channels(c: Channels) -> dict[str, Any]:
    return {
        "imbalance": {i.host: {"nics": list(i.nics), "shares": list(i.shares), "spread": i.spread} for i in c.imbalance},
        "idle_selected": [{"host": i.host, "instance": i.instance, "name": i.name} for i in c.idle_selected],
        "mixed_speeds": {m.host: list(m.gbps) for m in c.mixed_speeds},
        "accounting": asdict(c.accounting),
        "lacking": list(c.lacking),
    }


def _clock(c: ClockOffset | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "source": c.source, "destination": c.destination, "method": c.method, "offset_s": c.offset_s,
        "uncertainty_s": c.uncertainty_s, "standard_error_s": c.standard_error_s, "samples": c.samples,
        "residual_bytes": c.residual_bytes, "bytes": c.bytes, "reason": c.reason,
        "reference": c.source, "moved": c.destination, "shifted": c.shifted,
    }


def _options(analysis: Analysis) -> dict[str, Any]:
    """The options; ``events``, ``topology`` and ``pings`` say what was used: the events, topology
    files or probes read, or false when none could be used (given or not)."""
    used = {kind: analysis.input(kind) for kind in SIDE_INPUTS}
    return {**asdict(analysis.options), **{kind: s.read if s.used else False for kind, s in used.items()}}


def _input(s: SideInput) -> dict[str, Any]:
    return {"given": s.given, "read": s.read, "used": s.used, "note": s.note, "warnings": len(s.warnings)}


def rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """A frame as JSON-ready rows, times as :func:`iso` text."""
    times = [c for c, t in frame.schema.items() if isinstance(t, pl.Datetime)]
    return frame.with_columns(pl.col(times).dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")).to_dicts()


# ---------------------------------------------------------------------------------------------
# What a capture holds (``python -m kit info --json``)


def _capture_figures(capture: Capture) -> dict[str, Any]:
    return {
        "hosts": capture.hosts,
        "rows": capture.data.height,
        "columns": capture.catalog.height,
        "start_utc": iso(capture.start),
        "end_utc": iso(capture.end),
        "interval_s": capture.interval_s,
    }


def source_dict(source: SourceInfo) -> dict[str, Any]:
    """One item of ``sources[]``: what a file was and how it was read."""
    return {**asdict(source), "hosts": list(source.hosts), "start": iso(source.start), "end": iso(source.end)}


def capture_dict(capture: Capture) -> dict[str, Any]:
    """What a capture holds (``python -m kit info --json``): ``hosts``, ``rows``, ``columns``,
    ``start_utc``, ``end_utc``, ``interval_s``, ``sources[]``, ``objects[]``, ``warnings[]``."""
    objects = (
        capture.catalog.group_by("host", "object_en", maintain_order=True)
        .agg(
            instances=pl.col("instance").drop_nulls().n_unique(),
            counters=pl.col("counter_en").unique(maintain_order=True),
            columns=pl.len(),
        )
        .rename({"object_en": "object"})
    )
    return {
        **_capture_figures(capture),
        "sources": [source_dict(s) for s in capture.sources],
        "objects": objects.to_dicts(),
        "warnings": [
            {"source": w.source, "code": w.code, "message": w.message, "line": w.line, "column": w.column}
            for w in capture.warnings
        ],
    }
