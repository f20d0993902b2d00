"""The JSON contract (kit/contract.py): made in one place, strict JSON, every time in one ISO form."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest

import kit
from kit.contract import SCHEMA_VERSION, capture_dict, iso, migration_dict, to_dict
from kit.sample import bundled_tests

TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
ONE_FORM = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture(scope="module")
def drain():
    return kit.analyze(kit.load(bundled_tests()["drain-6x9gb-smb-2x10g"], cache_results=False, progress=False))


def strings(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, str):
        yield value


def test_iso_is_utc_to_the_millisecond():
    assert iso(datetime(2025, 2, 11, 13, 5, 17, 6000, tzinfo=timezone.utc)) == "2025-02-11T13:05:17.006Z"
    assert iso(datetime(2025, 2, 11, 13, 5, 17, tzinfo=timezone.utc)) == "2025-02-11T13:05:17.000Z"
    assert iso(None) is None


def test_every_time_in_the_report_has_one_form(drain):
    report = json.loads(json.dumps(to_dict(drain), allow_nan=False))
    times = [s for s in strings(report) if TIME.match(s)]
    assert len(times) > 30 and all(ONE_FORM.match(t) for t in times), [t for t in times if not ONE_FORM.match(t)][:3]
    info = capture_dict(drain.capture)
    assert all(ONE_FORM.match(t) for t in strings(info) if TIME.match(t))


def test_report_layout(drain):
    report = to_dict(drain)
    assert report["schema_version"] == SCHEMA_VERSION == 2
    assert [m["migration"] for m in report["migrations"]] == [1, 2, 3, 4, 5, 6]
    first = report["migrations"][0]
    assert first == migration_dict(drain.migrations[0])
    assert len(first["findings"]) == len(first["finding_kinds"]) and first["finding_kinds"] == ["concurrent"]
    assert report["capture"]["clock"]["reference"] == "HV01" and report["options"]["windows"] == "found"
    assert {n["nic"] for n in first["nics"]} >= {"intel[r] ethernet controller x710 for 10gbe sfp+"}


def test_report_says_what_the_inputs_gave_and_what_was_warned(drain):
    report = json.loads(json.dumps(to_dict(drain), allow_nan=False))
    none = {"given": False, "read": 0, "used": False, "note": None, "warnings": 0}
    assert report["inputs"] == {"events": none, "topology": none, "pings": none}
    assert [report["options"][k] for k in ("events", "topology", "pings")] == [False, False, False]
    groups = report["warnings"]
    assert [(w["input"], w["code"], w["count"]) for w in groups] == [
        ("capture", "blank-first-row", 2), ("capture", "partly-blank", 2),
    ]
    assert sum(w["count"] for w in groups) == report["capture"]["load_warnings"] == len(drain.capture.warnings)
    assert len(groups[1]["message"]) == 200 and groups[1]["message"].endswith("…")
    assert groups[0]["where"].endswith("HV01.csv:2") and set(groups[0]) == {"input", "code", "count", "message", "where"}
