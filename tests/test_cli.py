import json
import re

import polars as pl
import pytest

from kit.cli import main
from kit.sample import sample_dir, sample_test
from tests.conftest import pdh_text

A = r"\\HV01\Network Interface(NIC1)\Bytes Sent/sec"


def sample(write):
    rows = [["01/02/2026 10:00:00.000", " "], ["01/02/2026 10:00:01.000", "5"]]
    return write("HV01.csv", pdh_text("(PDH-CSV 4.0) (W. Europe Standard Time)(-60)", [A], rows))


def test_info_text(write, capsys):
    assert main(["info", str(sample(write)), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "UTC 2026-01-02 09:00:00" in out and "local 2026-01-02 10:00:00" in out
    assert "HV01 Network Interface: 1 instance(s)" in out and "blank-first-row" in out


def test_info_json(write, capsys):
    assert main(["info", str(sample(write)), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["hosts"] == ["HV01"] and info["interval_s"] == 1.0
    assert info["sources"][0]["bias_minutes"] == -60 and info["start_utc"] == "2026-01-02T09:00:00.000Z"


def test_convert_writes_the_tidy_form(write, tmp_path, capsys):
    path = sample(write)
    assert main(["convert", str(path), "--to", "parquet", "--out", str(tmp_path / "t.parquet")]) == 0
    tidy = pl.read_parquet(tmp_path / "t.parquet")
    assert tidy.select("host", "object", "instance", "counter", "value").rows() == [("HV01", "Network Interface", "NIC1", "Bytes Sent/sec", 5.0)]
    assert main(["convert", str(path), "--to", "csv"]) == 0
    assert pl.read_csv(path.with_suffix(".tidy.csv"))["value"].to_list() == [5.0]


def test_counter_option_loads_only_matching_counters(tmp_path, capsys):
    out = tmp_path / "nics.parquet"
    args = ["convert", str(SAMPLE), "--to", "parquet", "--out", str(out), "--quiet"]
    assert main([*args, "--counter", r"\Network Interface(*)\Bytes Received/sec"]) == 0
    assert set(pl.read_parquet(out)["counter"].unique()) == {"Bytes Received/sec"}
    assert main(["info", str(SAMPLE), "--counter", r"\Nothing\Here", "--quiet"]) == 2
    assert "matches counters" in capsys.readouterr().err


def test_bad_input_exits_2_with_a_message(write, capsys):
    assert main(["info", str(write("x.blg", b"\x00" * 10))]) == 2
    assert "relog" in capsys.readouterr().err


SAMPLE = sample_test()


def test_analyze_prints_a_summary(capsys):
    assert main(["analyze", str(SAMPLE), "--quiet", "--vm-memory-gb", "17.18"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Migration 1: SQL-VM01  HV01 → HV02")
    assert "moved 19.83 GB" in out and "VM memory" in out
    assert "cores HV02 (destination): 8 active [2, 3, 4, 6, 8, 12, 13, 15] (expected 8)" in out


def test_analyze_json_follows_the_contract(capsys):
    assert main(["analyze", str(SAMPLE / "HV01.csv"), str(SAMPLE / "HV02.csv"), "--json", "--quiet",
                 "--mtu", "9000", "--label", "mtu=9000", "--label", "plan=high performance"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["schema_version"] == 2 and report["labels"] == {"mtu": 9000, "plan": "high performance"}
    item = report["migrations"][0]
    assert item["start"].endswith("Z") and item["end"].endswith("Z")
    assert item["mtu"] == 9000 and item["mtu_basis"] == "given"
    for key in ("duration_s", "bytes_moved", "mean_gbps", "p50_gbps", "p95_gbps", "peak_gbps"):
        assert isinstance(item[key], float)
    assert all({"host", "instance", "bytes", "share"} <= set(n) for n in item["nics"])
    assert all({"host", "active", "effective", "hottest"} <= set(c) for c in item["cores"])


def test_analyze_with_a_given_window(capsys):
    window = "2025-02-11T13:05:40Z/2025-02-11T13:06:10Z"
    assert main(["analyze", str(SAMPLE), "--quiet", "--json", "--window", window, "--bin-width-gbps", "0.5"]) == 0
    item = json.loads(capsys.readouterr().out)["migrations"][0]
    assert item["method"] == "given" and item["duration_s"] == 30.0
    assert all(b["bin_end_gbps"] - b["bin_start_gbps"] == 0.5 for b in item["histogram"])


def test_analyze_with_nothing_found_says_what_to_do(write, capsys):
    path = write("idle.csv", pdh_text("(PDH-CSV 4.0) (UTC)(0)", [r"\\H\Network Interface(nic)\Bytes Sent/sec"],
                                       [["02/11/2025 13:00:00.000", " "], ["02/11/2025 13:00:01.000", "10"]]))
    assert main(["analyze", str(path), "--quiet"]) == 0
    assert "--window START/END" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("option", "message"),
    [(["--window", "yesterday"], "not START/END"), (["--label", "mtu"], "not KEY=VALUE"),
     (["--dip-fraction", "1.5"], "between 0 and 1"), (["--window", "a/b"], "not an ISO 8601 time")],
)
def test_analyze_bad_options_exit_2(option, message, capsys):
    assert main(["analyze", str(SAMPLE), "--quiet", *option]) == 2
    assert message in capsys.readouterr().err


def test_report_with_no_file_runs_on_the_bundled_sample(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Migration 1: SQL-VM01") and "report.html" in out
    written = {p.name for p in (tmp_path / "hvlm-report").iterdir()}
    assert {"report.html", "report.json", "throughput-HV01-sent.png", "throughput-HV01-sent.svg"} <= written
    html = (tmp_path / "hvlm-report" / "report.html").read_text(encoding="utf-8")
    assert "<script src=" not in html


# ---------------------------------------------------------------------------------------------
# Issue 14 §8: every option is checked and named as typed; no traceback ever reaches the user.

SIDES = sample_dir() / "smb-2x10g-jumbo-55gb"
PING = str(SIDES / "pings" / "ping-windows.txt")


def fails(argv, capsys):
    """Run ``argv``: exit status 2, and the stderr text (checked free of tracebacks and reprs)."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "datetime.datetime" not in err and "None" not in err, err
    return err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["analyze", "--mtu", "-14"], "argument --mtu: -14 is not an MTU: give 576 to 65535 bytes"),
        (["analyze", "--mtu", "-1"], "argument --mtu: -1 is not an MTU"),
        (["analyze", "--mtu", "575"], "argument --mtu: 575 is not an MTU"),
        (["analyze", "--mtu", "65536"], "argument --mtu: 65536 is not an MTU"),
        (["analyze", "--mtu", "jumbo"], "argument --mtu: 'jumbo' is not a whole number of bytes"),
        (["report", "--mtu", "0"], "argument --mtu: 0 is not an MTU"),
        (["analyze", "--vm-memory-gb", "-16"], "argument --vm-memory-gb: -16 is not a finite number above 0"),
        (["analyze", "--vm-memory-gb", "1e309", "--json"], "argument --vm-memory-gb: 1e309 is not a finite number"),
        (["analyze", "--vm-memory-gb", "nan"], "argument --vm-memory-gb: nan is not a finite number above 0"),
        (["analyze", "--vm-memory-gb", "lots"], "argument --vm-memory-gb: 'lots' is not a number"),
        (["report", "--vm-memory-gb", "0"], "argument --vm-memory-gb: 0 is not a finite number above 0"),
        (["analyze", "--bin-width-gbps", "0"], "argument --bin-width-gbps: 0 is not a finite number above 0"),
        (["analyze", "--bin-width-gbps", "inf"], "argument --bin-width-gbps: inf is not a finite number above 0"),
        (["analyze", "--dip-fraction", "1.5"], "argument --dip-fraction: 1.5 is not between 0 and 1"),
        (["analyze", "--dip-fraction", "0"], "argument --dip-fraction: 0 is not between 0 and 1"),
        (["analyze", "--pings", PING, "--ping-start", "noon"], "argument --ping-start: 'noon' is not an ISO 8601 time"),
        (["analyze", "--pings", PING, "--ping-interval", "0"], "argument --ping-interval: 0 is not a finite number"),
        (["analyze", "--ping-start", "2025-02-11T13:05:00Z"], "analyze: error: --ping-start needs --pings"),
        (["report", "--ping-interval", "1"], "report: error: --ping-interval needs --pings"),
        (["info", "--override-zone"], "info: error: --override-zone needs --utc-offset"),
        (["analyze", "--window", "2025-02-11T13:06:40Z/2025-02-11T13:05:40Z"],
         "argument --window: 2025-02-11T13:06:40.000Z/2025-02-11T13:05:40.000Z does not end after it starts"),
        (["analyze", "--window", "2025-02-11T13:05:40Z/2025-02-11T13:05:40Z"], "does not end after it starts"),
        (["analyze", "--window", "yesterday"], "argument --window: 'yesterday' is not START/END"),
        (["analyze", "--window", "a/b"], "argument --window: 'a' is not an ISO 8601 time"),
        (["analyze", "--window", "0001-01-01T00:00:00+01:00/2025-01-01T00:00:00Z"], "is before the year 1 in UTC"),
        (["analyze", "--label", "mtu"], "argument --label: 'mtu' is not KEY=VALUE"),
        (["analyze", "--label", "=9000"], "argument --label: '=9000' is not KEY=VALUE"),
        (["analyze", "--transport", "rdma"], "argument --transport: invalid choice: 'rdma'"),
        (["info", "--utc-offset", "CET"], "argument --utc-offset: 'CET' is not a UTC offset from -14:00 to +14:00"),
        (["info", "--utc-offset", "+15:00"], "argument --utc-offset: '+15:00' is not a UTC offset"),
        (["info", "--utc-offset", "+08:75"], "argument --utc-offset: '+08:75' is not a UTC offset"),
        (["info", "--encoding", "klingon"], "argument --encoding: 'klingon' is not a known text encoding"),
        (["info", "--encoding", "hex"], "argument --encoding: 'hex' is not a known text encoding"),
        (["info", "--counter", "(("], r"argument --counter: '((' is not a counter path (e.g. '\Processor"),
        (["convert", "x.csv", "--to", "xlsx"], "argument --to: invalid choice: 'xlsx'"),
        (["convert", "x.csv"], "the following arguments are required: --to"),
        (["report", "--format", "gif"], "argument --format: invalid choice: 'gif'"),
    ],
)
def test_a_bad_option_names_its_flag_and_exits_2(argv, message, capsys):
    command, *rest = argv
    err = fails([command, *([] if command == "convert" else [str(SAMPLE)]), *rest, "--quiet"], capsys)
    assert message in err
    assert not re.search(r"\b[a-z]+_[a-z_]+=", err), "a keyword argument instead of the flag"


def test_a_window_outside_the_capture_prints_both_spans(capsys):
    err = fails(["analyze", str(SAMPLE), "--quiet", "--window", "2030-02-11T13:05:40Z/2030-02-11T13:06:40Z"], capsys)
    assert err.startswith(
        "error: --window: the window 2030-02-11T13:05:40.000Z/2030-02-11T13:06:40.000Z lies wholly outside the "
        "capture (2025-02-11T13:05:17.006Z → 2025-02-11T13:06:30.153Z)"
    )


def test_a_window_overlapping_the_capture_is_measured(capsys):
    window = "2025-02-11T13:05:00Z/2025-02-11T13:05:40+00:00"  # starts before the capture
    assert main(["analyze", str(SAMPLE), "--quiet", "--json", "--window", window]) == 0
    assert json.loads(capsys.readouterr().out)["migrations"][0]["start"] == "2025-02-11T13:05:00.000Z"


def test_a_label_that_is_no_finite_number_stays_text(capsys):
    assert main(["analyze", str(SAMPLE), "--quiet", "--json", "--label", "x=inf", "--label", "n=1e3"]) == 0
    assert json.loads(capsys.readouterr().out)["labels"] == {"x": "inf", "n": 1000.0}


def test_report_out_must_be_a_folder(tmp_path, capsys):
    existing = tmp_path / "report.html"
    existing.write_text("mine")
    err = fails(["report", str(SAMPLE), "--quiet", "--out", str(existing)], capsys)
    assert f"argument --out: {existing} is a file: give a folder" in err
    assert existing.read_text() == "mine"
    err = fails(["report", str(SAMPLE), "--quiet", "--out", str(existing / "sub")], capsys)
    assert f"error: --out {existing / 'sub'}: cannot write the report" in err


def test_convert_out_must_be_a_writable_file(tmp_path, capsys):
    err = fails(["convert", str(SAMPLE / "HV01.csv"), "--to", "csv", "--out", str(tmp_path), "--quiet"], capsys)
    assert f"argument --out: {tmp_path} is a folder: give the file to write" in err
    missing = tmp_path / "no" / "such" / "t.csv"
    err = fails(["convert", str(SAMPLE / "HV01.csv"), "--to", "csv", "--out", str(missing), "--quiet"], capsys)
    assert f"error: --out {missing}: cannot write the tidy form" in err
    err = fails(["convert", str(SAMPLE), "--to", "csv", "--quiet"], capsys)
    assert "is not a file to write beside (give the output file with --out)" in err


def test_sample_directory_must_be_a_folder(tmp_path, capsys):
    existing = tmp_path / "data"
    existing.write_text("")
    assert "argument directory: " in fails(["sample", str(existing)], capsys)


# ---------------------------------------------------------------------------------------------
# Issue 14 §9: the warnings and what the side inputs gave, in the text and in the JSON.


def test_analyze_text_lists_the_warnings_grouped_by_code(capsys):
    assert main(["analyze", str(SAMPLE), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "\nwarnings: 4 in 2 group(s)" in out
    [line] = [line for line in out.splitlines() if "[blank-first-row]" in line]
    assert line.startswith(f"  capture [blank-first-row] ×2: {SAMPLE / 'HV01.csv'}:2: 124 counter(s) blank")
    assert "side inputs:" not in out


def test_a_windows_ping_log_without_utc_offset_says_why_it_was_not_used(capsys):
    args = ["analyze", str(SIDES), "--quiet", "--pings", PING]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "  pings: 51 probe(s) read, NOT used: its probes (2025-02-11T14:05:18.000Z → 2025-02-11T14:06:12.000Z) " \
           "lie outside the capture (2025-02-11T13:05:17.006Z → 2025-02-11T13:06:17.009Z)" in out
    [line] = [line for line in out.splitlines() if line.startswith("  pings: ")]
    assert line.endswith("taken as UTC: give the UTC offset of the machine that wrote it (--utc-offset)")
    assert "  pings [timezone-unknown] ×1: " in out
    assert main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["options"]["pings"] is False
    assert report["inputs"]["pings"] == {"given": True, "read": 51, "used": False, "warnings": 1,
                                         "note": report["inputs"]["pings"]["note"]}
    assert "taken as UTC" in report["inputs"]["pings"]["note"]
    assert {"input": "pings", "code": "timezone-unknown", "count": 1}.items() <= report["warnings"][-1].items()
    assert main([*args, "--utc-offset", "+01:00", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["options"]["pings"] == 51 and report["inputs"]["pings"]["used"] is True
    assert "ping-gap" in {m["method"] for m in report["migrations"][0]["blackout"]["methods"]}


def test_events_at_a_folder_without_an_export_are_reported_not_claimed(capsys):
    args = ["analyze", str(SIDES), "--quiet", "--events", str(SIDES)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "  events: 0 event(s) read, NOT used: no event export found" in out
    assert "  events [not-events] ×2: " in out
    assert main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["options"]["events"] is False
    assert report["inputs"]["events"] == {"given": True, "read": 0, "used": False, "note": "no event export found",
                                          "warnings": 2}
    assert main(["analyze", str(SIDES), "--quiet", "--json", "--events", str(SIDES / "events"),
                 "--topology", str(SIDES / "topology")]) == 0
    report = json.loads(capsys.readouterr().out)
    events = report["inputs"]["events"]
    assert events["used"] and events["read"] > 0 and report["options"]["events"] == events["read"]
    assert report["options"]["topology"] == report["inputs"]["topology"]["read"] > 0
    assert report["inputs"]["pings"] == {"given": False, "read": 0, "used": False, "note": None, "warnings": 0}


def test_a_file_the_system_refuses_ends_in_one_error_line(monkeypatch, capsys):
    def refuse(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("kit.cli.read_topology", refuse)
    err = fails(["analyze", str(SAMPLE), "--quiet", "--topology", "topology.json"], capsys)
    assert err == "error: topology.json: Permission denied\n"
