"""Network adapters in a capture: which columns hold each NIC's counters, and each host's traffic.

``Network Interface`` and ``Network Adapter`` expose the same byte counters (domain.md §2.1);
``Network Interface`` is used where a NIC is in both. RDMA bytes bypass the host TCP stack and
appear only under ``RDMA Activity`` (§2.4), whose instance keeps the adapter's own description
(``… #2``) where ``Network Interface`` escapes it (``… _2``): every row here is keyed on the NIC
identity (:func:`kit.identity.nic_key`), so one adapter is one row whatever spells it.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from kit.identity import nic_key_of
from kit.inputs.capture import Capture, per_capture
from kit.inputs.timebase import amount
from kit.vocabulary import (
    BYTES_RECEIVED,
    BYTES_SENT,
    BYTES_TOTAL,
    CURRENT_BANDWIDTH,
    NETWORK_ADAPTER,
    NETWORK_INTERFACE,
    NIC_OBJECTS,
    PACKETS_RECEIVED,
    PACKETS_SENT,
    RDMA_ACTIVITY,
    RDMA_INBOUND,
    RDMA_OUTBOUND,
)

COUNTERS = {
    BYTES_SENT: "sent",
    BYTES_RECEIVED: "received",
    BYTES_TOTAL: "total",
    CURRENT_BANDWIDTH: "bandwidth",
    PACKETS_SENT: "packets_sent",
    PACKETS_RECEIVED: "packets_received",
    RDMA_OUTBOUND: "rdma_out",
    RDMA_INBOUND: "rdma_in",
}
"""Counter → key of :func:`nic_table`."""
KEYS = tuple(COUNTERS.values())
DIRECTIONS = ("sent", "received")

PSEUDO = ("isatap", "teredo", "6to4", "loopback", "pseudo-interface", "kernel debug", "wan miniport")
"""Instance fragments of tunnel and pseudo adapters: never part of a migration's bytes."""
VIRTUAL = ("hyper-v virtual ethernet adapter", "vethernet", "multiplexor driver")
"""Host vNICs and LBFO teams: their bytes also cross the physical NICs below them."""

NIC_TABLE_SCHEMA = {
    "host": pl.String, "nic": pl.String, "instance": pl.String, "object": pl.String, "kind": pl.String,
    "counted": pl.Boolean, "source": pl.String,
} | {k: pl.String for k in KEYS}


@per_capture
def nic_table(capture: Capture) -> pl.DataFrame:
    """One row per (host, NIC) with the data column of each counter (null if not logged).

    Columns: ``host``, ``nic`` (the NIC key), ``instance`` (its ``Network Interface`` /
    ``Network Adapter`` instance, else its ``RDMA Activity`` one), ``object`` (where the byte
    counters come from), ``kind`` (``physical``, ``virtual`` for host vNICs and teams, ``pseudo``
    for tunnels), ``counted`` (the host's physical NICs, or its virtual ones where it logged no
    physical NIC: their bytes are the host's traffic without double counting), ``source`` (log of
    the byte counters), then one column per key of :data:`COUNTERS` (``sent``, ``received``, …,
    ``rdma_in``). Computed once per capture.
    """
    names = {n.lower(): key for n, key in COUNTERS.items()}
    cat = capture.lookup(object=(*NIC_OBJECTS, RDMA_ACTIVITY)).with_columns(
        obj=pl.col("object_en").str.to_lowercase(),
        key=pl.col("counter_en").str.to_lowercase().replace_strict(names, default=None),
        nic=nic_key_of("instance", "index"),
    ).filter(pl.col("key").is_not_null() & pl.col("instance").is_not_null())
    rdma_object = RDMA_ACTIVITY.lower()
    nic = cat.filter((pl.col("obj") != rdma_object) & ~pl.col("key").str.starts_with("rdma"))
    # Network Interface wins over Network Adapter for the same NIC
    rank = pl.col("obj").replace_strict({NETWORK_INTERFACE.lower(): 0, NETWORK_ADAPTER.lower(): 1}, default=2)
    nic = nic.sort(rank, maintain_order=True).unique(["host", "nic", "key"], keep="first", maintain_order=True)
    rdma = cat.filter((pl.col("obj") == rdma_object) & pl.col("key").str.starts_with("rdma"))
    long = pl.concat([nic, rdma]).select("host", "nic", "instance", "obj", "key", "column", "source")
    if long.is_empty():
        return pl.DataFrame(schema=NIC_TABLE_SCHEMA)
    wide = long.pivot(on="key", index=["host", "nic"], values="column", aggregate_function="first")
    meta = long.group_by("host", "nic", maintain_order=True).agg(
        instance=pl.col("instance").sort_by(pl.col("obj") == rdma_object).first(),
        object=pl.col("obj").filter(pl.col("obj") != rdma_object).first().fill_null(rdma_object),
        source=pl.col("source").first(),
    )
    wide = meta.join(wide, on=["host", "nic"], maintain_order="left").with_columns(
        [pl.lit(None, pl.String).alias(k) for k in KEYS if k not in wide.columns]
    )
    name = pl.col("nic")
    kind = (
        pl.when(pl.any_horizontal(name.str.contains(p, literal=True) for p in PSEUDO)).then(pl.lit("pseudo"))
        .when(pl.any_horizontal(name.str.contains(p, literal=True) for p in VIRTUAL)).then(pl.lit("virtual"))
        .otherwise(pl.lit("physical"))
    )
    wide = wide.with_columns(kind=kind)
    has_physical = (pl.col("kind") == "physical").any().over("host")
    counted = pl.when(has_physical).then(pl.col("kind") == "physical").otherwise(pl.col("kind") == "virtual")
    return wide.with_columns(counted=counted).select(NIC_TABLE_SCHEMA.keys()).cast(NIC_TABLE_SCHEMA)


