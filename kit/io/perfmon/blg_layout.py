"""The container of a binary perfmon log (.blg): buffers, event records, the log-file header, the
counter list and the counter-name table (docs/blg-format.md describes each structure and how it
was established).

A .blg written since Windows Vista / Server 2003 SP1 is an event-trace log file: a run of
fixed-size buffers (64 KiB in every file seen), each a 72-byte buffer header and then event
records, 8-byte aligned, up to the buffer's fill offset. Buffer 0 holds one record: the
log-file header (``TRACE_LOGFILE_HEADER`` of Microsoft's documentation, with the collecting
machine's ``TIME_ZONE_INFORMATION``). The other buffers hold the records of the PDH log provider,
each a 72-byte event header and a payload; a payload longer than 8,000 bytes is cut into parts,
one record each, numbered in the header. The kinds: the counter list (0x20), a sample (0x22), a
closing index (0x23, not needed) and the counter-name table (0x24).

Every field used is checked where it is read; anything else raises
:class:`~kit.errors.UnsupportedFormatError` naming the byte offset. Nothing here loops over the
samples' values: the per-record walk is one Python step per event record, the checks of the
record headers are numpy over all of them.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kit.errors import UnsupportedFormatError
from kit.io.perfmon.encoding import RELOG_HINT

BUFFER_HEADER = 0x48
"""Bytes of a buffer's header; its first record starts here. [B]"""
EVENT_HEADER = 0x48
"""Bytes of a provider record's header; its payload starts here. [B]"""
FILL_OFFSET = 0x30
"""Where a buffer's header holds the offset its records end at (the fill offset)."""
LOG_HEADER_AT = 0x68
"""Offset of the log-file header's fields in buffer 0 (after the 32-byte system record header)."""
MARKER = 0xC0
"""Byte 3 of every record header in the three sample files (trace header flags)."""
SYSTEM_TYPES = (1, 2)
"""Header types of the log-file header record (byte 2)."""
EVENT_TYPES = (0x0A, 0x14)
"""Header types of the provider records (byte 2): 0x0A in the 32-bit logs, 0x14 in the 64-bit one."""
PROVIDER = uuid.UUID("933f3bb3-943e-490d-9ced-3cbb14c14479").bytes_le
"""The provider GUID of every record of the three sample files: the PDH log provider."""
RECORD_VERSION = 0x3C
"""Bytes 6–7 of every provider record header in the three sample files."""
COUNTERS, SAMPLE, INDEX, NAMES = 0x20, 0x22, 0x23, 0x24
KINDS = {COUNTERS: "counter list", SAMPLE: "sample", INDEX: "closing index", NAMES: "counter-name table"}
COUNTERS_HEADER = bytes.fromhex("ff06000008000200")
"""The first 8 bytes of the counter list in all three sample files (meaning unknown: checked)."""
ENTRY_FIXED = 0x34
"""Bytes of a counter-list entry before its strings."""
WILDCARD, WHOLE_OBJECT, ENTRY_UNKNOWN_FLAG = 0x1, 0x10, 0x20000000
"""Counter-list entry flags: instance ``*`` (one record of every instance), counter ``*`` (the
object's raw performance data), and a bit set on every entry of the 2016 file (meaning unknown,
ignored)."""
MIN_BUFFER, MAX_BUFFER = 4096, 1 << 24
FILETIME_UNIX = 116_444_736_000_000_000
_EVENT = struct.Struct("<HBB")
"""A provider record's size, header type and flags."""
"""FILETIME (100 ns since 1601) of 1970-01-01."""


def refuse(path: Path | str, offset: int, what: str) -> UnsupportedFormatError:
    """The error for something at byte ``offset`` of a .blg that the kit does not understand."""
    return UnsupportedFormatError(
        f"binary perfmon log (.blg), offset {offset:#x} ({offset:,}): {what}; the kit reads only what it has "
        "verified of this format (docs/blg-format.md)", path=path, hint=RELOG_HINT,
    )


def u16(data, offset: int) -> int:
    return int.from_bytes(data[offset : offset + 2], "little")


def u32(data, offset: int) -> int:
    return int.from_bytes(data[offset : offset + 4], "little")


def i32(data, offset: int) -> int:
    return int.from_bytes(data[offset : offset + 4], "little", signed=True)


