"""Which cores did the network work: per-core RSS / DPC / interrupt spread (domain.md §2.2, §5).

NIC receive processing runs in DPCs (and the ISR in interrupt time) on the core the RSS
indirection table picks, one core per TCP connection; so per-core ``% DPC Time + % Interrupt
Time`` (``network_pct`` here) shows which cores served which queues. On a Hyper-V host the
``Processor`` / ``Processor Information`` counters of the management OS measure its root virtual
processors, not the physical CPUs: ``Hyper-V Hypervisor Root Virtual Processor`` and ``Logical
Processor`` ``% Total Run Time`` are reported beside them (root VP n is taken as LP n: with
minroot the numbers differ).

Cores are numbered 0… across processor groups in (group, number) order; ``label`` keeps the
perfmon instance (``"0,5"``). Percentages are of one core [%]; CPU time in core-seconds [s].
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

import polars as pl

from kit.analysis.results import CoreSummary, HotCore
from kit.identity import nic_key_of
from kit.inputs.capture import Capture
from kit.inputs.timebase import TIME, amount, inside, overlaps, rows_where
from kit.vocabulary import (
    CPU_OBJECTS,
    DPC_TIME,
    DPCS_QUEUED,
    INTERRUPT_TIME,
    LOGICAL_PROCESSOR,
    PER_PROCESSOR_NIC,
    PROCESSOR_TIME,
    RECEIVED_PACKETS,
    ROOT_VIRTUAL_PROCESSOR,
    TOTAL_RUN_TIME,
)

CPU_COUNTERS = {
    DPC_TIME: "dpc_pct",
    INTERRUPT_TIME: "interrupt_pct",
    PROCESSOR_TIME: "processor_pct",
    DPCS_QUEUED: "dpcs_queued_s",
}
HYPERV = {
    ROOT_VIRTUAL_PROCESSOR: "root_vp_run_pct",
    LOGICAL_PROCESSOR: "lp_run_pct",
}
"""Hyper-V object → key of its ``% Total Run Time`` per core."""
PER_CPU_NIC_COUNTERS = {RECEIVED_PACKETS: "received_packets_s", DPCS_QUEUED: "dpcs_queued_s"}
KEYS = (*CPU_COUNTERS.values(), *HYPERV.values())

ACTIVE_PCT = 5.0
"""A core did network work when its DPC + interrupt time rose this much over idle. [%]"""
SATURATED_PCT = 90.0
"""A core is saturated at this DPC + interrupt time (or root VP run time). [%]"""
NIC_CORE_SHARE = 0.05
"""A core serves a NIC when it handles this share of the NIC's received packets. [1]"""
MIN_BASELINE_SAMPLES = 3


def core_columns(capture: Capture, host: str) -> pl.DataFrame:
    """Per-core counter columns of one host, long: ``core``, ``label``, ``key``, ``column``, ``object``.

    ``key`` is one of :data:`KEYS`. ``Processor Information`` wins over ``Processor`` when both
    are logged; ``_Total`` instances are left out.
    """
    lower = {name.lower(): key for name, key in CPU_COUNTERS.items()}
    cpu = capture.lookup(host=host, object=CPU_OBJECTS, counter=list(CPU_COUNTERS)).with_columns(
        obj=pl.col("object_en").str.to_lowercase(), key=pl.col("counter_en").str.to_lowercase().replace_strict(lower)
    )
    if not cpu.is_empty():
        chosen = next(o.lower() for o in CPU_OBJECTS if o.lower() in cpu["obj"].to_list())
        cpu = cpu.filter(pl.col("obj") == chosen)
    objects = {name.lower(): key for name, key in HYPERV.items()}
    hv = capture.lookup(host=host, object=list(HYPERV), counter=TOTAL_RUN_TIME).with_columns(
        obj=pl.col("object_en").str.to_lowercase(), key=pl.col("object_en").str.to_lowercase().replace_strict(objects)
    )
    both = pl.concat([cpu, hv]).with_columns(position=_position(pl.col("instance")))
    both = both.filter(pl.col("position").is_not_null()).unnest("position")
    order = both.select("obj", "group", "number").unique().sort("obj", "group", "number").with_columns(
        core=pl.int_range(pl.len()).over("obj").cast(pl.Int64)
    )
    return both.join(order, on=["obj", "group", "number"]).select(
        "core", label=pl.col("instance"), key="key", column="column", object="object_en"
    ).sort("key", "core")


