"""Find the live migrations in a capture: when each ran, between which hosts, for which VM.

Three ways, best first (domain.md §2.3, §3.3):

* ``counters``: the ``Hyper-V VM Live Migration`` instance ``<VM>:VM Live Migration`` exists
  while its VM migrates. The host whose instance counts transfer passes or sends bytes is the
  source, the one whose receiver writes bytes the destination. A migration's start lies between
  the last sample without the instance and the first with it: the reported start and end are the
  midpoints, so ``duration_s`` is right to within ``resolution_s`` (one sample interval).
* ``throughput``: the hosts' NIC traffic rises above its idle baseline (robust threshold, short
  gaps merged, too-short or too-small bursts dropped). Also used for traffic the counters miss
  (e.g. a CSV log whose instance list was fixed before the migration began).
* ``given``: windows the user states; hosts' roles come from the direction of their traffic.

Every function returns the same frame (:data:`WINDOW_SCHEMA`), one row per migration.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timezone

import polars as pl

from kit.analysis.nics import host_traffic, moved, traffic_hosts
from kit.errors import OptionError
from kit.inputs.capture import Capture
from kit.inputs.timebase import TIME, amount, overlaps, spans
from kit.vocabulary import LIVE_MIGRATION, LM_DESTINATION_RATES, LM_PASS_NUMBER, LM_SOURCE_RATES, vm_of_instance

MIN_PEAK_BYTES_S = 10e6
"""Traffic below this never counts as a migration (80 Mbit/s). [bytes/s]"""
MIN_BYTES = 64e6
"""A burst that moves less than this is not a migration (the smallest VM has more RAM). [bytes]"""
THRESHOLD_SHARE = 0.1
"""Automatic threshold: baseline + this share of (peak − baseline). [1]"""

WINDOW_SCHEMA = {
    "migration": pl.Int64,
    "vm": pl.String,
    "instance": pl.String,
    "source": pl.String,
    "destination": pl.String,
    "start": TIME,
    "end": TIME,
    "duration_s": pl.Float64,
    "resolution_s": pl.Float64,
    "method": pl.String,
    "concurrent_with": pl.List(pl.Int64),
}
"""Migration windows: ``migration`` numbers them from 1 in order of start; ``vm`` / ``instance``
where the counters name them; ``source`` / ``destination`` host names where known; ``start`` /
``end`` UTC; ``duration_s`` [s]; ``resolution_s``: ± this on start and end, and on the duration
[s]; ``method``: ``counters``, ``throughput`` or ``given``; ``concurrent_with``: the other
migrations whose windows overlap this one."""

_ROW = {k: v for k, v in WINDOW_SCHEMA.items() if k not in ("migration", "concurrent_with")}
_APPEARANCE = {
    "host": pl.String, "vm": pl.String, "instance": pl.String, "role": pl.String,
    "start": TIME, "end": TIME, "resolution_s": pl.Float64,
}


def find_migrations(
    capture: Capture,
    *,
    threshold_bytes_s: float | None = None,
    min_duration_s: float | None = None,
    merge_gap_s: float | None = None,
    min_bytes: float = MIN_BYTES,
) -> pl.DataFrame:
    """Every live migration in ``capture`` (one host or a source + destination pair).

    Windows come from the live-migration counters where logged; traffic bursts that no counter
    window covers are added from the NIC throughput (``method`` tells which).

    Parameters
    ----------
    threshold_bytes_s
        Host traffic (sent or received, Σ of its NICs) above which a migration runs. Default:
        baseline (10th percentile) + 10 % of (highest sample − baseline). [bytes/s]
    min_duration_s
        Shortest burst kept. Default: one sample interval. [s]
    merge_gap_s
        Bursts closer than this are one migration. Default: 1.5 sample intervals (one quiet
        sample inside a migration is a dip, two are a pause between migrations). [s]
    min_bytes
        Smallest burst kept. [bytes]
    """
    counted = _from_counters(capture)
    bursts = _from_throughput(
        capture, threshold_bytes_s=threshold_bytes_s, min_duration_s=min_duration_s,
        merge_gap_s=merge_gap_s, min_bytes=min_bytes,
    )
    if not counted.is_empty() and not bursts.is_empty():
        covered = bursts.join(counted.select("start", "end"), how="cross", suffix="_c").filter(
            (pl.col("start") <= pl.col("end_c")) & (pl.col("end") >= pl.col("start_c"))
        )
        bursts = bursts.join(covered.select("start", "end").unique(), on=["start", "end"], how="anti")
    return _number(pl.concat([counted, bursts]))


def given_windows(capture: Capture, windows: Iterable[Sequence[object]] | pl.DataFrame) -> pl.DataFrame:
    """Windows stated by the user: ``(start, end)`` or ``(start, end, vm)`` items, or a frame with
    ``start``, ``end`` (and optionally ``vm``). Times are datetimes (naive = UTC) or ISO 8601
    strings. Each host's role comes from its traffic in the window (sends more → source).
    """
    frame = windows if isinstance(windows, pl.DataFrame) else _window_rows(windows)
    if "vm" not in frame.columns:
        frame = frame.with_columns(vm=pl.lit(None, pl.String))
    frame = _utc_frame(frame).select("start", "end", pl.col("vm").cast(pl.String))
    bad = frame.filter(~(pl.col("end") > pl.col("start")))
    if bad.height:
        raise OptionError(f"window {bad.row(0)[:2]} does not end after it starts", hint="give start before end")
    roles = _traffic_roles(capture, frame)
    rows = frame.with_row_index("w").join(roles, on="w", how="left").with_columns(
        instance=pl.lit(None, pl.String),
        duration_s=(pl.col("end") - pl.col("start")).dt.total_microseconds() / 1e6,
        resolution_s=pl.lit(0.0),
        method=pl.lit("given"),
    )
    return _number(rows.select(list(_ROW)))


# ---------------------------------------------------------------------------------------------
# From the live-migration counters


def _from_counters(capture: Capture) -> pl.DataFrame:
    cat = capture.lookup(object=LIVE_MIGRATION).filter(pl.col("instance").is_not_null())
    appearances = [
        _appearances(capture, host, instance, group)
        for (host, instance), group in cat.group_by("host", "instance", maintain_order=True)
    ]
    if not appearances:
        return _empty()
    return _migrations(pl.concat(appearances), method="counters")


def _appearances(capture: Capture, host: str, instance: str, group: pl.DataFrame) -> pl.DataFrame:
    """Spans in which one host's instance existed (or, if it never vanishes, was active)."""
    names = group["counter_en"].str.to_lowercase().to_list()
    columns = group["column"].to_list()
    of = dict(zip(names, columns))
    gauges = [of[n] for n in names if not n.endswith("/sec")] or columns
    sent = [of[n.lower()] for n in LM_SOURCE_RATES if n.lower() in of]
    received = [of[n.lower()] for n in LM_DESTINATION_RATES if n.lower() in of]
    passes = of.get(LM_PASS_NUMBER.lower())
    frame = capture.timebase.frame(columns).with_columns(
        present=pl.any_horizontal(pl.col(gauges).is_not_null()),
        passno=pl.col(passes) if passes else pl.lit(None, pl.Float64),
        sent=pl.sum_horizontal(sent) if sent else pl.lit(0.0),
        received=pl.sum_horizontal(received) if received else pl.lit(0.0),
        next=pl.col("time").shift(-1),
    )
    if frame["present"].all():  # instance never vanishes: use the samples where it is active
        active = (pl.col("passno").fill_null(0) > 0) | (pl.col("sent") > 0) | (pl.col("received") > 0)
        frame = frame.with_columns(present=active)
    present = spans(
        frame, pl.col("present"),
        first=pl.col("time").first(), last=pl.col("time").last(),
        before=pl.col("prev").first(), after=pl.col("next").last(),
        passes=pl.col("passno").max(),
        sent=amount("sent").sum(),
        received=amount("received").sum(),
        resolution_s=pl.col("dt_s").median(),
    )
    role = (
        pl.when((pl.col("passes").fill_null(0) > 0) | (pl.col("sent") > pl.col("received"))).then(pl.lit("source"))
        .when(pl.col("received") > 0).then(pl.lit("destination"))
    )
    interval = capture.timebase.log(columns).interval_s or 0.0
    return present.select(
        host=pl.lit(host), vm=pl.lit(vm_of_instance(instance)), instance=pl.lit(instance), role=role,
        start=_midpoint("before", "first"), end=_midpoint("last", "after"),
        resolution_s=pl.col("resolution_s").fill_null(interval),
    ).cast(_APPEARANCE)


