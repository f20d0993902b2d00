"""Small hand-made captures with answers computable by hand: written as relog CSV, loaded by kit.load."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import kit

T0 = datetime(2025, 2, 11, 13, 0, 0, tzinfo=timezone.utc)
"""UTC time of the first sample (the files are written in UTC: bias 0)."""


def write_log(
    folder: Path,
    columns: dict[str, list[float | None]],
    *,
    name: str = "log.csv",
    interval_s: float = 1.0,
    offsets_s: list[float] | None = None,
) -> Path:
    """A relog CSV with ``columns`` (counter path → values, None = blank) sampled every
    ``interval_s`` from :data:`T0`, or at ``offsets_s`` seconds after it."""
    length = len(next(iter(columns.values())))
    offsets = offsets_s if offsets_s is not None else [k * interval_s for k in range(length)]
    header = ['"(PDH-CSV 4.0) (Coordinated Universal Time)(0)"'] + [f'"{p}"' for p in columns]
    lines = [",".join(header)]
    for k, offset in enumerate(offsets):
        stamp = (T0 + timedelta(seconds=offset)).strftime("%m/%d/%Y %H:%M:%S.%f")[:-3]
        cells = [" " if values[k] is None else repr(float(values[k])) for values in columns.values()]
        lines.append(",".join(f'"{c}"' for c in [stamp, *cells]))
    path = folder / name
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def load_log(folder: Path, columns: dict[str, list[float | None]], **options) -> kit.Capture:
    """:func:`write_log` then :func:`kit.load` (no cache)."""
    return kit.load(write_log(folder, columns, **options), cache_results=False, progress=False)


def at(seconds: float) -> datetime:
    """UTC time ``seconds`` after :data:`T0`."""
    return T0 + timedelta(seconds=seconds)