def _position(instance: pl.Expr) -> pl.Expr:
    """(group, number) of a core instance: ``"0,5"``, ``"5"``, ``"Hv LP 5"``, ``"Root VP 5"``."""
    text = instance.str.strip_chars()
    pair = text.str.extract_groups(r"^(\d+),(\d+)$")
    single = text.str.to_lowercase().str.extract(r"^(?:hv lp |root vp )?(\d+)$", 1)
    group = pl.coalesce(pair.struct.field("1"), pl.when(single.is_not_null()).then(pl.lit("0")))
    number = pl.coalesce(pair.struct.field("2"), single)
    return pl.when(number.is_not_null()).then(
        pl.struct(group=group.cast(pl.Int64), number=number.cast(pl.Int64))
    )


SEP = "#"
"""Column names of :func:`core_frame` are ``<key>#<core>``."""


def core_frame(capture: Capture, host: str) -> pl.DataFrame:
    """Per-core counters of one host, wide, on its own sample times.

    Columns: ``time``, ``prev``, ``dt_s`` [s], then ``<key>#<core>`` for every key of
    :data:`KEYS` logged and ``network_pct#<core>`` = DPC + interrupt time (either alone where
    only one is logged) [%]. Counters of the
    host kept in another log are matched to the nearest sample within half an interval.
    """
    timebase = capture.timebase
    columns = core_columns(capture, host)
    names = dict(zip(columns["column"], columns.select(pl.format(f"{{}}{SEP}{{}}", "key", "core")).to_series()))
    groups = sorted(timebase.by_source(list(names)).values(), key=len, reverse=True)
    if not groups:
        return pl.DataFrame(schema={"time": TIME, "prev": TIME, "dt_s": pl.Float64})
    frame = timebase.frame(groups[0]).drop("gap")
    half = timedelta(seconds=(timebase.log(groups[0]).interval_s or 0.0) / 2)
    for group in groups[1:]:
        other = timebase.frame(group).select("time", *group)
        frame = frame.join_asof(other, on="time", strategy="nearest", tolerance=half)
    frame = frame.rename(names)
    network = []
    for core in columns["core"].unique().sort().to_list():
        parts = [pl.col(n) for n in (f"dpc_pct{SEP}{core}", f"interrupt_pct{SEP}{core}") if n in frame.columns]
        if parts:
            network.append(sum(parts[1:], parts[0]).alias(f"network_pct{SEP}{core}"))
    return frame.with_columns(network)


def core_labels(capture: Capture, host: str) -> pl.DataFrame:
    """``core`` → ``label`` (the perfmon instance of the per-core object) of one host."""
    columns = core_columns(capture, host)
    return columns.filter(~pl.col("key").is_in(list(HYPERV.values()))).select("core", "label").unique("core").sort("core")


def _per_core(row: pl.DataFrame) -> pl.DataFrame:
    """A one-row frame of ``<key>#<core>`` values as one row per core and a column per key."""
    if not row.width:
        return pl.DataFrame(schema={"core": pl.Int64})
    long = row.unpivot(variable_name="name", value_name="value").with_columns(
        key=pl.col("name").str.split(SEP).list.first(),
        core=pl.col("name").str.split(SEP).list.last().cast(pl.Int64),
    )
    return long.pivot(on="key", index="core", values="value", aggregate_function="first").sort("core")


