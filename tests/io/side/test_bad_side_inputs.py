"""The side-input corpus (tests/data/bad-side/): each events, topology or ping file gives a clear
error or loads with named warnings, exactly as tests/data/bad-side/EXPECTED.json says, and the
side-input fuzzer still runs clean."""

from __future__ import annotations

import importlib
import json

import pytest

from kit import errors
from kit.io.side.events import read_events
from kit.io.side.pings import read_pings
from kit.io.side.topology import read_topology
from tests.conftest import ROOT

SIDE = ROOT / "tests" / "data" / "bad-side"
MANIFEST = json.loads((SIDE / "EXPECTED.json").read_text(encoding="utf-8"))
ERRORS = sorted(name for name, entry in MANIFEST.items() if "error" in entry)
LOADS = sorted(name for name, entry in MANIFEST.items() if "warnings" in entry)
LOADERS = {"events": read_events, "topology": read_topology, "pings": read_pings}


def _load(name: str):
    return LOADERS[name.split("/")[0]](SIDE / name)


def test_every_file_has_exactly_one_expected_outcome():
    files = {str(p.relative_to(SIDE)) for p in SIDE.glob("*/*")}
    assert files == set(MANIFEST)
    assert all(("error" in entry) != ("warnings" in entry) and entry["defect"] for entry in MANIFEST.values())


@pytest.mark.parametrize("name", ERRORS)
def test_clear_error(name):
    entry = MANIFEST[name]
    with pytest.raises(getattr(errors, entry["error"]), match=entry["match"]) as caught:
        _load(name)
    assert caught.value.path == str(SIDE / name) and caught.value.hint


@pytest.mark.parametrize("name", LOADS)
def test_load_with_named_warnings(name):
    entry = MANIFEST[name]
    loaded = _load(name)
    assert [w.code for w in loaded.warnings] == entry["warnings"]
    assert all(w.source == str(SIDE / name) for w in loaded.warnings)
    rows = loaded.table.height if hasattr(loaded, "table") else sum(s.rows for s in loaded.sources)
    assert rows == entry["rows"]
    assert [n for w in loaded.warnings for n in w.skipped_lines] == entry.get("skipped_lines", [])


def test_side_fuzzer_runs_and_finds_nothing_in_a_short_fixed_run(tmp_path, monkeypatch):
    """The fuzzer (fuzz/fuzz_side_inputs.py) still works: 60 fixed inputs, no failure."""
    monkeypatch.syspath_prepend(str(ROOT / "fuzz"))
    fuzz = importlib.import_module("fuzz_side_inputs")
    summary = fuzz.fuzz(seconds=60, seed=20261125, max_inputs=60, crashes=tmp_path)
    assert summary["inputs_tried"] == 60 and summary["failures"] == 0, summary["loaders"]
    assert summary["clear_errors"] + summary["loads"] == 60
