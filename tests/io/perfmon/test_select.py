r"""Loading only some counters: ``kit.load(..., counters=[patterns])`` and
:func:`kit.io.perfmon.paths.counter_filter`, from a CSV (only those columns parsed), from the cache (only
those Parquet columns read) and from the long PowerShell CSV."""

import polars as pl
import pytest

import kit
from kit.errors import OptionError
from kit.io.perfmon import cache
from kit.io.perfmon.paths import counter_filter
from tests.conftest import pdh_text
from tests.io.perfmon.test_powershell import P1, ROWS, export_csv

HEADER = "(PDH-CSV 4.0) (W. Europe Standard Time)(-60)"
PATHS = [
    r"\\HV01\Network Interface(NIC1)\Bytes Sent/sec",
    r"\\HV01\Network Interface(NIC1)\Bytes Received/sec",
    r"\\HV01\Network Interface(NIC2)\Bytes Received/sec",
    r"\\HV01\Processor Information(0,0)\% DPC Time",
    r"\\HV01\Processor Information(0,1)\% DPC Time",
    r"\\HV01\Processor Information(_Total)\% DPC Time",
    r"\\HV01\Memory\Available MBytes",
    r"\\HV01\Thread(svchost/12)\% Processor Time",
    r"\\HV01\Process(svchost#1)\% Processor Time",
    r"\\HV01\Prozessorinformationen(0,0)\DPC-Zeit (%)",
]


def catalog_of(paths):
    from kit.io.perfmon.assemble import catalog

    return catalog(paths, paths, "x.csv")


def matched(*patterns):
    cat = catalog_of(PATHS)
    return cat.filter(counter_filter(list(patterns)))["column"].to_list()


def test_patterns_match_host_object_instance_counter_with_wildcards():
    assert matched(r"\Network Interface(*)\Bytes Received/sec") == PATHS[1:3]
    assert matched(r"Network Interface(NIC1)\*") == PATHS[0:2]
    assert matched(r"\\hv01\network interface(*)\bytes*") == PATHS[0:3]  # case ignored
    assert matched(r"\\HV02\Network Interface(*)\Bytes*") == []
    assert matched(r"\\HV*\Memory\Available MBytes") == [PATHS[6]]
    # the German counter is the same counter by its English name
    assert matched(r"\Processor Information(0,*)\% DPC Time") == [PATHS[3], PATHS[4], PATHS[9]]


def test_no_instance_means_any_instance_and_star_means_any():
    assert matched(r"\Processor Information\% DPC Time") == [*PATHS[3:6], PATHS[9]]
    assert matched(r"\Memory(*)\Available MBytes") == [PATHS[6]]
    assert matched(r"\*\*") == PATHS


def test_parents_indexes_and_exact_column_names():
    assert matched(r"\Thread(svchost/*)\% Processor Time") == [PATHS[7]]
    assert matched(r"\Thread(other/*)\% Processor Time") == []
    assert matched(r"\Process(svchost#1)\*") == [PATHS[8]]
    assert matched(r"\Process(svchost#2)\*") == []
    assert matched(PATHS[6] + " [duplicate 2]") == []
    cat = catalog_of(PATHS).with_columns(column=pl.col("column") + " [duplicate 2]")
    assert cat.filter(counter_filter([PATHS[6] + " [duplicate 2]"]))["path"].to_list() == [PATHS[6]]


def test_english_names_select_localized_counters():
    assert PATHS[9] in matched(r"\Processor Information(0,0)\% DPC Time")
    assert matched(r"\Prozessorinformationen(*)\DPC-Zeit (%)") == [PATHS[9]]


def test_bad_patterns_are_option_errors(write):
    with pytest.raises(OptionError, match="not a counter path"):
        counter_filter(["Bytes Sent/sec"])
    path = write("a.csv", pdh_text(HEADER, PATHS[:2], [["01/02/2026 10:00:00.000", "1", "2"]]))
    with pytest.raises(OptionError, match="not a counter path"):
        kit.load(path, counters=[r"\\HV01"])
    with pytest.raises(OptionError, match="matches counters"):
        kit.load(path, counters=[r"\Memory\Available MBytes"])