def core_spread(
    frame: pl.DataFrame,
    *,
    span: tuple[datetime, datetime],
    window: tuple[datetime, datetime] | None = None,
    idle: Sequence[tuple[datetime, datetime]] = (),
    labels: pl.DataFrame | None = None,
    baseline: pl.DataFrame | None = None,
    bytes_moved: float | None = None,
    active_pct: float = ACTIVE_PCT,
    saturated_pct: float = SATURATED_PCT,
) -> tuple[pl.DataFrame, CoreSummary]:
    """Core spread of one host during a migration, from :func:`core_frame`.

    ``span``: the transfer (the per-core means use the samples wholly inside it); ``window``:
    the whole migration (CPU cost integrates over it; default ``span``); ``idle``: windows to
    leave out of the idle baseline (every migration), which is the mean of the remaining
    samples when there are at least 3 of them (or give ``baseline`` from :func:`idle_baseline`,
    computed once for all migrations); ``labels`` from :func:`core_labels`;
    ``bytes_moved`` [bytes] for the cost per GB.

    Returns ``(cores, summary)``. ``cores``: per core the means of every key [%], ``baseline_pct``
    and ``excess_pct`` (network_pct over idle [%]), ``peak_network_pct`` [%], ``share`` of the
    excess [1], ``active``, ``saturated``. ``summary``: :class:`~kit.analysis.results.CoreSummary`
    (effective cores: the inverse Herfindahl 1 / Σ share² and exp of the Shannon entropy of the
    excess over idle, only where some core is active — on a host whose cores stayed idle there is
    no spread to measure and they are None; hottest:
    the top 3 by network_pct; CPU cost: core-seconds over idle in the window [s] and per GB [s/GB]).
    """
    data = [c for c in frame.columns if SEP in c]
    network = [c for c in data if c.startswith(f"network_pct{SEP}")]
    if not network:
        return pl.DataFrame(schema={"core": pl.Int64}), CoreSummary()
    window = window or span
    busy = rows_where(frame, inside(*span))
    means = _per_core(busy.select(pl.col(data).mean()))
    peaks = _per_core(busy.select(pl.col(network).max())).rename({"network_pct": "peak_network_pct"})
    processor = [c for c in data if c.startswith(f"processor_pct{SEP}")]
    base = idle_baseline(frame, idle) if baseline is None else baseline
    has_baseline = base is not None
    if base is None:
        base = pl.DataFrame({"core": means["core"], "baseline_pct": 0.0, "baseline_processor_pct": 0.0})
    cores = means.join(peaks, on="core", how="left").join(base, on="core", how="left")
    if labels is not None:
        cores = cores.join(labels, on="core", how="left")
    cores = cores.with_columns(excess_pct=(pl.col("network_pct") - pl.col("baseline_pct").fill_null(0)).clip(0))
    total_excess = cores["excess_pct"].sum()
    root = "root_vp_run_pct" in cores.columns
    cores = cores.with_columns(
        share=pl.col("excess_pct") / total_excess if total_excess else pl.lit(None, pl.Float64),
        active=pl.col("excess_pct") >= active_pct,
        saturated=pl.max_horizontal("network_pct", *(["root_vp_run_pct"] if root else [])) >= saturated_pct,
    )
    cost = _cost(rows_where(frame, overlaps(*window)), cores, processor)
    summary = _summary(cores, cost, bytes_moved, saturated_pct, baseline="idle" if has_baseline else "none")
    return cores.drop("baseline_processor_pct", strict=False), summary


