"""The native .blg reader (kit/io/perfmon/blg*.py, docs/blg-format.md): the real logs in
../shared/realdata against their relog twins and PowerShell's own assertions, every structure
cross-checked on all three, and synthetic logs (kit.io.perfmon.blg_writer) for what the real ones
do not show: formulas of every counter type, instances that come and go, DST, cut-off and damaged
files."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import kit
from kit.errors import HeaderError, UnsupportedFormatError
from kit.io.perfmon import blg_layout
from kit.io.perfmon import blg_writer as W
from tests.conftest import REALDATA

TWIN = REALDATA / "pst_exportcounter_lowercase_nic_3s"
BAD = REALDATA / "pst_badcountersamples_2007_processor_multihost.blg"
PAL = REALDATA / "pal_samplelog_systemoverview.blg"
REAL = [TWIN.with_suffix(".blg"), BAD, PAL]
real = pytest.mark.skipif(not REALDATA.exists(), reason="no ../shared/realdata")
HOST = "\\\\HV01"


def load(path, **options):
    return kit.load(path, cache_results=False, progress=False, **options)


def codes(capture) -> set[str]:
    return {w.code for w in capture.warnings}


def structure(path: Path):
    data = path.read_bytes()
    header = blg_layout.read_header(data, path)
    return data, header, blg_layout.walk(data, header, path)


# -- the real logs --------------------------------------------------------------------------------


@real
@pytest.mark.parametrize("twin", [".csv", ".tsv"])
def test_the_blg_and_its_relog_twin_load_to_equal_captures(twin):
    blg, text = load(TWIN.with_suffix(".blg")), load(TWIN.with_suffix(twin))
    assert blg.data.columns == text.data.columns
    assert blg.catalog.drop("source").equals(text.catalog.drop("source"))
    assert blg.data["time"].equals(text.data["time"])
    for column in blg.data.columns[1:]:
        ours, theirs = blg.data[column].to_numpy(), text.data[column].to_numpy()
        assert (np.isnan(ours) == np.isnan(theirs)).all(), column  # blanks (the first rate sample) alike
        both = ~np.isnan(theirs)
        assert ours[both] == pytest.approx(theirs[both], rel=1e-12, abs=0), column
    assert codes(blg) == codes(text) == {"blank-first-row"}
    assert blg.sources[0].bias_minutes == text.sources[0].bias_minutes == 480


@real
def test_powershell_asserted_count_and_times():
    capture = load(TWIN.with_suffix(".blg"))
    local = capture.data["time"].dt.replace_time_zone(None) - timedelta(minutes=capture.sources[0].bias_minutes)
    assert capture.data.height == 25 == capture.sources[0].samples
    assert local.min() == datetime(2016, 11, 26, 13, 46, 30, 874000)
    assert local.max() == datetime(2016, 11, 26, 13, 47, 42, 983000)


@real
def test_bad_samples_are_reported_and_nothing_else_is_lost():
    capture = load(BAD)
    assert capture.data.height == 275 == capture.sources[0].samples and capture.catalog.height == 26
    assert not any(w.skipped_lines for w in capture.warnings)  # every sample set is there
    [status] = [w for w in capture.warnings if w.code == "status-not-ok"]
    assert "52 value(s)" in status.message and "PDH_CSTATUS_NO_MACHINE" in status.message
    assert "samples 83, 84, 152, 227, 228" in status.message  # PowerShell's 5 errors: these 5 sample sets
    assert capture.sources[0].zone_name == "SA Eastern Standard Time" and capture.sources[0].bias_minutes == 180
    values = capture.data.drop("time")
    assert values.null_count().sum_horizontal()[0] > 0
    finite = values.select(pl.all().drop_nulls().max()).row(0)
    assert all(v is None or 0 <= v <= 100 for v in finite)  # negative results are blanked, not shown


@real
def test_the_pal_log_loads_with_plausible_values():
    capture = load(PAL)
    info = capture.sources[0]
    assert capture.data.height == 11 and info.bias_minutes == 240  # Eastern, DST in August, by the file's rules
    gaps = capture.data["time"].diff().dt.total_milliseconds().drop_nulls() / 1000
    assert gaps.min() > 59 and gaps.max() < 61
    data = capture.data
    cpu = [c for c in data.columns if "\\Processor(" in c and "%" in c]
    assert cpu and all(0 <= data[c].min() and data[c].max() <= 100 for c in cpu if data[c].drop_nulls().len())
    percent = [c for c in data.columns if "\\%" in c and data[c].drop_nulls().len()]
    assert len(percent) > 200 and all(data[c].min() >= 0 for c in percent)
    over = {c.split("\\")[3] + ":" + c.split("\\")[-1] for c in percent if data[c].max() > 100}
    assert over == {f"{disk}:{counter}" for disk in ("LogicalDisk(C:)", "LogicalDisk(_Total)", "PhysicalDisk(0 C:)",
                                                       "PhysicalDisk(_Total)")
                    for counter in ("% Disk Time", "% Disk Read Time")} | {"LogicalDisk(HarddiskVolume1):% Idle Time"}
    assert data["\\\\ZACH-PC\\LogicalDisk(HarddiskVolume1)\\% Idle Time"].max() < 100.3  # sampled a moment apart
    disk = "\\\\ZACH-PC\\PhysicalDisk(0 C:)\\"
    ratio = (data[disk + "% Disk Time"] / (100 * data[disk + "Avg. Disk Queue Length"])).drop_nulls()
    assert (ratio - 1).abs().max() < 2e-5  # over 100: a queue of more than one request
    for instance in ("0", "_Total"):
        total, user, privileged = (data[f"{HOST[:2]}ZACH-PC\\Processor({instance})\\{c}"] for c in
                                   ("% Processor Time", "% User Time", "% Privileged Time"))
        assert (total - user - privileged).drop_nulls().abs().max() < 0.1  # three counters, each rounded
    memory = data["\\\\ZACH-PC\\Memory\\% Committed Bytes In Use"]
    assert memory.min() > 0 and memory.max() < 100
    assert 40 <= data["\\\\ZACH-PC\\System\\Processes"].min() and data["\\\\ZACH-PC\\System\\Processes"].max() <= 60
    processes = capture.catalog.filter(pl.col("object") == "Process")
    assert {"Idle", "System", "svchost"} <= set(processes["instance"])
    assert processes.filter(pl.col("instance") == "svchost")["index"].drop_nulls().unique().to_list()[:2] == [1, 2]
    assert "unsupported-counter-type" in codes(capture)  # Process\Elapsed Time: left out, reported


@real
@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name)
def test_structures_cross_check_on_every_real_log(path):
    data, header, records = structure(path)
    assert len(data) % header.buffer_size == 0 and len(data) // header.buffer_size == header.buffers_written
    assert header.buffer_size == 65536 and records.cut is None
    assert header.logger_name == str(__import__("uuid").UUID(bytes_le=header.session))
    for kind in blg_layout.KINDS:
        assert blg_layout.assemble(records, kind).ok.all()
    samples = blg_layout.assemble(records, blg_layout.SAMPLE)
    assert (np.diff(records.time[samples.first]) > 0).all()  # local sample times increase
    capture = load(path)
    assert capture.data.height == samples.first.size


@real
@pytest.mark.parametrize("path", REAL[:2], ids=lambda p: p.name)
def test_the_counters_own_utc_clocks_agree_with_the_zone(path):
    """100 ns counters carry their machine's UTC clock in SecondValue, and each PDH_RAW_COUNTER its
    local TimeStamp: their difference is the bias the reader took from TIME_ZONE_INFORMATION."""
    data, header, records = structure(path)
    samples = blg_layout.assemble(records, blg_layout.SAMPLE)
    biases = []
    for first, count in zip(samples.first.tolist(), samples.count.tolist()):
        payload = blg_layout.payload_bytes(data, records, first, count)
        at = 8
        while at < len(payload):
            kind, size = payload[at + 3], blg_layout.u32(payload, at + 4)
            body = at + 8
            if kind == 1 and blg_layout.u32(payload, body) == 0 and blg_layout.i64(payload, body + 24) > 10**17:
                biases.append((blg_layout.i64(payload, body + 24) - blg_layout.i64(payload, body + 4)) / 600_000_000)
            at += size
    assert biases and abs(np.median(biases) - load(path).sources[0].bias_minutes) < 0.01


@real
def test_a_cut_off_copy_names_the_offset(tmp_path):
    path = tmp_path / "cut.blg"
    path.write_bytes(TWIN.with_suffix(".blg").read_bytes()[:1024])
    with pytest.raises(UnsupportedFormatError, match=r"offset 0x400 \(1,024\).*relog file\.blg -f csv"):
        load(path)
    renamed = tmp_path / "cut.csv"
    renamed.write_bytes(path.read_bytes())
    with pytest.raises(UnsupportedFormatError, match=r"offset 0x400"):  # found by its structure, not its name
        load(renamed)


@real
def test_format_and_selection(tmp_path):
    blg = TWIN.with_suffix(".blg")
    assert load(blg, format="blg").sources[0].format == "blg"
    with pytest.raises(HeaderError, match="binary perfmon log.*not of the pdh format"):
        load(blg, format="pdh")
    nics = load(blg, counters=[r"\network interface(*)\*"])
    assert nics.catalog.height == 5 and "not-selected" in codes(nics)
    whole = load(PAL, counters=[r"\Processor(*)\% Processor Time"])
    assert whole.catalog["instance"].to_list() == ["0", "_Total"]


@real
def test_the_cache_returns_what_the_reader_read(tmp_path, monkeypatch):
    monkeypatch.setenv("KIT_CACHE_DIR", str(tmp_path))
    first = kit.load(PAL, progress=False)
    again = kit.load(PAL, progress=False)
    assert again.data.equals(first.data) and again.warnings == first.warnings and again.sources == first.sources


@real
def test_a_folder_of_blg_and_csv_logs(tmp_path):
    for path in REAL[:2]:
        (tmp_path / path.name).write_bytes(path.read_bytes())
    capture = kit.load(tmp_path, cache_results=False, progress=False)
    assert {s.format for s in capture.sources} == {"blg"} and len(capture.sources) == 2


@real
def test_the_command_line_reads_a_blg(capsys):
    from kit.cli import main

    blg = str(TWIN.with_suffix(".blg"))
    assert main(["info", blg]) == 0
    out = capsys.readouterr().out
    assert "blg, utf-16-le" in out and "25 rows × 10 counters" in out and "UTC-08:00" in out
    assert main(["analyze", "--json", blg]) == 0
    assert '"start_utc": "2016-11-26T21:46:30.874Z"' in capsys.readouterr().out


# -- synthetic logs -------------------------------------------------------------------------------

START = datetime(2025, 3, 4, 12, 0, 0)
FREQ = 2_630_633


def stamps(n: int, step_s: float = 1.0, start: datetime = START) -> np.ndarray:
    return W.filetime(start) + (np.arange(n) * step_s * 10_000_000).astype(np.int64)


def single(name: str, ctype: int, first, second=None, status=None, *, frequency: int = FREQ, obj: str = "Memory"):
    n = len(first)
    counter = W.Counter(HOST, obj, None, name, ctype, frequency)
    values = W.Values(np.asarray(first, np.int64), np.zeros(n, np.int64) if second is None else
                      np.asarray(second, np.int64), None if status is None else np.asarray(status, np.int64))
    return counter, values


def write(path: Path, pairs, times, **options) -> Path:
    return W.write(path, [c for c, _ in pairs], times, [v for _, v in pairs], **options)


def column(capture, name: str) -> list:
    [found] = [c for c in capture.data.columns if c.endswith("\\" + name)]
    return capture.data[found].to_list()


def test_every_cooked_counter_type_follows_its_formula(tmp_path):
    n = 6
    ticks = np.cumsum(np.full(n, FREQ)) * 2  # 2 s apart
    hundred = np.cumsum(np.full(n, 20_000_000))  # 2 s in 100 ns
    count = np.array([0, 10, 30, 30, 70, 100])
    busy = np.array([0, 5, 15, 20, 20, 40]) * 1_000_000  # 100 ns of busy time
    base = np.array([1, 3, 5, 5, 9, 11])
    pairs = [
        single("raw", 0x00010000, count),
        single("large raw", 0x00010100, count),
        single("delta", 0x00400500, count),
        single("rate", 0x10410400, count, ticks),
        single("bulk", 0x10410500, count, ticks),
        single("timer", 0x20510500, busy, hundred),
        single("inverse", 0x21510500, busy, hundred),
        single("precision", 0x20570500, busy, hundred),
        single("fraction", 0x20020400, count + 1, base * 20),
        single("sample fraction", 0x20C20400, count, base * 20),
        single("average timer", 0x30020400, busy, base),
        single("average", 0x40020500, count, base),
        single("queue", 0x00550500, busy, hundred),
    ]
    capture = load(write(tmp_path / "types.blg", pairs, stamps(n, 2)))
    dn, dt, db = np.diff(count), 2.0, np.diff(base)
    expect = {
        "raw": count, "large raw": count, "delta": [None, *np.diff(count)],
        "rate": [None, *(dn / dt)], "bulk": [None, *(dn / dt)],
        "timer": [None, *(100 * np.diff(busy) / 20_000_000)],
        "inverse": [None, *(100 * (1 - np.diff(busy) / 20_000_000))],
        "precision": [None, *(100 * np.diff(busy) / 20_000_000)],
        "fraction": 100 * (count + 1) / (base * 20),
        "sample fraction": [None, *np.where(db > 0, 100 * dn / np.maximum(db * 20, 1), np.nan)],
        "average timer": [None, *np.where(db > 0, np.diff(busy) / FREQ / np.maximum(db, 1), np.nan)],
        "average": [None, *np.where(db > 0, dn / np.maximum(db, 1), np.nan)],
        "queue": [None, *(np.diff(busy) / 20_000_000)],
    }
    for name, want in expect.items():
        want = [None if w is None or (isinstance(w, float) and np.isnan(w)) else float(w) for w in want]
        got = column(capture, name)
        assert [g is None for g in got] == [w is None for w in want], name
        assert [g for g in got if g is not None] == pytest.approx([w for w in want if w is not None], rel=1e-14), name
    [blank] = [w for w in capture.warnings if w.code == "not-computable"]  # the zero base differences
    assert "zero or negative time or base difference" in blank.message and "sample 4" in blank.message


def test_negative_results_and_bad_statuses_are_blank_and_reported(tmp_path):
    n = 5
    ticks = np.cumsum(np.full(n, FREQ))
    pairs = [
        single("reset/sec", 0x10410400, [10, 20, 5, 15, 25], ticks),
        single("gauge", 0x00010000, [1, 2, 3, 4, 5], status=[0, 0x800007D1, 1, 0, 0xC0000BBA]),
        single("idle", 0x21510500, [0, 15_000_000, 20_000_000, 30_000_000, 40_000_000],
               np.cumsum(np.full(n, 10_000_000))),
    ]
    capture = load(write(tmp_path / "odd.blg", pairs, stamps(n)))
    assert column(capture, "reset/sec") == [None, 10.0, None, 10.0, 10.0]
    assert column(capture, "gauge") == [1.0, None, 3.0, 4.0, None]  # status 1 (new data) is valid
    assert column(capture, "idle")[1] is None and column(capture, "idle")[2] == pytest.approx(50.0)
    status = next(w for w in capture.warnings if w.code == "status-not-ok")
    assert "PDH_CSTATUS_NO_INSTANCE" in status.message and "PDH_CSTATUS_INVALID_DATA" in status.message
    negative = [w for w in capture.warnings if w.code == "not-computable" and "negative result" in w.message]
    assert negative and "2 value(s)" in negative[0].message


def test_instances_that_come_and_go(tmp_path):
    n, names = 8, ["nic1", "nic2", "VM1"]
    present = np.ones((n, 3), bool)
    present[:3, 2] = False  # VM1's instance appears at sample 4 (a migration starts)
    present[6:, 0] = False  # nic1 vanishes
    ticks = np.cumsum(np.full(n, FREQ))
    first = np.cumsum(np.full((n, 3), 1000), axis=0)
    counter = W.Counter(HOST, "Network Interface", "*", "Bytes Received/sec", 0x10410500, FREQ)
    values = W.Values(first, np.repeat(ticks[:, None], 3, axis=1), names=names, present=present)
    capture = load(W.write(tmp_path / "churn.blg", [counter], stamps(n), [values]))
    assert capture.catalog["instance"].to_list() == names
    nic1 = capture.data[f"{HOST}\\Network Interface(nic1)\\Bytes Received/sec"].to_list()
    assert nic1 == [None] + [1000.0] * 5 + [None, None]
    vm = capture.data[f"{HOST}\\Network Interface(VM1)\\Bytes Received/sec"].to_list()
    assert vm == [None] * 4 + [1000.0] * 4  # blank before it exists and at its first sample
    assert "partly-blank" in codes(capture)


def test_duplicate_instance_names_get_pdh_indexes(tmp_path):
    n = 3
    counter = W.Counter(HOST, "Process", "*", "Working Set", 0x00010100)
    values = W.Values(np.array([[1, 2, 3]] * n), np.zeros((n, 3), np.int64), names=["svchost", "svchost", "lsass"])
    capture = load(W.write(tmp_path / "dup.blg", [counter], stamps(n), [values]))
    assert capture.catalog["instance"].to_list() == ["svchost", "svchost", "lsass"]
    assert capture.catalog["index"].to_list() == [None, 1, None]


@pytest.mark.parametrize("direction", ["spring", "fall"])
def test_dst_changes_follow_the_files_zone_rules(tmp_path, direction):
    zone = W.ZoneInfo()  # Pacific: DST from the 2nd Sunday of March 2:00 to the 1st Sunday of November 2:00
    utc = datetime(2025, 3, 9, 9, 30) if direction == "spring" else datetime(2025, 11, 2, 8, 30)
    moments = [utc + timedelta(minutes=10 * i) for i in range(9)]

    def local(moment):  # what the collecting machine's clock showed
        dst = datetime(2025, 3, 9, 10) <= moment < datetime(2025, 11, 2, 9)
        return moment - timedelta(minutes=420 if dst else 480)

    times = np.array([W.filetime(local(m)) for m in moments], np.int64)
    path = write(tmp_path / f"{direction}.blg", [single("gauge", 0x00010000, list(range(9)))], times, zone=zone)
    capture = load(path)
    assert capture.data["time"].to_list() == [m.replace(tzinfo=timezone.utc) for m in moments]
    [jump] = [w for w in capture.warnings if w.code == "dst-jump"]
    assert ("fall-back" if direction == "fall" else "spring-forward") in jump.message


def test_pointer_size_4_logs_and_other_zones(tmp_path):
    zone = W.ZoneInfo(bias=-60, standard_name="W. Europe Standard Time", daylight_name="W. Europe Daylight Time",
                      standard_date=(0, 10, 0, 5, 3, 0, 0, 0), daylight_date=(0, 3, 0, 5, 2, 0, 0, 0))
    path = write(tmp_path / "x86.blg", [single("gauge", 0x00010000, [5, 6])], stamps(2), zone=zone, pointer_size=4)
    capture = load(path)
    assert capture.sources[0].bias_minutes == -60 and capture.sources[0].zone_name == "W. Europe Standard Time"
    assert capture.data["time"][0] == datetime(2025, 3, 4, 11, 0, tzinfo=timezone.utc)
    assert load(path, utc_offset="+05:00", override_zone=True).sources[0].bias_minutes == -300


def many(tmp_path: Path, n: int = 40, width: int = 30) -> Path:
    """A log of ``n`` samples, big enough that each payload is cut into parts."""
    names = [f"instance number {i:03d}" for i in range(width)]
    ticks = np.cumsum(np.full(n, FREQ))
    pairs = []
    for k in range(12):
        counter = W.Counter(HOST, "Processor Information", "*", f"Counter {k}/sec", 0x10410500, FREQ)
        pairs.append((counter, W.Values(np.cumsum(np.full((n, width), 10 + k), axis=0),
                                        np.repeat(ticks[:, None], width, axis=1), names=names)))
    return write(tmp_path / "many.blg", pairs, stamps(n))


def test_payloads_in_parts_and_buffers(tmp_path):
    path = many(tmp_path)
    data, header, records = structure(path)
    samples = blg_layout.assemble(records, blg_layout.SAMPLE)
    assert samples.count.min() > 1 and records.buffers > 3
    capture = load(path)
    assert capture.data.shape == (40, 1 + 12 * 30)
    assert capture.data.drop("time").slice(1).min().min_horizontal()[0] == 10.0
    assert codes(capture) == {"blank-first-row"}


def test_a_log_cut_at_every_buffer_edge_loads_what_it_holds(tmp_path):
    whole = many(tmp_path).read_bytes()
    total = load(tmp_path / "many.blg").data.height
    heights = []
    for edge in range(2 * W.BUFFER, len(whole), W.BUFFER):
        cut = tmp_path / f"cut{edge}.blg"
        cut.write_bytes(whole[:edge])
        capture = load(cut)
        assert "blg-truncated" in codes(capture)
        skipped = sum(len(w.skipped_lines) for w in capture.warnings)
        heights.append(capture.data.height)
        assert capture.data.height + skipped <= total
    assert heights == sorted(heights) and heights[-1] < total
    middle = tmp_path / "middle.blg"
    middle.write_bytes(whole[: 3 * W.BUFFER + 5000])
    capture = load(middle)
    assert "blg-truncated" in codes(capture) and capture.data.height > 0


def test_a_damaged_sample_is_skipped_and_named(tmp_path):
    path = many(tmp_path)
    data = bytearray(path.read_bytes())
    _, header, records = structure(path)
    samples = blg_layout.assemble(records, blg_layout.SAMPLE)
    at = int(records.offset[samples.first[6]]) + blg_layout.EVENT_HEADER + 8  # sample 7's first record mark
    data[at : at + 4] = b"XXXX"
    path.write_bytes(bytes(data))
    capture = load(path)
    [bad] = [w for w in capture.warnings if w.code == "bad-sample"]
    assert bad.skipped_lines == (7,) and capture.data.height == 39 and "sample 7" in bad.message
    assert f"{int(records.offset[samples.first[6]]):#x}" in bad.message


def test_structure_errors_name_the_offset(tmp_path):
    path = many(tmp_path)
    data = bytearray(path.read_bytes())
    data[2 * W.BUFFER + blg_layout.BUFFER_HEADER + 3] = 0x00  # a record's flags
    broken = tmp_path / "broken.blg"
    broken.write_bytes(bytes(data))
    with pytest.raises(UnsupportedFormatError, match=rf"offset {2 * W.BUFFER + 0x4a:#x}.*relog"):
        load(broken)
    empty = tmp_path / "empty.blg"
    empty.write_bytes(b"")
    with pytest.raises(UnsupportedFormatError, match="offset 0x0.*empty"):
        load(empty)


def test_a_second_different_counter_list_is_refused(tmp_path):
    session = __import__("uuid").uuid4()
    first = write(tmp_path / "a.blg", [single("gauge", 0x00010000, [1, 2])], stamps(2), session=session).read_bytes()
    second = write(tmp_path / "b.blg", [single("other", 0x00010000, [1, 2])], stamps(2), session=session).read_bytes()
    joined = bytearray(first + second[W.BUFFER:])
    joined[0x68 + 0x24 : 0x68 + 0x28] = (3).to_bytes(4, "little")  # BuffersWritten
    path = tmp_path / "joined.blg"
    path.write_bytes(bytes(joined))
    with pytest.raises(UnsupportedFormatError, match="second counter list that differs"):
        load(path)


def test_unsupported_counter_types_are_left_out_and_named(tmp_path):
    pairs = [single("gauge", 0x00010000, [1, 2]), single("Elapsed Time", 0x30240500, [1, 2])]
    capture = load(write(tmp_path / "types.blg", pairs, stamps(2)))
    assert capture.catalog["counter"].to_list() == ["gauge"]
    [left] = [w for w in capture.warnings if w.code == "unsupported-counter-type"]
    assert "0x30240500" in left.message and "Elapsed Time" in left.message


def test_many_shapes_read_alike_one_by_one(tmp_path):
    """Payloads of alternating shapes go through several layouts; the values must be those of the
    formula whatever layout read them."""
    n, names = 30, ["a", "b", "c", "d"]
    rng = np.random.default_rng(7)
    present = rng.random((n, 4)) > 0.3
    ticks = np.cumsum(rng.integers(FREQ // 2, 2 * FREQ, n))
    first = np.cumsum(rng.integers(0, 10**9, (n, 4)), axis=0)
    counter = W.Counter(HOST, "Network Interface", "*", "Bytes Sent/sec", 0x10410500, FREQ)
    values = W.Values(first, np.repeat(ticks[:, None], 4, axis=1), names=names, present=present)
    capture = load(W.write(tmp_path / "shapes.blg", [counter], stamps(n), [values]))
    for j, name in enumerate(names):
        got = capture.data[f"{HOST}\\Network Interface({name})\\Bytes Sent/sec"].to_list()
        for i in range(n):
            if i and present[i, j] and present[i - 1, j]:
                want = (first[i, j] - first[i - 1, j]) / ((ticks[i] - ticks[i - 1]) / FREQ)
                assert got[i] == pytest.approx(want, rel=1e-14)
            else:
                assert got[i] is None


def test_the_benchmark_writes_the_csv_capture_as_a_blg(tmp_path):
    from benchmarks import blg, generate

    info = blg.generate_blg(tmp_path, "tiny")
    capture = load(info["path"])
    columns = [c.path() for c in generate.plan(**generate.SIZES["tiny"]).columns]
    assert capture.data.height == 240 and sorted(capture.data.columns[1:]) == sorted(columns)
    lm = capture.data.select(pl.col(f"^.*{generate.LM}.*$"))
    assert 0 < lm.drop_nulls().height < lm.height or lm.null_count().sum_horizontal()[0] > 0


def test_a_sample_whose_instances_trade_names_is_read_by_its_own_names(tmp_path):
    """Two instance names of equal length swapped in one sample: the same sizes and offsets, only
    the names differ; the values must follow the names."""
    n, names = 12, ["alpha-1", "bravo-2", "charl-3"]
    first = np.arange(n * 3).reshape(n, 3) * 10 + np.array([1, 2, 3])
    counter = W.Counter(HOST, "Network Interface", "*", "Current Bandwidth", 0x00010100)
    path = W.write(tmp_path / "swap.blg", [counter] * 4, stamps(n),
                   [W.Values(first, np.zeros((n, 3), np.int64), names=names) for _ in range(4)])
    data = bytearray(path.read_bytes())
    _, _, records = structure(path)
    samples = blg_layout.assemble(records, blg_layout.SAMPLE)
    start = int(records.offset[samples.first[5]])
    end = start + int(records.size[samples.first[5]])
    a, b = (data.index(name.encode("utf-16-le"), start, end) for name in names[:2])
    data[a : a + 14], data[b : b + 14] = data[b : b + 14], data[a : a + 14]  # in the first record only
    path.write_bytes(bytes(data))
    capture = load(path)
    got = {name: capture.data[f"{HOST}\\Network Interface({name})\\Current Bandwidth"].to_list() for name in names}
    assert got["alpha-1"][5] == first[5, 1] and got["bravo-2"][5] == first[5, 0]
    assert got["alpha-1"][4] == first[4, 0] and got["charl-3"][5] == first[5, 2]


def _walked(data: bytes, path: Path, monkeypatch, vector: int):
    monkeypatch.setattr(blg_layout, "VECTOR_BUFFERS", vector)
    try:
        header = blg_layout.read_header(data, path)
        records = blg_layout.walk(data, header, path)
    except UnsupportedFormatError as exc:
        return str(exc)
    return records.offset.tolist(), records.cut, records.buffers, records.size.tolist()


def test_buffers_walked_together_find_what_the_record_walk_finds(tmp_path, monkeypatch):
    """The numpy walk over all buffers at once (large logs) and the record-by-record one give the
    same records, the same cut and the same first fault, wherever the damage is."""
    path = many(tmp_path, n=60, width=60)
    whole = path.read_bytes()
    buffers = len(whole) // W.BUFFER
    assert buffers >= 8
    _, _, records = structure(path)
    middle = int(records.offset[records.offset.size // 2])
    cases = {"intact": whole, "cut": whole[: len(whole) - W.BUFFER // 2], "edge": whole[: 5 * W.BUFFER]}
    for name, (at, value) in {
        "size-word": (3 * W.BUFFER, b"\x00\x00\x02\x00"),
        "fill": (4 * W.BUFFER + blg_layout.FILL_OFFSET, b"\x10\x00\x00\x00"),
        "fill-short": (4 * W.BUFFER + blg_layout.FILL_OFFSET, b"\x50\x00\x00\x00"),
        "record-type": (middle + 2, b"\x07"),
        "record-size": (middle, b"\x10\x00"),
        "record-long": (middle, b"\xf0\xff"),
        "flags": (2 * W.BUFFER + blg_layout.BUFFER_HEADER + 3, b"\x00"),
    }.items():
        data = bytearray(whole)
        data[at : at + len(value)] = value
        cases[name] = bytes(data)
    late = bytearray(cases["record-type"])  # two faults: the earlier buffer's is refused
    late[2 * W.BUFFER + blg_layout.FILL_OFFSET : 2 * W.BUFFER + blg_layout.FILL_OFFSET + 4] = b"\x00\x00\x00\x00"
    cases["two-faults"] = bytes(late)
    for name, data in cases.items():
        one, together = _walked(data, path, monkeypatch, 10**9), _walked(data, path, monkeypatch, 0)
        assert one == together, name
        if name != "intact" and not name.startswith(("cut", "edge")):
            assert isinstance(together, str) and "relog" in together, name


def test_blocks_read_on_several_threads_give_what_one_thread_gives(tmp_path, monkeypatch):
    """Many small blocks of one shape on the thread pool (the way to read a shape's values is
    worked out by the first block and shared: it must be whole before another thread uses it)."""
    from kit.io.perfmon import blg_samples

    path = many(tmp_path, n=200, width=30)
    monkeypatch.setattr(blg_samples, "READ_WORDS", 1 << 10)
    monkeypatch.setattr(blg_samples, "CHUNK_WORDS", 1 << 10)
    monkeypatch.setattr(blg_samples, "THREADS", 1)
    alone = load(path)
    monkeypatch.setattr(blg_samples, "THREADS", 4)
    monkeypatch.setattr(blg_samples, "_POOL", [])
    made = blg_samples._Read

    def slow(*args):  # widen the window in which another thread could see a half-made one
        __import__("time").sleep(0.005)
        return made(*args)

    monkeypatch.setattr(blg_samples, "_Read", slow)
    for _ in range(5):
        together = load(path)
        assert together.data.equals(alone.data) and together.warnings == alone.warnings
