"""Binary perfmon logs (.blg): read natively, on any OS, into the same capture as relog's CSV.

How the file is laid out, and how each part of that was established, is in docs/blg-format.md;
the container is read by :mod:`.blg_layout`, the samples by :mod:`.blg_samples` (and the raw
object data of ``Object(*)\\*`` logging by :mod:`.blg_perfdata`), the displayed values computed by
:mod:`.blg_cook` with each counter type's documented formula.

The capture has one column per counter and instance that appears anywhere in the log (an
instance that comes later, such as a VM's ``Hyper-V VM Live Migration`` instance, is blank
before), UTC times from the samples' local time stamps and the collecting machine's time zone as
the file records it (its bias and DST rules), and warnings for everything left out. A row's
"line" in the warnings is the sample's number (1-based, in file order).
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from kit.errors import LoadWarning
from kit.inputs.capture import Capture
from kit.io.common import EARLIEST, LATEST, LINE
from kit.io.perfmon import blg_cook, blg_layout
from kit.io.perfmon.assemble import catalog, finish, not_selected, unique_names
from kit.io.perfmon.blg_layout import FILETIME_UNIX, Zone, refuse
from kit.io.perfmon.blg_samples import Columns, decode, run_all, runs_of
from kit.io.perfmon.paths import counter_filter
from kit.io.perfmon.source import ReadOptions

FORMAT = "blg"
MAX_BIAS = 24 * 60
"""Largest plausible bias of a time zone. [min]"""
VALID_STATUS = (0, 1)
"""PDH_CSTATUS_VALID_DATA and PDH_CSTATUS_NEW_DATA: the value is valid."""
STATUS_NAMES = {
    0x800007D0: "PDH_CSTATUS_NO_MACHINE", 0x800007D1: "PDH_CSTATUS_NO_INSTANCE",
    0x800007D3: "PDH_CSTATUS_ITEM_NOT_VALIDATED", 0x800007D5: "PDH_NO_DATA",
    0xC0000BB8: "PDH_CSTATUS_NO_OBJECT", 0xC0000BB9: "PDH_CSTATUS_NO_COUNTER",
    0xC0000BBA: "PDH_CSTATUS_INVALID_DATA",
}
"""PDH's CStatus codes (Microsoft Learn, "PDH Error Codes") named in warnings."""
_LISTED = 5
COOK_BLOCK = 1 << 18
"""Values cooked at a time (a block of columns of every sample)."""
BLANKED: set[str] = set()
"""Reasons a layout gives for values it blanks (not PDH errors)."""


def sample_list(numbers: list[int]) -> str:
    """``samples 3, 4, 9 …``: the first few sample numbers for a message."""
    listed = ", ".join(map(str, numbers[:_LISTED]))
    return f"sample{'s' if len(numbers) > 1 else ''} {listed}" + (" …" if len(numbers) > _LISTED else "")


def is_blg(head: bytes) -> bool:
    """True when ``head`` (the first bytes of a file) starts like a binary perfmon log."""
    return blg_layout.looks_like_blg(head)


def read_blg(path: Path, options: ReadOptions) -> Capture:
    """Read a .blg into a one-source capture (see the module docstring).

    Raises :class:`~kit.errors.UnsupportedFormatError` (with the offset and what was not
    understood, and the relog command) for anything of the file's structure the kit has not
    verified; samples that cannot be decoded are left out and reported.
    """
    name = str(path)
    with path.open("rb") as handle:
        if handle.seek(0, 2) == 0:
            raise refuse(path, 0, "the file is empty")
        data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        parsed = _parse(data, path, options)
    finally:
        try:
            data.close()
        except BufferError:  # a numpy view of it is still alive (in an exception's frames): closed when it goes
            pass
    return _capture(parsed, name, options)


@dataclass
class _Parsed:
    header: blg_layout.LogHeader
    columns: Columns
    keep: list[int]
    values: np.ndarray
    local: np.ndarray
    lines: np.ndarray
    warnings: list[LoadWarning]
    samples: int


