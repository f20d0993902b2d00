"""Charts of a fleet's migrations table (:func:`kit.fleet_migrations`): the weekend's timeline per
host, the distributions of duration and blackout, and the worst N with links to their
per-migration reports.

Every function takes the migrations table (a polars frame of
:data:`kit.fleet.layout.MIGRATIONS_SCHEMA`), never files; :func:`write_worst_reports` is the one
that writes (each worst migration's offline HTML report, :func:`kit.viz.html.write_report`).
Times UTC; durations and blackouts [s]; no chart embeds more than :data:`kit.viz.charts.MAX_ROWS`
rows (the longest migrations are kept and the subtitle says so).
"""

from __future__ import annotations

from pathlib import Path

import altair as alt
import polars as pl

from kit.fleet.analysis import FleetMigrations
from kit.viz.charts import MAX_ROWS, PALETTE, _epoch_ms, _time_tooltip, _time_x, _title, _utc_text
from kit.viz.html import write_report

BLACKOUT_THRESHOLD_S = 2.0
"""A blackout over this is suspicious (domain §3.1: no Microsoft figure; TCP rides out ~2 s). [s]"""
ROLES = {"source": "sends", "destination": "receives"}


def timeline_chart(table: pl.DataFrame, *, threshold_s: float = BLACKOUT_THRESHOLD_S) -> alt.LayerChart:
    """Every migration as a bar from start to end on its source's and its destination's row
    (one row per host), with a point at its start so that a few seconds show on a weekend's
    axis; migrations whose blackout exceeds ``threshold_s`` [s] are drawn in red."""
    kept, note = _within_limit(table, per_row=2)
    long = pl.concat([
        kept.select(
            "migration_id", "vm", "source", "destination", "start", "end", "duration_s", "gb_moved", "blackout_s",
            "transport", host=pl.col(role), role=pl.lit(text),
        )
        for role, text in ROLES.items()
    ]).filter(pl.col("host").is_not_null()).with_columns(
        vm=pl.col("vm").fill_null("(traffic)"),
        long_blackout=(pl.col("blackout_s") > threshold_s).fill_null(False),
    )
    times = long["start"]
    frame = _epoch_ms(long, "start", "end")
    tooltip = [alt.Tooltip("vm:N", title="VM"), alt.Tooltip("source:N", title="Source"),
               alt.Tooltip("destination:N", title="Destination"), _time_tooltip("start"),
               alt.Tooltip("duration_s:Q", title="Duration [s]", format=".1f"),
               alt.Tooltip("gb_moved:Q", title="Moved [GB]", format=".2f"),
               alt.Tooltip("blackout_s:Q", title="Blackout [s]", format=".2f"),
               alt.Tooltip("transport:N", title="Transport"), alt.Tooltip("migration_id:N", title="Id")]
    color = alt.Color("role:N", title="Host", scale=alt.Scale(domain=list(ROLES.values()), range=PALETTE[:2]))
    y = alt.Y("host:N", title=None, sort="ascending")
    base = _utc_text(alt.Chart(frame), "start")
    bars = base.mark_bar(height=10, opacity=0.8).encode(x=_time_x("start", times), x2="end:T", y=y, color=color,
                                                        tooltip=tooltip)
    points = base.mark_point(filled=True, size=40).encode(
        x=_time_x("start", times), y=y, tooltip=tooltip,
        color=alt.condition("datum.long_blackout", alt.value("#d62728"), color),
    )
    subtitle = [f"{kept.height} migrations; red: blackout over {threshold_s:g} s", note]
    return alt.layer(bars, points, title=_title("Migrations per host", *subtitle)).properties(
        width=760, height=alt.Step(22))


