"""Throughput of a migration: bytes per NIC, rate statistics, steadiness, histogram and CDF.

A migration's bytes are sent by the source host and received by the destination host, each seen
by its own NIC counters (a *leg*: one host, one direction). ``Bytes Sent|Received/sec`` carries
TCP traffic (SMB Multichannel, TCP/IP, Compression) and ``RDMA Outbound|Inbound Bytes/sec`` the
SMB Direct traffic, which the Network Interface counters never see (domain.md §2.1, §2.4).

Units: rates in bytes/s in frames (``*_bytes_s``); bytes as counted by Windows, i.e. including the
14-byte MAC header of every frame; Gbit/s (10^9 bit/s) only for histogram bins.

Samples of a leg (see :func:`leg_series`) are tagged with a ``phase``: ``transfer`` (the interior
of the burst: used for percentiles, steadiness, histogram and CDF), ``edge`` (the first and last
burst samples, which straddle the start and end and understate the rate) and ``idle`` (in the
window, outside the burst: set-up, teardown).
"""

from __future__ import annotations

import math
from datetime import datetime

import polars as pl

from kit.analysis.live_migration import wire_rate
from kit.analysis.nics import nic_table
from kit.analysis.results import GBPS, PERCENTILES, Dip, Leg, NicStop, RateStats, Steadiness, Throughput, Window
from kit.errors import OptionError
from kit.inputs.capture import Capture
from kit.inputs.timebase import amount, overlaps, spans
from kit.limits import l2_ceiling_bytes_s, mtu_from_frame_bytes
from kit.vocabulary import BYTES_RECEIVED, BYTES_SENT, BYTES_TOTAL

BURST_SHARE = 0.1
"""A sample belongs to the burst when its rate exceeds this share of the window's peak. [1]"""
CARRIED_SHARE = 0.01
"""A NIC carried the migration when it moved at least this share of the leg's bytes. [1]"""
DIP_FRACTION = 0.9
"""Default dip threshold and plateau band: below this share of the plateau is a dip. [1]"""
ASSUMED_MTU = 1500
"""The MTU taken when none is given and bytes per packet tell none. [bytes]"""
SILENT_SHARE = 0.05
"""A NIC reading under this share of its usual transfer rate (its 90th percentile) is silent. [1]"""
MIN_SILENT_SAMPLES = 2
"""A NIC must stay silent this many transfer samples, to the end, to have stopped. [samples]"""

COUNTER_NAMES = {"sent": BYTES_SENT, "received": BYTES_RECEIVED}
DIRECTIONS = {"sent": ("sent", "rdma_out", "packets_sent"), "received": ("received", "rdma_in", "packets_received")}
"""Leg direction → (Network Interface key, RDMA key, packet key) of :func:`kit.analysis.nics.nic_table`."""
NIC_BYTES_SCHEMA = {
    "host": pl.String, "nic": pl.String, "instance": pl.String, "kind": pl.String, "counted": pl.Boolean,
    "carried": pl.Boolean, "direction": pl.String, "counter": pl.String, "bytes": pl.Float64,
    "tcp_bytes": pl.Float64, "rdma_bytes": pl.Float64, "share": pl.Float64, "missing_s": pl.Float64,
    "link_bits_s": pl.Float64, "bytes_per_packet": pl.Float64, "mtu": pl.Int64, "mtu_basis": pl.String,
}
"""Columns of :func:`nic_bytes`."""


