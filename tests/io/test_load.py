"""Several files at once, the Parquet cache, the capture API and progress."""

import io

import polars as pl
import pytest

import kit
from kit.errors import InputNotFoundError, OptionError, UnsupportedFormatError
from kit.io.perfmon import cache
from tests.conftest import pdh_text

SRC = r"\\HV01\Network Interface(NIC1)\Bytes Sent/sec"
DST = r"\\HV02\Network Interface(NIC1)\Bytes Received/sec"


def host_file(write, name, path, start_second, values):
    rows = [[f"01/02/2026 10:00:{start_second + i:02d}.{i * 7:03d}", str(v)] for i, v in enumerate(values)]
    return write(name, pdh_text("(PDH-CSV 4.0) (W. Europe Standard Time)(-60)", [path], rows))


def test_two_hosts_join_on_time_keeping_host_and_source(write):
    a = host_file(write, "HV01.csv", SRC, 0, [1, 2, 3])
    b = host_file(write, "HV02.csv", DST, 1, [10, 20, 30])
    capture = kit.load([a, b])
    assert capture.hosts == ["HV01", "HV02"]
    assert dict(zip(capture.catalog["column"], capture.catalog["source"])) == {SRC: str(a), DST: str(b)}
    assert capture.data.height == 6 and capture.data["time"].is_sorted()
    assert capture.data[SRC].drop_nulls().to_list() == [1.0, 2.0, 3.0]
    assert capture.data[DST].drop_nulls().to_list() == [10.0, 20.0, 30.0]
    assert [s.hosts for s in capture.sources] == [("HV01",), ("HV02",)]


def test_folder_and_glob(write, tmp_path):
    host_file(write, "HV01.csv", SRC, 0, [1, 2])
    host_file(write, "HV02.csv", DST, 0, [3, 4])
    assert kit.load(tmp_path).hosts == ["HV01", "HV02"]
    assert kit.load(str(tmp_path / "HV0*.csv")).catalog.height == 2


def test_pieces_of_one_log_are_stacked_in_time(write):
    first = host_file(write, "part1.csv", SRC, 0, [1, 2])
    second = host_file(write, "part2.csv", SRC, 10, [3, 4])
    capture = kit.load([second, first])
    assert capture.data[SRC].to_list() == [1.0, 2.0, 3.0, 4.0]
    assert capture.catalog.height == 1


def test_same_counter_from_two_unrelated_logs_is_renamed_and_reported(write):
    a = write("a.csv", pdh_text("(PDH-CSV 4.0) (UTC)(0)", [SRC, DST], [["01/02/2026 10:00:00.000", "1", "2"]]))
    b = write("b.csv", pdh_text("(PDH-CSV 4.0) (UTC)(0)", [SRC], [["01/02/2026 10:00:00.000", "5"]]))
    capture = kit.load([a, b])
    assert f"{SRC} [b.csv]" in capture.data.columns
    assert capture.data.row(0) [1:] == (1.0, 2.0, 5.0)
    assert "column-collision" in [w.code for w in capture.warnings]


def test_missing_inputs_are_clear_errors(tmp_path):
    with pytest.raises(InputNotFoundError, match="no such file"):
        kit.load(tmp_path / "nope.csv")
    with pytest.raises(InputNotFoundError, match="matches no file"):
        kit.load(str(tmp_path / "*.csv"))
    with pytest.raises(InputNotFoundError, match="holds no"):
        kit.load(tmp_path)
    with pytest.raises(OptionError):
        kit.load([])
    with pytest.raises(OptionError, match="utc_offset"):
        kit.load(tmp_path, utc_offset="8 hours")


def test_second_load_comes_from_the_cache_and_is_identical(write, monkeypatch):
    path = host_file(write, "HV01.csv", SRC, 0, [1, 2, 3])
    first = kit.load(path)
    monkeypatch.setattr("kit.io.read_file", lambda *a, **k: pytest.fail("parsed again"))
    second = kit.load(path)
    assert second.data.equals(first.data) and second.catalog.equals(first.catalog)
    assert second.warnings == first.warnings and second.sources == first.sources


