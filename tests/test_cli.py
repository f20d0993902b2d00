import json

import polars as pl
import pytest

from kit.cli import main
from kit.sample import sample_test
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
    assert report["schema_version"] == 1 and report["labels"] == {"mtu": 9000, "plan": "high performance"}
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