@dataclass(frozen=True, eq=False)
class HostTraffic:
    """One host's counted NICs, summed, on the sample times of one of its logs."""

    host: str
    interval_s: float | None
    """The log's sample interval. [s]"""
    frame: pl.DataFrame
    """``time``, ``prev``, ``dt_s``, ``gap`` (see :meth:`kit.inputs.timebase.TimeBase.frame`),
    ``sent_bytes_s`` and ``received_bytes_s`` (Σ of the counted NICs' Bytes Sent|Received/sec +
    RDMA Outbound|Inbound Bytes/sec [bytes/s]; null where none of them has a value)."""


@per_capture
def host_traffic(capture: Capture) -> list[HostTraffic]:
    """Per host (and log), the counted NICs' traffic on that log's sample times
    (:class:`HostTraffic`). NICs that log only ``Bytes Total/sec`` count in both directions.
    Computed once per capture.
    """
    timebase = capture.timebase
    nics = nic_table(capture).filter(pl.col("counted"))
    out = []
    for host in nics["host"].unique(maintain_order=True):
        mine = nics.filter(pl.col("host") == host)
        sent = _present(mine, ("sent", "rdma_out"), fallback="total")
        received = _present(mine, ("received", "rdma_in"), fallback="total")
        for columns in timebase.by_source(sent + received).values():
            frame = timebase.frame(columns).select(
                "time", "prev", "dt_s", "gap",
                sent_bytes_s=_sum([c for c in sent if c in columns]),
                received_bytes_s=_sum([c for c in received if c in columns]),
            )
            out.append(HostTraffic(host, timebase.log(columns).interval_s, frame))
    return out


def moved(capture: Capture, host: str, direction: str, *, where: pl.Expr | None = None) -> float:
    """Bytes ``host``'s counted NICs sent or received (``direction``) over the samples where
    ``where`` holds (default all). [bytes]"""
    column = f"{direction}_bytes_s"
    total = 0.0
    for traffic in host_traffic(capture):
        if traffic.host == host:
            rows = traffic.frame if where is None else traffic.frame.filter(where)
            total += rows.select(amount(column).sum()).item()
    return total


def traffic_hosts(capture: Capture) -> list[str]:
    """Hosts with NIC byte counters, in order of first appearance."""
    return list(dict.fromkeys(t.host for t in host_traffic(capture)))


def _present(nics: pl.DataFrame, keys: tuple[str, str], *, fallback: str) -> list[str]:
    """Columns of ``keys`` of every NIC; ``fallback`` stands in for a missing ``keys[0]``."""
    chosen = nics.select(pl.coalesce(keys[0], fallback), pl.col(keys[1]))
    return [c for column in chosen.iter_columns() for c in column.to_list() if c is not None]


def _sum(columns: list[str]) -> pl.Expr:
    """Σ of ``columns`` ignoring nulls; null where all are null."""
    if not columns:
        return pl.lit(None, pl.Float64)
    return pl.when(pl.any_horizontal(pl.col(columns).is_not_null())).then(pl.sum_horizontal(columns))
