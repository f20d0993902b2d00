"""Raw object data in a .blg (``BL 03 05`` records): what ``Object(*)\\*`` logging stores.

Such a record holds the object's performance data exactly as Windows' performance library
returns it, in the structures documented in winperf.h (Microsoft Learn): a ``PERF_DATA_BLOCK``
(signature ``PERF``, the system's PerfTime, PerfFreq and PerfTime100nSec), one ``PERF_OBJECT_TYPE``,
its ``PERF_COUNTER_DEFINITION`` s, then its ``PERF_INSTANCE_DEFINITION`` s each followed by a
``PERF_COUNTER_BLOCK`` (or one counter block for an object without instances). Objects and
counters are named by index in the log's counter-name table (records of kind 0x24).

Each counter becomes raw values as PDH forms them (Microsoft Learn, "Calculating Counter
Values"): N is the counter's data; D is the time base the counter type asks for (the block's
PerfTime with PerfFreq, its PerfTime100nSec, or the object's PerfTime with PerfFreq) or, for a
precision counter, the counter that follows it; B (fractions, averages) is the base counter that
follows it. Base counters are not columns.
"""

from __future__ import annotations

import struct
from pathlib import Path

from kit.io.perfmon import blg_layout
from kit.io.perfmon.blg_cook import TYPES
from kit.io.perfmon.blg_layout import Entry, Records, refuse
from kit.io.perfmon.blg_samples import Column, Layout, Unreadable

SIGNATURE = "PERF".encode("utf-16-le")
DATA_BLOCK = 0x58
"""Bytes of PERF_DATA_BLOCK before the system name. [B]"""
OBJECT_HEADER = 0x40
COUNTER_DEFINITION = 40
INSTANCE_DEFINITION = 24
NO_INSTANCES = -1
PERF_COUNTER_BASE = 0x00030000
PERF_COUNTER_PRECISION = 0x00070000
"""Counter-type subtype bits (mask 0x00070000) of a base and of a precision timer."""
TIMER_TICK, TIMER_100NS, OBJECT_TIMER = 0x00000000, 0x00100000, 0x00200000
"""Counter-type time-base bits (mask 0x00300000)."""
WITH_BASE = {"fraction", "sample-fraction", "average-timer", "average"}
WITH_TIME = {"rate", "timer", "inverse", "queue"}
HUNDRED_NS = 10_000_000
"""Frequency of a 100 ns time base. [Hz]"""


def reader(data, records: Records, path: Path | str):
    """The parser of ``BL 03 05`` records for :func:`kit.io.perfmon.blg_samples.parse`, with the
    log's counter-name tables (raises when the log has none)."""
    tables: dict[str, dict[int, str]] = {}
    payloads = blg_layout.assemble(records, blg_layout.NAMES)
    for first, count, ok in zip(payloads.first.tolist(), payloads.count.tolist(), payloads.ok.tolist()):
        at = int(records.offset[first]) + blg_layout.EVENT_HEADER
        if not ok:
            raise refuse(path, at, "a counter-name table whose parts are incomplete or out of order")
        machine, names = blg_layout.read_names(blg_layout.payload_bytes(data, records, first, count), at, path)
        tables.setdefault(machine.lower(), {}).update(names)

    def parse(payload: bytes, body: int, size: int, layout: Layout, index: int, entry: Entry) -> None:
        names = tables.get(entry.machine.lower())
        if names is None:
            raise Unreadable(body, f"raw object data of {entry.machine!r}, but the log has no counter-name table "
                             "for that machine")
        _block(payload, body, size, layout, index, entry, names)

    return parse


def _u32(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 4], "little")


def _i32(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 4], "little", signed=True)


