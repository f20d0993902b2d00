"""Host topology exported with PowerShell, as the analyses receive it: one table per kind of export
(NICs, RDMA, RSS, SMB Multichannel, live-migration settings, cluster networks).

The tables' columns, what fills each one from the exports, and their dtypes are defined here
(:data:`TABLES`); :func:`kit.io.side.topology.read_topology` reads the files into them. Every
adapter carries its NIC key (:func:`kit.identity.nic_key`), the key every NIC table of the kit
uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from kit.errors import LoadWarning

KINDS = (
    "adapters",
    "rdma",
    "rss",
    "smb_connections",
    "smb_constraints",
    "vmhost",
    "migration_networks",
    "cluster_networks",
)
"""The kinds of topology table, in the order :meth:`Topology.missing` lists them."""

# Enum values as numbers (ConvertTo-Json) → names (Export-Csv, Format-*).
PERFORMANCE_OPTIONS = {"0": "TCPIP", "1": "Compression", "2": "SMB"}
"""Microsoft.HyperV.PowerShell.VMMigrationPerformance."""
AUTHENTICATION_TYPES = {"0": "CredSSP", "1": "Kerberos"}
"""Microsoft.HyperV.PowerShell.MigrationAuthenticationType."""
CLUSTER_ROLES = {"0": "None", "1": "Cluster", "2": "Client", "3": "ClusterAndClient"}
"""Microsoft.FailoverClusters.PowerShell.ClusterNetworkRole (a plain UInt32 before WS2016)."""
RSS_PROFILES = {"1": "Closest", "2": "ClosestStatic", "3": "NUMA", "4": "NUMAStatic", "5": "Conservative"}
"""MSFT_NetAdapterRssSettingData.Profile. The numbering follows the *RSSProfile INF keyword
(1 ClosestProcessor … 5 ConservativeScaling); that WMI uses the same numbers is UNCONFIRMED."""

# The tables: output column → (property names tried in order, converter). Converters: str, int, bool, bps
# (bits/s from a number or a "10 Gbps" text), list (space-separated "group:number" entries), or an
# enum mapping.
_Spec = tuple[tuple[str, tuple[str, ...], object], ...]
TABLES: dict[str, _Spec] = {
    "adapters": (
        ("name", ("name", "ifalias", "interfacealias"), "str"),
        ("description", ("interfacedescription", "ifdesc"), "str"),
        ("if_index", ("ifindex", "interfaceindex"), "int"),
        ("status", ("status",), "str"),
        ("mac_address", ("macaddress",), "str"),
        # Speed is bits/s (CIM_NetworkPort); LinkSpeed is its display text ("10 Gbps").
        ("link_speed_bps", ("speed", "receivelinkspeed", "linkspeed"), "bps"),
        # MSFT_NetAdapter.MtuSize; "MTU" accepted for hand-made selections.
        ("mtu_bytes", ("mtusize", "mtu"), "int"),
    ),
    "rdma": (
        ("name", ("name",), "str"),
        ("description", ("interfacedescription",), "str"),
        ("enabled", ("enabled",), "bool"),
    ),
    "rss": (
        ("name", ("name",), "str"),
        ("description", ("interfacedescription",), "str"),
        ("enabled", ("enabled",), "bool"),
        ("receive_queues", ("numberofreceivequeues",), "int"),
        ("profile", ("profile",), RSS_PROFILES),
        ("base_processor_group", ("baseprocessorgroup",), "int"),
        ("base_processor_number", ("baseprocessornumber",), "int"),
        ("max_processor_group", ("maxprocessorgroup",), "int"),
        ("max_processor_number", ("maxprocessornumber",), "int"),
        ("max_processors", ("maxprocessors",), "int"),
        ("numa_node", ("numanode",), "int"),
        ("indirection_table", ("indirectiontable",), "list"),
    ),
    "smb_connections": (
        ("server_name", ("servername",), "str"),
        ("client_if_index", ("clientinterfaceindex",), "int"),
        ("server_if_index", ("serverinterfaceindex",), "int"),
        ("client_ip", ("clientipaddress",), "str"),
        ("server_ip", ("serveripaddress",), "str"),
        ("client_interface", ("clientinterfacefriendlyname",), "str"),
        ("selected", ("selected",), "bool"),
        ("client_rss_capable", ("clientrsscapable",), "bool"),
        ("server_rss_capable", ("serverrsscapable",), "bool"),
        ("client_rdma_capable", ("clientrdmacapable",), "bool"),
        ("server_rdma_capable", ("serverrdmacapable",), "bool"),
        ("client_link_speed_bps", ("clientlinkspeed",), "bps"),
        ("server_link_speed_bps", ("serverlinkspeed",), "bps"),
        ("max_channels", ("maxchannels",), "int"),
        ("current_channels", ("currentchannels",), "int"),
        ("failed", ("failed",), "bool"),
        ("failure_count", ("failurecount",), "int"),
        # SmbInstance stays as written: the numbers of its enum are not sourced.
        ("smb_instance", ("smbinstance",), "str"),
    ),
    "smb_constraints": (
        ("server_name", ("servername",), "str"),
        ("interface_alias", ("interfacealias",), "str"),
        ("interface_index", ("interfaceindex",), "int"),
        ("interface_guid", ("interfaceguid",), "str"),
    ),
    "vmhost": (
        ("migration_enabled", ("virtualmachinemigrationenabled",), "bool"),
        ("use_any_network", ("useanynetworkformigration",), "bool"),
        ("performance_option", ("virtualmachinemigrationperformanceoption",), PERFORMANCE_OPTIONS),
        ("authentication", ("virtualmachinemigrationauthenticationtype",), AUTHENTICATION_TYPES),
        ("max_migrations", ("maximumvirtualmachinemigrations",), "int"),
        ("max_storage_migrations", ("maximumstoragemigrations",), "int"),
    ),
    "migration_networks": (
        ("subnet", ("subnet",), "str"),
        ("priority", ("priority",), "int"),
    ),
    "cluster_networks": (
        ("name", ("name",), "str"),
        ("id", ("id",), "str"),
        ("role", ("role",), CLUSTER_ROLES),
        ("address", ("address",), "str"),
        ("address_mask", ("addressmask",), "str"),
        ("metric", ("metric",), "int"),
        ("auto_metric", ("autometric",), "bool"),
        ("state", ("state",), "str"),
    ),
    "cluster_parameters": (
        ("name", ("name",), "str"),
        ("value", ("value",), "str"),
    ),
}
_DTYPES = {"str": pl.String, "int": pl.Int64, "bool": pl.Boolean, "bps": pl.Int64, "list": pl.List(pl.String)}
_EXTRA_COLUMNS = {
    "adapters": {"instance": pl.String, "nic": pl.String},
    "rdma": {"instance": pl.String, "nic": pl.String},
    "rss": {"instance": pl.String, "nic": pl.String},
    "smb_connections": {
        "client_instance": pl.String, "server_instance": pl.String, "client_nic": pl.String, "server_nic": pl.String,
    },
    "cluster_networks": {"excluded_from_migration": pl.Boolean, "migration_order": pl.Int64},
}


def schema(kind: str) -> dict[str, pl.DataType]:
    """Column → dtype of one topology table (``host`` first, ``source`` last)."""
    columns = {"host": pl.String}
    for name, _, conv in TABLES[kind]:
        columns[name] = _DTYPES.get(conv, pl.String) if isinstance(conv, str) else pl.String
    columns.update(_EXTRA_COLUMNS.get(kind, {}))
    columns["source"] = pl.String
    return columns


@dataclass(frozen=True)
class TopologySource:
    """One file read by :func:`kit.io.side.topology.read_topology`."""

    path: str
    kind: str
    """One of :data:`KINDS`, or ``cluster_parameters``."""
    format: str
    """``csv`` or ``json``."""
    encoding: str
    rows: int
    host: str | None
    """Host given by the subfolder, if any."""


@dataclass(frozen=True)
class Topology:
    """Host topology tables; each one empty (with its schema) when its export was not supplied.

    Tables and their columns (all have ``host`` [text] first and ``source`` [file] last):

    * ``adapters``: ``name``, ``description``, ``if_index``, ``status``, ``mac_address``,
      ``link_speed_bps`` [bit/s], ``mtu_bytes`` [bytes], ``instance`` (its ``Network Interface``
      instance name) and ``nic`` (its NIC key, :func:`kit.identity.nic_key`).
    * ``rdma``: ``name``, ``description``, ``enabled`` [bool], ``instance``, ``nic``.
    * ``rss``: ``name``, ``description``, ``enabled``, ``receive_queues`` [1], ``profile``,
      ``base_processor_group``/``_number``, ``max_processor_group``/``_number``,
      ``max_processors`` [1], ``numa_node``, ``indirection_table`` (list of ``"group:number"``;
      null from Export-Csv, which writes a type name), ``instance``, ``nic``.
    * ``smb_connections``: the MSFT_SmbMultichannelConnection properties (``server_name``,
      ``client_if_index``, ``server_if_index``, ``client_ip``, ``server_ip``, ``client_interface``,
      ``selected``, ``client_/server_rss_capable``, ``client_/server_rdma_capable``,
      ``client_/server_link_speed_bps`` [bit/s], ``max_channels``, ``current_channels``,
      ``failed``, ``failure_count``, ``smb_instance``) plus ``client_instance`` /
      ``server_instance`` and ``client_nic`` / ``server_nic``: the perfmon instances and NIC keys
      of the two interfaces, where the adapters of that host were supplied.
    * ``smb_constraints``: ``server_name``, ``interface_alias``, ``interface_index``,
      ``interface_guid``.
    * ``vmhost``: ``migration_enabled``, ``use_any_network``, ``performance_option``
      (TCPIP/Compression/SMB), ``authentication`` (CredSSP/Kerberos), ``max_migrations``,
      ``max_storage_migrations`` [1].
    * ``migration_networks``: ``subnet``, ``priority``.
    * ``cluster_networks``: ``name``, ``id``, ``role`` (None/Cluster/Client/ClusterAndClient),
      ``address``, ``address_mask``, ``metric``, ``auto_metric``, ``state``,
      ``excluded_from_migration`` [bool] and ``migration_order`` (1 = first) from the
      "Virtual Machine" resource type's parameters, null where those were not supplied.
    """

    adapters: pl.DataFrame
    rdma: pl.DataFrame
    rss: pl.DataFrame
    smb_connections: pl.DataFrame
    smb_constraints: pl.DataFrame
    vmhost: pl.DataFrame
    migration_networks: pl.DataFrame
    cluster_networks: pl.DataFrame
    warnings: tuple[LoadWarning, ...]
    sources: tuple[TopologySource, ...]

    def missing(self) -> tuple[str, ...]:
        """The kinds of :data:`KINDS` for which no export was supplied."""
        supplied = {s.kind for s in self.sources}
        return tuple(kind for kind in KINDS if kind not in supplied)
