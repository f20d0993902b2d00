"""kit.downsample: extremes survive min/max bucketing, buckets aggregate, widths are readable."""

import time
from datetime import datetime, timedelta, timezone

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from kit.errors import OptionError
from kit.viz.downsample import aggregate, bucket_width, minmax

T0 = datetime(2025, 2, 11, tzinfo=timezone.utc)


def seconds(n: int, **columns) -> pl.DataFrame:
    """A 1-second series of ``n`` samples from T0."""
    time_ = pl.datetime_range(T0, T0 + timedelta(seconds=n - 1), "1s", eager=True, time_zone="UTC")
    return pl.DataFrame({"time": time_, **columns})


def test_minmax_keeps_the_rows_of_each_bucket_extreme():
    frame = seconds(6, a=[1.0, 5.0, 3.0, 2.0, 0.0, 4.0], b=[9.0, 9.0, 9.0, 9.0, 9.0, 9.0])
    out = minmax(frame, every=timedelta(seconds=3), columns=["a"])
    assert_frame_equal(out, frame[[0, 1, 4, 5]])


def test_a_spike_and_a_dip_survive_at_their_times():
    values = np.full(86_400, 5.0)
    values[40_000], values[70_123] = 100.0, -50.0
    frame = seconds(86_400, rate=values)
    out = minmax(frame, every=bucket_width(frame, buckets=500))
    assert out.height <= 2 * 500
    assert out.filter(pl.col("rate") == 100.0)["time"].item() == T0 + timedelta(seconds=40_000)
    assert out.filter(pl.col("rate") == -50.0)["time"].item() == T0 + timedelta(seconds=70_123)


def test_wide_input_keeps_every_columns_extremes_with_the_other_values_at_those_times():
    frame = seconds(4, a=[0.0, 7.0, 1.0, 1.0], b=[3.0, 3.0, 3.0, -2.0])
    out = minmax(frame, every=timedelta(seconds=10))
    assert out["a"].to_list() == [0.0, 7.0, 1.0]
    assert out["b"].to_list() == [3.0, 3.0, -2.0]


def test_long_input_reduces_each_series_on_its_own():
    wide = seconds(10, x=[float(i) for i in range(10)], y=[float(-i) for i in range(10)])
    long = wide.unpivot(index="time", variable_name="nic", value_name="value")
    out = minmax(long, every=timedelta(seconds=5), columns=["value"], by="nic")
    assert out.filter(pl.col("nic") == "x")["value"].to_list() == [0.0, 4.0, 5.0, 9.0]
    assert out.filter(pl.col("nic") == "y")["value"].to_list() == [0.0, -4.0, -5.0, -9.0]


def test_nulls_are_never_an_extreme():
    frame = seconds(4, a=[None, None, None, 2.0])
    out = minmax(frame, every=timedelta(seconds=2))
    assert out["a"].to_list() == [2.0]


def test_aggregate_gives_one_row_per_bucket_with_its_end():
    frame = seconds(6, a=[1.0, 5.0, 3.0, 2.0, 0.0, 4.0])
    out = aggregate(frame, every=timedelta(seconds=3), how="max")
    assert out["a"].to_list() == [5.0, 4.0]
    assert (out["end"] - out["time"]).to_list() == [timedelta(seconds=3)] * 2
    assert aggregate(frame, every=timedelta(seconds=3), how="mean")["a"].to_list() == [3.0, 2.0]
    with pytest.raises(OptionError, match="how must be one of"):
        aggregate(frame, every=timedelta(seconds=3), how="median")


@pytest.mark.parametrize(
    ("span_s", "buckets", "width_s"),
    [(86_399, 500, 300), (86_399, 289, 300), (60, 100, 1), (10, 40, 0.5), (10 * 86_400, 3, 5 * 86_400)],
)
def test_bucket_width_is_readable_and_meets_the_count(span_s, buckets, width_s):
    frame = pl.DataFrame({"time": [T0, T0 + timedelta(seconds=span_s)]})
    width = bucket_width(frame, buckets=buckets)
    assert width == timedelta(seconds=width_s)
    assert span_s / width.total_seconds() + 1 <= buckets


def test_a_million_points_reduce_fast():
    frame = seconds(1_000_000, rate=np.random.default_rng(0).normal(size=1_000_000))
    minmax(frame, every=timedelta(minutes=30))  # warm up
    start = time.perf_counter()
    out = minmax(frame, every=timedelta(minutes=30))
    elapsed = time.perf_counter() - start
    print(f"minmax of 1,000,000 points: {elapsed:.3f} s")
    assert out.height <= 2 * 557
    assert elapsed < 1.0  # typically ~0.015 s; generous for a shared machine
