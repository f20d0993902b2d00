"""kit.viz.save and kit.viz.html: charts to PNG/SVG/PDF/HTML/JSON files, and an offline HTML report."""

import json
import re
import struct

import altair as alt
import polars as pl
import pytest
import vl_convert

import kit
from kit.errors import OptionError
from kit.viz import render
from kit.viz.charts import histogram_chart
from kit.viz.html import write_report
from kit.viz.save import VL_VERSION, save
from tests.conftest import ROOT

SAMPLE = ROOT / "data" / "smb-multichannel-2x10g"
vlc_svg = vl_convert.vegalite_to_svg
SCRIPT_SOURCES = re.compile(r"""<script[^>]*\bsrc\s*=|import\s*[^;]*?from\s*["']https?://|https?://[^"']*\.m?js["']""")


@pytest.fixture(scope="module")
def sample() -> kit.Analysis:
    return kit.analyze(kit.load(SAMPLE, progress=False, cache_results=False))


def png_width(data: bytes) -> int:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">I", data[16:20])[0]


def test_save_picks_the_format_from_the_suffix(sample, tmp_path):
    chart = histogram_chart(sample)
    assert save(chart, tmp_path / "h.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert save(chart, tmp_path / "h.pdf").read_bytes()[:5] == b"%PDF-"
    assert "<svg" in save(chart, tmp_path / "h.svg").read_text()[:500]
    assert json.loads(save(chart, tmp_path / "h.json").read_text())["$schema"].startswith("https://vega.github.io")
    html = save(chart, tmp_path / "deep" / "h.html").read_text()
    assert "vegaEmbed" in html and not SCRIPT_SOURCES.search(html)
    with pytest.raises(OptionError, match=r"cannot save a chart as 'h.gif': use one of \.png"):
        save(chart, tmp_path / "h.gif")


def test_save_sizes_and_scales(sample, tmp_path):
    chart = histogram_chart(sample)
    small = png_width(save(chart, tmp_path / "small.png", width=300, height=150).read_bytes())
    double = png_width(save(chart, tmp_path / "double.png", width=300, height=150, scale=2).read_bytes())
    wide = png_width(save(chart, tmp_path / "wide.png", width=900).read_bytes())
    assert small < wide and double == 2 * small
    concat = alt.concat(chart, chart)
    assert png_width(save(concat, tmp_path / "c.png", width=200).read_bytes()) < png_width(
        save(concat, tmp_path / "c2.png", width=500).read_bytes()
    )


def test_write_report_writes_charts_an_offline_page_and_the_json(sample, tmp_path):
    paths = write_report(sample, tmp_path / "out", formats=("png", "svg"))
    names = {p.name for p in paths}
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths)
    charts = sorted(p.stem for p in paths if p.suffix == ".png")
    assert charts == sorted(p.stem for p in paths if p.suffix == ".svg")
    assert {"throughput-HV01-sent", "throughput-HV02-received", "histogram", "cdf", "cores-heatmap-HV02",
            "cores-1-HV02"} <= set(charts)
    assert {"report.html", "report.json"} <= names
    html = (tmp_path / "out" / "report.html").read_text()
    assert not SCRIPT_SOURCES.search(html)
    assert "cdn" not in html.lower()
    assert html.count("<script") == 2  # the inlined vega bundle and the embedding code
    for name in charts:
        assert f'<div id="{name}">' in html
    assert "SQL-VM01" in html and "HV01 → HV02" in html and "Nothing stands out." in html
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report == json.loads(json.dumps(kit.to_dict(sample), default=str))


def test_report_of_several_migrations_compares_them_and_lists_findings(sample, tmp_path):
    windows = pl.DataFrame({
        "start": [sample.migrations[0].window.start, sample.migrations[0].window.start],
        "end": [sample.migrations[0].window.end, sample.migrations[0].window.end],
        "vm": ["A", "B"],
    })
    both = kit.analyze(kit.load(SAMPLE, progress=False, cache_results=False), windows=windows)
    paths = write_report(both, tmp_path, formats=("svg",), title="Two <VMs>")
    assert "comparison" in {p.stem for p in paths}
    html = (tmp_path / "report.html").read_text()
    assert "<title>Two &lt;VMs&gt;</title>" in html
    assert "Ran at the same time as migration(s) 2" in html


def test_the_vega_bundle_is_kept_in_the_cache_folder(monkeypatch, tmp_path):
    """Issue 16 §3: the report's JavaScript bundle is built once per vl-convert version, then read
    from the cache folder; a file cut short is built again."""
    monkeypatch.setenv("KIT_CACHE_DIR", str(tmp_path))
    render._bundle.cache_clear()
    try:
        built = render.vega_script(VL_VERSION)
        path = render.bundle_path(VL_VERSION)
        assert path.is_relative_to(tmp_path) and "vegaEmbed" in built
        monkeypatch.setattr(render.vlc, "javascript_bundle", lambda **_: "rebuilt")
        render._bundle.cache_clear()
        assert render.vega_script(VL_VERSION) == built
        path.write_text(built[:1000], encoding="utf-8")
        render._bundle.cache_clear()
        assert render.vega_script(VL_VERSION) == "rebuilt"
        render._bundle.cache_clear()
        assert render.vega_script(VL_VERSION) == "rebuilt" and path.read_text().startswith("rebuilt")
    finally:
        render._bundle.cache_clear()


def test_png_and_pdf_are_made_from_the_one_svg(sample, monkeypatch):
    """Each chart is drawn once (as SVG) whatever the formats asked."""
    drawn = []
    monkeypatch.setattr(render.vlc, "vegalite_to_svg", lambda spec, **kw: drawn.append(spec) or vlc_svg(spec, **kw))
    spec = histogram_chart(sample).to_dict()
    out = {fmt: data for _, fmt, data in render.render({"h": spec}, ("svg", "png", "pdf"), vl_version=VL_VERSION)}
    assert len(drawn) == 1 and out["png"][:8] == b"\x89PNG\r\n\x1a\n" and out["pdf"][:5] == b"%PDF-"
    with pytest.raises(ValueError, match="unknown formats"):
        list(render.render({"h": spec}, ("gif",), vl_version=VL_VERSION))
