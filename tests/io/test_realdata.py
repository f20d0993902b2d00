"""Every real file in ../shared/realdata loads with every column accounted for and exact values."""

import csv
import json
from datetime import datetime, timedelta, timezone

import pytest

import kit
from kit.cli import main
from kit.io.perfmon.quality import SEVERITY
from tests.conftest import REALDATA

TEXT_FILES = sorted(p for p in REALDATA.glob("*") if p.suffix in (".csv", ".tsv"))
pytestmark = pytest.mark.skipif(not REALDATA.exists(), reason="../shared/realdata not present")


def read_rows(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle, delimiter="\t" if path.suffix == ".tsv" else ","))


@pytest.mark.parametrize("path", TEXT_FILES, ids=lambda p: p.name)
def test_every_column_and_row_is_accounted_for(path):
    rows = read_rows(path)
    capture = kit.load(path)
    dropped = [w for w in capture.warnings if w.code == "description-column"]
    assert capture.catalog.height + len(dropped) == len(rows[0]) - 1
    assert capture.catalog["path"].to_list() == rows[0][1:]
    assert capture.data.height == len(rows) - 1
    assert not [w for w in capture.warnings if SEVERITY.get(w.code) == "error"]


@pytest.mark.parametrize("path", TEXT_FILES, ids=lambda p: p.name)
def test_sample_cells_equal_the_file_text(path):
    rows = read_rows(path)
    capture = kit.load(path)
    bias = capture.sources[0].bias_minutes
    for r in (1, len(rows) // 2, len(rows) - 1):
        local = datetime.strptime(rows[r][0], "%m/%d/%Y %H:%M:%S.%f")
        assert capture.data["time"][r - 1] == (local + timedelta(minutes=bias)).replace(tzinfo=timezone.utc)
        for c in (1, len(rows[0]) // 3, len(rows[0]) - 1):
            text = rows[r][c].strip()
            got = capture.data[rows[0][c]][r - 1]
            assert got == (float(text) if text else None), (r, c)


def test_known_times_and_zones():
    pst = kit.load(REALDATA / "pst_exportcounter_lowercase_nic_3s.csv")
    assert pst.sources[0].zone_name == "Pacific Standard Time" and pst.sources[0].bias_minutes == 480
    assert pst.start == datetime(2016, 11, 26, 21, 46, 30, 874000, tzinfo=timezone.utc)
    tokyo = kit.load(REALDATA / "tokyo_5964cols_process_percpu_11s.csv")
    assert tokyo.start == datetime(2024, 4, 27, 8, 15, 26, 789000, tzinfo=timezone.utc)
    assert tokyo.interval_s == pytest.approx(11.0, abs=0.05)
    svchost = tokyo.catalog.filter(tokyo.catalog["instance"] == "svchost")["index"].to_list()
    assert None in svchost and 80 in svchost  # svchost, svchost#1 … svchost#84
    cn = kit.load(REALDATA / "cn_notz_nic_percpu_dpc_tcp_5s.csv", utc_offset="+08:00")
    assert cn.start == datetime(2022, 10, 9, 10, 35, 29, 39000, tzinfo=timezone.utc)
    assert cn.sources[0].zone_name is None and cn.sources[0].bias_basis == "user"


def test_csv_and_tsv_of_the_same_capture_agree():
    a = kit.load(REALDATA / "pst_exportcounter_lowercase_nic_3s.csv")
    b = kit.load(REALDATA / "pst_exportcounter_lowercase_nic_3s.tsv")
    assert a.data.equals(b.data)


def test_blg_loads_like_its_csv_twin():  # in detail: tests/io/perfmon/test_blg.py
    blg = kit.load(REALDATA / "pst_exportcounter_lowercase_nic_3s.blg")
    csv = kit.load(REALDATA / "pst_exportcounter_lowercase_nic_3s.csv")
    assert blg.data.columns == csv.data.columns and blg.data["time"].equals(csv.data["time"])


@pytest.mark.parametrize("path", TEXT_FILES, ids=lambda p: p.name)
def test_info_json(path, capsys):
    assert main(["info", str(path), "--json", "--quiet"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["columns"] + sum(w["code"] == "description-column" for w in info["warnings"]) == len(read_rows(path)[0]) - 1
    assert info["hosts"] and info["start_utc"].endswith("Z")
