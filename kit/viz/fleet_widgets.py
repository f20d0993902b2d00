"""The fleet's notebook view: the migrations table with filters, its charts, and a drill-down into
one migration with the per-migration views of :mod:`kit.viz.widgets`.

:class:`FleetExplorer` holds what it shows as plain attributes (``shown``: the filtered table;
``analysis``/``migration``: the drill-down; ``view``: the per-migration view), so a plain pytest
can set the controls and check what changed.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import altair as alt
import ipywidgets as w
import polars as pl

from kit.analysis.results import Analysis, Migration
from kit.errors import KitError
from kit.fleet.analysis import FleetMigrations, fleet_migrations, select
from kit.viz import fleet as fleet_charts
from kit.viz.tables import table_html

ALL = "(all)"
VIEWS = ("Explorer", "Blackout", "Cores", "Channels")
"""The per-migration views of the drill-down (:mod:`kit.viz.widgets`)."""
TABLE_COLUMNS = ("migration_id", "vm", "source", "destination", "start", "duration_s", "gb_moved", "mean_gbps",
                 "p5_gbps", "p95_gbps", "blackout_s", "blackout_lower_s", "blackout_upper_s", "transport",
                 "nics_used", "nics_configured")
"""Columns of the table pane: times UTC, durations and blackouts [s], GB, Gbit/s."""
_ERRORS = (KitError, ValueError, OSError)


class FleetExplorer:
    """A fleet's migrations: filter by time range, host, VM and blackout threshold; see the
    timeline, the distributions, the worst ones and the table; pick one to drill into with the
    per-migration views (Explorer, Blackout, Cores, Channels).

    ``fleet``: a :class:`kit.FleetMigrations`, or a dataset folder (analysed with ``options``).
    """

    def __init__(self, fleet: FleetMigrations | str | Path, **options: Any) -> None:
        self.fleet = fleet if isinstance(fleet, FleetMigrations) else fleet_migrations(fleet, progress=False, **options)
        table = self.fleet.table
        starts = sorted(set(table["start"].dt.truncate("1h").to_list())) or [None]
        if len(starts) == 1:
            starts = starts * 2
        hosts = sorted(set(table["source"].drop_nulls()) | set(table["destination"].drop_nulls()))
        self.span = w.SelectionRangeSlider(
            options=[(f"{t:%Y-%m-%d %H:00}" if t else "–", t) for t in starts], index=(0, len(starts) - 1),
            description="Started", layout=w.Layout(width="95%"),
        )
        self.host = w.Dropdown(options=[ALL, *hosts], description="Host")
        self.vm = w.Dropdown(options=[ALL, *sorted(table["vm"].drop_nulls().unique())], description="VM")
        self.threshold = w.FloatSlider(value=0.0, min=0.0, max=10.0, step=0.1, description="Blackout ≥",
                                       readout_format=".1f")
        self.summary = w.HTML()
        self.table = w.HTML()
        self.timeline = alt.JupyterChart(None)
        self.distributions = alt.JupyterChart(None)
        self.worst = alt.JupyterChart(None)
        self.pick = w.Dropdown(description="Migration", layout=w.Layout(width="70%"))
        self.kind = w.ToggleButtons(options=VIEWS, value="Explorer")
        self.messages = w.HTML()
        self.drill = w.VBox()
        self.shown = table
        self.analysis: Analysis | None = None
        self.migration: Migration | None = None
        self.view: Any = None
        self.ui = w.VBox([
            self.span, w.HBox([self.host, self.vm, self.threshold]), self.summary, self.timeline,
            self.distributions, self.worst, self.table, w.HTML("<b>Drill down</b>"), w.HBox([self.pick, self.kind]),
            self.messages, self.drill,
        ])
        for control in (self.span, self.host, self.vm, self.threshold):
            control.observe(self.update, names="value")
        self.pick.observe(self.open, names="value")
        self.kind.observe(self.open, names="value")
        self.update()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        return self.ui._repr_mimebundle_(**kwargs)

    def filters(self) -> dict[str, Any]:
        """The controls as :func:`kit.fleet.select` arguments."""
        first, last = self.span.value
        return {
            "start": first if isinstance(first, datetime) else None,
            "end": last.replace(minute=59, second=59, microsecond=999999) if isinstance(last, datetime) else None,
            "host": None if self.host.value == ALL else self.host.value,
            "vm": None if self.vm.value == ALL else self.vm.value,
            "min_blackout_s": self.threshold.value or None,
        }

    def update(self, change: Mapping | None = None) -> None:
        """Filter the table, redraw the charts and offer the rows shown for the drill-down."""
        self.shown = select(self.fleet.table, **self.filters())
        shown, threshold = self.shown, self.threshold.value or fleet_charts.BLACKOUT_THRESHOLD_S
        over = shown.filter(pl.col("blackout_s") > threshold).height
        median = shown["duration_s"].median()
        self.summary.value = (
            f"<b>{shown.height}</b> of {self.fleet.table.height} migrations; median duration "
            f"{'–' if median is None else f'{median:.1f} s'}; {over} with a blackout over {threshold:g} s"
        )
        self.table.value = table_html(shown.select(TABLE_COLUMNS)) if shown.height else "<i>no migration</i>"
        if shown.height:
            self.timeline.chart = fleet_charts.timeline_chart(shown, threshold_s=threshold)
            self.distributions.chart = fleet_charts.distributions_chart(shown, threshold_s=threshold)
            self.worst.chart = fleet_charts.worst_chart(shown, link=None)
        else:
            self.timeline.chart = self.distributions.chart = self.worst.chart = None
        labels = shown.select(
            pl.format("{} {} {} → {}", pl.col("start").dt.strftime("%Y-%m-%d %H:%M:%S"),
                      pl.col("vm").fill_null("(traffic)"), pl.col("source").fill_null("?"),
                      pl.col("destination").fill_null("?")),
            "migration_id",
        ).rows()
        keep = self.pick.value if self.pick.value in {v for _, v in labels} else (labels[0][1] if labels else None)
        self.pick.options = labels
        if self.pick.value != keep:
            self.pick.value = keep  # → open
        elif keep is None:
            self.open()

    def open(self, change: Mapping | None = None) -> None:
        """Analyse the chosen migration's episode again and show it in the chosen view."""
        from kit.viz import widgets  # the per-migration views

        if self.pick.value is None:
            self.analysis = self.migration = self.view = None
            self.drill.children = ()
            return
        try:
            self.analysis, self.migration = self.fleet.drill_down(self.pick.value)
            index = self.analysis.migrations.index(self.migration)
            kind = self.kind.value
            if kind == "Explorer":
                view = widgets.Explorer(self.analysis.capture, **_analyze_options(self.fleet))
            else:
                view = {"Blackout": widgets.BlackoutView, "Cores": widgets.CoreExplorer,
                        "Channels": widgets.MultichannelAudit}[kind](self.analysis)
            _choose_migration(view, index)
        except _ERRORS as exc:
            self.messages.value = (f"<span class='kit-error' style='color:#b00'>{html.escape(type(exc).__name__)}: "
                                   f"{html.escape(str(exc))}</span>")
            return
        self.messages.value = ""
        self.view = view
        self.drill.children = (view.ui,)


def _analyze_options(fleet: FleetMigrations) -> dict[str, Any]:
    return dict(fleet.options)


def _choose_migration(view: Any, index: int) -> None:
    """Show the ``index``-th migration of the view's analysis (its selector's values are indices)."""
    values = [option[1] if isinstance(option, tuple) else option for option in view.migration.options]
    if index in values and view.migration.value != index:
        view.migration.value = index