def _parse(data, path: Path, options: ReadOptions) -> _Parsed:
    name = str(path)
    header = blg_layout.read_header(data, path)
    buffer_size = header.buffer_size
    if len(data) < 2 * buffer_size and len(data) % buffer_size:
        raise refuse(path, len(data), f"the file ends at {len(data):,} bytes, inside its first buffer of "
                     f"{buffer_size:,}: a cut-off copy with no counters or samples")
    records = blg_layout.walk(data, header, path)
    warnings: list[LoadWarning] = []
    if records.cut is not None or len(data) % buffer_size or records.buffers < header.buffers_written:
        at = records.cut if records.cut is not None else len(data)
        warnings.append(LoadWarning(
            name, "blg-truncated",
            f"the file ends at byte {len(data):,} ({records.buffers} of {max(header.buffers_written, records.buffers)} "
            f"buffers of {buffer_size:,} bytes; the records from offset {at:#x} on are cut off): a copy of a log "
            "still being written, or a cut-off file; every sample before the cut is read",
        ))
    lists = blg_layout.assemble(records, blg_layout.COUNTERS)
    if not lists.first.size:
        raise refuse(path, len(data) if records.cut is None else records.cut,
                     "the log holds no counter list (no record of kind 0x20)")
    payloads = []
    for first, count, ok in zip(lists.first.tolist(), lists.count.tolist(), lists.ok.tolist()):
        at = int(records.offset[first])
        if not ok:
            raise refuse(path, at, "a counter list whose parts are incomplete or out of order")
        payloads.append((at, blg_layout.payload_bytes(data, records, first, count)))
    for at, payload in payloads[1:]:
        if payload != payloads[0][1]:
            raise refuse(path, at, "a second counter list that differs from the first (a log appended to, or "
                         "counters added while it ran): never seen in a verified log")
    list_at, counters_payload = payloads[0]
    entries = blg_layout.read_counters(counters_payload, list_at + blg_layout.EVENT_HEADER, path)
    objects = None
    if any(e.record_kind == 5 for e in entries):
        from kit.io.perfmon import blg_perfdata

        objects = blg_perfdata.reader(data, records, path)
    samples = blg_layout.assemble(records, blg_layout.SAMPLE)
    columns = Columns()
    reader, shapes, skipped = decode(data, records, samples, entries, columns, objects)
    try:
        return _finish_parse(header, records, samples, lists, shapes, skipped, columns, warnings, path, options)
    finally:
        reader.close()


def _finish_parse(header, records, samples, lists, shapes, skipped, columns, warnings, path, options) -> _Parsed:
    """The samples' displayed values (read and cooked shape by shape) and what was left out."""
    name = str(path)
    before = samples.first < lists.first[0]
    for i in np.flatnonzero(before).tolist():
        skipped[i] = "it comes before the counter list (the log's buffers are out of order)"
    n = samples.first.size
    lines = np.arange(1, n + 1, dtype=np.int64)
    if skipped:
        warnings.append(_skipped_samples(name, skipped, records, samples))
    keep_rows = np.ones(n, bool)
    keep_rows[list(skipped)] = False
    order = sorted(range(len(columns.columns)), key=lambda c: (columns.columns[c].entry, c))
    kept, dropped = [], {}
    for c in order:
        code = columns.columns[c].counter_type
        if code in blg_cook.TYPES:
            kept.append(c)
        else:
            dropped.setdefault(code, []).append(columns.columns[c].path)
    for code, paths in dropped.items():
        warnings.append(LoadWarning(
            name, "unsupported-counter-type",
            f"{len(paths)} counter(s) of type {blg_cook.type_name(code)} left out: the kit does not cook that type "
            f"(relog does): {', '.join(paths[:_LISTED])}" + (" …" if len(paths) > _LISTED else ""),
        ))
    if options.counters is not None and kept:
        paths = [columns.columns[c].path for c in kept]
        names, _ = unique_names(paths, name, [None] * len(paths))
        mask = catalog(names, paths, name).select(counter_filter(options.counters)).to_series().to_list()
        chosen = [c for c, m in zip(kept, mask) if m]
        if len(chosen) < len(kept):
            warnings.append(not_selected(name, options.counters, len(kept) - len(chosen), len(kept)))
        kept = chosen
    values = _cook(shapes, columns, kept, keep_rows, lines, name, warnings)
    local = records.time[samples.first] if n else np.zeros(0, np.int64)
    if not keep_rows.all():
        values, local, lines = values[keep_rows], local[keep_rows], lines[keep_rows]
    return _Parsed(header, columns, kept, values, local, lines, warnings, samples=n)


