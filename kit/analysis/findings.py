"""Every plain-language finding of a migration, made in one place from its typed results.

Each :class:`~kit.analysis.results.Finding` has a stable ``kind`` (what views filter on) and a
sentence that quotes the figures it rests on, so a finding can never say something the figures do
not: the kinds, in the order they are listed, are

``found-by-throughput``, ``concurrent``, ``gap``, ``nic-stopped``, ``saturated-core``,
``cores-vs-expected``, ``dips``, ``back-pressure``, ``unexpected-nic``, ``imbalance``,
``idle-selected``, ``mixed-speeds``, ``rdma-and-tcp``, ``compression`` and
``blackout-disagreement``.
"""

from __future__ import annotations

import polars as pl

from kit.analysis.results import (
    GBPS,
    Blackout,
    Channels,
    Finding,
    Leg,
    LiveMigrationBytes,
    Migration,
    Throughput,
    Window,
)
from kit.inputs.timebase import hms

BACK_PRESSURE_S = 1.0
"""A receive queue holding this much of the transfer at its mean rate is back-pressure. [s]"""


def findings(
    window: Window,
    legs: tuple[Leg, ...],
    throughput: Throughput,
    *,
    transport: str | None,
    expected_cores: int | None,
    channels: Channels,
    blackout: Blackout,
    lm: LiveMigrationBytes = LiveMigrationBytes(),
) -> tuple[Finding, ...]:
    """What stands out in one migration, in the order of the module docstring."""
    return (
        *_window(window, throughput),
        *_gaps(legs),
        *_stops(legs),
        *_cores(legs, throughput, transport, expected_cores),
        *_dips(throughput),
        *_back_pressure(window, throughput, lm),
        *channel_findings(channels, transport, stopped={stop.host for leg in legs for stop in leg.nic_stops}),
        *([Finding("blackout-disagreement", blackout.note)] if blackout.note else []),
    )


def _window(window: Window, throughput: Throughput) -> list[Finding]:
    out = []
    if window.method == "throughput":
        out.append(Finding("found-by-throughput", "Found from NIC throughput: no live-migration counters cover this migration."))
    if window.concurrent_with:
        others = ", ".join(str(n) for n in window.concurrent_with)
        text = f"Ran at the same time as migration(s) {others}: the NIC figures include their traffic."
        if throughput.bytes_basis == "apportioned":
            text = (
                f"Ran at the same time as migration(s) {others}: of the {throughput.nic_bytes * 1e-9:.2f} GB its NICs "
                f"carried, {throughput.bytes_moved * 1e-9:.2f} GB were its own (each sample split by the VMs' own "
                "live-migration counters); the rates are of the shared NICs."
            )
        elif throughput.bytes_basis == "shared":
            text = (
                f"Ran at the same time as migration(s) {others}: the NIC figures, bytes included, are shared with them "
                "(not every one logged its live-migration counters to split them)."
            )
        out.append(Finding("concurrent", text))
    return out


def _gaps(legs: tuple[Leg, ...]) -> list[Finding]:
    return [
        Finding(
            "gap",
            f"{leg.host}'s log misses samples for {seconds:.1f} s before {hms(end)} UTC: the rate after the gap is "
            "its average over the whole gap.",
            host=leg.host,
        )
        for leg in legs for end, seconds in leg.gaps.select("end", "seconds").iter_rows()
    ]


def _stops(legs: tuple[Leg, ...]) -> list[Finding]:
    out = []
    for leg in legs:
        for stop in leg.nic_stops:
            order = list(stop.shares_before)
            before = " / ".join(f"{100 * stop.shares_before[n]:.0f} %" for n in order)
            after = " / ".join(f"{100 * stop.shares_after[n]:.0f} %" for n in order)
            out.append(Finding(
                "nic-stopped",
                f"NIC '{stop.instance}' on {leg.host} stopped carrying the migration after {hms(stop.last_active)} UTC "
                f"(silent from {hms(stop.silent_from)}) while the other NICs went on: shares of "
                f"{', '.join(repr(n) for n in order)} {before} before, {after} after (a link drop, a cable or a "
                "failover?).",
                host=leg.host, subject=stop.nic,
            ))
    return out


