import json

import polars as pl

from kit.cli import main
from conftest import pdh_text

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
    assert info["sources"][0]["bias_minutes"] == -60 and info["start_utc"] == "2026-01-02T09:00:00Z"


def test_convert_writes_the_tidy_form(write, tmp_path, capsys):
    path = sample(write)
    assert main(["convert", str(path), "--to", "parquet", "--out", str(tmp_path / "t.parquet")]) == 0
    tidy = pl.read_parquet(tmp_path / "t.parquet")
    assert tidy.select("host", "object", "instance", "counter", "value").rows() == [("HV01", "Network Interface", "NIC1", "Bytes Sent/sec", 5.0)]
    assert main(["convert", str(path), "--to", "csv"]) == 0
    assert pl.read_csv(path.with_suffix(".tidy.csv"))["value"].to_list() == [5.0]


def test_bad_input_exits_2_with_a_message(write, capsys):
    assert main(["info", str(write("x.blg", b"\x00" * 10))]) == 2
    assert "relog" in capsys.readouterr().err
