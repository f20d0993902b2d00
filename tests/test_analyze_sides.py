"""analyze() with side inputs and two clocks: blackout bounds, clock offset, channel attribution."""

from __future__ import annotations

import dataclasses
import json

import pytest

import kit
from kit.analysis import analyze
from kit.cli import main
from kit.io.events import read_events
from kit.io.pings import read_pings
from kit.io.topology import read_topology
from kit.synth import SEEDS, SideInputs, write

BASE = SEEDS["smb-multichannel-2x10g"]
CONFIGURED = BASE.nics[0].description


@pytest.fixture(scope="module")
def side(tmp_path_factory):
    """The bundled scenario with events, topology and pings; only the first 10 GbE NIC is an LM network."""
    folder = tmp_path_factory.mktemp("side")
    scenario = dataclasses.replace(BASE, name="side", side_inputs=SideInputs(lm_networks=(CONFIGURED,)))
    write(scenario, folder)
    root = folder / "side"
    return root, json.loads((root / "truth.json").read_text())


def load_pair(root):
    return kit.load([root / "HV01.csv", root / "HV02.csv"], cache_results=False, progress=False)


def test_every_side_input_feeds_the_report(side):
    root, truth = side
    offset = truth["side_inputs"]["utc_offset"]
    result = analyze(
        load_pair(root),
        events=read_events(root / "events", utc_offset=offset),
        topology=read_topology(root / "topology"),
        pings=read_pings(root / "pings" / "ping-linux.txt"),
    )
    report = result.migrations[0].report
    blackout, true_s = report["blackout"], truth["migrations"][0]["blackout_s"]
    assert blackout["method"] == "event-20415"
    assert blackout["lower_s"] <= true_s <= blackout["upper_s"]
    assert blackout["upper_s"] - blackout["lower_s"] == pytest.approx(0.1)
    assert {m["method"] for m in blackout["methods"]} >= {"event-20415", "is-blackout", "ping-gap", "vnic-gap"}
    for method in blackout["methods"]:
        assert method["lower_s"] <= true_s <= (method["upper_s"] if method["upper_s"] is not None else true_s)
    configured = {n["instance"]: n["configured"] for n in report["nics"] if n["host"] == "HV01" and n["carried"]}
    unexpected = truth["side_inputs"]["topology"]["unexpected_nics"]
    assert [i for i, ok in configured.items() if ok is False] == unexpected
    share = truth["side_inputs"]["topology"]["unexpected_share"][0][unexpected[0]]
    assert any(f"it carried {100 * share:.0f} % of the bytes" in f for f in report["findings"])
    assert [text.split(":")[0] for text in report["lacking"]] == ["tail-burst"]  # 1 s samples merge the passes
    assert report["passes"][0]["number"] == 1 and report["passes"][-1]["final"]


def test_without_side_inputs_it_says_what_it_lacked(side):
    root, truth = side
    report = analyze(load_pair(root)).migrations[0].report
    assert report["blackout"]["method"] != "event-20415"
    assert report["blackout"]["lower_s"] <= truth["migrations"][0]["blackout_s"] <= report["blackout"]["upper_s"]
    assert any("event" in text for text in report["lacking"])
    assert any("topology" in text.lower() for text in report["lacking"])
    assert all(n["configured"] is None for n in report["nics"])


@pytest.mark.parametrize("offset_s", [3.4, -7.25])
def test_clock_offset_is_removed_before_pairing(tmp_path, offset_s):
    scenario = dataclasses.replace(BASE, name="skew", clock_offset_s=offset_s)
    write(scenario, tmp_path)
    result = analyze(load_pair(tmp_path / "skew"))
    clock = result.capture["clock"]
    assert clock["shifted"] and abs(clock["offset_s"] - offset_s) <= clock["uncertainty_s"]
    assert len(result.migrations) == 1
    report = result.migrations[0].report
    assert (report["source"], report["destination"], report["method"]) == ("HV01", "HV02", "counters")
    assert report["clock_offset_s"] == clock["offset_s"]
    truth = json.loads((tmp_path / "skew" / "truth.json").read_text())["migrations"][0]
    assert report["blackout"]["lower_s"] <= truth["blackout_s"] <= report["blackout"]["upper_s"]


def test_cli_side_input_options(side, capsys):
    root, truth = side
    args = ["analyze", str(root / "HV01.csv"), str(root / "HV02.csv"), "--quiet", "--utc-offset",
            truth["side_inputs"]["utc_offset"], "--events", str(root / "events"), "--topology",
            str(root / "topology"), "--pings", str(root / "pings" / "ping-windows.txt")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "blackout ≈ 0.60 s, between 0.55 and 0.65 s (event-20415)" in out
    assert "NOT configured for LM" in out and "not among the live-migration networks" in out
    assert main([*args, "--json"]) == 0
    item = json.loads(capsys.readouterr().out)["migrations"][0]
    assert {"estimate_s", "lower_s", "upper_s", "method"} <= set(item["blackout"])
    assert all({"rdma_bytes", "tcp_bytes", "configured"} <= set(n) for n in item["nics"])
    assert "clock_offset_s" in item and isinstance(item["findings"], list)
