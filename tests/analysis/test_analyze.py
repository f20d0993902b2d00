"""The analyses against generated captures of known truth, the bundled sample and the real files."""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl
import pytest

import kit
from kit.analysis.analyze import analyze
from kit.analysis.comparison import compare
from kit.analysis.results import HEADLINE_SCHEMA
from kit.contract import migration_dict as item
from kit.contract import to_dict
from kit.sample import sample_test
from kit.sample.generator import DEFAULT_NICS, SEEDS, Nic, Scenario, generate
from tests.conftest import REALDATA

SAMPLE = sample_test()
MGMT = DEFAULT_NICS[2]


def load_generated(tmp_path, scenario: Scenario) -> tuple[kit.Capture, dict]:
    test = generate(scenario)
    paths = []
    for host, data in test.csv.items():
        path = tmp_path / f"{host}.csv"
        path.write_bytes(data)
        paths.append(path)
    return kit.load(paths, cache_results=False, progress=False), test.truth


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def seconds_between(a: str, b: str) -> float:
    return abs((utc(a) - utc(b)).total_seconds())


@pytest.fixture(scope="module")
def sample():
    capture = kit.load(SAMPLE, cache_results=False, progress=False)
    truth = json.loads((SAMPLE / "truth.json").read_text())
    return analyze(capture, vm_memory_gb=16 * 2**30 / 1e9), truth["migrations"][0], truth


def test_sample_window_matches_truth(sample):
    result, truth, _ = sample
    report = item(result.migrations[0])
    assert len(result.migrations) == 1
    assert (report["vm"], report["source"], report["destination"]) == ("SQL-VM01", "HV01", "HV02")
    assert report["method"] == "counters" and report["transport"] == "smb"
    # the instance appears between two samples: start and end within half an interval
    assert seconds_between(report["start"], truth["start_utc"]) <= report["resolution_s"] / 2 + 1e-3
    assert seconds_between(report["end"], truth["end_utc"]) <= report["resolution_s"] / 2 + 1e-3
    assert report["duration_s"] == pytest.approx(truth["duration_s"], abs=report["resolution_s"])


def test_sample_bytes_per_nic_match_truth(sample):
    result, truth, full = sample
    report = item(result.migrations[0])
    # background traffic (100 B/s per NIC) is the only difference
    assert report["bytes_moved"] == pytest.approx(truth["bytes_total"], rel=1e-4)
    sent = {n["instance"]: n for n in report["nics"] if n["host"] == "HV01"}
    for instance, wire in truth["bytes_per_nic"].items():
        assert sent[instance]["bytes"] == pytest.approx(wire, rel=1e-4)
        assert sent[instance]["share"] == pytest.approx(wire / truth["bytes_total"], abs=1e-4)
        assert sent[instance]["carried"] and sent[instance]["mtu"] == 9000
    management = sent["Intel[R] I350 Gigabit Network Connection"]
    assert not management["carried"] and management["share"] < 0.001
    received = {n["instance"]: n for n in report["nics"] if n["host"] == "HV02" and n["carried"]}
    assert set(received) == set(truth["bytes_per_nic"])


def test_sample_throughput_matches_the_generator(sample):
    result, truth, full = sample
    report = item(result.migrations[0])
    transfer_s = seconds_between(truth["transfer_start_utc"], truth["transfer_end_utc"])
    true_mean_gbps = truth["bytes_total"] * 8 / transfer_s / 1e9
    # the interior samples leave out the ramp edges, so they sit a little above the whole average
    assert report["mean_gbps"] == pytest.approx(true_mean_gbps, rel=0.03)
    ceilings = sum(full["nics"][n]["l2_ceiling_bytes_s"] for n in truth["bytes_per_nic"])
    assert report["pct_of_ceiling"] == pytest.approx(100 * report["mean_gbps"] / 8e-9 / ceilings, rel=1e-6)
    assert report["pct_of_link"] == pytest.approx(100 * report["mean_gbps"] / 20, rel=1e-6)
    efficiency = full["scenario"]["link_efficiency"]  # of the payload ceiling, before dips
    assert 100 * efficiency * 0.9 < report["pct_of_ceiling"] < 100 * 0.985
    assert report["p5_gbps"] <= report["p50_gbps"] <= report["p95_gbps"] <= report["p99_gbps"] <= report["peak_gbps"]
    assert report["memory_gb_per_s"] == pytest.approx(16 * 2**30 / 1e9 / report["duration_s"])
    assert report["memory_read_bytes"] == pytest.approx(truth["memory_bytes"], rel=1e-6)
    assert report["steady"]["cv"] < 0.05
    hist = report["histogram"]
    assert sum(b["samples"] for b in hist) == result.migrations[0].legs[0].stats.samples


