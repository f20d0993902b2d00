"""Which NICs and SMB channels carried a migration, against what was configured for it.

From the legs of :func:`kit.analysis.analyze` (each host's NIC bytes split into TCP — Network
Interface / Adapter — and RDMA — RDMA Activity — bytes, domain.md §4.4) and, when given, the
host topology (:func:`kit.io.topology.read_topology`, §4.3, §4.5):

* per host and NIC: bytes, TCP / RDMA split, share, the adapter's name, its IP addresses (from
  the SMB Multichannel connections: Get-NetAdapter has none), whether SMB selected it and with
  how many channels, the ``SMB Direct Connection`` instances logged on its IP, and whether it is
  ``configured`` for live migration: its IP lies in one of the host's live-migration subnets
  (Get-VMMigrationNetwork; every network with ``UseAnyNetworkForMigration``) or in a cluster
  network that live migration may use (not excluded, role Cluster/ClusterAndClient). ``None``
  where the inputs cannot tell;
* imbalance between carrying NICs of equal speed, SMB channels selected that carried nothing,
  carrying NICs of mixed speeds (SMB Multichannel never mixes them, §4.1);
* transport accounting from the live-migration counters: SMB / TCP / compressed bytes, memory
  read and the compression ratio (memory ÷ bytes on the wire);
* ``findings``: what stands out, in plain sentences, and ``lacking``: what could not be decided.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import polars as pl

from kit.capture import Capture
from kit.io.topology import Topology

IMBALANCE_SHARE = 0.2
"""Equal-speed NICs whose shares differ by more than this share of their mean are imbalanced. [1]"""
IDLE_SHARE = 0.01
"""A selected SMB channel below this share of the host's bytes carried nothing. [1]"""
LM_CLUSTER_ROLES = ("Cluster", "ClusterAndClient")
"""Cluster network roles live migration considers (§4.5)."""
SMB_DIRECT_OBJECT = "smb direct connection"

NIC_SCHEMA = {
    "host": pl.String, "instance": pl.String, "direction": pl.String, "kind": pl.String, "carried": pl.Boolean,
    "bytes": pl.Float64, "tcp_bytes": pl.Float64, "rdma_bytes": pl.Float64, "share": pl.Float64,
    "link_bits_s": pl.Float64, "name": pl.String, "ips": pl.List(pl.String), "selected": pl.Boolean,
    "current_channels": pl.Int64, "smb_direct_connections": pl.Int64, "configured": pl.Boolean,
}
"""Columns of ``nics``: bytes [bytes], share [1], link [bit/s]; topology fields null without it."""


def attribute_channels(
    legs: Sequence,
    *,
    topology: Topology | None = None,
    capture: Capture | None = None,
    lm_bytes: dict[str, float] | None = None,
    memory_bytes: float | None = None,
    transport: str | None = None,
) -> dict:
    """Channel attribution of one migration.

    Parameters
    ----------
    legs
        The migration's legs (:class:`kit.analysis.Leg`: ``host``, ``nics`` frame).
    topology
        Host topology exports; without it ``configured``, names and SMB fields stay null.
    capture
        The capture, for the ``SMB Direct Connection`` instances per NIC.
    lm_bytes
        Live-migration transport bytes (``smb``, ``tcp``, ``compression``: the report's
        ``lm_bytes``) [bytes].
    memory_bytes
        ``Memory Walker: Bytes Read/sec`` integrated (the report's ``memory_read_bytes``) [bytes].
    transport
        The migration's transport (``tcp``, ``compression``, ``smb``, ``smb-direct``), for the
        wording of the findings.

    Returns
    -------
    dict
        ``nics`` (frame, :data:`NIC_SCHEMA`), ``imbalance`` (per host: ``nics``, ``shares``,
        ``spread`` = (max − min) ÷ mean of the equal-speed carrying NICs, where it exceeds 20 %),
        ``idle_selected`` (selected SMB channels that carried nothing: ``host``, ``instance``,
        ``name``), ``mixed_speeds`` (per host: the carrying NICs' speeds [Gbit/s] where they
        differ), ``accounting`` (``smb_bytes``, ``tcp_bytes``, ``compressed_bytes``,
        ``wire_bytes``, ``memory_bytes`` [bytes], ``compression_ratio`` [1]), ``findings`` and
        ``lacking`` (sentences).
    """
    lacking: list[str] = []
    nics = _nics(legs)
    nics = _with_topology(nics, topology, lacking)
    nics = _with_smb_direct(nics, capture)
    carried = nics.filter(pl.col("carried") & (pl.col("kind") == "physical"))
    imbalance = _imbalance(carried)
    mixed = {
        host: sorted({round(v / 1e9, 3) for v in group["link_bits_s"].drop_nulls().to_list()})
        for (host,), group in carried.group_by("host", maintain_order=True)
        if group["link_bits_s"].drop_nulls().n_unique() > 1
    }
    idle = nics.filter(pl.col("selected") & (pl.col("share").fill_null(0) < IDLE_SHARE)).select("host", "instance", "name")
    accounting = _accounting(lm_bytes or {}, memory_bytes)
    if lm_bytes is None:
        lacking.append("No live-migration transport counters: SMB / TCP / compressed bytes unknown.")
    findings = _findings(nics, imbalance, idle, mixed, accounting, transport)
    return {
        "nics": nics, "imbalance": imbalance, "idle_selected": idle.to_dicts(), "mixed_speeds": mixed,
        "accounting": accounting, "findings": findings, "lacking": lacking,
    }


