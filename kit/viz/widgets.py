"""Notebook views: explicit ipywidgets whose ``.observe`` handlers call kit functions and update
long-lived charts (``altair.JupyterChart``) and HTML panes.

Each view holds its current figures as plain attributes (``summary``, ``table``, ``methods``…) and
its charts in ``JupyterChart`` s whose ``.chart`` is replaced on every change, so a plain pytest
can set widget values and check what changed. Every view shows, in its ``notices`` pane, the side
inputs its analysis was given (read, used or why not) and the warnings of the capture and the
side inputs, grouped by code (:mod:`kit.viz.notices`). Display a view by leaving it last in a cell (or
``display(view)``); :func:`kit.charts.enable_offline` makes the charts render with no internet.

* :class:`Explorer` — one test: test, migration, host, direction, NICs and a time window.
* :class:`Comparison` — several tests side by side, rows named by a label.
* :class:`CoreExplorer` — RSS / DPC spread per core, with a core selector (or click a bar).
* :class:`MultichannelAudit` — which NICs carried the traffic against what was configured.
* :class:`BlackoutView` — every blackout method with its bounds, the passes on the trace.

Analyses never import this module; it only calls them.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import altair as alt
import ipywidgets as w
import polars as pl

from kit.analysis.analyze import analyze
from kit.analysis.comparison import compare
from kit.analysis.cores import SEP
from kit.analysis.results import Analysis, Blackout, Leg, Migration, WarningGroup, Window, gbps
from kit.errors import KitError
from kit.inputs.capture import Capture
from kit.io import load
from kit.sample import bundled_labels, bundled_tests
from kit.viz import charts
from kit.viz.notices import notices_html

PAD_SAMPLES = 5
"""Samples shown either side of a migration when the time window jumps to it. [samples]"""
CARDS = {
    "duration_s": ("Duration", "{:.1f} s"),
    "gb_moved": ("Moved", "{:.2f} GB"),
    "mean_gbps": ("Mean", "{:.2f} Gbit/s"),
    "p5_gbps": ("5th percentile", "{:.2f} Gbit/s"),
    "p95_gbps": ("95th percentile", "{:.2f} Gbit/s"),
    "pct_of_link": ("Mean of link", "{:.0f} %"),
    "active_cores": ("Active receive cores", "{:d}"),
    "expected_cores": ("Expected", "{:d}"),
    "transport": ("Transport", "{}"),
    "mtu": ("MTU", "{}"),
}
"""Summary cards: figure → (title, format with unit)."""
NIC_COLUMNS = ("host", "name", "instance", "direction", "carried", "share", "bytes", "tcp_bytes", "rdma_bytes",
               "configured", "selected", "current_channels", "smb_direct_connections")
"""Columns of :attr:`MultichannelAudit.table`: bytes [bytes], share [1]."""
CHANNEL_FINDINGS = ("unexpected-nic", "nic-stopped", "imbalance", "idle-selected", "mixed-speeds", "rdma-and-tcp", "compression")
"""The finding kinds :class:`MultichannelAudit` lists (:mod:`kit.analysis.findings`)."""
_ERRORS = (KitError, ValueError, OSError)


Run = Analysis | Capture | str | Path | Sequence[str | Path]
"""A run of :class:`Comparison`: its analysis, its capture, or the files to load."""


def migration_label(migration: Migration) -> str:
    """``#1 SQL-VM01 HV01 → HV02`` for a migration."""
    return migration.label


def summary(migration: Migration) -> dict[str, Any]:
    """The figures of :data:`CARDS` of a migration (units as in the cards)."""
    t = migration.throughput
    destination = migration.destination_leg
    return {
        "duration_s": migration.window.duration_s,
        "gb_moved": None if t.bytes_moved is None else t.bytes_moved * 1e-9,
        "mean_gbps": gbps(t.stats.mean_bytes_s),
        "p5_gbps": gbps(t.stats.p5_bytes_s),
        "p95_gbps": gbps(t.stats.p95_bytes_s),
        "pct_of_link": t.pct_of_link,
        "active_cores": destination.core_summary.active_count if destination else None,
        "expected_cores": migration.expected_cores if destination else None,
        "transport": migration.transport,
        "mtu": t.mtu,
    }


