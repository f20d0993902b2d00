"""Blackout bounds from every source (kit/analysis/blackout.py) against generated tests of known truth,
and small hand-made cases whose bounds follow from the sample times by hand."""

from dataclasses import replace
from datetime import timedelta

import polars as pl
import pytest

import kit
from kit.analysis.blackout import estimate_blackout, transfer_passes
from kit.analysis.results import Window
from kit.analysis.windows import find_migrations
from kit.errors import OptionError
from kit.io.side.events import read_events
from kit.io.side.pings import read_pings
from kit.sample import generator as synth
from tests.handmade import at, load_log

EPS = 1e-6
LM = r"\\SRC\Hyper-V VM Live Migration(VM1:VM Live Migration)"
WINDOW = Window(number=1, vm="VM1", instance="VM1:VM Live Migration", source="SRC", destination="DST",
                start=at(0.5), end=at(9.5), duration_s=9.0, resolution_s=0.0, method="given")


def estimate(capture: kit.Capture, window: Window, **options) -> tuple[pl.DataFrame, kit.Blackout]:
    """Every method's bounds as a frame, and the combined blackout."""
    blackout = estimate_blackout(capture, window, passes=transfer_passes(capture, window), **options)
    return blackout.table(), blackout


def first_window(capture: kit.Capture) -> Window:
    return Window.from_row(find_migrations(capture).row(0, named=True))


def small(name: str, **changes) -> synth.Scenario:
    interval = changes.get("interval_s", 1.0)
    edge = max(1.6, 1.5 * interval + 0.1)
    base = dict(vm_memory_gib=4.0, setup_s=edge, teardown_s=edge, idle_before_s=max(20.0, 6 * interval),
                idle_after_s=max(20.0, 6 * interval), side_inputs=synth.SideInputs())
    return replace(synth.BUNDLED[0], name=name, **(base | changes))


def generated(scenario: synth.Scenario, folder):
    synth.write(scenario, folder)
    test = folder / scenario.name
    capture = kit.load([test / "HV01.csv", test / "HV02.csv"], cache_results=False, progress=False)
    truth = synth.generate(scenario).truth
    return capture, truth, test


def contains(frame: pl.DataFrame, value: float) -> pl.DataFrame:
    """The rows whose [lower, upper] misses ``value``."""
    return frame.filter((pl.col("lower_s") > value + EPS) | (pl.col("upper_s") < value - EPS))


@pytest.mark.parametrize("interval_s", [0.5, 1.0, 2.0, 5.0])
@pytest.mark.parametrize("blackout_s", [0.3, 0.6, 1.5])
def test_every_method_holds_the_true_blackout(tmp_path, interval_s, blackout_s):
    scenario = small("grid", interval_s=interval_s, blackout_s=blackout_s, seed=int(100 * interval_s + 10 * blackout_s))
    capture, truth, test = generated(scenario, tmp_path)
    window = first_window(capture)
    assert window.method == "counters"
    events = read_events(test / "events" / "HV01-vmms-admin.xml")
    linux = read_pings(test / "pings" / "ping-linux.txt")
    windows = read_pings(test / "pings" / "ping-windows.txt", utc_offset=truth["side_inputs"]["utc_offset"])
    for pings in (linux, windows):
        methods, combined = estimate(capture, window, pings=pings)
        assert contains(methods, blackout_s).is_empty(), methods
        assert {"is-blackout", "vnic-gap"} <= set(methods["method"])
        proven = "final-pass" in set(methods["method"])
        assert proven or any("not proven the final one" in why for why in combined.lacking)
        assert "ping-gap" in methods["method"] or pings is windows  # a 1 s ping may lose no probe
        assert combined.lower_s - EPS <= blackout_s <= combined.upper_s + EPS
        assert combined.note is None
        # never more precise than the finest sampling at hand (perfmon or the 0.2 s pings)
        assert combined.upper_s - combined.lower_s >= min(interval_s, linux.interval_s) - 0.01
    methods, combined = estimate(capture, window, events=events, pings=linux)
    assert combined.method == "event-20415" and combined.estimate_s == pytest.approx(blackout_s)
    assert (combined.lower_s, combined.upper_s) == pytest.approx((blackout_s - 0.05, blackout_s + 0.05))
    assert contains(methods, blackout_s).is_empty()


def test_with_one_second_samples_a_short_blackout_is_at_most_about_a_second(tmp_path):
    capture, _, _ = generated(small("short", blackout_s=0.3, seed=5, side_inputs=None), tmp_path)
    window = first_window(capture)
    methods, _ = estimate(capture, window)
    row = methods.filter(pl.col("method") == "is-blackout").row(0, named=True)
    assert row["lower_s"] == 0 and 1.0 <= row["upper_s"] <= 2.05
    assert "at most" in row["basis"] or "less than" in row["basis"]