def test_sample_cores_match_truth(sample):
    result, truth, _ = sample
    cores = {c["host"]: c for c in item(result.migrations[0])["cores"]}
    assert cores["HV02"]["active"] == truth["busy_receive_cores"]["HV02"]
    assert cores["HV01"]["active"] == truth["busy_send_cores"]["HV01"]
    assert cores["HV02"]["expected_active"] == 8 == len(truth["busy_receive_cores"]["HV02"])
    assert cores["HV02"]["effective"] == pytest.approx(8, abs=0.5)
    assert cores["HV02"]["saturated"] == []
    assert cores["HV02"]["cpu_s_per_gb"] > cores["HV02"]["network_cpu_s_per_gb"] > 0
    assert item(result.migrations[0])["findings"] == []


def test_sample_report_is_strict_json(sample):
    result, _, _ = sample
    document = json.loads(json.dumps(to_dict(result), default=str, allow_nan=False))
    item = document["migrations"][0]
    for key in ("start", "end", "duration_s", "bytes_moved", "mean_gbps", "p50_gbps", "p95_gbps", "peak_gbps"):
        assert item[key] is not None
    assert {"host", "instance", "bytes", "share"} <= set(item["nics"][0])
    assert {"host", "active", "effective", "hottest"} <= set(item["cores"][0])
    assert utc(item["start"]).tzinfo is not None


def test_tcp_single_nic_standard_frames(tmp_path):
    nic = Nic("Intel(R) Ethernet Controller X710 for 10GbE SFP+", 10.0, 1500, False, "migration")
    capture, truth = load_generated(tmp_path, Scenario(name="tcp", transport="tcp", nics=(nic, MGMT), vm_memory_gib=4))
    report = item(analyze(capture).migrations[0])
    migration = truth["migrations"][0]
    assert report["transport"] == "tcp" and report["transport_basis"] == "counters"
    assert report["mtu"] == 1500 and report["mtu_basis"] == "bytes/packet"
    assert report["bytes_moved"] == pytest.approx(migration["bytes_total"], rel=1e-4)
    destination = next(c for c in report["cores"] if c["role"] == "destination")
    assert destination["active"] == migration["busy_receive_cores"]["HV02"]
    assert destination["expected_active"] == 1 == destination["active_count"]


def test_smb_direct_counts_rdma_bytes(tmp_path):
    nics = tuple(Nic(f"Chelsio T62100-LP-CR #{i}", 25.0, 9000, True, "migration") for i in (1, 2)) + (MGMT,)
    capture, truth = load_generated(tmp_path, Scenario(name="rdma", transport="smb-direct", nics=nics, vm_memory_gib=8))
    report = item(analyze(capture).migrations[0])
    migration = truth["migrations"][0]
    assert report["transport"] == "smb-direct"
    assert report["bytes_moved"] == pytest.approx(migration["bytes_total"], rel=1e-4)
    carried = [n for n in report["nics"] if n["carried"] and n["host"] == "HV01"]
    assert len(carried) == 2
    assert all(n["rdma_bytes"] > 0.99 * n["bytes"] for n in carried)
    destination = next(c for c in report["cores"] if c["role"] == "destination")
    assert destination["expected_active"] == 0


