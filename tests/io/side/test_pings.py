"""Ping logs: Windows ping -t, Test-Connection, Linux ping -D (kit/io/pings.py)."""

from datetime import datetime, timezone
from functools import partial

import polars as pl
import pytest

from kit.errors import DataError, FileEncodingError, InputNotFoundError, OptionError, UnsupportedFormatError
from kit.io.side.pings import SCHEMA, read_pings
from tests.conftest import TEST_DATA

DATA = TEST_DATA / "pings"


utc = partial(datetime, tzinfo=timezone.utc)


def codes(pings):
    return [w.code for w in pings.warnings]


def test_windows_ping_without_timestamps_counts_elapsed_time():
    pings = read_pings(DATA / "ping-t.txt")
    table = pings.table
    assert table.schema == pl.Schema(SCHEMA)
    assert pings.format == "windows-ping" and pings.time_basis == "none" and pings.interval_basis == "default"
    assert table["status"].to_list() == ["reply"] * 3 + ["timeout"] * 2 + ["reply"] * 3
    assert table["rtt_ms"].to_list() == [0.5, 1.0, 0.5, None, None, 3.0, 0.5, 0.5]  # time<1ms → 0.5
    assert table["seq"].to_list() == list(range(1, 9))
    assert table["target"].unique().to_list() == ["10.20.0.15"]
    # a reply takes the interval (1 s), a time-out ping's default wait (4 s)
    assert table["elapsed_s"].to_list() == [0.0, 1.0, 2.0, 3.0, 7.0, 11.0, 12.0, 13.0]
    assert table["time"].is_null().all()
    assert codes(pings) == ["interval-assumed", "times-estimated", "no-start"]
    assert table["line"].to_list() == [3, 4, 5, 6, 7, 8, 9, 10]


def test_windows_ping_placed_by_start_and_interval():
    pings = read_pings(DATA / "ping-t.txt", start="2025-02-11T13:05:50", interval_s=1.0, timeout_s=2.0)
    assert pings.time_basis == "start" and pings.interval_basis == "given"
    assert pings.table["time"].to_list()[3:6] == [utc(2025, 2, 11, 13, 5, s) for s in (53, 55, 57)]
    assert codes(pings) == ["times-estimated"]


def test_time_stamped_windows_ping_in_utf16():
    """ping -t | ForEach-Object {"{0} - {1}" -f (Get-Date),$_} | Out-File (5.1: UTF-16 LE, en-US)."""
    pings = read_pings(DATA / "ping-stamped.txt", utc_offset="+01:00")
    table = pings.table
    assert pings.time_basis == "log" and pings.interval_basis == "inferred" and pings.interval_s == 1.0
    assert pings.warnings == ()
    assert table["time"][0] == utc(2025, 2, 11, 13, 5, 53)
    lost = pings.lost()
    assert lost.select("time", "status", "line").rows() == [(utc(2025, 2, 11, 13, 6, 2), "timeout", 8)]
    assert table["target"].unique().to_list() == ["10.20.0.15"]


def test_time_stamps_without_offset_are_taken_as_utc_and_say_so():
    pings = read_pings(DATA / "ping-stamped.txt")
    assert codes(pings) == ["timezone-unknown"]
    assert pings.table["time"][0] == utc(2025, 2, 11, 14, 5, 53)


def test_linux_ping_missing_sequence_numbers_are_losses():
    pings = read_pings(DATA / "ping-linux.txt")
    table = pings.table
    assert pings.format == "linux-ping" and pings.time_basis == "log"
    assert pings.interval_s == pytest.approx(1.0, abs=1e-3)
    assert table["seq"].to_list() == list(range(1, 13))  # 12 probes: the DUP line is no probe
    assert table.filter(~pl.col("ok")).select("seq", "status", "line").rows() == [(7, "no-answer", 8), (8, "missing", None)]
    assert table["time"][0] == utc(2025, 2, 11, 13, 5, 53, 412)
    assert table["time"][7] == utc(2025, 2, 11, 13, 6, 0, 501854)  # interpolated between its neighbours
    assert table["rtt_ms"][0] == 0.301
    assert codes(pings) == ["missing-seq"]