def idle_baseline(frame: pl.DataFrame, busy: Sequence[tuple[datetime, datetime]]) -> pl.DataFrame | None:
    """Per-core mean load outside every ``busy`` window, from :func:`core_frame`.

    Columns ``core``, ``baseline_pct`` (DPC + interrupt) and ``baseline_processor_pct`` [%];
    None when fewer than 3 samples lie outside the windows.
    """
    overlapping = pl.any_horizontal([overlaps(s, e) for s, e in busy]) if busy else pl.lit(False)
    quiet = frame.select(pl.col("prev").is_not_null() & ~overlapping).to_series()
    if quiet.sum() < MIN_BASELINE_SAMPLES:
        return None
    columns = [c for c in frame.columns if c.startswith((f"network_pct{SEP}", f"processor_pct{SEP}"))]
    base = _per_core(frame.select(pl.col(columns).filter(quiet).mean()))
    return base.rename({"network_pct": "baseline_pct", "processor_pct": "baseline_processor_pct"}, strict=False)


def _cost(window: pl.DataFrame, cores: pl.DataFrame, processor: list[str]) -> dict[str, float | None]:
    """Core-seconds over the idle baseline in the window: all CPU and DPC + interrupt. [s]"""
    base = dict(zip(cores["core"].to_list(), cores["baseline_pct"].fill_null(0).to_list()))
    cpu_level = cores["baseline_processor_pct"] if "baseline_processor_pct" in cores.columns else pl.repeat(0.0, cores.height, eager=True)
    cpu_base = dict(zip(cores["core"].to_list(), cpu_level.fill_null(0).to_list()))

    present = set(window.columns)

    def excess(prefix: str, baseline: dict[int, float]) -> pl.Expr:
        terms = [
            amount((pl.col(f"{prefix}{SEP}{core}") - level).clip(0)).sum()
            for core, level in baseline.items()
            if f"{prefix}{SEP}{core}" in present
        ]
        return pl.sum_horizontal(terms) / 100 if terms else pl.lit(None, pl.Float64)

    row = window.select(network=excess("network_pct", base), cpu=excess("processor_pct", cpu_base)).row(0, named=True)
    return {"network": row["network"], "cpu": row["cpu"] if processor else None}


def _summary(
    cores: pl.DataFrame, cost: dict[str, float | None], bytes_moved: float | None, saturated_pct: float, *, baseline: str
) -> CoreSummary:
    shares = cores["share"].drop_nulls()
    positive = shares.filter(shares > 0)
    spread = bool(cores["active"].any())  # the excess of idle cores is noise, not a spread
    hot_keys = [k for k in ("label", "network_pct", "dpc_pct", "interrupt_pct", "processor_pct", "root_vp_run_pct")
                if k in cores.columns]
    hottest = cores.sort("network_pct", descending=True, nulls_last=True).head(3).select("core", *hot_keys)
    gb = bytes_moved / 1e9 if bytes_moved else None
    mean = cores["network_pct"].mean()
    root_hot = (
        cores.filter(pl.col("root_vp_run_pct") >= saturated_pct)["core"].to_list()
        if "root_vp_run_pct" in cores.columns else []
    )
    return CoreSummary(
        cores=cores.height,
        active=tuple(cores.filter(pl.col("active"))["core"].to_list()),
        effective=1 / (shares**2).sum() if spread and shares.len() and (shares**2).sum() else None,
        effective_shannon=math.exp(-(positive * positive.log()).sum()) if spread and positive.len() else None,
        hottest=tuple(HotCore(**row) for row in hottest.to_dicts()),
        saturated=tuple(cores.filter(pl.col("saturated"))["core"].to_list()),
        saturated_root_vps=tuple(root_hot),
        max_network_pct=cores["network_pct"].max(),
        max_to_mean=cores["network_pct"].max() / mean if mean else None,
        cpu_s=cost["cpu"],
        network_cpu_s=cost["network"],
        cpu_s_per_gb=cost["cpu"] / gb if gb and cost["cpu"] is not None else None,
        network_cpu_s_per_gb=cost["network"] / gb if gb and cost["network"] is not None else None,
        baseline=baseline,
    )


