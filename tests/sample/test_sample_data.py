"""The bundled sample loads through kit.load and agrees with its ground truth."""

import json
from datetime import datetime

import polars as pl
import pytest

import kit
from kit.cli import main
from kit.io.perfmon.quality import SEVERITY
from kit.sample import generator as synth
from tests.conftest import ROOT

SAMPLE = ROOT / "data" / "smb-multichannel-2x10g"
TRUTH = json.loads((SAMPLE / "truth.json").read_text())


def iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_hosts_rows_columns_and_times_match_the_truth():
    capture = kit.load(SAMPLE)
    assert capture.hosts == [TRUTH["hosts"]["source"], TRUTH["hosts"]["destination"]]
    for source in capture.sources:
        host = source.hosts[0]
        assert source.rows == TRUTH["rows"][host] and source.columns == TRUTH["columns"][host]
        assert source.bias_minutes == TRUTH["timezone"]["bias_minutes"]
        assert source.zone_name == TRUTH["timezone"]["name"]
        assert source.start == iso(TRUTH["first_sample_utc"][host])
        assert source.interval_s == pytest.approx(TRUTH["interval_s"], rel=0.01)


def test_integrated_nic_bytes_match_the_truth():
    capture = kit.load(SAMPLE)
    for host, nics in TRUTH["nic_totals"].items():
        for instance, totals in nics.items():
            for counter, key in (("Bytes Sent/sec", "bytes_sent"), ("Bytes Received/sec", "bytes_received")):
                [column] = capture.columns(host=host, object="Network Interface", instance=instance, counter=counter)
                # this host's own sample times (the other host samples at other instants)
                own = capture.select(capture.columns(host=host)).data.filter(
                    pl.any_horizontal(pl.all().exclude("time").is_not_null())
                )
                gaps = own["time"].diff().dt.total_microseconds() / 1e6
                moved = (own[column] * gaps).sum()
                assert moved == pytest.approx(totals[key], rel=1e-6)


def test_info_json_on_the_bundled_sample(capsys):
    assert main(["info", str(SAMPLE / "HV01.csv"), str(SAMPLE / "HV02.csv"), "--json", "--quiet"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["hosts"] == ["HV01", "HV02"]
    assert info["columns"] == sum(TRUTH["columns"].values())
    assert not [w for w in info["warnings"] if SEVERITY[w["code"]] == "error"]


# --- every bundled test: the generator's output, analysed as its truth says -------------------

SCENARIOS = {s.name: s for s in synth.BUNDLED}


def seconds_between(a: str, b: str) -> float:
    return abs((iso(a) - iso(b)).total_seconds())


@pytest.mark.parametrize("name", SCENARIOS)
def test_bundled_folder_is_exactly_the_generators_output(name):
    test = synth.generate(SCENARIOS[name])
    expected = {f"{host}.csv": data for host, data in test.csv.items()} | test.side
    expected["truth.json"] = test.truth_json().encode("utf-8")
    folder = ROOT / "data" / name
    committed = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert sorted(committed) == sorted(expected), "run python3 -m kit sample"
    for path, data in expected.items():
        assert committed[path] == data, f"{name}/{path} drifted from the generator: run python3 -m kit sample"


def test_bundled_data_stays_small():
    files = [p for p in (ROOT / "data").rglob("*") if p.is_file()]
    assert {p.relative_to(ROOT / "data").parts[0] for p in files} == set(SCENARIOS)
    assert sum(p.stat().st_size for p in files) < 5_000_000


@pytest.mark.parametrize("name", SCENARIOS)
def test_bundled_test_analyses_as_its_truth_says(name):
    truth = json.loads((ROOT / "data" / name / "truth.json").read_text())
    analysis = kit.analyze(kit.load(ROOT / "data" / name, progress=False))
    migrations = sorted(analysis.migrations, key=lambda m: m.window.vm)  # each VM migrates once
    truths = sorted(truth["migrations"], key=lambda m: m["vm"])
    assert [(m.window.vm, m.window.source, m.window.destination) for m in migrations] == [
        (t["vm"], t["source"], t["destination"]) for t in truths
    ]
    for migration, true in zip(migrations, truths):
        window = migration.window
        assert migration.transport == true["transport"]
        assert window.duration_s == pytest.approx(true["duration_s"], abs=window.resolution_s)
        assert abs((window.start - iso(true["start_utc"])).total_seconds()) <= window.resolution_s / 2 + 1e-3
        if window.concurrent_with:  # the NICs carry both: the VM's own bytes are its SMB counter's
            assert migration.lm_bytes.smb == pytest.approx(true["memory_bytes"], rel=1e-6)
        else:
            assert migration.throughput.bytes_moved == pytest.approx(true["bytes_total"], rel=1e-4)
        receiving = migration.destination_leg.core_summary
        assert list(receiving.active) == true["busy_receive_cores"][true["destination"]]
        if true["core_bound"]:
            assert list(receiving.saturated) == true["busy_receive_cores"][true["destination"]]


TARGETS_S = {
    "tcp-1x10g-mtu1500-55gb": 70, "tcp-1x10g-jumbo-highperf-55gb": 54, "smb-2x10g-mixed-mtu-55gb": 31,
    "smb-2x10g-jumbo-55gb": 28,
}
"""Durations of the comparison the bundled 55 GB runs reproduce (issue 5). [s]"""


@pytest.mark.parametrize("name, seconds", TARGETS_S.items())
def test_the_comparison_runs_take_about_as_long_as_in_the_seed(name, seconds):
    truth = json.loads((ROOT / "data" / name / "truth.json").read_text())
    assert truth["migrations"][0]["duration_s"] == pytest.approx(seconds, abs=1.5)


def test_power_plan_and_jumbo_frames_change_the_single_nic_runs():
    labels = {n: json.loads((ROOT / "data" / n / "truth.json").read_text()) for n in SCENARIOS if n.startswith("tcp-")}
    plain, jumbo, fast = (labels[f"tcp-1x10g-{k}-55gb"] for k in ("mtu1500", "jumbo", "jumbo-highperf"))
    assert (plain["labels"]["mtu"], jumbo["labels"]["mtu"]) == (1500, 9000)
    assert (jumbo["labels"]["power_plan"], fast["labels"]["power_plan"]) == ("Balanced", "High performance")
    assert plain["migrations"][0]["core_bound"] and jumbo["migrations"][0]["core_bound"]
    assert not fast["migrations"][0]["core_bound"]
    durations = [t["migrations"][0]["duration_s"] for t in (plain, jumbo, fast)]
    assert durations == sorted(durations, reverse=True)
