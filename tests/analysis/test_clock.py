"""Two hosts, one clock: the offset recovered from the traffic, and one host moved onto the other's clock."""

from dataclasses import replace
from datetime import timedelta

import polars as pl
import pytest

import kit
from kit.analysis.clock import clock_offset, shift_host
from kit.errors import OptionError
from kit.sample import generator as synth
from tests.handmade import load_log


def small(name: str, **changes) -> synth.Scenario:
    """A quick SMB 2 x 10 GbE test: one 4 GiB VM, setup and teardown longer than an interval."""
    interval = changes.get("interval_s", 1.0)
    edge = max(1.6, 1.5 * interval + 0.1)
    base = dict(vm_memory_gib=4.0, setup_s=edge, teardown_s=edge, idle_before_s=max(20.0, 6 * interval),
                idle_after_s=max(20.0, 6 * interval))
    return replace(synth.BUNDLED[0], name=name, **(base | changes))


def load(scenario: synth.Scenario, folder) -> kit.Capture:
    synth.write(scenario, folder)
    return kit.load(folder / scenario.name, cache_results=False, progress=False)


@pytest.mark.parametrize("interval_s", [0.5, 1.0, 2.0, 5.0])
@pytest.mark.parametrize("offset_s", [0.0, 3.4, -7.25])
def test_offset_is_recovered_within_its_uncertainty(tmp_path, interval_s, offset_s):
    capture = load(small("clock", interval_s=interval_s, clock_offset_s=offset_s, seed=7), tmp_path)
    found = clock_offset(capture, "HV01", "HV02")
    assert found.reason is None and found.method == "cumulative-bytes"
    assert abs(found.offset_s - offset_s) <= found.uncertainty_s
    assert found.uncertainty_s <= 1.1 * interval_s  # about an interval at worst
    assert found.samples > 10 and found.bytes > 4e9


@pytest.mark.parametrize("offset_s", [3.4, -7.25])
def test_fit_is_sub_interval_at_one_second(tmp_path, offset_s):
    capture = load(small("fine", clock_offset_s=offset_s, seed=11), tmp_path)
    found = clock_offset(capture, "HV01", "HV02")
    assert abs(found.offset_s - offset_s) < 0.1
    assert found.standard_error_s < 0.1


def test_a_window_on_either_clock_finds_its_migration(tmp_path):
    scenario = replace(synth.SEEDS["drain-6-sequential-smb-2x10g"], clock_offset_s=-7.25)
    capture = load(scenario, tmp_path)
    truth = synth.generate(scenario).truth["migrations"][2]
    start = pl.Series([truth["start_utc"], truth["end_utc"]]).str.to_datetime(time_zone="UTC")
    for shift in (0.0, -7.25):  # the window read on the source's and on the destination's clock
        found = clock_offset(capture, "HV01", "HV02", window=(start[0] + timedelta(seconds=shift), start[1]))
        assert abs(found.offset_s + 7.25) <= found.uncertainty_s


def test_shift_host_puts_both_hosts_on_one_axis(tmp_path):
    capture = load(small("shift", clock_offset_s=3.4, seed=3), tmp_path)
    found = clock_offset(capture, "HV01", "HV02")
    moved = shift_host(capture, "HV02", found.offset_s)
    again = clock_offset(moved, "HV01", "HV02")
    assert abs(again.offset_s) <= again.uncertainty_s
    hv02 = next(s for s in moved.sources if "HV02" in s.hosts)
    before = next(s for s in capture.sources if "HV02" in s.hosts)
    assert (before.start - hv02.start).total_seconds() == pytest.approx(found.offset_s, abs=1e-6)
    assert moved.data.width == capture.data.width and moved.catalog.equals(capture.catalog)
    column = capture.columns(host="HV02", object="Network Interface", counter="Bytes Received/sec")[0]
    assert moved.data[column].drop_nulls().to_list() == capture.data[column].drop_nulls().to_list()


def test_hand_made_step_is_aligned(tmp_path):
    """A burst of 1 GB/s for 10 s seen 2.5 s later on the destination's clock (1 s samples)."""
    sent = [0.0] * 10 + [1e9] * 10 + [0.0] * 15
    received = [0.0] * 12 + [0.5e9] + [1e9] * 9 + [0.5e9] + [0.0] * 12
    capture = load_log(tmp_path, {
        r"\\SRC\Network Interface(nic)\Bytes Sent/sec": sent,
        r"\\SRC\Network Interface(nic)\Bytes Received/sec": [0.0] * 35,
        r"\\DST\Network Interface(nic)\Bytes Received/sec": received,
        r"\\DST\Network Interface(nic)\Bytes Sent/sec": [0.0] * 35,
    })
    found = clock_offset(capture, "SRC", "DST")
    assert found.offset_s == pytest.approx(2.5, abs=0.05)
    assert abs(found.offset_s - 2.5) <= found.uncertainty_s <= 1.0


def test_missing_traffic_says_why(tmp_path):
    capture = load_log(tmp_path, {r"\\SRC\Network Interface(nic)\Bytes Sent/sec": [0.0] * 5,
                                  r"\\DST\Memory\Available MBytes": [1.0] * 5})
    found = clock_offset(capture, "SRC", "DST")
    assert found.offset_s is None and "DST" in found.reason
    with pytest.raises(OptionError, match="give two hosts"):
        clock_offset(capture, "SRC", "SRC")
    with pytest.raises(OptionError, match="no host 'NOPE'"):
        shift_host(capture, "NOPE", 1.0)
