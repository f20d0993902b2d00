"""Sample-quality checks of one source file, and the per-capture quality report.

The checks run once per file at load time (so they are cached with it) and become
:class:`~kit.errors.LoadWarning` records: dropped or irregular samples, a blank first row, counters
blank for the whole log or part of it, and the CSV instance trap (a CSV log fixes its instance
list when it starts, so ``Hyper-V VM Live Migration`` instances of a migration that began later
are missing).
"""

from __future__ import annotations

import polars as pl

from kit.errors import LoadWarning
from kit.inputs.timebase import GAP_FACTOR
from kit.io.common import LINE
from kit.vocabulary import LIVE_MIGRATION, matches

JITTER = 0.25
"""A gap more than this fraction away from the interval (and not a drop) is irregular."""

SEVERITY = {
    "bad-timestamp": "error",
    "truncated-line": "warning",
    "field-count": "error",
    "bad-value": "error",
    "non-finite": "warning",
    "blank-line": "info",
    "description-column": "info",
    "not-a-counter-path": "warning",
    "duplicate-column": "warning",
    "timezone-unknown": "warning",
    "bias-override": "info",
    "encoding-guess": "warning",
    "dst-jump": "warning",
    "hour-step": "warning",
    "clock-step-back": "warning",
    "duplicate-time": "warning",
    "repeated-samples": "warning",
    "single-sample": "warning",
    "dropped-samples": "warning",
    "irregular-interval": "info",
    "minute-timestamps": "warning",
    "blank-first-row": "info",
    "blank-counter": "info",
    "partly-blank": "info",
    "instance-trap": "warning",
    "status-not-ok": "info",
    "column-collision": "warning",
    "long-format-duplicates": "warning",
    "malformed-line": "error",
    "mixed-delimiter": "error",
    "missing-path": "error",
    "no-data": "error",
    "undecodable-bytes": "warning",
    "mojibake": "warning",
    "encoding-doubt": "warning",
    "bad-bias": "warning",
    "reserved-name": "warning",
    "ignored-columns": "info",
    "not-selected": "info",
    "cache-problem": "warning",
    "named-twice": "info",
    "skipped-file": "error",
    "same-name-hosts": "warning",
    "appended-runs": "info",
    "blg-truncated": "error",
    "bad-sample": "error",
    "not-computable": "warning",
    "unsupported-counter-type": "error",
}
"""How serious each warning code is: ``error`` = data was lost or is unusable, ``warning`` = the
numbers may mislead, ``info`` = normal for perfmon but worth knowing."""

_LISTED = 5


def check_source(
    frame: pl.DataFrame, cat: pl.DataFrame, *, source: str, interval_s: float | None
) -> list[LoadWarning]:
    """Quality checks of one file's rows (``time``, ``__line`` and the catalogue's columns)."""
    warnings = _timing(frame, source, interval_s)
    warnings += _blanks(frame, cat["column"].to_list(), source)
    warnings += _instance_trap(frame, cat, source)
    return warnings


def _timing(frame: pl.DataFrame, source: str, interval: float | None) -> list[LoadWarning]:
    if frame.height == 0:
        return [
            LoadWarning(
                source, "no-data",
                "no data rows could be read (header only, or every row skipped: see the other "
                "warnings); the collector may have stopped before its first sample",
            )
        ]
    if frame.height == 1:
        return [
            LoadWarning(
                source, "single-sample",
                "1 sample: the interval is unknown and rates cannot be integrated",
            )
        ]
    out = []
    if (frame["time"].dt.second() == 0).all() and (frame["time"].dt.microsecond() == 0).all():
        out.append(
            LoadWarning(
                source, "minute-timestamps",
                "every timestamp is on a whole minute: the file was probably re-saved by a "
                "spreadsheet with a date format that drops seconds; use the original CSV",
            )
        )
    if not interval:
        return out
    gaps = frame.select(
        LINE, gap=pl.col("time").diff().dt.total_microseconds().cast(pl.Float64) / 1e6
    ).slice(1)
    dropped = gaps.filter(pl.col("gap") > GAP_FACTOR * interval)
    if dropped.height:
        missing = int((dropped["gap"] / interval).round().sum()) - dropped.height
        worst = dropped.sort("gap", descending=True).row(0, named=True)
        out.append(
            LoadWarning(
                source, "dropped-samples",
                f"{dropped.height} gap(s) longer than {GAP_FACTOR}× the {interval:.3g} s interval, "
                f"about {missing} sample(s) missing; longest {worst['gap']:.3g} s before line "
                f"{worst[LINE]}",
                line=worst[LINE],
            )
        )
    normal = gaps.filter(pl.col("gap") <= GAP_FACTOR * interval)
    off = normal.filter((pl.col("gap") - interval).abs() > JITTER * interval)
    if off.height:
        out.append(
            LoadWarning(
                source, "irregular-interval",
                f"{off.height} of {gaps.height} gaps differ from the {interval:.3g} s interval by "
                f"more than {JITTER:.0%} (gaps from {normal['gap'].min():.3g} to "
                f"{normal['gap'].max():.3g} s); rates are integrated over the real gaps",
                line=off[LINE][0],
            )
        )
    return out