def test_linux_icmp_seq_wraps_at_65536(tmp_path):
    path = tmp_path / "wrap.txt"
    lines = [
        f"[{1739279153 + i}.000000] 64 bytes from 10.20.0.15: icmp_seq={seq} ttl=128 time=0.3 ms"
        for i, seq in enumerate((65534, 65535, 0, 1))
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    pings = read_pings(path)
    assert pings.table["seq"].to_list() == [65534, 65535, 65536, 65537]
    assert pings.warnings == ()


def test_test_connection_powershell_7_table():
    pings = read_pings(DATA / "tc7.txt", start=datetime(2025, 2, 11, 14, 5, 53, tzinfo=timezone.utc))
    table = pings.table
    assert pings.format == "test-connection-7"
    assert table.select("seq", "status", "rtt_ms").rows()[1:4] == [(2, "reply", 0.0), (3, "timeout", None), (4, "reply", 2.0)]
    assert table["target"].unique().to_list() == ["vm01"]
    assert table["elapsed_s"].to_list() == [0.0, 1.0, 2.0, 7.0, 8.0, 9.0]  # -TimeoutSeconds default 5
    assert table["time"][0] == utc(2025, 2, 11, 14, 5, 53)


def test_test_connection_windows_powershell_51_table_cannot_show_losses():
    pings = read_pings(DATA / "tc51.txt")
    assert pings.format == "test-connection-5"
    assert pings.table["ok"].all() and pings.table["rtt_ms"].to_list() == [0.0, 1.0, 0.0]
    assert codes(pings)[0] == "losses-invisible"


def test_export_csv_of_ping_objects():
    ps7 = read_pings(DATA / "tc7.csv")
    assert ps7.format == "test-connection-csv"
    assert ps7.table.select("seq", "status", "rtt_ms", "line").rows() == [
        (1, "reply", 1.0, 2), (2, "timeout", None, 3), (3, "reply", 0.0, 4), (4, "reply", 2.0, 5)]
    win32 = read_pings(DATA / "win32-pingstatus.csv")
    assert win32.format == "win32-pingstatus-csv"
    assert win32.table.select("status", "rtt_ms", "line").rows() == [("reply", 0.0, 3), ("timeout", None, 4), ("reply", 1.0, 5)]
    assert "unrecognised-line" not in codes(ps7) + codes(win32)


def test_garbage_lines_are_skipped_and_reported():
    pings = read_pings(DATA / "ping-t-garbage.txt", interval_s=1.0)
    assert pings.table.height == 8
    (warning,) = [w for w in pings.warnings if w.code == "unrecognised-line"]
    assert warning.line == 6 and warning.skipped_lines == (6, 8)
    assert warning.message == (
        "2 line(s) are not windows-ping output and were skipped (lines 6, 8), first '%%% tail -f of another log %%%'"
    )


def test_not_a_ping_log():
    with pytest.raises(UnsupportedFormatError, match=r"notes\.txt: not a ping log the kit knows \(expected Windows ping -t"):
        read_pings(DATA / "notes.txt")


def test_a_log_without_probes_is_an_error(tmp_path):
    path = tmp_path / "header-only.txt"
    path.write_text("\nPinging 10.20.0.15 with 32 bytes of data:\n", encoding="utf-8")
    with pytest.raises(DataError, match="the windows-ping log holds no probe"):
        read_pings(path)


def test_bad_options_and_paths():
    with pytest.raises(OptionError, match="interval_s must be > 0"):
        read_pings(DATA / "ping-t.txt", interval_s=0)
    with pytest.raises(InputNotFoundError, match="no such file"):
        read_pings(DATA / "missing.txt")
    with pytest.raises(OptionError, match="utc_offset 'later'"):
        read_pings(DATA / "ping-stamped.txt", utc_offset="later")


# --- localized ping.exe output, in the console's OEM code page ------------------------------------

GERMAN = TEST_DATA / "bad-side" / "pings" / "german_cmd_redirect_cp850.txt"
RUSSIAN = """
Обмен пакетами с vm01 [10.0.0.5] с 32 байтами данных:
Ответ от 10.0.0.5: число байт=32 время<1мс TTL=128
Превышен интервал ожидания для запроса.
Ответ от 10.0.0.1: Заданный узел недоступен.
Ответ от 10.0.0.5: число байт=32 время=7мс TTL=128

Статистика Ping для 10.0.0.5:
    Пакетов: отправлено = 4, получено = 3, потеряно = 1
    (25% потерь)
Приблизительное время приема-передачи в мс:
    Минимальное = 0мсек, Максимальное = 7 мсек, Среднее = 3 мсек
Control-C
^C
"""


def test_german_ping_redirected_from_cmd_is_read_as_cp850():
    pings = read_pings(GERMAN)
    table = pings.table
    (guess,) = [w for w in pings.warnings if w.code == "encoding-guess"]
    assert guess.message.startswith("the file is not UTF-8: read as cp850, the OEM code page of a console")
    assert pings.format == "windows-ping" and codes(pings)[1:] == ["interval-assumed", "times-estimated", "no-start"]
    assert table["status"].to_list() == ["reply"] * 3 + ["timeout"] * 2 + ["reply"] * 2 + ["unreachable", "reply"]
    assert table["rtt_ms"].to_list() == [0.5, 1.0, 0.5, None, None, 3.0, 0.5, None, 2.0]  # Zeit<1ms → 0.5
    assert table["line"].to_list() == list(range(3, 12)) and table["target"].unique().to_list() == ["10.0.0.2"]
    assert table["elapsed_s"].to_list() == [0.0, 1.0, 2.0, 3.0, 7.0, 11.0, 12.0, 13.0, 14.0]
    assert table["ok"].sum() == 6 and pings.lost().height == 3  # the summary says 9 sent, 7 answered (1 unreachable)


@pytest.mark.parametrize("encoding, note", [("utf-8", None), ("cp1252", "read as cp1252"), ("cp850", "read as cp850")])
def test_german_ping_in_each_code_page_it_is_written_in(tmp_path, encoding, note):
    """UTF-8 (PowerShell 7), the ANSI code page (a re-saved file) and the console's OEM page."""
    path = tmp_path / "ping.txt"
    path.write_bytes(GERMAN.read_bytes().decode("cp850").encode(encoding))
    pings = read_pings(path)
    assert pings.table.equals(read_pings(GERMAN).table.with_columns(source=pl.lit(str(path))))
    guesses = [note in w.message for w in pings.warnings if w.code == "encoding-guess"]
    assert guesses == ([] if note is None else [True])


def test_russian_ping_redirected_from_cmd_is_read_as_cp866(tmp_path):
    path = tmp_path / "ping.txt"
    path.write_bytes(RUSSIAN.replace("\n", "\r\n").encode("cp866"))
    pings = read_pings(path, start="2025-02-11T13:05:00", interval_s=1.0)
    (guess,) = [w for w in pings.warnings if w.code == "encoding-guess"]
    assert "read as cp866" in guess.message
    table = pings.table
    assert table["status"].to_list() == ["reply", "timeout", "unreachable", "reply"]
    assert table["rtt_ms"].to_list() == [0.5, None, None, 7.0] and table["target"][0] == "10.0.0.5"
    assert table["time"].to_list() == [utc(2025, 2, 11, 13, 5, s) for s in (0, 1, 5, 6)]  # a time-out waits 4 s
    assert "unrecognised-line" not in codes(pings)


def test_bytes_that_read_as_no_console_output_are_still_damaged(tmp_path):
    path = tmp_path / "ping.txt"
    path.write_bytes(b"Reply from 10.0.0.2: bytes=32 time=1ms TTL=128\r\nGarbage \x81\x8d\r\n")
    with pytest.raises(FileEncodingError, match="line 2: invalid cp1252 bytes"):
        read_pings(path)