def _nics(legs: Sequence) -> pl.DataFrame:
    """Every leg's NIC rows with the topology columns still null."""
    frames = [
        leg.nics.select(
            "host", "instance", "direction", "kind", "carried", "bytes", "tcp_bytes", "rdma_bytes", "share",
            "link_bits_s",
        )
        for leg in legs
        if leg.nics.height and leg.direction
    ]
    base = pl.concat(frames) if frames else pl.DataFrame(schema={k: NIC_SCHEMA[k] for k in list(NIC_SCHEMA)[:10]})
    extra = {k: v for k, v in NIC_SCHEMA.items() if k not in base.columns}
    return base.with_columns(*[pl.lit(None, v).alias(k) for k, v in extra.items()]).cast(NIC_SCHEMA)


def _short(column: str) -> pl.Expr:
    """Short upper-case host name (``hv01.lab.local`` → ``HV01``)."""
    return pl.col(column).str.to_uppercase().str.split(".").list.first()


def _with_topology(nics: pl.DataFrame, topology: Topology | None, lacking: list[str]) -> pl.DataFrame:
    """Add name, IPs, SMB selection and ``configured`` from the topology."""
    if topology is None:
        lacking.append("No topology given: which NICs are configured for live migration is unknown.")
        return nics
    key = nics.with_columns(_k=_short("host"), _i=pl.col("instance").str.to_lowercase())
    adapters = topology.adapters.select(
        _k=_short("host"), _i=pl.col("instance").str.to_lowercase(), _name=pl.col("name")
    ).unique(["_k", "_i"])
    smb = topology.smb_connections
    ends = pl.concat([
        smb.select(_k=_short("host"), _i=pl.col("client_instance").str.to_lowercase(), ip="client_ip",
                   sel="selected", ch="current_channels"),
        smb.select(_k=_short("server_name"), _i=pl.col("server_instance").str.to_lowercase(), ip="server_ip",
                   sel="selected", ch="current_channels"),
    ]).filter(pl.col("_i").is_not_null())
    per_nic = ends.group_by("_k", "_i").agg(
        _ips=pl.col("ip").drop_nulls().unique().sort(), _sel=pl.col("sel").any(), _ch=pl.col("ch").sum()
    )
    if topology.adapters.is_empty():
        lacking.append("No Get-NetAdapter export: adapter names unknown.")
    if smb.is_empty():
        lacking.append("No Get-SmbMultichannelConnection export: the NICs' IP addresses and SMB channels are unknown.")
    joined = key.join(adapters, on=["_k", "_i"], how="left").join(per_nic, on=["_k", "_i"], how="left")
    joined = joined.with_columns(
        name=pl.coalesce("_name", "name"), ips=pl.coalesce("_ips", "ips"), selected=pl.coalesce("_sel", "selected"),
        current_channels=pl.coalesce("_ch", "current_channels"),
    )
    networks = _lm_networks(topology, joined["_k"].unique().to_list(), lacking)
    configured = [
        _configured(ips, networks.get(host)) for host, ips in zip(joined["_k"].to_list(), joined["ips"].to_list())
    ]
    undecided = joined.filter(pl.Series(configured).is_null() & pl.col("carried"))
    if undecided.height:
        names = ", ".join(f"{h} {n or i}" for h, n, i in undecided.select("host", "name", "instance").iter_rows())
        lacking.append(f"Could not tell whether {names} is configured for live migration (no IP address or no settings).")
    return joined.with_columns(configured=pl.Series(configured, dtype=pl.Boolean)).select(NIC_SCHEMA.keys())


def _lm_networks(topology: Topology, hosts: list[str], lacking: list[str]) -> dict[str, list | None]:
    """Per short host name: the networks live migration may use (``["*"]`` = any), or None."""
    vmhost = topology.vmhost.with_columns(_k=_short("host"))
    migration = topology.migration_networks.with_columns(_k=_short("host"))
    cluster = topology.cluster_networks
    cluster_nets = None
    if cluster.height:
        usable = cluster.filter(
            pl.col("role").is_in(LM_CLUSTER_ROLES) & ~pl.col("excluded_from_migration").fill_null(False)
        )
        cluster_nets = [f"{a}/{m}" for a, m in usable.select("address", "address_mask").iter_rows() if a and m]
    out: dict[str, list | None] = {}
    for host in hosts:
        own = vmhost.filter(pl.col("_k") == host)
        if own.height and own["use_any_network"][0]:
            out[host] = ["*"]
            continue
        subnets = migration.filter(pl.col("_k") == host)["subnet"].drop_nulls().to_list()
        if not subnets and migration.height:
            subnets = migration["subnet"].drop_nulls().unique(maintain_order=True).to_list()
        chosen = subnets or cluster_nets
        if chosen is None:
            lacking.append(f"No live-migration network settings for {host} (Get-VMHost, Get-VMMigrationNetwork or cluster networks).")
        out[host] = chosen
    return out