def test_two_clocks_use_the_offset(tmp_path):
    scenario = small("clocks", clock_offset_s=3.4, blackout_s=0.6, seed=9)
    capture, truth, test = generated(scenario, tmp_path)
    m = truth["migrations"][0]
    span = pl.Series([m["start_utc"], m["end_utc"]]).str.to_datetime(time_zone="UTC")
    window = Window(number=1, vm=m["vm"], instance=m["lm_instance"], source="HV01", destination="HV02",
                    start=span[0], end=span[1], duration_s=m["duration_s"], resolution_s=0.0, method="given")
    methods, combined = estimate(capture, window)
    vnic = methods.filter(pl.col("method") == "vnic-gap").row(0, named=True)
    assert "offset +3." in vnic["basis"]
    assert contains(methods, 0.6).is_empty()
    assert list(combined.lacking) == [
        "event-20415: no Hyper-V event log given",
        "tail-burst: the final pass is not set apart from the earlier passes at this sampling interval",
        "ping-gap: no ping log given",
    ]


def test_transfer_passes_match_the_truth(tmp_path):
    scenario = small("passes", interval_s=0.5, dirty_rate_mb_s=600.0, seed=21, side_inputs=None)
    capture, truth, _ = generated(scenario, tmp_path)
    window = first_window(capture)
    passes = transfer_passes(capture, window)
    expected = truth["migrations"][0]["passes"]
    assert passes["number"].to_list() == [p["number"] for p in expected]
    seen = passes.filter(pl.col("seen"))
    assert seen.height >= 2 and seen["number"][0] == 1
    for row in seen.iter_rows(named=True):
        assert row["dirty_pages"] == expected[row["number"] - 1]["dirty_pages"]
    assert passes["final"].to_list() == [p["blackout"] for p in expected]
    assert passes.filter(pl.col("converging").is_not_null())["converging"].all()  # shrinking passes
    assert passes["bytes"].sum() == pytest.approx(sum(p["bytes"] for p in expected), rel=1e-6)
    first = passes.row(0, named=True)
    true_start = pl.Series([expected[0]["start_utc"]]).str.to_datetime(time_zone="UTC")[0]
    assert abs((first["start"] - true_start).total_seconds()) <= first["start_resolution_s"] + 1e-3


def test_a_pass_that_stops_shrinking_is_not_converging(tmp_path):
    pages = [16e6, 16e6, 8e6, 8e6, 9e6, 9e6, 2e5, 2e5]
    capture = load_log(tmp_path, {
        LM + r"\Transfer Pass: Number": [0, 1, 1, 2, 2, 3, 3, 4, 4, 4],
        LM + r"\Transfer pass: Dirty Page Count": [0, *pages, 2e5],
    })
    passes = transfer_passes(capture, WINDOW)
    assert passes["converging"].to_list() == [None, True, False, True]
    assert passes["duration_s"].to_list()[:3] == pytest.approx([2.0, 2.0, 2.0])  # starts 0.5, 2.5, 4.5, 6.5 s
    # nothing proves pass 4 the last: no 'Is blackout', no transport counter gone quiet
    assert passes["duration_s"][3] is None and passes["final"].to_list() == [False, False, False, None]


@pytest.mark.parametrize(
    ("flags", "lower", "upper"),
    [
        ([0, 0, 0, 1, 1, 0, 0, 0, 0, 0], 1.0, 3.0),  # seen twice: (2-1)·1 s … (2+1)·1 s
        ([0, 0, 0, 1, 0, 0, 0, 0, 0, 0], 0.0, 2.0),  # seen once: at most 2 s
        ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0.0, 1.0),  # never seen: fitted between two samples
    ],
)
def test_is_blackout_bounds_by_hand(tmp_path, flags, lower, upper):
    capture = load_log(tmp_path, {LM + r"\Transfer Pass: Is blackout": flags})
    methods, combined = estimate(capture, WINDOW)
    row = methods.filter(pl.col("method") == "is-blackout").row(0, named=True)
    assert (row["lower_s"], row["upper_s"]) == pytest.approx((lower, upper))
    assert combined.method == "is-blackout" and combined.estimate_s == pytest.approx((lower + upper) / 2)


def test_ping_gap_by_hand(tmp_path):
    """Linux ping every 0.2 s: probes 4-6 lost between the replies at 0.4 s and 1.2 s."""
    lines = ["PING 10.0.0.5 (10.0.0.5) 56(84) bytes of data."]
    for seq in range(1, 12):
        t = 1739268000 + 0.2 * (seq - 1)
        lost = 4 <= seq <= 6
        lines.append(f"[{t:.6f}] " + (f"no answer yet for icmp_seq={seq}" if lost else
                                       f"64 bytes from 10.0.0.5: icmp_seq={seq} ttl=64 time=0.500 ms"))
    path = tmp_path / "ping.txt"
    path.write_text("\n".join(lines) + "\n")
    pings = read_pings(path)
    capture = load_log(tmp_path, {LM + r"\Transfer Pass: Is blackout": [0.0] * 10})
    start = pings.table["time"][0]
    window = replace(WINDOW, start=start - timedelta(seconds=1), end=start + timedelta(seconds=3))
    methods, _ = estimate(capture, window, pings=pings, network_relearn_s=0.1)
    row = methods.filter(pl.col("method") == "ping-gap").row(0, named=True)
    assert row["upper_s"] == pytest.approx(1.2 - 0.4 + 0.001 + 0.0005, abs=1e-6)  # replies at 0.4 s and 1.2 s
    assert row["lower_s"] == pytest.approx(2 * 0.2 - 0.1, abs=1e-3)