def cards_html(figures: Mapping[str, Any]) -> str:
    """Figures as a row of HTML cards (empty figures show as ``–``)."""
    style = "display:inline-block;margin:0 8px 8px 0;padding:6px 10px;border:1px solid #ddd;border-radius:4px"
    cards = []
    for key, (title, fmt) in CARDS.items():
        value = figures.get(key)
        text = "–" if value is None else fmt.format(value)
        cards.append(f'<div style="{style}"><div style="color:#555;font-size:11px">{title}</div>'
                     f'<div style="font-size:16px">{html.escape(text)}</div></div>')
    return "<div>" + "".join(cards) + "</div>"


def table_html(frame: pl.DataFrame) -> str:
    """A frame as an HTML table with every row and its full text."""
    with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=400, tbl_hide_dataframe_shape=True):
        return frame._repr_html_()


def _list_html(lines: Sequence[str]) -> str:
    return "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>" if lines else "<i>none</i>"


def _error_html(exc: Exception) -> str:
    return f"<span class='kit-error' style='color:#b00'>{html.escape(type(exc).__name__)}: {html.escape(str(exc))}</span>"


class _View:
    """Shared display: ``ui`` is the widget tree, shown when the view is displayed."""

    ui: w.Widget

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        return self.ui._repr_mimebundle_(**kwargs)


def _choose(control: w.Widget, options: Sequence, value: Any, then: Any) -> None:
    """Set a selector's options and value; call ``then()`` when that changed no value (its own
    observers, which would have run otherwise, did not)."""
    fired: list[bool] = []
    record = lambda change: fired.append(True)  # noqa: E731
    control.observe(record, names="value")
    try:
        control.options = options
        control.value = value
    finally:
        control.unobserve(record, names="value")
    if not fired:
        then()


def _migration_options(analysis: Analysis) -> list[tuple[str, int]]:
    return [(migration_label(m), k) for k, m in enumerate(analysis.migrations)]