def _midpoint(a: str, b: str) -> pl.Expr:
    """Halfway between two sample times; the known one where the other is missing."""
    return pl.when(pl.col(a).is_null()).then(pl.col(b)).when(pl.col(b).is_null()).then(pl.col(a)).otherwise(
        pl.col(a) + (pl.col(b) - pl.col(a)) / 2
    )


# ---------------------------------------------------------------------------------------------
# From the NIC throughput


def _from_throughput(
    capture: Capture,
    *,
    threshold_bytes_s: float | None,
    min_duration_s: float | None,
    merge_gap_s: float | None,
    min_bytes: float,
) -> pl.DataFrame:
    parts = []
    for traffic in host_traffic(capture):
        host, frame = traffic.host, traffic.frame
        interval = traffic.interval_s or capture.interval_s or 1.0
        rate = frame.select(
            "time", "prev", "dt_s", "sent_bytes_s", "received_bytes_s",
            rate=pl.max_horizontal("sent_bytes_s", "received_bytes_s"),
        ).filter(pl.col("rate").is_not_null() & pl.col("prev").is_not_null())
        threshold = threshold_bytes_s if threshold_bytes_s is not None else _threshold(rate["rate"])
        if threshold is None or rate.is_empty():
            continue
        parts.append(
            _bursts(
                rate, host, threshold,
                min_duration_s=interval if min_duration_s is None else min_duration_s,
                merge_gap_s=1.5 * interval if merge_gap_s is None else merge_gap_s,
                min_bytes=min_bytes, resolution_s=interval,
            )
        )
    if not parts:
        return _empty()
    return _migrations(pl.concat(parts), method="throughput")