def _blanks(frame: pl.DataFrame, columns: list[str], source: str) -> list[LoadWarning]:
    if not columns or frame.height == 0:
        return []
    counters = frame[columns]  # null counts are chunk metadata: no pass over the values
    nulls = dict(zip(columns, counters.null_count().row(0)))
    first_blank = dict(zip(columns, counters.head(1).null_count().row(0)))
    n = frame.height
    empty = [c for c in columns if nulls[c] == n]
    first_only = [c for c in columns if first_blank[c] and nulls[c] == 1 and n > 1]
    partial = [c for c in columns if 0 < nulls[c] < n and not (first_blank[c] and nulls[c] == 1)]
    out = []
    if first_only:
        out.append(
            LoadWarning(
                source, "blank-first-row",
                f"{len(first_only)} counter(s) blank in the first row only (normal: rate "
                "counters need two samples); kept as null",
                line=int(frame[LINE][0]),
            )
        )
    if empty:
        out.append(
            LoadWarning(
                source, "blank-counter",
                f"{len(empty)} counter(s) have no value in the whole log (instance gone or never "
                f"there): {_listing(empty)}",
            )
        )
    if partial:
        spans = frame.select(
            [
                pl.struct(
                    first=pl.col("time").filter(pl.col(c).is_not_null()).first(),
                    last=pl.col("time").filter(pl.col(c).is_not_null()).last(),
                ).alias(c)
                for c in partial[:_LISTED]
            ]
        ).row(0, named=True)
        detail = "; ".join(
            f"{c} has values {_hms(spans[c]['first'])}–{_hms(spans[c]['last'])} UTC"
            for c in partial[:_LISTED]
        )
        out.append(
            LoadWarning(
                source, "partly-blank",
                f"{len(partial)} counter(s) blank for part of the log (instances that appeared "
                f"or vanished mid-log, e.g. a VM's vNIC after migrating): {detail}"
                + (" …" if len(partial) > _LISTED else ""),
            )
        )
    return out


def _instance_trap(frame: pl.DataFrame, cat: pl.DataFrame, source: str) -> list[LoadWarning]:
    objects = set(cat["object_en"].drop_nulls().to_list())
    hyperv = {o for o in objects if o.lower().startswith("hyper-v")}
    if not hyperv:
        return []
    lm_columns = cat.filter(matches(object=LIVE_MIGRATION))["column"].to_list()
    advice = (
        "a CSV log fixes its instance list when it starts, so migrations that began later are "
        "missing. Log to BLG (logman create counter … -f bin) and convert afterwards with "
        "relog file.blg -f csv -o file.csv, which writes every instance that appeared"
    )
    if not lm_columns:
        return [
            LoadWarning(
                source, "instance-trap",
                f"Hyper-V counters are logged but no '{LIVE_MIGRATION}' instance is: {advice}",
            )
        ]
    if frame.select(pl.col(lm_columns).is_not_null().any()).row(0) == (False,) * len(lm_columns):
        return [
            LoadWarning(
                source, "instance-trap",
                f"'{LIVE_MIGRATION}' columns exist but never hold a value: {advice}",
            )
        ]
    return []


def _listing(items: list[str]) -> str:
    return ", ".join(items[:_LISTED]) + (f" … (+{len(items) - _LISTED} more)" if len(items) > _LISTED else "")


def _hms(value) -> str:
    return "?" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def quality_report(capture) -> pl.DataFrame:
    """Every warning of ``capture`` as a table: source, severity, code, line, column, message."""
    rows = [
        {
            "source": w.source,
            "severity": SEVERITY.get(w.code, "warning"),
            "code": w.code,
            "line": w.line,
            "column": w.column,
            "message": w.message,
        }
        for w in capture.warnings
    ]
    schema = {
        "source": pl.String, "severity": pl.String, "code": pl.String,
        "line": pl.Int64, "column": pl.Int64, "message": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)