class Explorer(_View):
    """One migration test: pick the test (a bundled one or files), the migration, host, direction,
    NICs and time window; the summary cards, throughput chart and histogram follow.

    ``source``: a :class:`~kit.capture.Capture` or files/folders/globs (default: the first bundled
    test); ``options`` go to :func:`kit.analyze`. With ``measure`` on, the cards and histogram
    measure the time window as one given migration (``kit.analyze(capture, windows=[…])``).
    """

    def __init__(self, source: Capture | str | Path | Sequence[str | Path] | None = None, **options: Any) -> None:
        self.options = options
        tests = bundled_tests()
        self.test = w.Dropdown(options=list(tests.items()), description="Test")
        self.paths = w.Text(placeholder="files, folders or globs, comma-separated", description="Files")
        self.load = w.Button(description="Load files")
        self.migration = w.Dropdown(description="Migration")
        self.host = w.Dropdown(description="Host")
        self.direction = w.ToggleButtons(options=["sent", "received"])
        self.nics = w.SelectMultiple(description="NICs", rows=4, layout=w.Layout(width="60%"))
        self.window = w.SelectionRangeSlider(options=[("–", 0)], description="Window", layout=w.Layout(width="95%"))
        self.measure = w.Checkbox(description="Measure the window as one migration")
        self.cards = w.HTML()
        self.messages = w.HTML()
        self.notices = w.HTML()
        self.chart = alt.JupyterChart(None)
        self.histogram = alt.JupyterChart(None)
        self.capture: Capture | None = None
        self.analysis: Analysis | None = None
        self.chosen: Migration | None = None
        self.summary: dict = {}
        self.warnings: tuple[WarningGroup, ...] = ()
        """The warnings of the open capture and its side inputs, grouped by code."""
        self.ui = w.VBox([
            w.HBox([self.test, self.paths, self.load]), w.HBox([self.migration, self.host, self.direction]),
            self.nics, self.window, self.measure, self.messages, self.notices, self.cards, self.chart, self.histogram,
        ])
        self.test.observe(lambda change: self.open(change["new"]), names="value")
        self.load.on_click(lambda _: self.open([p.strip() for p in self.paths.value.split(",") if p.strip()]))
        self.migration.observe(self._on_migration, names="value")
        self.host.observe(self._on_host, names="value")
        self.direction.observe(self._on_host, names="value")
        self.nics.observe(self._draw_chart, names="value")
        self.window.observe(self._on_window, names="value")
        self.measure.observe(self._measure, names="value")
        self.open(source if source is not None else self.test.value)

    def open(self, source: Capture | str | Path | Sequence[str | Path]) -> None:
        """Load (unless a capture) and analyse ``source``, then reset every selector to it."""
        try:
            capture = source if isinstance(source, Capture) else load(source, progress=False)
            analysis = analyze(capture, **self.options)
        except _ERRORS as exc:
            self.messages.value = _error_html(exc)
            return
        self.messages.value = ""
        self.capture, self.analysis = capture, analysis
        self.warnings = analysis.warning_groups()
        self.notices.value = notices_html(analysis, folded=True)
        times = sorted({t for frame in analysis.traffic.values() for t in frame["time"].to_list()})
        self.window.options = [(f"{t:%H:%M:%S}", t) for t in times]
        hosts = sorted({host for host, _ in analysis.traffic})
        first = analysis.migrations[0].window.source if analysis.migrations else None
        _choose(self.host, hosts, first if first in hosts else hosts[0], self._on_host)
        _choose(self.migration, _migration_options(analysis), 0 if analysis.migrations else None, self._on_migration)

    @property
    def span(self) -> tuple[datetime, datetime] | None:
        """The time window (first and last sample time shown) or None before a test is open. [UTC]"""
        value = self.window.value
        return value if len(value) == 2 and all(isinstance(t, datetime) for t in value) else None

    def _on_migration(self, change: Mapping | None = None) -> None:
        """Jump the window to the chosen migration (± :data:`PAD_SAMPLES`)."""
        if self.analysis is None or self.migration.value is None:
            self._measure()
            return
        window = self.analysis.migrations[self.migration.value].window
        times = [t for _, t in self.window.options]
        first = max(0, next((k for k, t in enumerate(times) if t >= window.start), 0) - PAD_SAMPLES)
        last = min(len(times) - 1, next((k for k, t in enumerate(times) if t >= window.end), len(times) - 1) + PAD_SAMPLES)
        span = (times[first], times[last])
        if self.window.value == span:
            self._measure()
        else:
            self.window.value = span  # → _on_window

    def _on_host(self, change: Mapping | None = None) -> None:
        """NICs of the chosen host and direction (all selected), then the chart."""
        if self.analysis is None or (self.host.value, self.direction.value) not in self.analysis.traffic:
            self.nics.options = []
            self._draw_chart()
            return
        frame = self.analysis.traffic[(self.host.value, self.direction.value)]
        names = [c for c in frame.columns if c not in charts.SERIES_COLUMNS]
        _choose(self.nics, names, tuple(names), self._draw_chart)

    def _on_window(self, change: Mapping | None = None) -> None:
        self._draw_chart()
        self._measure()

    def _draw_chart(self, change: Mapping | None = None) -> None:
        """Throughput of the chosen NICs over the time window. [Gbit/s]"""
        if self.analysis is None:
            return
        key = (self.host.value, self.direction.value)
        if not self.nics.value:
            self.chart.chart = None
            self.messages.value = "Choose at least one NIC."
            return
        shown = self.analysis
        if key in shown.traffic:  # only the chosen NICs: the chart draws every NIC column it gets
            hidden = [n for n in self.nics.options if n not in self.nics.value]
            shown = replace(shown, traffic={**shown.traffic, key: shown.traffic[key].drop(hidden)})
        try:
            self.chart.chart = charts.throughput_chart(shown, host=key[0], direction=key[1], span=self.span)
        except _ERRORS as exc:
            self.messages.value = _error_html(exc)
            self.chart.chart = None
        else:
            self.messages.value = ""

    def _measure(self, change: Mapping | None = None) -> None:
        """Cards and histogram: the chosen migration, or the window measured as one migration."""
        if self.analysis is None:
            return
        chosen: Migration | None = None
        if self.measure.value and self.capture is not None:
            try:  # a window of one sample ends where it starts
                given = analyze(self.capture, windows=[self.span], **self.options) if self.span else None
            except _ERRORS as exc:
                self.messages.value, given = _error_html(exc), None
            chosen = given.migrations[0] if given and given.migrations else None
        elif self.migration.value is not None:
            chosen = self.analysis.migrations[self.migration.value]
        self.chosen = chosen
        self.summary = summary(chosen) if chosen else {}
        self.cards.value = cards_html(self.summary)
        self.histogram.chart = charts.histogram_chart(chosen) if chosen and chosen.throughput.histogram.height else None