def test_without_live_migration_counters(tmp_path, sample):
    capture = kit.load(SAMPLE, cache_results=False, progress=False)
    keep = capture.catalog.filter(pl.col("object_en") != "Hyper-V VM Live Migration")["column"].to_list()
    result = analyze(capture.select(keep))
    _, truth, _ = sample
    report = item(result.migrations[0])
    assert report["method"] == "throughput"
    assert (report["source"], report["destination"]) == ("HV01", "HV02")
    assert report["transport"] == "smb" and report["transport_basis"] == "nics"
    assert report["bytes_moved"] == pytest.approx(truth["bytes_total"], rel=1e-3)
    # the burst lies inside the migration, within one interval of the transfer's first and last byte
    assert seconds_between(report["start"], truth["transfer_start_utc"]) <= 1.0
    assert seconds_between(report["end"], truth["transfer_end_utc"]) <= 1.0
    assert "Found from NIC throughput" in report["findings"][0]


def test_given_window_and_one_host(sample):
    _, truth, _ = sample
    capture = kit.load(SAMPLE / "HV02.csv", cache_results=False, progress=False)
    result = analyze(capture, windows=[(truth["start_utc"], truth["end_utc"], "SQL-VM01")], labels={"mtu": 9000})
    report = item(result.migrations[0])
    assert (report["method"], report["vm"], report["destination"], report["source"]) == ("given", "SQL-VM01", "HV02", None)
    assert report["bytes_moved"] == pytest.approx(truth["bytes_total"], rel=1e-3)
    assert result.labels == {"mtu": 9000}


def test_compare_runs_in_one_call(tmp_path, sample):
    result, _, _ = sample
    nic = Nic("Intel(R) Ethernet Controller X710 for 10GbE SFP+", 10.0, 1500, False, "migration")
    tcp, _ = load_generated(tmp_path, Scenario(name="tcp", transport="tcp", nics=(nic, MGMT), vm_memory_gib=4))
    table = compare(
        {"2x10G SMB": result, "1x10G TCP": tcp},
        labels={"2x10G SMB": {"mtu": 9000, "nics": 2}, "1x10G TCP": {"mtu": 1500, "nics": 1, "power": "high"}},
    )
    assert table.columns[:4] == ["run", "mtu", "nics", "power"]
    assert table.columns[4:] == list(HEADLINE_SCHEMA)
    rows = {r["run"]: r for r in table.to_dicts()}
    assert rows["2x10G SMB"]["mean_gbps"] > 1.8 * rows["1x10G TCP"]["mean_gbps"]
    assert rows["1x10G TCP"]["active_cores"] == 1 and rows["2x10G SMB"]["active_cores"] == 8
    assert rows["2x10G SMB"]["power"] is None


def test_compare_analyses_captures_and_refuses_paths(sample):
    capture = kit.load([SAMPLE / "HV01.csv", SAMPLE / "HV02.csv"], cache_results=False, progress=False)
    table = compare({"sample": capture}, vm_memory_gb=17.18)
    assert table.height == 1 and table["transport"][0] == "smb"
    with pytest.raises(kit.KitError, match="a run is an analysis or a capture, not PosixPath"):
        compare({"sample": SAMPLE})


@pytest.mark.parametrize("name", sorted(p.name for p in REALDATA.glob("*.[ct]sv")))
def test_real_files_analyse_without_error(name):
    capture = kit.load(REALDATA / name, cache_results=False, progress=False)
    assert analyze(capture).migrations == ()  # desktop captures: no migration in them
    whole = analyze(capture, windows=[(capture.start, capture.end)])
    report = item(whole.migrations[0])
    json.dumps(to_dict(whole), default=str, allow_nan=False)
    cores = report["cores"][0]
    per_core = capture.catalog.filter(
        pl.col("object_en").str.to_lowercase().is_in(["processor", "processor information"])
        & (pl.col("counter_en") == "% DPC Time") & ~pl.col("instance").str.contains("_Total")
    ).height
    assert cores["cores"] == per_core
    nics = capture.catalog.filter(pl.col("object_en") == "Network Interface")["instance"].unique().len()
    assert len({n["instance"] for n in report["nics"]}) == nics


