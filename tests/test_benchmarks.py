"""Smoke test of the benchmark suite (benchmarks/): the generators write relog's exact CSV form and
the PowerShell long CSV at a minuscule size, and a few steps run end to end, so the script cannot
rot. Not a timing test."""

import csv
import io
import json

import numpy as np
import polars as pl
import pytest

import kit
from benchmarks import generate, run


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    return folder, generate.generate(folder, "tiny")


def test_generator_writes_relog_form(tiny):
    folder, info = tiny
    data = (folder / "capture-tiny.csv").read_bytes()
    lines = data.split(b"\r\n")
    assert lines[-1] == b"" and b"\n" not in b"".join(lines)  # CRLF only, ends with a line break
    assert lines[0].startswith(b'"(PDH-CSV 4.0) (W. Europe Standard Time)(-60)","\\\\HV02\\')
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    header, body = rows[0], rows[1:]
    assert len(body) == info["rows"] == 240 and len(header) == info["main"]["counters"] + 1 == 301
    assert all(line.startswith(b'"') and line.endswith(b'"') for line in lines[:-1])  # every field quoted
    assert body[0][0] == "03/04/2025 00:00:00.1" + body[0][0][-2:]  # MM/DD/YYYY HH:MM:SS.mmm
    rate = [i for i, name in enumerate(header) if name.endswith("/sec")]
    assert all(body[0][i] == " " for i in rate)  # blank first row for rate counters
    assert body[0][header.index("\\\\HV02\\Network Interface(Mellanox ConnectX-6 Dx Adapter)\\Current Bandwidth")] == "25000000000"
    # the values are exactly what relog's %.20g prints
    cells = [cell for row in body[1:40] for cell in row[1:] if cell != " "]
    assert cells == [("%.20g" % float(cell)) for cell in cells]
    lm = [i for i, name in enumerate(header) if "Hyper-V VM Live Migration(VM-01" in name]
    present = [row for row in body if row[lm[0]] != " "]
    assert 0 < len(present) < len(body)  # the instance exists only while its VM migrates


def test_encoded_copies(tiny):
    folder, _ = tiny
    utf8 = (folder / "capture-tiny.csv").read_bytes()
    assert (folder / "capture-tiny-cp1252.csv").read_bytes().decode("cp1252") == utf8.decode("utf-8")
    assert (folder / "capture-tiny-utf16.csv").read_bytes().decode("utf-16") == utf8.decode("utf-8")
    assert "Übergabe" in utf8.decode("utf-8")


def test_kit_finds_the_migrations(tiny):
    folder, info = tiny
    capture = kit.load(folder / "capture-tiny.csv", cache_results=False, progress=False)
    floor = pl.read_csv(folder / "capture-tiny.csv", schema=run_schema(folder), null_values=" ")
    assert capture.data.shape == floor.shape
    np.testing.assert_array_equal(capture.data.drop("time").to_numpy(), floor.drop(floor.columns[0]).to_numpy())
    result = kit.analyze(capture)
    assert result.windows["vm"].to_list() == [m["vm"] for m in info["main"]["migrations"]]
    table = result.table()
    assert table["destination"].to_list() == ["HV02", None] and table["source"].to_list() == [None, "HV02"]


def test_powershell_generator_writes_export_csv_form(tmp_path):
    info = generate.generate_powershell(tmp_path, "tiny")
    data = (tmp_path / "powershell-tiny.csv").read_bytes()
    lines = data.split(b"\r\n")
    assert lines[-1] == b"" and len(lines) - 2 == info["rows"] == 4 * 300
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    assert list(rows[0]) == list(generate.PS_COLUMNS)
    assert rows[0]["Path"] == rows[0]["Path"].lower() and rows[0]["Timestamp"] == "3/4/2025 12:00:00 AM"
    assert rows[-1]["Timestamp"] == "3/4/2025 12:00:03 AM" and {r["Status"] for r in rows} == {"0"}
    capture = kit.load(tmp_path / "powershell-tiny.csv", cache_results=False, progress=False)
    assert capture.data.shape == (4, 301) and capture.sources[0].format == "powershell-csv"


