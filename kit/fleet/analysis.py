"""Every migration of a fleet, in bounded memory, with the single-capture analyses.

Three steps (``docs/fleet-dataset.md``, "How the fleet is analysed"):

1. **Activity** (:func:`activity`): each data file (one capture, host and UTC day) is scanned for a
   few derived columns only, in polars' streaming engine: where each VM's ``Hyper-V VM Live
   Migration`` instance existed (or, where it never vanishes, was active), and where the host's
   counted NICs sent or received above their idle baseline (the rule of
   :mod:`kit.analysis.windows`: 10th percentile + 10 % of the rise to the peak, bursts over
   64 MB). Memory: one day of a host's flags, never its counters.
2. **Episodes** (:func:`episodes`): the same VM active on two hosts at overlapping times is a host
   pair; a sending burst without counters is paired with the receiving burst on another host that
   matches it best (each the other's best match); what has no partner is analysed on its own host.
   A pair's overlapping activity is one episode, analysed over its span ± ``context_s`` within the
   captures that recorded it.
3. **Analysis** (:func:`fleet_migrations`): each episode's two hosts are read as one
   :class:`kit.Capture` (:meth:`kit.fleet.Dataset.capture`, exactly as :func:`kit.load` reads the
   same files) and :func:`kit.analyze` measures it; the migrations of the episode's activity are
   kept, each a row of the migrations table (:data:`kit.fleet.layout.MIGRATIONS_SCHEMA`). Peak memory
   is that of the largest episode, whatever the fleet's size.

A migration's figures therefore equal those of :func:`kit.analyze` on the capture of its two hosts
over its episode's context (on a capture no longer than the context: on the whole capture).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from tqdm.auto import tqdm

from kit.analysis.analyze import analyze
from kit.analysis.nics import nic_table
from kit.analysis.results import Analysis, Migration, utc_text
from kit.analysis.windows import MIN_BYTES, MIN_PEAK_BYTES_S, THRESHOLD_SHARE
from kit.contract import migration_dict
from kit.errors import DatasetError, OptionError
from kit.fleet import layout
from kit.fleet.dataset import Dataset, _span, open_dataset
from kit.inputs.capture import CATALOG_SCHEMA, Capture
from kit.inputs.timebase import TIME
from kit.vocabulary import (
    LIVE_MIGRATION,
    LM_DESTINATION_RATES,
    LM_PASS_NUMBER,
    LM_SOURCE_RATES,
    matches,
    vm_of_instance,
)

CONTEXT_S = 300.0
"""Samples this long either side of an episode's activity take part in its analysis (idle
baseline, clock alignment, the throughput threshold). [s]"""
PAIR_SLACK_S = 60.0
"""Activity of two hosts this close in time may be one migration (clocks differ by seconds, and
the samples that show it by an interval). [s]"""
PROGRESS_DELAY_S = 2.0

ACTIVITY_SCHEMA = {
    "host": pl.String, "capture": pl.String, "kind": pl.String, "vm": pl.String, "direction": pl.String,
    "start": TIME, "end": TIME,
}
""":func:`activity`: ``kind`` ``counters`` (``vm``'s live-migration instance) or ``throughput``
(``direction`` ``sent``/``received``); ``start``/``end``: first and last sample of the span (UTC)."""
ITEM = pl.Struct({"vm": pl.String, "kind": pl.String, "start": TIME, "end": TIME})
EPISODES_SCHEMA = {
    "episode": pl.Int64, "hosts": pl.List(pl.String), "start": TIME, "end": TIME, "context_start": TIME,
    "context_end": TIME, "captures": pl.List(pl.String), "items": pl.List(ITEM),
}
""":func:`episodes`: the host partitions analysed together, the activity span and the context
read (UTC), the captures read, and the activity items (VM or traffic) whose migrations it keeps."""
ANALYSE_OPTIONS = ("mtu", "transport", "dip_fraction", "bin_width_gbps", "active_pct", "saturated_pct", "events",
                   "topology", "pings", "align_clocks")
"""Options of :func:`kit.analyze` that :func:`fleet_migrations` passes on to every episode."""


@dataclass(frozen=True, eq=False)
class FleetMigrations:
    """The migrations of a fleet (:func:`fleet_migrations`)."""

    table: pl.DataFrame
    """One row per migration (:data:`kit.fleet.layout.MIGRATIONS_SCHEMA`), in order of start."""
    episodes: pl.DataFrame
    """What was analysed (:data:`EPISODES_SCHEMA`) plus ``migrations`` (rows kept) and ``seconds`` [s]."""
    unmatched: pl.DataFrame
    """Activity no analysed migration accounts for: ``hosts``, ``vm``, ``kind``, ``start``, ``end``."""
    dataset: str
    """The dataset folder."""
    written: str | None
    """The migrations table file written, or None."""
    seconds: float
    """Wall time. [s]"""
    options: Mapping[str, Any] = field(default_factory=dict)
    """The :func:`kit.analyze` options used (a drill-down uses them again)."""

    def worst(self, n: int = 10, *, by: str = "duration_s") -> pl.DataFrame:
        """The ``n`` migrations with the highest ``by`` (e.g. ``duration_s``, ``blackout_s``)."""
        if by not in self.table.columns:
            raise OptionError(f"by={by!r} is not a column of the migrations table", hint="e.g. duration_s, blackout_s")
        return self.table.sort(by, descending=True, nulls_last=True).head(n)

    def drill_down(self, migration: str | Mapping[str, Any]) -> tuple[Analysis, Migration]:
        """The full :class:`kit.Analysis` of a migration's episode and the :class:`kit.Migration`
        itself (``migration``: its ``migration_id`` or its row), for the per-migration views."""
        return drill_down(self.dataset, migration, table=self.table, **self.options)


def fleet_migrations(
    dataset: Dataset | str | Path,
    *,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
    hosts: Sequence[str] | None = None,
    context_s: float = CONTEXT_S,
    write: bool = True,
    progress: bool | None = None,
    **options: Any,
) -> FleetMigrations:
    """Find and measure every migration in ``dataset`` (or those starting in ``[start, end]``
    and involving ``hosts``), host pair by host pair and episode by episode.

    Parameters
    ----------
    dataset
        A :class:`~kit.fleet.Dataset` or its folder.
    start, end
        Only activity in this range (UTC; datetimes, naive = UTC, or ISO 8601 text).
    hosts
        Only migrations involving these hosts (any spelling).
    context_s
        Samples either side of each episode that take part in its analysis. [s]
    write
        Write the table to ``migrations/migrations.parquet`` in the dataset, replacing the rows of
        earlier runs that this run covers (their start in ``[start, end]`` and, with ``hosts``,
        one of them involved); :class:`~kit.errors.DatasetError` names the file when it cannot.
    progress
        ``None``: a progress bar once the analysis has taken 2 s; ``True``: always; ``False``: never.
    options
        Passed to :func:`kit.analyze` for every episode: ``mtu``, ``transport``, ``dip_fraction``,
        ``bin_width_gbps``, ``active_pct``, ``saturated_pct``, ``events``, ``topology``, ``pings``,
        ``align_clocks``.
    """
    started = time.perf_counter()
    unknown = sorted(set(options) - set(ANALYSE_OPTIONS))
    if unknown:
        raise OptionError(f"fleet_migrations() got unknown options {unknown}", hint=f"give {', '.join(ANALYSE_OPTIONS)}")
    if not (isinstance(context_s, (int, float)) and not isinstance(context_s, bool) and context_s >= 0):
        raise OptionError(f"context_s={context_s!r} is not a number of seconds ≥ 0")
    data = dataset if isinstance(dataset, Dataset) else open_dataset(dataset)
    start, end = _span(start, end)
    spans = activity(data, start=start, end=end)  # every host: a partner outside ``hosts`` is still read
    found = episodes(spans, data, context_s=context_s)
    if hosts is not None:
        keys = [layout.partition_host(h) for h in hosts]
        found = found.filter(pl.col("hosts").list.eval(pl.element().is_in(keys)).list.any())
    rows: list[dict[str, Any]] = []
    kept: list[int] = []
    took: list[float] = []
    matched: list[list[bool]] = []
    with tqdm(total=found.height, unit="episode", desc="analysing", disable=progress is False,
              delay=0 if progress else PROGRESS_DELAY_S) as bar:
        for episode in found.iter_rows(named=True):  # one analysis per episode: the unit of memory
            began = time.perf_counter()
            mine, hits = _analyse_episode(data, episode, options)
            rows += mine
            kept.append(len(mine))
            matched.append(hits)
            took.append(time.perf_counter() - began)
            bar.update(1)
    table = _table(rows)
    found = found.with_columns(migrations=pl.Series(kept, dtype=pl.Int64), seconds=pl.Series(took, dtype=pl.Float64))
    unmatched = _unmatched(found, matched)
    written = _write_table(data.root, table, start=start, end=end, hosts=hosts) if write else None
    return FleetMigrations(
        table=table, episodes=found, unmatched=unmatched, dataset=str(data.root), written=written,
        seconds=time.perf_counter() - started, options=dict(options),
    )


def select(
    table: pl.DataFrame,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    host: str | None = None,
    vm: str | None = None,
    min_blackout_s: float | None = None,
) -> pl.DataFrame:
    """The rows of a migrations table that start in ``[start, end]`` (UTC), involve ``host`` (as
    source or destination), migrate ``vm``, and whose blackout (estimate, else its lower bound)
    is at least ``min_blackout_s`` [s]; None: no condition."""
    keep = pl.lit(True)
    if start is not None:
        keep &= pl.col("start") >= start
    if end is not None:
        keep &= pl.col("start") <= end
    if host is not None:
        keep &= (pl.col("source") == host).fill_null(False) | (pl.col("destination") == host).fill_null(False)
    if vm is not None:
        keep &= (pl.col("vm") == vm).fill_null(False)
    if min_blackout_s is not None:
        keep &= (pl.coalesce("blackout_s", "blackout_lower_s") >= min_blackout_s).fill_null(False)
    return table.filter(keep)


def drill_down(
    dataset: Dataset | str | Path,
    migration: str | Mapping[str, Any],
    *,
    table: pl.DataFrame | None = None,
    **options: Any,
) -> tuple[Analysis, Migration]:
    """Analyse a migration's episode again, as :func:`fleet_migrations` did, for the
    per-migration views: returns the episode's :class:`kit.Analysis` and the migration in it.

    ``migration``: a ``migration_id`` of ``table`` (default: the dataset's migrations table) or a
    row of it (a dict). ``options``: the :func:`kit.analyze` options of the fleet run.
    """
    data = dataset if isinstance(dataset, Dataset) else open_dataset(dataset)
    if isinstance(migration, str):
        table = data.migrations if table is None else table
        if table is None:
            raise OptionError("the dataset has no migrations table", hint="run kit.fleet_migrations(dataset) first")
        found = table.filter(pl.col("migration_id") == migration)
        if found.is_empty():
            raise OptionError(f"no migration {migration!r} in the migrations table",
                              hint="pick a migration_id of the table")
        migration = found.row(0, named=True)
    capture = data.capture(hosts=migration["episode_hosts"], start=migration["context_start"],
                           end=migration["context_end"], captures=migration["captures"])
    analysis = analyze(capture, **options)
    for m in analysis.migrations:
        if migration_id(m) == migration["migration_id"]:
            return analysis, m
    raise OptionError(f"migration {migration['migration_id']} is not found again in its episode",
                      hint="the dataset changed since the table was written: run kit.fleet_migrations again")


def migration_id(migration: Migration) -> str:
    """A stable id of a migration: its VM, source (else destination) and start. [12 hex digits]"""
    w = migration.window
    text = f"{w.vm or ''}|{w.source or ''}|{'' if w.source else w.destination or ''}|{utc_text(w.start)}"
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


# ---------------------------------------------------------------------------------------------
# 1. Activity


def activity(
    dataset: Dataset,
    *,
    hosts: Sequence[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> pl.DataFrame:
    """Spans of live-migration activity in every data file (:data:`ACTIVITY_SCHEMA`): one data
    file at a time, reading only derived flags and sums (see the module docstring)."""
    start, end = _span(start, end)
    parts = dataset.select_parts(hosts=hosts, start=start, end=end)
    frames = []
    for (key, host), files in parts.group_by("capture", "host", maintain_order=True):
        catalog = dataset.catalog.filter((pl.col("capture") == key) & (pl.col("partition") == host))
        plan = _plan(catalog.select(list(CATALOG_SCHEMA)))
        for file in files.sort("date")["file"]:
            frames.append(_file_activity(file, plan, host=host, capture=key, start=start, end=end))
    if not frames:
        return pl.DataFrame(schema=ACTIVITY_SCHEMA)
    return pl.concat(frames).sort("host", "start")


@dataclass(frozen=True)
class _Plan:
    """What to compute from one host's columns of one capture."""

    flags: dict[str, pl.Expr]
    """``p<n>`` (instance present) and ``a<n>`` (instance active) per live-migration instance."""
    vms: dict[str, str]
    """``p<n>``/``a<n>`` → VM name."""
    sent: list[str]
    received: list[str]


def _plan(catalog: pl.DataFrame) -> _Plan:
    """The flags and sums that show one host's activity (columns of ``catalog``)."""
    lm = catalog.filter(matches(object=LIVE_MIGRATION) & pl.col("instance").is_not_null())
    flags: dict[str, pl.Expr] = {}
    vms: dict[str, str] = {}
    rates = {n.lower() for n in (*LM_SOURCE_RATES, *LM_DESTINATION_RATES)}
    for n, ((instance,), group) in enumerate(lm.group_by("instance", maintain_order=True)):
        names = group["counter_en"].fill_null(group["counter"]).str.to_lowercase().to_list()
        columns = group["column"].to_list()
        gauges = [c for name, c in zip(names, columns) if not name.endswith("/sec")] or columns
        moving = [c for name, c in zip(names, columns) if name in rates]
        passes = [c for name, c in zip(names, columns) if name == LM_PASS_NUMBER.lower()]
        active = pl.lit(False)
        if passes:
            active = active | (pl.col(passes[0]).fill_null(0) > 0)
        if moving:
            active = active | pl.any_horizontal(pl.col(moving).fill_null(0) > 0)
        flags[f"p{n}"], flags[f"a{n}"] = pl.any_horizontal(pl.col(gauges).is_not_null()), active
        vms[f"p{n}"] = vms[f"a{n}"] = vm_of_instance(instance)
    capture = Capture(data=pl.DataFrame(schema={"time": TIME}), catalog=catalog, sources=())
    nics = nic_table(capture).filter(pl.col("counted"))
    sent = nics.select(pl.coalesce("sent", "total"), "rdma_out")
    received = nics.select(pl.coalesce("received", "total"), "rdma_in")
    return _Plan(flags, vms, _names(sent), _names(received))


def _names(frame: pl.DataFrame) -> list[str]:
    return [c for column in frame.iter_columns() for c in column.drop_nulls().to_list()]


def _total(columns: list[str]) -> pl.Expr:
    """Σ of ``columns`` ignoring nulls; null where all are null (no columns: null). [bytes/s]"""
    if not columns:
        return pl.lit(None, pl.Float64)
    return pl.when(pl.any_horizontal(pl.col(columns).is_not_null())).then(pl.sum_horizontal(columns))


def _file_activity(
    file: str, plan: _Plan, *, host: str, capture: str, start: datetime | None, end: datetime | None
) -> pl.DataFrame:
    """The activity spans of one data file."""
    if not plan.flags and not plan.sent and not plan.received:
        return pl.DataFrame(schema=ACTIVITY_SCHEMA)
    scan = pl.scan_parquet(file)
    if start is not None:
        scan = scan.filter(pl.col("time") >= start)
    if end is not None:
        scan = scan.filter(pl.col("time") <= end)
    frame = scan.select("time", sent=_total(plan.sent), received=_total(plan.received), **plan.flags).collect(
        engine="streaming"
    )
    if frame.is_empty():
        return pl.DataFrame(schema=ACTIVITY_SCHEMA)
    out = [_counter_spans(frame, plan), _traffic_spans(frame)]
    return pl.concat(out).select(
        host=pl.lit(host), capture=pl.lit(capture), kind="kind", vm="vm", direction="direction", start="start",
        end="end",
    ).cast(ACTIVITY_SCHEMA)


def _counter_spans(frame: pl.DataFrame, plan: _Plan) -> pl.DataFrame:
    """Where each VM's live-migration instance existed (or, present throughout, was active)."""
    present = [c for c in plan.flags if c.startswith("p")]
    if not present:
        return _no_spans()
    everywhere = frame.select(pl.col(present).all()).row(0)
    chosen = [("a" + p[1:]) if all_rows else p for p, all_rows in zip(present, everywhere)]
    long = (
        frame.with_row_index("r")
        .select("r", "time", *chosen)
        .unpivot(index=["r", "time"], variable_name="flag", value_name="on")
        .filter(pl.col("on"))
        .sort("flag", "r")
    )
    new = (pl.col("flag") != pl.col("flag").shift(1)) | (pl.col("r") != pl.col("r").shift(1) + 1)
    spans = (
        long.with_columns(run=new.fill_null(True).cum_sum())
        .group_by("flag", "run")
        .agg(start=pl.col("time").min(), end=pl.col("time").max())
    )
    return spans.select(
        kind=pl.lit("counters"), vm=pl.col("flag").replace_strict(plan.vms, return_dtype=pl.String),
        direction=pl.lit(None, pl.String), start="start", end="end",
    )


def _traffic_spans(frame: pl.DataFrame) -> pl.DataFrame:
    """Bursts of the host's NIC traffic above its idle baseline that move ≥ 64 MB."""
    rates = frame.select(
        "time", "sent", "received", dt_s=pl.col("time").diff().dt.total_microseconds() / 1e6
    ).filter(pl.col("dt_s").is_not_null() & (pl.col("sent").is_not_null() | pl.col("received").is_not_null()))
    rates = rates.with_columns(rate=pl.max_horizontal("sent", "received"))
    baseline, peak = rates["rate"].quantile(0.10, "linear"), rates["rate"].max()
    if baseline is None or peak is None or peak < max(10 * baseline, MIN_PEAK_BYTES_S):
        return _no_spans()
    high = pl.col("rate") > baseline + THRESHOLD_SHARE * (peak - baseline)
    bursts = (
        rates.with_columns(high=high, run=(high != high.shift(1)).fill_null(True).cum_sum())
        .filter(pl.col("high"))
        .group_by("run")
        .agg(
            start=(pl.col("time") - pl.duration(microseconds=pl.col("dt_s") * 1e6)).min(), end=pl.col("time").max(),
            sent=(pl.col("sent").fill_null(0) * pl.col("dt_s")).sum(),
            received=(pl.col("received").fill_null(0) * pl.col("dt_s")).sum(),
        )
        .filter(pl.max_horizontal("sent", "received") >= MIN_BYTES)
    )
    return bursts.select(
        kind=pl.lit("throughput"), vm=pl.lit(None, pl.String),
        direction=pl.when(pl.col("sent") > pl.col("received")).then(pl.lit("sent")).otherwise(pl.lit("received")),
        start="start", end="end",
    )


def _no_spans() -> pl.DataFrame:
    return pl.DataFrame(schema={k: v for k, v in ACTIVITY_SCHEMA.items() if k not in ("host", "capture")})


# ---------------------------------------------------------------------------------------------
# 2. Episodes


def episodes(
    spans: pl.DataFrame, dataset: Dataset, *, context_s: float = CONTEXT_S, slack_s: float = PAIR_SLACK_S
) -> pl.DataFrame:
    """Activity ``spans`` (:func:`activity`) as episodes to analyse (:data:`EPISODES_SCHEMA`)."""
    if spans.is_empty():
        return pl.DataFrame(schema=EPISODES_SCHEMA)
    slack = timedelta(seconds=slack_s)
    spans = spans.with_row_index("id")
    items = pl.concat([_counter_items(spans.filter(pl.col("kind") == "counters"), slack),
                       _traffic_items(spans, slack)])
    key = pl.col("hosts").list.join("|")
    grouped = (
        items.sort(key, "start")
        .with_columns(new=(pl.col("start") > pl.col("end").cum_max().shift(1) + slack).over(key).fill_null(True))
        .with_columns(episode=pl.col("new").cum_sum().cast(pl.Int64))
        .group_by("episode", maintain_order=True)
        .agg(
            hosts=pl.col("hosts").first(), start=pl.col("start").min(), end=pl.col("end").max(),
            items=pl.struct("vm", "kind", "start", "end"),
        )
    )
    context = timedelta(seconds=context_s)
    grouped = grouped.with_columns(context_start=pl.col("start") - context, context_end=pl.col("end") + context)
    return _with_captures(grouped, dataset).select(list(EPISODES_SCHEMA)).cast(EPISODES_SCHEMA)


def _overlapping(slack: timedelta, suffix: str) -> pl.Expr:
    return (pl.col("start") <= pl.col(f"end{suffix}") + slack) & (pl.col(f"start{suffix}") <= pl.col("end") + slack)


def _counter_items(lm: pl.DataFrame, slack: timedelta) -> pl.DataFrame:
    """One item per VM seen on two hosts at overlapping times, and per VM seen on one host alone."""
    pairs = lm.join(lm, on="vm", suffix="_b").filter((pl.col("host") < pl.col("host_b")) & _overlapping(slack, "_b"))
    paired = pairs.select(
        hosts=pl.concat_list("host", "host_b"), vm="vm", kind=pl.lit("counters"),
        start=pl.min_horizontal("start", "start_b"), end=pl.max_horizontal("end", "end_b"),
    )
    used = pl.concat([pairs.select("id"), pairs.select(id="id_b")])
    alone = lm.join(used, on="id", how="anti").select(
        hosts=pl.concat_list("host"), vm="vm", kind=pl.lit("counters"), start="start", end="end"
    )
    return pl.concat([paired, alone])


def _traffic_items(spans: pl.DataFrame, slack: timedelta) -> pl.DataFrame:
    """Bursts no live-migration instance of their host explains: a sender and a receiver on two
    hosts that are each other's best match (nearest start and end) are one item, others alone."""
    nic = spans.filter(pl.col("kind") == "throughput")
    lm = spans.filter(pl.col("kind") == "counters").select("host", start_c="start", end_c="end")
    explained = nic.join(lm, on="host").filter(_overlapping(slack, "_c")).select("id").unique()
    nic = nic.join(explained, on="id", how="anti")
    senders = nic.filter(pl.col("direction") == "sent")
    receivers = nic.filter(pl.col("direction") == "received")
    both = senders.join(receivers, how="cross", suffix="_r").filter(
        (pl.col("host") != pl.col("host_r")) & _overlapping(slack, "_r")
    ).with_columns(
        score=((pl.col("start") - pl.col("start_r")).abs() + (pl.col("end") - pl.col("end_r")).abs())
    )
    best_receiver = both.sort("score").group_by("id").agg(pl.col("id_r").first())
    best_sender = both.sort("score").group_by("id_r").agg(pl.col("id").first())
    mutual = both.join(best_receiver, on=["id", "id_r"]).join(best_sender, on=["id", "id_r"])
    paired = mutual.select(
        hosts=pl.concat_list(pl.min_horizontal("host", "host_r"), pl.max_horizontal("host", "host_r")),
        vm=pl.lit(None, pl.String), kind=pl.lit("throughput"),
        start=pl.min_horizontal("start", "start_r"), end=pl.max_horizontal("end", "end_r"),
    )
    used = pl.concat([mutual.select("id"), mutual.select(id="id_r")])
    alone = nic.join(used, on="id", how="anti").select(
        hosts=pl.concat_list("host"), vm="vm", kind=pl.lit("throughput"), start="start", end="end"
    )
    return pl.concat([paired, alone])


def _with_captures(grouped: pl.DataFrame, dataset: Dataset) -> pl.DataFrame:
    """Each episode with the captures that recorded its hosts during its activity."""
    hosts = grouped.select("episode", "start", "end", host=pl.col("hosts")).explode("host")
    parts = dataset.parts.select("capture", "host", start_p="start", end_p="end")
    recorded = hosts.join(parts, on="host").filter(
        (pl.col("start_p") <= pl.col("end")) & (pl.col("start") <= pl.col("end_p"))
    ).group_by("episode").agg(captures=pl.col("capture").unique().sort())
    return grouped.join(recorded, on="episode", how="left").with_columns(
        pl.col("captures").fill_null(pl.lit([], pl.List(pl.String)))
    )


# ---------------------------------------------------------------------------------------------
# 3. Analysis


def _analyse_episode(
    dataset: Dataset, episode: dict[str, Any], options: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], list[bool]]:
    """The rows of the migrations of one episode, and which of its items they account for."""
    items = episode["items"]
    if not episode["captures"]:
        return [], [False] * len(items)
    capture = dataset.capture(hosts=episode["hosts"], start=episode["context_start"], end=episode["context_end"],
                              captures=episode["captures"])
    analysis = analyze(capture, **options)
    ids = {m.window.number: migration_id(m) for m in analysis.migrations}
    slack = timedelta(seconds=PAIR_SLACK_S)
    hits = [False] * len(items)
    rows = []
    for m in analysis.migrations:
        w = m.window
        mine = [k for k, item in enumerate(items) if item["vm"] == w.vm
                and item["start"] - slack <= w.end and w.start <= item["end"] + slack]
        if mine:
            rows.append(_row(m, ids, episode))
            for k in mine:
                hits[k] = True
    return rows, hits


def _row(m: Migration, ids: dict[int, str], episode: dict[str, Any]) -> dict[str, Any]:
    """One row of the migrations table, from the report's fields (:func:`kit.contract.migration_dict`)."""
    d = migration_dict(m)
    w = m.window
    carried = [n for n in d["nics"] if n["carried"]]
    direction = "sent" if any(n["direction"] == "sent" for n in carried) else "received"
    used = [n for n in carried if n["direction"] == direction]
    configured = [n["configured"] for n in used]
    blackout = d["blackout"]
    direct = ("vm", "instance", "source", "destination", "method", "duration_s", "resolution_s", "transport",
              "transport_basis", "bytes_moved", "gb_moved", "bytes_basis", "average_gbps", "mean_gbps", "p5_gbps",
              "p50_gbps", "p95_gbps", "p99_gbps", "peak_gbps", "link_gbps", "pct_of_link", "pct_of_ceiling", "mtu",
              "clock_offset_s", "findings", "finding_kinds", "lacking")
    return {
        "migration_id": ids[w.number], "date": w.start.date(), **{k: d[k] for k in direct},
        "start": w.start, "end": w.end,
        "concurrent_with": [ids[n] for n in w.concurrent_with if n in ids],
        "blackout_s": blackout["estimate_s"], "blackout_lower_s": blackout["lower_s"],
        "blackout_upper_s": blackout["upper_s"], "blackout_method": blackout["method"],
        "nics_used": [n.get("name") or n["instance"] for n in used],
        "nics_not_configured": [n.get("name") or n["instance"] for n in used if n["configured"] is False],
        "nics_configured": None if not used or None in configured else all(configured),
        "nics": [{k: n.get(k) for k in ("host", "instance", "nic", "direction", "bytes", "share", "configured")}
                 for n in carried],
        "episode_hosts": episode["hosts"], "context_start": episode["context_start"],
        "context_end": episode["context_end"], "captures": episode["captures"],
    }


def _table(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """The migrations table: rows in order of start, each migration once."""
    table = pl.DataFrame(rows, schema=layout.MIGRATIONS_SCHEMA)
    return table.unique("migration_id", keep="first", maintain_order=True).sort("start", "migration_id")


def _unmatched(found: pl.DataFrame, matched: list[list[bool]]) -> pl.DataFrame:
    schema = {"hosts": pl.List(pl.String), "vm": pl.String, "kind": pl.String, "start": TIME, "end": TIME}
    if found.is_empty():
        return pl.DataFrame(schema=schema)
    flags = pl.Series("matched", matched, dtype=pl.List(pl.Boolean))
    return (
        found.select("hosts", "items").with_columns(flags).explode("items", "matched")
        .filter(~pl.col("matched")).unnest("items").select(list(schema)).cast(schema)
    )


def _write_table(
    root: Path, table: pl.DataFrame, *, start: datetime | None, end: datetime | None, hosts: Sequence[str] | None
) -> str:
    """Write ``table`` into the dataset, keeping the rows of earlier runs this run does not cover."""
    path = root / layout.MIGRATIONS / layout.MIGRATIONS_FILE
    if path.is_file():
        earlier = pl.read_parquet(path).cast(layout.MIGRATIONS_SCHEMA)
        covered = pl.lit(True)
        if start is not None:
            covered &= pl.col("start") >= start
        if end is not None:
            covered &= pl.col("start") <= end
        if hosts is not None:
            keys = [layout.partition_host(h) for h in hosts]
            covered &= pl.col("episode_hosts").list.eval(pl.element().is_in(keys)).list.any()
        table = pl.concat([earlier.filter(~covered), table]).unique("migration_id", keep="last", maintain_order=True)
        table = table.sort("start", "migration_id")
    staging = path.with_name(f"{path.name}.tmp")  # not *.parquet: no glob reader sees it
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        table.write_parquet(staging, statistics=True)
        staging.replace(path)
    except OSError as exc:
        raise DatasetError(
            f"cannot write the migrations table: {exc.strerror or exc}", path=path,
            hint="check the folder's permissions and free space, or pass write=False (python -m kit fleet --no-write)",
        ) from None
    return str(path)
