"""The benchmark capture as a binary perfmon log (.blg), for the ``blg_kit`` step (issue 17).

``capture-<size>.blg`` holds the same samples × counters as ``capture-<size>.csv`` (the same
counter paths, one sample a second, the same ``Hyper-V VM Live Migration`` instances existing
only while their VM migrates), in the layout docs/blg-format.md establishes, written by
:mod:`kit.io.perfmon.blg_writer`: a counter-list entry per counter with a wildcard entry
(``Object(*)\\Counter``) for every counter of an object with instances, whose sample records hold
every instance present, payloads cut into 8,000-byte parts in 64 KiB buffers. Counters whose
name has ``%`` are 100 ns timers, ``/sec`` ones bulk counts, the others large raw counts; the raw
values are synthetic (the load time does not depend on them), so the cooked values differ from the
CSV's. A .blg stores every sample's instance names and two 8-byte raw values per counter, so it is
about three times the CSV's size.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np

from benchmarks.generate import BIAS, HOST, LM, SIZES, START, ZONE, plan

PERF_FREQ = 10_000_000
"""Time base of the synthetic rate counters. [Hz]"""


def generate_blg(folder: Path, size: str) -> dict:
    """Write ``capture-<size>.blg`` to ``folder`` unless present; its path, size and shape."""
    from kit.io.perfmon import blg_writer as W

    spec = SIZES[size]
    path = folder / f"capture-{size}.blg"
    p = plan(**spec)
    counters = len(p.columns)
    if path.exists():
        return {"path": str(path), "bytes": path.stat().st_size, "rows": p.rows, "counters": counters}
    groups: dict[tuple[str, str], list[str | None]] = {}
    for column in p.columns:
        groups.setdefault((column.object, column.counter), []).append(column.instance)
    n = p.rows
    rng = np.random.default_rng(17)
    clock = np.cumsum(np.full(n, PERF_FREQ, np.int64))
    windows = {m["vm"]: (m["start_row"], m["start_row"] + m["rows"]) for m in p.migrations}
    entries, values = [], []
    for (obj, counter), instances in groups.items():
        kind = 0x20510500 if "%" in counter else 0x10410500 if counter.endswith("/sec") else 0x00010100
        k = len(instances)
        step = rng.integers(0, PERF_FREQ if kind == 0x20510500 else 10**6, (1, k), dtype=np.int64)
        first = np.cumsum(np.broadcast_to(step, (n, k)), axis=0)
        second = np.broadcast_to(clock[:, None], (n, k)) if kind != 0x00010100 else np.zeros((1, k), np.int64)
        second = np.broadcast_to(second, (n, k))
        if instances == [None]:
            entries.append(W.Counter(f"\\\\{HOST}", obj, None, counter, kind, PERF_FREQ))
            values.append(W.Values(first[:, 0], second[:, 0]))
            continue
        present = None
        if obj == LM:
            present = np.zeros((n, k), bool)
            for j, instance in enumerate(instances):
                start, stop = windows[instance.split(":")[0]]
                present[start:stop, j] = True
        entries.append(W.Counter(f"\\\\{HOST}", obj, "*", counter, kind, PERF_FREQ))
        values.append(W.Values(first, second, names=list(instances), present=present))
    times = W.filetime(START) + np.arange(n, dtype=np.int64) * 10_000_000
    zone = W.ZoneInfo(bias=BIAS, standard_name=ZONE, daylight_name=ZONE.replace("Standard", "Daylight"),
                      standard_date=(0, 10, 0, 5, 3, 0, 0, 0), daylight_date=(0, 3, 0, 5, 2, 0, 0, 0))
    tmp = path.with_suffix(".part")
    W.write(tmp, entries, times, values, zone=zone, perf_freq=PERF_FREQ)
    tmp.replace(path)
    return {"path": str(path), "bytes": path.stat().st_size, "rows": n, "counters": counters,
            "written": datetime.now().isoformat(timespec="seconds")}