def i64(data, offset: int) -> int:
    return int.from_bytes(data[offset : offset + 8], "little", signed=True)


def align8(n: int) -> int:
    return (n + 7) & ~7


def wide_string(data, start: int, end: int) -> tuple[str, int] | None:
    """The NUL-terminated UTF-16LE string at ``start`` that ends before ``end``, and the offset
    after its NUL; None when there is no NUL in range or it is not valid UTF-16."""
    if start < 0:
        return None
    view = bytes(data[start:end])
    for at in range(0, len(view) - 1, 2):
        if view[at] == 0 and view[at + 1] == 0:
            try:
                return view[:at].decode("utf-16-le"), start + at + 2
            except UnicodeDecodeError:
                return None
    return None


def looks_like_blg(head: bytes) -> bool:
    """True when ``head`` (the file's first bytes) starts like an event-trace log: a buffer size at
    offset 0 that the log-file header repeats at 0x68, and that header's record marks at 0x4A."""
    if len(head) < LOG_HEADER_AT + 4:
        return False
    size = u32(head, 0)
    return (
        MIN_BUFFER <= size <= MAX_BUFFER and size % 8 == 0 and head[0x4A] in SYSTEM_TYPES
        and head[0x4B] == MARKER and u32(head, LOG_HEADER_AT) == size
    )


# -- the log-file header --------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One DST transition rule of ``TIME_ZONE_INFORMATION`` (a ``SYSTEMTIME``): an absolute date
    (``year`` ≠ 0) or the ``day``-th (5 = last) ``weekday`` of ``month`` each year, at the local
    ``hour``:``minute`` in force before the change."""

    year: int
    month: int
    weekday: int
    day: int
    hour: int
    minute: int
    second: int
    millisecond: int


@dataclass(frozen=True)
class Zone:
    """The collecting machine's ``TIME_ZONE_INFORMATION``. UTC = local + bias. [min]"""

    bias: int
    standard_name: str
    standard_date: Rule
    standard_bias: int
    daylight_name: str
    daylight_date: Rule
    daylight_bias: int
    offset: int
    """Byte offset of the structure in the file."""


@dataclass(frozen=True)
class LogHeader:
    """What the log-file header says (``TRACE_LOGFILE_HEADER``)."""

    buffer_size: int
    """Size of every buffer. [B]"""
    os_version: str
    """Major.minor.sub.subminor of the trace version field."""
    build: int
    """Windows build that wrote the log (ProviderVersion: 3790, 6000, 14393…)."""
    pointer_size: int
    buffers_written: int
    perf_freq: int
    """Performance-counter frequency of the collecting machine. [Hz]"""
    start_time: int
    end_time: int
    """FILETIMEs of the log's start and end (UTC). [100 ns]"""
    zone: Zone
    session: bytes
    """GUID (bytes_le) of the logging session: the logger name, repeated in every record."""
    logger_name: str
    log_file_name: str