def _skipped_samples(name: str, skipped: dict[int, str], records, samples) -> LoadWarning:
    lines = sorted(i + 1 for i in skipped)
    reasons: dict[str, list[int]] = {}
    for i, why in sorted(skipped.items()):
        reasons.setdefault(why, []).append(i + 1)
    detail = "; ".join(f"{why}: {sample_list(found)}" for why, found in list(reasons.items())[:_LISTED])
    first = min(skipped)
    at = int(records.offset[samples.first[first]]) if samples.first.size else 0
    return LoadWarning(
        name, "bad-sample",
        f"{len(lines)} sample(s) could not be decoded and were left out (first at offset {at:#x}): {detail}",
        line=lines[0], skipped_lines=tuple(lines),
    )


def _cook(shapes, columns: Columns, kept: list[int], keep_rows: np.ndarray, lines: np.ndarray, name: str,
          warnings: list[LoadWarning]) -> np.ndarray:
    """Displayed values (samples × kept columns, column-major, NaN = blank), read and cooked a
    block of payloads at a time (on the pool's threads), with the warnings for raw values that are
    there but invalid or not computable.

    Within a block, each run of consecutive samples is cooked from its raw values; the first
    sample of a run is then cooked with the raw values of the sample before it, wherever that
    one was read (another block, another shape), or stays blank when there is none."""
    n, width = lines.size, len(kept)
    out = np.full((n, width), np.nan, order="F")
    if not width:
        return out
    position_of = np.full(len(columns.columns), -1, np.int64)
    position_of[np.asarray(kept, np.int64)] = np.arange(width)
    prepared, jobs = [], []
    for i, shape in enumerate(shapes):
        where = position_of[shape.cols]
        members: dict[tuple[int, int], list[int]] = {}
        for v in np.flatnonzero(where >= 0).tolist():
            column = columns.columns[int(shape.cols[v])]
            members.setdefault((column.counter_type, column.frequency), []).append(v)
        # the values read in the order of their groups, so that each group is a slice (a view)
        local = np.asarray([v for group in members.values() for v in group], np.int64)
        groups, lo = [], 0
        for key, group in members.items():
            groups.append((key, slice(lo, lo + len(group))))
            lo += len(group)
        blank = {j: shape.plan.layout.blank[v] for j, v in enumerate(local.tolist()) if v in shape.plan.layout.blank}
        prepared.append((local, where[local], groups, blank))
        jobs += [(i, lo) for lo in range(0, shape.rows.size, shape.plan.read_chunk)] if local.size else []
    results: list[dict] = [{} for _ in jobs]

    def job(k: int) -> None:
        i, lo = jobs[k]
        shape = shapes[i]
        local, positions, groups, blank = prepared[i]
        rows = shape.rows[lo : lo + shape.plan.read_chunk]
        raw = shape.plan.values(shape.plan.payload_words(shape.firsts[lo : lo + shape.plan.read_chunk]), local)
        kept_rows = keep_rows[rows][:, None]
        if raw["status"] is None:  # no value here carries a status: all valid
            valid = np.empty(raw["first"].shape, bool)
            valid[:] = kept_rows
            bad = np.zeros((0, 0), bool)
        else:
            valid = (raw["status"] == 0) | (raw["status"] == 1)
            bad = ~valid
            valid &= kept_rows
            bad &= kept_rows
        for j, reason in blank.items():
            result_reason(results[k], reason, rows[valid[:, j]], int(valid[:, j].sum()))
            valid[:, j] = False
        if bad.any():
            results[k]["bad"] = (rows[bad.any(axis=1)], int(bad.sum()), set(np.unique(raw["status"][bad]).tolist()))
        edges = results[k].setdefault("edges", [])
        for a, b in runs_of(rows):
            r0 = int(rows[a])
            for (code, frequency), g in groups:
                cooked, why = blg_cook.cook(code, frequency, raw["first"][a:b, g], raw["second"][a:b, g], valid[a:b, g])
                out[r0 : r0 + b - a, positions[g]] = cooked
                for reason, mask in why.items():
                    hit = mask.any(axis=1)
                    result_reason(results[k], reason, rows[a:b][hit], int(mask.sum()))
            edges.append((r0, r0 + b - a - 1, i, raw["first"][[a, b - 1]], raw["second"][[a, b - 1]],
                          valid[[a, b - 1]]))

    run_all(job, range(len(jobs)))
    # the first sample of each run, with the sample before it
    last = {}
    for result in results:
        for _, end, i, first, second, valid in result.get("edges", []):
            last[end] = (prepared[i][1], first[1], second[1], valid[1])
    boundary: dict = {}
    for result in results:
        for start, _, i, first, second, valid in result.get("edges", []):
            before = last.get(start - 1)
            if before is None:
                continue
            positions, groups = prepared[i][1], prepared[i][2]
            prev_first = np.zeros(width, np.int64)
            prev_second = np.zeros(width, np.int64)
            prev_valid = np.zeros(width, bool)
            prev_first[before[0]], prev_second[before[0]], prev_valid[before[0]] = before[1], before[2], before[3]
            for (code, frequency), g in groups:
                at = positions[g]
                pair = (np.stack([prev_first[at], first[0, g]]), np.stack([prev_second[at], second[0, g]]),
                        np.stack([prev_valid[at], valid[0, g]]))
                cooked, why = blg_cook.cook(code, frequency, *pair)
                out[start, at] = cooked[1]
                for reason, mask in why.items():
                    if mask[1].any():
                        result_reason(boundary, reason, np.asarray([start]), int(mask[1].sum()))
    _report(results + [boundary], lines, name, warnings)
    return out


