"""A log of several runs (relog -a, a Data Collector Set restarted on one file): each run is read
with its own header and the columns matched by counter path, in every encoding and layout."""

from __future__ import annotations

import pytest

import kit
from kit.sample import bundled_tests
from tests.conftest import pdh_text
from tests.io.perfmon.test_accounting import unaccounted

A = r"\\HV01\Network Interface(nic1)\Bytes Sent/sec"
B = r"\\HV01\Prozessor(_Total)\% Prozessorzeit"
C = r"\\HV01\Speicher\Verfügbare MB"
UTC = "(PDH-CSV 4.0) (Coordinated Universal Time)(0)"


def two_runs(sep: str = ",", header: str = UTC, second: str = UTC) -> str:
    first = pdh_text(header, [A, B], [["02/11/2025 10:00:00.000", "1", "10"], ["02/11/2025 10:00:01.000", "2", "20"]], sep=sep)
    later = pdh_text(second, [B, C, A], [["02/11/2025 10:05:00.000", "30", "500", "3"],
                                         ["02/11/2025 10:05:01.000", "40", "600", "4"]], sep=sep)
    return first + later


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252", "utf-16", "utf-8-sig"])
@pytest.mark.parametrize("sep", [",", "\t"])
def test_each_run_is_read_with_its_own_header(write, encoding, sep):
    header = UTC.replace("CSV", "TSV") if sep == "\t" else UTC
    path = write(f"runs-{encoding}.csv", two_runs(sep, header, header), encoding=encoding)
    capture = kit.load(path, cache_results=False)
    assert capture.data[A].to_list() == [1, 2, 3, 4]
    assert capture.data[B].to_list() == [10, 20, 30, 40]
    assert capture.data[C].to_list() == [None, None, 500, 600]
    [warning] = [w for w in capture.warnings if w.code == "appended-runs"]
    assert warning.skipped_lines == (4,) and "another order" in warning.message
    assert {w.code for w in capture.warnings} == {"appended-runs"}
    assert unaccounted(path, capture) == []


def test_runs_in_two_zones_keep_their_own_times(write):
    path = write("zones.csv", two_runs(second="(PDH-CSV 4.0) (W. Europe Standard Time)(-60)"))
    capture = kit.load(path, cache_results=False)
    hours = [t.hour for t in capture.data["time"]]
    assert hours == [9, 9, 10, 10]  # the second run is written in CET: 10:05 local is 09:05 UTC
    messages = [w.message for w in capture.warnings if w.code == "appended-runs"]
    assert any("different zones" in m for m in messages)


def test_a_selection_reads_every_run(write):
    path = write("runs.csv", two_runs())
    capture = kit.load(path, counters=[r"\Speicher\*"], cache_results=False)
    assert capture.data.columns == ["time", C] and capture.data[C].to_list() == [None, None, 500, 600]


def test_a_whole_log_appended_to_itself_counts_once(write):
    one = (bundled_tests()["tcp-1x10g-mtu1500-55gb"] / "HV01.csv").read_bytes()
    path = write("twice.csv", one + one)
    capture = kit.load(path, cache_results=False)
    single = kit.load(bundled_tests()["tcp-1x10g-mtu1500-55gb"] / "HV01.csv", cache_results=False)
    assert capture.data.equals(single.data) and capture.catalog.drop("source").equals(single.catalog.drop("source"))
    assert {"appended-runs", "repeated-samples"} <= {w.code for w in capture.warnings}
    assert unaccounted(path, capture) == []


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_a_preamble_before_the_first_header_is_no_run(write, newline):
    """Fuzz finding: a blank line before the first header made the first header a 'later' run."""
    path = write("preamble.csv", newline + two_runs().replace("\r\n", newline))
    capture = kit.load(path, cache_results=False)
    assert capture.data[A].to_list() == [1, 2, 3, 4]
    [warning] = [w for w in capture.warnings if w.code == "appended-runs"]
    assert warning.skipped_lines == (5,)
    assert unaccounted(path, capture) == []


def test_a_header_with_the_marker_twice_starts_one_run(write):
    """Fuzz finding: a later header line holding '(PDH-' twice was split into an empty run."""
    doubled = "(PDH-CSV 4.0) (Coordinated Universal Time(PDH-CSV 4.0))(0)"
    path = write("doubled.csv", two_runs(second=doubled))
    capture = kit.load(path, cache_results=False)
    assert capture.data[B].to_list() == [10, 20, 30, 40]
    [warning] = [w for w in capture.warnings if w.code == "appended-runs" and w.skipped_lines]
    assert warning.skipped_lines == (4,)
    assert unaccounted(path, capture) == []


def test_a_later_runs_description_column_is_reported_against_its_header(write):
    """Fuzz finding: column numbers of a later run's dropped columns refer to its own header."""
    first = pdh_text(UTC, [A], [["02/11/2025 10:00:00.000", "1"]])
    later = pdh_text(UTC, [A, "a description", B], [["02/11/2025 10:05:00.000", "3", " ", "30"]])
    path = write("described.csv", first + later)
    capture = kit.load(path, cache_results=False)
    assert capture.data.columns == ["time", A, B]
    [dropped] = [w for w in capture.warnings if w.code == "description-column"]
    assert (dropped.line, dropped.skipped_columns) == (3, (3,))
    assert unaccounted(path, capture) == []


def test_a_later_unquoted_header_with_commas_in_instances(write):
    """Fuzz finding (of the accounting oracle): a later header written without quotes is split by
    parenthesis balance like the first."""
    header = (r"(PDH-CSV 4.0) (Coordinated Universal Time)(0),\\HV01\Processor Information(0,3)\% Processor Time,"
              r"\\HV01\Memory\Available MBytes")
    rows = ["02/11/2025 10:00:00.000,5.5,1000", "02/11/2025 10:00:01.000,6.5,1001"]
    path = write("unquoted-runs.csv", "\r\n".join([header, rows[0], header, rows[1]]) + "\r\n")
    capture = kit.load(path, cache_results=False)
    assert capture.data[r"\\HV01\Processor Information(0,3)\% Processor Time"].to_list() == [5.5, 6.5]
    assert unaccounted(path, capture) == []


def test_a_later_quoted_header_with_an_unbalanced_parenthesis(write):
    """Fuzz finding (of the accounting oracle): a quoted header is split by its quotes, whatever
    its parentheses."""
    odd = r"\\HV01\Networr _2)\Bytes Received/sec"
    first = pdh_text(UTC, [A], [["02/11/2025 10:00:00.000", "1"]])
    later = pdh_text(UTC, [A, odd], [["02/11/2025 10:05:00.000", "3", "30"]])
    path = write("odd.csv", first + later)
    capture = kit.load(path, cache_results=False)
    assert capture.data[odd].to_list() == [None, 30]
    assert unaccounted(path, capture) == []


def test_a_later_run_that_repeats_a_counter_keeps_both_columns(write):
    """Fuzz finding (of the accounting oracle): a counter twice in a later run's header is two
    columns there (the second renamed), as in a log of one run."""
    first = pdh_text(UTC, [A], [["02/11/2025 10:00:00.000", "1"]])
    later = pdh_text(UTC, [A, A], [["02/11/2025 10:05:00.000", "3", "4"]])
    path = write("repeat.csv", first + later)
    capture = kit.load(path, cache_results=False)
    assert capture.data.columns == ["time", A, f"{A} [duplicate 2]"]
    assert capture.data[f"{A} [duplicate 2]"].to_list() == [None, 4]
    assert unaccounted(path, capture) == []
