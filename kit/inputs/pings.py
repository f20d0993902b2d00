"""A ping log of the VM as the analyses receive it: one row per probe, and how its times were set
(:func:`kit.io.side.pings.read_pings` reads the logs)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from kit.errors import LoadWarning

SCHEMA = {
    "time": pl.Datetime("us", "UTC"),
    "elapsed_s": pl.Float64,
    "seq": pl.Int64,
    "ok": pl.Boolean,
    "rtt_ms": pl.Float64,
    "status": pl.String,
    "target": pl.String,
    "source": pl.String,
    "line": pl.Int64,
}
"""Columns of :attr:`Pings.table`, one row per probe: ``time`` [UTC] (logged time, or the estimated
send time when the log has no timestamps), ``elapsed_s`` [s] since the first probe, ``seq`` (icmp_seq,
Test-Connection's Ping number, else the probe's ordinal), ``ok`` (a reply from the target),
``rtt_ms`` [ms] (null when lost), ``status`` (``reply``, ``timeout``, ``no-answer``, ``missing``,
``unreachable``, ``general-failure``, ``ttl-expired``, else the log's own word in lower case),
``target`` (the address ping shows, else the name given), and ``line`` (null for a missing
sequence number)."""

@dataclass(frozen=True)
class Pings:
    """Probes of one ping log (see :data:`SCHEMA`) and how their times were set."""

    table: pl.DataFrame
    warnings: tuple[LoadWarning, ...]
    source: str
    format: str
    """``windows-ping``, ``linux-ping``, ``test-connection-7``, ``test-connection-5``,
    ``test-connection-csv`` or ``win32-pingstatus-csv``."""
    interval_s: float
    """Probe interval. [s]"""
    interval_basis: str
    """``given``, ``inferred`` (median gap between consecutive replies) or ``default``."""
    time_basis: str
    """``log`` (timestamps in the file), ``start`` (start + modelled offsets) or ``none``."""

    def lost(self) -> pl.DataFrame:
        """The probes that got no reply from the target."""
        return self.table.filter(~pl.col("ok"))