def result_reason(result: dict, reason: str, rows: np.ndarray, count: int) -> None:
    """Count ``count`` values of samples ``rows`` left blank for ``reason`` in a job's result."""
    if count:
        found = result.setdefault("reasons", {}).setdefault(reason, [[], 0])
        found[0].append(rows)
        found[1] += count


def _report(results: list[dict], lines: np.ndarray, name: str, warnings: list[LoadWarning]) -> None:
    """The warnings for the values the jobs left blank (in the order of the jobs)."""
    def warn(code: str, rows: list[np.ndarray], count: int, text: str) -> None:
        where = lines[np.unique(np.concatenate(rows))].tolist() if rows else []
        if count and where:
            warnings.append(LoadWarning(name, code, f"{count} value(s) {text} ({sample_list(where)})", line=where[0]))

    bad = [r["bad"] for r in results if "bad" in r]
    if bad:
        codes = sorted({int(c) & 0xFFFFFFFF for _, _, found in bad for c in found})
        named = ", ".join(f"{STATUS_NAMES.get(c, 'status')} ({c:#010x})" for c in codes[:_LISTED])
        warn("status-not-ok", [rows for rows, _, _ in bad], sum(count for _, count, _ in bad),
             f"carry a PDH status that says they are not valid ({named}): left blank, as relog does")
    reasons: dict[str, list] = {}
    for result in results:
        for reason, (rows, count) in result.get("reasons", {}).items():
            merged = reasons.setdefault(reason, [[], 0])
            merged[0] += rows
            merged[1] += count
    for reason, (rows, count) in reasons.items():
        prefix = "left blank" if reason in BLANKED else "left blank where PDH reports an error instead of a value"
        warn("not-computable", rows, count, f"{prefix}: {reason}")


