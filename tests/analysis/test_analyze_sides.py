"""analyze() with side inputs and two clocks: blackout bounds, clock offset, channel attribution."""

from __future__ import annotations

import dataclasses
import json
import re

import polars as pl
import pytest

import kit
from kit.analysis.analyze import analyze
from kit.cli import main
from kit.io.side.events import read_events
from kit.io.side.pings import read_pings
from kit.io.side.topology import read_topology
from kit.sample.generator import SEEDS, SideInputs, write

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
    migration = result.migrations[0]
    blackout, true_s = migration.blackout, truth["migrations"][0]["blackout_s"]
    assert blackout.method == "event-20415"
    assert blackout.lower_s <= true_s <= blackout.upper_s
    assert blackout.upper_s - blackout.lower_s == pytest.approx(0.1)
    assert {m.method for m in blackout.methods} >= {"event-20415", "is-blackout", "ping-gap", "vnic-gap"}
    for method in blackout.methods:
        assert method.lower_s <= true_s <= (method.upper_s if method.upper_s is not None else true_s)
    nics = migration.channels.nics.filter((pl.col("host") == "HV01") & pl.col("carried"))
    unexpected = truth["side_inputs"]["topology"]["unexpected_nics"]
    assert nics.filter(pl.col("configured") == False)["instance"].to_list() == unexpected  # noqa: E712
    share = truth["side_inputs"]["topology"]["unexpected_share"][0][unexpected[0]]
    [finding] = [f for f in migration.findings if f.kind == "unexpected-nic"]
    assert f"it carried {100 * share:.0f} % of the bytes" in finding.text and finding.host == "HV01"
    assert [text.split(":")[0] for text in migration.lacking] == ["tail-burst"]  # 1 s samples merge the passes
    assert migration.passes["number"][0] == 1 and migration.passes["final"][-1]


def test_without_side_inputs_it_says_what_it_lacked(side):
    root, truth = side
    migration = analyze(load_pair(root)).migrations[0]
    assert migration.blackout.method != "event-20415"
    assert migration.blackout.lower_s <= truth["migrations"][0]["blackout_s"] <= migration.blackout.upper_s
    assert any("event" in text for text in migration.blackout.lacking)
    assert any("topology" in text.lower() for text in migration.channels.lacking)
    assert migration.channels.nics["configured"].null_count() == migration.channels.nics.height


@pytest.mark.parametrize("offset_s", [3.4, -7.25])
def test_clock_offset_is_removed_before_pairing(tmp_path, offset_s):
    scenario = dataclasses.replace(BASE, name="skew", clock_offset_s=offset_s)
    write(scenario, tmp_path)
    result = analyze(load_pair(tmp_path / "skew"))
    clock = result.clock
    assert clock.shifted and abs(clock.offset_s - offset_s) <= clock.uncertainty_s
    assert (clock.source, clock.destination) == ("HV01", "HV02")
    assert len(result.migrations) == 1
    migration = result.migrations[0]
    window = migration.window
    assert (window.source, window.destination, window.method) == ("HV01", "HV02", "counters")
    assert migration.clock == clock
    truth = json.loads((tmp_path / "skew" / "truth.json").read_text())["migrations"][0]
    assert migration.blackout.lower_s <= truth["blackout_s"] <= migration.blackout.upper_s


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


def test_cli_names_the_host_whose_clock_was_off(tmp_path, capsys):
    write(dataclasses.replace(BASE, name="skew", clock_offset_s=1.698), tmp_path)
    assert main(["analyze", str(tmp_path / "skew"), "--quiet", "--no-cache"]) == 0
    [line] = [line for line in capsys.readouterr().out.splitlines() if "clocks:" in line]
    assert re.fullmatch(r"  clocks: HV02 is \+1\.\d{3} s \(± 0\.\d{3}\) off HV01; shown on HV01's time axis", line)
