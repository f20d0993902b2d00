"""Write synthetic binary perfmon logs (.blg) in the layout :mod:`kit.io.perfmon.blg` reads.

For the tests, the fuzzer and the benchmark: logs of single-counter (``BL 03 01``) and
every-instance (``BL 03 02``) records, in event-trace buffers exactly as docs/blg-format.md
describes them (the layout established on the real sample logs). It is not a general writer:
nothing it writes is more than the reader verified.

Raw values are given per counter: for a single counter, (FirstValue, SecondValue, CStatus) per
sample; for a wildcard counter (instance ``*``), its instance names and (FirstValue, SecondValue)
per sample and instance, with an optional mask of the instances each sample holds. A log whose
samples all hold every instance is written a block of samples at a time with numpy.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from kit.io.perfmon.blg_layout import (
    COUNTERS,
    COUNTERS_HEADER,
    ENTRY_UNKNOWN_FLAG,
    EVENT_HEADER,
    FILETIME_UNIX,
    MARKER,
    PROVIDER,
    RECORD_VERSION,
    SAMPLE,
    WILDCARD,
)

PART = 8000
"""Payload bytes per record, as PDH cuts them (PAL's log). [B]"""
BUFFER = 65536


@dataclass(frozen=True)
class Counter:
    """A counter path to log, with its type and time base."""

    machine: str
    object: str
    instance: str | None
    counter: str
    counter_type: int
    frequency: int = 10_000_000
    scale: int = 0

    @property
    def wildcard(self) -> bool:
        return self.instance == "*"


@dataclass
class Values:
    """Raw values of one counter: ``first``/``second`` (samples, or samples × instances for a
    wildcard counter), ``status`` (single counters; 0 = valid), ``names`` and ``present``
    (wildcard counters: the instances, and which each sample holds)."""

    first: np.ndarray
    second: np.ndarray
    status: np.ndarray | None = None
    names: list[str] = field(default_factory=list)
    present: np.ndarray | None = None


@dataclass(frozen=True)
class ZoneInfo:
    """TIME_ZONE_INFORMATION to write: bias [min], names, rules as SYSTEMTIME tuples."""

    bias: int = 480
    standard_name: str = "@tzres.dll,-212"
    standard_date: tuple = (0, 11, 0, 1, 2, 0, 0, 0)
    standard_bias: int = 0
    daylight_name: str = "@tzres.dll,-211"
    daylight_date: tuple = (0, 3, 0, 2, 2, 0, 0, 0)
    daylight_bias: int = -60


def filetime(moment: datetime) -> int:
    """FILETIME of a naive datetime. [100 ns]"""
    return FILETIME_UNIX + (moment - datetime(1970, 1, 1)) // timedelta(microseconds=1) * 10


def _wide(text: str) -> bytes:
    return text.encode("utf-16-le") + b"\0\0"


def _pad8(data: bytes) -> bytes:
    return data + bytes(-len(data) % 8)


def _zone(zone: ZoneInfo) -> bytes:
    def name(text: str) -> bytes:
        raw = text.encode("utf-16-le")[:62]
        return raw + bytes(64 - len(raw))

    def rule(values: tuple) -> bytes:
        return np.asarray(values, "<u2").tobytes()

    return (np.int32(zone.bias).tobytes() + name(zone.standard_name) + rule(zone.standard_date)
            + np.int32(zone.standard_bias).tobytes() + name(zone.daylight_name) + rule(zone.daylight_date)
            + np.int32(zone.daylight_bias).tobytes())


def _u32(v: int) -> bytes:
    return int(v).to_bytes(4, "little", signed=v < 0)


def _i64(v: int) -> bytes:
    return int(v).to_bytes(8, "little", signed=True)


def log_header(*, buffers: int, pointer_size: int, zone: ZoneInfo, perf_freq: int, start: int, end: int,
               session: uuid.UUID, log_file: str, build: int = 14393) -> bytes:
    """Buffer 0: its header and the log-file header record."""
    ptr = bytes(pointer_size)
    fields = (_u32(BUFFER) + bytes([10, 0, 1, 5]) + _u32(build) + _u32(1) + _i64(end) + _u32(156250) + _u32(0)
              + _u32(0x30020801) + _u32(buffers) + _u32(1) + _u32(pointer_size) + _u32(0) + _u32(2694) + ptr + ptr)
    fields += _zone(zone)
    fields = _pad8(fields) + _i64(start - 10**12) + _i64(perf_freq) + _i64(start) + _u32(2) + _u32(0)
    fields += _wide(str(session)) + _wide(log_file)
    size = 32 + len(fields)
    record = (b"\0\0" + bytes([2 if pointer_size == 8 else 1, MARKER]) + size.to_bytes(2, "little") + b"\0\0"
              + _u32(0x3EF0) + _u32(0xD9C) + _i64(end) + bytes(8) + fields)
    fill = 0x48 + len(_pad8(record))
    head = _u32(BUFFER) + _u32(fill) + bytes(0x28) + _u32(fill) + bytes(0x48 - 0x34)
    block = head + _pad8(record)
    return block + b"\xff" * (BUFFER - len(block))


def counter_list(counters: list[Counter]) -> bytes:
    """The payload of the counter-list record."""
    out = bytearray(COUNTERS_HEADER)
    for k, c in enumerate(counters):
        strings = _wide(c.machine)
        obj = len(strings)
        strings += _wide(c.object)
        inst = -1
        if c.instance is not None:
            inst = len(strings)
            strings += _wide(c.instance)
        ctr = len(strings)
        strings += _wide(c.counter)
        body = (_u32(c.counter_type) + _i64(c.frequency) + _u32(c.scale) + _u32(0) + _u32(obj) + _u32(inst)
                + _u32(-1) + _u32(0) + _u32(ctr) + strings)
        flags = ENTRY_UNKNOWN_FLAG | (WILDCARD if c.wildcard else 0)
        entry = _pad8(_u32(0) + _u32(flags) + _u32(k) + body)
        out += _u32(len(entry)) + entry[4:]
    return bytes(out)


def _event(kind: int, time: int, payload: bytes, part: int, parts: int, session: bytes, wide: bool) -> bytes:
    size = EVENT_HEADER + len(payload)
    head = (size.to_bytes(2, "little") + bytes([0x14 if wide else 0x0A, MARKER, kind, 0])
            + RECORD_VERSION.to_bytes(2, "little") + _u32(0x3EF0) + _u32(0xD9C) + _i64(time) + PROVIDER
            + bytes(8) + session + _u32(part) + _u32(parts))
    return head + payload


class _Buffers:
    """Packs records into buffers and streams them to the file."""

    def __init__(self, handle, first_time: int) -> None:
        self.handle = handle
        self.block = bytearray()
        self.written = 1
        self.time = first_time

    def add(self, record: bytes) -> None:
        padded = _pad8(record)
        if 0x48 + len(self.block) + len(padded) > BUFFER:
            self.flush()
        self.block += padded

    def flush(self) -> None:
        if not self.block:
            return
        fill = 0x48 + len(self.block)
        offset = self.written * BUFFER
        head = _u32(BUFFER) + _u32(fill) + _i64(offset + fill) + _i64(self.time) + bytes(0x30 - 0x18) + _u32(fill)
        head += bytes(0x48 - len(head))
        self.handle.write(head + bytes(self.block) + b"\xff" * (BUFFER - fill))
        self.written += 1
        self.block = bytearray()


def write(path: Path, counters: list[Counter], times: np.ndarray, values: list[Values], *,
          zone: ZoneInfo = ZoneInfo(), pointer_size: int = 8, perf_freq: int = 2_630_633,
          chunk: int = 512, session: uuid.UUID | None = None) -> Path:
    """Write a .blg of ``counters`` sampled at local FILETIMEs ``times`` with raw ``values``."""
    session = session or uuid.uuid5(uuid.NAMESPACE_URL, str(path))
    sid = session.bytes_le
    wide = pointer_size == 8
    n = len(times)
    with open(path, "wb") as handle:
        handle.write(bytes(BUFFER))  # buffer 0, written last (it holds the buffer count)
        buffers = _Buffers(handle, int(times[0]) if n else 0)
        buffers.add(_event(COUNTERS, int(times[0]) if n else 0, counter_list(counters), 1, 1, sid, wide))
        for start, stop, run in _runs(values, n):  # samples holding the same instances: one shape
            for lo in range(start, stop, chunk):
                hi = min(stop, lo + chunk)
                for i, payload in zip(range(lo, hi), _fixed_payloads(counters, times, run, lo, hi)):
                    parts = -(-len(payload) // PART)
                    for p in range(parts):
                        buffers.add(_event(SAMPLE, int(times[i]), payload[p * PART : (p + 1) * PART], p + 1, parts,
                                           sid, wide))
        buffers.flush()
        handle.seek(0)
        handle.write(log_header(buffers=buffers.written, pointer_size=pointer_size, zone=zone, perf_freq=perf_freq,
                                start=int(times[0]) if n else 0, end=int(times[-1]) if n else 0, session=session,
                                log_file=str(path)))
    return path


def _runs(values: list[Values], n: int):
    """(start, stop, values) of each run of samples that hold the same instances, with the
    values of those instances only."""
    masks = [v.present for v in values if v.present is not None]
    if not masks or n == 0:
        yield 0, n, values
        return
    joined = np.concatenate(masks, axis=1)
    change = np.flatnonzero((joined[1:] != joined[:-1]).any(axis=1)) + 1
    bounds = [0, *change.tolist(), n]
    for start, stop in zip(bounds[:-1], bounds[1:]):
        run = []
        for v in values:
            if v.present is None:
                run.append(v)
                continue
            keep = v.present[start]
            run.append(Values(v.first[:, keep], v.second[:, keep], names=[m for m, k in zip(v.names, keep) if k]))
        yield start, stop, run


def _record(kind: int, body: bytes) -> bytes:
    body = _pad8(body)
    return b"BL\x03" + bytes([kind]) + _u32(8 + len(body)) + body


def _one(time: int, status: int, first: int, second: int) -> bytes:
    return _record(1, _u32(status) + _i64(time) + _u32(0) + _i64(first) + _i64(second) + _u32(1) + _u32(0))


def _every(time: int, names: list[str], first, second) -> bytes:
    count = len(names)
    names_at = 24 + 24 * count
    blob, offsets = b"", []
    for name in names:
        offsets.append(names_at + len(blob))
        blob += _wide(name)
    items = b"".join(_u32(o) + _u32(1) + _i64(f) + _i64(s) for o, f, s in zip(offsets, first, second))
    size = len(_pad8(bytes(names_at + len(blob))))  # the size word counts the padding (as in the 2016 log)
    return _record(2, _u32(size) + _u32(count) + bytes(8) + _i64(time) + items + blob)


def _payload(counters: list[Counter], times: np.ndarray, values: list[Values], i: int) -> bytes:
    """One sample's payload, built record by record (any instance set)."""
    time = int(times[i])
    records = []
    for c, v in zip(counters, values):
        if c.wildcard:
            keep = np.ones(len(v.names), bool) if v.present is None else v.present[i]
            names = [name for name, k in zip(v.names, keep) if k]
            records.append(_every(time, names, v.first[i][keep].tolist(), v.second[i][keep].tolist()))
        else:
            status = 0 if v.status is None else int(v.status[i])
            records.append(_one(time, status, int(v.first[i]), int(v.second[i])))
    body = b"".join(records)
    return b"BL\x03\x00" + _u32(8 + len(body)) + body


def _fixed_payloads(counters: list[Counter], times: np.ndarray, values: list[Values], lo: int, hi: int) -> list[bytes]:
    """The payloads of samples ``lo`` … ``hi - 1`` (every instance in every sample): one template,
    the values written into a (samples × bytes) array with numpy."""
    template = _payload(counters, times, values, lo)
    rows = np.tile(np.frombuffer(template, np.uint8), (hi - lo, 1))
    words32 = rows.view("<u4")
    words64 = rows.view("<i8")
    at = 16  # container header, first record header
    stamps = times[lo:hi].astype(np.int64)
    for c, v in zip(counters, values):
        body = at
        if c.wildcard:
            count = len(v.names)
            words32[:, (body + 16) // 4] = (stamps & 0xFFFFFFFF).astype(np.uint32)
            words32[:, (body + 20) // 4] = (stamps >> 32).astype(np.uint32)
            first = (body + 24 + 8) // 8 + 3 * np.arange(count)
            words64[:, first] = v.first[lo:hi]
            words64[:, first + 1] = v.second[lo:hi]
        else:
            words32[:, body // 4] = 0 if v.status is None else v.status[lo:hi].astype(np.uint32)
            words32[:, (body + 4) // 4] = (stamps & 0xFFFFFFFF).astype(np.uint32)
            words32[:, (body + 8) // 4] = (stamps >> 32).astype(np.uint32)
            words64[:, (body + 16) // 8] = v.first[lo:hi]
            words64[:, (body + 24) // 8] = v.second[lo:hi]
        at = body + int.from_bytes(template[body - 4 : body], "little")
    return [row.tobytes() for row in rows]
