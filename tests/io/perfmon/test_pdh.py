"""PDH-CSV/TSV quirks, each on a small hand-made file (domain reference §1)."""

from datetime import datetime, timezone

import polars as pl
import pytest

import kit
from kit.errors import HeaderError
from kit.io.perfmon.pdh import parse_zone
from tests.conftest import pdh_text

A = r"\\HV01\Network Interface(Mellanox ConnectX-4 Lx _2)\Bytes Received/sec"
B = r"\\HV01\Memory\Available MBytes"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def codes(capture) -> list[str]:
    return [w.code for w in capture.warnings]


@pytest.mark.parametrize(
    "cell, zone, bias",
    [
        ("(PDH-CSV 4.0) (Pacific Standard Time)(480)", "Pacific Standard Time", 480),
        ("(PDH-CSV 4.0) (W. Europe Daylight Time)(-120)", "W. Europe Daylight Time", -120),
        ("(PDH-CSV 4.0) (India Standard Time)(-330)", "India Standard Time", -330),
        ("(PDH-CSV 4.0) (Maroc (heure d'été))(-60)", "Maroc (heure d'été)", -60),
        ("(PDH-CSV 4.0) (", None, None),
        ("(PDH-CSV 4.0) ()(0)", None, 0),
        ("(PDH-CSV 4.0) (Pacific Stan", "Pacific Stan", None),
        ("(PDH-CSV 4.0) (Eastern Standard Time)", "Eastern Standard Time", None),
        ("(PDH-CSV 4.0)", None, None),
        ("(PDH-TSV 4.0) (Tokyo Standard Time)(-540)", "Tokyo Standard Time", -540),
    ],
)
def test_parse_zone(cell, zone, bias):
    assert parse_zone(cell) == (zone, bias)


def test_utc_is_local_plus_bias_including_half_hours(write):
    path = write("ist.csv", pdh_text("(PDH-CSV 4.0) (India Standard Time)(-330)", [A], [["01/02/2026 10:00:00.250", "5"]]))
    capture = kit.load(path)
    assert capture.data["time"].to_list() == [utc(2026, 1, 2, 4, 30, 0, 250000)]
    assert capture.sources[0].bias_minutes == -330 and capture.sources[0].bias_basis == "header"


def test_missing_zone_is_reported_and_user_offset_fills_it(write):
    path = write("nozone.csv", pdh_text("(PDH-CSV 4.0) (", [A], [["10/09/2022 18:35:29.039", "1"], ["10/09/2022 18:35:34.045", "2"]]))
    plain = kit.load(path)
    assert "timezone-unknown" in codes(plain)
    assert plain.data["time"][0] == utc(2022, 10, 9, 18, 35, 29, 39000)
    shifted = kit.load(path, utc_offset="+08:00")
    assert shifted.data["time"][0] == utc(2022, 10, 9, 10, 35, 29, 39000)
    assert shifted.sources[0].bias_basis == "user" and "timezone-unknown" not in codes(shifted)


def test_header_zone_wins_unless_overridden(write):
    path = write("pst.csv", pdh_text("(PDH-CSV 4.0) (Pacific Standard Time)(480)", [A], [["11/26/2016 13:46:30.874", "1"]]))
    assert kit.load(path, utc_offset=0).data["time"][0] == utc(2016, 11, 26, 21, 46, 30, 874000)
    forced = kit.load(path, utc_offset=0, override_zone=True)
    assert forced.data["time"][0] == utc(2016, 11, 26, 13, 46, 30, 874000)
    assert "bias-override" in codes(forced)


def test_values_blanks_exponents_and_twenty_digits(write):
    rows = [
        ["07/23/2026 06:04:43.000", " ", "4112"],
        ["07/23/2026 06:04:44.000", "9491.8584533302400814", ""],
        ["07/23/2026 06:04:45.000", "1.5e-005", "2.20E+12"],
    ]
    capture = kit.load(write("v.csv", pdh_text("(PDH-CSV 4.0) (UTC)(0)", [A, B], rows)))
    assert capture.data[A].to_list() == [None, float("9491.8584533302400814"), 1.5e-05]
    assert capture.data[B].to_list() == [4112.0, None, 2.2e12]
    assert capture.data.schema[A] == pl.Float64