def expected_receive_cores(transport: str | None, *, nics: int, rdma_nics: int = 0, flows: int = 1) -> int | None:
    """Receive cores a migration should keep busy (domain.md §4.2, §5.4). [cores]

    SMB over TCP: 4 connections per RSS-capable NIC (``ConnectionCountPerRssNetworkInterface``),
    each on its own receive core; SMB Direct: RDMA leaves the receive CPU almost idle (0);
    TCP/IP and Compression: one TCP connection per concurrent migration (``flows``). None when the
    transport is unknown.
    """
    if transport == "smb":
        return 4 * nics
    if transport == "smb-direct":
        return 0
    if transport in ("tcp", "compression"):
        return flows
    return None


def nic_cores(capture: Capture, host: str, *, span: tuple[datetime, datetime]) -> pl.DataFrame:
    """Per NIC, the cores that handled its receive work, from the per-processor NIC counters.

    Uses ``Per Processor Network Interface Card Activity(<cpu>, <nic>)`` ``Received Packets/sec``
    (or ``DPCs Queued/sec``) over the samples inside ``span``. Columns: ``nic`` (the NIC key,
    :func:`kit.identity.nic_key`), ``instance`` (the adapter as this object names it), ``core``,
    ``received_packets_s`` / ``dpcs_queued_s`` (means [1/s]), ``share`` of the NIC's total [1];
    only cores with ≥ 5 % share. Empty when the counters were not logged.
    """
    lower = {name.lower(): key for name, key in PER_CPU_NIC_COUNTERS.items()}
    cat = capture.lookup(host=host, object=PER_PROCESSOR_NIC, counter=list(PER_CPU_NIC_COUNTERS)).with_columns(
        key=pl.col("counter_en").str.to_lowercase().replace_strict(lower)
    )
    schema = {"nic": pl.String, "instance": pl.String, "core": pl.Int64, "share": pl.Float64}
    if cat.is_empty():
        return pl.DataFrame(schema=schema)
    parts = cat["instance"].str.splitn(",", 2)
    cat = cat.with_columns(
        core=parts.struct.field("field_0").str.strip_chars().cast(pl.Int64, strict=False),
        adapter=parts.struct.field("field_1").str.strip_chars(),
    ).filter(pl.col("core").is_not_null() & pl.col("adapter").is_not_null())
    timebase = capture.timebase
    means = []
    for group in timebase.by_source(cat["column"].to_list()).values():
        frame = timebase.frame(group, where=inside(*span))
        means.append(frame.select(pl.col(group).mean()).unpivot(variable_name="column", value_name="value"))
    values = pl.concat(means).join(cat.select("column", "core", "adapter", "key"), on="column")
    wide = values.pivot(on="key", index=["adapter", "core"], values="value", aggregate_function="first")
    basis = "received_packets_s" if "received_packets_s" in wide.columns else "dpcs_queued_s"
    return (
        wide.with_columns(share=pl.col(basis) / pl.col(basis).sum().over("adapter"))
        .filter(pl.col("share") >= NIC_CORE_SHARE)
        .rename({"adapter": "instance"})
        .with_columns(nic=nic_key_of("instance"))
        .sort("instance", "core")
        .select("nic", "instance", pl.exclude("nic", "instance"))
    )


def core_matrix(frame: pl.DataFrame, *, key: str = "network_pct", labels: pl.DataFrame | None = None) -> pl.DataFrame:
    """Core × time matrix of one key of :func:`core_frame`, long, for a heatmap.

    Columns: ``time``, ``core``, ``value`` [%] (and ``label`` with ``labels``). Only this key is
    unpivoted: downsample ``frame`` in time first for long captures.
    """
    columns = [c for c in frame.columns if c.startswith(f"{key}{SEP}")]
    long = frame.select("time", *columns).unpivot(index="time", variable_name="name", value_name="value")
    long = long.select("time", core=pl.col("name").str.split(SEP).list.last().cast(pl.Int64), value="value")
    if labels is not None:
        long = long.join(labels, on="core", how="left")
    return long.sort("time", "core")
