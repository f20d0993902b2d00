"""A test's report on disk: every chart as image files, one self-contained HTML page (summary,
NICs, findings, the side inputs used and the warnings, interactive charts) that opens offline, and
the JSON report.

The page inlines the vega libraries (from vl-convert) and every chart's spec, so it needs no
network and no file beside it; the image files are for design documents.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from html import escape
from pathlib import Path

import altair as alt
import polars as pl

from kit.analysis.cores import SEP
from kit.analysis.results import GBPS, Analysis, Leg, Migration
from kit.contract import iso, kit_version, to_dict
from kit.viz.charts import (
    THEME,
    blackout_chart,
    cdf_chart,
    channel_chart,
    comparison_chart,
    core_bars,
    core_heatmap,
    histogram_chart,
    throughput_chart,
)
from kit.viz.notices import notices_html
from kit.viz.render import render
from kit.viz.save import VL_VERSION, vega_script

PAGE_STYLE = """
body { font-family: "Segoe UI", Helvetica, Arial, sans-serif; margin: 2rem auto; max-width: 1200px;
       padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.9rem; }
th, td { padding: 0.25rem 0.6rem; border-bottom: 1px solid #e5e5e5; text-align: right; white-space: nowrap; }
th { background: #f4f4f4; white-space: normal; } td.text, th.text { text-align: left; }
.scroll { overflow-x: auto; }
figure { margin: 1.5rem 0; } figcaption { font-size: 0.85rem; color: #555; }
"""
EMBED_OPTIONS = {"actions": {"export": True, "source": False, "compiled": False, "editor": False}}
SUMMARY_COLUMNS = {
    "migration": "#", "vm": "VM", "route": "Source → destination", "transport": "Transport", "start": "Start [UTC]",
    "duration_s": "Duration [s]", "gb": "Moved [GB]", "mean_gbps": "Mean [Gbit/s]", "p5_gbps": "p5 [Gbit/s]",
    "peak_gbps": "Peak [Gbit/s]", "pct_of_link": "Mean [% of link]", "cores": "Receive cores (active / expected)",
    "cv": "CV",
}
NIC_COLUMNS = {
    "host": "Host", "instance": "NIC", "direction": "Direction", "gb": "Bytes [GB]", "share_pct": "Share [%]",
    "mean_gbps": "Mean [Gbit/s]", "peak_gbps": "Peak [Gbit/s]", "pct_of_link": "Mean [% of link]", "mtu": "MTU [bytes]",
}
TEXT_COLUMNS = {"vm", "route", "transport", "start", "cores", "host", "instance", "direction"}


def write_report(
    analysis: Analysis,
    out_dir: str | Path,
    *,
    formats: tuple[str, ...] = ("png", "svg"),
    title: str | None = None,
) -> list[Path]:
    """Write every chart of ``analysis`` in each of ``formats`` (``png``, ``svg``, ``pdf``,
    ``html``, ``json``), ``report.html`` and ``report.json`` into ``out_dir``; return the paths.

    ``title`` defaults to the hosts and the capture's first day.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(1, thread_name_prefix="kit-vega-bundle") as pool:
        script = pool.submit(vega_script)  # read from the cache folder, or built beside the charts
        with alt.theme.enable(THEME):
            specs = {name: chart.to_dict(validate=False) for name, chart in report_charts(analysis).items()}
        made: dict[tuple[str, str], Path] = {}
        images = tuple(f for f in formats if f != "json")
        for name, fmt, data in render(specs, images, vl_version=VL_VERSION):
            made[name, fmt] = path = out / f"{name}.{fmt}"
            if isinstance(data, bytes):
                path.write_bytes(data)
            else:
                path.write_text(data, encoding="utf-8")
        if "json" in formats:
            for name, spec in specs.items():
                made[name, "json"] = out / f"{name}.json"
                made[name, "json"].write_text(json.dumps(spec, indent=1), encoding="utf-8")
        files = {name: [made[name, fmt] for fmt in formats] for name in specs}
        page = out / "report.html"
        page.write_text(_page(analysis, specs, files, title or _default_title(analysis), script.result()),
                        encoding="utf-8")
    data = out / "report.json"
    data.write_text(json.dumps(to_dict(analysis), indent=1, default=str, allow_nan=False), encoding="utf-8")
    return [path for paths in files.values() for path in paths] + [page, data]


def report_charts(analysis: Analysis) -> dict[str, alt.TopLevelMixin]:
    """Every chart of a test by file name: throughput of each migration host and direction, the
    throughput distribution and CDF, per host the core heatmap, per migration the receive cores'
    bars, the channels (bytes per NIC, TCP / RDMA, configured or not) and the blackout bounds, and
    the migrations side by side when there are several."""
    charts: dict[str, alt.TopLevelMixin] = {}
    legs = [(m, leg) for m in analysis.migrations for leg in m.legs]
    sides = list(dict.fromkeys((leg.host, leg.direction) for _, leg in legs if (leg.host, leg.direction) in analysis.traffic))
    if not sides and analysis.traffic:
        sides = [(None, None)]
    for host, direction in sides:
        name = f"throughput-{host}-{direction}" if host else "throughput"
        charts[_slug(name)] = throughput_chart(analysis, host=host, direction=direction)
    if any(leg.histogram.height for _, leg in legs):
        charts["histogram"] = histogram_chart(analysis, overlay=len(analysis.migrations) <= 3)
        charts["cdf"] = cdf_chart(analysis)
    hosts = {leg.host: leg for _, leg in legs if _has_cores(leg)}
    for host, leg in hosts.items():
        charts[_slug(f"cores-heatmap-{host}")] = core_heatmap(leg)
    for migration, leg in legs:
        if leg.role == "destination" and _has_cores(leg):
            charts[_slug(f"cores-{migration.number}-{leg.host}")] = core_bars(leg, expected=migration.expected_cores)
    for migration in analysis.migrations:
        if migration.channels.nics["carried"].any():
            charts[f"channels-{migration.number}"] = channel_chart(migration)
        if migration.blackout.methods:
            charts[f"blackout-{migration.number}"] = blackout_chart(migration)
    if len(analysis.migrations) > 1:
        table = analysis.table().with_columns(run=pl.format("#{} {}", "migration", pl.col("vm").fill_null("")))
        charts["comparison"] = comparison_chart(table)
    return charts


def _has_cores(leg: Leg) -> bool:
    return "network_pct" in leg.cores.columns and any(c.startswith(f"network_pct{SEP}") for c in leg.core_frame.columns)


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name)


def _default_title(analysis: Analysis) -> str:
    hosts = ", ".join(analysis.capture.hosts)
    day = (iso(analysis.capture.start) or "")[:10]
    return f"Live-migration test: {hosts}" + (f", {day}" if day else "")


# ---------------------------------------------------------------------------------------------
# The page


def _page(analysis: Analysis, specs: dict[str, dict], files: dict[str, list[Path]], title: str, script: str) -> str:
    capture = analysis.capture
    sources = ", ".join(Path(s.path).name for s in capture.sources)
    meta = (
        f"{iso(capture.start)} to {iso(capture.end)} (UTC), every {capture.interval_s} s; "
        f"hosts {', '.join(capture.hosts)}; files {sources}; kit {kit_version()}"
    )
    labels = "; ".join(f"{k} = {v}" for k, v in analysis.labels.items())
    parts = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">{escape(meta)}</p>',
        f'<p class="meta">{escape(labels)}</p>' if labels else "",
        "<h2>Migrations</h2>",
        _table(_summary(analysis), SUMMARY_COLUMNS) if analysis.migrations else "<p>No migration found.</p>",
    ]
    for m in analysis.migrations:
        parts.append(f"<h3>#{m.number} {escape(m.window.vm or '')}</h3>")
        parts.append(_table(_nics(m), NIC_COLUMNS))
        findings = [f.text for f in m.findings] or ["Nothing stands out."]
        parts.append("<ul>" + "".join(f"<li>{escape(f)}</li>" for f in findings) + "</ul>")
    parts.append("<h2>Inputs and warnings</h2>")
    parts.append(notices_html(analysis))
    parts.append("<h2>Charts</h2>")
    for name in specs:
        links = " · ".join(f'<a href="{escape(p.name)}">{escape(p.suffix[1:].upper())}</a>' for p in files[name])
        parts.append(f'<figure><div id="{name}"></div><figcaption>{escape(name)} {links}</figcaption></figure>')
    data = json.dumps(specs).replace("</", "<\\/")
    embed = json.dumps(EMBED_OPTIONS)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title)}</title>