def test_unquoted_excel_resave_with_rounded_values(write):
    rows = [["10/9/2022 18:35:29", "2.20E+12", "17"], ["10/9/2022 18:35:34", "1.5", "18"]]
    text = pdh_text("(PDH-CSV 4.0) (Pacific Standard Time)(480)", [A, B], rows, quote=False)
    capture = kit.load(write("excel.csv", text))
    assert capture.data[A].to_list() == [2.2e12, 1.5]
    assert capture.data["time"].to_list() == [utc(2022, 10, 10, 2, 35, 29), utc(2022, 10, 10, 2, 35, 34)]


def test_excel_resave_with_semicolons_and_decimal_commas(write):
    rows = [["09.10.2022 18:35:29", "12,5", "17"], ["09.10.2022 18:35:34", "1,25", "18"]]
    text = pdh_text("(PDH-CSV 4.0) (W. Europe Daylight Time)(-120)", [A, B], rows, sep=";", quote=False)
    capture = kit.load(write("excel-de.csv", text))
    assert capture.data[A].to_list() == [12.5, 1.25]
    assert capture.data["time"][0] == utc(2022, 10, 9, 16, 35, 29)


def test_excel_minute_timestamps_are_flagged(write):
    rows = [["10/9/2022 18:35", "1", "2"], ["10/9/2022 18:36", "1", "2"], ["10/9/2022 18:37", "1", "2"]]
    capture = kit.load(write("m.csv", pdh_text("(PDH-CSV 4.0) (UTC)(0)", [A, B], rows, quote=False)))
    assert "minute-timestamps" in codes(capture)


def test_tsv(write):
    rows = [["01/02/2026 10:00:00.000", " ", "10"], ["01/02/2026 10:00:01.000", "5", "11"]]
    capture = kit.load(write("x.tsv", pdh_text("(PDH-TSV 4.0) (UTC)(0)", [A, B], rows, sep="\t")))
    assert capture.sources[0].format == "pdh-tsv"
    assert capture.data[A].to_list() == [None, 5.0]


def test_description_column_is_detected_reported_and_left_out(write):
    paths = [A, B, "Collects the live-migration counters"]
    rows = [["01/02/2026 10:00:00.000", " ", "10", " "], ["01/02/2026 10:00:01.000", "5", "11", " "]]
    capture = kit.load(write("dcs.csv", pdh_text("(PDH-CSV 4.0) (UTC)(0)", paths, rows)))
    assert capture.catalog["column"].to_list() == [A, B]
    [warning] = [w for w in capture.warnings if w.code == "description-column"]
    assert warning.column == 4 and "Collects the live-migration counters" in warning.message


def test_a_non_path_column_with_values_is_kept_and_reported(write):
    rows = [["01/02/2026 10:00:00.000", "1", "7"]]
    capture = kit.load(write("odd.csv", pdh_text("(PDH-CSV 4.0) (UTC)(0)", [A, "Note"], rows)))
    assert capture.data["Note"].to_list() == [7.0]
    assert "not-a-counter-path" in codes(capture)


def test_header_with_no_counter_paths_is_an_error(write):
    path = write("nopaths.csv", pdh_text("(PDH-CSV 4.0) (UTC)(0)", ["a", "b"], [["01/02/2026 10:00:00.000", "1", "2"]]))
    with pytest.raises(HeaderError, match=r"nopaths\.csv, line 1: the header holds no counter paths"):
        kit.load(path)


def test_one_row_capture(write):
    capture = kit.load(write("one.csv", pdh_text("(PDH-CSV 4.0) (UTC)(0)", [A], [["01/02/2026 10:00:00.000", "3"]])))
    assert capture.data.height == 1 and capture.interval_s is None
    assert "single-sample" in codes(capture)


