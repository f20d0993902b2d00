"""The fleet's charts build from the migrations table, round-trip their spec and render to PNG;
the worst migrations' reports are written and linked."""

from __future__ import annotations

import json

import polars as pl
import pytest
import vl_convert as vlc

from kit.viz import fleet as charts
from kit.viz.charts import MAX_ROWS
from kit.viz.save import VL_VERSION


@pytest.mark.parametrize("name", ["timeline", "distributions", "worst"])
def test_every_chart_builds_round_trips_and_renders(fleet, name):
    table = fleet.result.table
    chart = {"timeline": charts.timeline_chart, "distributions": charts.distributions_chart,
             "worst": charts.worst_chart}[name](table)
    spec = chart.to_dict()
    assert type(chart).from_dict(spec).to_dict() == spec
    png = vlc.vegalite_to_png(spec, vl_version=VL_VERSION)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


def test_the_timeline_has_a_row_per_host_and_marks_long_blackouts(fleet):
    spec = charts.timeline_chart(fleet.result.table, threshold_s=0.9).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert {r["host"] for r in rows} == {"HV01", "HV02", "HV03", "HV04"}
    assert len(rows) == 2 * fleet.result.table.height
    assert any(r["long_blackout"] for r in rows) and not all(r["long_blackout"] for r in rows)


def test_a_huge_table_keeps_the_longest_migrations_within_the_row_limit(fleet):
    table = fleet.result.table
    big = pl.concat([table.with_columns(migration_id=pl.format("{}-{}", "migration_id", pl.lit(k)),
                                        duration_s=pl.col("duration_s") + k) for k in range(200)])
    spec = charts.timeline_chart(big).to_dict()
    assert len(next(iter(spec["datasets"].values()))) <= MAX_ROWS
    assert "longest" in json.dumps(spec["title"])


def test_the_worst_link_to_their_reports(fleet, tmp_path):
    written = charts.write_worst_reports(fleet.result, tmp_path, n=2, by="duration_s")
    reports = [p for p in written if p.name == "report.html"]
    assert len(reports) == 2 and all(p.is_file() for p in reports)
    worst = fleet.result.worst(2)["migration_id"].to_list()
    assert {p.parent.name for p in reports} == set(worst)
    page = (tmp_path / "worst.html").read_text()
    assert all(f"{mid}/report.html" in page for mid in worst)
