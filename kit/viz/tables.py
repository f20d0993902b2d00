"""Tables fit for a design document: every row and column, units in the headers, sensible
rounding, no dtype row — rendered by ``great_tables`` (the ``notebook`` extra) from polars frames.

Headers come from the kit's column names: a unit suffix (``_s``, ``_gbps``, ``_pct``, ``_gb``…)
becomes the unit in brackets and byte counts are shown in GB (10^9 bytes); :data:`LABELS` names
the columns whose words need more than underscores turned into spaces.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import polars as pl

UNITS = (
    ("_bits_s", "[Gbit/s]", 1e-9), ("_bytes_s", "[GB/s]", 1e-9), ("_per_gb", "[per GB]", 1.0), ("_gbps", "[Gbit/s]", 1.0), ("_gb", "[GB]", 1.0),
    ("_pct", "[%]", 1.0), ("_bps", "[Gbit/s]", 1e-9), ("_ms", "[ms]", 1.0), ("_s", "[s]", 1.0),
    ("bytes", "[GB]", 1e-9),
)
"""Column-name ending → (unit in the header, factor applied to the values)."""
LABELS = {
    "cv": "CV [1]", "share": "Share [%]", "at_plateau_share": "At plateau [%]", "mtu": "MTU [bytes]",
    "nic_count": "NICs", "nics_carrying": "NICs carrying", "link_gbps": "Link [Gbit/s]", "vm": "VM",
    "dip_count": "Dips", "instance": "Perfmon instance", "nic": "NIC", "ip": "IP",
    "cpu_s_per_gb": "CPU [core-s/GB]", "network_cpu_s_per_gb": "DPC + interrupt [core-s/GB]",
    "dpcs_queued_s": "DPCs queued [1/s]", "page_bytes": "Page [bytes]", "dirty_pages": "Dirty pages",
    "client_link_speed_bps": "Client link [Gbit/s]", "server_link_speed_bps": "Server link [Gbit/s]",
    "transport_label": "Transport (label)", "gb_moved": "Moved [GB]", "bytes_moved": "Moved [GB]",
    "nic_bytes": "NIC bytes [GB]", "tcp_bytes": "TCP [GB]", "rdma_bytes": "RDMA [GB]", "memory_bytes": "Memory [GB]",
    "pct_of_link": "Mean of link [%]", "pct_of_ceiling": "Mean of MTU ceiling [%]", "smb_direct_connections": "SMB Direct connections",
}
"""Headers that the unit rules would not write well."""
SHARES = {"share", "at_plateau_share"}
"""Fractions shown in percent."""
COUNTS = {"page_bytes"}
"""Byte columns kept in bytes."""


def design_table(frame: pl.DataFrame, *, title: str | None = None, labels: Mapping[str, str] | None = None,
                 table_id: str | None = None):
    """``frame`` as a ``great_tables.GT``: all rows, headers with units, numbers rounded (3
    significant digits, thousands separated), times as UTC text, nulls as ``–``."""
    from great_tables import GT  # the notebook extra; imported here so charts and reports do without it

    shown, headers, decimals = _prepared(frame, labels or {})
    table = GT(shown, id=table_id).cols_label(**headers).sub_missing(missing_text="–")
    for column, places in decimals.items():
        table = table.fmt_number(columns=column, decimals=places, use_seps=True)
    table = table.tab_options(table_font_size="13px", data_row_padding="3px", column_labels_font_weight="bold")
    return table.tab_header(title=title) if title else table


def table_html(frame: pl.DataFrame, *, title: str | None = None, labels: Mapping[str, str] | None = None) -> str:
    """:func:`design_table` as HTML (for an ``ipywidgets.HTML`` pane or a page)."""
    return design_table(frame, title=title, labels=labels).as_raw_html()


def header(column: str) -> str:
    """The header of a kit column: ``duration_s`` → ``Duration [s]``, ``bytes`` → ``Bytes [GB]``."""
    if column in LABELS:
        return LABELS[column]
    for suffix, unit, _ in UNITS:
        if column.endswith(suffix) and column not in COUNTS:
            stem = column[: -len(suffix)].strip("_") or suffix.strip("_")
            return f"{_words(stem)} {unit}"
    return _words(column)


def _factor(name: str) -> float:
    """What a column's values are multiplied by for display (bytes → GB, shares → %)."""
    if name in SHARES:
        return 100.0
    if name in COUNTS:
        return 1.0
    if name.startswith("bytes_") and not name.endswith("_s"):
        return 1e-9
    return next((f for suffix, _, f in UNITS if name.endswith(suffix)), 1.0)


def _words(name: str) -> str:
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _prepared(frame: pl.DataFrame, labels: Mapping[str, str]) -> tuple[pl.DataFrame, dict[str, str], dict[str, int]]:
    """The frame in display units (GB, %, UTC text), each column's header and decimal places."""
    columns, headers, decimals = [], {}, {}
    for name, dtype in frame.schema.items():
        expr = pl.col(name)
        factor = _factor(name)
        if isinstance(dtype, pl.Datetime):
            expr = (expr.dt.convert_time_zone("UTC") if dtype.time_zone else expr).dt.strftime("%Y-%m-%d %H:%M:%S%.3f")
        elif isinstance(dtype, pl.List):
            expr = expr.cast(pl.List(pl.String)).list.join(", ")
        elif dtype == pl.Boolean:
            expr = expr.replace_strict({True: "yes", False: "no"}, return_dtype=pl.String)
        elif dtype.is_float() or (dtype.is_integer() and factor != 1.0):
            values = frame[name].cast(pl.Float64) * factor
            expr = pl.lit(values).alias(name)
            decimals[name] = _places(values)
        columns.append(expr.alias(name))
        headers[name] = labels.get(name) or header(name) + (" [UTC]" if isinstance(dtype, pl.Datetime) else "")
    return frame.select(columns), headers, decimals


def _places(values: pl.Series) -> int:
    """Decimal places that show 3 significant digits of the column's typical (median absolute)
    value, at most 3 (and none for whole numbers)."""
    finite = values.drop_nulls().filter(values.drop_nulls().is_finite()).abs()
    if finite.is_empty() or (finite == finite.round(0)).all():
        return 0
    typical = finite.filter(finite > 0).median() or 0.0
    for places, limit in ((0, 100), (1, 10), (2, 1)):
        if typical >= limit:
            return places
    return 3


def utc_text(value: datetime | None) -> str:
    """A time as ``2025-02-11 13:05:17 UTC`` (``–`` for none)."""
    return "–" if value is None else f"{value:%Y-%m-%d %H:%M:%S} UTC"