def _cores(legs: tuple[Leg, ...], throughput: Throughput, transport: str | None, expected: int | None) -> list[Finding]:
    out = []
    mean = throughput.stats.mean_bytes_s
    for leg in legs:
        for core in leg.core_summary.saturated:
            pct = leg.cores.filter(pl.col("core") == core)["network_pct"].item()
            out.append(Finding(
                "saturated-core",
                f"Core {core} on {leg.host} spent {pct:.0f} % in DPC + interrupt time: a single receive core at its "
                f"limit caps the throughput ({_fmt(None if mean is None else mean * GBPS)} Gbit/s, "
                f"{_fmt(throughput.pct_of_link)} % of link).",
                host=leg.host, subject=str(core),
            ))
    for leg in legs:
        summary = leg.core_summary
        if leg.role == "destination" and expected is not None and summary.active_count != expected and summary.baseline:
            out.append(Finding(
                "cores-vs-expected",
                f"{leg.host}: {summary.active_count} core(s) did receive work where {transport} over this migration's "
                f"NICs should keep {expected} busy.",
                host=leg.host,
            ))
    return out


def _dips(throughput: Throughput) -> list[Finding]:
    s = throughput.steadiness
    if not s.dip_count:
        return []
    return [Finding(
        "dips",
        f"Throughput dipped below {100 * s.dip_fraction:.0f} % of its {_fmt(s.plateau_bytes_s * GBPS)} Gbit/s plateau "
        f"{s.dip_count} time(s), deepest {100 * s.max_dip_depth:.0f} %.",
    )]


def _back_pressure(window: Window, throughput: Throughput, lm: LiveMigrationBytes) -> list[Finding]:
    """The destination's receive queue held over a second of the transfer (meaning UNCONFIRMED)."""
    mean = throughput.stats.mean_bytes_s
    if not lm.receive_pending_peak or not mean or lm.receive_pending_peak < BACK_PRESSURE_S * mean:
        return []
    return [Finding(
        "back-pressure",
        f"{window.destination}'s live-migration receiver queued up to {lm.receive_pending_peak / 1e6:.0f} MB waiting "
        f"to be written or decompressed, {lm.receive_pending_peak / mean:.1f} s of the transfer at its mean rate: the "
        "destination was not keeping up (disk, memory or CPU?). Read from the counter names 'Receiver: Bytes Pending "
        "Write' / 'Pending Decompression' (their meaning is not documented).",
        host=window.destination,
    )]


def channel_findings(channels: Channels, transport: str | None, *, stopped: set[str] = frozenset()) -> list[Finding]:
    """The findings of a channel attribution (``unexpected-nic`` … ``compression``); no
    ``imbalance`` on a host in ``stopped`` (a NIC that stopped explains it)."""
    out = []
    nics = channels.nics
    who = "SMB Multichannel" if transport and transport.startswith("smb") else "Live migration"
    unexpected = nics.filter(pl.col("carried") & (pl.col("configured") == False))  # noqa: E712
    for row in unexpected.unique("nic", keep="first", maintain_order=True).iter_rows(named=True):
        out.append(Finding(
            "unexpected-nic",
            f"{who} used NIC '{row['name'] or row['instance']}' on {row['host']}, which is not among the "
            f"live-migration networks; it carried {100 * (row['share'] or 0):.0f} % of the bytes.",
            host=row["host"], subject=row["nic"],
        ))
    for item in (i for i in channels.imbalance if i.host not in stopped):
        parts = ", ".join(f"'{n}' {100 * s:.0f} %" for n, s in zip(item.nics, item.shares))
        out.append(Finding(
            "imbalance",
            f"NICs of equal speed on {item.host} carried unequal shares ({parts}): a constraint, routing or RSS difference?",
            host=item.host,
        ))
    for idle in channels.idle_selected:
        out.append(Finding(
            "idle-selected", f"SMB selected NIC '{idle.name or idle.instance}' on {idle.host}, but it carried nothing.",
            host=idle.host, subject=idle.nic,
        ))
    for mixed in channels.mixed_speeds:
        out.append(Finding(
            "mixed-speeds",
            f"NICs of different speeds ({', '.join(f'{s:g}' for s in mixed.gbps)} Gbit/s) carried the migration on "
            f"{mixed.host}: SMB Multichannel never mixes speeds, so these are separate paths.",
            host=mixed.host,
        ))
    both = nics.filter((pl.col("rdma_bytes").fill_null(0) > 0) & (pl.col("tcp_bytes").fill_null(0) > 0.05 * pl.col("bytes")))
    for row in both.iter_rows(named=True):
        out.append(Finding(
            "rdma-and-tcp",
            f"NIC '{row['name'] or row['instance']}' on {row['host']} carried both RDMA ({row['rdma_bytes'] / 1e9:.2f} GB) "
            f"and TCP ({row['tcp_bytes'] / 1e9:.2f} GB) bytes.",
            host=row["host"], subject=row["nic"],
        ))
    accounting = channels.accounting
    if accounting.compression_ratio and accounting.compressed_bytes:
        out.append(Finding(
            "compression",
            f"Compression sent {accounting.compressed_bytes / 1e9:.2f} GB for {accounting.memory_bytes / 1e9:.2f} GB of "
            f"memory: ratio {accounting.compression_ratio:.2f}.",
        ))
    return out


