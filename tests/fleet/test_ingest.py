"""Ingest: the layout, idempotence (by content), replacement of a changed capture, crash safety,
failures named per file, worker processes."""

from __future__ import annotations

import json
import os
import shutil

import polars as pl
import pytest

import kit
from kit.errors import DatasetError
from kit.fleet import ingestion as ingest_module
from kit.fleet import layout
from kit.sample.fleet import patch_weekend, renamed
from kit.sample.generator import write
from tests.fleet.conftest import copy_dataset


def test_every_capture_is_ingested_into_host_and_day_partitions(fleet):
    report = fleet.report
    assert report.count("ingested") == len(fleet.files) and not report.failed
    root = fleet.dataset
    assert json.loads((root / "fleet.json").read_text())["version"] == layout.LAYOUT_VERSION
    for outcome in report.outcomes:
        manifest = json.loads((root / "captures" / f"{outcome.key}.json").read_text())
        assert manifest["path"] == outcome.path and (root / "catalog" / f"{outcome.key}.parquet").is_file()
        for part in manifest["parts"]:
            assert part["file"] == f"data/host={part['host']}/date={part['date']}/{outcome.key}.parquet"
            data = pl.read_parquet(root / part["file"])
            assert data.height == part["rows"] and data.columns[0] == "time"
            assert (data["time"].dt.date().cast(pl.String) == part["date"]).all()
    # the migration across midnight UTC is split into two days
    midnight = [o for o in report.outcomes if "across-midnight" in o.path]
    assert all(o.dates == ("2025-03-02", "2025-03-03") for o in midnight)
    assert not (root / ".staging").exists() or not list((root / ".staging").iterdir())


def test_a_capture_already_ingested_is_skipped_by_its_content(fleet, tmp_path):
    root = copy_dataset(fleet, tmp_path / "dataset")
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*.parquet")}
    again = kit.ingest(fleet.files, root, workers=1, progress=False)
    assert again.count("skipped") == len(fleet.files)
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*.parquet")} == before
    copy = tmp_path / "elsewhere.csv"
    shutil.copy(fleet.files[0], copy)
    [outcome] = kit.ingest(copy, root, progress=False).outcomes
    assert outcome.status == "skipped" and f"the same content as {fleet.files[0]}" in outcome.message


def test_a_changed_capture_replaces_its_earlier_version(tmp_path):
    root = tmp_path / "dataset"
    scenario = patch_weekend()[0]
    folder = tmp_path / "captures"
    first = write(scenario, folder)[0]  # HV01.csv of the first drain
    done = kit.ingest(first, root, progress=False).outcomes[0]
    assert done.status == "ingested"
    old = json.loads((root / "captures" / f"{done.key}.json").read_text())
    write(renamed(scenario, seed=scenario.seed + 7), folder)  # the same file, new content
    [outcome] = kit.ingest(first, root, progress=False).outcomes
    assert outcome.status == "replaced" and outcome.replaced == (done.key,)
    assert not (root / "captures" / f"{done.key}.json").exists()
    assert not [p for p in old["parts"] if (root / p["file"]).exists()]
    dataset = kit.open_dataset(root)
    assert dataset.ingested(first) and done.key not in set(dataset.captures["capture"])


def test_a_crash_before_the_manifest_leaves_the_capture_not_ingested(fleet, tmp_path, monkeypatch):
    root = tmp_path / "dataset"
    path = fleet.files[0]

    def crash(*args):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(ingest_module, "write_manifest", crash)
    with pytest.raises(KeyboardInterrupt):
        kit.ingest(path, root, progress=False)
    monkeypatch.undo()
    left = list((root / "data").rglob("*.parquet"))
    assert left  # the data files were moved in before the crash…
    dataset = kit.open_dataset(root)  # …but the dataset reads, without them
    assert dataset.captures.is_empty() and dataset.parts.is_empty() and not dataset.ingested(path)
    assert dataset.scan().collect().is_empty()
    expected = {p.relative_to(root).as_posix() for p in [*left, *(root / "catalog").glob("*.parquet")]}
    assert kit.fleet.vacuum(root) == ()  # young left-overs may be an ingest under way: kept
    assert set(kit.fleet.vacuum(root, older_than_s=0)) == expected
    [outcome] = kit.ingest(path, root, progress=False).outcomes
    assert outcome.status == "ingested" and kit.open_dataset(root).ingested(path)


def test_a_file_that_cannot_be_read_fails_alone_and_is_named(fleet, tmp_path):
    bad = tmp_path / "garbage.csv"
    bad.write_bytes(b"\x00\x01 not a counter log")
    report = kit.ingest([bad, fleet.files[0]], tmp_path / "dataset", workers=1, progress=False)
    failed, good = report.outcomes
    assert failed.status == "failed" and str(bad) in failed.message
    assert good.status == "ingested" and report.failed == (failed,)


