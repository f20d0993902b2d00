"""Which NICs and SMB channels carried a migration, against what was configured for it.

From the legs of a migration (each host's NIC bytes split into TCP — Network
Interface / Adapter — and RDMA — RDMA Activity — bytes, domain.md §4.4) and, when given, the
host topology (:func:`kit.io.side.topology.read_topology`, §4.3, §4.5):

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
* ``lacking``: what could not be decided (the findings are made from the result by
  :mod:`kit.analysis.findings`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import polars as pl

from kit.analysis.results import Accounting, Channels, IdleChannel, Imbalance, Leg, LiveMigrationBytes, MixedSpeeds
from kit.identity import host_key_of
from kit.inputs.capture import Capture
from kit.inputs.topology import Topology
from kit.vocabulary import SMB_DIRECT_CONNECTION

IMBALANCE_SHARE = 0.2
"""Equal-speed NICs whose shares differ by more than this share of their mean are imbalanced. [1]"""
IDLE_SHARE = 0.01
"""A selected SMB channel below this share of the host's bytes carried nothing. [1]"""
LM_CLUSTER_ROLES = ("Cluster", "ClusterAndClient")
"""Cluster network roles live migration considers (§4.5)."""

NIC_SCHEMA = {
    "host": pl.String, "nic": pl.String, "instance": pl.String, "direction": pl.String, "kind": pl.String,
    "carried": pl.Boolean, "bytes": pl.Float64, "tcp_bytes": pl.Float64, "rdma_bytes": pl.Float64,
    "share": pl.Float64, "link_bits_s": pl.Float64, "name": pl.String, "ips": pl.List(pl.String),
    "selected": pl.Boolean, "current_channels": pl.Int64, "smb_direct_connections": pl.Int64,
    "configured": pl.Boolean,
}
"""Columns of ``Channels.nics``: ``nic`` the NIC key; bytes [bytes], share [1], link [bit/s];
topology fields null without it."""
_LEG_COLUMNS = list(NIC_SCHEMA)[:11]


def attribute_channels(
    legs: Sequence[Leg],
    *,
    capture: Capture,
    topology: Topology | None = None,
    lm_bytes: LiveMigrationBytes = LiveMigrationBytes(),
) -> Channels:
    """Channel attribution of one migration.

    Parameters
    ----------
    legs
        The migration's legs (their ``nics`` frames).
    capture
        The capture, for the ``SMB Direct Connection`` instances per NIC.
    topology
        Host topology exports; without it ``configured``, names and SMB fields stay null.
    lm_bytes
        What the live-migration counters say the source moved (for the transport accounting).

    Returns a :class:`~kit.analysis.results.Channels`: ``nics`` (:data:`NIC_SCHEMA`), the
    ``imbalance`` of equal-speed carrying NICs (spread = (max − min) ÷ mean of the shares, where it
    exceeds 20 %), the selected SMB channels that carried nothing (``idle_selected``), carrying NICs
    of ``mixed_speeds`` [Gbit/s], the transport ``accounting`` [bytes] and what was ``lacking``.
    """
    lacking: list[str] = []
    nics = _nics(legs)
    nics = _with_topology(nics, topology, lacking)
    nics = _with_smb_direct(nics, capture)
    carried = nics.filter(pl.col("carried") & (pl.col("kind") == "physical"))
    mixed = tuple(
        MixedSpeeds(host, tuple(sorted({round(v / 1e9, 3) for v in group["link_bits_s"].drop_nulls().to_list()})))
        for (host,), group in carried.group_by("host", maintain_order=True)
        if group["link_bits_s"].drop_nulls().n_unique() > 1
    )
    idle = nics.filter(pl.col("selected") & (pl.col("share").fill_null(0) < IDLE_SHARE))
    if not lm_bytes.transports:
        lacking.append("No live-migration transport counters: SMB / TCP / compressed bytes unknown.")
    return Channels(
        nics=nics,
        imbalance=_imbalance(carried),
        idle_selected=tuple(IdleChannel(h, i, n, k) for h, i, n, k in idle.select("host", "instance", "name", "nic").iter_rows()),
        mixed_speeds=mixed,
        accounting=_accounting(lm_bytes),
        lacking=tuple(lacking),
    )


