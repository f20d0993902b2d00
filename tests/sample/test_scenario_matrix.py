"""The scenario matrix (issue 13): every analysis on every generated scenario, against its truth.

Tolerances: duration within one sample interval; bytes within 2 %; NIC shares within 2 points;
the blackout interval holds the truth and is at most two intervals wide where ``Is blackout``
was sampled; the clock offset within half an interval; effective receive cores within 10 %;
and no finding that contradicts a figure (:func:`kit.analysis.findings.contradictions`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

import polars as pl
import pytest

import kit
import kit.identity
from kit.analysis.findings import contradictions
from kit.sample.generator import SEEDS, write


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@cache
def analysed(name: str, folder: str) -> tuple[kit.Analysis, dict, kit.Capture]:
    scenario = SEEDS[name]
    paths = write(scenario, folder)
    root = paths[0].parent
    capture = kit.load([root / "HV01.csv", root / "HV02.csv"], cache_results=False, progress=False)
    sides = {}
    if scenario.side_inputs is not None:
        import json

        truth = json.loads((root / "truth.json").read_text())
        sides = {"events": kit.read_events(root / "events", utc_offset=truth["side_inputs"]["utc_offset"]),
                 "topology": kit.read_topology(root / "topology")}
    import json

    truth = json.loads((root / "truth.json").read_text())
    return kit.analyze(capture, **sides), truth, capture


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("matrix"))


def pairs(analysis: kit.Analysis, truth: dict) -> list[tuple[kit.Migration, dict]]:
    """Each found migration with the true one it is (same VM, or the nearest start)."""
    found = sorted(analysis.migrations, key=lambda m: (m.window.vm or "", m.window.start))
    named = all(m.window.vm for m in found)
    true = sorted(truth["migrations"], key=lambda t: (t["vm"] if named else "", t["start_utc"]))
    assert len(found) == len(true), [m.label for m in found]
    return list(zip(found, true))


def expected_effective(truth: dict, true: dict) -> float | None:
    """1 / Σ share² of the receive cores' work in the truth: each NIC's bytes shared equally by its
    connections' cores, over this migration and those that ran with it into the same host."""
    weights: dict[int, float] = {}
    for t in truth["migrations"]:
        if t["destination"] != true["destination"] or not (t is true or t["index"] in true["concurrent_with"]):
            continue
        for nic, cores in t["receive_cores_per_nic"].items():
            for core in cores:
                weights[core] = weights.get(core, 0.0) + t["bytes_per_nic"][nic] / len(cores)
    total = sum(weights.values())
    return total**2 / sum(w * w for w in weights.values()) if total else None


@pytest.mark.parametrize("name", list(SEEDS))
def test_every_figure_holds_its_truth(name, folder):
    analysis, truth, capture = analysed(name, folder)
    interval = truth["interval_s"]
    for migration, true in pairs(analysis, truth):
        w = migration.window
        label = f"{name} {migration.label}"
        assert (w.source, w.destination) == (true["source"], true["destination"]), label
        # duration within one sample interval (a window from NIC traffic spans the transfer)
        if w.method == "counters":
            assert abs(w.duration_s - true["duration_s"]) <= interval + 0.05, label
        else:
            moving = (utc(true["transfer_end_utc"]) - utc(true["transfer_start_utc"])).total_seconds()
            assert abs(w.duration_s - moving) <= interval + 0.05, label
        # bytes within 2 %
        assert migration.throughput.bytes_moved == pytest.approx(true["bytes_total"], rel=0.02), label
        # NIC shares within 2 points (the source's NICs; shared by concurrent migrations alike)
        source = migration.source_leg.nics.filter(pl.col("carried"))
        shares = dict(zip(source["nic"], source["share"]))
        for instance, wire in true["bytes_per_nic"].items():
            nic = kit.identity.nic_key(instance)
            assert abs(shares.get(nic, 0.0) - wire / true["bytes_total"]) <= 0.02, (label, instance)
        # the blackout interval holds the truth, and is at most 2 intervals wide where Is blackout was sampled
        b = migration.blackout
        if b.estimate_s is not None:
            assert b.lower_s - 1e-6 <= true["blackout_s"] <= (b.upper_s if b.upper_s is not None else 1e9) + 1e-6, label
            if _blackout_sampled(capture, true) and b.upper_s is not None:
                assert b.upper_s - b.lower_s <= 2 * interval + 0.05, label
        # effective receive cores within 10 % (of the distinct cores busy with it and its companions)
        if migration.destination_leg is not None and migration.destination_leg.core_summary.cores:
            expected = expected_effective(truth, true)
            effective = migration.destination_leg.core_summary.effective
            if expected is None:
                assert effective is None, label  # no receive core worked (SMB Direct)
            else:
                assert effective == pytest.approx(expected, rel=0.10), (label, effective, expected)
        # no finding contradicts a figure
        assert contradictions(migration) == [], label
    # the clock offset within half an interval
    offset = truth["clock_offset_s"][truth["hosts"]["destination"]]
    if analysis.clock is not None and analysis.clock.offset_s is not None:
        assert abs(analysis.clock.offset_s - offset) <= interval / 2, name