def test_worker_processes_write_the_same_dataset(fleet, tmp_path):
    files = fleet.files[:4]
    report = kit.ingest(files, tmp_path / "dataset", workers=2, progress=False)
    assert report.workers == 2 and report.count("ingested") == 4
    mine = {o.key: o for o in fleet.report.outcomes}
    for outcome in report.outcomes:
        assert (outcome.hosts, outcome.dates, outcome.rows) == (
            mine[outcome.key].hosts, mine[outcome.key].dates, mine[outcome.key].rows)


def test_only_a_fleet_dataset_or_an_empty_folder_is_written(tmp_path, fleet):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(DatasetError, match="holds other files and is not a fleet dataset"):
        kit.ingest(fleet.files[0], tmp_path, progress=False)
    root = tmp_path / "old"
    root.mkdir()
    (root / "fleet.json").write_text(json.dumps({"layout": layout.LAYOUT, "version": 99}))
    with pytest.raises(DatasetError, match="layout version 99"):
        kit.ingest(fleet.files[0], root, progress=False)
    with pytest.raises(kit.KitError, match="workers=0"):
        kit.ingest(fleet.files[0], tmp_path / "new", workers=0, progress=False)


def test_partition_values():
    assert layout.partition_host("hv01.lab.local") == "HV01"
    assert layout.partition_host(None) == layout.NO_HOST
    assert layout.host_of_partition(layout.partition_host("a=b/c")) == "A=B/C"
    frame = pl.DataFrame({"host": ["hv02", None, "x/y"]})
    assert frame.select(layout.partition_of("host")).to_series().to_list() == ["HV02", layout.NO_HOST, "X%2FY"]


def test_a_log_with_no_samples_is_kept_as_an_empty_capture_and_said_so(tmp_path):
    empty = tmp_path / "HV09.csv"
    empty.write_text('"(PDH-CSV 4.0) (UTC)(0)","\\\\HV09\\Processor(_Total)\\% Processor Time"\n')
    [outcome] = kit.ingest(empty, tmp_path / "dataset", progress=False).outcomes
    assert outcome.status == "ingested" and outcome.rows == 0 and outcome.dates == ()
    assert str(empty) in outcome.message and "no samples" in outcome.message and "check the collector" in outcome.message
    dataset = kit.open_dataset(tmp_path / "dataset")
    assert dataset.ingested(empty) and dataset.parts.is_empty() and dataset.catalog.height == 1
    assert [w.code for w in dataset.load_warnings] == ["no-data"]
    assert kit.fleet_migrations(dataset, progress=False).table.is_empty()
    assert kit.ingest(empty, tmp_path / "dataset", progress=False).outcomes[0].status == "skipped"


def test_a_script_without_the_main_guard_is_told_what_to_do(fleet, tmp_path):
    """Workers are spawned and import the script: unguarded, the error says to add the guard
    (not a bare BrokenProcessPool), and the dataset holds no capture."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    script = tmp_path / "ingest_all.py"
    files = [str(p) for p in fleet.files[:2]]
    script.write_text(f"import kit\nkit.ingest({files!r}, {str(tmp_path / 'ds')!r}, workers=2, progress=False)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=300, check=False)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("kit.errors.DatasetError") and "worker processes stopped after 0 of 2 files" in last
    assert 'if __name__ == "__main__":' in last and "workers=1" in last
    assert kit.open_dataset(tmp_path / "ds").captures.is_empty()


def test_rows_are_split_by_utc_day_in_order_or_not():
    from datetime import datetime, timedelta, timezone

    start = datetime(2025, 6, 1, 22, 0, tzinfo=timezone.utc)
    frame = pl.DataFrame({"time": [start + timedelta(hours=h) for h in range(30)], "x": range(30)}).with_columns(
        pl.col("time").dt.cast_time_unit("us"))
    in_order = ingest_module._days(frame)  # slices of the frame
    assert {day.isoformat(): part["x"].to_list()[0] for day, part in in_order.items()} == {
        "2025-06-01": 0, "2025-06-02": 2, "2025-06-03": 26}
    assert [p.height for p in in_order.values()] == [2, 24, 4]
    stepped_back = ingest_module._days(frame.reverse())  # a clock that stepped back: grouped instead
    assert {day: part.sort("time").equals(in_order[day]) for day, part in stepped_back.items()} == {
        day: True for day in in_order}
    assert ingest_module._days(frame.head(0)) == {}


def _polars_threads(_: int) -> int:
    return pl.thread_pool_size()


def test_each_worker_runs_one_polars_thread(monkeypatch):
    monkeypatch.setenv("POLARS_MAX_THREADS", "7")
    with ingest_module.spawned_pool(2) as pool:
        assert set(pool.map(_polars_threads, range(4))) == {1}
    assert os.environ["POLARS_MAX_THREADS"] == "7"  # this process's setting is back