def _threshold(rate: pl.Series) -> float | None:
    """Baseline (10th percentile) + 10 % of the rise to the highest sample; None when nothing
    rises tenfold above the baseline and over 10 MB/s. [bytes/s]"""
    baseline = rate.quantile(0.10, "linear")
    peak = rate.max()  # a day-long log may hold a few minutes of migration: no high quantile
    if baseline is None or peak is None or peak < max(10 * baseline, MIN_PEAK_BYTES_S):
        return None
    return baseline + THRESHOLD_SHARE * (peak - baseline)


def _bursts(
    rate: pl.DataFrame,
    host: str,
    threshold: float,
    *,
    min_duration_s: float,
    merge_gap_s: float,
    min_bytes: float,
    resolution_s: float,
) -> pl.DataFrame:
    """Runs of samples above ``threshold``, merged across short gaps, as appearances."""
    high = spans(
        rate, pl.col("rate") > threshold,
        begin=pl.col("prev").first(), finish=pl.col("time").last(),
        sent=amount("sent_bytes_s").sum(),
        received=amount("received_bytes_s").sum(),
        first_dt=pl.col("dt_s").first(), last_dt=pl.col("dt_s").last(),
    )
    separated = (pl.col("begin") - pl.col("finish").shift(1)).dt.total_microseconds() / 1e6 > merge_gap_s
    merged = (
        high.with_columns(group=separated.fill_null(True).cum_sum())
        .group_by("group", maintain_order=True)
        .agg(
            begin=pl.col("begin").first(), finish=pl.col("finish").last(),
            sent=pl.col("sent").sum(), received=pl.col("received").sum(),
            first_dt=pl.col("first_dt").first(), last_dt=pl.col("last_dt").last(),
        )
    )
    # the burst starts somewhere in its first interval and ends somewhere in its last: midpoints
    start = pl.col("begin") + pl.duration(microseconds=pl.col("first_dt") * 5e5)
    end = pl.col("finish") - pl.duration(microseconds=pl.col("last_dt") * 5e5)
    seconds = (pl.col("finish") - pl.col("begin")).dt.total_microseconds() / 1e6
    return merged.filter(
        (seconds >= min_duration_s) & (pl.max_horizontal("sent", "received") >= min_bytes)
    ).select(
        host=pl.lit(host), vm=pl.lit(None, pl.String), instance=pl.lit(None, pl.String),
        role=pl.when(pl.col("sent") > pl.col("received")).then(pl.lit("source")).otherwise(pl.lit("destination")),
        start=start, end=end, resolution_s=pl.lit(resolution_s),
    ).cast(_APPEARANCE)


# ---------------------------------------------------------------------------------------------
# Joining the hosts' views into migrations


def _migrations(appearances: pl.DataFrame, *, method: str) -> pl.DataFrame:
    """One row per migration from per-host appearances: the same VM (or, unnamed, any traffic)
    seen on two hosts at overlapping times is one migration; the source's times win."""
    grouped = (
        appearances.with_columns(key=pl.col("vm").fill_null(""))
        .sort("key", "start")
        .with_columns(new=(pl.col("start") > pl.col("end").cum_max().shift(1)).over("key").fill_null(True))
        .with_columns(group=pl.col("new").cum_sum())
    )
    role_first = {"source": 0, "destination": 1}
    rows = (
        grouped.with_columns(rank=pl.col("role").replace_strict(role_first, default=2, return_dtype=pl.Int8))
        .sort("group", "rank", "start")
        .group_by("group", maintain_order=True)
        .agg(
            vm=pl.col("vm").first(), instance=pl.col("instance").first(),
            source=pl.col("host").filter(pl.col("role") == "source").first(),
            destination=pl.col("host").filter(pl.col("role") == "destination").first(),
            start=pl.col("start").first(), end=pl.col("end").first(),
            resolution_s=pl.col("resolution_s").first(),
        )
    )
    return rows.with_columns(
        duration_s=(pl.col("end") - pl.col("start")).dt.total_microseconds() / 1e6, method=pl.lit(method)
    ).select(list(_ROW))


