"""The capture (kit/inputs/capture.py): lookups, selection, the long form, and views kept on it."""

from __future__ import annotations

import dataclasses

import polars as pl
import pytest

from kit.errors import OptionError
from kit.inputs.capture import per_capture
from tests.handmade import at, load_log

NIC = r"\\HV01\Network Interface(nic)\Bytes Sent/sec"
DPC = r"\\HV01\Processor Information(0,1)\% DPC Time"


@pytest.fixture
def capture(tmp_path):
    return load_log(tmp_path, {NIC: [None, 2.0, 3.0], DPC: [5.0, 6.0, None]})


def test_what_it_holds(capture):
    assert capture.hosts == ["HV01"]
    assert (capture.start, capture.end, capture.interval_s) == (at(0), at(2), 1.0)
    assert capture.columns(object="network interface", counter="BYTES SENT/SEC") == [NIC]
    assert capture.lookup(object=("Processor Information", "Processor"))["instance"].to_list() == ["0,1"]
    assert capture.columns(host="HV02") == []


def test_select_and_long(capture):
    one = capture.select([DPC])
    assert one.data.columns == ["time", DPC] and one.catalog["column"].to_list() == [DPC]
    with pytest.raises(OptionError, match="not columns of this capture"):
        capture.select(["nope"])
    long = capture.long([NIC])
    assert long.height == 3 and long["value"].to_list() == [None, 2.0, 3.0]
    assert long["counter_en"].unique().to_list() == ["Bytes Sent/sec"]


def test_views_are_kept_on_the_capture_and_not_on_a_changed_one(capture):
    calls = []

    @per_capture
    def view(c):
        calls.append(1)
        return c.data.height

    assert view(capture) == view(capture) == 3 and len(calls) == 1
    assert capture.timebase is capture.timebase
    shorter = dataclasses.replace(capture, data=capture.data.head(2))
    assert view(shorter) == 2 and len(calls) == 2
    assert shorter.timebase is not capture.timebase and shorter.end == at(1)
    assert isinstance(shorter.data, pl.DataFrame)
