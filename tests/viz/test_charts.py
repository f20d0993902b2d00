"""kit.charts: every view builds on the bundled sample and a six-migration seed, round-trips its
spec and renders to PNG; a 24-hour, 1-second capture charts within Altair's row limit, fast."""

import dataclasses
import json
import struct
import time
from datetime import datetime, timedelta, timezone

import altair as alt
import numpy as np
import polars as pl
import pytest
import vl_convert as vlc

import kit
from kit.analysis.throughput import cdf, histogram
from kit.errors import OptionError
from kit.sample import generator as synth
from kit.viz import charts
from kit.viz.save import VL_VERSION, save
from tests.conftest import ROOT

SAMPLE = ROOT / "data" / "smb-multichannel-2x10g"
DRAIN = "drain-6-sequential-smb-2x10g"


@pytest.fixture(scope="module")
def sample() -> kit.Analysis:
    return kit.analyze(kit.load(SAMPLE, progress=False, cache_results=False))


@pytest.fixture(scope="module")
def drain(tmp_path_factory) -> kit.Analysis:
    folder = tmp_path_factory.mktemp("seeds")
    synth.write(synth.SEEDS[DRAIN], folder)
    return kit.analyze(kit.load(folder / DRAIN, progress=False, cache_results=False))


def day_capture(base: kit.Analysis, *, cores: int = 32, seconds: int = 86_400) -> kit.Analysis:
    """``base`` with a day of 1-second NIC rates and core load built from numpy: a 9.6 Gbit/s
    spike on one NIC at mid-capture and one 10-minute window every 3 hours."""
    rng = np.random.default_rng(1)
    t0 = datetime(2025, 2, 11, tzinfo=timezone.utc)
    times = pl.datetime_range(t0, t0 + timedelta(seconds=seconds - 1), "1s", eager=True, time_zone="UTC")
    nics = {f"NIC {i}": rng.gamma(2.0, 5e6, seconds) for i in range(3)}
    nics["NIC 0"][seconds // 2] = 1.2e9
    traffic = pl.DataFrame({"time": times, "prev": times.shift(1), "dt_s": 1.0, "gap": False, **nics})
    traffic = traffic.with_columns(total_bytes_s=pl.sum_horizontal(list(nics)))
    series = traffic.with_columns(phase=pl.lit("transfer"))
    load = {f"network_pct#{c}": rng.uniform(0, 20, seconds) for c in range(cores)}
    leg = dataclasses.replace(
        base.migrations[0].legs[1],
        core_frame=pl.DataFrame({"time": times, "prev": times.shift(1), "dt_s": 1.0, **load}),
        core_labels=pl.DataFrame({"core": range(cores), "label": [f"0,{c}" for c in range(cores)]}),
        histogram=histogram(series),
        cdf=cdf(series),
    )
    starts = [t0 + timedelta(hours=h) for h in range(1, 24, 3)]
    windows = pl.DataFrame({
        "migration": range(1, len(starts) + 1), "vm": [f"VM{i}" for i in range(len(starts))], "start": starts,
        "end": [s + timedelta(minutes=10) for s in starts], "duration_s": 600.0,
    })
    migration = dataclasses.replace(base.migrations[0], legs=(leg,))
    return dataclasses.replace(base, traffic={("HV01", "sent"): traffic}, migrations=(migration,), windows=windows)


def views(analysis: kit.Analysis) -> dict[str, alt.TopLevelMixin]:
    """Every view of an analysis."""
    destination = next(leg for leg in analysis.migrations[0].legs if leg.role == "destination")
    return {
        "throughput": charts.throughput_chart(analysis),
        "throughput-lines": charts.throughput_chart(analysis, stacked=False),
        "histogram": charts.histogram_chart(analysis),
        "histogram-facet": charts.histogram_chart(analysis, overlay=False),
        "cdf": charts.cdf_chart(analysis),
        "heatmap": charts.core_heatmap(destination),
        "bars": charts.core_bars(destination, expected=8),
        "comparison": charts.comparison_chart(kit.compare({"one": analysis, "two": analysis})),
    }


def rows(spec: dict) -> int:
    return sum(len(values) for values in spec.get("datasets", {}).values())


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def subtitle(spec: dict) -> str:
    return " ".join(spec["title"].get("subtitle", []))


@pytest.mark.parametrize("which", ["sample", "drain"])
def test_every_view_builds_round_trips_and_renders(which, request):
    analysis = request.getfixturevalue(which)
    for name, chart in views(analysis).items():
        spec = chart.to_dict()
        if which == "sample":  # the drain's specs have the same structure
            assert type(chart).from_dict(spec).to_dict() == spec, name
        assert 0 < rows(spec) <= charts.MAX_ROWS, name
        assert "Downsampled" not in subtitle(spec), name
        if which == "sample" or name in ("throughput", "comparison"):
            width, height = png_size(vlc.vegalite_to_png(spec, vl_version=VL_VERSION))
            assert width > 300 and height > 150, name


def test_views_state_their_units(sample):
    specs = {name: json.dumps(chart.to_dict()) for name, chart in views(sample).items()}
    assert "Throughput [Gbit/s]" in specs["throughput"] and "Time [UTC]" in specs["throughput"]
    assert "Transfer time [%]" in specs["histogram"]
    assert "Transfer time at or below [%]" in specs["cdf"]
    assert "DPC + interrupt [%]" in specs["heatmap"]
    assert "DPC + interrupt, mean over the transfer [%]" in specs["bars"]
    assert "Mean throughput [Gbit/s]" in specs["comparison"]


def test_throughput_marks_windows_and_given_marks(drain):
    truth = synth.generate(synth.SEEDS[DRAIN]).truth["migrations"]
    passes = [
        {"start": p["start_utc"], "end": p["end_utc"], "kind": "blackout" if p["blackout"] else "pass"}
        for m in truth for p in m["passes"]
    ]
    spec = charts.throughput_chart(drain, marks=passes + [{"start": truth[0]["end_utc"], "kind": "note"}]).to_dict()
    data = list(spec["datasets"].values())
    windows = next(d for d in data if d and "window" in d[0])
    assert [w["window"] for w in windows] == [f"#{i} VM0{i}" for i in range(1, 7)]
    marks = next(d for d in data if d and "kind" in d[0])
    assert len(marks) == len(passes) + 1
    assert {m["kind"] for m in marks} == {"pass", "blackout", "note"}
    assert next(m for m in marks if m["kind"] == "note")["end"] is None


def test_throughput_rejects_an_unknown_host(sample):
    with pytest.raises(OptionError, match="no NIC traffic for host 'HV09'"):
        charts.throughput_chart(sample, host="HV09")


def test_distributions_take_legs_migrations_and_named_runs(sample, drain):
    spec = charts.cdf_chart({"sample": sample, "report": sample.migrations[0], "drain": drain}).to_dict()
    runs = {r["run"] for r in next(iter(spec["datasets"].values()))}
    assert runs == {"sample", "report"} | {f"drain · #{i} VM0{i}" for i in range(1, 7)}
    legs = charts.histogram_chart(list(sample.migrations[0].legs)).to_dict()
    assert {r["run"] for r in next(iter(legs["datasets"].values()))} == {"HV01 sent", "HV02 received"}
    with pytest.raises(OptionError, match="no throughput distribution"):
        charts.histogram_chart([])


def test_core_bars_highlight_status_and_expected_count(sample):
    leg = sample.migrations[0].legs[1]
    spec = charts.core_bars(leg, expected=8).to_dict()
    assert "8 active core(s), 8 expected" in subtitle(spec)
    statuses = {r["core"]: r["status"] for r in next(iter(spec["datasets"].values()))}
    assert sorted(c for c, s in statuses.items() if s == "active") == list(leg.core_summary.active)


def test_a_day_at_one_second_charts_fast_within_the_row_limit(sample):
    day = day_capture(sample)
    leg = day.migrations[0].legs[0]
    build = {
        "throughput": lambda: charts.throughput_chart(day),
        "throughput-lines": lambda: charts.throughput_chart(day, stacked=False),
        "histogram": lambda: charts.histogram_chart(leg),
        "cdf": lambda: charts.cdf_chart({"a": leg, "b": leg}),
        "heatmap": lambda: charts.core_heatmap(leg),
        "bars": lambda: charts.core_bars(leg),
    }
    timings = {}
    for name, make in build.items():
        start = time.perf_counter()
        spec = make().to_dict()
        timings[name] = time.perf_counter() - start
        assert rows(spec) <= charts.MAX_ROWS, name
        if name in ("throughput", "throughput-lines", "cdf", "heatmap"):
            assert "Downsampled for display" in subtitle(spec), name
    print("24 h at 1 s, build + to_dict [s]:", {k: round(v, 3) for k, v in timings.items()})
    assert max(timings.values()) < 5.0  # typically < 0.2 s; generous for a shared machine


@pytest.mark.parametrize("stacked", [True, False])
def test_the_downsampled_day_keeps_the_spike(sample, stacked):
    spec = charts.throughput_chart(day_capture(sample, seconds=20_000), stacked=stacked).to_dict()
    series = next(d for d in spec["datasets"].values() if d and "nic" in d[0])
    assert max(r["gbps"] for r in series if r["nic"] == "NIC 0") == pytest.approx(9.6)
    assert len(series) <= charts.MAX_POINTS


def test_theme_and_offline_rendering():
    assert alt.theme.active == charts.THEME
    before = alt.renderers.active
    try:
        charts.enable_offline()
        assert alt.renderers.active == "jupyter"
        bundle = alt.Chart(pl.DataFrame({"a": [1]})).mark_point().encode(x="a:Q")._repr_mimebundle_()
        html = (bundle[0] if isinstance(bundle, tuple) else bundle).get("text/html", "")
        assert "cdn.jsdelivr" not in html and "<script src" not in html
    finally:
        alt.renderers.enable(before)


def test_throughput_zooms_on_a_span_at_full_resolution(sample):
    day = day_capture(sample)
    window = day.windows.row(1, named=True)
    span = (window["start"] - timedelta(seconds=30), window["end"] + timedelta(seconds=30))
    early = {"start": window["start"] - timedelta(hours=2), "kind": "pass"}
    spec = charts.throughput_chart(day, span=span, marks=[early, {"start": window["start"], "kind": "blackout"}]).to_dict()
    data = list(spec["datasets"].values())
    series = next(d for d in data if d and "nic" in d[0])
    first, last = (int(t.timestamp() * 1000) for t in span)
    inside = [row for row in series if first <= row["time"] <= last]
    assert len(inside) == 3 * 661 and "Downsampled" not in subtitle(spec)  # every sample of the span
    assert len(series) > len(inside) and len(series) <= charts.MAX_POINTS  # and context to pan into
    axis = next(layer["encoding"]["x"] for layer in spec["layer"] if "x" in layer.get("encoding", {}))
    assert axis["scale"]["domain"] == [first, last]  # zoomed, not cut (issue 15 §10)
    assert [w["window"] for w in next(d for d in data if d and "window" in d[0])] == ["#2 VM1"]
    assert [m["kind"] for m in next(d for d in data if d and "kind" in d[0])] == ["blackout"]


def test_marks_take_a_frame_with_durations(sample):
    start = sample.migrations[0].window.start
    passes = pl.DataFrame({"start": [start, None], "duration_s": [1.5, None]})  # as kit.blackout.transfer_passes
    spec = charts.throughput_chart(sample, marks=passes).to_dict()
    marks = next(d for d in spec["datasets"].values() if d and "kind" in d[0])
    assert marks == [{"start": marks[0]["start"], "end": marks[0]["start"] + 1500, "kind": "mark", "label": "mark"}]


def test_blackout_and_channel_views(tmp_path):
    base = synth.SEEDS["smb-multichannel-2x10g"]
    only_first = synth.SideInputs(lm_networks=(base.nics[0].description,))
    synth.write(dataclasses.replace(base, name="side", side_inputs=only_first), tmp_path)
    root = tmp_path / "side"
    offset = json.loads((root / "truth.json").read_text())["side_inputs"]["utc_offset"]
    result = kit.analyze(
        kit.load([root / "HV01.csv", root / "HV02.csv"], cache_results=False, progress=False),
        events=kit.read_events(root / "events", utc_offset=offset), topology=kit.read_topology(root / "topology"),
    )
    migration = result.migrations[0]
    blackout = charts.blackout_chart(migration)
    spec = blackout.to_dict()
    rows = spec["datasets"][next(iter(spec["datasets"]))]
    assert rows[0]["row"] == "combined" and rows[0]["method"] == "event-20415"
    assert {"is-blackout", "vnic-gap"} <= {r["row"] for r in rows}
    channels = charts.channel_chart(migration)
    spec = channels.to_dict()
    rows = [r for data in spec["datasets"].values() for r in data if "path" in r]
    labels = {r["nic"] for r in rows}
    [port2] = [label for label in labels if label.startswith("SLOT 6 Port 2")]
    assert {r["configured"] for r in rows if r["nic"] == port2} == {"NOT configured"}
    assert len(labels) == len({r["instance"] for r in rows})  # issue 15 §9: every NIC told apart
    assert "not among the live-migration networks" in json.dumps(spec["title"])
    flagged = [r for data in spec["datasets"].values() for r in data if "path" not in r and "gb" in r]
    assert {r["nic"] for r in flagged} == {port2}  # marked in words, not by a legend of black squares
    assert [p["title"]["text"] for p in spec["vconcat"]] == ["HV01, bytes sent", "HV02, bytes received"]
    assert "opacity" not in json.dumps(spec["vconcat"][0]["layer"][0]["encoding"])
    for chart, name in ((blackout, "b.png"), (channels, "c.png")):
        assert save(chart, tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_many_runs_stay_readable(sample, drain):
    """Issue 15 §10: 13 runs get 13 colours, common bins (no hairlines) and horizontal facet labels."""
    runs = {f"run {k:02d}": sample if k % 2 else drain.migrations[k % 6] for k in range(13)}
    spec = charts.histogram_chart(runs, overlay=False).to_dict()
    rows = next(iter(spec["datasets"].values()))
    widths = {round(r["bin_end_gbps"] - r["bin_start_gbps"], 9) for r in rows}
    assert len(widths) == 1 and len({r["run"] for r in rows}) == 13
    assert spec["spec"]["encoding"]["color"]["scale"] == {"scheme": "tableau20"}
    assert spec["facet"]["row"]["header"]["labelAngle"] == 0
    cdf = charts.cdf_chart(runs).to_dict()
    assert cdf["encoding"]["color"]["scale"] == {"scheme": "tableau20"}


def test_core_titles_follow_the_hosts_role(sample):
    migration = sample.migrations[0]
    assert charts.core_bars(migration.destination_leg).to_dict()["title"]["text"].startswith("Receive work")
    assert charts.core_heatmap(migration.source_leg).to_dict()["title"]["text"].startswith("Send work")
