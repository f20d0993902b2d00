"""The notebook views: set widget values as a user would and check what the views then hold,
on the bundled sample tests and their ground truth."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

import kit
from kit.errors import LoadWarning
from kit.sample import bundled_labels, bundled_tests
from kit.sample.generator import BUNDLED
from kit.viz import widgets

TESTS = bundled_tests()
SIDE = TESTS["smb-2x10g-jumbo-55gb"]


def truth(name: str) -> dict:
    return json.loads((TESTS[name] / "truth.json").read_text())


def datasets(chart) -> list[list[dict]]:
    """The data rows a JupyterChart currently shows."""
    return list(chart.spec["datasets"].values())


def times(chart) -> list[int]:
    """Epoch-ms times of the throughput rows a chart shows."""
    return [row["time"] for rows in datasets(chart) for row in rows if "gbps" in row]


def domain(chart) -> list[int]:
    """The time axis' domain of a throughput chart [epoch ms]."""
    return next(layer["encoding"]["x"]["scale"]["domain"] for layer in chart.spec["layer"]
                if "x" in layer.get("encoding", {}) and "domain" in layer["encoding"]["x"].get("scale", {}))


def card(view, key: str) -> str:
    """The text a summary card shows."""
    return re.search(rf'data-figure="{key}".*?<div style="font-size:16px">(.*?)</div>', view.cards.value).group(1)


@pytest.fixture(scope="module")
def side_analysis() -> kit.Analysis:
    return kit.analyze(
        kit.load(SIDE, progress=False),
        events=kit.read_events(SIDE / "events" / "HV01-vmms-admin.xml"),
        topology=kit.read_topology(SIDE / "topology"),
        pings=kit.read_pings(SIDE / "pings" / "ping-linux.txt"),
    )


def test_every_bundled_scenario_is_offered_with_its_labels():
    assert list(TESTS) == [s.name for s in BUNDLED]
    labels = bundled_labels()
    assert labels["smb-2x10g-mixed-mtu-55gb"]["mtu"] == "9000+1500"
    assert labels["tcp-1x10g-jumbo-highperf-55gb"]["power_plan"] == "High performance"
    assert labels["drain-6x9gb-smb-2x10g"]["migrations"] == 6


def test_explorer_follows_the_test_the_migration_and_the_window():
    explorer = widgets.Explorer()
    first = truth("smb-multichannel-2x10g")["migrations"][0]
    assert explorer.summary["duration_s"] == pytest.approx(first["duration_s"], abs=1.0)
    assert explorer.summary["active_cores"] == len(first["busy_receive_cores"]["HV02"])
    assert "<div" in explorer.cards.value and explorer.histogram.spec is not None

    explorer.test.value = TESTS["tcp-1x10g-mtu1500-55gb"]
    tcp = truth("tcp-1x10g-mtu1500-55gb")["migrations"][0]
    assert explorer.summary["duration_s"] == pytest.approx(tcp["duration_s"], abs=1.0)
    assert explorer.summary["transport"] == "tcp" and explorer.summary["active_cores"] == 1
    assert explorer.summary["mtu"] == 1500
    start, end = explorer.span
    assert domain(explorer.chart) == [int(start.timestamp() * 1000), int(end.timestamp() * 1000)]

    options = [t for _, t in explorer.window.options]
    explorer.window.value = (options[0], options[-1])  # the whole capture
    assert domain(explorer.chart) == [int(options[0].timestamp() * 1000), int(options[-1].timestamp() * 1000)]

    explorer.measure.value = True  # the whole capture as one migration
    assert explorer.chosen.window.method == "given"
    assert explorer.summary["duration_s"] == pytest.approx((options[-1] - options[0]).total_seconds(), abs=0.01)
    assert explorer.summary["gb_moved"] == pytest.approx(tcp["bytes_total"] / 1e9, rel=0.01)


