"""Host topology exported with PowerShell: NICs, RDMA, RSS, SMB Multichannel and LM settings.

Each file is recognised by its columns or keys, whatever its name:

* ``Export-Csv`` (with or without the ``#TYPE`` line; ``,`` or ``-UseCulture``'s ``;``) and
  ``ConvertTo-Json`` (one object or an array; Windows PowerShell 5.1 and PowerShell 7 layouts;
  enums as numbers or names, booleans as ``true`` or ``"True"``) of ``Get-NetAdapter``,
  ``Get-NetAdapterRdma``, ``Get-NetAdapterRss``, ``Get-SmbMultichannelConnection [-IncludeNotSelected]``,
  ``Get-SmbMultichannelConstraint``, ``Get-VMHost``, ``Get-VMMigrationNetwork``,
  ``Get-ClusterNetwork`` and ``Get-ClusterResourceType "Virtual Machine" | Get-ClusterParameter``
  (``MigrationExcludeNetworks`` / ``MigrationNetworkOrder``, semicolon-separated network ids).

Property names follow the CIM classes (MSFT_NetAdapter, MSFT_NetAdapterRdmaSettingData,
MSFT_NetAdapterRssSettingData, MSFT_SmbMultichannelConnection; domain reference §4.3, §5.2) and the
Hyper-V / FailoverClusters PowerShell objects (VMHost, VMMigrationNetwork, ClusterNetwork,
ClusterParameter). Where a detail is uncertain both forms are accepted (noted in the code).

The host of a row is ``PSComputerName`` / ``ComputerName`` / ``HostName`` when the data has it,
else the name of the per-host subfolder the file is in, else ``SystemName``. Each adapter gets its
perfmon instance name by the provider escaping rule (§1.5, :func:`kit.paths.escape_instance`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from kit.errors import (
    DataError,
    InputNotFoundError,
    LoadWarning,
    UnsupportedFormatError,
)
from kit.io.exports import decode_text, read_export_csv
from kit.io.table import LINE, line_list
from kit.paths import escape_instance

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

TOPOLOGY_SUFFIXES = (".json", ".csv", ".txt")
_TYPE_NAME = r"^[A-Za-z_][\w.`+]*(\[[\w.,`\[\] ]*\])+$|^(System|Microsoft)\.[\w.`+]+$"
"""What Export-Csv writes for a nested object or array: its .NET type name."""
_MAX_LISTED = 5

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

# Output column → (property names tried in order, converter). Converters: str, int, bool, bps
# (bits/s from a number or a "10 Gbps" text), list (space-separated "group:number" entries), or an
# enum mapping.
_Spec = tuple[tuple[str, tuple[str, ...], object], ...]
_SPECS: dict[str, _Spec] = {
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
_HOST_KEYS = ("pscomputername", "computername", "hostname")
_EXTRA_HOST_KEYS = {"vmhost": ("name", "fullyqualifieddomainname")}
_DTYPES = {"str": pl.String, "int": pl.Int64, "bool": pl.Boolean, "bps": pl.Int64, "list": pl.List(pl.String)}
_BPS_UNITS = {"": 1.0, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}
_EXTRA_COLUMNS = {
    "adapters": {"instance": pl.String},
    "rdma": {"instance": pl.String},
    "rss": {"instance": pl.String},
    "smb_connections": {"client_instance": pl.String, "server_instance": pl.String},
    "cluster_networks": {"excluded_from_migration": pl.Boolean, "migration_order": pl.Int64},
}


def schema(kind: str) -> dict[str, pl.DataType]:
    """Column → dtype of one topology table (``host`` first, ``source`` last)."""
    columns = {"host": pl.String}
    for name, _, conv in _SPECS[kind]:
        columns[name] = _DTYPES.get(conv, pl.String) if isinstance(conv, str) else pl.String
    columns.update(_EXTRA_COLUMNS.get(kind, {}))
    columns["source"] = pl.String
    return columns


@dataclass(frozen=True)
class TopologySource:
    """One file read by :func:`read_topology`."""

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
      ``link_speed_bps`` [bit/s], ``mtu_bytes`` [bytes], ``instance`` (perfmon instance name).
    * ``rdma``: ``name``, ``description``, ``enabled`` [bool], ``instance``.
    * ``rss``: ``name``, ``description``, ``enabled``, ``receive_queues`` [1], ``profile``,
      ``base_processor_group``/``_number``, ``max_processor_group``/``_number``,
      ``max_processors`` [1], ``numa_node``, ``indirection_table`` (list of ``"group:number"``;
      null from Export-Csv, which writes a type name), ``instance``.
    * ``smb_connections``: the MSFT_SmbMultichannelConnection properties (``server_name``,
      ``client_if_index``, ``server_if_index``, ``client_ip``, ``server_ip``, ``client_interface``,
      ``selected``, ``client_/server_rss_capable``, ``client_/server_rdma_capable``,
      ``client_/server_link_speed_bps`` [bit/s], ``max_channels``, ``current_channels``,
      ``failed``, ``failure_count``, ``smb_instance``) plus ``client_instance`` /
      ``server_instance``, the perfmon instances of the two interfaces where the adapters of that
      host were supplied.
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


def read_topology(path: str | Path) -> Topology:
    """Read topology exports from a file or a folder (and its per-host subfolders).

    In a folder, files that are not a known export are reported in the warnings and left out; a
    single file that is not one raises :class:`~kit.errors.UnsupportedFormatError`.
    """
    root = Path(path)
    if root.is_file():
        files = [(root, None)]
    elif root.is_dir():
        files = [(p, None) for p in _listed(root)]
        files += [(p, sub.name) for sub in sorted(root.iterdir()) if sub.is_dir() for p in _listed(sub)]
        if not files:
            raise InputNotFoundError(
                "the folder holds no .json/.csv/.txt topology exports", path=root,
                hint="export with e.g. Get-NetAdapter | ConvertTo-Json > adapters.json",
            )
    else:
        raise InputNotFoundError("no such file or folder", path=root)
    parts: dict[str, list[pl.DataFrame]] = {kind: [] for kind in (*KINDS, "cluster_parameters")}
    warnings: list[LoadWarning] = []
    sources: list[TopologySource] = []
    for file, host in files:
        try:
            found = _read_file(file, host, warnings)
        except UnsupportedFormatError as exc:
            if root.is_file():
                raise
            warnings.append(LoadWarning(str(file), "not-topology", f"{exc.reason}: left out"))
            continue
        for kind, frame, fmt, codec in found:
            parts[kind].append(frame)
            sources.append(TopologySource(str(file), kind, fmt, codec, frame.height, host))
    tables = {
        kind: pl.concat(frames) if frames else pl.DataFrame(schema=schema(kind))
        for kind, frames in parts.items()
    }
    instance = pl.col("description").map_elements(escape_instance, return_dtype=pl.String)
    for kind in ("adapters", "rdma", "rss"):
        tables[kind] = tables[kind].with_columns(instance=instance)
    tables["smb_connections"] = _smb_instances(tables["smb_connections"], tables["adapters"])
    tables["cluster_networks"] = _migration_order(
        tables.pop("cluster_networks"), tables.pop("cluster_parameters"), warnings
    )
    for kind in ("adapters", "rdma", "rss", "smb_connections", "vmhost"):
        unknown = tables[kind].filter(pl.col("host").is_null())
        if unknown.height:
            warnings.append(
                LoadWarning(
                    unknown["source"][0], "host-unknown",
                    f"{unknown.height} {kind} row(s) name no host (no PSComputerName/ComputerName/"
                    "HostName/SystemName and no per-host subfolder): host left null",
                )
            )
    return Topology(
        **{kind: tables[kind].select(schema(kind).keys()) for kind in KINDS},
        warnings=tuple(warnings),
        sources=tuple(sources),
    )


def _listed(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in TOPOLOGY_SUFFIXES)


def _read_file(
    path: Path, host: str | None, warnings: list[LoadWarning]
) -> list[tuple[str, pl.DataFrame, str, str]]:
    """[(kind, normalised frame, format, encoding)] of one export file."""
    text, codec, decode_warnings = decode_text(path)
    warnings.extend(decode_warnings)
    if text.lstrip().startswith(("{", "[")):
        groups, fmt = _json_groups(text, path, warnings), "json"
    else:
        frame, read_warnings = read_export_csv(text, path)
        warnings.extend(read_warnings)
        kind = _kind({c.lower() for c in frame.columns})
        if kind is None:
            names = [c for c in frame.columns if c != LINE][:6]
            raise UnsupportedFormatError(
                f"the columns {names} are not those of a known topology export", path=path,
                hint="expected " + _EXPECTED,
            )
        groups, fmt = {kind: frame}, "csv"
    return [(kind, _normalise(kind, groups[kind], path, host, warnings), fmt, codec) for kind in groups]


_EXPECTED = (
    "Get-NetAdapter, Get-NetAdapterRdma, Get-NetAdapterRss, Get-SmbMultichannelConnection, "
    "Get-SmbMultichannelConstraint, Get-VMHost, Get-VMMigrationNetwork, Get-ClusterNetwork or "
    "Get-ClusterParameter output through Export-Csv or ConvertTo-Json"
)
_VMHOST_KEYS = {
    "virtualmachinemigrationenabled", "virtualmachinemigrationperformanceoption", "useanynetworkformigration",
}
_ADAPTER_KEYS = {"ifindex", "interfaceindex", "linkspeed", "speed", "mtusize"}


def _kind(keys: set[str]) -> str | None:
    """Which export a set of lower-cased property names comes from (None: unknown)."""
    if {"clientinterfaceindex", "serverinterfaceindex"} <= keys:
        return "smb_connections"
    if "servername" in keys and keys & {"interfacealias", "interfaceindex", "interfaceguid"}:
        return "smb_constraints"
    # Get-NetAdapterVmq also has NumberOfReceiveQueues, but neither Profile nor an indirection table.
    if "numberofreceivequeues" in keys and keys & {"profile", "indirectiontable", "rssprocessorarray"}:
        return "rss"
    if keys & _VMHOST_KEYS:
        return "vmhost"
    if {"subnet", "priority"} <= keys:
        return "migration_networks"
    if {"name", "value"} <= keys and keys & {"clusterobject", "parametertype", "isreadonly"}:
        return "cluster_parameters"
    if {"role", "metric", "address"} <= keys:
        return "cluster_networks"
    if "interfacedescription" in keys and keys & _ADAPTER_KEYS:
        return "adapters"
    if {"name", "interfacedescription", "enabled"} <= keys and "numberofreceivequeues" not in keys:
        return "rdma"
    return None


def _json_groups(text: str, path: Path, warnings: list[LoadWarning]) -> dict[str, pl.DataFrame]:
    """The objects of a ConvertTo-Json file grouped by kind, as all-text frames."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise DataError(
            "the JSON is nested too deeply to read", path=path,
            hint="export again with ConvertTo-Json (a PowerShell export is a few levels deep)",
        ) from None
    except json.JSONDecodeError as exc:
        raise DataError(
            f"not valid JSON: {exc.msg}", path=path, line=exc.lineno, column=exc.colno,
            hint="export again with ConvertTo-Json (the file may be truncated)",
        ) from None
    items = data if isinstance(data, list) else [data]
    rows: dict[str, list[dict]] = {}
    unknown = []
    for number, item in enumerate(items, 1):
        kind = _kind({k.lower() for k in item}) if isinstance(item, dict) else None
        if kind is None:
            unknown.append(number)
            continue
        row = {k.lower(): _json_cell(v) for k, v in item.items()}
        rows.setdefault(kind, []).append(row | {LINE: None})
    if not rows:
        first = items[0] if items else None
        keys = sorted(first)[:6] if isinstance(first, dict) else type(first).__name__
        raise UnsupportedFormatError(
            f"the JSON holds no known topology object (first object's keys: {keys})", path=path,
            hint="expected " + _EXPECTED,
        )
    if unknown:
        warnings.append(
            LoadWarning(
                str(path), "unknown-object",
                f"{len(unknown)} JSON object(s) are not a known topology object and were left out: "
                f"object number(s) {unknown[:_MAX_LISTED]}",
            )
        )
    return {kind: pl.DataFrame(rows[kind], infer_schema_length=None).cast(pl.String) for kind in rows}


