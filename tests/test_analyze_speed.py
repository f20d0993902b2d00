"""Each log's sample times worked out once (kit.series.Logs) and shared by every analysis."""

from __future__ import annotations

import polars as pl
import pytest
from conftest import ROOT
from handmade import at, write_log
from polars.testing import assert_frame_equal

import kit
from kit import series
from kit.blackout import estimate_blackout, transfer_passes
from kit.cores import core_frame
from kit.errors import OptionError
from kit.nics import host_traffic
from kit.series import Logs, overlaps, rows_where
from kit.windows import find_migrations

SENT = r"\\HV01\Network Interface(nic)\Bytes Sent/sec"
RECEIVED = r"\\HV02\Network Interface(nic)\Bytes Received/sec"
SAMPLE = ROOT / "data" / "smb-multichannel-2x10g"


@pytest.fixture
def joined(tmp_path):
    """HV01 every second; HV02 every 2 s from 0.5 s, missing the sample at 6.5 s."""
    first = write_log(tmp_path, {SENT: [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}, name="HV01.csv")
    second = write_log(tmp_path, {RECEIVED: [10.0, 20.0, 30.0, 40.0]}, name="HV02.csv", offsets_s=[0.5, 2.5, 4.5, 8.5])
    return kit.load([first, second], cache_results=False, progress=False)


def test_frame_is_on_the_columns_own_log(joined):
    logs = Logs.of(joined)
    frame = logs.frame([RECEIVED])
    assert frame.columns == ["time", "prev", "dt_s", "gap", RECEIVED]
    assert frame["time"].to_list() == [at(0.5), at(2.5), at(4.5), at(8.5)]
    assert frame["dt_s"].to_list() == [None, 2.0, 2.0, 4.0]
    assert frame["gap"].to_list() == [False, False, False, True]  # 4 s > 1.5 × the median 2 s
    assert frame[RECEIVED].to_list() == [10.0, 20.0, 30.0, 40.0]
    assert logs.frame([SENT])["dt_s"].to_list() == [None, 1.0, 1.0, 1.0, 1.0, 1.0]


def test_frame_keeps_only_the_samples_asked_for(joined):
    frame = Logs.of(joined).frame([RECEIVED], where=overlaps(at(2), at(5)))
    assert frame["time"].to_list() == [at(2.5), at(4.5), at(8.5)]
    assert frame[RECEIVED].to_list() == [20.0, 30.0, 40.0]


def test_frame_refuses_columns_of_two_logs(joined):
    with pytest.raises(OptionError, match="more than one log"):
        Logs.of(joined).frame([SENT, RECEIVED])


def test_rows_where_is_filter():
    frame = pl.DataFrame({"a": [1, None, 3, 4], "b": [1.0, 2.0, 3.0, 4.0]})
    for where in (pl.col("a") > 2, pl.col("a") > 9, pl.col("b") > 0):
        assert_frame_equal(rows_where(frame, where), frame.filter(where))


def test_analyze_works_out_each_logs_times_once(monkeypatch):
    capture = kit.load(SAMPLE, cache_results=False, progress=False)
    calls = []
    original = series._log_times

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(series, "_log_times", counted)
    kit.analyze(capture)
    assert len(calls) == 1 + len(capture.sources)  # every row, then each log's own rows


def test_given_logs_and_traffic_change_nothing():
    capture = kit.load(SAMPLE, cache_results=False, progress=False)
    logs = Logs.of(capture)
    traffic = host_traffic(capture, logs=logs)
    found = find_migrations(capture)
    assert_frame_equal(find_migrations(capture, logs=logs, traffic=traffic), found)
    window = found.row(0, named=True)
    passes = transfer_passes(capture, window)
    assert_frame_equal(transfer_passes(capture, window, logs=logs), passes)
    alone = estimate_blackout(capture, window)
    shared = estimate_blackout(capture, window, logs=logs, traffic=traffic, passes=passes)
    assert_frame_equal(shared[0], alone[0])
    assert shared[1] == alone[1]
    assert_frame_equal(core_frame(capture, "HV02", logs=logs), core_frame(capture, "HV02"))
