"""Who did what in a migration: each host's role and the transport it used.

* Roles: the hosts the window names (from their live-migration counters) first, then every other
  host by the direction of its NIC traffic in the window (sends more → source, else destination);
  a host with no traffic is seen for its cores only (``host``). A role the window left open (the
  destination logged no live-migration instance, say) is filled from the traffic, so every role is
  named wherever the bytes show it.
* Transport (domain §4): given; else from the live-migration counters (compressed bytes →
  Compression; SMB bytes → SMB, or SMB Direct when most bytes went over RDMA; TCP bytes → TCP/IP);
  else RDMA bytes → SMB Direct; else two or more physical NICs carrying → SMB; else unknown.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from kit.analysis.nics import moved, traffic_hosts
from kit.analysis.results import Leg, LiveMigrationBytes, Window
from kit.analysis.throughput import mostly_rdma
from kit.inputs.capture import Capture
from kit.inputs.timebase import overlaps

ROLE_DIRECTION = {"source": "sent", "destination": "received", "host": None}
"""Leg role → NIC direction; ``host``: a host with no NIC traffic, seen for its cores only."""


def roles(capture: Capture, window: Window) -> list[tuple[str, str]]:
    """``(host, role)`` of every host of the capture in one migration (see the module docstring)."""
    known = [(host, role) for host, role in ((window.source, "source"), (window.destination, "destination"))
             if host in capture.hosts]
    seen = {host for host, _ in known}
    inside = overlaps(*window.span)
    for host in traffic_hosts(capture):
        if host in seen:
            continue
        sent, received = (moved(capture, host, d, where=inside) for d in ("sent", "received"))
        if max(sent, received) > 0:
            known.append((host, "source" if sent > received else "destination"))
            seen.add(host)
    return known + [(host, "host") for host in capture.hosts if host not in seen]


def named(window: Window, legs: list[tuple[str, str]]) -> Window:
    """``window`` with a source or destination it left open filled from the hosts' ``(host,
    role)``, where exactly one host took that role."""
    filled = {}
    for role in ("source", "destination"):
        hosts = [host for host, r in legs if r == role]
        if getattr(window, role) is None and len(hosts) == 1:
            filled[role] = hosts[0]
    return replace(window, **filled) if filled else window


def transport(legs: tuple[Leg, ...], given: str | None, sent: LiveMigrationBytes) -> tuple[str | None, str]:
    """The migration's transport and how it was told (``given``, ``counters``, ``rdma``,
    ``nics`` or ``unknown``)."""
    if given:
        return given, "given"
    directed = [leg.nics.filter(pl.col("carried")) for leg in legs if leg.direction]
    rdma = mostly_rdma(pl.concat(directed)) if directed else False
    if (sent.compression or 0) > 0:
        return "compression", "counters"
    if (sent.smb or 0) > 0:
        return ("smb-direct" if rdma else "smb"), "counters"
    if (sent.tcp or 0) > 0:
        return "tcp", "counters"
    if rdma:
        return "smb-direct", "rdma"
    carrying = max((leg.nics.filter(pl.col("carried") & (pl.col("kind") == "physical")).height for leg in legs), default=0)
    if carrying >= 2:
        return "smb", "nics"
    return None, "unknown"
