"""Golden reports: ``python -m kit analyze --json`` of every bundled test, as the kit wrote it before
the redesign of issue 12 (saved in ``golden/``), must equal today's field by field.

Only the differences listed in :data:`CHANGED` may appear, each with the reason (a bug fix named
in the closing note of the issue that made it). Fields may be added (the contract only ever adds
fields); times are compared as instants (the report's ISO format changed to millisecond precision
everywhere); numbers to 1e-9 relative.
"""

from __future__ import annotations

import io
import json
import math
import re
from contextlib import redirect_stdout
from datetime import datetime
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from kit.cli import main
from kit.sample import sample_dir

GOLDEN = Path(__file__).parent / "golden"
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")

CHANGED: dict[str, str] = {
    "*:kit_version": "the package version",
    "*:schema_version": "issue 14 §9: options.events/topology/pings say what was used (a count or false)",
    "*:capture.sources": "file paths depend on where the tests run",
    "smb-direct-*:migrations.*.pct_of_ceiling": "issue 13 §5: RDMA bytes are not compared with a TCP/MTU ceiling",
    "smb-direct-*:migrations.*.nics.*.pct_of_ceiling": "issue 13 §5: RDMA bytes are not compared with a TCP/MTU ceiling",
    "smb-direct-*:migrations.*.cores.*.effective*": "issue 13 §7: no effective cores where no core was active",
    "*:migrations.*.blackout.basis": "issue 13 §2: the final-pass basis says how the pass is proven final",
    "*:capture.columns": "issue 13: the generator writes more of the live-migration counter set (data regenerated)",
    "*:migrations.*.channels.accounting.compressed_bytes": "issue 13: the generator logs Compressor counters (0 B)",
    "drain-*:migrations.*.bytes_moved": "issue 13 §6: a VM's own bytes, not both concurrent VMs' NIC bytes",
    "drain-*:migrations.*.gb_moved": "issue 13 §6: a VM's own bytes, not both concurrent VMs' NIC bytes",
    "drain-*:migrations.*.average_gbps": "issue 13 §6: a VM's own bytes, not both concurrent VMs' NIC bytes",
    "drain-*:migrations.*.findings.*": "issue 13 §6: the concurrent finding says how the NIC bytes were split",
    "*:migrations.*.blackout.methods.*.basis": "issue 13 §2: the final-pass basis says how the pass is proven final",
    "*-sides:options.events": "issue 14 §9: the events read (false when none), not whether the flag was given",
    "*-sides:options.topology": "issue 14 §9: the topology files read (false when none), not whether the flag was given",
    "*-sides:options.pings": "issue 14 §9: the probes used (false: this Windows log's local times, read as UTC, "
                             "miss the capture), not whether the flag was given",
}
"""``case:JSON path`` globs (``*`` matches any text) allowed to differ → why (the bug fix)."""


def run(*args: str) -> dict:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["analyze", *args, "--json", "--no-cache", "--quiet"]) == 0
    return json.loads(out.getvalue())


def cases() -> dict[str, list[str]]:
    out = {}
    for path in sorted(GOLDEN.glob("*.json")):
        name = path.stem.removesuffix("-sides")
        folder = sample_dir() / name
        args = [str(folder / "HV01.csv"), str(folder / "HV02.csv")]
        if path.stem.endswith("-sides"):
            args += ["--events", str(folder / "events" / "HV01-vmms-admin.xml"), "--topology", str(folder / "topology"),
                     "--pings", str(folder / "pings" / "ping-windows.txt")]
        out[path.stem] = args
    return out


def differences(old: object, new: object, path: str = "", *, case: str = "") -> list[str]:
    """Every JSON path where ``old`` and ``new`` differ (times as instants, numbers to 1e-9),
    but for the :data:`CHANGED` paths of this ``case``."""
    if any(fnmatchcase(f"{case}:{path}", pattern) for pattern in CHANGED):
        return []
    if isinstance(old, dict) and isinstance(new, dict):  # keys only in ``new`` are added fields
        return [d for k in old for d in differences(old[k], new.get(k, "<missing>"), _join(path, k), case=case)]
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return [f"{path}: {len(old)} items → {len(new)}"]
        return [d for k, (a, b) in enumerate(zip(old, new)) for d in differences(a, b, _join(path, str(k)), case=case)]
    if isinstance(old, str) and isinstance(new, str) and ISO.match(old) and ISO.match(new):
        same = abs((_instant(old) - _instant(new)).total_seconds()) < 5e-4
    elif isinstance(old, (int, float)) and isinstance(new, (int, float)) and not isinstance(old, bool):
        same = math.isclose(old, new, rel_tol=1e-9, abs_tol=1e-12)
    else:
        same = old == new
    return [] if same else [f"{path}: {old!r} → {new!r}"]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize("name", list(cases()))
def test_report_equals_the_golden_one(name):
    old = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    new = run(*cases()[name])
    assert differences(old, new, case=name) == []


def test_differences_are_found():
    """The comparison itself can fail: a changed figure, a missing key, a moved time."""
    old = {"a": [1.0, {"t": "2025-02-11T13:05:17.006000Z"}], "b": None}
    assert differences(old, {"a": [1.0, {"t": "2025-02-11T13:05:17.006Z"}], "b": None}) == []
    assert differences(old, {"a": [1.1, {"t": "2025-02-11T13:05:17.006Z"}], "b": None}) == ["a.0: 1.0 → 1.1"]
    assert differences(old, {"a": [1.0, {"t": "2025-02-11T13:05:17.106Z"}]}) == [
        "a.1.t: '2025-02-11T13:05:17.006000Z' → '2025-02-11T13:05:17.106Z'", "b: None → '<missing>'",
    ]