def _json_cell(value: object) -> str | None:
    """A JSON value as Export-Csv would write it, lists of processors as "group:number" text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, list):
        return " ".join(c for c in (_processor(v) for v in value) if c is not None)
    if isinstance(value, dict):
        return _processor(value) or json.dumps(value)
    return str(value)


def _processor(value: object) -> str | None:
    """``"group:number"`` of a PROCESSOR_NUMBER-like object or text; other text as it is."""
    if isinstance(value, dict):
        keys = {k.lower(): v for k, v in value.items()}
        # Property names of the nested processor objects are not sourced: both spellings accepted.
        group = keys.get("processorgroup", keys.get("group"))
        number = keys.get("processornumber", keys.get("number"))
        return None if group is None or number is None else f"{group}:{number}"
    return _json_cell(value)


def _normalise(
    kind: str, frame: pl.DataFrame, path: Path, subfolder: str | None, warnings: list[LoadWarning]
) -> pl.DataFrame:
    """The typed table of one kind from an all-text frame (columns matched case-insensitively)."""
    lower = {c.lower(): c for c in frame.columns if c != LINE}
    text = frame.select(
        pl.col(LINE).cast(pl.Int64),
        *[pl.col(c).str.strip_chars().replace("", None).alias(low) for low, c in lower.items()],
    )
    named = [pl.col(k) for k in (*_HOST_KEYS, *_EXTRA_HOST_KEYS.get(kind, ())) if k in lower]
    system = [pl.col("systemname")] if "systemname" in lower else []
    columns = [pl.coalesce(*named, pl.lit(subfolder), *system).cast(pl.String).alias("host")]
    for name, keys, conv in _SPECS[kind]:
        present = [k for k in keys if k in lower]
        if not present:
            columns.append(pl.lit(None, dtype=schema(kind)[name]).alias(name))
            continue
        raw = pl.coalesce(*[pl.col(k) for k in present])
        value = _convert(raw, conv)
        columns.append(value.alias(name))
        _report_bad(text, raw, value, lower[present[0]], path, warnings, conv)
    return text.select(*columns, pl.lit(str(path)).alias("source"))


def _convert(raw: pl.Expr, conv: object) -> pl.Expr:
    """Typed values of text cells (see :data:`_SPECS` for the converters)."""
    if isinstance(conv, dict):
        return raw.replace(conv)
    if conv == "int":
        return raw.cast(pl.Int64, strict=False)
    if conv == "bool":
        words = {"true": True, "false": False, "1": True, "0": False}
        return raw.str.to_lowercase().replace_strict(words, default=None, return_dtype=pl.Boolean)
    if conv == "bps":
        parts = raw.str.extract_groups(r"(?i)^([\d.,]+)\s*([kmgt]?)bps$")
        number = parts.struct[0].str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
        prefix = parts.struct[1].str.to_lowercase()
        unit = prefix.replace_strict(_BPS_UNITS, default=None, return_dtype=pl.Float64)
        return pl.coalesce(raw.cast(pl.Int64, strict=False), (number * unit).round().cast(pl.Int64, strict=False))
    if conv == "list":
        return pl.when(raw.str.contains(_TYPE_NAME)).then(None).otherwise(raw.str.split(" "))
    return raw


def _report_bad(
    text: pl.DataFrame, raw: pl.Expr, value: pl.Expr, key: str, path: Path,
    warnings: list[LoadWarning], conv: object,
) -> None:
    """Warn about cells that have text but no value after conversion (enums: unknown numbers)."""
    if conv == "str":
        return
    if isinstance(conv, dict):
        value = pl.when(raw.str.contains(r"^\d+$") & ~raw.is_in(list(conv))).then(None).otherwise(value)
    cells = text.select(LINE, raw.alias("raw"), value.alias("value"))
    bad = cells.filter(pl.col("raw").is_not_null() & pl.col("value").is_null())
    if not bad.height:
        return
    if conv == "list":
        what = "a .NET type name (Export-Csv cannot write nested objects; use ConvertTo-Json -Depth 3)"
    else:
        what = "not readable"
    lines = [v for v in bad[LINE].to_list() if v is not None]
    where = f" ({line_list(lines)})" if lines else ""
    warnings.append(
        LoadWarning(
            str(path), "bad-value",
            f"{bad.height} {key!r} value(s) are {what}, set to null: first {bad['raw'][0]!r}{where}",
            line=lines[0] if lines else None,
        )
    )


def _host_key(column: str) -> pl.Expr:
    """Short upper-case host name for joins (``hv01.example.local`` → ``HV01``)."""
    return pl.col(column).str.to_uppercase().str.split(".").list.first()


def _smb_instances(connections: pl.DataFrame, adapters: pl.DataFrame) -> pl.DataFrame:
    """Add the perfmon instances of each connection's client and server interfaces."""
    nics = adapters.select(key=_host_key("host"), idx="if_index", inst="instance").unique(["key", "idx"])
    rows = connections.with_columns(
        _ck=_host_key("host"), _sk=_host_key("server_name"), _row=pl.int_range(pl.len())
    )
    client = rows.join(nics, left_on=["_ck", "client_if_index"], right_on=["key", "idx"], how="left")
    server = nics.rename({"inst": "sinst"})
    both = client.join(server, left_on=["_sk", "server_if_index"], right_on=["key", "idx"], how="left")
    return (
        both.sort("_row")
        .with_columns(client_instance="inst", server_instance="sinst")
        .drop("_ck", "_sk", "_row", "inst", "sinst")
    )