def leg_series(
    capture: Capture, *, host: str, direction: str, start: datetime, end: datetime
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per-sample rates of one host's NICs in one direction over a window.

    Returns ``(series, nics)``. ``series``: ``time``, ``prev``, ``dt_s`` [s], ``gap`` (samples
    missing before this one), ``phase``, ``total_bytes_s`` (Σ of the counted NICs) and one column
    per NIC instance [bytes/s], for the samples whose interval overlaps ``[start, end]``.
    ``nics``: the host's rows of :func:`kit.analysis.nics.nic_table`. NICs whose counters lie in
    another log than the host's main one are left out of the series and listed by
    :func:`nic_bytes` all the same.
    """
    if direction not in DIRECTIONS:
        raise OptionError(f"direction must be one of {list(DIRECTIONS)}, not {direction!r}")
    tcp, rdma, _ = DIRECTIONS[direction]
    nics = nic_table(capture).filter(pl.col("host") == host)
    rated = with_total_fallback(nics, tcp)
    rate_columns = [c for c in rated[tcp].to_list() + rated[rdma].to_list() if c]
    if not rate_columns:
        return _empty_series(), nics
    timebase = capture.timebase
    groups = timebase.by_source(rate_columns)
    main = max(groups, key=lambda s: len(groups[s]))
    frame = timebase.frame(groups[main], where=overlaps(start, end))
    rows = rated.select("instance", tcp, rdma, "counted").iter_rows()
    rates = {instance: (_nic_rate(t, r, groups[main]), counted) for instance, t, r, counted in rows}
    per_nic = [rate.alias(instance) for instance, (rate, _) in rates.items() if rate is not None]
    series = frame.select("time", "prev", "dt_s", "gap", *per_nic)
    counted = [i for i, (rate, c) in rates.items() if c and rate is not None]
    total = pl.sum_horizontal(counted) if counted else pl.lit(None, pl.Float64)
    any_value = pl.any_horizontal(pl.col(counted).is_not_null()) if counted else pl.lit(False)
    series = series.with_columns(total_bytes_s=pl.when(any_value).then(total))
    return _phases(series), nics


def with_total_fallback(nics: pl.DataFrame, key: str) -> pl.DataFrame:
    """NICs that log only ``Bytes Total/sec`` use it for ``key`` (flagged in ``total_only``):
    sent + received then stands for one direction, an upper bound of it."""
    total_only = pl.col(key).is_null() & pl.col("total").is_not_null()
    return nics.with_columns(total_only=total_only, **{key: pl.coalesce(key, "total")})


def _nic_rate(tcp: str | None, rdma: str | None, available: list[str]) -> pl.Expr | None:
    """TCP + RDMA rate of one NIC from the columns available in this log (None if neither)."""
    parts = [pl.col(c) for c in (tcp, rdma) if c and c in available]
    if not parts:
        return None
    return pl.when(pl.any_horizontal(p.is_not_null() for p in parts)).then(pl.sum_horizontal(parts))


def _phases(series: pl.DataFrame) -> pl.DataFrame:
    """Tag each sample idle / edge / transfer (see the module docstring)."""
    peak = series["total_bytes_s"].max()
    if peak is None or series.height == 0:
        return series.with_columns(phase=pl.lit("idle"))
    burst = (pl.col("total_bytes_s") > BURST_SHARE * peak).fill_null(False)
    index = pl.int_range(pl.len())
    first = index.filter(burst).min()
    last = index.filter(burst).max()
    edge = (index == first) | (index == last)
    short = (last - first) < 2  # fewer than 3 burst samples: keep them all
    phase = (
        pl.when((index < first) | (index > last)).then(pl.lit("idle"))
        .when(edge & ~short).then(pl.lit("edge"))
        .otherwise(pl.lit("transfer"))
    )
    return series.with_columns(phase=phase)


def _empty_series() -> pl.DataFrame:
    return pl.DataFrame(
        schema={"time": pl.Datetime("us", "UTC"), "prev": pl.Datetime("us", "UTC"), "dt_s": pl.Float64,
                "gap": pl.Boolean, "total_bytes_s": pl.Float64, "phase": pl.String}
    )


def nic_bytes(
    capture: Capture,
    nics: pl.DataFrame,
    *,
    direction: str,
    start: datetime,
    end: datetime,
    mtu: int | None = None,
) -> pl.DataFrame:
    """Bytes, rates, link use and MTU of each NIC of one leg over ``[start, end]``.

    One row per NIC of ``nics`` (rows of :func:`kit.analysis.nics.nic_table`), :data:`NIC_BYTES_SCHEMA`:
    ``host``, ``nic`` (key), ``instance``, ``kind``, ``counted``, ``direction``, ``counter``,
    ``tcp_bytes`` / ``rdma_bytes`` / ``bytes`` [bytes] (rate × interval summed over the samples
    that overlap the window), ``share`` of the leg's counted bytes [1], ``carried`` (share ≥ 1 %),
    ``missing_s`` (time in the window with no value [s]), ``link_bits_s`` (mean Current
    Bandwidth [bit/s]), ``bytes_per_packet`` (TCP bytes ÷ packets [bytes]), ``mtu`` and
    ``mtu_basis`` (``given``, ``bytes/packet`` or ``assumed``: 1500).
    """
    tcp, rdma, packets = DIRECTIONS[direction]
    nics = with_total_fallback(nics, tcp)
    keys = {"tcp": tcp, "rdma": rdma, "packets": packets, "link": "bandwidth"}
    wanted = [c for name in keys.values() for c in nics[name].to_list() if c]
    figures = [_column_figures(capture, columns, start, end) for columns in capture.timebase.by_source(wanted).values()]
    per_column = pl.concat(figures) if figures else pl.DataFrame(
        schema={"column": pl.String, "amount": pl.Float64, "mean": pl.Float64, "missing_s": pl.Float64}
    )

    def joined(frame: pl.DataFrame, key: str, *values: str) -> pl.DataFrame:
        renamed = per_column.select("column", *(pl.col(v).alias(f"{key}_{v}") for v in values))
        return frame.join(renamed, left_on=key, right_on="column", how="left", maintain_order="left")

    table = nics.rename({tcp: "tcp", rdma: "rdma", packets: "packets", "bandwidth": "link"}, strict=False)
    table = joined(table, "tcp", "amount", "missing_s")
    table = joined(table, "rdma", "amount", "missing_s")
    table = joined(table, "packets", "amount")
    table = joined(table, "link", "mean")
    table = table.select(
        "host", "nic", "instance", "kind", "counted",
        direction=pl.lit(direction),
        counter=pl.when("total_only").then(pl.lit(BYTES_TOTAL)).otherwise(pl.lit(COUNTER_NAMES[tcp])),
        tcp_bytes="tcp_amount", rdma_bytes="rdma_amount", packets="packets_amount",
        missing_s=pl.max_horizontal(pl.col("tcp_missing_s").fill_null(0.0), pl.col("rdma_missing_s").fill_null(0.0)),
        link_bits_s="link_mean",
    )
    table = table.with_columns(bytes=pl.sum_horizontal(pl.col("tcp_bytes").fill_null(0), pl.col("rdma_bytes").fill_null(0)))
    counted_total = table.filter(pl.col("counted"))["bytes"].sum()
    per_packet = pl.when(pl.col("packets") > 0).then(pl.col("tcp_bytes") / pl.col("packets"))
    table = table.with_columns(
        share=pl.col("bytes") / counted_total if counted_total else pl.lit(None, pl.Float64),
        bytes_per_packet=per_packet,
    ).with_columns(carried=pl.col("counted") & (pl.col("share").fill_null(0) >= CARRIED_SHARE))
    inferred = [mtu_from_frame_bytes(v) for v in table["bytes_per_packet"].to_list()]
    chosen = [mtu or guess or ASSUMED_MTU for guess in inferred]
    basis = ["given" if mtu else "bytes/packet" if guess else "assumed" for guess in inferred]
    table = table.with_columns(mtu=pl.Series(chosen, dtype=pl.Int64), mtu_basis=pl.Series(basis, dtype=pl.String))
    return table.select(NIC_BYTES_SCHEMA.keys()).cast(NIC_BYTES_SCHEMA)


def _column_figures(capture: Capture, columns: list[str], start: datetime, end: datetime) -> pl.DataFrame:
    """Per column of one log over the samples overlapping the window: ``amount`` (Σ rate ×
    interval), ``mean`` and ``missing_s`` (time with no value [s])."""
    frame = capture.timebase.frame(columns, where=overlaps(start, end) & pl.col("dt_s").is_not_null())
    row = frame.select(
        *(amount(c).sum().alias(f"amount {c}") for c in columns),
        *(pl.col(c).mean().alias(f"mean {c}") for c in columns),
        *(pl.col("dt_s").filter(pl.col(c).is_null()).sum().alias(f"missing_s {c}") for c in columns),
    )
    return pl.DataFrame({
        "column": columns,
        "amount": [row[f"amount {c}"][0] for c in columns],
        "mean": [row[f"mean {c}"][0] for c in columns],
        "missing_s": [row[f"missing_s {c}"][0] for c in columns],
    }, schema={"column": pl.String, "amount": pl.Float64, "mean": pl.Float64, "missing_s": pl.Float64})


def transfer(series: pl.DataFrame, column: str = "total_bytes_s") -> pl.DataFrame:
    """The transfer samples of a leg's series where ``column`` has a value."""
    return series.filter((pl.col("phase") == "transfer") & pl.col(column).is_not_null())


def rate_stats(series: pl.DataFrame, column: str = "total_bytes_s") -> RateStats:
    """Mean, percentiles and peak of a rate over the transfer samples. [bytes/s]

    The mean is time-weighted; percentiles are true percentiles (linear interpolation between
    samples); all None when there is no transfer sample.
    """
    rows = transfer(series, column)
    values = rows[column]
    seconds = rows["dt_s"].sum() if rows.height else 0.0
    return RateStats(
        mean_bytes_s=rows.select(amount(column).sum()).item() / seconds if seconds else None,
        **{f"p{p}_bytes_s": values.quantile(p / 100, "linear") for p in PERCENTILES},
        peak_bytes_s=values.max(),
        transfer_s=seconds,
        samples=rows.height,
    )


def steadiness(series: pl.DataFrame, *, dip_fraction: float = DIP_FRACTION, column: str = "total_bytes_s") -> Steadiness:
    """Plateau, steady state and the "jig-saw" dips of a rate over the transfer samples.

    ``plateau_bytes_s``: median transfer rate; the steady state runs from the first to the last
    transfer sample at ≥ ``dip_fraction`` × plateau. ``cv``: coefficient of variation (sample
    standard deviation ÷ mean) in the steady state [1]; ``dips``: runs of steady-state samples
    below ``dip_fraction`` × plateau with ``start``, ``end`` (UTC), ``seconds``, ``min_bytes_s``
    and ``depth`` (1 − min ÷ plateau) [1]; ``time_at_plateau_s`` and ``at_plateau_share``: time
    at ≥ ``dip_fraction`` × plateau, absolutely [s] and as a share of the transfer time [1].
    """
    rows = transfer(series, column)
    if rows.is_empty():
        return Steadiness(dip_fraction=dip_fraction)
    plateau = rows[column].median()
    band = dip_fraction * plateau
    high = pl.col(column) >= band
    index = pl.int_range(pl.len())
    steady = rows.filter((index >= index.filter(high).min()) & (index <= index.filter(high).max()))
    values = steady[column]
    dips = spans(
        steady, ~high,
        start=pl.col("prev").first(), end=pl.col("time").last(), seconds=pl.col("dt_s").sum(),
        min_bytes_s=pl.col(column).min(),
    ).with_columns(depth=1 - pl.col("min_bytes_s") / plateau)
    at_plateau = rows.filter(high)["dt_s"].sum()
    total = rows["dt_s"].sum()
    return Steadiness(
        dip_fraction=dip_fraction,
        plateau_bytes_s=plateau,
        steady_s=steady["dt_s"].sum(),
        cv=values.std() / values.mean() if values.len() > 1 and values.mean() else None,
        dip_count=dips.height,
        max_dip_depth=dips["depth"].max(),
        mean_dip_depth=dips["depth"].mean(),
        time_at_plateau_s=at_plateau,
        at_plateau_share=at_plateau / total if total else None,
        dips=tuple(Dip(**d) for d in dips.to_dicts()),
    )


def histogram(
    series: pl.DataFrame, *, bin_width_gbps: float | None = None, column: str = "total_bytes_s"
) -> pl.DataFrame:
    """Histogram of the per-sample rates of the transfer samples, ready for a bar chart.

    Columns: ``bin_start_gbps``, ``bin_end_gbps`` [Gbit/s], ``samples`` [count], ``seconds``
    (time the rate spent in the bin [s]) and ``share`` (of the transfer time [1]). Bins are
    aligned on multiples of the width, empty bins included. Default width: Freedman–Diaconis
    rounded to 1, 2 or 5 × 10^k Gbit/s, between 5 and 50 bins over the range.
    """
    gbps = transfer(series, column).select(gbps=pl.col(column) * GBPS, dt_s="dt_s")
    schema = {"bin_start_gbps": pl.Float64, "bin_end_gbps": pl.Float64, "samples": pl.UInt32,
              "seconds": pl.Float64, "share": pl.Float64}
    if gbps.is_empty():
        return pl.DataFrame(schema=schema)
    width = bin_width_gbps or _bin_width(gbps["gbps"])
    if width <= 0:
        raise OptionError(f"bin_width_gbps must be > 0, not {width}")
    binned = gbps.with_columns(bin=(pl.col("gbps") / width).floor().cast(pl.Int64))
    low, high = binned["bin"].min(), binned["bin"].max()
    counts = binned.group_by("bin").agg(samples=pl.len(), seconds=pl.col("dt_s").sum())
    bins = pl.DataFrame({"bin": pl.int_range(low, high + 1, eager=True)}).join(counts, on="bin", how="left")
    total = gbps["dt_s"].sum()
    return bins.select(
        bin_start_gbps=(pl.col("bin") * width).round(9),
        bin_end_gbps=((pl.col("bin") + 1) * width).round(9),
        samples=pl.col("samples").fill_null(0).cast(pl.UInt32),
        seconds=pl.col("seconds").fill_null(0.0),
        share=pl.col("seconds").fill_null(0.0) / total,
    )


def _bin_width(gbps: pl.Series) -> float:
    """Freedman–Diaconis width, rounded to 1/2/5 × 10^k and kept to 5–50 bins. [Gbit/s]"""
    spread = (gbps.max() or 0.0) - (gbps.min() or 0.0)
    iqr = (gbps.quantile(0.75, "linear") or 0.0) - (gbps.quantile(0.25, "linear") or 0.0)
    raw = 2 * iqr / gbps.len() ** (1 / 3) if iqr > 0 else spread / 10
    if spread > 0:
        raw = min(max(raw, spread / 50), spread / 5)
    if raw <= 0:
        raw = max(abs(gbps.max() or 0.0) / 10, 0.01)
    exponent = math.floor(math.log10(raw))
    for step in (1, 2, 5, 10):
        if step * 10**exponent >= raw:
            return step * 10**exponent
    return 10 ** (exponent + 1)


def cdf(series: pl.DataFrame, *, column: str = "total_bytes_s") -> pl.DataFrame:
    """Time-weighted empirical CDF of the transfer samples' rates, ready for a step chart.

    Columns: ``gbps`` (rate [Gbit/s], ascending) and ``share`` (time at or below it ÷ transfer
    time [1]), one row per sample.
    """
    rows = transfer(series, column)
    total = rows["dt_s"].sum()
    return rows.select(gbps=pl.col(column) * GBPS, dt_s="dt_s").sort("gbps").select(
        "gbps", share=pl.col("dt_s").cum_sum() / total
    )


def nic_rates(series: pl.DataFrame, nics: pl.DataFrame) -> pl.DataFrame:
    """``nics`` (:func:`nic_bytes`) with the ``mean_bytes_s`` and ``peak_bytes_s`` of each NIC's
    rate over the transfer samples [bytes/s] (null for a NIC not in ``series``), and the mean as
    ``pct_of_link`` (of its Current Bandwidth / 8) and ``pct_of_ceiling`` (of the L2 ceiling at its
    MTU; null for a NIC whose bytes went mostly over RDMA, which no TCP ceiling bounds) [%]."""
    rates = [
        {"instance": name, "mean_bytes_s": stats.mean_bytes_s, "peak_bytes_s": stats.peak_bytes_s}
        for name in nics["instance"].to_list() if name in series.columns
        for stats in [rate_stats(series, column=name)]
    ]
    frame = pl.DataFrame(rates, schema={"instance": pl.String, "mean_bytes_s": pl.Float64, "peak_bytes_s": pl.Float64})
    link, mean = pl.col("link_bits_s"), pl.col("mean_bytes_s")
    tcp = pl.col("rdma_bytes").fill_null(0) <= pl.col("bytes") / 2  # RDMA bytes have no TCP/MTU ceiling
    return nics.join(frame, on="instance", how="left", maintain_order="left").with_columns(
        pct_of_link=pl.when(link > 0).then(100 * mean / (link / 8)),
        pct_of_ceiling=pl.when((link > 0) & tcp).then(100 * mean / l2_ceiling_bytes_s(link, pl.col("mtu"))),
    )


def migration_throughput(
    legs: tuple[Leg, ...], *, duration_s: float, own: float | None = None, shared_with: tuple[int, ...] = ()
) -> Throughput:
    """The headline throughput of a migration from its legs: the source's (else the first leg's)
    carrying NICs, against the Σ of their links and L2 ceilings (domain §6).

    The link is unknown (None) when a carrying NIC logged no ``Current Bandwidth``; bytes that
    went over RDMA are compared with the link only, never with the TCP/MTU ceiling (a leg
    mostly RDMA has no ``pct_of_ceiling``). ``shared_with``: the migrations that shared the
    NICs (same source, overlapping); ``own``: this migration's share of the NIC bytes
    (:func:`own_bytes`) [bytes], None when it cannot be told.
    """
    primary = next((leg for leg in legs if leg.role == "source"), legs[0] if legs else None)
    if primary is None:
        empty = RateStats(None, None, None, None, None, None, 0.0, 0)
        return Throughput(None, None, None, empty, Steadiness(dip_fraction=DIP_FRACTION), pl.DataFrame(),
                          None, None, None, None, None, None)
    carried = primary.nics.filter(pl.col("carried"))
    nic_bytes = carried["bytes"].sum()
    basis = "nics" if not shared_with else "apportioned" if own is not None else "shared"
    bytes_moved = own if basis == "apportioned" else nic_bytes
    known = carried.height > 0 and carried["link_bits_s"].null_count() == 0
    link = carried["link_bits_s"].sum() if known else None
    ceiling = carried.select(l2_ceiling_bytes_s(pl.col("link_bits_s"), pl.col("mtu")).sum()).item() if known else None
    if mostly_rdma(carried):
        ceiling = None
    mean = primary.stats.mean_bytes_s
    return Throughput(
        host=primary.host,
        bytes_moved=bytes_moved,
        average_bytes_s=bytes_moved / duration_s if bytes_moved and duration_s else None,
        stats=primary.stats,
        steadiness=primary.steadiness,
        histogram=primary.histogram,
        link_bits_s=link or None,
        ceiling_bytes_s=ceiling or None,
        pct_of_link=100 * mean / (link / 8) if mean and link else None,
        pct_of_ceiling=100 * mean / ceiling if mean and ceiling else None,
        mtu=carried["mtu"][0] if carried.height else None,
        mtu_basis=carried["mtu_basis"][0] if carried.height else None,
        nic_bytes=nic_bytes,
        bytes_basis=basis,
        shared_with=shared_with,
        stats_shared=bool(shared_with),
    )


def nic_stops(host: str, series: pl.DataFrame, nics: pl.DataFrame) -> tuple[NicStop, ...]:
    """The carrying NICs of a leg that went silent mid-transfer while the others carried on.

    A NIC stopped when, from some transfer sample to the last one (at least
    :data:`MIN_SILENT_SAMPLES`), it read under :data:`SILENT_SHARE` of its usual rate (90th
    percentile over the transfer) while the leg's other NICs still moved over ten times its
    bytes. ``series`` and ``nics``: the leg's :func:`leg_series` and :func:`nic_bytes`.
    """
    carrying = nics.filter(pl.col("carried") & (pl.col("kind") == "physical"))
    names = [n for n in carrying["instance"].to_list() if n in series.columns]
    moving = series.filter(pl.col("phase") == "transfer")
    if len(names) < 2 or moving.height < MIN_SILENT_SAMPLES + 2:
        return ()
    keys = dict(zip(carrying["instance"], carrying["nic"]))
    out = []
    for name in names:
        usual = moving[name].quantile(0.9, "linear") or 0.0
        active = moving.select(pl.arg_where(pl.col(name).fill_null(0) >= SILENT_SHARE * usual)).to_series()
        if not usual or active.len() == 0 or active[-1] > moving.height - 1 - MIN_SILENT_SAMPLES:
            continue
        cut = active[-1]
        before, after = moving.head(cut + 1), moving.slice(cut + 1)
        moved_after = after.select(amount(n).sum().alias(n) for n in names).row(0, named=True)
        if sum(v for n, v in moved_after.items() if n != name) <= 10 * moved_after[name]:
            continue  # everything went quiet: the end of the transfer, not a NIC
        out.append(NicStop(
            host=host, instance=name, nic=keys[name], last_active=before["time"][-1], silent_from=after["time"][0],
            shares_before=_shares(before, names), shares_after=_shares(after, names),
        ))
    return tuple(out)


def _shares(frame: pl.DataFrame, names: list[str]) -> dict[str, float]:
    """Each of ``names``' share of the bytes moved in ``frame``. [1]"""
    moved = frame.select(amount(n).sum().alias(n) for n in names).row(0, named=True)
    total = sum(moved.values())
    return {n: (v / total if total else 0.0) for n, v in moved.items()}


def own_bytes(capture: Capture, series: pl.DataFrame, window: Window, others: list[Window]) -> float | None:
    """This migration's share of NIC bytes that ``others`` (concurrent, same source) shared. [bytes]

    Each sample's bytes of the source's ``series`` (:func:`leg_series`) are split in proportion
    to the migrations' own transport rates (``SMB|TCP Transport: Bytes Sent/sec``, ``Compressor:
    Compressed Bytes Sent/sec`` of each VM's live-migration instance), so the amounts of
    migrations that ran together add up to their NICs' bytes. None when this migration or one
    of the others did not log those counters.
    """
    rates = [wire_rate(capture, w) for w in (window, *others)]
    if any(r is None for r in rates) or not series.height:
        return None
    frame = series.select("time", "dt_s", "total_bytes_s")
    for k, rate in enumerate(rates):
        frame = frame.join(rate.rename({"rate": f"r{k}"}), on="time", how="left", maintain_order="left")
    names = [f"r{k}" for k in range(len(rates))]
    if frame.select(pl.all_horizontal(pl.col(names).is_null()).all()).item():
        return None  # the counters are in another log than the NICs': no sample to split
    total = pl.sum_horizontal(pl.col(names).fill_null(0))
    share = pl.when(total > 0).then(pl.col("r0").fill_null(0) / total).otherwise(0.0)
    return frame.select((amount("total_bytes_s") * share).sum()).item()


def mostly_rdma(nics: pl.DataFrame) -> bool:
    """Whether over half the bytes of ``nics`` (rows of :func:`nic_bytes`) went over RDMA."""
    total = nics["bytes"].sum()
    return bool(total) and nics["rdma_bytes"].fill_null(0).sum() > total / 2