def _blackout_sampled(capture: kit.Capture, true: dict) -> bool:
    """A sample of the source fell inside the true blackout."""
    start, end = utc(true["blackout_start_utc"]), utc(true["blackout_end_utc"])
    times = capture.data["time"]
    return bool(((times >= start) & (times < end)).any())


def test_one_adapter_is_one_nic_whatever_rdma_calls_it(folder):
    analysis, truth, _ = analysed("smb-direct-e810-rdma-names", folder)
    [migration] = analysis.migrations
    sent = migration.channels.nics.filter(pl.col("host") == "HV01")
    assert sent.height == 3 and sent["nic"].n_unique() == 3  # two E810 ports and the management NIC
    carried = sent.filter(pl.col("carried"))
    assert carried.height == 2 and (carried["rdma_bytes"] > 0.99 * carried["bytes"]).all()
    assert carried["configured"].all() and carried["name"].is_not_null().all()
    assert not [f for f in migration.findings if f.kind == "idle-selected"]
    # RDMA bytes against the link, never a TCP/MTU ceiling (issue 13 §5)
    assert migration.throughput.pct_of_ceiling is None and 50 < migration.throughput.pct_of_link < 100


def test_the_nic_that_dropped_is_named_when(folder):
    analysis, truth, _ = analysed("nic-drop-smb-2x10g", folder)
    [migration] = analysis.migrations
    [stop] = migration.source_leg.nic_stops
    assert stop.nic == kit.identity.nic_key(truth["nic_drop"]["instance"])
    assert abs((stop.silent_from - utc(truth["nic_drop"]["at_utc"])).total_seconds()) <= 2 * truth["interval_s"]
    assert "nic-stopped" in [f.kind for f in migration.findings]
    assert "imbalance" not in [f.kind for f in migration.findings]


def test_compression_is_told_and_its_ratio_read_from_the_counters(folder):
    analysis, truth, _ = analysed("compression-1x10g", folder)
    [migration] = analysis.migrations
    assert (migration.transport, migration.transport_basis) == ("compression", "counters")
    assert migration.lm_bytes.compression_ratio == pytest.approx(SEEDS["compression-1x10g"].compression_ratio, rel=0.01)
    assert migration.lm_bytes.written == pytest.approx(truth["migrations"][0]["memory_bytes"], rel=1e-6)
    assert "compression" in [f.kind for f in migration.findings]


def test_the_destination_known_only_from_its_bytes_is_named(folder):
    analysis, _, _ = analysed("destination-without-lm-counters", folder)
    [migration] = analysis.migrations
    assert (migration.window.source, migration.window.destination) == ("HV01", "HV02")


@pytest.mark.parametrize("name", ["german-cp1252-0.5s", "german-utf16-0.5s"])
def test_a_german_capture_reads_as_an_english_one(name, folder):
    analysis, _, capture = analysed(name, folder)
    assert {s.encoding for s in capture.sources} == ({"cp1252"} if "cp1252" in name else {"utf-16-le"})
    assert "Netzwerkschnittstelle" in capture.catalog["object"].to_list()
    assert analysis.migrations[0].transport == "smb" and analysis.migrations[0].window.method == "counters"
    assert not [w for w in capture.warnings if w.code in ("dst-jump", "hour-step")]


def test_an_hour_long_pause_is_a_gap_not_a_dst_jump(folder):
    analysis, truth, capture = analysed("collector-pause-1h", folder)
    codes = {w.code for w in capture.warnings}
    assert "dst-jump" not in codes and "dropped-samples" in codes
    pause = truth["pauses"][0]
    times = capture.timebase.log(capture.columns(host="HV01")[:1]).samples
    longest = times.sort("dt_s", descending=True, nulls_last=True).row(0, named=True)
    assert longest["dt_s"] == pytest.approx(3600, abs=2 * truth["interval_s"])
    assert longest["prev"] <= utc(pause["start_utc"]) + timedelta(seconds=1) and longest["time"] >= utc(pause["end_utc"])


def test_hosts_in_different_zones_are_put_on_one_time_axis(folder):
    analysis, truth, capture = analysed("zones-and-clock-offset", folder)
    assert [s.bias_minutes for s in capture.sources] == [-60, 0]
    assert analysis.clock.shifted and abs(analysis.clock.offset_s - 2.37) <= truth["interval_s"] / 2


def test_the_contradiction_check_can_fail(folder):
    """The defect of issue 13 §1 as a finding: 'SMB selected NIC … but it carried nothing' about a
    NIC that carried half the migration; and a saturated core that is not."""
    import dataclasses

    analysis, _, _ = analysed("smb-direct-e810-rdma-names", folder)
    migration = analysis.migrations[0]
    carrying = migration.channels.nics.filter(pl.col("carried") & (pl.col("host") == "HV01"))["nic"][0]
    wrong = (
        kit.Finding("idle-selected", "SMB selected NIC 'RDMA 2' on HV01, but it carried nothing.", "HV01", carrying),
        kit.Finding("saturated-core", "Core 0 on HV02 spent 99 %…", "HV02", "0"),
        kit.Finding("made-up", "?"),
    )
    found = contradictions(dataclasses.replace(migration, findings=wrong))
    assert [line.split(" ")[0] for line in found] == ["idle-selected", "saturated-core", "unknown"]