class Comparison(_View):
    """Several tests side by side: choose the runs, which label names the rows, and overlaid or
    faceted histograms. ``runs`` maps a name to an analysis, capture or files (default: every
    bundled test); ``labels`` maps a run to its labels (default: :func:`bundled_labels`)."""

    def __init__(
        self, runs: Mapping[str, Run] | None = None, *, labels: Mapping[str, Mapping[str, Any]] | None = None,
        **options: Any,
    ) -> None:
        runs = dict(runs if runs is not None else bundled_tests())
        self.labels = dict(labels if labels is not None else bundled_labels())
        self.analyses = {name: run if isinstance(run, Analysis) else _analysis(run, options) for name, run in runs.items()}
        keys = list(dict.fromkeys(k for name in runs for k in self.labels.get(name, {})))
        self.runs = w.SelectMultiple(options=list(runs), value=tuple(runs), description="Runs", rows=min(len(runs), 8),
                                     layout=w.Layout(width="60%"))
        self.by = w.Dropdown(options=["run", *keys], description="Rows by")
        self.overlay = w.ToggleButtons(options=[("faceted", False), ("overlaid", True)])
        self.view = w.HTML()
        self.notices = w.HTML()
        self.chart = alt.JupyterChart(None)
        self.histogram = alt.JupyterChart(None)
        self.table = pl.DataFrame()
        self.ui = w.VBox([self.runs, w.HBox([self.by, self.overlay]), self.view, self.chart, self.histogram,
                          self.notices])
        for control in (self.runs, self.by, self.overlay):
            control.observe(self.update, names="value")
        self.update()

    def update(self, change: Mapping | None = None) -> None:
        """Table, comparison chart and histograms of the chosen runs."""
        chosen = {name: self.analyses[name] for name in self.runs.value}
        self.notices.value = "".join(
            f"<b>{html.escape(name)}</b>{notices_html(analysis, folded=True)}" for name, analysis in chosen.items()
        )
        self.table = compare(chosen, labels={n: self.labels.get(n, {}) for n in chosen})
        by = self.by.value if self.by.value in self.table.columns else f"{self.by.value}_label"
        shown = ["run", *(c for c in (by,) if c != "run"), "migration", "vm", "duration_s", "mean_gbps", "p5_gbps",
                 "pct_of_link", "nics_carrying", "active_cores", "expected_cores"]
        self.view.value = table_html(self.table.select(*dict.fromkeys(shown)))
        if not chosen:
            self.chart.chart = self.histogram.chart = None
            return
        self.chart.chart = charts.comparison_chart(self.table, by=by)
        self.histogram.chart = charts.histogram_chart(chosen, overlay=self.overlay.value)


def _analysis(run: Run, options: Mapping[str, Any]) -> Analysis:
    capture = run if isinstance(run, Capture) else load(run, progress=False)
    return analyze(capture, **options)