def distributions_chart(table: pl.DataFrame, *, threshold_s: float = BLACKOUT_THRESHOLD_S) -> alt.HConcatChart:
    """Histograms of the migrations' duration [s] and blackout estimate [s], the blackout
    threshold ``threshold_s`` marked."""
    durations = table.select(pl.col("duration_s").drop_nulls())
    blackouts = table.select(pl.col("blackout_s").drop_nulls())
    duration = alt.Chart(durations).mark_bar(color=PALETTE[0]).encode(
        x=alt.X("duration_s:Q", bin=alt.Bin(maxbins=30), title="Duration [s]"),
        y=alt.Y("count():Q", title="Migrations"),
    ).properties(width=340, height=220, title=_title("Duration", f"{durations.height} migrations"))
    layers = [alt.Chart(blackouts).mark_bar(color=PALETTE[1]).encode(
        x=alt.X("blackout_s:Q", bin=alt.Bin(maxbins=30), title="Blackout [s]"),
        y=alt.Y("count():Q", title="Migrations"),
    )]
    over = blackouts.filter(pl.col("blackout_s") > threshold_s).height
    layers.append(alt.Chart(pl.DataFrame({"threshold": [threshold_s]})).mark_rule(color="#d62728", strokeDash=[4, 3])
                  .encode(x="threshold:Q"))
    blackout = alt.layer(*layers).properties(
        width=340, height=220,
        title=_title("Blackout", f"{blackouts.height} estimated; {over} over {threshold_s:g} s (red line)"),
    )
    return alt.hconcat(duration, blackout, title=_title("How long the migrations took, and their blackouts"))


def worst_chart(
    table: pl.DataFrame, *, n: int = 10, by: str = "duration_s", link: str | None = "{migration_id}/report.html"
) -> alt.Chart:
    """The ``n`` migrations with the highest ``by`` (``duration_s``, ``blackout_s``, …), each bar
    a link to its per-migration view (``link``: a URL template filled from the row, e.g. the
    reports :func:`write_worst_reports` writes; None: no links)."""
    worst = table.filter(pl.col(by).is_not_null()).sort(by, descending=True).head(n)
    worst = worst.with_columns(
        label=pl.format("{} {} → {} {}", pl.col("vm").fill_null("(traffic)"), pl.col("source").fill_null("?"),
                        pl.col("destination").fill_null("?"), pl.col("start").dt.strftime("%Y-%m-%d %H:%M")),
    )
    if link is not None:
        worst = worst.with_columns(href=pl.Series([link.format(**row) for row in worst.to_dicts()], dtype=pl.String))
    frame = _epoch_ms(worst.select("label", "migration_id", by, "start", "transport", *(["href"] if link else [])),
                      "start")
    title = by.replace("_s", " [s]").replace("_", " ")
    encoding = {
        "x": alt.X(f"{by}:Q", title=title.capitalize()),
        "y": alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelLimit=360)),
        "tooltip": [alt.Tooltip("label:N", title="Migration"), alt.Tooltip(f"{by}:Q", format=".2f", title=title),
                    alt.Tooltip("transport:N", title="Transport"), alt.Tooltip("migration_id:N", title="Id")],
    }
    if link is not None:
        encoding["href"] = alt.Href("href:N")
    subtitle = "click a bar for its report" if link else ""
    return alt.Chart(frame).mark_bar(color=PALETTE[4], cursor="pointer" if link else "default").encode(
        **encoding).properties(width=520, height=alt.Step(22), title=_title(f"The {worst.height} worst by {title}",
                                                                            subtitle))


def write_worst_reports(
    fleet: FleetMigrations, out_dir: str | Path, *, n: int = 10, by: str = "duration_s",
    formats: tuple[str, ...] = (),
) -> list[Path]:
    """Write the per-migration report (:func:`kit.viz.html.write_report`: an offline page with
    interactive charts, plus chart files in ``formats``) of each of the ``n`` worst migrations
    into ``out_dir/<migration_id>/`` and the worst chart, linking to them, as
    ``out_dir/worst.html``; return the reports' ``report.html`` paths and the chart's."""
    from kit.viz.save import save

    out = Path(out_dir)
    written = []
    for row in fleet.worst(n, by=by).iter_rows(named=True):
        analysis, migration = fleet.drill_down(row["migration_id"])
        paths = write_report(analysis, out / row["migration_id"], formats=formats,
                             title=f"{migration.label} ({row['start']:%Y-%m-%d %H:%M} UTC)")
        written += [p for p in paths if p.name == "report.html"]
    chart = worst_chart(fleet.table, n=n, by=by, link="{migration_id}/report.html")
    written.append(save(chart, out / "worst.html"))
    return written


def _within_limit(table: pl.DataFrame, *, per_row: int) -> tuple[pl.DataFrame, str]:
    """At most :data:`MAX_ROWS` chart rows: the longest migrations when there are more."""
    most = MAX_ROWS // per_row
    if table.height <= most:
        return table, ""
    kept = table.sort("duration_s", descending=True, nulls_last=True).head(most).sort("start")
    return kept, f"the {most:,} longest of {table.height:,} migrations shown"
