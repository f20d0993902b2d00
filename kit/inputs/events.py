"""Hyper-V events of live migrations as the analyses receive them: one table of events, what was
skipped, and the files read (:func:`kit.io.side.events.read_events` reads them)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from kit.errors import LoadWarning

LIVE_MIGRATION_EVENTS = {
    20415: "live migration completed; blackout time in event data 2 [s]",
    20417: "live migration completed with an unexpectedly long blackout; blackout in event data 2 [s]",
    20418: "live migration completed (third-party description)",
    21024: "virtual machine migration failed at migration source",
    21502: "live migration failed (Hyper-V-High-Availability; the message names the cause)",
    22038: "cited with 21502 for authentication failures (third-party description)",
    22507: "live migration summary (Hyper-V-Worker; third-party description)",
    22508: "brownout, duration of the memory transfer (Hyper-V-Worker; third-party description)",
    22509: "blackout and dirty pages (Hyper-V-Worker; third-party description)",
}
"""Event ids of live migrations and what is known of them (§3.2; 20417's data layout as 20415's
is a third-party reading, UNCONFIRMED)."""
BLACKOUT_EVENTS = frozenset({20415, 20417})
SCHEMA = {
    "time": pl.Datetime("us", "UTC"),
    "host": pl.String,
    "provider": pl.String,
    "channel": pl.String,
    "event_id": pl.Int64,
    "record_id": pl.Int64,
    "level": pl.Int64,
    "vm": pl.String,
    "vm_id": pl.String,
    "blackout_s": pl.Float64,
    "blackout_resolution_s": pl.Float64,
    "message": pl.String,
    "source": pl.String,
    "record": pl.Int64,
    "line": pl.Int64,
}
"""Columns of :attr:`Events.table`: ``time`` [UTC]; ``host`` (Computer/MachineName); ``level``
(1 critical, 2 error, 3 warning, 4 information); ``vm_id`` upper-case GUID; ``blackout_s`` [s]
and ``blackout_resolution_s`` [s] (± half the last digit) only for 20415/20417; ``message`` the
rendered text where the export has one; ``record`` the 1-based ordinal of the event in its file
and ``line`` the line it starts on (null in .evtx)."""
@dataclass(frozen=True)
class EventSource:
    """One event file read by :func:`read_events`."""

    path: str
    format: str
    """``winevent-csv``, ``wevtutil-xml`` or ``evtx``."""
    encoding: str
    records: int
    """Events read from the file (kept or reported)."""
    time_basis: str
    """``utc`` (XML, EVTX), ``user-offset`` or ``assumed-utc`` (CSV without ``utc_offset``)."""


@dataclass(frozen=True)
class Events:
    """Hyper-V events (see :data:`SCHEMA`), what was skipped, and the files read."""

    table: pl.DataFrame
    warnings: tuple[LoadWarning, ...]
    sources: tuple[EventSource, ...]

    def blackouts(self) -> pl.DataFrame:
        """The events that carry a blackout time (20415, 20417), in time order."""
        return self.table.filter(pl.col("event_id").is_in(list(BLACKOUT_EVENTS)))

    def live_migration(self) -> pl.DataFrame:
        """The events of :data:`LIVE_MIGRATION_EVENTS`, in time order."""
        return self.table.filter(pl.col("event_id").is_in(list(LIVE_MIGRATION_EVENTS)))