def read_header(data, path: Path | str) -> LogHeader:
    """Parse and check buffer 0: its buffer header, the log-file header record and its strings."""
    size = len(data)
    if size < LOG_HEADER_AT + 0x48:
        raise refuse(path, size, f"the file is only {size:,} bytes: too short for a log-file header")
    buffer_size = u32(data, 0)
    if not (MIN_BUFFER <= buffer_size <= MAX_BUFFER and buffer_size % 8 == 0):
        raise refuse(path, 0, f"buffer size {buffer_size:,} is not a plausible event-trace buffer size")
    fill = u32(data, FILL_OFFSET)
    if not BUFFER_HEADER < fill <= buffer_size:
        raise refuse(path, FILL_OFFSET, f"buffer 0's fill offset {fill:#x} is outside its {buffer_size:,} bytes")
    at = BUFFER_HEADER
    if data[at + 2] not in SYSTEM_TYPES or data[at + 3] != MARKER:
        raise refuse(path, at + 2, f"the first record's header type {data[at + 2]:#04x} / flags {data[at + 3]:#04x} "
                     "are not those of a log-file header (1 or 2 / 0xc0)")
    record = u16(data, at + 4)
    if at + align8(record) != fill:
        raise refuse(path, at + 4, f"the log-file header record ({record:,} bytes) does not fill buffer 0 "
                     f"(filled to {fill:#x}): another record there is not understood")
    end = at + record
    if end > size:
        raise refuse(path, size, f"the file ends inside its log-file header (which runs to offset {end:#x})")
    h = LOG_HEADER_AT
    if u32(data, h) != buffer_size:
        raise refuse(path, h, f"the log-file header's buffer size {u32(data, h):,} differs from buffer 0's "
                     f"{buffer_size:,}")
    pointer = u32(data, h + 0x2C)
    if pointer not in (4, 8):
        raise refuse(path, h + 0x2C, f"pointer size {pointer} (expected 4 or 8)")
    zone_at = h + 0x38 + 2 * pointer
    zone = _zone(data, zone_at, path)
    tail = align8(zone_at + 172)
    fixed_end = tail + 32
    if fixed_end > end:
        raise refuse(path, end, "the log-file header record is too short for its fields")
    perf_freq = i64(data, tail + 8)
    logger = wide_string(data, fixed_end, end)
    log_file = wide_string(data, logger[1], end) if logger else None
    if logger is None or log_file is None:
        raise refuse(path, fixed_end, "the logger and log-file names after the log-file header are not "
                     "NUL-terminated UTF-16 strings inside the record")
    try:
        session = uuid.UUID(logger[0]).bytes_le
    except ValueError:
        raise refuse(path, fixed_end, f"the logger name {logger[0][:60]!r} is not a GUID (a PDH log session's "
                     "name is)") from None
    version = ".".join(str(b) for b in bytes(data[h + 4 : h + 8]))
    return LogHeader(
        buffer_size=buffer_size, os_version=version, build=u32(data, h + 8), pointer_size=pointer,
        buffers_written=u32(data, h + 0x24), perf_freq=perf_freq, start_time=i64(data, tail + 16),
        end_time=i64(data, h + 0x10), zone=zone, session=session, logger_name=logger[0], log_file_name=log_file[0],
    )


def _rule(data, at: int) -> Rule:
    return Rule(*(u16(data, at + 2 * i) for i in range(8)))


def _zone(data, at: int, path: Path | str) -> Zone:
    """``TIME_ZONE_INFORMATION`` at ``at``: Bias, StandardName[32], StandardDate, StandardBias,
    DaylightName[32], DaylightDate, DaylightBias (172 bytes)."""
    names = []
    for start in (at + 4, at + 88):
        raw = bytes(data[start : start + 64])
        text = raw.decode("utf-16-le", errors="replace")
        names.append(text.split("\0", 1)[0])
    zone = Zone(
        bias=i32(data, at), standard_name=names[0], standard_date=_rule(data, at + 68), standard_bias=i32(data, at + 84),
        daylight_name=names[1], daylight_date=_rule(data, at + 152), daylight_bias=i32(data, at + 168), offset=at,
    )
    return zone


# -- buffers and records --------------------------------------------------------------------------


@dataclass
class Records:
    """The provider records of a log, in file order (numpy arrays, one element per record)."""

    offset: np.ndarray
    """File offset of each record's header. [B]"""
    size: np.ndarray
    """Bytes of each record (header and payload, without the alignment). [B]"""
    kind: np.ndarray
    part: np.ndarray
    parts: np.ndarray
    """Part number (1-based) and number of parts of the payload it carries."""
    time: np.ndarray
    """The record's time stamp: a FILETIME in the collecting machine's local time. [100 ns]"""
    cut: int | None
    """Offset where the file ends inside a buffer's records (a cut-off copy), else None."""
    buffers: int
    """Buffers in the file, including a cut-off last one."""


VECTOR_BUFFERS = 32
"""From this many whole buffers on, the buffers are walked together with numpy (one step per
record position, all buffers at once) rather than record by record."""


