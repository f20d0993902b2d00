"""The time base (kit/inputs/timebase.py): each log's sample times, intervals and gaps worked out
once per capture, and the one rate × interval rule, checked on logs whose answers follow by hand."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import kit
from kit.analysis.nics import host_traffic
from kit.errors import OptionError
from kit.inputs import timebase
from kit.inputs.timebase import GAP_FACTOR, amount, gaps, median_interval_s, overlaps, rows_where
from kit.sample import sample_test
from tests.handmade import at, load_log, write_log

SENT = r"\\HV01\Network Interface(nic)\Bytes Sent/sec"
RECEIVED = r"\\HV02\Network Interface(nic)\Bytes Received/sec"


@pytest.fixture
def joined(tmp_path):
    """HV01 every second; HV02 every 2 s from 0.5 s, missing the sample at 6.5 s."""
    first = write_log(tmp_path, {SENT: [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}, name="HV01.csv")
    second = write_log(tmp_path, {RECEIVED: [10.0, 20.0, 30.0, 40.0]}, name="HV02.csv", offsets_s=[0.5, 2.5, 4.5, 8.5])
    return kit.load([first, second], cache_results=False, progress=False)


def test_frame_is_on_the_columns_own_log(joined):
    base = joined.timebase
    frame = base.frame([RECEIVED])
    assert frame.columns == ["time", "prev", "dt_s", "gap", RECEIVED]
    assert frame["time"].to_list() == [at(0.5), at(2.5), at(4.5), at(8.5)]
    assert frame["dt_s"].to_list() == [None, 2.0, 2.0, 4.0]
    assert frame["gap"].to_list() == [False, False, False, True]  # 4 s > 1.5 × the median 2 s
    assert frame[RECEIVED].to_list() == [10.0, 20.0, 30.0, 40.0]
    assert base.frame([SENT])["dt_s"].to_list() == [None, 1.0, 1.0, 1.0, 1.0, 1.0]


def test_each_log_has_its_own_interval_and_the_capture_the_smallest(joined):
    base = joined.timebase
    assert base.log([SENT]).interval_s == 1.0 and base.log([RECEIVED]).interval_s == 2.0
    assert base.interval_s == joined.interval_s == 1.0  # not the 0.5 s between the two logs' rows


def test_gaps_are_defined_once(joined):
    frame = joined.timebase.frame([RECEIVED])
    [gap] = gaps(frame).to_dicts()
    assert gap == {"start": at(4.5), "end": at(8.5), "seconds": 4.0}
    assert 4.0 > GAP_FACTOR * 2.0


def test_frame_keeps_only_the_samples_asked_for(joined):
    frame = joined.timebase.frame([RECEIVED], where=overlaps(at(2), at(5)))
    assert frame["time"].to_list() == [at(2.5), at(4.5), at(8.5)]
    assert frame[RECEIVED].to_list() == [20.0, 30.0, 40.0]


def test_a_column_in_pieces_is_read_as_one_and_kept(joined):
    """A CSV parse leaves columns in pieces; frame() reads each column once joined (the same values)."""
    pieces = pl.concat([joined.data.slice(0, 3), joined.data.slice(3)], rechunk=False)
    assert pieces[RECEIVED].n_chunks() == 2
    base = timebase.TimeBase.of(pieces, joined.catalog, joined.log_times)
    frame = base.frame([RECEIVED], where=overlaps(at(2), at(5)))
    assert_frame_equal(frame, joined.timebase.frame([RECEIVED], where=overlaps(at(2), at(5))))
    assert list(base.contiguous) == [RECEIVED] and base.contiguous[RECEIVED].n_chunks() == 1
    assert base.frame([RECEIVED])[RECEIVED].to_list() == [10.0, 20.0, 30.0, 40.0]


def test_frame_refuses_columns_of_two_logs(joined):
    with pytest.raises(OptionError, match="more than one log"):
        joined.timebase.frame([SENT, RECEIVED])


def test_amount_is_rate_times_interval_with_blanks_as_zero(joined):
    frame = joined.timebase.frame([RECEIVED])
    assert frame.select(amount(RECEIVED)).to_series().to_list() == [0.0, 40.0, 60.0, 160.0]
    blank = pl.DataFrame({"rate": [5.0, None, 5.0], "dt_s": [1.0, 1.0, None]})
    assert blank.select(amount("rate").sum()).item() == 5.0


def test_median_interval_ignores_repeated_times():
    times = pl.Series([at(0), at(1), at(1), at(2), at(4)])
    assert median_interval_s(times) == 1.0
    assert median_interval_s(pl.Series([at(0)])) is None
    assert median_interval_s(pl.Series([], dtype=pl.Datetime("us", "UTC"))) is None


def test_rows_where_is_filter():
    frame = pl.DataFrame({"a": [1, None, 3, 4], "b": [1.0, 2.0, 3.0, 4.0]})
    for where in (pl.col("a") > 2, pl.col("a") > 9, pl.col("b") > 0):
        assert_frame_equal(rows_where(frame, where), frame.filter(where))


def test_one_log_is_its_own_time_base(tmp_path):
    capture = load_log(tmp_path, {SENT: [1.0, 2.0, 3.0]}, interval_s=0.5)
    assert capture.timebase.log([SENT]).interval_s == capture.interval_s == 0.5
    assert capture.timebase.frame([])["time"].to_list() == [at(0), at(0.5), at(1.0)]


def test_analyze_works_out_each_logs_times_once(monkeypatch):
    capture = kit.load(sample_test(), cache_results=False, progress=False)
    calls: list[datetime] = []
    original = timebase._log

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(timebase, "_log", counted)
    kit.analyze(capture)
    assert len(calls) == 1 + len(capture.sources)  # every row, then each log's own rows
    kit.analyze(capture)
    assert len(calls) == 1 + len(capture.sources)  # kept on the capture


def test_derived_views_are_computed_once_per_capture():
    capture = kit.load(sample_test(), cache_results=False, progress=False)
    assert host_traffic(capture) is host_traffic(capture)
    shifted = kit.Capture(capture.data, capture.catalog, capture.sources, capture.warnings, capture.log_times)
    assert host_traffic(shifted) is not host_traffic(capture)  # a new capture has views of its own