def test_jittering_interval_is_the_median_gap(write):
    seconds = [0.0, 1.2, 2.0, 3.3, 4.0, 4.8, 6.0, 7.0]
    rows = [[f"01/02/2026 10:00:{s:06.3f}", "1"] for s in seconds]
    capture = kit.load(write("jitter.csv", pdh_text("(PDH-CSV 4.0) (UTC)(0)", [A], rows)))
    assert capture.interval_s == pytest.approx(1.0)
    assert "irregular-interval" in codes(capture) and "dropped-samples" not in codes(capture)


def test_dropped_samples_are_counted(write):
    seconds = [0, 1, 2, 3, 7, 8, 9]
    rows = [[f"01/02/2026 10:00:{s:02d}.000", "1"] for s in seconds]
    capture = kit.load(write("gap.csv", pdh_text("(PDH-CSV 4.0) (UTC)(0)", [A], rows)))
    [warning] = [w for w in capture.warnings if w.code == "dropped-samples"]
    assert "about 3 sample(s) missing" in warning.message and warning.line == 6


def test_dst_fall_back_is_detected_reported_and_corrected(write):
    # US Pacific, 2 Nov 2025: 01:59:59 PDT is followed by 01:00:00 PST. Header written in PDT (420).
    local = ["11/02/2025 01:59:58.000", "11/02/2025 01:59:59.000", "11/02/2025 01:00:00.000", "11/02/2025 01:00:01.000"]
    rows = [[t, str(i)] for i, t in enumerate(local)]
    path = write("dst.csv", pdh_text("(PDH-CSV 4.0) (Pacific Daylight Time)(420)", [A], rows))
    capture = kit.load(path)
    assert capture.data["time"].to_list() == [
        utc(2025, 11, 2, 8, 59, 58), utc(2025, 11, 2, 8, 59, 59), utc(2025, 11, 2, 9, 0, 0), utc(2025, 11, 2, 9, 0, 1)
    ]
    [warning] = [w for w in capture.warnings if w.code == "dst-jump"]
    assert warning.line == 4 and "fall-back" in warning.message
    kept = kit.load(path, correct_dst=False)
    assert "clock-step-back" in codes(kept) and kept.data["time"].is_sorted()


def test_dst_spring_forward_is_corrected(write):
    local = ["03/09/2025 01:59:58.000", "03/09/2025 01:59:59.000", "03/09/2025 03:00:00.000", "03/09/2025 03:00:01.000"]
    path = write("spring.csv", pdh_text("(PDH-CSV 4.0) (Pacific Standard Time)(480)", [A], [[t, "1"] for t in local]))
    capture = kit.load(path)
    assert capture.data["time"].to_list() == [
        utc(2025, 3, 9, 9, 59, 58), utc(2025, 3, 9, 9, 59, 59), utc(2025, 3, 9, 10, 0, 0), utc(2025, 3, 9, 10, 0, 1)
    ]
    assert "dst-jump" in codes(capture)


def test_clock_step_back_and_repeated_times_are_reported_rows_kept(write):
    local = ["01/02/2026 10:00:00.000", "01/02/2026 10:00:01.000", "01/02/2026 10:00:00.500", "01/02/2026 10:00:01.000"]
    capture = kit.load(write("step.csv", pdh_text("(PDH-CSV 4.0) (UTC)(0)", [A], [[t, str(i)] for i, t in enumerate(local)])))
    assert capture.data.height == 4 and capture.data["time"].is_sorted()
    assert {"clock-step-back", "duplicate-time"} <= set(codes(capture))


def test_typeperf_stdout_header_without_zone_after_a_blank_line(write):
    text = "\r\n" + pdh_text("(PDH-CSV 4.0)", [A], [["01/02/2026 10:00:00.000", "0.000000"], ["01/02/2026 10:00:01.000", "26142.883264"]])
    capture = kit.load(write("typeperf.csv", text))
    assert capture.data[A].to_list() == [0.0, 26142.883264]
    assert "timezone-unknown" in codes(capture)


