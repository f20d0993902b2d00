"""FleetExplorer: the filters narrow the table and charts; the drill-down opens each per-migration view."""

from __future__ import annotations

import polars as pl
import pytest

from kit.viz.fleet_widgets import ALL, VIEWS, FleetExplorer


@pytest.fixture
def explorer(fleet) -> FleetExplorer:
    return FleetExplorer(fleet.result)


def test_it_opens_on_every_migration_and_the_first_drilled_into(explorer, fleet):
    assert explorer.shown.height == fleet.result.table.height
    assert explorer.timeline.chart is not None and explorer.worst.chart is not None
    assert explorer.migration is not None and explorer.view is not None
    assert explorer.pick.value == explorer.shown["migration_id"][0]


def test_the_filters_narrow_the_table(explorer):
    explorer.host.value = "HV03"
    assert explorer.shown.height and explorer.shown.select(
        ((pl.col("source") == "HV03") | (pl.col("destination") == "HV03")).all()).item()
    explorer.vm.value = "APP-01"
    assert explorer.shown.height == 2 and "<b>2</b>" in explorer.summary.value
    explorer.vm.value, explorer.host.value = ALL, ALL
    explorer.threshold.value = 0.9
    assert explorer.shown.height and (explorer.shown["blackout_s"].fill_null(0)
                                      .max() >= 0.9)
    first, last = explorer.span.options[0][1], explorer.span.options[-1][1]
    explorer.threshold.value = 0.0
    explorer.span.value = (first, first)
    assert explorer.shown["start"].dt.date().unique().to_list() == [first.date()]
    explorer.span.value = (first, last)


@pytest.mark.parametrize("kind", VIEWS)
def test_each_view_of_the_drill_down_shows_the_chosen_migration(explorer, kind):
    explorer.pick.value = explorer.shown.filter(pl.col("vm") == "APP-01")["migration_id"][1]
    explorer.kind.value = kind
    assert not explorer.messages.value
    assert explorer.migration.window.vm == "APP-01" and explorer.drill.children == (explorer.view.ui,)
    assert explorer.view.migration.value == explorer.analysis.migrations.index(explorer.migration)