def test_cache_key_follows_content_and_options(write):
    path = host_file(write, "HV01.csv", SRC, 0, [1, 2, 3])
    key = cache.content_hash(path)
    assert cache.entry_key(key, {"a": 1}) != cache.entry_key(key, {"a": 2})
    host_file(write, "HV01.csv", SRC, 0, [1, 2, 4])
    assert cache.content_hash(path) != key
    assert kit.load(path).data[SRC].to_list() == [1.0, 2.0, 4.0]


def test_long_view_and_select(write):
    capture = kit.load(host_file(write, "HV01.csv", SRC, 0, [1, 2]))
    long = capture.long()
    assert long.columns[:3] == ["time", "column", "value"] and long.height == 2
    assert long["counter_en"].unique().to_list() == ["Bytes Sent/sec"]
    assert capture.select(capture.columns(host="hv01", object="network interface")).data.columns == ["time", SRC]


def test_quality_report_is_a_table(write):
    capture = kit.load(write("one.csv", pdh_text("(PDH-CSV 4.0) (", [SRC], [["01/02/2026 10:00:00.000", "1"]])))
    report = kit.quality_report(capture)
    assert set(report["code"]) == {"timezone-unknown", "single-sample"}
    assert report.schema["line"] == pl.Int64


def test_progress_can_be_forced_or_silenced(write, capsys):
    path = host_file(write, "HV01.csv", SRC, 0, [1, 2])
    kit.load(path, progress=True, cache_results=False)
    assert "loading" in capsys.readouterr().err
    kit.load(path, progress=False, cache_results=False)
    assert capsys.readouterr().err == ""


def test_an_open_file_loads_like_its_path(write):
    path = host_file(write, "HV01.csv", SRC, 0, [1, 2, 3])
    by_path = kit.load(path, cache_results=False)
    with open(path, "rb") as handle:
        by_stream = kit.load(handle, cache_results=False)
    assert by_stream.data.equals(by_path.data)
    assert by_stream.sources[0].path == str(path) and set(by_stream.catalog["source"]) == {str(path)}
    text = io.StringIO(path.read_text(encoding="utf-8"))
    assert kit.load(text, cache_results=False).sources[0].path == "<stream>"


def test_a_broken_stream_is_named_in_the_error(write):
    stream = io.BytesIO(b"not,a,counter,log\n1,2,3,4\n")
    stream.name = "upload.csv"
    with pytest.raises(kit.KitError, match=r"^upload\.csv, line 1: unknown format"):
        kit.load(stream, cache_results=False)


def test_the_format_can_be_asked_for(write):
    path = host_file(write, "HV01.csv", SRC, 0, [1, 2])
    assert kit.load(path, format="pdh", cache_results=False).sources[0].format == "pdh-csv"
    with pytest.raises(kit.KitError, match="not that of the powershell format"):
        kit.load(path, format="powershell", cache_results=False)
    with pytest.raises(OptionError, match="unknown format 'xlsx'.*pdh, powershell, blg"):
        kit.load(path, format="xlsx")
    with pytest.raises(UnsupportedFormatError, match=r"binary perfmon log \(\.blg\), offset"):
        kit.load(path, format="blg", cache_results=False)


def test_a_slow_single_file_shows_bytes_and_its_phase_within_a_second(write, capsys, monkeypatch):
    import time

    from kit.io.perfmon import sniff

    path = host_file(write, "HV01.csv", SRC, 0, [1, 2])
    parse = sniff.read_file

    def slow(*args, **kwargs):
        time.sleep(1.6)  # a big file: one polars call, no progress from inside it
        return parse(*args, **kwargs)

    monkeypatch.setattr("kit.io.read_file", slow)
    kit.load(path, cache_results=False)
    err = capsys.readouterr().err
    assert "loading" in err and "HV01.csv" in err and "parsing" in err and "B" in err
    monkeypatch.setattr("kit.io.read_file", parse)
    kit.load(path, cache_results=False)  # quick: no bar
    assert capsys.readouterr().err == ""
