"""Nothing is lost silently: every header column and data line of a file is in the capture or
named in a warning (``skipped_columns`` / ``skipped_lines``), for every real, bundled, generated
and loadable corpus file. :func:`unaccounted` is also the fuzzer's oracle (fuzz/fuzz_loaders.py).
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest

import kit
from kit.io.perfmon.paths import parse_counter_path
from kit.io.perfmon.quality import SEVERITY
from tests.conftest import REALDATA, ROOT

BAD = ROOT / "tests" / "data" / "bad"
RENAMES = {"duplicate-column", "reserved-name"}
"""Codes of warnings that keep a column under another name."""
PS_USED = ("path", "cookedvalue", "timestamp", "status")
_BLANK = " \t\r\n\x0b\x0c\x00"
_LONE_CR = re.compile(r"\r(?!\n)")


def file_lines(raw: bytes, encoding: str) -> tuple[int, str, list[str]]:
    """(header line number, header text, data lines) of a file, counted without the loader:
    leading blank and ``#`` lines are preamble; a final empty line after the last break is none."""
    bom = next((b for b in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff") if raw.startswith(b)), b"")
    text = raw[len(bom) :].decode(encoding.replace("-sig", ""), errors="replace")
    lines = re.split(r"\r\n|\r|\n", text) if _LONE_CR.search(text) else text.split("\n")
    index = next(
        i for i, line in enumerate(lines) if line.strip(_BLANK) and not line.strip(_BLANK).startswith("#")
    )
    data = lines[index + 1 :]
    if data and data[-1] == "":
        data.pop()
    return index + 1, lines[index].rstrip("\r"), data


def _unquoted_fields(fields: list[str]) -> list[str]:
    """Header fields cut at the commas of instances (a header written without quotes) joined
    again while a parenthesis is open; one never closed joins nothing."""
    joined, open_ = [], []
    for field in fields:
        open_.append(field)
        if ",".join(open_).count("(") <= ",".join(open_).count(")"):
            joined.append(",".join(open_))
            open_ = []
    return joined + open_


def _is_path(field: str) -> bool:
    return parse_counter_path(field.strip()) is not None


def unaccounted(path: Path, capture: kit.Capture) -> list[str]:
    """What of ``path`` is neither in ``capture`` (loaded from it alone) nor in its warnings."""
    problems = []
    [source] = capture.sources
    warnings = [w for w in capture.warnings if w.source == source.path]
    unknown = sorted({w.code for w in warnings} - set(SEVERITY))
    if unknown:
        problems.append(f"warning codes not in SEVERITY: {unknown}")
    header_line, header, data = file_lines(path.read_bytes(), source.encoding)
    first, last = header_line + 1, header_line + len(data)
    skipped = [line for w in warnings for line in w.skipped_lines]
    if len(set(skipped)) != len(skipped):
        problems.append("a line is reported skipped twice")
    if any(not first <= line <= last for line in skipped):
        problems.append(f"skipped lines outside the data lines {first}–{last}")
    kept = source.rows if source.format.startswith("pdh") else source.samples
    if kept + len(set(skipped)) != len(data):
        problems.append(f"{len(data)} data lines, but {kept} in the capture + {len(set(skipped))} skipped")
    if source.rows != capture.data.height:
        problems.append(f"SourceInfo.rows {source.rows} != {capture.data.height} rows")
    fields = next(csv.reader([header], delimiter=source.separator))
    if len(fields) != source.header_fields:  # an unquoted header: paths cut at their instances' commas
        fields = _unquoted_fields(fields)
    later_headers = [line for w in warnings if w.code == "appended-runs" for line in w.skipped_lines]
    dropped = {c for w in warnings if w.line not in later_headers for c in w.skipped_columns}  # of the first header
    if source.format.startswith("pdh"):
        kept_columns = [c for c in range(2, len(fields) + 1) if c not in dropped]
        paths = [fields[c - 1].strip() for c in kept_columns]
        for later in later_headers:  # another run's header, decoded as the first, less its own dropped columns
            text = data[later - first]
            run = next(csv.reader([text], delimiter=source.separator))
            joined = _unquoted_fields(run)
            if sum(map(_is_path, joined[1:])) > sum(map(_is_path, run[1:])):  # the rule the first header follows
                run = joined
            gone = {c for w in warnings if w.line == later for c in w.skipped_columns}
            fresh = (f.strip() for c, f in enumerate(run[1:], start=2) if c not in gone)
            seen: Counter = Counter()  # a path n times in this run is n columns, some maybe already there
            for p in fresh:
                seen[p] += 1
                if seen[p] > paths.count(p):
                    paths.append(p)
        if [p.encode("ascii", "replace") for p in capture.catalog["path"]] != [p.encode("ascii", "replace") for p in paths]:
            problems.append(f"{len(fields) - 1} counter columns, {capture.catalog.height} kept, {len(dropped)} dropped")
        renamed = {w.column for w in warnings if w.code in RENAMES}
        for position, column, path in zip(kept_columns, capture.catalog["column"], capture.catalog["path"]):
            if column != path and position not in renamed:
                problems.append(f"column {position} renamed to {column!r} without a warning")
    else:
        names = [f.strip().lower() for f in fields]
        used = {names.index(n) + 1 for n in PS_USED if n in names}
        if used | dropped != set(range(1, len(fields) + 1)) or used & dropped:
            problems.append(f"header columns used {sorted(used)}, reported {sorted(dropped)} of {len(fields)}")
    if capture.data.columns != ["time", *capture.catalog["column"]]:
        problems.append("data columns differ from the catalogue")
    if not capture.data["time"].is_sorted():
        problems.append("time is not sorted")
    return problems


def _manifest_loads() -> list[tuple[Path, dict]]:
    manifest = json.loads((BAD / "EXPECTED.json").read_text(encoding="utf-8"))
    return [(BAD / name, entry.get("options", {})) for name, entry in manifest.items() if "warnings" in entry]


REAL = sorted(p for p in REALDATA.glob("*") if p.suffix in (".csv", ".tsv")) if REALDATA.exists() else []
BUNDLED = sorted((ROOT / "data").glob("*/*.csv"))


@pytest.mark.parametrize("path", REAL + BUNDLED, ids=lambda p: p.name)
def test_real_and_bundled_files(path):
    assert unaccounted(path, kit.load(path, cache_results=False)) == []


@pytest.mark.parametrize("path, options", _manifest_loads(), ids=lambda v: v.name if isinstance(v, Path) else "")
def test_corpus_files_that_load(path, options):
    assert unaccounted(path, kit.load(path, cache_results=False, **options)) == []


@pytest.mark.parametrize("transport", ["tcp", "compression", "smb"])
def test_generated_files(tmp_path, transport):
    from kit.sample import generator as synth  # imported here so that the other tests run while it is being edited

    scenario = synth.Scenario(
        name=transport, transport=transport, idle_before_s=5, idle_after_s=5, vm_memory_gib=2,
        tz_name="India Standard Time", bias_minutes=-330,
    )
    for path in synth.write(scenario, tmp_path)[:2]:
        assert unaccounted(path, kit.load(path, cache_results=False)) == []


def test_every_data_line_of_a_ragged_file_is_counted_once(write):
    text = (
        '"(PDH-CSV 4.0) (UTC)(0)","\\\\H\\Memory\\Available MBytes","\\\\H\\Memory\\Committed Bytes"\r\n'
        '"01/02/2026 10:00:00.000","1","2"\r\n'
        "\r\n"
        '"01/02/2026 10:00:01.000","3"\r\n'
        '"garbage","4","5"\r\n'
        '"01/02/2026 10:00:02.000";"6";"7"\r\n'
        '"01/02/2026 10:00:03.000","8,"9"\r\n'
        '"01/02/2026 10:00:04.000","1'
    )
    path = write("ragged.csv", text)
    capture = kit.load(path, cache_results=False)
    assert capture.data.height == 1 and unaccounted(path, capture) == []
    lines = {w.code: w.skipped_lines for w in capture.warnings if w.skipped_lines}
    assert lines == {
        "blank-line": (3,), "field-count": (4,), "bad-timestamp": (5,), "mixed-delimiter": (6,),
        "malformed-line": (7,), "truncated-line": (8,),
    }
