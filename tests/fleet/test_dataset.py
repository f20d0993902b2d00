"""Open lazily: pruning by host, day, counter and time; a capture made as kit.load makes it."""

from __future__ import annotations

from datetime import datetime, timezone

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import kit
from kit.errors import DatasetError, OptionError
from tests.fleet.conftest import copy_dataset


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_the_dataset_describes_what_was_ingested(fleet):
    dataset = kit.open_dataset(fleet.dataset)
    assert dataset.hosts == ["HV01", "HV02", "HV03", "HV04"]
    assert dataset.captures.height == len(fleet.files) and not dataset.warnings
    assert set(dataset.parts["date"].cast(pl.String)) == {"2025-03-01", "2025-03-02", "2025-03-03"}
    assert dataset.start == min(s.start for s in dataset.sources)
    assert dataset.columns(object="Network Interface", counter="Bytes Sent/sec", host="HV01")
    assert isinstance(dataset.data, pl.LazyFrame)


def test_a_scan_reads_only_the_hosts_days_counters_and_times_asked(fleet):
    dataset = kit.open_dataset(fleet.dataset)
    start, end = utc(2025, 3, 1, 2, 12), utc(2025, 3, 1, 2, 13)
    scan = dataset.scan(hosts=["hv02"], start=start, end=end, counters=[r"\Network Interface(*)\Bytes Received/sec"])
    frame = scan.collect()
    assert frame["host"].unique().to_list() == ["HV02"]
    assert frame["time"].min() >= start and frame["time"].max() <= end and frame.height > 30
    assert [c for c in frame.columns if c not in ("time", "host", "capture")] == dataset.columns(
        object="Network Interface", counter="Bytes Received/sec", host="HV02")
    # only the files of that host and time are opened
    files = dataset.select_parts(hosts=["HV02"], start=start, end=end)["file"].to_list()
    assert len(files) == 1 and "host=HV02/date=2025-03-01" in files[0]
    assert dataset.scan(hosts=["HV09"]).collect().is_empty()


@pytest.mark.parametrize("scenario", ["cau-hv01-to-hv02", "other-zone-clock-ahead", "across-midnight"])
def test_a_capture_of_the_dataset_is_what_kit_load_makes(fleet, scenario):
    files = sorted((fleet.source / scenario).glob("*.csv"))
    loaded = kit.load(files, cache_results=False, progress=False)
    dataset = kit.open_dataset(fleet.dataset)
    keys = [o.key for o in fleet.report.outcomes if o.path in {str(f) for f in files}]
    made = dataset.capture(hosts=loaded.hosts, captures=keys)
    assert_frame_equal(made.data, loaded.data)
    assert_frame_equal(made.catalog, loaded.catalog)
    assert made.sources == loaded.sources and set(made.warnings) == set(loaded.warnings)
    assert made.log_times.keys() == loaded.log_times.keys()
    for key, times in loaded.log_times.items():
        assert made.log_times[key].equals(times)


def test_one_hosts_captures_are_stacked_in_time(fleet):
    dataset = kit.open_dataset(fleet.dataset)
    capture = dataset.capture(hosts="HV01", start=utc(2025, 3, 1), end=utc(2025, 3, 3))
    assert capture.hosts == ["HV01"] and capture.data["time"].is_sorted()
    assert len(capture.sources) == dataset.captures.filter(pl.col("hosts").list.contains("HV01")).height


def test_nothing_in_range_is_an_error_that_says_so(fleet):
    dataset = kit.open_dataset(fleet.dataset)
    with pytest.raises(OptionError, match="no samples of HV01"):
        dataset.capture(hosts="HV01", start=utc(2030, 1, 1), end=utc(2030, 1, 2))
    with pytest.raises(OptionError, match="is before start"):
        dataset.scan(start=utc(2025, 3, 2), end=utc(2025, 3, 1))
    with pytest.raises(DatasetError, match="no such dataset folder"):
        kit.open_dataset(fleet.dataset / "nowhere")


def test_a_capture_missing_a_file_is_left_out_and_named(fleet, tmp_path):
    root = copy_dataset(fleet, tmp_path / "dataset")
    victim = min((root / "data").rglob("*.parquet"))
    victim.unlink()
    dataset = kit.open_dataset(root)
    assert dataset.captures.height == len(fleet.files) - 1
    [warning] = dataset.warnings
    assert warning.code == "dataset-problem" and "ingest it again" in warning.message


def test_a_file_of_many_hosts_is_split_by_host_and_made_whole_again(tmp_path):
    from tests.conftest import REALDATA

    path = REALDATA / "pst_badcountersamples_2007_processor_multihost.blg"
    if not path.is_file():
        pytest.skip("needs ../shared/realdata")
    loaded = kit.load(path, cache_results=False, progress=False)
    [outcome] = kit.ingest(path, tmp_path / "ds", progress=False).outcomes
    assert len(outcome.hosts) == len(loaded.hosts) == 26
    made = kit.open_dataset(tmp_path / "ds").capture()
    assert_frame_equal(made.data, loaded.data)
    assert_frame_equal(made.catalog, loaded.catalog)