def _fmt(value: float | None) -> str:
    return "?" if value is None else f"{value:.3g}"


def contradictions(migration: Migration) -> list[str]:
    """Every finding of ``migration`` that its own figures do not bear out (empty: none).

    A finding must never contradict a figure: a NIC said to have carried nothing carried under
    1 % of its host's bytes on every leg, a stopped NIC is silent after its stop, a saturated core
    reads ≥ 90 %, an unexpected NIC carried bytes and is not configured, and so on for every kind.
    """
    nics = migration.channels.nics
    legs = {leg.host: leg for leg in migration.legs}
    out = []
    for finding in migration.findings:
        leg = legs.get(finding.host)
        rows = nics.filter((pl.col("nic") == (finding.subject or "")) & (pl.col("host") == (finding.host or "")))
        checks = {
            "found-by-throughput": lambda: migration.window.method == "throughput",
            "concurrent": lambda: bool(migration.window.concurrent_with),
            "gap": lambda: leg is not None and leg.gaps.height > 0,
            "nic-stopped": lambda: leg is not None and any(
                s.nic == finding.subject and s.shares_after[s.instance] < 0.05 for s in leg.nic_stops
            ),
            "saturated-core": lambda: leg is not None
            and leg.cores.filter(pl.col("core") == int(finding.subject))["saturated"].any(),
            "cores-vs-expected": lambda: leg is not None and leg.core_summary.active_count != migration.expected_cores,
            "dips": lambda: migration.throughput.steadiness.dip_count > 0,
            "back-pressure": lambda: (migration.lm_bytes.receive_pending_peak or 0) > 0,
            "unexpected-nic": lambda: rows.height > 0 and rows["carried"].all() and (~rows["configured"]).all(),
            "imbalance": lambda: any(i.host == finding.host for i in migration.channels.imbalance),
            "idle-selected": lambda: rows.height > 0 and (rows["share"].fill_null(0) < 0.01).all()
            and nics.filter((pl.col("nic") == finding.subject) & pl.col("carried")).is_empty(),
            "mixed-speeds": lambda: any(m.host == finding.host for m in migration.channels.mixed_speeds),
            "rdma-and-tcp": lambda: rows.height > 0 and (rows["rdma_bytes"].fill_null(0) > 0).all(),
            "compression": lambda: bool(migration.channels.accounting.compressed_bytes),
            "blackout-disagreement": lambda: migration.blackout.note is not None,
        }
        ok = checks[finding.kind]() if finding.kind in checks else None
        if ok is None:
            out.append(f"unknown finding kind {finding.kind!r}: {finding.text}")
        elif not ok:
            out.append(f"{finding.kind} contradicts the figures: {finding.text}")
    return out