def run_schema(folder):
    names = pl.read_csv(folder / "capture-tiny.csv", n_rows=0).columns
    return {names[0]: pl.String} | {name: pl.Float64 for name in names[1:]}


def test_steps_run_end_to_end(tiny, tmp_path, capsys):
    folder, _ = tiny
    steps = "floor_csv,kit_cold,cache50_kit,ps_kit,ps_one"
    if _has_pandas():
        steps += ",pandas_c"
    assert run.main(["--size", "tiny", "--repeat", "1", "--steps", steps, "--work", str(folder),
                     "--results", str(tmp_path), "--machine", "test"]) == 0
    out = capsys.readouterr().out
    assert "kit.load CSV (cache off)" in out and "FAILED" not in out
    (saved,) = tmp_path.glob("test-tiny-*.json")
    doc = json.loads(saved.read_text())
    assert doc["capture"]["rows"] == 240 and doc["capture"]["counters"] == 300
    assert doc["steps"]["kit_cold"]["info"]["shape"] == [240, 301]
    assert doc["steps"]["floor_csv"]["peak_rss_mb"] > 0
    targets = {t["target"]: t for t in doc["targets"]}
    assert targets["full load ≤ 1.3 × polars.read_csv floor"]["value"] > 0
    assert doc["capture"]["powershell"]["rows"] == 4 * 300
    assert doc["steps"]["ps_kit"]["info"]["shape"] == [4, 301]
    assert doc["steps"]["ps_one"]["info"]["shape"] == [4, 2]
    assert targets["PowerShell CSV one counter: peak Δ ≤ 0.3 × file size"]["value"] > 0


def _has_pandas():
    try:
        import pandas  # noqa: F401
    except ImportError:
        return False
    return True


def test_week_capture_has_vms_migrating_back_and_forth(tmp_path):
    """The week's capture (issue 16 §6) at 3,000 rows: 56 migrations of 8 VMs, each VM's
    live-migration instance reused, in and out in turn; the counters the ``week`` step loads give
    the same analysis, one row per migration."""
    spec = dict(generate.SIZES["week"], rows=3_000)
    info = generate.write(tmp_path / "week.csv", generate.plan(**spec))
    assert info["counters"] == 500 and len(info["migrations"]) == 56
    assert {m["vm"] for m in info["migrations"]} == {f"VM-{k:02d}" for k in range(1, 9)}
    capture = kit.load(tmp_path / "week.csv", counters=run.WEEK_COUNTERS, cache_results=False, progress=False)
    assert capture.data.width < 200
    table = kit.analyze(capture).table()
    expected = [(m["vm"], m["direction"]) for m in info["migrations"]]
    assert [(row["vm"], "in" if row["destination"] == "HV02" else "out") for row in table.iter_rows(named=True)] == expected
    assert expected[0] == ("VM-01", "in") and expected[8] == ("VM-01", "out")


def test_issue16_steps_and_targets(tiny, tmp_path, capsys):
    """The steps of issue 16's targets run at the tiny size and give their target rows."""
    folder, _ = tiny
    steps = "floor_csv,kit_cold,kit_first,first_profile,floor_parquet,kit_warm,kit_utf16,progress_bar"
    assert run.main(["--size", "tiny", "--repeat", "1", "--steps", steps, "--work", str(folder),
                     "--results", str(tmp_path), "--machine", "test"]) == 0
    assert "FAILED" not in capsys.readouterr().out
    (saved,) = tmp_path.glob("test-tiny-*.json")
    doc = json.loads(saved.read_text())
    assert set(doc["steps"]["first_profile"]["parts"]) == {"hash", "parse", "enqueue", "write"}
    assert doc["steps"]["first_profile"]["info"]["parquet_bytes"] > 0
    assert doc["steps"]["progress_bar"]["info"]["refreshes"] >= 1
    targets = {t["target"]: t for t in doc["targets"]}
    for name in ("16§1 first load (returned) ≤ 1.15 × read_csv floor", "16§2 cache hit ≤ 1.0 × polars.read_parquet",
                 "16§5 UTF-16 peak RSS ≤ 1.2 × floor's", "16§7 progress bar's cost ≤ 1.05 × kit_cold"):
        assert targets[name]["value"] > 0, name
