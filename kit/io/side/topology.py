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
perfmon instance name by the provider escaping rule (§1.5, :func:`kit.identity.escape_instance`)
and its NIC key (:func:`kit.identity.nic_key`).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from kit.errors import DataError, InputNotFoundError, LoadWarning, UnsupportedFormatError
from kit.identity import escaped_of, host_key_of, nic_key_of
from kit.inputs.topology import KINDS, TABLES, Topology, TopologySource, schema
from kit.io.common import LINE, line_list, quote
from kit.io.side.text import decode_text, read_export_csv

TOPOLOGY_SUFFIXES = (".json", ".csv", ".txt")
_TYPE_NAME = r"^[A-Za-z_][\w.`+]*(\[[\w.,`\[\] ]*\])+$|^(System|Microsoft)\.[\w.`+]+$"
"""What Export-Csv writes for a nested object or array: its .NET type name."""
_MAX_LISTED = 5

_HOST_KEYS = ("pscomputername", "computername", "hostname")
_EXTRA_HOST_KEYS = {"vmhost": ("name", "fullyqualifieddomainname")}
_BPS_UNITS = {"": 1.0, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}


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
    for kind in ("adapters", "rdma", "rss"):
        tables[kind] = tables[kind].with_columns(instance=escaped_of("description"), nic=nic_key_of("description"))
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
    for name, keys, conv in TABLES[kind]:
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
    """Typed values of text cells (see :data:`kit.inputs.topology.TABLES` for the converters)."""
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
            f"{bad.height} {key!r} value(s) are {what}, set to null: first {quote(bad['raw'][0])}{where}",
            line=lines[0] if lines else None,
        )
    )


def _smb_instances(connections: pl.DataFrame, adapters: pl.DataFrame) -> pl.DataFrame:
    """Add the perfmon instances and NIC keys of each connection's client and server interfaces
    (found by host and ifIndex in the adapters)."""
    nics = adapters.select(key=host_key_of("host"), idx="if_index", inst="instance", nic="nic").unique(["key", "idx"])
    rows = connections.with_columns(
        _ck=host_key_of("host"), _sk=host_key_of("server_name"), _row=pl.int_range(pl.len())
    )
    client = rows.join(nics, left_on=["_ck", "client_if_index"], right_on=["key", "idx"], how="left")
    server = nics.rename({"inst": "sinst", "nic": "snic"})
    both = client.join(server, left_on=["_sk", "server_if_index"], right_on=["key", "idx"], how="left")
    return (
        both.sort("_row")
        .with_columns(client_instance="inst", server_instance="sinst", client_nic="nic", server_nic="snic")
        .drop("_ck", "_sk", "_row", "inst", "sinst", "nic", "snic")
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