def test_duplicated_header_columns_are_both_kept_and_reported(write):
    capture = kit.load(write("dup.csv", pdh_text("(PDH-CSV 4.0) (UTC)(0)", [A, A], [["01/02/2026 10:00:00.000", "1", "2"]])))
    assert capture.data.row(0)[1:] == (1.0, 2.0)
    assert capture.catalog["column"].to_list() == [A, f"{A} [duplicate 2]"]
    [warning] = [w for w in capture.warnings if w.code == "duplicate-column"]
    assert warning.column == 3


def test_short_and_long_rows_and_a_truncated_last_line_are_skipped_and_reported(write):
    good = pdh_text("(PDH-CSV 4.0) (UTC)(0)", [A, B], [
        ["01/02/2026 10:00:00.000", "1", "2"],
        ["01/02/2026 10:00:01.000", "3"],
        ["01/02/2026 10:00:02.000", "4", "5", "6"],
        ["01/02/2026 10:00:03.000", "7", "8"],
    ])
    text = good + '"01/02/2026 10:00:04.000","9'
    capture = kit.load(write("ragged.csv", text))
    assert capture.data[A].to_list() == [1.0, 7.0]
    by_code = {w.code: w for w in capture.warnings}
    assert by_code["truncated-line"].line == 6
    field_lines = sorted(w.line for w in capture.warnings if w.code == "field-count")
    assert field_lines == [3, 4]


def test_blank_lines_in_the_middle_are_reported(write):
    text = pdh_text("(PDH-CSV 4.0) (UTC)(0)", [A], [["01/02/2026 10:00:00.000", "1"], ["01/02/2026 10:00:01.000", "2"]])
    text = text.replace("\r\n", "\r\n\r\n", 2)
    capture = kit.load(write("blank.csv", text))
    assert capture.data[A].to_list() == [1.0, 2.0]
    assert [w.line for w in capture.warnings if w.code == "blank-line"] == [2]


def test_non_numbers_become_null_with_a_reason(write):
    rows = [
        ["01/02/2026 10:00:00.000", "1", "-1.#IND"],
        ["01/02/2026 10:00:01.000", "abc", "1.#QNAN"],
        ["01/02/2026 10:00:02.000", "NaN", "inf"],
    ]
    capture = kit.load(write("nan.csv", pdh_text("(PDH-CSV 4.0) (UTC)(0)", [A, B], rows)))
    assert capture.data[A].to_list() == [1.0, None, None]
    assert capture.data[B].to_list() == [None, None, None]
    found = {(w.code, w.column) for w in capture.warnings}
    assert ("bad-value", 2) in found and ("non-finite", 3) in found and ("non-finite", 2) in found


def test_unreadable_timestamp_rows_are_reported(write):
    rows = [["01/02/2026 10:00:00.000", "1"], ["garbage", "2"], ["01/02/2026 10:00:02.000", "3"]]
    capture = kit.load(write("ts.csv", pdh_text("(PDH-CSV 4.0) (UTC)(0)", [A], rows)))
    assert capture.data[A].to_list() == [1.0, 3.0]
    [warning] = [w for w in capture.warnings if w.code == "bad-timestamp"]
    assert warning.line == 3


def test_partly_blank_counters_and_instance_trap(write):
    vnic = r"\\HV01\Hyper-V Virtual Network Adapter(VM1_Network Adapter_1--2)\Bytes/sec"
    rows = [
        ["01/02/2026 10:00:00.000", " ", " "],
        ["01/02/2026 10:00:01.000", "5", "100"],
        ["01/02/2026 10:00:02.000", "5", " "],
        ["01/02/2026 10:00:03.000", "5", " "],
    ]
    capture = kit.load(write("hv.csv", pdh_text("(PDH-CSV 4.0) (UTC)(0)", [A, vnic], rows)))
    assert {"blank-first-row", "partly-blank", "instance-trap"} <= set(codes(capture))


def test_line_endings_lf_and_no_final_newline(write):
    text = pdh_text("(PDH-CSV 4.0) (UTC)(0)", [A], [["01/02/2026 10:00:00.000", "1"], ["01/02/2026 10:00:01.000", "2"]], newline="\n")
    capture = kit.load(write("lf.csv", text.rstrip("\n")))
    assert capture.data[A].to_list() == [1.0, 2.0] and not capture.warnings
