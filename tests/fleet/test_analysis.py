"""The fleet's migrations: every one against its truth through the dataset path, and equal to
kit.analyze on the single capture of its scenario."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import polars as pl
import pytest

import kit
import kit.identity
from kit.contract import migration_dict
from kit.fleet import layout
from kit.fleet.analysis import drill_down, migration_id, select
from tests.fleet.conftest import copy_dataset

SAME_AS_REPORT = (
    "vm", "instance", "source", "destination", "method", "duration_s", "resolution_s", "transport", "transport_basis",
    "bytes_moved", "gb_moved", "bytes_basis", "average_gbps", "mean_gbps", "p5_gbps", "p50_gbps", "p95_gbps",
    "p99_gbps", "peak_gbps", "link_gbps", "pct_of_link", "pct_of_ceiling", "mtu", "clock_offset_s", "findings",
    "finding_kinds", "lacking",
)
"""Columns of the migrations table that are the JSON report's field of the same name."""


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def single(folder) -> kit.Analysis:
    """The single-capture path: the scenario's files loaded and analysed."""
    return kit.analyze(kit.load(sorted(folder.glob("*.csv")), cache_results=False, progress=False))


def row_of(table: pl.DataFrame, true: dict) -> dict:
    """The table's row of a true migration: same source and destination (and VM, where named),
    the nearest start."""
    rows = table.filter((pl.col("source") == true["source"]) & (pl.col("destination") == true["destination"]))
    rows = rows.filter(pl.col("vm").is_null() | (pl.col("vm") == true["vm"]))
    assert rows.height, true["vm"]
    start = utc(true["start_utc"])
    return rows.with_columns(off=(pl.col("start") - start).abs()).sort("off").row(0, named=True)


def test_every_migration_of_the_fleet_holds_its_truth(fleet):
    table = fleet.result.table
    count = 0
    for folder in fleet.scenarios():
        truth = fleet.truth(folder)
        interval = truth["interval_s"]
        for true in truth["migrations"]:
            row = row_of(table, true)
            label = f"{folder.name} {true['vm']}"
            if row["method"] == "counters":
                assert row["vm"] == true["vm"], label
                true_start, true_s = utc(true["start_utc"]), true["duration_s"]
            else:  # from NIC traffic: the window spans the transfer
                true_start = utc(true["transfer_start_utc"])
                true_s = (utc(true["transfer_end_utc"]) - true_start).total_seconds()
            # start and duration within one sample interval
            assert abs((row["start"] - true_start).total_seconds()) <= interval + 0.05, label
            assert abs(row["duration_s"] - true_s) <= interval + 0.05, label
            assert row["date"] == row["start"].date(), label
            # bytes within 2 %; GB and the average rate follow from them
            assert row["bytes_moved"] == pytest.approx(true["bytes_total"], rel=0.02), label
            assert row["gb_moved"] == pytest.approx(true["bytes_total"] / 1e9, rel=0.02), label
            low = true["bytes_total"] * 0.98 * 8 / 1e9 / (true_s + interval + 0.05)
            high = true["bytes_total"] * 1.02 * 8 / 1e9 / max(true_s - interval - 0.05, interval)
            assert low <= row["average_gbps"] <= high, label
            assert row["p5_gbps"] <= row["p50_gbps"] <= row["p95_gbps"] <= row["peak_gbps"], label
            assert row["transport"] == true["transport"], label
            # the blackout's bounds hold the truth
            if row["blackout_s"] is not None:
                upper = row["blackout_upper_s"] if row["blackout_upper_s"] is not None else 1e9
                assert row["blackout_lower_s"] - 1e-6 <= true["blackout_s"] <= upper + 1e-6, label
            # the NICs that carried it, and each one's share within 2 points (the source's NICs)
            carried = {kit.identity.nic_key(n) for n, wire in true["bytes_per_nic"].items() if wire > 0}
            assert {kit.identity.nic_key(n) for n in row["nics_used"]} == carried, label
            shares = {n["nic"]: n["share"] for n in row["nics"] if n["host"] == true["source"]}
            for instance, wire in true["bytes_per_nic"].items():
                nic = kit.identity.nic_key(instance)
                assert abs(shares.get(nic, 0.0) - wire / true["bytes_total"]) <= 0.02, (label, instance)
            assert row["nics_configured"] is None and row["nics_not_configured"] == [], label  # no topology
            # the partner's clock offset within half an interval
            if row["clock_offset_s"] is not None:
                assert abs(row["clock_offset_s"] - truth["clock_offset_s"][true["destination"]]) <= interval / 2, label
            count += 1
    assert table.height == count == 17  # 4 nodes × 3 VMs, TCP there and back, 3 single ones
    assert fleet.result.unmatched.is_empty()