def test_explorer_nic_and_direction_choice():
    explorer = widgets.Explorer(TESTS["smb-2x10g-jumbo-55gb"])
    assert len(explorer.nics.value) == 3
    nics = {row["nic"] for rows in datasets(explorer.chart) for row in rows if "nic" in row}
    assert len(nics) == 3
    explorer.nics.value = explorer.nics.options[:1]
    nics = {row["nic"] for rows in datasets(explorer.chart) for row in rows if "nic" in row}
    assert nics == {explorer.nics.options[0]}
    explorer.nics.value = ()
    assert explorer.chart.spec is None and "at least one NIC" in explorer.messages.value
    explorer.host.value = "HV02"
    explorer.direction.value = "received"
    assert len(explorer.nics.value) == 3 and explorer.chart.spec is not None and explorer.messages.value == ""


def choose(chooser, path) -> None:
    """Pick ``path`` in an ipyfilechooser as a click on it and on Select would."""
    path = Path(path)
    chooser.reset(*((str(path.parent), path.name) if path.is_file() else (str(path), "")))
    chooser._apply_selection()


def test_explorer_reports_bad_files_and_shows_nothing_stale(tmp_path):
    """Issue 15 §1: a failed load empties every control (no card of the previous test) and says why
    in plain words; choosing the sample again opens it."""
    explorer = widgets.Explorer()
    (tmp_path / "HV01.blg").write_bytes(b"\x00" * 64)
    (tmp_path / "missing").mkdir()
    for bad, why in ((tmp_path / "HV01.blg", "relog"), (tmp_path / "missing", "missing")):
        choose(explorer.files.capture, bad)
        explorer.files.load.click()
        assert why in explorer.messages.value
        assert "kit-error" in explorer.messages.value and "Could not open it" in explorer.messages.value
        assert "Error:" not in explorer.messages.value  # no class names
        assert explorer.summary == widgets.Summary() and card(explorer, "mean_gbps") == "–"
        assert explorer.migration.options == () and explorer.host.options == () and explorer.nics.options == ()
        assert explorer.chart.spec is None and explorer.histogram.spec is None and explorer.notices.value == ""
        assert explorer.test.value is None
    explorer.test.value = TESTS["smb-multichannel-2x10g"]  # the sample again: it opens
    assert explorer.summary["transport"] == "smb" and explorer.chart.spec is not None and explorer.messages.value == ""


def test_explorer_loads_chosen_files_and_shows_the_paths_used(tmp_path):
    """Issue 15 §5: files chosen on this machine load, and the view says which (absolute paths)."""
    explorer = widgets.Explorer()
    choose(explorer.files.capture, TESTS["tcp-1x10g-mtu1500-55gb"])
    explorer.files.load.click()
    assert explorer.summary["transport"] == "tcp" and explorer.test.value is None
    assert str(TESTS["tcp-1x10g-mtu1500-55gb"] / "HV01.csv") in explorer.files.used.value
    side = TESTS["smb-2x10g-jumbo-55gb"]
    choose(explorer.files.capture, side)
    choose(explorer.files.sides["topology"], side / "topology")
    choose(explorer.files.sides["events"], side / "events" / "HV01-vmms-admin.xml")
    explorer.files.load.click()
    assert "<b>topology</b>: 9 export file(s) read, used" in explorer.notices.value
    assert "<b>events</b>: 1 event(s) read, used" in explorer.notices.value
    assert "topology: " + str(side / "topology") in explorer.files.used.value


def test_explorer_direction_follows_the_hosts_role():
    """Issue 15 §3: the chart shows the source's bytes sent and the destination's received, and the
    window follows each test's migration."""
    explorer = widgets.Explorer()
    first = explorer.span
    for name in ("tcp-1x10g-mtu1500-55gb", "smb-multichannel-2x10g"):
        explorer.test.value = TESTS[name]
        migration = explorer.chosen.window
        assert (explorer.host.value, explorer.direction.value) == (migration.source, "sent")
        explorer.host.value = migration.destination
        assert explorer.direction.value == "received"
        peak = max(row["gbps"] for rows in datasets(explorer.chart) for row in rows if "gbps" in row)
        assert peak > 0.5 * explorer.summary["mean_gbps"] / 2  # Gbit/s of the migration, not a trickle
        explorer.host.value = migration.source
        assert explorer.direction.value == "sent"
    assert explorer.span == first  # back on the sample: its window again