def _block(payload: bytes, body: int, size: int, layout: Layout, index: int, entry: Entry,
           names: dict[int, str]) -> None:
    """Add the values of one PERF_DATA_BLOCK (at ``body``, ``size`` bytes) to ``layout``."""
    end = body + size
    if size < DATA_BLOCK or payload[body : body + 8] != SIGNATURE:
        raise Unreadable(body, "raw object data that does not start with a PERF_DATA_BLOCK (signature PERF)")
    little, version, revision, total, header, objects = struct.unpack_from("<6I", payload, body + 8)
    if (little, version, revision) != (1, 1, 1):
        raise Unreadable(body + 8, f"a PERF_DATA_BLOCK of byte order / version / revision {little}/{version}/{revision}"
                         " (1/1/1 in every verified log)")
    if total > size or not DATA_BLOCK <= header <= total or objects != 1:
        raise Unreadable(body + 20, f"a PERF_DATA_BLOCK of {total:,} bytes, header {header:,}, {objects} objects "
                         f"(one object, within the record's {size:,} bytes, in every verified log)")
    name_length, name_offset = struct.unpack_from("<II", payload, body + 0x50)
    if name_offset + name_length > header:
        raise Unreadable(body + 0x50, "the PERF_DATA_BLOCK's system name lies outside its header")
    layout.fixed.append((body, body + 0x24))  # signature … DefaultObject (SystemTime varies)
    layout.fixed.append((body + 0x40, body + 0x48))  # PerfFreq: a time base, the same in every payload read alike
    layout.fixed.append((body + 0x50, body + header))  # system name length, offset and the name
    times = {TIMER_TICK: (body + 0x38, struct.unpack_from("<q", payload, body + 0x40)[0]),
             TIMER_100NS: (body + 0x48, HUNDRED_NS)}
    at = body + header
    obj_total, definitions, obj_header, obj_index = struct.unpack_from("<4I", payload, at)
    if obj_header != OBJECT_HEADER or not obj_header <= definitions <= obj_total or at + obj_total > body + total:
        raise Unreadable(at, f"a PERF_OBJECT_TYPE of {obj_total:,} bytes, definitions {definitions:,}, header "
                         f"{obj_header} (header {OBJECT_HEADER}, within the data block, in every verified log)")
    obj_name = names.get(obj_index)
    if obj_name is None or obj_name.lower() != entry.object.lower():
        raise Unreadable(at + 12, f"object index {obj_index} is {obj_name!r} in the log's counter-name table, not "
                         f"the logged object {entry.object!r}")
    counters, _default, instances, code_page = struct.unpack_from("<IiiI", payload, at + 0x20)
    times[OBJECT_TIMER] = (at + 0x30, struct.unpack_from("<q", payload, at + 0x38)[0])
    layout.fixed.append((at, at + 0x30))  # up to CodePage (the object's PerfTime varies)
    layout.fixed.append((at + 0x38, at + 0x40))  # the object's PerfFreq
    if code_page != 0:
        raise Unreadable(at + 0x2C, f"instance names in code page {code_page} (UTF-16, code page 0, in every "
                         "verified log)")
    defs = []
    d = at + obj_header
    for k in range(counters):
        if d + COUNTER_DEFINITION > at + definitions:
            raise Unreadable(d, f"counter definition {k + 1} of {counters} lies outside the object's definitions")
        length, name_index = _u32(payload, d), _u32(payload, d + 4)
        scale, _detail, ctype, csize, coffset = struct.unpack_from("<iIIII", payload, d + 20)
        if length < COUNTER_DEFINITION or csize not in (4, 8):
            raise Unreadable(d, f"a counter definition of {length} bytes with data of {csize} bytes (40 or more; "
                             "4 or 8)")
        defs.append((name_index, ctype, csize, coffset, d))
        d += length
    if d != at + definitions:
        raise Unreadable(d, "the counter definitions do not end where the object's definitions end")
    layout.fixed.append((at + obj_header, at + definitions))
    blocks = []  # (instance name or None, counter block offset, block length)
    p = at + definitions
    if instances == NO_INSTANCES:
        length = _u32(payload, p)
        blocks.append((None, p, length))
        layout.fixed.append((p, p + 4))
        p += length
    elif instances < 0:
        raise Unreadable(at + 0x28, f"instance count {instances}")
    else:
        for k in range(instances):
            if p + INSTANCE_DEFINITION > at + obj_total:
                raise Unreadable(p, f"instance {k + 1} of {instances} lies outside the object")
            length, parent, _parent_instance, _unique, name_at, name_length = struct.unpack_from("<IIIiII", payload, p)
            if parent:
                raise Unreadable(p + 4, "an instance with a parent object (e.g. Thread): never seen in a verified log")
            if length < INSTANCE_DEFINITION or name_at + name_length > length or name_length < 2 or name_length % 2:
                raise Unreadable(p, "an instance definition whose name lies outside it")
            raw = payload[p + name_at : p + name_at + name_length]
            name = raw.decode("utf-16-le", errors="replace").split("\0", 1)[0]
            layout.fixed.append((p, p + 4))
            layout.fixed.append((p + 16, p + name_at + name_length))
            block = p + length
            block_length = _u32(payload, block)
            blocks.append((name, block, block_length))
            layout.fixed.append((block, block + 4))
            p = block + block_length
    if p > at + obj_total or p > end:
        raise Unreadable(p, "the counter blocks run past the object")
    seen: dict[str, int] = {}
    for name, block, block_length in blocks:
        occurrence = 0
        label = name
        if name is not None:
            occurrence = seen.get(name, 0)
            seen[name] = occurrence + 1
            label = name if occurrence == 0 else f"{name}#{occurrence}"
        for k, (name_index, ctype, csize, coffset, d) in enumerate(defs):
            if ctype & PERF_COUNTER_PRECISION == PERF_COUNTER_BASE:
                continue  # a base: the denominator of the counter before it, not a column
            counter = names.get(name_index)
            if counter is None:
                raise Unreadable(d + 4, f"counter index {name_index} is not in the log's counter-name table")
            if coffset + csize > block_length:
                raise Unreadable(d + 36, f"counter {counter!r} lies outside its counter block")
            key = (index, name, occurrence, (name_index, k))
            path = entry.path(instance=label, counter=counter) if name is not None else \
                f"{entry.machine}\\{entry.object}\\{counter}"
            known = TYPES.get(ctype)
            frequency, second, second_width = 0, -1, 8
            timer = ctype & 0x00300000
            precision = ctype & PERF_COUNTER_PRECISION == PERF_COUNTER_PRECISION
            if known is not None and (known.formula in WITH_BASE or (known.formula in WITH_TIME and precision)):
                if k + 1 >= len(defs) or defs[k + 1][1] & PERF_COUNTER_PRECISION != PERF_COUNTER_BASE:
                    raise Unreadable(d, f"counter {counter!r} needs the base counter after it, and there is none")
                _, _, bsize, boffset, bdef = defs[k + 1]
                if boffset + bsize > block_length:
                    raise Unreadable(bdef + 36, f"the base of {counter!r} lies outside its counter block")
                second, second_width = block + boffset, bsize
                if known.formula == "average-timer" or known.formula in WITH_TIME:
                    if timer not in times:
                        raise Unreadable(d + 28, f"counter {counter!r} of type {ctype:#x} has an unknown time base")
                    frequency = times[timer][1]
            elif known is not None and known.formula in WITH_TIME:
                if timer not in times:
                    raise Unreadable(d + 28, f"counter {counter!r} of type {ctype:#x} has an unknown time base")
                second, frequency = times[timer]
            layout.made[key] = Column(index, path, ctype, frequency)
            layout.value(key, block + coffset, second, width=csize, second_width=second_width, signed=csize == 8)
