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
from kit.io.perfmon.blg_samples import Columns, decode, run_all
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
MAX_RUNS = 256
"""A log of more runs of samples of one shape is cooked from copies of its columns instead."""


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
    raw, skipped = decode(data, records, samples, entries, columns, objects)
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
    values = _cook(raw, columns, kept, keep_rows, lines, name, warnings)
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


def _cook(raw, columns: Columns, kept: list[int], keep_rows: np.ndarray, lines: np.ndarray, name: str,
          warnings: list[LoadWarning]) -> np.ndarray:
    """Displayed values (samples × kept columns, column-major, NaN = blank), cooked per counter
    type and time base, with the warnings for raw values that are there but invalid or not
    computable."""
    n = raw.n
    out = np.empty((n, len(kept)), np.float64, order="F")
    groups: dict[tuple[int, int], list[int]] = {}
    for position, c in enumerate(kept):
        column = columns.columns[c]
        groups.setdefault((column.counter_type, column.frequency), []).append(position)
    kept_arr = np.asarray(kept, np.int64)
    reasons: dict[str, list[tuple[list[int], np.ndarray]]] = {}
    block = max(1, COOK_BLOCK // max(1, n))  # columns cooked at a time: the temporaries stay in cache
    everything = bool(keep_rows.all())
    work = [(code, frequency, every[lo : lo + block]) for (code, frequency), every in groups.items()
            for lo in range(0, len(every), block)]

    found: list[dict] = [{} for _ in work]

    by_runs = len(raw.blocks) > 1 and raw.run_count <= MAX_RUNS
    starts = sorted({r0 for block in raw.blocks for (r0, _), _ in block.runs if r0 > 0}) if by_runs else []

    def cook(k: int) -> None:  # blocks of columns are independent: cooked on the pool's threads
        code, frequency, positions = work[k]
        cols = kept_arr[positions]
        if not by_runs:
            first, second, valid = raw.take(cols)
            if not everything:  # a sample left out is no one's previous sample either
                valid = valid & keep_rows[:, None]
            cooked, found[k] = blg_cook.cook(code, frequency, first, second, valid)
            out[:, positions] = cooked
            return
        # a log of a few shapes: each run of samples of one shape cooked from its decoded block
        # (no copy), then the first sample of each run with the one before it
        contiguous = positions[-1] - positions[0] + 1 == len(positions)
        target = out[:, positions[0] : positions[-1] + 1] if contiguous else out[:, positions]  # a view, or a copy
        target[...] = np.nan
        why: dict[str, np.ndarray] = {}
        for block, have, picked in raw.pieces(cols):
            if have.size == cols.size:
                have = slice(None)
            for (r0, r1), (s0, s1) in block.runs:
                valid = block.valid[s0:s1, picked]
                if not everything:
                    valid = valid & keep_rows[r0:r1, None]
                cooked, reasons = blg_cook.cook(code, frequency, block.first[s0:s1, picked],
                                                block.second[s0:s1, picked], valid)
                target[r0:r1, have] = cooked
                for reason, mask in reasons.items():
                    why.setdefault(reason, np.zeros(target.shape, bool))[r0:r1, have] = mask
        if starts:
            pairs = np.asarray([(r - 1, r) for r in starts]).ravel()
            first, second, valid = raw.take_rows(pairs, cols)
            if not everything:
                valid = valid & keep_rows[pairs][:, None]
            for j, row in enumerate(starts):
                cooked, reasons = blg_cook.cook(code, frequency, first[2 * j : 2 * j + 2], second[2 * j : 2 * j + 2],
                                                valid[2 * j : 2 * j + 2])
                target[row] = cooked[1]
                for reason, mask in reasons.items():
                    why.setdefault(reason, np.zeros(target.shape, bool))[row] = mask[1]
        if not contiguous:
            out[:, positions] = target
        found[k] = why

    run_all(cook, range(len(work)))
    for (_, _, positions), why in zip(work, found):  # in the order of the work, whatever the threads did
        for reason, mask in why.items():
            reasons.setdefault(reason, []).append((positions, mask))
    if not kept:
        return out

    def report(code: str, mask: np.ndarray, text: str) -> None:
        if not everything:
            mask = mask & keep_rows[:, None]
        rows = mask.any(axis=1)
        if rows.any():
            where = lines[rows].tolist()
            warnings.append(LoadWarning(name, code, f"{int(mask.sum())} value(s) {text} ({sample_list(where)})",
                                        line=where[0]))

    bad_status, forced = raw.masks(kept_arr) if raw.codes or any(b.forced for b in raw.blocks) else (None, {})
    if raw.codes:
        named = ", ".join(f"{STATUS_NAMES.get(c, 'status')} ({c:#010x})" for c in sorted(raw.codes)[:_LISTED])
        report("status-not-ok", bad_status,
               f"carry a PDH status that says they are not valid ({named}): left blank, as relog does")
    for reason, mask in forced.items():
        report("not-computable", mask, f"left blank: {reason}")
    for reason, parts in reasons.items():
        mask = np.zeros((n, len(kept)), bool, order="F")
        for positions, part in parts:
            mask[:, positions] = part
        report("not-computable", mask, f"left blank where PDH reports an error instead of a value: {reason}")
    return out


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
    if ambiguous.any():
        backwards = np.concatenate([[False], np.diff(local_us) < 0])
        stepped = False
        for i in range(local_us.size):
            if not ambiguous[i]:
                stepped = False
                continue
            stepped = stepped or bool(backwards[i])
            dst[i] = not stepped
    out[dst] = daylight
    return out


def _year(us: int) -> int:
    return (datetime(1970, 1, 1) + timedelta(microseconds=us)).year


def _us(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1)) // timedelta(microseconds=1)