def _configured(ips: list[str] | None, networks: list[str] | None) -> bool | None:
    """Whether any of a NIC's IPs lies in a live-migration network (None: cannot tell)."""
    if networks == ["*"]:
        return True
    if not ips or networks is None:
        return None
    nets = [ipaddress.ip_network(n, strict=False) for n in networks]
    return any(ipaddress.ip_address(ip) in net for ip in ips for net in nets if ipaddress.ip_address(ip).version == net.version)


def _with_smb_direct(nics: pl.DataFrame, capture: Capture | None) -> pl.DataFrame:
    """Count the ``SMB Direct Connection`` instances whose endpoints name one of a NIC's IPs."""
    if capture is None:
        return nics
    cat = capture.catalog.filter(pl.col("object_en").str.to_lowercase() == SMB_DIRECT_OBJECT)
    if cat.is_empty():
        return nics
    instances = cat.select(_k=_short("host"), inst="instance").unique()
    pairs = nics.with_row_index("_r").with_columns(_k=_short("host")).explode("ips").join(instances, on="_k").filter(
        pl.col("ips").is_not_null() & pl.col("inst").str.contains(pl.col("ips") + ":", literal=True)
    )
    counts = pairs.group_by("_r").agg(_n=pl.col("inst").n_unique())
    return (
        nics.with_row_index("_r").join(counts, on="_r", how="left")
        .with_columns(smb_direct_connections=pl.col("_n").fill_null(0).cast(pl.Int64))
        .select(NIC_SCHEMA.keys())
    )


def _imbalance(carried: pl.DataFrame) -> dict[str, dict]:
    """Per host: equal-speed carrying NICs whose shares spread more than 20 % of their mean."""
    out = {}
    for (host, _), group in carried.group_by("host", "link_bits_s", maintain_order=True):
        if group.height < 2:
            continue
        shares = group["share"].fill_null(0)
        spread = (shares.max() - shares.min()) / shares.mean() if shares.mean() else 0.0
        if spread > IMBALANCE_SHARE:
            out[host] = {"nics": group["instance"].to_list(), "shares": shares.to_list(), "spread": spread}
    return out


def _accounting(lm_bytes: dict[str, float], memory_bytes: float | None) -> dict:
    smb, tcp, compressed = (lm_bytes.get(k) for k in ("smb", "tcp", "compression"))
    wire = compressed or sum(v for v in (smb, tcp) if v) or None
    ratio = memory_bytes / wire if memory_bytes and wire else None
    return {"smb_bytes": smb, "tcp_bytes": tcp, "compressed_bytes": compressed, "wire_bytes": wire,
            "memory_bytes": memory_bytes, "compression_ratio": ratio}


def _findings(
    nics: pl.DataFrame, imbalance: dict, idle: pl.DataFrame, mixed: dict, accounting: dict, transport: str | None
) -> list[str]:
    out = []
    who = "SMB Multichannel" if transport and transport.startswith("smb") else "Live migration"
    unexpected = nics.filter(pl.col("carried") & (pl.col("configured") == False))  # noqa: E712
    for row in unexpected.unique("instance", keep="first", maintain_order=True).iter_rows(named=True):
        out.append(
            f"{who} used NIC '{row['name'] or row['instance']}' on {row['host']}, which is not among the "
            f"live-migration networks; it carried {100 * (row['share'] or 0):.0f} % of the bytes."
        )
    for host, item in imbalance.items():
        parts = ", ".join(f"'{n}' {100 * s:.0f} %" for n, s in zip(item["nics"], item["shares"]))
        out.append(f"NICs of equal speed on {host} carried unequal shares ({parts}): a constraint, routing or RSS difference?")
    for row in idle.iter_rows(named=True):
        out.append(f"SMB selected NIC '{row['name'] or row['instance']}' on {row['host']}, but it carried nothing.")
    for host, speeds in mixed.items():
        out.append(
            f"NICs of different speeds ({', '.join(f'{s:g}' for s in speeds)} Gbit/s) carried the migration on {host}: "
            "SMB Multichannel never mixes speeds, so these are separate paths."
        )
    for row in nics.filter((pl.col("rdma_bytes").fill_null(0) > 0) & (pl.col("tcp_bytes").fill_null(0) > 0.05 * pl.col("bytes"))).iter_rows(named=True):
        out.append(
            f"NIC '{row['name'] or row['instance']}' on {row['host']} carried both RDMA ({row['rdma_bytes'] / 1e9:.2f} GB) "
            f"and TCP ({row['tcp_bytes'] / 1e9:.2f} GB) bytes."
        )
    if accounting["compression_ratio"] and accounting["compressed_bytes"]:
        out.append(f"Compression sent {accounting['compressed_bytes'] / 1e9:.2f} GB for "
                   f"{accounting['memory_bytes'] / 1e9:.2f} GB of memory: ratio {accounting['compression_ratio']:.2f}.")
    return out