def test_the_drain_across_all_nodes_is_found_node_by_node(fleet):
    cau = fleet.result.table.filter(pl.col("date") == datetime(2025, 3, 1).date())
    assert cau.group_by("source").agg(pl.col("destination").unique()).sort("source").rows() == [
        ("HV01", ["HV02"]), ("HV02", ["HV03"]), ("HV03", ["HV04"]), ("HV04", ["HV01"])]
    together = cau.filter(pl.col("concurrent_with").list.len() > 0)
    assert together.height == 8  # the first two VMs of each node at once
    assert (together["bytes_basis"] == "apportioned").all()
    for row in together.iter_rows(named=True):
        [other] = row["concurrent_with"]
        assert cau.filter(pl.col("migration_id") == other)["source"].item() == row["source"]


def test_every_figure_equals_the_single_capture_path(fleet):
    """kit.analyze on a scenario's own files and the fleet path (dataset → episode → analysis)
    give the same report for every migration, and the same row of the table."""
    table = fleet.result.table
    for folder in fleet.scenarios():
        reference = single(folder)
        for m in reference.migrations:
            mid = migration_id(m)
            [row] = table.filter(pl.col("migration_id") == mid).to_dicts()
            _, again = fleet.result.drill_down(mid)
            assert migration_dict(again) == migration_dict(m), f"{folder.name} {m.label}"
            report = migration_dict(m)
            for field in SAME_AS_REPORT:
                assert row[field] == report[field], (folder.name, m.label, field)
            assert (row["start"], row["end"]) == (m.window.start, m.window.end), (folder.name, m.label)
            blackout = report["blackout"]
            assert (row["blackout_s"], row["blackout_lower_s"], row["blackout_upper_s"], row["blackout_method"]) == (
                blackout["estimate_s"], blackout["lower_s"], blackout["upper_s"], blackout["method"])
            carried = [{k: n.get(k) for k in row["nics"][0]} for n in report["nics"] if n["carried"]]
            assert row["nics"] == carried, (folder.name, m.label)
            ids = {r.window.number: migration_id(r) for r in reference.migrations}
            assert row["concurrent_with"] == [ids[n] for n in m.window.concurrent_with]


def test_an_episode_reads_its_hosts_over_its_activity_and_context_only(fleet):
    episodes = fleet.result.episodes
    assert (episodes["hosts"].list.len() == 2).all()
    context = timedelta(seconds=300)
    assert (episodes["context_start"] == episodes["start"] - context).all()
    assert ((episodes["end"] - episodes["start"]) < timedelta(minutes=2)).all()
    assert episodes["migrations"].sum() == fleet.result.table.height


def test_the_table_is_written_back_and_a_partial_run_replaces_only_its_rows(fleet, tmp_path):
    root = copy_dataset(fleet, tmp_path / "dataset")
    written = pl.read_parquet(root / "migrations" / "migrations.parquet")
    assert written.schema == pl.Schema(layout.MIGRATIONS_SCHEMA) and written.height == fleet.result.table.height
    day2 = datetime(2025, 3, 2, tzinfo=timezone.utc)
    part = kit.fleet_migrations(root, start=day2, end=day2 + timedelta(hours=13, minutes=30), progress=False)
    assert set(part.table["vm"].drop_nulls()) == {"APP-01", "WEB-03"} and part.table.height == 4
    again = kit.open_dataset(root).migrations
    assert again.sort("migration_id").equals(written.sort("migration_id"))
    only = kit.fleet_migrations(root, hosts=["hv03"], write=False, progress=False)
    assert only.written is None
    assert only.table.select(pl.concat_list("source", "destination").list.contains("HV03").all()).item()


def test_select_filters_time_host_vm_and_blackout(fleet):
    table = fleet.result.table
    assert select(table, host="HV02").height == table.filter(
        (pl.col("source") == "HV02") | (pl.col("destination") == "HV02")).height
    assert select(table, vm="APP-01").height == 2
    long = select(table, min_blackout_s=0.9)
    assert long.height and long.select((pl.coalesce("blackout_s", "blackout_lower_s") >= 0.9).all()).item()
    day = datetime(2025, 3, 1, tzinfo=timezone.utc)
    assert select(table, start=day, end=day + timedelta(days=1)).height == 12


def test_drill_down_from_the_dataset_alone(fleet):
    row = fleet.result.worst(1, by="duration_s").row(0, named=True)
    analysis, migration = drill_down(fleet.dataset, row["migration_id"])
    assert migration.window.duration_s == row["duration_s"] and migration in analysis.migrations
    with pytest.raises(kit.KitError, match="no migration 'nope'"):
        drill_down(fleet.dataset, "nope")
    with pytest.raises(kit.KitError, match="unknown options"):
        kit.fleet_migrations(fleet.dataset, vm_memory_gb=4, progress=False)