<style>{PAGE_STYLE}</style>
<script type="text/javascript">
{script}
</script>
</head>
<body>
{chr(10).join(p for p in parts if p)}
<script type="text/javascript">
const specs = {data};
for (const [id, spec] of Object.entries(specs)) {{
  vegaEmbed("#" + id, spec, {embed}).catch(console.error);
}}
</script>
</body>
</html>
"""


def _summary(analysis: Analysis) -> pl.DataFrame:
    table = analysis.table()
    return table.select(
        "migration", "vm",
        route=pl.format("{} → {}", pl.col("source").fill_null("?"), pl.col("destination").fill_null("?")),
        transport="transport", start=pl.col("start").dt.strftime("%Y-%m-%d %H:%M:%S"),
        duration_s="duration_s", gb=pl.col("bytes_moved") / 1e9, mean_gbps="mean_gbps", p5_gbps="p5_gbps",
        peak_gbps="peak_gbps", pct_of_link="pct_of_link",
        cores=pl.format("{} / {}", pl.col("active_cores").fill_null(0), pl.col("expected_cores").cast(pl.String).fill_null("?")),
        cv="cv",
    )


def _nics(migration: Migration) -> pl.DataFrame:
    """The carrying NICs of every leg of a migration, in the units of :data:`NIC_COLUMNS`."""
    frames = [leg.nics.filter(pl.col("carried")) for leg in migration.legs if leg.direction]
    frame = pl.concat(frames) if frames else pl.DataFrame()
    if frame.is_empty():
        return pl.DataFrame(schema=dict.fromkeys(NIC_COLUMNS, pl.String))
    return frame.select(
        "host", "instance", "direction", gb=pl.col("bytes") / 1e9, share_pct=pl.col("share") * 100,
        mean_gbps=pl.col("mean_bytes_s") * GBPS, peak_gbps=pl.col("peak_bytes_s") * GBPS, pct_of_link="pct_of_link",
        mtu="mtu",
    )


def _table(frame: pl.DataFrame, columns: dict[str, str]) -> str:
    """An HTML table of ``frame`` with ``columns`` (column → header); numbers to 3 significant
    digits (integers as they are)."""
    head = "".join(f'<th class="{"text" if c in TEXT_COLUMNS else "num"}">{escape(t)}</th>' for c, t in columns.items())
    body = "".join(
        "<tr>" + "".join(
            f'<td class="{"text" if c in TEXT_COLUMNS else "num"}">{escape(_cell(row[c]))}</td>' for c in columns
        ) + "</tr>"
        for row in frame.iter_rows(named=True)
    )
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)