def rows(n, width):
    return [[f"01/02/2026 10:00:{i:02d}.000", *(str(i * 10 + j) for j in range(width))] for i in range(n)]


@pytest.fixture
def log(write):
    return write("hv01.csv", pdh_text(HEADER, PATHS, rows(6, len(PATHS))))


SELECTION = [r"\Network Interface(*)\Bytes Received/sec", r"\Memory\Available MBytes"]


def test_selected_load_equals_the_full_load_cut_to_those_columns(log):
    full = kit.load(log, cache_results=False)
    part = kit.load(log, counters=SELECTION, cache_results=False)
    wanted = [PATHS[1], PATHS[2], PATHS[6]]
    assert part.data.equals(full.select(wanted).data)
    assert part.catalog.equals(full.catalog.filter(pl.col("column").is_in(wanted)))
    assert part.data[PATHS[6]].to_list() == [i * 10 + 6.0 for i in range(6)]
    assert part.sources[0].columns == 3 and part.sources[0].header_fields == len(PATHS) + 1
    (note,) = [w for w in part.warnings if w.code == "not-selected"]
    assert note.message.startswith(f"{len(PATHS) - 3:,} of {len(PATHS):,} counter columns left out")


def test_one_pattern_may_be_a_plain_string(log):
    assert kit.load(log, counters=r"\Memory\*", cache_results=False).catalog["column"].to_list() == [PATHS[6]]


def test_cache_hit_reads_only_the_selected_columns_and_a_selection_never_fills_the_cache(log):
    kit.load(log, counters=SELECTION)
    entries = cache.cache_dir() / "entries"
    assert not entries.exists() or not any(entries.iterdir())
    direct = kit.load(log, counters=SELECTION, cache_results=False)
    kit.load(log)  # fills the cache with the whole file
    hit = kit.load(log, counters=SELECTION)
    assert hit.sources[0].cache_key
    assert hit.data.equals(direct.data)
    assert hit.catalog.equals(direct.catalog)
    assert hit.sources[0].columns == 3
    assert "not-selected" in [w.code for w in hit.warnings]


def test_selected_columns_survive_the_exact_path(write):
    body = rows(5, len(PATHS))
    body[2] = body[2][:-1]  # a short row: the fast parse gives up, the exact path reports it
    path = write("short.csv", pdh_text(HEADER, PATHS, body))
    part = kit.load(path, counters=SELECTION, cache_results=False)
    assert part.data[PATHS[6]].to_list() == [6.0, 16.0, 36.0, 46.0]
    assert "field-count" in [w.code for w in part.warnings]


def test_a_bad_cell_in_a_selected_column_is_still_reported(write):
    body = rows(4, len(PATHS))
    body[1][7] = "n/a"  # column of PATHS[6]
    part = kit.load(write("bad.csv", pdh_text(HEADER, PATHS, body)), counters=SELECTION, cache_results=False)
    assert part.data[PATHS[6]].to_list() == [6.0, None, 26.0, 36.0]
    (bad,) = [w for w in part.warnings if w.code == "bad-value"]
    assert bad.line == 3 and bad.column == 8


def test_two_hosts_a_file_without_a_match_adds_only_its_warning(write):
    a = write("hv01.csv", pdh_text(HEADER, PATHS[:2], rows(3, 2)))
    other = [p.replace("HV01", "HV02") for p in PATHS[:2]]
    b = write("hv02.csv", pdh_text(HEADER, other, rows(3, 2)))
    both = kit.load([a, b], counters=[r"\\HV01\Network Interface(*)\*"])
    assert both.hosts == ["HV01"] and both.data.columns == ["time", *PATHS[:2]]
    assert [w.source for w in both.warnings if w.code == "not-selected"] == [str(b)]


def test_powershell_long_csv_is_cut_after_reading(write):
    path = write("ps.csv", export_csv(ROWS), encoding="ascii")
    part = kit.load(path, counters=[r"\Network Interface(*)\Bytes Sent/sec"], utc_offset=0)
    assert part.data.columns == ["time", P1]
    assert part.data[P1].to_list() == [12.5, 14.0]
    assert "not-selected" in [w.code for w in part.warnings]