def _capture(parsed: _Parsed, name: str, options: ReadOptions) -> Capture:
    header, columns = parsed.header, parsed.columns
    warnings = parsed.warnings
    paths = [columns.columns[c].path for c in parsed.keep]
    names, renamed = unique_names(paths, name, [None] * len(paths))
    warnings += renamed
    cat = catalog(names, paths, name)
    local_us = (parsed.local - FILETIME_UNIX) // 10
    low = int((EARLIEST - datetime(1970, 1, 1) + timedelta(days=1)) / timedelta(microseconds=1))
    high = int((LATEST - datetime(1970, 1, 1) - timedelta(days=1)) / timedelta(microseconds=1))
    in_range = (local_us >= low) & (local_us <= high)
    bias, basis, zone_name, shift = _bias(header.zone, local_us, in_range, options, parsed.lines, name, warnings)
    local = pl.Series("local", np.where(in_range, local_us + shift * 60_000_000, 0), dtype=pl.Int64)
    local = local.cast(pl.Datetime("us"))
    local = pl.select(pl.when(pl.Series(in_range)).then(local)).to_series().alias("local")
    frame = pl.DataFrame({"local": local, LINE: pl.Series(LINE, parsed.lines, dtype=pl.Int64)})
    if names:
        values = pl.DataFrame([pl.Series(column, parsed.values[:, j], dtype=pl.Float64, nan_to_null=True)
                               for j, column in enumerate(names)])
        frame = pl.concat([frame, values], how="horizontal")
    return finish(
        frame, cat, source=name, bias_minutes=bias, correct_dst=options.correct_dst, warnings=warnings,
        info={
            "format": FORMAT,
            "encoding": "utf-16-le",
            "encoding_basis": "binary",
            "zone_name": zone_name,
            "bias_basis": basis,
            "separator": None,
            "header_fields": 1 + len(names),
        },
    )


# -- time zone ------------------------------------------------------------------------------------


def _bias(zone: Zone, local_us: np.ndarray, in_range: np.ndarray, options: ReadOptions, lines: np.ndarray,
          name: str, warnings: list[LoadWarning]) -> tuple[int, str, str | None, np.ndarray]:
    """(bias of the first sample, its basis, zone name, per-sample shift [min]) for UTC = local +
    bias + shift: the file's TIME_ZONE_INFORMATION with its DST rules, unless the user overrides."""
    zone_name = zone.standard_name.strip() or None
    plausible = all(abs(b) <= MAX_BIAS for b in (zone.bias, zone.bias + zone.standard_bias,
                                                   zone.bias + zone.daylight_bias))
    none = np.zeros(local_us.size, np.int64)
    if options.bias_minutes is not None and (options.override_zone or not plausible):
        if plausible:
            warnings.append(LoadWarning(name, "bias-override", f"the file's zone {zone_name!r} (bias {zone.bias} min) "
                                        f"replaced by the given bias {options.bias_minutes} min"))
        return options.bias_minutes, "user", zone_name, none
    if not plausible:
        warnings.append(LoadWarning(
            name, "bad-bias", f"the file's time-zone biases ({zone.bias}, {zone.standard_bias}, {zone.daylight_bias} "
            f"min, at offset {zone.offset:#x}) are beyond ±{MAX_BIAS} min: ignored"))
        warnings.append(LoadWarning(
            name, "timezone-unknown", "the file gives no usable UTC offset: times are taken as UTC; pass utc_offset= "
            "(e.g. '+08:00') with the collecting host's offset"))
        return 0, "assumed-utc", zone_name, none
    biases = _biases(zone, local_us, in_range)
    first = int(biases[np.argmax(in_range)]) if in_range.any() else zone.bias + zone.standard_bias
    if options.bias_minutes is not None and options.bias_minutes != first:
        warnings.append(LoadWarning(
            name, "bias-override", f"the file gives bias {first} min ({zone_name}), used instead of the given "
            f"{options.bias_minutes} min (pass override_zone=True to force it)"))
    shift = np.where(in_range, biases - first, 0)
    for row in np.flatnonzero(np.diff(shift) != 0).tolist():
        change = int(shift[row + 1] - shift[row])
        warnings.append(LoadWarning(
            name, "dst-jump", f"the file's time-zone rules ({zone_name}) change the bias by {change:+d} min here "
            f"(a DST {'fall-back' if change > 0 else 'spring-forward'}): times converted with them",
            line=int(lines[row + 1])))
    return first, "header", zone_name, shift