def analyse_seed(tmp_path, name: str) -> tuple[list[dict], list[dict]]:
    """Reports and truths of a seed scenario, paired by VM and start order."""
    capture, truth = load_generated(tmp_path, SEEDS[name])
    reports = [item(m) for m in analyze(capture).migrations]
    truths = sorted(truth["migrations"], key=lambda m: (m["start_utc"], m["vm"]))
    reports = sorted(reports, key=lambda r: (r["start"], r["vm"] or ""))
    return reports, truths


def destination_cores(report: dict) -> dict:
    return next(c for c in report["cores"] if c["role"] == "destination")


def test_back_and_forth_swaps_the_roles(tmp_path):
    reports, truths = analyse_seed(tmp_path, "back-and-forth-smb-2x10g")
    assert len(reports) == 2
    for report, truth in zip(reports, truths):
        assert (report["vm"], report["source"], report["destination"]) == (truth["vm"], truth["source"], truth["destination"])
        assert seconds_between(report["start"], truth["start_utc"]) <= report["resolution_s"] / 2 + 1e-3
        assert report["bytes_moved"] == pytest.approx(truth["bytes_total"], rel=1e-4)
        assert destination_cores(report)["active"] == truth["busy_receive_cores"][truth["destination"]]
    assert reports[0]["source"] == reports[1]["destination"]


def test_sequential_drain_finds_six_migrations(tmp_path):
    reports, truths = analyse_seed(tmp_path, "drain-6-sequential-smb-2x10g")
    assert [r["vm"] for r in reports] == [t["vm"] for t in truths] == [f"VM0{k}" for k in range(1, 7)]
    for report, truth in zip(reports, truths):
        assert report["concurrent_with"] == []
        assert report["duration_s"] == pytest.approx(truth["duration_s"], abs=report["resolution_s"])
        assert report["bytes_moved"] == pytest.approx(truth["bytes_total"], rel=1e-4)
        assert report["lm_bytes"]["smb"] == pytest.approx(truth["memory_bytes"], rel=1e-6)


def test_concurrent_drain_names_the_overlaps_and_keeps_each_vms_own_bytes(tmp_path):
    reports, truths = analyse_seed(tmp_path, "drain-6-concurrent-2-smb-2x10g")
    by_vm = {t["vm"]: t for t in truths}
    by_index = {t["index"]: t["vm"] for t in truths}
    number = {r["migration"]: r["vm"] for r in reports}
    assert len(reports) == 6
    for report in reports:
        truth = by_vm[report["vm"]]
        assert {number[n] for n in report["concurrent_with"]} == {by_index[i] for i in truth["concurrent_with"]}
        assert any("same time" in f for f in report["findings"])
        # the NICs carry both VMs; each sample's bytes are split by the VMs' own live-migration counters
        assert report["bytes_basis"] == "apportioned" and report["nic_bytes"] > 1.05 * truth["bytes_total"]
        assert report["bytes_moved"] == pytest.approx(truth["bytes_total"], rel=0.02)
        assert report["lm_bytes"]["smb"] == pytest.approx(truth["memory_bytes"], rel=1e-6)
        cores = destination_cores(report)
        assert cores["active"] == truth["busy_receive_cores"]["HV02"]
        assert cores["nic_cores"] == truth["receive_cores_per_nic"]


def test_a_drains_per_vm_bytes_add_up_to_the_nic_total(tmp_path):
    """Issue 13 §6: each VM of a pair said it moved 18.8 GB (both VMs' NIC bytes) for a 9 GB VM."""
    reports, truths = analyse_seed(tmp_path, "drain-6-concurrent-2-smb-2x10g")
    pairs: dict[tuple, list[dict]] = {}
    for report in reports:
        pairs.setdefault(tuple(sorted([report["migration"], *report["shared_with"]])), []).append(report)
    for pair in pairs.values():
        assert len(pair) == 2
        together = sum(r["bytes_moved"] for r in pair)
        assert together == pytest.approx(max(r["nic_bytes"] for r in pair), rel=0.02)


def test_concurrent_tcp_migrations_expect_one_core_each(tmp_path):
    reports, truths = analyse_seed(tmp_path, "tcp-1x10g-jumbo-2-concurrent")
    both = sorted(c for t in truths for c in t["busy_receive_cores"]["HV02"])
    for report in reports:
        cores = destination_cores(report)
        assert report["transport"] == "tcp" and cores["expected_active"] == 2
        assert cores["active"] == both


