"""Charts of an analysis: one function per view, each returning an Altair chart.

Every function takes analysis results (:class:`kit.analysis.results.Analysis`, its migrations and
legs, :func:`kit.compare` tables), never files. Times are UTC; throughput in Gbit/s
(10^9 bit/s); core load in % of one logical processor. Data reaches the chart already reduced in
polars (:mod:`kit.downsample`), so no chart carries more than :data:`MAX_ROWS` rows whatever the
capture's length, and a chart whose data was reduced says so in its subtitle.

Theme: :data:`THEME` is registered with ``alt.theme.register`` and enabled when this module is
imported. Altair merges the active theme into the top-level ``config`` when a chart is turned into
a spec, so the charts here stay free of ``config`` and can still be layered, concatenated and
faceted (a chart that carries its own ``config`` cannot); switch back with
``alt.theme.enable("default")``. :func:`enable_offline` makes notebooks render with no internet.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta

import altair as alt
import numpy as np
import polars as pl

from kit.analysis.cores import ACTIVE_PCT, SEP, core_matrix
from kit.analysis.results import GBPS, Analysis, Leg, Migration, gbps
from kit.errors import OptionError
from kit.viz.downsample import aggregate, bucket_width, minmax

THEME = "hvlm"
MAX_ROWS = 5000
"""Altair's limit on the rows a chart embeds."""
MAX_POINTS = 3000
"""Default budget of rows for a chart's main data (the rest: windows, marks, labels)."""
TIME_TITLE = "Time [UTC]"
SERIES_COLUMNS = ("time", "prev", "dt_s", "gap", "phase", "total_bytes_s")
"""Columns of a traffic frame that are not NICs."""
MARK_COLORS = {"pass": "#4c78a8", "blackout": "#222222", "dip": "#e45756"}
"""Colour of each kind of mark on the throughput chart (other kinds get the next free colours)."""
CORE_STATUS = {"saturated": "#d62728", "active": "#1f77b4", "idle": "#bbbbbb"}
COMPARISON_METRICS = {
    "mean_gbps": "Mean throughput [Gbit/s]",
    "p5_gbps": "5th percentile [Gbit/s]",
    "duration_s": "Duration [s]",
    "pct_of_link": "Mean [% of link]",
    "active_cores": "Active receive cores [cores]",
    "network_cpu_s_per_gb": "DPC + interrupt cost [core-s/GB]",
}
"""Default metrics of :func:`comparison_chart`: column → title with unit."""
PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756", "#72b7b2", "#eeca3b", "#9d755d", "#ff9da6", "#79706e"]


@alt.theme.register(THEME, enable=True)
def theme() -> alt.theme.ThemeConfig:
    """The kit's chart theme: plain background, left-aligned titles with grey subtitles."""
    return {
        "config": {
            "font": "Segoe UI, Helvetica, Arial, sans-serif",
            "view": {"continuousWidth": 720, "continuousHeight": 260, "stroke": None},
            "title": {"anchor": "start", "fontSize": 15, "subtitleFontSize": 12, "subtitleColor": "#555555",
                      "offset": 10},
            "axis": {"labelFontSize": 11, "titleFontSize": 12, "titleFontWeight": "normal",
                     "gridColor": "#e9e9e9", "domainColor": "#888888", "tickColor": "#888888"},
            "legend": {"labelFontSize": 11, "titleFontSize": 12, "labelLimit": 300},
            "header": {"labelFontSize": 12, "titleFontSize": 12},
            "range": {"category": PALETTE},
        }
    }


def enable_offline() -> None:
    """Render charts in JupyterLab with no internet access.

    Altair's ``jupyter`` renderer in offline mode: JupyterChart (anywidget) loads its JavaScript
    from vl-convert instead of a CDN. The other renderers do not work offline in JupyterLab 4
    (checked in a real browser: the default loads vega from a CDN, JupyterLab's own renderer knows
    Vega-Lite up to v5 only, and inlined HTML clashes from the second chart on a page).
    """
    if importlib.util.find_spec("anywidget") is None:
        raise OptionError("offline charts need the anywidget package", hint="python3 -m pip install anywidget")
    alt.renderers.enable("jupyter", offline=True)
    alt.JupyterChart.enable_offline()


# ---------------------------------------------------------------------------------------------
# Throughput over time


