"""The fleet's migrations: every one against its truth through the dataset path, and equal to
kit.analyze on the single capture of its scenario."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import polars as pl
import pytest

import kit
from kit.contract import migration_dict
from kit.fleet import layout
from kit.fleet.analysis import drill_down, migration_id, select
from tests.fleet.conftest import copy_dataset


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
                assert abs(row["duration_s"] - true["duration_s"]) <= interval + 0.05, label
            else:  # from NIC traffic: the window spans the transfer
                moving = (utc(true["transfer_end_utc"]) - utc(true["transfer_start_utc"])).total_seconds()
                assert abs(row["duration_s"] - moving) <= interval + 0.05, label
            assert row["bytes_moved"] == pytest.approx(true["bytes_total"], rel=0.02), label
            assert row["transport"] == true["transport"], label
            if row["blackout_s"] is not None:
                upper = row["blackout_upper_s"] if row["blackout_upper_s"] is not None else 1e9
                assert row["blackout_lower_s"] - 1e-6 <= true["blackout_s"] <= upper + 1e-6, label
            assert row["nics_used"], label
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
            for field in ("vm", "source", "destination", "duration_s", "bytes_moved", "mean_gbps", "p5_gbps",
                          "p95_gbps", "transport", "pct_of_link", "findings"):
                assert row[field] == report[field], (folder.name, field)
            assert row["blackout_s"] == report["blackout"]["estimate_s"]


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