def _transition(rule: blg_layout.Rule, year: int) -> datetime | None:
    """When ``rule`` changes the clock in ``year`` (local time before the change), or None."""
    if not 1 <= rule.month <= 12:
        return None
    try:
        at = timedelta(hours=rule.hour, minutes=rule.minute, seconds=rule.second, milliseconds=rule.millisecond)
        if rule.year:
            return datetime(year, rule.month, rule.day) + at if rule.year == year else None
        if not (0 <= rule.weekday <= 6 and 1 <= rule.day <= 5):
            return None
        first = datetime(year, rule.month, 1)
        day = 1 + (rule.weekday - first.isoweekday() % 7) % 7 + 7 * (rule.day - 1)
        while day > 28:
            try:
                datetime(year, rule.month, day)
                break
            except ValueError:
                day -= 7
        return datetime(year, rule.month, day) + at
    except (ValueError, OverflowError):
        return None


def _biases(zone: Zone, local_us: np.ndarray, in_range: np.ndarray) -> np.ndarray:
    """The bias in force at each sample's local time, by the zone's DST rules (TIME_ZONE_INFORMATION:
    DaylightDate starts DST at the standard time given, StandardDate ends it at the daylight time
    given). A local time in the repeated hour after a fall-back is daylight time until the samples
    step back, standard time after."""
    standard, daylight = zone.bias + zone.standard_bias, zone.bias + zone.daylight_bias
    out = np.full(local_us.size, standard, np.int64)
    if zone.daylight_date.month == 0 or standard == daylight or not in_range.any():
        return out
    delta = timedelta(minutes=standard - daylight)
    stamps = local_us[in_range]
    years = range(_year(int(stamps.min())), _year(int(stamps.max())) + 1)
    dst = np.zeros(local_us.size, bool)
    ambiguous = np.zeros(local_us.size, bool)
    for year in years:
        start, end = _transition(zone.daylight_date, year), _transition(zone.standard_date, year)
        if start is None or end is None:
            continue
        begin = _us(start + delta if delta > timedelta(0) else start)
        repeat = _us(end - delta if delta > timedelta(0) else end)
        stop = _us(end)
        year_lo, year_hi = _us(datetime(year, 1, 1)), _us(datetime(year + 1, 1, 1))
        inside = in_range & (local_us >= year_lo) & (local_us < year_hi)
        if begin < repeat:
            dst |= inside & (local_us >= begin) & (local_us < repeat)
        else:
            dst |= inside & ((local_us >= begin) | (local_us < repeat))
        ambiguous |= inside & (local_us >= min(repeat, stop)) & (local_us < max(repeat, stop))
    if ambiguous.any():  # in each run of samples in the repeated hour: daylight until the first step back
        backwards = np.concatenate([[False], np.diff(local_us) < 0])
        at = np.flatnonzero(ambiguous)
        starts = np.concatenate([[True], np.diff(at) != 1])
        steps = backwards[at].astype(np.int64)
        seen = np.cumsum(steps)
        before = (seen - steps)[starts][np.cumsum(starts) - 1]  # steps back before each run
        dst[at] = seen - before == 0
    out[dst] = daylight
    return out


def _year(us: int) -> int:
    return (datetime(1970, 1, 1) + timedelta(microseconds=us)).year


def _us(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1)) // timedelta(microseconds=1)