def _nics(legs: Sequence[Leg]) -> pl.DataFrame:
    """Every leg's NIC rows with the topology columns still null."""
    frames = [leg.nics.select(_LEG_COLUMNS) for leg in legs if leg.nics.height and leg.direction]
    base = pl.concat(frames) if frames else pl.DataFrame(schema={k: NIC_SCHEMA[k] for k in _LEG_COLUMNS})
    extra = {k: v for k, v in NIC_SCHEMA.items() if k not in base.columns}
    return base.with_columns(*[pl.lit(None, v).alias(k) for k, v in extra.items()]).cast(NIC_SCHEMA)


def _with_topology(nics: pl.DataFrame, topology: Topology | None, lacking: list[str]) -> pl.DataFrame:
    """Add name, IPs, SMB selection and ``configured`` from the topology, matched on host and NIC key."""
    if topology is None:
        lacking.append("No topology given: which NICs are configured for live migration is unknown.")
        return nics
    key = nics.with_columns(_k=host_key_of("host"))
    adapters = topology.adapters.select(_k=host_key_of("host"), nic="nic", _name="name").unique(["_k", "nic"])
    smb = topology.smb_connections
    ends = pl.concat([
        smb.select(_k=host_key_of("host"), nic="client_nic", ip="client_ip", sel="selected", ch="current_channels"),
        smb.select(_k=host_key_of("server_name"), nic="server_nic", ip="server_ip", sel="selected", ch="current_channels"),
    ]).filter(pl.col("nic").is_not_null())
    per_nic = ends.group_by("_k", "nic").agg(
        _ips=pl.col("ip").drop_nulls().unique().sort(), _sel=pl.col("sel").any(), _ch=pl.col("ch").sum()
    )
    if topology.adapters.is_empty():
        lacking.append("No Get-NetAdapter export: adapter names unknown.")
    if smb.is_empty():
        lacking.append("No Get-SmbMultichannelConnection export: the NICs' IP addresses and SMB channels are unknown.")
    joined = (
        key.join(adapters, on=["_k", "nic"], how="left", maintain_order="left")
        .join(per_nic, on=["_k", "nic"], how="left", maintain_order="left")
        .with_columns(
            name=pl.coalesce("_name", "name"), ips=pl.coalesce("_ips", "ips"), selected=pl.coalesce("_sel", "selected"),
            current_channels=pl.coalesce("_ch", "current_channels"),
        )
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
    """Per host key: the networks live migration may use (``["*"]`` = any), or None."""
    vmhost = topology.vmhost.with_columns(_k=host_key_of("host"))
    migration = topology.migration_networks.with_columns(_k=host_key_of("host"))
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


def _with_smb_direct(nics: pl.DataFrame, capture: Capture) -> pl.DataFrame:
    """Count the ``SMB Direct Connection`` instances whose endpoints name one of a NIC's IPs."""
    cat = capture.lookup(object=SMB_DIRECT_CONNECTION)
    if cat.is_empty():
        return nics
    instances = cat.select(_k=host_key_of("host"), inst="instance").unique()
    pairs = nics.with_row_index("_r").with_columns(_k=host_key_of("host")).explode("ips").join(instances, on="_k").filter(
        pl.col("ips").is_not_null() & pl.col("inst").str.contains(pl.col("ips") + ":", literal=True)
    )
    counts = pairs.group_by("_r").agg(_n=pl.col("inst").n_unique())
    return (
        nics.with_row_index("_r").join(counts, on="_r", how="left", maintain_order="left")
        .with_columns(smb_direct_connections=pl.col("_n").fill_null(0).cast(pl.Int64))
        .select(NIC_SCHEMA.keys())
    )


def _imbalance(carried: pl.DataFrame) -> tuple[Imbalance, ...]:
    """Per host: equal-speed carrying NICs whose shares spread more than 20 % of their mean."""
    out = []
    for (host, _), group in carried.group_by("host", "link_bits_s", maintain_order=True):
        if group.height < 2:
            continue
        shares = group["share"].fill_null(0)
        spread = (shares.max() - shares.min()) / shares.mean() if shares.mean() else 0.0
        if spread > IMBALANCE_SHARE:
            out.append(Imbalance(host, tuple(group["instance"].to_list()), tuple(shares.to_list()), spread))
    return tuple(out)


def _accounting(lm: LiveMigrationBytes) -> Accounting:
    wire = lm.compression or sum(v for v in (lm.smb, lm.tcp) if v) or None
    ratio = lm.compression_ratio or (lm.memory / wire if lm.memory and wire else None)
    return Accounting(smb_bytes=lm.smb, tcp_bytes=lm.tcp, compressed_bytes=lm.compression, wire_bytes=wire,
                      memory_bytes=lm.memory, compression_ratio=ratio)
