import json
import re
import sys

import polars as pl
import pytest

import kit
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


# ---------------------------------------------------------------------------------------------
# Issue 15 §11, §12: the command line's help, version, --window on report; the capture recipe


def test_help_version_and_examples(capsys):
    assert main(["--version"]) == 0
    assert re.search(r"\(hvlm-kit\) \d+\.\d+", capsys.readouterr().out)
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    assert "live-migration tests from Windows perfmon logs" in text and "examples:" in text
    for command in ("report", "analyze", "info", "recipe", "--window"):
        assert command in text


def test_prog_is_what_the_user_typed(monkeypatch):
    from kit import cli

    monkeypatch.setattr(sys, "argv", ["/usr/local/bin/hvlm-kit"])
    assert cli._prog() == "hvlm-kit"
    monkeypatch.setattr(sys, "argv", ["/work/kit/__main__.py"])
    assert cli._prog() == "python -m kit"


def test_report_takes_a_window_and_says_what_to_do_without_one(tmp_path, capsys):
    window = "2025-02-11T13:05:40Z/2025-02-11T13:06:05Z"
    assert main(["report", str(SAMPLE), "--quiet", "--window", window, "--format", "json", "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["migrations"][0]["method"] == "given" and report["migrations"][0]["start"] == "2025-02-11T13:05:40.000Z"
    capsys.readouterr()
    rows = [["02/11/2025 14:00:00.000", "1"], ["02/11/2025 14:00:01.000", "1"], ["02/11/2025 14:00:02.000", "1"]]
    idle = tmp_path / "idle.csv"
    idle.write_text(pdh_text("(PDH-CSV 4.0) (W. Europe Standard Time)(-60)", [A], rows))
    assert main(["analyze", str(idle), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "no live migration found" in out and "--window START/END (analyze and report)" in out
    assert "python -m kit recipe" in out


def test_analyze_and_report_without_file_use_the_sample(capsys, tmp_path):
    assert main(["analyze", "--quiet"]) == 0
    assert "Migration 1: SQL-VM01" in capsys.readouterr().out
    assert main(["report", "--quiet", "--format", "json", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "report.json").is_file()


def ps51_json(rows: list[dict]) -> bytes:
    """ConvertTo-Json of Windows PowerShell 5.1 (4-space indents, two spaces after the colon; one
    object alone, several as an array) written by Set-Content -Encoding UTF8 (a BOM, CRLF)."""
    def value(v):
        return json.dumps(v)

    def obj(row, pad):
        inner = ",\r\n".join(f'{pad}    "{k}":  {value(x)}' for k, x in row.items())
        return f"{pad}{{\r\n{inner}\r\n{pad}}}"

    text = obj(rows[0], "") if len(rows) == 1 else "[\r\n" + ",\r\n".join(obj(r, "    ") for r in rows) + "\r\n]"
    return b"\xef\xbb\xbf" + (text + "\r\n").encode("utf-8")


TOPOLOGY_VALUES = {
    "Name": ["SLOT 6 Port 1", "SLOT 6 Port 2"], "InterfaceDescription": ["Intel(R) Ethernet Controller X710 for 10GbE SFP+",
                                                                       "Intel(R) Ethernet Controller X710 for 10GbE SFP+ #2"],
    "ifIndex": [4, 6], "Status": ["Up", "Up"], "MacAddress": ["24-8A-07-0B-00-01", "24-8A-07-0B-00-02"],
    "LinkSpeed": ["10 Gbps", "10 Gbps"], "MtuSize": [9014, 9014], "Speed": [10000000000, 10000000000], "Enabled": [True, True],
    "NumberOfReceiveQueues": [8, 8], "Profile": [4, 4], "BaseProcessorGroup": [0, 0], "BaseProcessorNumber": [2, 10],
    "MaxProcessorGroup": [0, 0], "MaxProcessorNumber": [8, 16], "MaxProcessors": [4, 4], "NumaNode": [0, 0],
    "ServerName": ["HV02", "HV02"], "ClientInterfaceIndex": [4, 6], "ServerInterfaceIndex": [5, 7],
    "ClientIpAddress": ["10.10.1.1", "10.10.2.1"], "ServerIpAddress": ["10.10.1.2", "10.10.2.2"],
    "ClientInterfaceFriendlyName": ["SLOT 6 Port 1", "SLOT 6 Port 2"], "Selected": [True, True],
    "ClientRSSCapable": [True, True], "ServerRSSCapable": [True, True], "ClientRdmaCapable": [False, False],
    "ServerRdmaCapable": [False, False], "ClientLinkSpeed": [10000000000, 10000000000],
    "ServerLinkSpeed": [10000000000, 10000000000], "MaxChannels": [4, 4], "CurrentChannels": [4, 4],
    "Failed": [False, False], "FailureCount": [0, 0], "ComputerName": ["HV01"], "VirtualMachineMigrationEnabled": [True],
    "UseAnyNetworkForMigration": [False], "VirtualMachineMigrationPerformanceOption": [2],
    "VirtualMachineMigrationAuthenticationType": [1], "MaximumVirtualMachineMigrations": [2],
    "MaximumStorageMigrations": [2], "Subnet": ["10.10.1.0/24"], "Priority": [0],
    "Id": ["0b6e5a6d-3c54-4d0e-9d4c-0c2f6b1c2a11", "5f1c9d2e-8a7b-4c3d-9e0f-1a2b3c4d5e6f"], "Role": [1, 3],
    "Address": ["10.10.1.0", "10.10.2.0"], "AddressMask": ["255.255.255.0", "255.255.255.0"], "Metric": [39840, 39841],
    "AutoMetric": [True, True], "State": [3, 3],
}
"""Plausible values of each exported property (one or two objects)."""


def test_recipe_prints_the_commands_and_its_files_load(tmp_path, capsys):
    """Issue 15 §12: every command the recipe prints writes a file in a form the kit's loaders read:
    relog's CSV with the recipe's counters, wevtutil's XML, ConvertTo-Json topology, the Tee-Object
    ping log (each made here exactly as those commands write them)."""
    from kit import cli

    assert main(["recipe", "--hosts", "HV01,HV02", "--transport", "smb", "--vm", "SQL-VM01"]) == 0
    text = capsys.readouterr().out
    for host in ("HV01", "HV02"):
        assert f"logman create counter hvlm -f bin -si 00:00:01 -cf C:\\PerfLogs\\hvlm\\counters.txt -o C:\\PerfLogs\\hvlm\\{host}.blg" in text
        assert f"relog C:\\PerfLogs\\hvlm\\{host}.blg -f csv -o C:\\PerfLogs\\hvlm\\{host}.csv" in text
        assert f"wevtutil qe Microsoft-Windows-Hyper-V-VMMS-Admin /f:xml > C:\\PerfLogs\\hvlm\\{host}-vmms.xml" in text
    assert "Get-SmbMultichannelConnection -IncludeNotSelected | Select-Object" in text and "ping -t SQL-VM01" in text
    counters = text.split("@'\n", 1)[1].split("\n'@", 1)[0].splitlines()
    assert counters == cli.recipe_counters("smb") and len(counters) == 16 + 33  # 33 live-migration counters
    assert cli.recipe_counters("tcp") == [c for c in counters if "RDMA" not in c and "SMB Direct" not in c]

    # relog -f csv: the recipe's counters with real instances, in relog's CSV form
    instances = {"Network Interface": "Intel[R] Ethernet Controller X710 for 10GbE SFP+", "RDMA Activity": "Intel(R) Ethernet Controller X710 for 10GbE SFP+",
                 "SMB Direct Connection": "10.10.1.1:445", "Per Processor Network Interface Card Activity": "0, Intel(R) Ethernet Controller X710 for 10GbE SFP+",
                 "Processor Information": "0,1", "Hyper-V Hypervisor Root Virtual Processor": "Root VP 1",
                 "Hyper-V Hypervisor Logical Processor": "LP 1", "Hyper-V Virtual Network Adapter": "SQL-VM01_Network Adapter_1",
                 "Hyper-V VM Live Migration": "SQL-VM01:VM Live Migration"}
    paths = [re.sub(r"\(\*\)", f"({instances[c.split('(')[0][1:]]})", rf"\\HV01{c}").replace(r"\*", r"\Bytes Sent/sec")
             for c in counters]
    rows = [[f"02/11/2025 14:05:{s:02d}.000", *(["1"] * len(paths))] for s in range(3)]
    (tmp_path / "HV01.csv").write_text(pdh_text("(PDH-CSV 4.0) (W. Europe Standard Time)(-60)", paths, rows), encoding="utf-8")
    capture = kit.load(tmp_path / "HV01.csv", counters=counters)
    assert capture.catalog.height == len(counters) and not [w for w in capture.warnings if w.code == "not-selected"]

    # wevtutil qe <log> /f:xml > file: events back to back, no root; PowerShell 5.1's > writes UTF-16 LE
    event = ('<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Hyper-V-VMMS" '
             'Guid="{6066F867-7CA1-4418-85FD-36E3F9C0600C}"/><EventID>20415</EventID><Version>0</Version><Level>4</Level>'
             '<Task>0</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime="2025-02-11T13:06:01.0306850Z"/>'
             '<EventRecordID>52262</EventRecordID><Correlation/><Execution ProcessID="3012" ThreadID="5400"/><Channel>Microsoft-Windows-Hyper-V-VMMS-Admin</Channel>'
             '<Computer>HV01.contoso.local</Computer><Security UserID="S-1-5-18"/></System><UserData><VmlEventLog xmlns="http://www.microsoft.com/Windows/Virtualization/Events">'
             '<VmName>SQL-VM01</VmName><VmId>2D4C1B6E-7B5A-4E0F-9C1D-3A2B4C5D6E7F</VmId><Parameter0>0.4</Parameter0></VmlEventLog></UserData></Event>')
    (tmp_path / "HV01-vmms.xml").write_bytes(b"\xff\xfe" + (event + "\r\n").encode("utf-16-le"))
    events = kit.read_events(tmp_path / "HV01-vmms.xml")
    assert events.blackouts().height == 1 and not events.warnings

    # ConvertTo-Json | Set-Content -Encoding UTF8, one file per export, per-host folder
    folder = tmp_path / "topology" / "HV01"
    folder.mkdir(parents=True)
    for name, (_, properties) in cli.TOPOLOGY_EXPORTS.items():
        count = min(len(TOPOLOGY_VALUES[p]) for p in properties)
        rows = [{p: TOPOLOGY_VALUES[p][k] for p in properties} for k in range(count)]
        (folder / f"{name}.json").write_bytes(ps51_json(rows))
        assert f"\\topology\\HV01\\{name}.json" in text
    topology = kit.read_topology(tmp_path / "topology")
    for kind in ("adapters", "rdma", "rss", "smb_connections", "vmhost", "migration_networks", "cluster_networks"):
        assert getattr(topology, kind).height > 0, kind
    assert topology.vmhost["performance_option"].to_list() == ["SMB"]

    # ping -t | ForEach-Object {"{0} - {1}" -f (Get-Date), $_} | Tee-Object: UTF-16 LE, local times
    lines = ["", "Pinging SQL-VM01 [10.20.0.15] with 32 bytes of data:",
             *("Reply from 10.20.0.15: bytes=32 time<1ms TTL=128" for _ in range(3)), "Request timed out."]
    log = "".join(f"2/11/2025 2:05:{18 + k:02d} PM - {line}\r\n" for k, line in enumerate(lines))
    (tmp_path / "ping.txt").write_bytes(b"\xff\xfe" + log.encode("utf-16-le"))
    pings = kit.read_pings(tmp_path / "ping.txt", utc_offset="+01:00")
    assert pings.table.height == 4 and str(pings.table["time"][0]).startswith("2025-02-11 13:05:20")