def _migration_order(
    networks: pl.DataFrame, parameters: pl.DataFrame, warnings: list[LoadWarning]
) -> pl.DataFrame:
    """Mark cluster networks with MigrationExcludeNetworks / MigrationNetworkOrder (network ids)."""
    values = {
        name.lower(): [v.strip().lower() for v in (value or "").split(";") if v.strip()]
        for name, value in parameters.select("name", "value").iter_rows()
    }
    excluded, order = values.get("migrationexcludenetworks"), values.get("migrationnetworkorder")
    if (excluded is not None or order is not None) and not networks.height:
        warnings.append(
            LoadWarning(
                parameters["source"][0], "no-cluster-networks",
                "live-migration network parameters were given without a Get-ClusterNetwork export "
                "to match their network ids against: not applied",
            )
        )
    known = set(networks["id"].str.to_lowercase().drop_nulls().to_list())
    stray = [i for i in (excluded or []) + (order or []) if known and i not in known]
    if stray:
        message = f"network id(s) {stray[:_MAX_LISTED]} match no cluster network"
        warnings.append(LoadWarning(parameters["source"][0], "unknown-network-id", message))
    ids = pl.col("id").str.to_lowercase()
    positions = {i: n for n, i in enumerate(order or [], 1)}
    return networks.with_columns(
        excluded_from_migration=pl.lit(None, pl.Boolean) if excluded is None else ids.is_in(excluded),
        migration_order=(
            pl.lit(None, pl.Int64)
            if order is None
            else ids.replace_strict(positions, default=None, return_dtype=pl.Int64)
        ),
    )