def throughput_chart(
    analysis: Analysis,
    *,
    host: str | None = None,
    direction: str | None = None,
    stacked: bool = True,
    marks: pl.DataFrame | Sequence[Mapping] | None = None,
    span: tuple | None = None,
    brush: bool = False,
    max_points: int = MAX_POINTS,
) -> alt.LayerChart:
    """Throughput of one host's NICs over the whole capture, with the migrations marked. [Gbit/s]

    ``host``/``direction`` (``sent``/``received``) default to the first migration's source and
    ``sent``. NICs stack (``stacked``) or overlap as lines. Migration windows are shaded and
    labelled ``#n VM``; the dips of each migration and ``marks`` (transfer passes, blackout…: rows
    with ``start`` and optionally ``end`` (UTC datetimes or ISO strings) or ``duration_s``
    (neither: an instant), ``kind`` and ``label``) are drawn as bands or rules. ``span`` = (start, end) UTC
    zooms in on part of the capture: the axis shows the span, the data reaches one span's length
    either side (drag to pan there). ``brush``: dragging across the chart marks an interval (the
    ``brush`` selection, ``{"time": [start, end]}`` in epoch ms) instead of panning. Longer series
    are reduced to the minimum and maximum of each time bucket (≤ ``max_points`` rows).
    """
    host, direction = _traffic_key(analysis, host, direction)
    frame = analysis.traffic[(host, direction)]
    windows = analysis.windows
    events = pl.concat([_report_dips(analysis), _marks(marks)], how="vertical_relaxed")
    domain = None
    if span is not None:
        frame = _around(frame, span, max_points)
        around = (frame["time"].min() or span[0], frame["time"].max() or span[1])
        windows = windows.filter(pl.col("end") >= around[0], pl.col("start") <= around[1])
        first, last = (pl.lit(s, pl.Datetime("us", "UTC")).dt.epoch("ms") for s in around)
        events = events.filter(pl.coalesce("end", "start") >= first, pl.col("start") <= last)
        domain = [int(s.timestamp() * 1000) for s in span]
    nics = [c for c in frame.columns if c not in SERIES_COLUMNS and frame[c].null_count() < frame.height]
    if not nics:
        raise OptionError(f"{host}: no NIC rates ({direction}) with values to chart")
    wide = frame.select("time", *nics, "total_bytes_s")
    notes = []
    reduced = wide.height * len(nics) > max_points
    if reduced:
        every = bucket_width(wide, buckets=max(max_points // (2 * len(nics)), 2))
        if stacked:
            long = _nic_long(minmax(wide, every=every, columns=["total_bytes_s"]), nics)
        else:
            long = minmax(_nic_long(wide, nics), every=every, columns=["gbps"], by="nic")
        what = "lowest and highest total sample" if stacked else "each NIC's lowest and highest sample"
        notes.append(_note(what, every, wide.height * len(nics), long.height))
    else:
        long = _nic_long(wide, nics)
    x = _time_x("time", wide["time"], domain=domain)
    y = alt.Y("gbps:Q", title="Throughput [Gbit/s]", stack=True if stacked else None)
    color = alt.Color("nic:N", title="NIC", sort=nics)
    tooltip = [_time_tooltip("time"), alt.Tooltip("nic:N", title="NIC"), alt.Tooltip("gbps:Q", title="Gbit/s", format=".2f")]
    base = _utc_text(alt.Chart(_epoch_ms(long, "time")), "time")
    interpolate = "linear" if reduced else "step-before"
    series = (
        base.mark_area(interpolate=interpolate, opacity=0.85, clip=True) if stacked
        else base.mark_line(interpolate=interpolate, strokeWidth=1.2, clip=True)
    ).encode(x=x, y=y, color=color, tooltip=tooltip)
    series = series.properties(name="series") if brush else series.interactive(bind_y=False)
    shades, labels = _window_layers(windows, x)
    layers = [*shades, series]
    if events.height:
        layers.append(_mark_layer(events, x))
    layers += labels
    shaded = "Shaded: migration windows" if shades else ""
    hint = "Drag across the chart to mark a window" if brush else ""
    title = _title(f"Throughput over time: {host}, bytes {direction}", shaded, hint, *notes)
    chart = alt.layer(*layers, title=title).resolve_scale(color="independent")
    if brush:  # declared at the top, naming the view it listens to, for JupyterChart to see it
        chart.params = [alt.TopLevelSelectionParameter(
            name="brush", select=alt.IntervalSelectionConfig(type="interval", encodings=["x"]), views=["series"],
        )]
    return chart


def _around(frame: pl.DataFrame, span: tuple, max_points: int) -> pl.DataFrame:
    """The rows within ``span`` and, as the budget of rows allows, up to as many again either side
    (context to pan into, at full resolution)."""
    inside = frame["time"].is_between(*span).arg_true()
    if inside.is_empty():
        return frame.filter(pl.col("time").is_between(*span))
    first, last = inside[0], inside[-1]
    count = last - first + 1
    columns = max(len([c for c in frame.columns if c not in SERIES_COLUMNS]), 1)
    extra = min(max(max_points // columns - count, 0) // 2, count)
    start = max(first - extra, 0)
    return frame.slice(start, last + extra + 1 - start)


def _traffic_key(analysis: Analysis, host: str | None, direction: str | None) -> tuple[str, str]:
    """(host, direction) of ``analysis.traffic`` to chart, defaults filled in."""
    if not analysis.traffic:
        raise OptionError("the analysis holds no NIC traffic to chart")
    first_source = analysis.migrations[0].window.source if analysis.migrations else None
    host = host or first_source or next(iter(analysis.traffic))[0]
    direction = direction or ("sent" if (host, "sent") in analysis.traffic else "received")
    if (host, direction) not in analysis.traffic:
        raise OptionError(f"no NIC traffic for host {host!r}, direction {direction!r}; have {sorted(analysis.traffic)}")
    return host, direction


def _nic_long(wide: pl.DataFrame, nics: list[str]) -> pl.DataFrame:
    """Traffic rows as ``time``, ``nic``, ``gbps`` [Gbit/s]."""
    long = wide.unpivot(index="time", on=nics, variable_name="nic", value_name="bytes_s")
    return long.select("time", "nic", gbps=pl.col("bytes_s") * GBPS)


def _window_layers(windows: pl.DataFrame, x: alt.X) -> tuple[list[alt.Chart], list[alt.Chart]]:
    """Shaded migration windows, and their ``#n VM`` labels on three staggered lanes."""
    if windows.is_empty():
        return [], []
    frame = _epoch_ms(windows, "start", "end").select(
        "start", "end",
        window=pl.format("#{} {}", "migration", pl.col("vm").fill_null("?")),
        lane=10 + 12 * (pl.int_range(pl.len()) % 3),
        duration_s="duration_s",
    )
    base = _utc_text(alt.Chart(frame), "start", "end")
    tooltip = [alt.Tooltip("window:N", title="Migration"), _time_tooltip("start"), _time_tooltip("end"),
               alt.Tooltip("duration_s:Q", title="Duration [s]", format=".1f")]
    shade = base.mark_rect(color="#9e9e9e", opacity=0.15, clip=True).encode(x=_at(x, "start"), x2="end:T", tooltip=tooltip)
    label = base.mark_text(align="left", dx=3, fontSize=10, color="#444444", clip=True).encode(
        x=_at(x, "start"), y=alt.Y("lane:Q", scale=None), text="window:N"
    )
    return [shade], [label]


def _report_dips(analysis: Analysis) -> pl.DataFrame:
    """The dips below the plateau of each migration's throughput, as marks."""
    rows = [
        {"start": d.start, "end": d.end, "kind": "dip", "label": f"dip to {gbps(d.min_bytes_s):.2f} Gbit/s"}
        for m in analysis.migrations for d in m.throughput.steadiness.dips
    ]
    return _marks(rows)


def _marks(marks: pl.DataFrame | Sequence[Mapping] | None) -> pl.DataFrame:
    """Marks as ``start``, ``end`` (epoch ms, null for an instant), ``kind``, ``label``; the end
    may come as ``duration_s`` [s] (as in :func:`kit.analysis.blackout.transfer_passes`), the kind
    defaults to ``mark`` and the label to the kind; marks without a start are left out."""
    schema = {"start": pl.Int64, "end": pl.Int64, "kind": pl.String, "label": pl.String}
    frame = marks if isinstance(marks, pl.DataFrame) else pl.DataFrame(list(marks or []), infer_schema_length=None)
    if frame.is_empty():
        return pl.DataFrame(schema=schema)
    start = _utc("start", frame.schema["start"]).dt.epoch("ms")
    if "end" in frame.columns:
        end = _utc("end", frame.schema["end"]).dt.epoch("ms")
    elif "duration_s" in frame.columns:
        end = start + (pl.col("duration_s") * 1000).round().cast(pl.Int64)
    else:
        end = pl.lit(None, pl.Int64)
    kind = pl.col("kind").cast(pl.String) if "kind" in frame.columns else pl.lit("mark")
    label = pl.col("label").cast(pl.String) if "label" in frame.columns else pl.lit(None, pl.String)
    return frame.select(start=start, end=end, kind=kind, label=label.fill_null(kind)).drop_nulls("start")


def _utc(column: str, dtype: pl.DataType) -> pl.Expr:
    """A column of ISO strings or datetimes as UTC datetimes."""
    if dtype == pl.String:
        return pl.col(column).str.to_datetime(time_zone="UTC", time_unit="us")
    if dtype == pl.Null:
        return pl.col(column).cast(pl.Datetime("us", "UTC"))
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is None:
        return pl.col(column).dt.replace_time_zone("UTC")
    return pl.col(column).dt.convert_time_zone("UTC")


def _mark_layer(events: pl.DataFrame, x: alt.X) -> alt.LayerChart:
    """A rule at the start of every mark and a band up to its end, one colour per kind."""
    kinds = events["kind"].unique(maintain_order=True).to_list()
    spare = iter(c for c in PALETTE if c not in MARK_COLORS.values())
    colors = [MARK_COLORS.get(k) or next(spare) for k in kinds]
    color = alt.Color("kind:N", title="Marked", scale=alt.Scale(domain=kinds, range=colors))
    tooltip = [alt.Tooltip("label:N", title="Mark"), _time_tooltip("start"), _time_tooltip("end")]
    base = _utc_text(alt.Chart(events), "start", "end")
    bands = base.transform_filter("isValid(datum.end)").mark_rect(opacity=0.25, clip=True).encode(
        x=_at(x, "start"), x2="end:T", color=color, tooltip=tooltip
    )
    rules = base.mark_rule(strokeWidth=1.2, clip=True).encode(x=_at(x, "start"), color=color, tooltip=tooltip)
    return alt.layer(bands, rules)


# ---------------------------------------------------------------------------------------------
# Throughput distribution

Runs = Analysis | Migration | Leg | Mapping | Sequence
"""What :func:`histogram_chart` and :func:`cdf_chart` take: an analysis (every migration), a
migration, a leg, a list of them, or a mapping ``run name → any of these``."""


def histogram_chart(runs: Runs, *, overlay: bool = True) -> alt.Chart | alt.FacetChart:
    """Share of the transfer time spent in each throughput bin, one colour per run. [% / Gbit/s]

    Runs overlap with transparency (``overlay``) or sit in rows of a facet. A migration counts its
    source's transfer samples (its headline histogram); a leg its own. Runs binned differently are
    put on common bins (the widest run's width, and at least 1/60 of the range), so no run shows as
    hairlines; more than 10 runs take a 20-colour palette.
    """
    items = _distributions(runs)
    frame = pl.concat(
        [pl.DataFrame(h).select("bin_start_gbps", "bin_end_gbps", "seconds", run=pl.lit(name), pct=pl.col("share") * 100)
         for name, h, _ in items],
        how="vertical_relaxed",
    )
    names = [name for name, _, _ in items]
    if len(names) > 1 and frame.height:
        frame = _common_bins(frame)
    bars = alt.Chart(frame).mark_bar(opacity=0.55 if overlay and len(names) > 1 else 0.9, binSpacing=1).encode(
        x=alt.X("bin_start_gbps:Q", title="Throughput [Gbit/s]", bin="binned"),
        x2="bin_end_gbps:Q",
        y=alt.Y("pct:Q", title="Transfer time [%]", stack=None),
        color=_run_color(names),
        tooltip=[alt.Tooltip("run:N", title="Run"), alt.Tooltip("bin_start_gbps:Q", title="From [Gbit/s]"),
                 alt.Tooltip("bin_end_gbps:Q", title="To [Gbit/s]"), alt.Tooltip("pct:Q", title="Time [%]", format=".1f"),
                 alt.Tooltip("seconds:Q", title="Time [s]", format=".1f")],
    )
    title = _title("Throughput distribution", "Share of the transfer time at each rate")
    return _overlay_or_facet(bars, names, overlay=overlay, title=title)


def cdf_chart(runs: Runs, *, overlay: bool = True, max_points: int = MAX_POINTS) -> alt.Chart | alt.FacetChart:
    """Time-weighted CDF of the transfer samples' rates, one step line per run. [% / Gbit/s]

    Runs with more samples than their share of ``max_points`` keep evenly spaced quantiles (said
    in the subtitle).
    """
    items = _distributions(runs)
    budget = max(max_points // len(items), 2)
    parts = []
    largest = max(cdf.height for _, _, cdf in items)
    for name, _, cdf in items:
        if cdf.height > budget:
            cdf = cdf[np.unique(np.linspace(0, cdf.height - 1, budget).round().astype(np.int64))]
        start = cdf.head(1).select("gbps", share=pl.lit(0.0))
        parts.append(pl.concat([start, cdf.select("gbps", "share")]).select("gbps", run=pl.lit(name), pct=pl.col("share") * 100))
    names = [name for name, _, _ in items]
    lines = alt.Chart(pl.concat(parts)).mark_line(interpolate="step-after", strokeWidth=1.6).encode(
        x=alt.X("gbps:Q", title="Throughput [Gbit/s]"),
        y=alt.Y("pct:Q", title="Transfer time at or below [%]", scale=alt.Scale(domain=[0, 100])),
        color=_run_color(names),
        tooltip=[alt.Tooltip("run:N", title="Run"), alt.Tooltip("gbps:Q", title="Gbit/s", format=".2f"),
                 alt.Tooltip("pct:Q", title="At or below [%]", format=".1f")],
    )
    notes = [f"{budget:,} samples per run, evenly spaced in rank (of up to {largest:,})"] if largest > budget else []
    title = _title("Throughput CDF", "Share of the transfer time at or below each rate", *_downsampled(notes))
    return _overlay_or_facet(lines, names, overlay=overlay, title=title)


def _distributions(runs: Runs) -> list[tuple[str, pl.DataFrame, pl.DataFrame]]:
    """(name, histogram, cdf) of every run; names get ``prefix ·`` when one run holds several."""
    if isinstance(runs, Mapping):
        return [item for name, run in runs.items() for item in _named(_distributions(run), name)]
    if isinstance(runs, Analysis):
        return [item for m in runs.migrations for item in _distributions(m)]
    if isinstance(runs, Migration):
        leg = runs.source_leg or next((g for g in runs.legs if g.direction), None)
        return [(_migration_name(runs), leg.histogram, leg.cdf)] if leg else []
    if isinstance(runs, Leg):
        return [(f"{runs.host} {runs.direction or runs.role}", runs.histogram, runs.cdf)]
    if isinstance(runs, Iterable) and not isinstance(runs, str):
        items = [item for run in runs for item in _distributions(run)]
        if items:
            return items
    raise OptionError(f"no throughput distribution in {type(runs).__name__}: give analyses, migrations or legs")


def _named(items: list[tuple[str, pl.DataFrame, pl.DataFrame]], name: str) -> list:
    return [(name if len(items) == 1 else f"{name} · {sub}", h, c) for sub, h, c in items]


def _migration_name(migration: Migration) -> str:
    return f"#{migration.number} {migration.window.vm or ''}".strip()


def _common_bins(frame: pl.DataFrame) -> pl.DataFrame:
    """Histogram rows of several runs summed onto common bins [Gbit/s]."""
    widths = frame.select(pl.col("bin_end_gbps") - pl.col("bin_start_gbps")).to_series()
    span = float(frame["bin_end_gbps"].max() - frame["bin_start_gbps"].min())
    width = max(float(widths.max()), span / 60, 1e-9)
    return (
        frame.with_columns(bin_start_gbps=(pl.col("bin_start_gbps") / width + 1e-9).floor() * width)
        .group_by("run", "bin_start_gbps", maintain_order=True)
        .agg(pl.col("seconds").sum(), pl.col("pct").sum())
        .with_columns(bin_end_gbps=pl.col("bin_start_gbps") + width)
    )


def _run_color(names: list[str]) -> alt.Color:
    """One colour per run, distinct up to 20 runs."""
    scale = alt.Scale(scheme="tableau20") if len(names) > len(PALETTE) else alt.Undefined
    return alt.Color("run:N", title="Run", sort=names, scale=scale, legend=alt.Legend(columns=1 if len(names) <= 14 else 2))


def _overlay_or_facet(chart: alt.Chart, names: list[str], *, overlay: bool, title: alt.TitleParams) -> alt.Chart | alt.FacetChart:
    if overlay:
        return chart.properties(title=title)
    header = alt.Header(labelAngle=0, labelAlign="left", labelAnchor="start", labelOrient="top", labelFontWeight="bold",
                        labelPadding=2)
    rows = alt.Row("run:N", title=None, sort=names, header=header)
    return chart.properties(height=70 if len(names) > 6 else 110).facet(row=rows, title=title, spacing=8)


# ---------------------------------------------------------------------------------------------
# Cores


def core_heatmap(
    leg: Leg,
    *,
    span: tuple | None = None,
    how: str = "max",
    max_cells: int = 4000,
) -> alt.Chart:
    """DPC + interrupt time of each logical processor over time (the host's whole capture, or
    ``span`` = (start, end) UTC). [%]

    Each cell covers one sample interval; longer captures are cut into time buckets with the
    ``how`` (``max``: peaks stay visible, ``mean``, ``min``) of each, ≤ ``max_cells`` cells.
    """
    frame = leg.core_frame
    columns = [c for c in frame.columns if c.startswith(f"network_pct{SEP}")]
    if not columns:
        raise OptionError(f"{leg.host}: no per-core % DPC Time or % Interrupt Time in this capture")
    if span is not None:
        frame = frame.filter(pl.col("prev") >= span[0], pl.col("time") <= span[1])
    cells = frame.filter(pl.col("prev").is_not_null()).select(time="prev", end="time", *columns)
    notes = []
    if cells.height * len(columns) > max_cells:
        every = bucket_width(cells, buckets=max(max_cells // len(columns), 2))
        before = cells.height * len(columns)
        cells = aggregate(cells.drop("end"), every=every, columns=columns, how=how)
        notes.append(_note(how, every, before, cells.height * len(columns)))
    matrix = core_matrix(cells.drop("end"), labels=leg.core_labels).join(cells.select("time", "end"), on="time")
    cores = len(columns)
    chart = _utc_text(alt.Chart(_epoch_ms(matrix, "time", "end")), "time", "end").mark_rect().encode(
        x=_time_x("time", matrix["time"]),
        x2="end:T",
        y=alt.Y("core:O", title="Logical processor", axis=alt.Axis(labelOverlap=True)),
        color=alt.Color("value:Q", title="DPC + interrupt [%]",
                        scale=alt.Scale(scheme="inferno", reverse=True, domain=[0, 100], clamp=True)),
        tooltip=[_time_tooltip("time", "From"), _time_tooltip("end", "To"), alt.Tooltip("core:O", title="Core"),
                 alt.Tooltip("label:N", title="Instance"), alt.Tooltip("value:Q", title="DPC + interrupt [%]", format=".1f")],
    )
    title = _title(f"{_work(leg)} per core: {leg.host}", "% DPC Time + % Interrupt Time of each logical processor", *notes)
    return chart.properties(height=min(max(12 * cores, 120), 480), title=title)


def _work(leg: Leg) -> str:
    """What the cores of a leg did: receive work on the destination, send work on the source."""
    return {"destination": "Receive work", "source": "Send work"}.get(leg.role, "Network work (DPC + interrupt)")


def core_bars(leg: Leg, *, expected: int | None = None) -> alt.LayerChart:
    """Mean DPC + interrupt time of each core over the transfer, saturated and active cores
    highlighted, the idle level ticked and the NICs' RSS cores (when logged) marked. [%]

    ``expected``: receive cores the transport should keep busy (``Migration.expected_cores``),
    shown beside the active count.
    """
    cores = leg.cores
    if "network_pct" not in cores.columns:
        raise OptionError(f"{leg.host}: no per-core % DPC Time or % Interrupt Time in this capture")
    frame = cores.select(
        "core", "network_pct",
        label=pl.col("label") if "label" in cores.columns else pl.col("core").cast(pl.String),
        baseline_pct=pl.col("baseline_pct").fill_null(0) if "baseline_pct" in cores.columns else pl.lit(0.0),
        peak_pct="peak_network_pct",
        status=pl.when("saturated").then(pl.lit("saturated")).when("active").then(pl.lit("active")).otherwise(pl.lit("idle")),
    )
    x = alt.X("core:O", title="Logical processor")
    y = alt.Y("network_pct:Q", title="DPC + interrupt, mean over the transfer [%]", scale=alt.Scale(domain=[0, 100]))
    tooltip = [alt.Tooltip("core:O", title="Core"), alt.Tooltip("label:N", title="Instance"),
               alt.Tooltip("network_pct:Q", title="Mean [%]", format=".1f"),
               alt.Tooltip("peak_pct:Q", title="Peak [%]", format=".1f"),
               alt.Tooltip("baseline_pct:Q", title="Idle [%]", format=".1f"), alt.Tooltip("status:N", title="Status")]
    base = alt.Chart(frame)
    bars = base.mark_bar().encode(
        x=x, y=y, tooltip=tooltip,
        color=alt.Color("status:N", title="Core", scale=alt.Scale(domain=list(CORE_STATUS), range=list(CORE_STATUS.values()))),
    )
    idle = base.mark_tick(color="#222222", thickness=1.5).encode(x=x, y="baseline_pct:Q", tooltip=tooltip)
    layers = [bars, idle]
    carried = leg.nics.filter(pl.col("carried")).select("nic", "instance")
    rss = leg.nic_cores.select("nic", "core").join(carried, on="nic").select("core", nic="instance")
    if rss.height:
        rss = rss.join(frame.select("core", "network_pct"), on="core")
        layers.append(alt.Chart(rss).mark_point(filled=True, size=50, yOffset=-8, color="#222222").encode(
            x=x, y="network_pct:Q", shape=alt.Shape("nic:N", title="RSS core of NIC"),
            tooltip=[alt.Tooltip("nic:N", title="NIC"), alt.Tooltip("core:O", title="Core")],
        ))
    summary = leg.core_summary
    counts = f"{summary.active_count} active core(s)" + (f", {expected} expected" if expected is not None else "")
    effective = summary.effective
    saturated = summary.saturated
    subtitle = [
        f"{counts} (active: ≥ {ACTIVE_PCT:g} points over idle; tick: idle level)"
        + (f"; effective cores {effective:.1f}" if effective is not None else ""),
        f"Saturated: core(s) {', '.join(map(str, saturated))}" if saturated else "No saturated core",
    ]
    title = _title(f"{_work(leg)} per core during the transfer: {leg.host} ({leg.role})", *subtitle)
    return alt.layer(*layers, title=title).properties(width=alt.Step(max(8, min(28, 720 // max(frame.height, 1)))))


# ---------------------------------------------------------------------------------------------
# Blackout and channels


def blackout_chart(migration: Migration) -> alt.LayerChart:
    """Each blackout method's interval [s] with its estimate, and the combined result on top.

    An upper bound that no method could give is drawn as an open interval to the right edge.
    """
    combined = migration.blackout
    rows = [{**m.__dict__, "row": m.method, "combined": False} for m in combined.methods]
    if combined.estimate_s is not None:
        rows.insert(0, {"method": combined.method, "estimate_s": combined.estimate_s, "lower_s": combined.lower_s,
                        "upper_s": combined.upper_s, "basis": combined.basis, "row": "combined", "combined": True})
    if not rows:
        raise OptionError(f"migration {migration.number}: no blackout method had what it needs",
                          hint="; ".join(combined.lacking) or None)
    frame = pl.DataFrame(rows, schema={"method": pl.String, "row": pl.String, "estimate_s": pl.Float64,
                                       "lower_s": pl.Float64, "upper_s": pl.Float64, "basis": pl.String,
                                       "combined": pl.Boolean})
    edge = max(frame.select(pl.max_horizontal("upper_s", "estimate_s", "lower_s")).to_series().max() or 1.0, 0.1) * 1.15
    frame = frame.with_columns(open=pl.col("upper_s").is_null(), right=pl.col("upper_s").fill_null(edge))
    order = frame["row"].to_list()
    y = alt.Y("row:N", title=None, sort=order)
    x = alt.X("lower_s:Q", title="Blackout [s]", scale=alt.Scale(domain=[0, edge], nice=False))
    tooltip = [alt.Tooltip("row:N", title="Method"), alt.Tooltip("estimate_s:Q", title="Estimate [s]", format=".3f"),
               alt.Tooltip("lower_s:Q", title="At least [s]", format=".3f"),
               alt.Tooltip("upper_s:Q", title="At most [s]", format=".3f"), alt.Tooltip("basis:N", title="How")]
    color = alt.condition("datum.combined", alt.value("#d62728"), alt.value("#4c78a8"))
    base = alt.Chart(frame)
    bands = base.mark_bar(height=10, opacity=0.6).encode(x=x, x2="right:Q", y=y, color=color, tooltip=tooltip)
    points = base.mark_point(filled=True, size=80, color="#222222").encode(x="estimate_s:Q", y=y, tooltip=tooltip)
    upper = "?" if combined.upper_s is None else f"{combined.upper_s:.2f}"
    subtitle = [f"≈ {combined.estimate_s:.2f} s, between {combined.lower_s:.2f} and {upper} s ({combined.method})"
                if combined.estimate_s is not None else "no combined estimate",
                "Bars: each method's bounds (open to the right: no upper bound); dots: estimates"]
    title = _title(f"Blackout of {_migration_name(migration)}", *subtitle)
    return alt.layer(bands, points, title=title).properties(width=520, height=alt.Step(26))


def channel_chart(migration: Migration) -> alt.VConcatChart:
    """Bytes per carrying (or configured) NIC of each host and direction, split TCP / RDMA; NICs
    outside the configured live-migration networks marked "not an LM network" in red. [GB]

    NICs are labelled by alias (name) where the topology gives one, with their descriptions
    shortened to where they differ (:func:`nic_labels`); one panel per host and direction.
    """
    nics = migration.channels.nics.filter(
        (pl.col("carried") | pl.col("configured").fill_null(False)) & (pl.col("bytes").fill_null(0) > 0)
    )
    if nics.is_empty():
        raise OptionError(f"migration {migration.number}: no NIC byte counters in this capture")
    configured = pl.col("configured").replace_strict({True: "configured", False: "NOT configured"}, default="unknown",
                                                      return_dtype=pl.String)
    frame = nics.select(
        view=pl.format("{}, bytes {}", "host", "direction"), instance="instance", configured=configured, share="share",
        tcp_gb=pl.col("tcp_bytes").fill_null(0) * 1e-9, rdma_gb=pl.col("rdma_bytes").fill_null(0) * 1e-9,
    ).with_columns(nic=pl.Series(nic_labels(nics["name"].to_list(), nics["instance"].to_list()), dtype=pl.String))
    long = frame.unpivot(index=["view", "nic", "instance", "configured", "share"], on=["tcp_gb", "rdma_gb"],
                         variable_name="path", value_name="gb").with_columns(
        path=pl.col("path").replace({"tcp_gb": "TCP (Network Interface)", "rdma_gb": "RDMA (RDMA Activity)"})
    ).filter(pl.col("gb") > 0)
    totals = long.group_by("view", "nic", "configured", maintain_order=True).agg(pl.col("gb").sum())
    edge = float(totals["gb"].max() or 1.0) * 1.45
    tooltip = [alt.Tooltip("view:N", title="Host, direction"), alt.Tooltip("nic:N", title="NIC"),
               alt.Tooltip("instance:N", title="Perfmon instance"), alt.Tooltip("path:N", title="Path"),
               alt.Tooltip("gb:Q", title="GB", format=".2f"), alt.Tooltip("share:Q", title="Share", format=".1%"),
               alt.Tooltip("configured:N", title="LM network")]
    paths = ["TCP (Network Interface)", "RDMA (RDMA Activity)"]
    panels = []
    for view in long["view"].unique(maintain_order=True):
        rows = long.filter(pl.col("view") == view)
        order = rows["nic"].unique(maintain_order=True).to_list()
        y = alt.Y("nic:N", title=None, sort=order, axis=alt.Axis(labelLimit=420))
        x = alt.X("gb:Q", title="Bytes moved [GB]", stack="zero", scale=alt.Scale(domain=[0, edge]))
        bars = alt.Chart(rows).mark_bar().encode(
            x=x, y=y, tooltip=tooltip,
            color=alt.Color("path:N", title="Carried over", scale=alt.Scale(domain=paths, range=PALETTE[:2])),
        )
        flagged = totals.filter((pl.col("view") == view) & (pl.col("configured") == "NOT configured"))
        layers = [bars]
        if flagged.height:
            layers.append(alt.Chart(flagged).mark_text(align="left", dx=4, color="#d62728", fontWeight="bold").encode(
                x="gb:Q", y=y, text=alt.value("not an LM network")))
        panels.append(alt.layer(*layers, title=alt.TitleParams(view, anchor="start", fontSize=12, fontWeight="bold"))
                      .properties(width=480, height=alt.Step(26)))
    unexpected = [f.text for f in migration.findings if f.kind == "unexpected-nic"]
    title = _title(f"Channels of {_migration_name(migration)}", *(unexpected or ["Bytes per NIC, TCP vs RDMA"]))
    return alt.vconcat(*panels, title=title, spacing=18)


def nic_labels(names: Sequence[str | None], descriptions: Sequence[str]) -> list[str]:
    """One readable, distinct label per NIC: its alias where known (``SLOT 6 Port 2``), followed by
    its description where the descriptions differ, shortened to the part that differs
    (``… Adapter #2``); without aliases, the descriptions whole.

    >>> nic_labels([None, None], ["Mellanox ConnectX-4 Lx Ethernet Adapter", "Mellanox ConnectX-4 Lx Ethernet Adapter _2"])
    ['Mellanox ConnectX-4 Lx Ethernet Adapter', 'Mellanox ConnectX-4 Lx Ethernet Adapter _2']
    >>> nic_labels(["SLOT 6 Port 1", "SLOT 6 Port 2"], ["Intel X710 Adapter", "Intel X710 Adapter _2"])
    ['SLOT 6 Port 1 (Intel X710 Adapter)', 'SLOT 6 Port 2 (… Adapter _2)']
    >>> nic_labels(["Port 1", "Management"], ["Intel X710 Adapter", "Intel I350 Gigabit Network"])
    ['Port 1 (Intel X710 Adapter)', 'Management (Intel I350 Gigabit Network)']
    """
    distinct = sorted(set(descriptions))
    labels = []
    for name, description in zip(names, descriptions):
        if not name:
            labels.append(description)
            continue
        if len(distinct) == 1:
            labels.append(name)
            continue
        shared = max(len(os.path.commonprefix([description, other])) for other in distinct if other != description)
        cut = description.rfind(" ", 0, shared)
        whole = shared >= len(description) or shared < 12 or cut <= 0
        labels.append(f"{name} ({description if whole else '… ' + description[cut + 1:]})")
    return labels


# ---------------------------------------------------------------------------------------------
# Runs side by side


def comparison_chart(
    table: pl.DataFrame, *, metrics: Mapping[str, str] | None = None, by: str = "run", columns: int = 2
) -> alt.ConcatChart:
    """One panel per metric, one dot per migration on its run's row (:func:`kit.compare`).

    ``metrics``: column → panel title with unit (default :data:`COMPARISON_METRICS`; columns
    missing or empty in ``table`` are left out); ``by``: the column naming the rows.
    """
    metrics = metrics or COMPARISON_METRICS
    present = {c: t for c, t in metrics.items() if c in table.columns and table[c].null_count() < table.height}
    if not present:
        raise OptionError(f"none of the metrics {list(metrics)} has values in the table")
    names = table[by].cast(pl.String).unique(maintain_order=True).to_list()
    ids = [c for c in ("migration", "vm") if c in table.columns]
    panels = []
    for column, title in present.items():
        frame = table.select(pl.col(by).cast(pl.String), *ids, value=pl.col(column).cast(pl.Float64)).drop_nulls("value")
        tooltip = [alt.Tooltip(f"{by}:N", title=by.capitalize()), *(alt.Tooltip(f"{c}:N") for c in ids),
                   alt.Tooltip("value:Q", title=title, format=".3g")]
        panels.append(alt.Chart(frame).mark_point(filled=True, size=70, opacity=0.8).encode(
            x=alt.X("value:Q", title=title, scale=alt.Scale(zero=True)),
            y=alt.Y(f"{by}:N", title=None, sort=names),
            color=alt.Color(f"{by}:N", sort=names, legend=None),
            tooltip=tooltip,
        ).properties(width=320, height=alt.Step(22)))
    return alt.concat(*panels, columns=columns, title=_title("Runs side by side", "One dot per migration"))


# ---------------------------------------------------------------------------------------------
# Shared pieces


def _at(x: alt.X, field: str) -> alt.X:
    """The time axis ``x`` on another field."""
    return alt.X(f"{field}:T", **{key: x._get(key) for key in ("title", "scale", "axis")})


def _time_x(field: str, times: pl.Series, *, domain: list[int] | None = None) -> alt.X:
    """A UTC time axis, labelled to suit the span of ``times`` (or ``domain``, epoch ms: what
    the axis shows; the date in the title when it is one day)."""
    if domain is not None:
        times = pl.Series([domain[0] * 1000, domain[1] * 1000], dtype=pl.Datetime("us", "UTC"))
    first, last = times.min(), times.max()
    hours = (last - first).total_seconds() / 3600 if first is not None else 0.0
    label = "%H:%M:%S" if hours <= 2 else "%H:%M" if hours <= 48 else "%Y-%m-%d %H:%M"
    day = f", {first:%Y-%m-%d}" if first is not None and first.date() == last.date() else ""
    scale = alt.Scale(type="utc", domain=domain) if domain else alt.Scale(type="utc")
    return alt.X(f"{field}:T", title=f"{TIME_TITLE}{day}", scale=scale,
                 axis=alt.Axis(format=label, labelOverlap=True, tickCount=8))


def _utc_text(chart: alt.Chart, *fields: str) -> alt.Chart:
    """Adds ``<field>_utc``, each time as UTC text, computed in the browser for the tooltips
    (which would otherwise show the viewer's local time)."""
    return chart.transform_calculate(**{
        f"{f}_utc": f"isValid(datum.{f}) ? utcFormat(datum.{f}, '%Y-%m-%d %H:%M:%S.%L') : ''" for f in fields
    })


def _time_tooltip(field: str, title: str | None = None) -> alt.Tooltip:
    return alt.Tooltip(f"{field}_utc:N", title=f"{title or field.capitalize()} [UTC]")


def _epoch_ms(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """Datetime columns as epoch milliseconds: Vega reads them as UTC instants, unambiguously."""
    return frame.with_columns(pl.col(c).dt.epoch("ms") for c in columns)


def _title(text: str, *subtitle: str) -> alt.TitleParams:
    return alt.TitleParams(text, subtitle=[s for s in subtitle if s])


def _note(what: str, every: timedelta, before: int, after: int) -> str:
    """Subtitle line of a downsampled chart."""
    return _downsampled([f"{what} of each {_duration(every)} ({before:,} → {after:,} points)"])[0]


def _downsampled(notes: list[str]) -> list[str]:
    return [f"Downsampled for display: {'; '.join(notes)}"] if notes else []


def _duration(every: timedelta) -> str:
    """``30 s``, ``5 min``, ``2 h``, ``1 d``."""
    seconds = every.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"