def test_explorer_without_a_migration_offers_the_brush(tmp_path):
    """Issue 15 §2: no migration is a normal answer: said in plain words, the NIC traffic charted
    with a brush; a brushed window is measured like --window."""
    capture = kit.load(TESTS["smb-multichannel-2x10g"])
    quiet = capture.columns(object="Hyper-V VM Live Migration")
    nothing = capture.data.select(pl.exclude(quiet)).with_columns(
        pl.col(c) * 0.0 for c in capture.data.columns if c != "time" and c not in quiet)
    idle = dataclasses.replace(capture, data=nothing, catalog=capture.catalog.filter(~pl.col("column").is_in(quiet)))
    explorer = widgets.Explorer()
    explorer.open(idle)
    assert "No live migration found" in explorer.messages.value and "Drag across" in explorer.messages.value
    assert explorer.chart.spec is not None and "brush" in json.dumps(explorer.chart.spec["params"])
    assert explorer.summary == widgets.Summary() and explorer.migration.value is None
    explorer.open(capture)  # with the sample's bytes: brush its migration as a user would
    explorer.measure.value = True
    window = kit.analyze(capture).migrations[0].window
    ms = [window.start.timestamp() * 1000, window.end.timestamp() * 1000]
    explorer.chart._vl_selections = {"brush": {"value": {"time": ms}, "store": []}}
    given = kit.analyze(capture, windows=[(window.start, window.end)]).migrations[0]  # as brushed, not snapped
    assert explorer.chosen.window.method == "given" and explorer.summary == widgets.summary(given)
    assert explorer.span[0] >= window.start and explorer.span[1] <= window.end


def test_explorer_summary_is_rounded_and_reads_as_a_table():
    """Issue 15 §7: the figures behind the cards, rounded, as a design-document table."""
    explorer = widgets.Explorer()
    assert all(len(repr(v).split(".")[-1]) <= 3 for v in explorer.summary.as_dict().values() if isinstance(v, float))
    table = explorer.summary._repr_html_()
    assert "Duration" in table and "Gbit/s" in table and "<table" in table


