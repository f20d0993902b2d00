"""What a migration's own ``Hyper-V VM Live Migration`` counters say: its columns on either host,
the bytes each stage moved, the queues, and each VM's rate for splitting shared NIC bytes.

The instance ``<VM>:VM Live Migration`` exists on both hosts while the VM migrates; the source's
sends, the destination's receives (domain §2.3; meanings read from the names are UNCONFIRMED,
see :class:`~kit.analysis.results.LiveMigrationBytes`).
"""

from __future__ import annotations

import polars as pl

from kit.analysis.results import LiveMigrationBytes, Window
from kit.inputs.capture import Capture
from kit.inputs.timebase import amount, overlaps, read_within
from kit.vocabulary import (
    LIVE_MIGRATION,
    LIVE_MIGRATION_COUNTERS,
    LM_COMPRESSED_SENT_RATE,
    LM_CPU_CAP,
    LM_MEMORY_READ,
    LM_RECEIVER_COMPRESSED_RATE,
    LM_RECEIVER_DECOMPRESSED_RATE,
    LM_RECEIVER_PENDING_DECOMPRESSION,
    LM_RECEIVER_PENDING_WRITE,
    LM_RECEIVER_UNCOMPRESSED_RATE,
    LM_RECEIVER_WRITTEN_RATE,
    LM_SENT_FOR_COMPRESSION_RATE,
    LM_SMB_PENDING_SEND,
    LM_SMB_SENT_RATE,
    LM_TCP_PENDING_SEND,
    LM_TCP_SENT_RATE,
    LM_TRANSPORT_RATES,
    LM_UNCOMPRESSED_SENT_RATE,
    lm_instance,
)

SOURCE_RATES = {
    "smb": LM_SMB_SENT_RATE, "tcp": LM_TCP_SENT_RATE, "compression": LM_COMPRESSED_SENT_RATE,
    "memory": LM_MEMORY_READ, "uncompressed_sent": LM_UNCOMPRESSED_SENT_RATE,
    "sent_for_compression": LM_SENT_FOR_COMPRESSION_RATE,
}
"""Field of :class:`~kit.analysis.results.LiveMigrationBytes` → the source's rate counter. [bytes/s]"""
DESTINATION_RATES = {
    "written": LM_RECEIVER_WRITTEN_RATE, "decompressed": LM_RECEIVER_DECOMPRESSED_RATE,
    "compressed_received": LM_RECEIVER_COMPRESSED_RATE, "uncompressed_received": LM_RECEIVER_UNCOMPRESSED_RATE,
}
"""Field → the destination's rate counter. [bytes/s]"""
PENDING = {
    "send_pending_peak": ("source", (LM_TCP_PENDING_SEND, LM_SMB_PENDING_SEND)),
    "receive_pending_peak": ("destination", (LM_RECEIVER_PENDING_WRITE, LM_RECEIVER_PENDING_DECOMPRESSION)),
}
"""Field → (host role, the pending-bytes gauges summed). [bytes]"""


def lm_columns(capture: Capture, window: Window, *, role: str = "source") -> dict[str, str]:
    """Counter (its :mod:`kit.vocabulary` name) → column of the migration's live-migration
    instance on its ``source`` or ``destination`` host."""
    host = window.source if role == "source" else window.destination
    instance = window.instance or (lm_instance(window.vm) if window.vm else None)
    if not instance or not host:
        return {}
    cat = capture.lookup(host=host, object=LIVE_MIGRATION, instance=instance)
    by_name = dict(zip(cat["counter_en"].str.to_lowercase(), cat["column"]))
    return {name: by_name[name.lower()] for name in LIVE_MIGRATION_COUNTERS if name.lower() in by_name}


def lm_bytes(capture: Capture, window: Window) -> LiveMigrationBytes:
    """What the migration's own counters moved in the window, on both hosts (see
    :class:`~kit.analysis.results.LiveMigrationBytes`)."""
    out: dict[str, object] = {}
    for role, rates in (("source", SOURCE_RATES), ("destination", DESTINATION_RATES)):
        of = lm_columns(capture, window, role=role)
        out.update(_integrated(capture, window, {k: of[c] for k, c in rates.items() if c in of}))
    for field, (role, gauges) in PENDING.items():
        of = lm_columns(capture, window, role=role)
        columns = [of[g] for g in gauges if g in of]
        if columns:
            frame = capture.timebase.frame(columns, where=read_within(*window.span))
            out[field] = frame.select(pl.sum_horizontal(pl.col(columns).fill_null(0)).max()).item()
    cap = lm_columns(capture, window).get(LM_CPU_CAP)
    if cap:
        values = capture.timebase.frame([cap], where=read_within(*window.span))[cap].drop_nulls()
        out["cpu_cap"] = tuple(values.unique(maintain_order=True).to_list())
    return LiveMigrationBytes(**out)


def _integrated(capture: Capture, window: Window, columns: dict[str, str]) -> dict[str, float]:
    """Σ rate × interval of each of ``columns`` (field → column) over the window. [bytes]"""
    out: dict[str, float] = {}
    timebase = capture.timebase
    for group in timebase.by_source(list(columns.values())).values():
        frame = timebase.frame(group, where=overlaps(*window.span))
        sums = frame.select(amount(c).sum().alias(c) for c in group).row(0, named=True)
        out.update({key: sums[column] for key, column in columns.items() if column in group})
    return out


def wire_rate(capture: Capture, window: Window) -> pl.DataFrame | None:
    """The source's transport rate of this migration on its log's sample times: ``time``,
    ``rate`` (Σ of the SMB / TCP / compressed bytes sent [bytes/s]); None without those counters."""
    of = lm_columns(capture, window)
    columns = [of[c] for c in LM_TRANSPORT_RATES.values() if c in of]
    if not columns:
        return None
    frame = capture.timebase.frame(columns)
    return frame.select("time", rate=pl.sum_horizontal(pl.col(columns).fill_null(0)))
