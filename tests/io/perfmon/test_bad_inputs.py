"""The bad-input corpus (tests/data/bad/): each file gives a clear error or loads with named
warnings, exactly as tests/data/bad/EXPECTED.json says."""

from __future__ import annotations

import importlib.util
import json
import math
import sys

import pytest

import kit
from kit import errors
from kit.io.perfmon.quality import SEVERITY
from tests.conftest import ROOT, pdh_text

BAD = ROOT / "tests" / "data" / "bad"
MANIFEST = json.loads((BAD / "EXPECTED.json").read_text(encoding="utf-8"))
NOT_INPUTS = {"EXPECTED.json", "MANIFEST.md"}
ERRORS = {name: entry for name, entry in MANIFEST.items() if "error" in entry}
LOADS = {name: entry for name, entry in MANIFEST.items() if "warnings" in entry}


def test_every_file_has_exactly_one_expected_outcome():
    files = {p.name for p in BAD.iterdir()} - NOT_INPUTS
    assert files == set(MANIFEST)
    assert all(("error" in entry) != ("warnings" in entry) and entry["defect"] for entry in MANIFEST.values())


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_clear_error(name):
    entry = ERRORS[name]
    with pytest.raises(getattr(errors, entry["error"]), match=entry["match"]) as caught:
        kit.load(BAD / name, cache_results=False, **entry.get("options", {}))
    assert caught.value.path == str(BAD / name) and caught.value.hint


@pytest.mark.parametrize("name", sorted(LOADS))
def test_load_with_named_warnings(name):
    entry = LOADS[name]
    capture = kit.load(BAD / name, cache_results=False, **entry.get("options", {}))
    codes = {w.code for w in capture.warnings}
    assert codes == set(entry["warnings"]) and codes <= set(SEVERITY)
    assert capture.data.height == entry["rows"] and capture.catalog.height == entry["columns"]
    assert all(w.source == str(BAD / name) for w in capture.warnings)
    for code, column in entry.get("warning_columns", {}).items():
        assert [w.column for w in capture.warnings if w.code == code] == [column], code
    if "encoding" in entry:
        assert capture.sources[0].encoding == entry["encoding"]
    if "values" in entry:
        got = [list(row[1:]) for row in capture.data.rows()]
        assert len(got) == len(entry["values"])
        for have, want in zip(got, entry["values"]):  # None (a blank cell) must stay None
            assert [h is None for h in have] == [w is None for w in want], (have, want)
            numbers = [h for h in have if h is not None]
            assert numbers == pytest.approx([w for w in want if w is not None], rel=1e-15, nan_ok=False), (have, want)


def test_warnings_point_at_the_bad_lines():
    capture = kit.load(BAD / "bad_timestamps.csv", cache_results=False)
    [warning] = capture.warnings
    assert (warning.line, warning.column, warning.skipped_lines) == (3, 1, (3, 4, 5))
    assert "lines 3, 4, 5" in warning.message
    mixed = kit.load(BAD / "mixed_delimiters.csv", cache_results=False)
    assert [w.skipped_lines for w in mixed.warnings] == [(3, 4)]


def test_cached_load_keeps_the_accounting(tmp_path, monkeypatch):
    monkeypatch.setenv("KIT_CACHE_DIR", str(tmp_path))
    first = kit.load(BAD / "too_few_fields.csv")
    second = kit.load(BAD / "too_few_fields.csv")
    assert second.warnings == first.warnings and second.sources == first.sources
    assert any(w.skipped_lines == (3,) for w in second.warnings)


def test_huge_values_keep_full_precision():
    capture = kit.load(BAD / "huge_values.csv", cache_results=False)
    values = capture.data.row(0)[1:]
    assert values[0] == 1.7976931348623157e308 and math.isfinite(values[0])


def test_fuzzer_runs_and_finds_nothing_in_a_short_fixed_run(tmp_path, monkeypatch):
    """The fuzzer (fuzz/fuzz_loaders.py) still works: 40 fixed inputs, no failure."""
    spec = importlib.util.spec_from_file_location("fuzz_loaders", ROOT / "fuzz" / "fuzz_loaders.py")
    fuzz = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "fuzz_loaders", fuzz)
    spec.loader.exec_module(fuzz)
    summary = fuzz.fuzz(seconds=60, seed=20250211, max_inputs=40, crashes=tmp_path)
    assert summary["inputs_tried"] == 40 and summary["failures"] == 0, summary["failures_by_kind"]
    assert summary["clear_errors"] + summary["loads"] == 40


def test_a_renamed_column_never_collides_across_files(tmp_path):
    """Two logs share a counter and one already holds 'X [b.csv]': the newcomer gets 'X [b.csv 2]'."""
    first = (BAD / "duplicate_name_collision.csv").read_text(encoding="utf-8")
    memory = r"\\HV01\Memory\Available MBytes"
    a = tmp_path / "a.csv"
    a.write_text(first.replace(f"{memory} [duplicate 2]", f"{memory} [b.csv]"), encoding="utf-8")
    b = tmp_path / "sub" / "b.csv"
    b.parent.mkdir()
    b.write_bytes((BAD / "header_only.csv").read_bytes())
    capture = kit.load([a, b], cache_results=False)
    assert f"{memory} [b.csv 2]" in capture.data.columns and capture.data.columns == ["time", *capture.catalog["column"]]


def test_an_unreadable_file_is_a_kit_error(monkeypatch):
    """A file the collector still holds open (or without read permission) is a FileAccessError."""
    path = BAD / "header_only.csv"

    def locked(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(type(path), "open", locked)
    with pytest.raises(errors.FileAccessError, match=r"header_only\.csv: cannot read the file: Permission denied \(check permissions"):
        kit.load(path, cache_results=False)


@pytest.mark.parametrize(
    "options, match",
    [
        ({"encoding": "klingon"}, "unknown encoding 'klingon'"),
        ({"utc_offset": 8.5}, "utc_offset 8.5 is not like"),
        ({"utc_offset": "+15:00"}, r"outside -14:00…\+14:00"),
    ],
)
def test_bad_options_are_option_errors(options, match):
    with pytest.raises(errors.OptionError, match=match):
        kit.load(BAD / "header_only.csv", cache_results=False, **options)


def test_a_huge_cell_is_quoted_short(write):
    cell = "x" * 10_000_000
    text = pdh_text("(PDH-CSV 4.0) (UTC)(0)", [r"\\HV01\Memory\Available MBytes"],
                    [["02/11/2025 10:00:00.000", "1"], ["02/11/2025 10:00:01.000", cell]])
    capture = kit.load(write("huge.csv", text), cache_results=False)
    [warning] = [w for w in capture.warnings if w.code == "bad-value"]
    assert len(warning.message) < 300 and "10,000,000 characters" in warning.message