def _number(rows: pl.DataFrame) -> pl.DataFrame:
    """Sorted by start, numbered from 1, with the overlapping migrations of each."""
    if rows.is_empty():
        return pl.DataFrame(schema=WINDOW_SCHEMA)
    rows = rows.sort("start").with_row_index("migration", offset=1).with_columns(pl.col("migration").cast(pl.Int64))
    pairs = rows.select("migration", "start", "end").join(
        rows.select("migration", "start", "end"), how="cross", suffix="_o"
    ).filter(
        (pl.col("migration") != pl.col("migration_o"))
        & (pl.col("start") < pl.col("end_o")) & (pl.col("end") > pl.col("start_o"))
    )
    concurrent = pairs.group_by("migration").agg(concurrent_with=pl.col("migration_o").sort())
    out = rows.join(concurrent, on="migration", how="left").with_columns(
        pl.col("concurrent_with").fill_null(pl.lit([], pl.List(pl.Int64)))
    )
    return out.select(list(WINDOW_SCHEMA)).cast(WINDOW_SCHEMA)


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=_ROW)


# ---------------------------------------------------------------------------------------------
# Given windows


def _window_rows(windows: Iterable[Sequence[object]]) -> pl.DataFrame:
    rows = []
    for item in windows:
        if not 2 <= len(item) <= 3:
            raise OptionError(f"window {item!r} is not (start, end) or (start, end, vm)")
        rows.append({"start": _instant(item[0]), "end": _instant(item[1]), "vm": item[2] if len(item) == 3 else None})
    if not rows:
        raise OptionError("no windows given")
    return pl.DataFrame(rows, schema={"start": TIME, "end": TIME, "vm": pl.String})


def _instant(value: object) -> datetime:
    """A datetime (naive = UTC) or ISO 8601 text as an aware UTC datetime."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise OptionError(f"{value!r} is not an ISO 8601 time", hint="e.g. 2025-02-11T13:05:47Z") from None
    if not isinstance(value, datetime):
        raise OptionError(f"{value!r} is not a time", hint="give a datetime or ISO 8601 text")
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _utc_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """``start`` and ``end`` as UTC datetimes, whether given as text, naive or aware datetimes."""
    missing = {"start", "end"} - set(frame.columns)
    if missing:
        raise OptionError(f"the windows frame lacks {sorted(missing)}", hint="give start and end columns")
    columns = []
    for name in ("start", "end"):
        dtype = frame.schema[name]
        if dtype == pl.String:
            columns.append(pl.Series(name, [_instant(v) for v in frame[name]], dtype=TIME))
        elif isinstance(dtype, pl.Datetime) and dtype.time_zone is None:
            columns.append(frame[name].dt.replace_time_zone("UTC").cast(TIME))
        elif isinstance(dtype, pl.Datetime):
            columns.append(frame[name].dt.convert_time_zone("UTC").cast(TIME))
        else:
            raise OptionError(f"window {name} has type {dtype}", hint="give datetimes or ISO 8601 text")
    return frame.with_columns(columns)


def _traffic_roles(capture: Capture, windows: pl.DataFrame) -> pl.DataFrame:
    """Per window ``w``: the host that sent most (source) and the one that received most, from
    their NIC traffic (:func:`kit.analysis.nics.host_traffic`)."""
    totals = [
        {"w": w, "host": host, "sent": moved(capture, host, "sent", where=overlaps(start, end)),
         "received": moved(capture, host, "received", where=overlaps(start, end))}
        for w, (start, end) in enumerate(windows.select("start", "end").iter_rows())
        for host in traffic_hosts(capture)
    ]
    schema = {"w": pl.UInt32, "source": pl.String, "destination": pl.String}
    if not totals:
        return pl.DataFrame(schema=schema)
    both = pl.DataFrame(totals, schema={"w": pl.UInt32, "host": pl.String, "sent": pl.Float64, "received": pl.Float64})
    both = both.filter((pl.col("sent") > 0) | (pl.col("received") > 0))
    source = both.filter(pl.col("sent") > pl.col("received")).sort("sent", descending=True).group_by("w").agg(
        source=pl.col("host").first()
    )
    destination = both.filter(pl.col("received") >= pl.col("sent")).sort("received", descending=True).group_by(
        "w"
    ).agg(destination=pl.col("host").first())
    return source.join(destination, on="w", how="full", coalesce=True).cast(schema)