def test_without_inputs_every_method_says_what_it_lacked(tmp_path):
    capture = load_log(tmp_path, {r"\\SRC\Memory\Available MBytes": [1.0] * 10})
    methods, combined = estimate(capture, WINDOW)
    assert methods.is_empty() and combined.estimate_s is None and combined.method is None
    assert [why.split(":")[0] for why in combined.lacking] == [
        "event-20415", "is-blackout", "final-pass", "tail-burst", "vnic-gap", "ping-gap",
    ]
    with pytest.raises(OptionError, match="must be >= 0"):
        estimate(capture, WINDOW, network_relearn_s=-1)


def test_methods_that_disagree_leave_a_note(tmp_path):
    events = read_events(tmp_path_events(tmp_path))
    capture = load_log(tmp_path, {LM + r"\Transfer Pass: Is blackout": [0, 0, 0, 1, 1, 1, 1, 0, 0, 0]})
    methods, combined = estimate(capture, WINDOW, events=events)
    assert combined.method == "event-20415" and combined.estimate_s == 0.5
    assert "outside" in combined.note  # 'Is blackout' says 3-5 s


def tmp_path_events(folder):
    xml = (
        '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><EventID>20415</EventID>'
        f'<TimeCreated SystemTime="{at(9).strftime("%Y-%m-%dT%H:%M:%S.%f")}0Z"/><Computer>src</Computer></System>'
        '<UserData><VmlEventLog xmlns="http://www.microsoft.com/Windows/Virtualization/Events"><Parameter0>VM1'
        '</Parameter0><Parameter1>4D732113-45C5-456D-AE45-0A6043728926</Parameter1><Parameter2>0.5</Parameter2>'
        "</VmlEventLog></UserData></Event>"
    )
    path = folder / "events.xml"
    path.write_text(xml)
    return path


def test_the_last_pass_seen_is_not_taken_for_the_final_pass(tmp_path):
    """Issue 13 §2: pass 3 (964 MB) was the last seen, the short final passes fell between samples:
    the kit said 'at least 0.70 s' where the truth was 0.45 s. Only a proven final pass bounds it."""
    nic = r"\\SRC\Network Interface(nic)"
    pages = 964e6 / 4096
    columns = {
        LM + r"\Transfer Pass: Number": [0, 1, 1, 1, 1, 2, 2, 3, None, None],
        LM + r"\Transfer pass: Dirty Page Count": [0, 4e6, 4e6, 4e6, 4e6, 1e6, 1e6, pages, None, None],
        LM + r"\Transfer Pass: Is blackout": [0, 0, 0, 0, 0, 0, 0, 0, None, None],
        LM + r"\SMB Transport: Bytes Sent/sec": [None, 1e9, 1e9, 1e9, 1e9, 1e9, 1e9, 1e9, None, None],
        nic + r"\Bytes Sent/sec": [None, 1e9, 1e9, 1e9, 1e9, 1e9, 1e9, 1e9, 2e8, 0],
        nic + r"\Current Bandwidth": [10e9] * 10,
    }
    capture = load_log(tmp_path, columns)
    methods, combined = estimate(capture, WINDOW)
    assert "final-pass" not in methods["method"].to_list()
    assert any("the last pass seen (3) is not proven the final one" in why for why in combined.lacking)
    assert combined.lower_s <= 0.45 <= combined.upper_s  # is-blackout: seen in no sample, at most 1 s
    columns[LM + r"\Transfer Pass: Is blackout"] = [0, 0, 0, 0, 0, 0, 0, 1, None, None]
    proven = load_log(tmp_path, columns, name="proven.csv")
    methods, combined = estimate(proven, WINDOW)
    row = methods.filter(pl.col("method") == "final-pass").row(0, named=True)
    assert row["lower_s"] == pytest.approx(964e6 / 1.25e9, rel=1e-3) and "'Is blackout' read 1 in it" in row["basis"]


def test_disagreeing_methods_are_named_with_ordered_intervals():
    from kit.analysis.blackout import _combine
    from kit.analysis.results import BlackoutMethod

    combined = _combine((BlackoutMethod("final-pass", 0.99, 0.99, None, "a"), BlackoutMethod("ping-gap", 0.5, 0.3, 0.7, "b")), ())
    assert "final-pass allows at least 0.99 s but ping-gap 0.30–0.70 s" in combined.note
    assert combined.lower_s <= combined.upper_s
    event = BlackoutMethod("event-20415", 0.4, 0.35, 0.45, "e")
    noted = _combine((event, BlackoutMethod("final-pass", 0.7, 0.7, None, "a"), BlackoutMethod("is-blackout", 0.99, 0.0, 1.98, "b")), ())
    assert noted.note.startswith("the event's 0.4 s lies outside final-pass's at least 0.70 s:")
    assert "0.99–0.70" not in noted.note