def walk(data, header: LogHeader, path: Path | str) -> Records:
    """Every provider record of every buffer after buffer 0, checked.

    A buffer must start with the buffer size and hold whole records up to its fill offset; each
    record must carry the PDH provider's GUID, the session's GUID, a known kind, the record
    version and a part number within its count. The file may end inside its last buffer (a copy
    of a log still being written, or a cut-off one): the records that end before it are read and
    ``cut`` says where. Whatever the way (:data:`VECTOR_BUFFERS`), the same records are found and
    the same first fault (in file order) is refused.
    """
    size = len(data)
    buffer_size = header.buffer_size
    buffers = -(-size // buffer_size)
    middle = size // buffer_size - 1  # buffers 1 … middle end before the file's last byte
    if middle - 1 >= VECTOR_BUFFERS:  # the last whole one and a cut-off one are walked record by record
        offsets = _walk_whole(data, buffer_size, middle, path)
        rest, cut = _walk_buffers(data, buffer_size, range(middle * buffer_size, size, buffer_size), path)
        offsets = np.concatenate([offsets, np.asarray(rest, np.int64)])
    else:
        found, cut = _walk_buffers(data, buffer_size, range(buffer_size, size, buffer_size), path)
        offsets = np.asarray(found, np.int64)
    return _records(data, offsets, header, path, cut, buffers)


def _walk_buffers(data, buffer_size: int, bases, path: Path | str) -> tuple[list[int], int | None]:
    """The record offsets of the buffers at ``bases``, record by record; and where the file
    ends inside them (None: it does not)."""
    size = len(data)
    offsets: list[int] = []
    cut = None
    for base in bases:
        if base + BUFFER_HEADER > size:
            cut = base
            break
        if u32(data, base) != buffer_size:
            raise _bad_buffer_size(path, base, buffer_size, u32(data, base))
        fill = u32(data, base + FILL_OFFSET)
        if not BUFFER_HEADER <= fill <= buffer_size:
            raise _bad_fill(path, base, buffer_size, fill)
        at, end = base + BUFFER_HEADER, base + fill
        while at < end:
            if at + EVENT_HEADER > size:
                cut = at
                break
            record, kind, marker = _EVENT.unpack_from(data, at)
            if kind not in EVENT_TYPES or marker != MARKER:
                raise _bad_type(path, at, kind, marker)
            if record < EVENT_HEADER or at + record > end:
                raise _bad_size(path, at, record, end)
            if at + record > size:
                cut = at
                break
            offsets.append(at)
            at += (record + 7) & ~7
        if cut is not None:
            break
        if at != end:
            raise _bad_end(path, at, base // buffer_size, end)
    return offsets, cut


def _walk_whole(data, buffer_size: int, whole: int, path: Path | str) -> np.ndarray:
    """The record offsets of buffers 1 … ``whole`` - 1 (each followed by at least one whole
    buffer, so no record in them can run past the file's end), walked together: step k reads the
    k-th record header of every buffer still going. The checks are those of
    :func:`_walk_buffers`; of the buffers with a fault, the first one's is refused."""
    raw = np.frombuffer(data, np.uint8, count=whole * buffer_size)
    bases = np.arange(1, whole, dtype=np.int64) * buffer_size
    heads = raw[bases[:, None] + np.arange(FILL_OFFSET + 4)]
    first_word = heads[:, 0:4].copy().view("<u4").ravel().astype(np.int64)
    fill = heads[:, FILL_OFFSET : FILL_OFFSET + 4].copy().view("<u4").ravel().astype(np.int64)
    faults: dict[int, Exception] = {}  # buffer position → its first fault
    for b in np.flatnonzero(first_word != buffer_size).tolist():
        faults[b] = _bad_buffer_size(path, int(bases[b]), buffer_size, int(first_word[b]))
    for b in np.flatnonzero((fill < BUFFER_HEADER) | (fill > buffer_size)).tolist():
        faults.setdefault(b, _bad_fill(path, int(bases[b]), buffer_size, int(fill[b])))
    going = np.ones(bases.size, bool)
    going[list(faults)] = False
    at = bases + BUFFER_HEADER
    end = bases + np.clip(fill, 0, buffer_size)
    found = []
    which = np.flatnonzero(going & (at < end))
    while which.size:
        a = at[which]
        record = raw[a].astype(np.int64) | (raw[a + 1].astype(np.int64) << 8)
        kind, marker = raw[a + 2], raw[a + 3]
        wrong_type = ~np.isin(kind, EVENT_TYPES) | (marker != MARKER)
        wrong_size = ~wrong_type & ((record < EVENT_HEADER) | (a + record > end[which]))
        for j in np.flatnonzero(wrong_type).tolist():
            faults[int(which[j])] = _bad_type(path, int(a[j]), int(kind[j]), int(marker[j]))
        for j in np.flatnonzero(wrong_size).tolist():
            faults[int(which[j])] = _bad_size(path, int(a[j]), int(record[j]), int(end[which[j]]))
        fine = ~(wrong_type | wrong_size)
        found.append(a[fine])
        at[which[fine]] = a[fine] + ((record[fine] + 7) & ~7)
        which = which[fine]
        which = which[at[which] < end[which]]
    done = np.ones(bases.size, bool)
    done[list(faults)] = False
    for b in np.flatnonzero(done & (at != end)).tolist():
        faults[b] = _bad_end(path, int(at[b]), b + 1, int(end[b]))
    if faults:
        raise faults[min(faults)]
    return np.sort(np.concatenate(found)) if found else np.zeros(0, np.int64)


def _bad_buffer_size(path, base: int, buffer_size: int, found: int) -> UnsupportedFormatError:
    return refuse(path, base, f"buffer {base // buffer_size} does not start with the buffer size {buffer_size:,} "
                  f"(found {found:,})")


def _bad_fill(path, base: int, buffer_size: int, fill: int) -> UnsupportedFormatError:
    return refuse(path, base + FILL_OFFSET, f"buffer {base // buffer_size}'s fill offset {fill:#x} is outside its "
                  f"{buffer_size:,} bytes")


def _bad_type(path, at: int, kind: int, marker: int) -> UnsupportedFormatError:
    return refuse(path, at + 2, f"a record whose header type {kind:#04x} / flags {marker:#04x} is not a PDH log "
                  "record's (0x0a or 0x14 / 0xc0)")


def _bad_size(path, at: int, record: int, end: int) -> UnsupportedFormatError:
    return refuse(path, at, f"a record of {record:,} bytes that does not fit between its header and the buffer's "
                  f"fill offset {end:#x}")


def _bad_end(path, at: int, buffer: int, end: int) -> UnsupportedFormatError:
    return refuse(path, at, f"the records of buffer {buffer} end at {at:#x}, not at its fill offset {end:#x}")


def _records(data, offsets: np.ndarray, header: LogHeader, path, cut, buffers) -> Records:
    """The record headers at ``offsets``, checked with numpy."""
    raw = np.frombuffer(data, np.uint8)
    heads = np.lib.stride_tricks.sliding_window_view(raw, EVENT_HEADER)[offsets] if offsets.size else \
        np.zeros((0, EVENT_HEADER), np.uint8)  # a copy: every record lies inside the file (walk)
    del raw

    def field(start: int, dtype: str) -> np.ndarray:
        width = np.dtype(dtype).itemsize
        return heads[:, start : start + width].copy().view(dtype).ravel()

    def first_bad(mask: np.ndarray, what: str, at: int) -> None:
        if mask.any():
            index = int(np.argmax(mask))
            raise refuse(path, int(offsets[index]) + at, what)

    words = heads.view("<u8")  # 9 words a record; the GUIDs are words 3–4 and 6–7
    provider, session = np.frombuffer(PROVIDER, "<u8"), np.frombuffer(header.session, "<u8")
    first_bad((words[:, 3] != provider[0]) | (words[:, 4] != provider[1]),
              "a record that is not from the PDH log provider (another provider GUID)", 0x18)
    first_bad((words[:, 6] != session[0]) | (words[:, 7] != session[1]),
              f"a record of another logging session than the header's {header.logger_name}", 0x30)
    kind = heads[:, 4].copy()
    first_bad(~np.isin(kind, list(KINDS)), "a record kind other than counter list (0x20), sample (0x22), "
              "closing index (0x23) or counter-name table (0x24)", 4)
    first_bad((heads[:, 5] != 0) | (field(6, "<u2") != RECORD_VERSION),
              f"a record whose level / version bytes are not 0 / {RECORD_VERSION:#x}", 5)
    part, parts = field(0x40, "<u4").astype(np.int64), field(0x44, "<u4").astype(np.int64)
    first_bad((part < 1) | (part > parts), "a record whose part number is not between 1 and its count of parts", 0x40)
    return Records(
        offset=offsets, size=field(0, "<u2").astype(np.int64), kind=kind, part=part, parts=parts,
        time=field(0x10, "<i8"), cut=cut, buffers=buffers,
    )


@dataclass
class Payloads:
    """Whole payloads reassembled from their parts: for payload ``i``, its records are
    ``first[i]`` … ``first[i] + count[i] - 1`` of :class:`Records`; ``ok[i]`` is False where the
    parts do not follow each other as their numbers say (a cut-off or damaged log)."""

    first: np.ndarray
    count: np.ndarray
    ok: np.ndarray
    length: np.ndarray
    """Bytes of each payload (the parts' payloads together). [B]"""


def assemble(records: Records, kind: int) -> Payloads:
    """The payloads of the records of ``kind``, in file order.

    A payload starts at a record with part 1 of N and goes on with the next N - 1 records, which
    must be of the same kind, numbered 2 … N of N and carry the same time stamp. Records of the
    kind that no such run covers (a lost first part, a part missing or out of place) make broken
    payloads (``ok`` False): one per run of them, a new one at each part 1.
    """
    n = records.offset.size
    mine = records.kind == kind
    starts = np.flatnonzero(mine & (records.part == 1))
    good = np.ones(starts.size, bool)
    most = min(int(records.parts[starts].max()), n) if starts.size else 1  # a count beyond the records fails anyway
    good &= records.parts[starts] <= n - starts
    for step in range(1, most):
        todo = good & (records.parts[starts] > step)
        if not todo.any():
            break
        follower = np.minimum(starts + step, max(n - 1, 0))
        fine = (starts + step < n) & mine[follower] & (records.part[follower] == step + 1) \
            & (records.parts[follower] == records.parts[starts]) & (records.time[follower] == records.time[starts])
        good &= ~todo | fine
    covered = np.zeros(n + 1, np.int64)
    np.add.at(covered, starts[good], 1)
    np.add.at(covered, starts[good] + records.parts[starts[good]], -1)
    covered = np.cumsum(covered[:n]) > 0
    loose = mine & ~covered
    previous_loose = np.concatenate([[False], loose[:-1]]) if n else loose
    broken = np.flatnonzero(loose & ((records.part == 1) | ~previous_loose))
    first = np.concatenate([starts[good], broken])
    ok = np.concatenate([np.ones(good.sum(), bool), np.zeros(broken.size, bool)])
    order = np.argsort(first, kind="stable")
    first, ok = first[order], ok[order]
    count = np.where(ok, records.parts[first] if first.size else 0, 1)
    # a broken payload takes the loose records up to the next payload's start
    if broken.size:
        ends = np.concatenate([first[1:], [n]])
        stop = first + 1
        for i in np.flatnonzero(~ok):
            j = int(first[i]) + 1
            while j < ends[i] and loose[j] and records.part[j] != 1:
                j += 1
            stop[i] = j
        count = np.where(ok, count, stop - first)
    payload = np.concatenate([[0], np.cumsum(records.size - EVENT_HEADER)])
    length = payload[first + count] - payload[first] if first.size else np.zeros(0, np.int64)
    return Payloads(first=first, count=count, ok=ok, length=length)


def payload_bytes(data, records: Records, first: int, count: int) -> bytes:
    """One payload's bytes: the payloads of records ``first`` … ``first + count - 1`` joined."""
    return b"".join(
        bytes(data[int(records.offset[i]) + EVENT_HEADER : int(records.offset[i]) + int(records.size[i])])
        for i in range(first, first + count)
    )


def payload_offset(records: Records, first: int, count: int, at: int) -> int:
    """The file offset of byte ``at`` of a payload (for messages)."""
    for i in range(first, first + count):
        length = int(records.size[i]) - EVENT_HEADER
        if at < length:
            return int(records.offset[i]) + EVENT_HEADER + at
        at -= length
    return int(records.offset[first + count - 1]) + int(records.size[first + count - 1])


# -- the counter list -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One entry of the counter list: a counter path as the collector was told to log it."""

    offset: int
    """File offset of the entry. [B]"""
    flags: int
    counter_type: int
    """PERF_* counter type (winperf.h); meaningless for a whole-object entry."""
    frequency: int
    """Time base of the counter's raw values. [Hz]"""
    scale: int
    """Default display scale (10^scale); PDH's logs and relog print unscaled values."""
    machine: str
    object: str
    instance: str | None
    counter: str

    @property
    def record_kind(self) -> int:
        """The sample record that carries it: 1 (one value), 2 (every instance), 5 (raw object data)."""
        return 5 if self.flags & WHOLE_OBJECT else 2 if self.flags & WILDCARD else 1

    def path(self, instance: str | None = None, counter: str | None = None) -> str:
        """Its counter path with ``instance`` / ``counter`` in place of its own (wildcards)."""
        name = self.instance if instance is None else instance
        inner = "" if name is None else f"({name})"
        return f"{self.machine}\\{self.object}{inner}\\{self.counter if counter is None else counter}"


def read_counters(payload: bytes, at: int, path: Path | str) -> list[Entry]:
    """The entries of a counter-list payload (``at``: its file offset, for messages)."""
    if payload[:8] != COUNTERS_HEADER:
        raise refuse(path, at, f"the counter list starts {payload[:8].hex(' ')}, not {COUNTERS_HEADER.hex(' ')} as in "
                     "every log the kit was verified on")
    entries, p = [], 8
    while p < len(payload):
        where = at + p
        size = u32(payload, p)
        if size < ENTRY_FIXED + 4 or size % 8 or p + size > len(payload):
            raise refuse(path, where, f"a counter-list entry of {size:,} bytes (at least {ENTRY_FIXED + 4}, a multiple "
                         f"of 8, within the list's {len(payload):,} bytes)")
        flags = u32(payload, p + 4)
        if flags & ~(WILDCARD | WHOLE_OBJECT | ENTRY_UNKNOWN_FLAG):
            raise refuse(path, where + 4, f"counter-list entry flags {flags:#x} hold bits not seen in any verified log")
        strings, end = p + ENTRY_FIXED, p + size
        offsets = [i32(payload, p + k) for k in (0x1C, 0x20, 0x24, 0x28, 0x30)]
        index = i32(payload, p + 0x2C)
        if offsets[3] != -1:
            raise refuse(path, where + 0x28, "a counter with a parent instance (e.g. Thread(process/N)): never seen "
                         "in a verified log")
        if index != 0:
            raise refuse(path, where + 0x2C, f"a counter-list entry with instance index {index} (#N duplicates): never "
                         "seen in a verified log")
        texts = []
        for k, offset in zip((0x1C, 0x20, 0x24, 0x30), (offsets[0], offsets[1], offsets[2], offsets[4])):
            if offset == -1 and k == 0x24:
                texts.append(None)
                continue
            found = wide_string(payload, strings + offset, end) if 0 <= offset and offset % 2 == 0 else None
            if found is None:
                raise refuse(path, where + k, f"string offset {offset} of a counter-list entry does not point at a "
                             "NUL-terminated UTF-16 string inside the entry")
            texts.append(found[0])
        machine, obj, instance, counter = texts
        entry = Entry(
            offset=where, flags=flags, counter_type=u32(payload, p + 0xC), frequency=i64(payload, p + 0x10),
            scale=i32(payload, p + 0x18), machine=machine, object=obj, instance=instance, counter=counter,
        )
        whole = bool(flags & WHOLE_OBJECT)
        if whole != (counter == "*") or (not whole and bool(flags & WILDCARD) != (instance == "*")) \
                or (whole and (flags & WILDCARD or instance not in (None, "*"))):
            raise refuse(path, where + 4, f"counter-list entry flags {flags:#x} do not match its path "
                         f"{entry.path()!r} (as in every verified log: counter * ⇔ 0x10, with instance * or none; "
                         "else instance * ⇔ 0x1)")
        if not obj or not counter:
            raise refuse(path, where, "a counter-list entry without an object or counter name")
        entries.append(entry)
        p += size
    if not entries:
        raise refuse(path, at, "the counter list is empty")
    return entries


# -- the counter-name table -----------------------------------------------------------------------


def read_names(payload: bytes, at: int, path: Path | str) -> tuple[str, dict[int, str]]:
    """(machine, {index: name}) of one counter-name-table payload: the machine name, then pairs of
    decimal index and name, each NUL-terminated UTF-16."""
    try:
        text = payload.decode("utf-16-le")
    except UnicodeDecodeError:
        raise refuse(path, at, "a counter-name table that is not UTF-16 text") from None
    parts = text.split("\0")
    if len(parts) < 2 or parts[-1] != "" or (len(parts) - 2) % 2:
        raise refuse(path, at, "a counter-name table that is not a machine name and NUL-terminated "
                     "(index, name) pairs")
    machine, pairs = parts[0], parts[1:-1]
    names = {}
    for k in range(0, len(pairs), 2):
        if not pairs[k].isdigit():
            raise refuse(path, at, f"a counter-name table entry {pairs[k][:20]!r} that is not a decimal index")
        names[int(pairs[k])] = pairs[k + 1]
    return machine, names