def test_power_saver_single_core_bottleneck(tmp_path):
    reports, truths = analyse_seed(tmp_path, "tcp-1x10g-powersaver")
    report, truth = reports[0], truths[0]
    assert truth["core_bound"]
    cores = destination_cores(report)
    assert cores["saturated"] == truth["busy_receive_cores"]["HV02"]
    assert report["p50_gbps"] == pytest.approx(truth["plateau_wire_bytes_s"] * 8e-9, rel=0.02)
    assert any("single receive core at its limit" in f for f in report["findings"])
    assert cores["nic_cores"] == truth["receive_cores_per_nic"]


@pytest.mark.parametrize("name", ["tcp-1x10g-mtu1500", "tcp-1x10g-jumbo", "smb-direct-2x25g", "smb-multichannel-2x10g-no-lm-counters"])
def test_single_migration_seeds(tmp_path, name):
    reports, truths = analyse_seed(tmp_path, name)
    report, truth = reports[0], truths[0]
    assert len(reports) == 1
    assert report["bytes_moved"] == pytest.approx(truth["bytes_total"], rel=1e-3)
    assert report["transport"] == SEEDS[name].transport
    if name.startswith("smb-direct"):  # RDMA frames are not in the packet counters: MTU unknown
        assert report["mtu_basis"] == "assumed"
    else:
        assert (report["mtu"], report["mtu_basis"]) == (SEEDS[name].nics[0].mtu, "bytes/packet")
    cores = destination_cores(report)
    assert cores["active"] == truth["busy_receive_cores"]["HV02"]
    if SEEDS[name].log_live_migration_counters:
        assert report["vm"] == truth["vm"] and report["method"] == "counters"
    else:
        assert report["method"] == "throughput" and cores["cores"] == SEEDS[name].logical_processors


def test_compare_the_seed_runs_in_one_call(tmp_path):
    runs, labels = {}, {}
    for name in ("tcp-1x10g-mtu1500", "tcp-1x10g-jumbo", "tcp-1x10g-powersaver", "smb-multichannel-2x10g"):
        folder = tmp_path / name
        folder.mkdir()
        capture, truth = load_generated(folder, SEEDS[name])
        runs[name], labels[name] = capture, truth["labels"]
    table = compare(runs, labels=labels).sort("mean_gbps")
    assert table["run"].to_list() == ["tcp-1x10g-powersaver", "tcp-1x10g-mtu1500", "tcp-1x10g-jumbo", "smb-multichannel-2x10g"]
    assert {"transport_label", "transport", "mtu", "power_plan", "nic_count"} <= set(table.columns)
    assert table.filter(pl.col("run") == "tcp-1x10g-powersaver")["max_core_pct"][0] > 90


def test_traffic_covers_the_whole_capture(sample):
    result, truth, full = sample
    sent = result.traffic[("HV01", "sent")]
    assert set(result.traffic) == {(h, d) for h in ("HV01", "HV02") for d in ("sent", "received")}
    assert sent.height == full["rows"]["HV01"] - 1  # every sample after the blank first one
    moved = (sent["total_bytes_s"] * sent["dt_s"]).sum()
    totals = full["nic_totals"]["HV01"]
    assert moved == pytest.approx(sum(t["bytes_sent"] for t in totals.values()), rel=1e-9)


def test_a_destination_known_only_from_its_traffic_is_named(sample):
    """Issue 12/13: with no live-migration instance logged on HV02 its role comes from its bytes."""
    capture = kit.load(SAMPLE, cache_results=False, progress=False)
    keep = capture.catalog.filter(
        ~((pl.col("host") == "HV02") & (pl.col("object_en") == "Hyper-V VM Live Migration"))
    )["column"].to_list()
    migration = analyze(capture.select(keep)).migrations[0]
    assert (migration.window.source, migration.window.destination) == ("HV01", "HV02")
    assert migration.window.method == "counters" and migration.destination_leg.host == "HV02"
    assert "HV01 → HV02" in migration.label and item(migration)["destination"] == "HV02"
