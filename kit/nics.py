"""Network adapters in a capture: which columns hold each NIC's counters, and host traffic.

``Network Interface`` and ``Network Adapter`` expose the same byte counters (domain.md §2.1);
``Network Interface`` is used where a NIC is in both. RDMA bytes bypass the host TCP stack and
appear only under ``RDMA Activity`` (§2.4), joined to the NIC by instance name.
"""

from __future__ import annotations

import polars as pl

from kit.capture import Capture
from kit.series import Logs

NIC_OBJECTS = ("network interface", "network adapter")
RDMA_OBJECT = "rdma activity"
COUNTERS = {
    "bytes sent/sec": "sent",
    "bytes received/sec": "received",
    "bytes total/sec": "total",
    "current bandwidth": "bandwidth",
    "packets sent/sec": "packets_sent",
    "packets received/sec": "packets_received",
    "rdma outbound bytes/sec": "rdma_out",
    "rdma inbound bytes/sec": "rdma_in",
}
"""English counter name (lower case) → key in :func:`nic_columns`."""
KEYS = tuple(COUNTERS.values())

PSEUDO = ("isatap", "teredo", "6to4", "loopback", "pseudo-interface", "kernel debug", "wan miniport")
"""Instance fragments of tunnel and pseudo adapters: never part of a migration's bytes."""
VIRTUAL = ("hyper-v virtual ethernet adapter", "vethernet", "multiplexor driver")
"""Host vNICs and LBFO teams: their bytes also cross the physical NICs below them."""


def nic_columns(capture: Capture) -> pl.DataFrame:
    """One row per (host, NIC instance) with the data column of each counter (null if not logged).

    Columns: ``host``, ``instance``, ``object`` (where the byte counters come from), ``kind``
    (``physical``, ``virtual`` for host vNICs and teams, ``pseudo`` for tunnels), ``counted``
    (the host's physical NICs, or its virtual ones where it logged no physical NIC: their bytes
    are the host's traffic without double counting), ``source`` (log of the byte counters), then
    one column per key of :data:`COUNTERS` (``sent``, ``received``, …, ``rdma_in``).
    """
    cat = capture.catalog.with_columns(
        obj=pl.col("object_en").str.to_lowercase(),
        key=pl.col("counter_en").str.to_lowercase().replace_strict(COUNTERS, default=None),
    ).filter(pl.col("key").is_not_null() & pl.col("instance").is_not_null())
    nic = cat.filter(pl.col("obj").is_in(NIC_OBJECTS) & ~pl.col("key").str.starts_with("rdma"))
    # Network Interface (sorted first) wins over Network Adapter for the same NIC
    nic = nic.sort("obj", descending=True).unique(["host", "instance", "key"], keep="first", maintain_order=True)
    rdma = cat.filter((pl.col("obj") == RDMA_OBJECT) & pl.col("key").str.starts_with("rdma"))
    long = pl.concat([nic, rdma]).select("host", "instance", "obj", "key", "column", "source")
    if long.is_empty():
        return pl.DataFrame(
            schema={"host": pl.String, "instance": pl.String, "object": pl.String, "kind": pl.String,
                    "counted": pl.Boolean, "source": pl.String} | {k: pl.String for k in KEYS}
        )
    wide = long.pivot(on="key", index=["host", "instance"], values="column", aggregate_function="first")
    meta = long.group_by("host", "instance", maintain_order=True).agg(
        object=pl.col("obj").filter(pl.col("obj") != RDMA_OBJECT).first().fill_null(RDMA_OBJECT),
        source=pl.col("source").first(),
    )
    wide = meta.join(wide, on=["host", "instance"]).with_columns(
        [pl.lit(None, pl.String).alias(k) for k in KEYS if k not in wide.columns]
    )
    name = pl.col("instance").str.to_lowercase()
    kind = (
        pl.when(pl.any_horizontal(name.str.contains(p, literal=True) for p in PSEUDO)).then(pl.lit("pseudo"))
        .when(pl.any_horizontal(name.str.contains(p, literal=True) for p in VIRTUAL)).then(pl.lit("virtual"))
        .otherwise(pl.lit("physical"))
    )
    wide = wide.with_columns(kind=kind)
    has_physical = (pl.col("kind") == "physical").any().over("host")
    counted = pl.when(has_physical).then(pl.col("kind") == "physical").otherwise(pl.col("kind") == "virtual")
    return wide.with_columns(counted=counted).select(
        "host", "instance", "object", "kind", "counted", "source", *KEYS
    )


Traffic = list[tuple[str, pl.DataFrame]]
"""What :func:`host_traffic` returns: ``(host, frame)`` per host and log."""


def host_traffic(capture: Capture, *, logs: Logs | None = None) -> Traffic:
    """Per host (and log), the counted NICs' traffic on that log's sample times.

    Returns ``(host, frame)`` pairs; frame columns: ``time``, ``prev``, ``dt_s``, ``gap`` (see
    :meth:`kit.series.Logs.frame`), ``sent_bytes_s`` and ``received_bytes_s`` (Σ of the counted
    NICs' Bytes Sent|Received/sec + RDMA Outbound|Inbound Bytes/sec [bytes/s]; null where none of
    them has a value). NICs that log only ``Bytes Total/sec`` count in both directions. ``logs``:
    the capture's :class:`kit.series.Logs`, if already at hand.
    """
    logs = logs or Logs.of(capture)
    nics = nic_columns(capture).filter(pl.col("counted"))
    out = []
    for host in nics["host"].unique(maintain_order=True):
        mine = nics.filter(pl.col("host") == host)
        sent = _present(mine, ("sent", "rdma_out"), fallback="total")
        received = _present(mine, ("received", "rdma_in"), fallback="total")
        for columns in logs.by_source(sent + received).values():
            frame = logs.frame(columns)
            out.append((host, frame.select(
                "time", "prev", "dt_s", "gap",
                sent_bytes_s=_sum([c for c in sent if c in columns]),
                received_bytes_s=_sum([c for c in received if c in columns]),
            )))
    return out


def _present(nics: pl.DataFrame, keys: tuple[str, str], *, fallback: str) -> list[str]:
    """Columns of ``keys`` of every NIC; ``fallback`` stands in for a missing ``keys[0]``."""
    chosen = nics.select(pl.coalesce(keys[0], fallback), pl.col(keys[1]))
    return [c for column in chosen.iter_columns() for c in column.to_list() if c is not None]


def _sum(columns: list[str]) -> pl.Expr:
    """Σ of ``columns`` ignoring nulls; null where all are null (0.0 with no columns)."""
    if not columns:
        return pl.lit(None, pl.Float64)
    return pl.when(pl.any_horizontal(pl.col(columns).is_not_null())).then(pl.sum_horizontal(columns))