class CoreExplorer(_View):
    """RSS / DPC spread: per migration and host, the cores' mean load (click a bar to pick its
    core) and the heatmap of the chosen cores over the migration; ``cores`` is the table of the
    chosen cores (:attr:`kit.analysis.results.Leg.cores`). [%]"""

    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.migration = w.Dropdown(options=_migration_options(analysis), description="Migration")
        self.host = w.Dropdown(description="Host")
        self.core = w.SelectMultiple(description="Cores", rows=6)
        self.active_only = w.Button(description="Active cores only")
        self.view = w.HTML()
        self.notices = w.HTML(notices_html(analysis, folded=True))
        self.bars = alt.JupyterChart(None)
        self.heatmap = alt.JupyterChart(None)
        self.cores = pl.DataFrame()
        self.ui = w.VBox([w.HBox([self.migration, self.host]), w.HBox([self.core, self.active_only]), self.notices,
                          self.bars, self.heatmap, self.view])
        self.migration.observe(self._on_migration, names="value")
        self.host.observe(self._on_host, names="value")
        self.core.observe(self._draw, names="value")
        self.active_only.on_click(lambda _: self._select(self.leg.cores.filter("active")["core"].to_list()))
        self._on_migration()

    @property
    def leg(self) -> Leg:
        """The chosen host's view of the chosen migration."""
        return self.analysis.migrations[self.migration.value].leg(self.host.value)

    def _on_migration(self, change: Mapping | None = None) -> None:
        """Hosts with per-core counters, the receiving one first (and chosen)."""
        legs = sorted(self.analysis.migrations[self.migration.value].legs, key=lambda leg: leg.role != "destination")
        hosts = [leg.host for leg in legs if "network_pct" in leg.cores.columns]
        _choose(self.host, hosts, hosts[0], self._on_host)

    def _on_host(self, change: Mapping | None = None) -> None:
        """Bars of the host's cores (clickable), cores to choose, active ones chosen."""
        leg = self.leg
        migration = self.analysis.migrations[self.migration.value]
        bars = charts.core_bars(leg, expected=migration.expected_cores if leg.role == "destination" else None)
        # a click on a bar: declared at the top (with the view it listens to) for JupyterChart to see it
        bars.layer[0] = bars.layer[0].properties(name="core_bars")
        bars.params = [alt.TopLevelSelectionParameter(
            name="core", select=alt.PointSelectionConfig(type="point", fields=["core"], on="click"), views=["core_bars"],
        )]
        self.bars.chart = bars
        self.bars.selections.observe(self._on_pick, names="core")
        active = leg.cores.filter("active")["core"].to_list()
        _choose(self.core, leg.cores["core"].to_list(), tuple(active or leg.cores["core"].to_list()), self._draw)

    def _on_pick(self, change: Mapping) -> None:
        """A click on a core's bar chooses that core (a click beside the bars chooses the active ones)."""
        picked = [row["core"] for row in change["new"].value if "core" in row]
        self._select(picked or self.leg.cores.filter("active")["core"].to_list())

    def _select(self, cores: Sequence[int]) -> None:
        _choose(self.core, self.core.options, tuple(cores), self._draw)

    def _draw(self, change: Mapping | None = None) -> None:
        """Heatmap over the migration (± :data:`PAD_SAMPLES` intervals) and the table of the chosen cores."""
        leg = self.leg
        chosen = list(self.core.value) or leg.cores["core"].to_list()
        self.cores = leg.cores.filter(pl.col("core").is_in(chosen))
        columns = [f"network_pct{SEP}{c}" for c in chosen]
        frame = leg.core_frame.select("time", "prev", "dt_s", *(c for c in columns if c in leg.core_frame.columns))
        window = self.analysis.migrations[self.migration.value].window
        self.heatmap.chart = charts.core_heatmap(replace(leg, core_frame=frame), span=_padded(self.analysis, window))
        self.view.value = table_html(self.cores.select(
            "core", "label", "network_pct", "peak_network_pct", "dpc_pct", "interrupt_pct", "baseline_pct", "active", "saturated"
        ))


class MultichannelAudit(_View):
    """Which NICs carried a migration against what was configured for it (needs the topology
    for ``configured``): the NIC table, findings, what could not be decided, and each host's NIC
    throughput over the migration."""

    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.migration = w.Dropdown(options=_migration_options(analysis), description="Migration")
        self.host = w.Dropdown(description="Host")
        self.view = w.HTML()
        self.notices = w.HTML(notices_html(analysis, folded=True))
        self.chart = alt.JupyterChart(None)
        self.table = pl.DataFrame()
        self.findings: list[str] = []
        self.lacking: list[str] = []
        self.ui = w.VBox([w.HBox([self.migration, self.host]), self.notices, self.view, self.chart])
        self.migration.observe(self.update, names="value")
        self.host.observe(self._draw, names="value")
        self.update()

    def update(self, change: Mapping | None = None) -> None:
        """Table, findings and host choice of the chosen migration."""
        migration = self.analysis.migrations[self.migration.value]
        channels = migration.channels
        nics = channels.nics
        self.table = nics.select(c for c in NIC_COLUMNS if c in nics.columns)
        self.findings = [f.text for f in migration.findings if f.kind in CHANNEL_FINDINGS]
        self.lacking = list(channels.lacking)
        accounting = {k: v for k, v in channels.accounting.__dict__.items() if v is not None}
        self.view.value = (
            table_html(self.table) + "<b>Findings</b>" + _list_html(self.findings)
            + "<b>Could not tell</b>" + _list_html(self.lacking)
            + "<b>Transport accounting</b>" + _list_html([f"{k}: {v:.4g}" for k, v in accounting.items()])
        )
        hosts = [leg.host for leg in migration.legs if leg.direction]
        source = migration.window.source
        _choose(self.host, hosts, source if source in hosts else hosts[0], self._draw)

    def _draw(self, change: Mapping | None = None) -> None:
        """The chosen host's NICs, stacked, over the migration. [Gbit/s]"""
        migration = self.analysis.migrations[self.migration.value]
        leg = migration.leg(self.host.value)
        try:
            self.chart.chart = charts.throughput_chart(
                self.analysis, host=leg.host, direction=leg.direction, span=_padded(self.analysis, migration.window)
            )
        except _ERRORS as exc:
            self.view.value += _error_html(exc)
            self.chart.chart = None