def test_every_view_saves_its_charts_and_data(side_analysis, tmp_path):
    """Issue 15 §8: Save writes each chart (PNG, SVG, PDF) and table (CSV, Parquet), named after
    test, migration and view."""
    explorer = widgets.Explorer()
    names = {p.name for p in explorer.export.write(tmp_path / "explore")}
    assert {"smb-multichannel-2x10g-m1-explore-throughput.png", "smb-multichannel-2x10g-m1-explore-histogram.pdf",
            "smb-multichannel-2x10g-m1-explore-throughput.svg", "smb-multichannel-2x10g-m1-explore-summary.csv",
            "smb-multichannel-2x10g-m1-explore-nics.parquet"} <= names
    assert pl.read_parquet(tmp_path / "explore" / "smb-multichannel-2x10g-m1-explore-nics.parquet").height > 0
    png = (tmp_path / "explore" / "smb-multichannel-2x10g-m1-explore-throughput.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(png[16:20], "big") > 1200  # twice the pixels
    for view, kind in ((widgets.CoreExplorer(side_analysis), "cores"), (widgets.MultichannelAudit(side_analysis), "channels"),
                       (widgets.BlackoutView(side_analysis), "blackout")):
        written = view.export.write(tmp_path / kind)
        assert written and all(p.name.startswith(f"smb-2x10g-jumbo-55gb-m1-{kind}-") for p in written)
        assert {p.suffix for p in written} == {".png", ".svg", ".pdf", ".csv", ".parquet"}
    assert "Saved" in view.export.result.value


def test_explorer_on_a_drain_lists_every_migration():
    explorer = widgets.Explorer(TESTS["drain-6x9gb-smb-2x10g"])
    assert len(explorer.migration.options) == 6
    before = explorer.span
    explorer.migration.value = 5
    assert explorer.span[0] > before[0]
    assert explorer.chosen.window.vm == "VM06"


def test_comparison_table_rows_and_facets():
    comparison = widgets.Comparison()
    assert set(comparison.table["run"]) == set(TESTS)
    assert comparison.table.height == len(TESTS) - 1 + 6  # the drain has six migrations
    durations = dict(zip(comparison.table["run"], comparison.table["duration_s"]))
    for name in ("tcp-1x10g-mtu1500-55gb", "tcp-1x10g-jumbo-highperf-55gb", "smb-2x10g-jumbo-55gb"):
        assert durations[name] == pytest.approx(truth(name)["migrations"][0]["duration_s"], abs=1.0)
    assert "facet" in comparison.histogram.spec

    comparison.runs.value = ("tcp-1x10g-mtu1500-55gb", "tcp-1x10g-jumbo-highperf-55gb")
    comparison.by.value = "power_plan"
    assert comparison.table.height == 2
    rows = {row["power_plan"] for rows in datasets(comparison.chart) for row in rows if "power_plan" in row}
    assert rows == {"Balanced", "High performance"}
    comparison.overlay.value = True
    assert "facet" not in comparison.histogram.spec
    comparison.by.value = "transport"  # also a figure's name: the label column is transport_label
    assert "transport_label" in comparison.table.columns and comparison.chart.spec is not None


def test_core_explorer_selector_and_click():
    name = "tcp-1x10g-mtu1500-55gb"
    busy = truth(name)["migrations"][0]["busy_receive_cores"]["HV02"]
    view = widgets.CoreExplorer(kit.analyze(kit.load(TESTS[name], progress=False)))
    assert view.host.value == "HV02" and list(view.core.value) == busy
    assert view.cores["saturated"].to_list() == [True]
    cells = {row["core"] for rows in datasets(view.heatmap) for row in rows if "core" in row}
    assert cells == set(busy)

    view.core.value = (0, 1, 2)
    cells = {row["core"] for rows in datasets(view.heatmap) for row in rows if "core" in row}
    assert cells == {0, 1, 2} and view.cores["core"].to_list() == [0, 1, 2]

    view.bars._vl_selections = {"core": {"value": {"core": [5], "vlPoint": {"or": [{"core": 5}]}}, "store": []}}  # a click
    assert view.core.value == (5,)
    view.active_only.click()
    assert list(view.core.value) == busy
    view.host.value = "HV01"
    assert list(view.core.value) == truth(name)["migrations"][0]["busy_send_cores"]["HV01"]


def test_multichannel_audit_names_the_nic_outside_the_lm_networks(side_analysis):
    audit = widgets.MultichannelAudit(side_analysis)
    facts = truth("smb-2x10g-jumbo-55gb")["side_inputs"]["topology"]
    [unexpected] = facts["unexpected_nics"]
    sent = audit.table.filter(audit.table["direction"] == "sent")
    configured = dict(zip(sent["instance"], sent["configured"]))
    assert configured[unexpected] is False and sum(configured.values()) == 1
    assert any(facts["nics"][unexpected]["name"] in f for f in audit.findings)
    assert "Findings" in audit.view.value and audit.chart.spec is not None
    audit.host.value = "HV02"
    assert "received" in json.dumps(audit.chart.spec["title"] if "title" in audit.chart.spec else audit.chart.spec)


def test_blackout_view_bounds_and_zoom(side_analysis):
    view = widgets.BlackoutView(side_analysis)
    migration = truth("smb-2x10g-jumbo-55gb")["migrations"][0]
    assert view.combined.method == "event-20415"
    assert view.combined.lower_s <= migration["blackout_s"] <= view.combined.upper_s
    assert [why.split(":")[0] for why in view.combined.lacking] == ["tail-burst"]
    assert "tail-burst" in view.view.value and "No topology given" not in view.view.value
    for row in view.methods.iter_rows(named=True):
        assert row["lower_s"] <= migration["blackout_s"] + 1e-9
        assert row["upper_s"] is None or migration["blackout_s"] <= row["upper_s"] + 1e-9
    assert {"event-20415", "is-blackout", "ping-gap", "vnic-gap"} <= set(view.methods["method"])
    kinds = {m["kind"] for m in view.marks()}
    assert kinds == {"pass", "blackout"}
    whole = times(view.chart)
    view.zoom.value = "blackout"
    assert len(times(view.chart)) < len(whole)
    blackout_start = datetime.fromisoformat(migration["blackout_start_utc"].replace("Z", "+00:00")).timestamp() * 1000
    assert min(times(view.chart)) <= blackout_start <= max(times(view.chart))


# ---------------------------------------------------------------------------------------------
# Issue 14 §9: every view shows the warnings and what the side inputs gave


def test_explorer_shows_the_open_captures_warnings():
    explorer = widgets.Explorer()
    assert [(g.code, g.count) for g in explorer.warnings] == [("blank-first-row", 2), ("partly-blank", 2)]
    assert "<b>Warnings</b>: 4 in 2 group(s): blank-first-row ×2, partly-blank ×2" in explorer.notices.value
    capture = kit.load(TESTS["tcp-1x10g-mtu1500-55gb"], progress=False)
    odd = LoadWarning(str(TESTS["tcp-1x10g-mtu1500-55gb"] / "HV01.csv"), "dst-jump", "the clock jumped 1 h", line=40)
    explorer.open(dataclasses.replace(capture, warnings=(*capture.warnings, odd)))
    assert [g.code for g in explorer.warnings] == ["blank-first-row", "partly-blank", "dst-jump"]
    assert "dst-jump ×1" in explorer.notices.value and "HV01.csv:40" in explorer.notices.value
    explorer.test.value = TESTS["tcp-1x10g-mtu1500-55gb"]  # another test: its own warnings only
    assert "dst-jump" not in explorer.notices.value


def test_explorer_shows_a_side_input_it_could_not_use():
    explorer = widgets.Explorer(SIDE, pings=kit.read_pings(SIDE / "pings" / "ping-windows.txt"))
    assert "<b>pings</b>: 51 probe(s) read" in explorer.notices.value and "taken as UTC" in explorer.notices.value
    assert "timezone-unknown ×1" in explorer.notices.value


def test_every_analysis_view_shows_its_warnings(side_analysis):
    for view in (widgets.CoreExplorer(side_analysis), widgets.MultichannelAudit(side_analysis),
                 widgets.BlackoutView(side_analysis)):
        assert view.notices in view.ui.children
        assert "<b>Warnings</b>: 4 in 2 group(s)" in view.notices.value
        assert "<b>events</b>: 1 event(s) read, used" in view.notices.value
        assert "<b>topology</b>: 9 export file(s) read, used" in view.notices.value
        assert "<b>pings</b>: " in view.notices.value and "not used" not in view.notices.value


def test_comparison_shows_each_chosen_runs_warnings():
    comparison = widgets.Comparison()
    assert comparison.notices.value.count('class="kit-warnings"') == len(TESTS)
    comparison.runs.value = ("tcp-1x10g-mtu1500-55gb",)
    assert comparison.notices.value.count('class="kit-warnings"') == 1
    assert comparison.notices.value.startswith("<b>tcp-1x10g-mtu1500-55gb</b>")


def test_explorer_measuring_a_window_of_one_sample_says_why():
    explorer = widgets.Explorer()
    explorer.measure.value = True
    moment = explorer.window.options[3][1]
    explorer.window.value = (moment, moment)
    assert "does not end after it starts" in explorer.messages.value and explorer.chosen is None


def test_explorer_slider_of_a_long_capture_is_thinned():
    """A browser slider of 20,000 positions takes seconds to draw: at most WINDOW_STEPS, ends kept."""
    times = [datetime(2025, 1, 1) + timedelta(seconds=k) for k in range(20_001)]
    steps = widgets._steps(times)
    assert len(steps) <= widgets.WINDOW_STEPS + 1 and steps[0] == times[0] and steps[-1] == times[-1]
    assert widgets._steps(times[:50]) == times[:50]


def test_explorer_switching_back_to_a_test_reuses_its_analysis(tmp_path):
    """Issue 16 §4: a test seen before redraws without being analysed again (unless its files changed)."""
    explorer = widgets.Explorer()
    first = explorer.analysis
    explorer.test.value = TESTS["tcp-1x10g-mtu1500-55gb"]
    explorer.test.value = TESTS["smb-multichannel-2x10g"]
    assert explorer.analysis is first
    for name in ("HV01.csv", "HV02.csv"):
        (tmp_path / name).write_bytes((TESTS["smb-multichannel-2x10g"] / name).read_bytes())
    explorer.open(tmp_path)
    again = explorer.analysis
    (tmp_path / "HV02.csv").unlink()
    explorer.open(tmp_path)
    assert explorer.analysis is not again and list(explorer.capture.hosts) == ["HV01"]