def test_nics_outside_the_live_migration_networks_are_named_with_the_topology(tmp_path):
    """A drain over SMB on two NICs of which only the first is a live-migration network
    (Get-VMMigrationNetwork): every row names the second as not configured, as the truth says,
    and equals kit.analyze with the same topology."""
    from kit.sample.fleet import patch_weekend, renamed
    from kit.sample.generator import DEFAULT_NICS, SideInputs, write

    scenario = renamed(patch_weekend()[0], side_inputs=SideInputs(
        events=False, pings=False, lm_networks=(DEFAULT_NICS[0].description,)))
    files = [p for p in write(scenario, tmp_path / "captures") if p.suffix == ".csv"]
    folder = files[0].parent
    truth = json.loads((folder / "truth.json").read_text())["side_inputs"]["topology"]
    topology = kit.read_topology(folder / "topology")
    kit.ingest(files, tmp_path / "dataset", workers=1, progress=False)
    table = kit.fleet_migrations(tmp_path / "dataset", topology=topology, progress=False).table
    assert table.height == len(scenario.migrations)
    names = {n["name"]: instance for instance, n in truth["nics"].items()}
    for row in table.iter_rows(named=True):
        assert row["nics_configured"] is False
        assert sorted(names.get(n, n) for n in row["nics_not_configured"]) == sorted(truth["unexpected_nics"])
        assert {names.get(n, n) for n in row["nics_used"]} == {i for i, n in truth["nics"].items() if n["carries"]}
    reference = kit.analyze(kit.load(files, cache_results=False, progress=False), topology=topology)
    for m in reference.migrations:
        [row] = table.filter(pl.col("migration_id") == migration_id(m)).to_dicts()
        report = migration_dict(m)
        carried = [n for n in report["nics"] if n["carried"] and n["host"] == m.window.source]
        assert [n["configured"] for n in row["nics"] if n["host"] == m.window.source] == [
            n["configured"] for n in carried]
        for field in SAME_AS_REPORT:
            assert row[field] == report[field], (m.label, field)


def test_a_capture_longer_than_the_context_gives_the_single_capture_figures(tmp_path):
    """Three migrations 7 min apart in a 20 min capture: each is analysed over its own episode
    (± 300 s), not the whole capture, and its figures still equal kit.analyze on the whole
    capture (floats to 1e-9: a duration may differ in its last bit) but for the clock offset,
    estimated from the episode's samples (both within half an interval of the truth, 0 s)."""
    from kit.sample.generator import Migration, Scenario, write

    moves = tuple(Migration("LONG-01", 3.0, 100.0, 0.5, direction, 60.0 + k * 420.0)
                  for k, direction in enumerate(("forward", "back", "forward")))
    scenario = Scenario("long-capture", seed=1877, source_host="HV05", destination_host="HV06", migrations=moves,
                        idle_after_s=300.0)
    files = [p for p in write(scenario, tmp_path / "captures") if p.suffix == ".csv"]
    truth = json.loads((files[0].parent / "truth.json").read_text())
    assert truth["clock_offset_s"] == {"HV05": 0.0, "HV06": 0.0}
    kit.ingest(files, tmp_path / "dataset", workers=1, progress=False)
    fleet = kit.fleet_migrations(tmp_path / "dataset", progress=False)
    capture = kit.load(files, cache_results=False, progress=False)
    episodes = fleet.episodes  # each reads about half the capture
    assert episodes.height == 3
    assert ((episodes["context_end"] - episodes["context_start"]) < (capture.end - capture.start) * 0.6).all()
    reference = kit.analyze(capture)
    assert fleet.table.height == len(reference.migrations) == 3
    for m in reference.migrations:
        [row] = fleet.table.filter(pl.col("migration_id") == migration_id(m)).to_dicts()
        report = migration_dict(m)
        for field in SAME_AS_REPORT:
            expected = report[field]
            if field == "clock_offset_s":  # estimated from the episode's samples, not the whole capture's
                assert abs(row[field]) <= truth["interval_s"] / 2 and abs(expected) <= truth["interval_s"] / 2
            elif isinstance(expected, float):
                assert row[field] == pytest.approx(expected, rel=1e-9, abs=1e-12), (m.label, field)
            else:
                assert row[field] == expected, (m.label, field)
        assert row["blackout_s"] == pytest.approx(report["blackout"]["estimate_s"], rel=1e-9)


def test_a_table_that_cannot_be_written_is_named(fleet, tmp_path):
    root = copy_dataset(fleet, tmp_path / "dataset")
    (root / "migrations" / "migrations.parquet.tmp").mkdir()  # in the way of the staged table
    with pytest.raises(kit.KitError, match=r"migrations\.parquet: cannot write the migrations table.*--no-write"):
        kit.fleet_migrations(root, start="2025-03-02T10:00Z", end="2025-03-02T10:10Z", progress=False)