def _padded(analysis: Analysis, window: Window, around: datetime | None = None) -> tuple[datetime, datetime]:
    """The migration window (or the instant ``around``) ± :data:`PAD_SAMPLES` sample intervals. [UTC]"""
    pad = timedelta(seconds=PAD_SAMPLES * (analysis.capture.interval_s or 1.0))
    if around is not None:
        return around - pad, around + pad
    return window.start - pad, window.end + pad


class BlackoutView(_View):
    """The blackout of a migration by every method its inputs allow, each with its bounds, the
    combined estimate, what was lacking, and the source's throughput with the transfer passes and
    the blackout marked (zoom: whole migration or around the blackout)."""

    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.migration = w.Dropdown(options=_migration_options(analysis), description="Migration")
        self.zoom = w.ToggleButtons(options=[("whole migration", "migration"), ("around the blackout", "blackout")])
        self.view = w.HTML()
        self.notices = w.HTML(notices_html(analysis, folded=True))
        self.chart = alt.JupyterChart(None)
        self.methods = pl.DataFrame()
        self.passes = pl.DataFrame()
        self.combined: Blackout = Blackout()
        self.ui = w.VBox([w.HBox([self.migration, self.zoom]), self.notices, self.view, self.chart])
        self.migration.observe(self.update, names="value")
        self.zoom.observe(self._draw, names="value")
        self.update()

    def update(self, change: Mapping | None = None) -> None:
        """Methods, combined estimate and passes of the chosen migration, then the chart."""
        migration = self.analysis.migrations[self.migration.value]
        self.combined, self.passes = migration.blackout, migration.passes
        self.methods = self.combined.table()
        c = self.combined
        if c.estimate_s is None:
            headline = f"<b>No blackout estimate</b> ({html.escape(str(c.basis))})"
        else:
            upper = "∞" if c.upper_s is None else f"{c.upper_s:.2f}"
            headline = (
                f"<b>Blackout {c.estimate_s:.2f} s</b> (between {c.lower_s:.2f} and {upper} s; "
                f"{html.escape(str(c.method))}: {html.escape(str(c.basis))})"
            )
        self.view.value = (
            headline + (f"<br><i>{html.escape(c.note)}</i>" if c.note else "")
            + table_html(self.methods) + "<b>Not used</b>" + _list_html(c.lacking)
            + "<b>Transfer passes</b>" + table_html(self.passes)
        )
        self._draw()

    def marks(self) -> list[dict[str, Any]]:
        """Transfer passes and the combined blackout as marks for the throughput chart."""
        out = [
            {"start": p["start"], "duration_s": p["duration_s"], "kind": "pass", "label": f"pass {p['number']}"}
            for p in self.passes.filter(pl.col("start").is_not_null()).iter_rows(named=True)
        ]
        final = self.passes.filter(pl.col("final") & pl.col("start").is_not_null())
        if final.height and self.combined.estimate_s is not None:
            out.append({"start": final["start"][0], "duration_s": self.combined.estimate_s, "kind": "blackout",
                        "label": f"blackout {self.combined.estimate_s:.2f} s ({self.combined.method})"})
        return out

    def _draw(self, change: Mapping | None = None) -> None:
        migration = self.analysis.migrations[self.migration.value]
        leg = migration.source_leg or migration.legs[0]
        final = self.passes.filter(pl.col("final") & pl.col("start").is_not_null())
        around = final["start"][0] if self.zoom.value == "blackout" and final.height else None
        span = _padded(self.analysis, migration.window, around)
        try:
            self.chart.chart = charts.throughput_chart(
                self.analysis, host=leg.host, direction=leg.direction, marks=self.marks(), span=span
            )
        except _ERRORS as exc:
            self.view.value += _error_html(exc)
            self.chart.chart = None
