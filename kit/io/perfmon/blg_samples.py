"""The samples of a binary perfmon log (.blg): raw counter values by column, vectorised.

A sample payload is a container ``BL 03 00`` (its size) holding one record per counter-list
entry, in the list's order:

* ``BL 03 01``: one counter's ``PDH_RAW_COUNTER`` (CStatus, TimeStamp, FirstValue, SecondValue,
  MultiCount; 40 bytes);
* ``BL 03 02``: every instance of a wildcard counter: size, count, two zero words, a FILETIME, then
  per instance (name offset, MultiCount, FirstValue, SecondValue) and the names;
* ``BL 03 05``: an object's raw performance data (``PERF_DATA_BLOCK``, :mod:`.blg_perfdata`).

The payloads of a log mostly repeat one shape (the same records, instances and names, only the
values differ). So one payload is parsed in Python into a :class:`Layout` (which bytes must be as
they are and where each value sits) and checked against every other payload of the same size
at once with numpy; the ones that match are read with the layout (one gather per value field), the
others get layouts of their own. A payload that does not parse is skipped with its reason.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from kit.io.perfmon.blg_layout import EVENT_HEADER, Entry, Payloads, Records, u32

SIGNATURE = b"BL\x03"
CONTAINER, ONE, EVERY, OBJECT = 0, 1, 2, 5
RAW_COUNTER = 40
"""Bytes of a PDH_RAW_COUNTER (DWORD CStatus, FILETIME TimeStamp, LONGLONG FirstValue, LONGLONG
SecondValue, DWORD MultiCount, padding). [B]"""
ITEM = 24
"""Bytes of an instance item of a ``BL 03 02`` record (name offset, MultiCount, FirstValue,
SecondValue). [B]"""
EVERY_HEADER = 24
"""Bytes of a ``BL 03 02`` record's body before its items (size, count, two words, FILETIME). [B]"""


class Unreadable(Exception):
    """A sample payload that cannot be decoded (the message says where and why)."""

    def __init__(self, at: int, why: str) -> None:
        super().__init__(why)
        self.at = at
        self.why = why


@dataclass(frozen=True)
class Column:
    """One data column: a counter (and instance) of a counter-list entry, with how to cook it."""

    entry: int
    """Index of the counter-list entry it comes from."""
    path: str
    counter_type: int
    frequency: int
    """Time base of FirstValue/SecondValue where the type needs one. [Hz]"""


@dataclass
class Layout:
    """Where things are in one shape of sample payload (offsets into the payload, bytes)."""

    length: int
    fixed: list[tuple[int, int]] = field(default_factory=list)
    """Byte ranges [start, end) that every payload of this shape has as this one."""
    keys: list[tuple] = field(default_factory=list)
    """Column keys, one per value (see :class:`Columns`)."""
    first: list[int] = field(default_factory=list)
    second: list[int] = field(default_factory=list)
    """Offsets of each value's FirstValue and SecondValue (8 bytes, or -1: none, 0). """
    status: list[int] = field(default_factory=list)
    """Offset of each value's 4-byte status (0 = valid), or -1: always valid."""
    widths: list[int] = field(default_factory=list)
    """Bytes of FirstValue (8, or 4 for DWORD counters of raw object data)."""
    signed: list[bool] = field(default_factory=list)
    blank: dict[int, str] = field(default_factory=dict)
    """Values (by position) that are blank in every payload of this shape, with the reason."""
    made: dict[tuple, Column] = field(default_factory=dict)
    """The column of each key (registered in :class:`Columns` once the layout is used)."""
    second_width: list[int] = field(default_factory=list)

    def value(self, key: tuple, first: int, second: int, status: int = -1, *, width: int = 8,
              second_width: int = 8, signed: bool = True) -> None:
        self.keys.append(key)
        self.first.append(first)
        self.second.append(second)
        self.status.append(status)
        self.widths.append(width)
        self.second_width.append(second_width)
        self.signed.append(signed)


class Columns:
    """The columns found so far: key → index, with their :class:`Column`; a key is
    ``(entry, instance, occurrence, counter)`` (None where the entry names it)."""

    def __init__(self) -> None:
        self.index: dict[tuple, int] = {}
        self.columns: list[Column] = []

    def get(self, key: tuple, make: Callable[[], Column]) -> int:
        found = self.index.get(key)
        if found is None:
            found = self.index[key] = len(self.columns)
            self.columns.append(make())
        return found


# -- parsing one payload --------------------------------------------------------------------------


def parse(payload: bytes, entries: list[Entry], objects: Callable[..., None] | None = None) -> Layout:
    """The :class:`Layout` of one sample payload (raises :class:`Unreadable`)."""
    n = len(payload)
    if n < 8 or payload[:3] != SIGNATURE or payload[3] != CONTAINER:
        raise Unreadable(0, f"the sample does not start with the container mark 42 4c 03 00 (found "
                         f"{payload[:4].hex(' ')})")
    size = u32(payload, 4)
    if size != n:
        raise Unreadable(4, f"the sample container says {size:,} bytes, its records hold {n:,}")
    layout = Layout(length=n, fixed=[(0, 8)])
    at = 8
    for index, entry in enumerate(entries):
        if at + 8 > n:
            raise Unreadable(at, f"the sample ends after {index} of its {len(entries)} counter records")
        kind, size = payload[3 + at], u32(payload, at + 4)
        if payload[at : at + 3] != SIGNATURE or size < 8 or size % 8 or at + size > n:
            raise Unreadable(at, f"counter record {index + 1} is not a 42 4c 03 record of a multiple of 8 bytes "
                             f"within the sample (found {payload[at : at + 8].hex(' ')})")
        if kind != entry.record_kind:
            raise Unreadable(at + 3, f"counter record {index + 1} is of kind {kind}, but its counter "
                             f"{entry.path()!r} is logged by records of kind {entry.record_kind}")
        layout.fixed.append((at, at + 8))
        body = at + 8
        if kind == ONE:
            _one(payload, body, size - 8, index, entry, layout)
        elif kind == EVERY:
            _every(payload, body, size - 8, index, entry, layout)
        elif objects is None:
            raise Unreadable(at, "raw object data (kind 5) is not read")
        else:
            objects(payload, body, size - 8, layout, index, entry)
        at += size
    if at != n:
        raise Unreadable(at, f"{n - at:,} bytes after the last counter record")
    return layout


def _one(payload: bytes, body: int, size: int, index: int, entry: Entry, layout: Layout) -> None:
    if size != RAW_COUNTER:
        raise Unreadable(body - 4, f"a single-counter record of {size} bytes (a PDH_RAW_COUNTER is {RAW_COUNTER})")
    key = (index, None, 0, None)
    layout.made[key] = Column(index, entry.path(), entry.counter_type, entry.frequency)
    layout.fixed.append((body + 32, body + 36))  # MultiCount: 1 in every verified log
    if u32(payload, body + 32) != 1:
        raise Unreadable(body + 32, f"MultiCount {u32(payload, body + 32)} (1 in every verified log)")
    layout.value(key, body + 16, body + 24, body)


def _every(payload: bytes, body: int, size: int, index: int, entry: Entry, layout: Layout) -> None:
    stated = u32(payload, body)
    if size < EVERY_HEADER or not size - 8 < stated <= size:
        raise Unreadable(body, f"an every-instance record whose size word {stated} is not its body's {size} bytes "
                         "(nor those bytes before their padding to 8)")
    count = u32(payload, body + 4)
    names_at = EVERY_HEADER + ITEM * count
    if names_at > size:
        raise Unreadable(body + 4, f"{count:,} instances do not fit in an every-instance record of {size:,} bytes")
    layout.fixed.append((body, body + 16))  # size, count, and two words that are 0 in every verified log
    if payload[body + 8 : body + 16] != bytes(8):
        raise Unreadable(body + 8, f"the words after the instance count are {payload[body + 8 : body + 16].hex(' ')}, "
                         "not zero as in every verified log")
    if not count:
        return
    items = np.frombuffer(payload, np.dtype([("name", "<u4"), ("multi", "<u4"), ("first", "<i8"), ("second", "<i8")]),
                          count=count, offset=body + EVERY_HEADER)
    if (items["multi"] != 1).any():
        raise Unreadable(body + EVERY_HEADER + 4, "an instance whose MultiCount is not 1 (1 in every verified log)")
    names = payload[body + names_at : body + size]
    starts = items["name"].astype(np.int64) - names_at
    if (starts < 0).any() or (starts % 2).any() or (starts >= len(names)).any():
        raise Unreadable(body + EVERY_HEADER, "an instance name offset outside the record's names")
    text = names[: len(names) - len(names) % 2].decode("utf-16-le", errors="surrogatepass")
    ends = {}
    position = 0
    for piece in text.split("\0"):
        ends[position] = (piece, position + 2 * len(piece))
        position += 2 * len(piece) + 2
    seen: dict[str, int] = {}
    last = names_at
    for k, start in enumerate(starts.tolist()):
        found = ends.get(start)
        if found is None or found[1] >= len(names):
            raise Unreadable(body + EVERY_HEADER + ITEM * k, "an instance name offset that is not the start of a "
                             "NUL-terminated UTF-16 name")
        name = found[0]
        occurrence = seen.get(name, 0)
        seen[name] = occurrence + 1
        label = name if occurrence == 0 else f"{name}#{occurrence}"
        key = (index, name, occurrence, None)
        layout.made[key] = Column(index, entry.path(instance=label), entry.counter_type, entry.frequency)
        item = body + EVERY_HEADER + ITEM * k
        layout.fixed.append((item, item + 8))
        layout.value(key, item + 8, item + 16)
        last = max(last, names_at + found[1] + 2)
    layout.fixed.append((body + names_at, body + last))


# -- reading every payload of a shape at once -----------------------------------------------------


class Reader:
    """Copies the payloads of samples out of the file as rows of 64-bit words (a row per sample,
    its parts joined), a block of samples at a time, with numpy (no Python step per sample)."""

    def __init__(self, data, records: Records) -> None:
        self.words = np.frombuffer(data, np.uint64, count=len(data) // 8)
        self.data = data
        self.records = records

    def close(self) -> None:
        del self.words
        self.data = None

    def payloads(self, firsts: np.ndarray, count: int, part_lengths: np.ndarray) -> np.ndarray:
        """(samples × words) of the payloads whose first records are ``firsts`` (parts of
        ``part_lengths`` bytes; all but the last a multiple of 8, so the words line up).

        When every part but the last has one length and the last is no longer (payloads cut into
        parts of 8,000 bytes, as in every log seen), all parts are copied in one gather of windows
        of that length: the row is then the payload's words (the last window runs on past the
        payload's end into whatever follows it; those words are never looked at). Else, or when a
        window would run past the file's end, part by part."""
        if count > 1 and firsts.size:
            width = int(part_lengths[0]) // 8
            if width and (part_lengths[:-1] == part_lengths[0]).all() and part_lengths[-1] <= part_lengths[0]:
                starts = (self.records.offset[firsts[:, None] + np.arange(count)] + EVENT_HEADER) // 8
                if int(starts.max()) + width <= self.words.size:
                    window = np.lib.stride_tricks.sliding_window_view(self.words, width)
                    return window[starts].reshape(firsts.size, count * width)[:, : -(-int(part_lengths.sum()) // 8)]
        pieces = []
        for p in range(count):
            width = -(-int(part_lengths[p]) // 8)
            starts = (self.records.offset[firsts + p] + EVENT_HEADER) // 8
            if firsts.size and int(starts.max()) + width > self.words.size:  # a last word past the file's end
                piece = np.zeros((firsts.size, width), np.uint64)
                for i, start in enumerate(starts.tolist()):
                    raw = bytes(self.data[start * 8 : start * 8 + width * 8])
                    piece[i] = np.frombuffer(raw + bytes(width * 8 - len(raw)), np.uint64)
            else:
                piece = np.lib.stride_tricks.sliding_window_view(self.words, width)[starts] if width else \
                    np.zeros((firsts.size, 0), np.uint64)
            pieces.append(piece)
        return pieces[0] if count == 1 else np.concatenate(pieces, axis=1)


def _mask(layout: Layout) -> np.ndarray:
    """One mask per payload word: the bytes every payload of the layout's shape has as it."""
    mask = np.zeros(-(-layout.length // 8) * 8, np.uint8)
    for start, end in layout.fixed:
        mask[start:end] = 0xFF
    return mask.view("<u8").copy()


class Plan:
    """How to check payloads against a :class:`Layout` and read their values, a block of payloads
    at a time (numpy; the work of blocks runs on a small thread pool)."""

    def __init__(self, layout: Layout, reader: Reader, count: int, part_lengths: np.ndarray, template: bytes) -> None:
        if (part_lengths[:-1] % 8).any():
            raise Unreadable(0, "a sample cut into parts that are not multiples of 8 bytes")
        self.layout, self.reader, self.count, self.part_lengths = layout, reader, count, part_lengths
        padded = template + bytes(-len(template) % 8)
        width = -(-layout.length // 8)
        self.mask = _mask(layout)
        self.expected = np.frombuffer(padded, "<u8")[:width] & self.mask
        self.chunk = max(1, CHUNK_WORDS // max(1, width))
        self.reads: dict[bytes, dict[str, _Read | None]] = {}
        self.read_chunk = max(1, READ_WORDS // max(1, width))

    def payload_words(self, firsts: np.ndarray) -> np.ndarray:
        """The payloads (first records ``firsts``) as rows of words."""
        return self.reader.payloads(firsts, self.count, self.part_lengths)

    def check(self, firsts: np.ndarray) -> np.ndarray:
        """Which of the payloads (first records ``firsts``) have the layout's shape."""
        match = np.zeros(firsts.size, bool)

        def block(lo: int) -> None:  # every word, masked: one vectorised pass (faster than picking words)
            rows = self.payload_words(firsts[lo : lo + self.chunk])
            np.bitwise_and(rows, self.mask, out=rows)
            match[lo : lo + self.chunk] = (rows == self.expected).all(axis=1)

        run_all(block, range(0, firsts.size, self.chunk))
        return match

    def values(self, rows: np.ndarray, positions: np.ndarray) -> dict[str, np.ndarray]:
        """{first, second, status} of the layout's values at ``positions`` in payload words
        ``rows`` (from :meth:`payload_words`): (payloads × positions); status 0 where there is none,
        and None instead of the array where none of them has one. How to pick them is worked out
        once per ``positions``."""
        key = positions.tobytes()
        reads = self.reads.get(key)
        if reads is None:
            layout = self.layout
            reads = {}  # made whole before it is shared: blocks run on several threads
            for name, offsets, widths, signed in (
                ("first", layout.first, layout.widths, layout.signed),
                ("second", layout.second, layout.second_width, None),
                ("status", layout.status, [4] * len(layout.status), None),
            ):
                offsets = np.asarray(offsets, np.int64)[positions]
                reads[name] = None if name == "status" and (offsets < 0).all() else _Read(
                    offsets, np.asarray(widths, np.int64)[positions],
                    None if signed is None else np.asarray(signed)[positions])
            self.reads[key] = reads
        out: dict[str, np.ndarray | None] = {}
        for name, read in reads.items():
            if read is None:
                out[name] = None
                continue
            target = np.empty((rows.shape[0], positions.size), np.int64)
            read.take(rows, target)
            out[name] = target
        return out


def run_all(work: Callable[[int], None], items) -> None:
    """``work(item)`` for every item, on a few threads when there are several (exceptions raised)."""
    items = list(items)
    if len(items) < 2 or THREADS < 2:
        for item in items:
            work(item)
        return
    for future in [_pool().submit(work, item) for item in items]:
        future.result()


THREADS = min(4, os.cpu_count() or 1)
_POOL: list[ThreadPoolExecutor] = []


def _pool() -> ThreadPoolExecutor:
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(THREADS, thread_name_prefix="kit-blg"))
    return _POOL[0]


READ_WORDS = 1 << 19
"""Payload words read and cooked at a time (4 MiB: fewer, larger numpy steps)."""
CHUNK_WORDS = 1 << 18
"""Payload words copied out of the file at a time (2 MiB: the copies stay in cache)."""


class _Read:
    """How to pick integers at payload byte ``offsets`` (``widths`` 4 or 8 bytes; offset -1:
    none, read as 0) out of rows of payload words; 4-byte ones zero-extended unless ``signed``."""

    def __init__(self, offsets: np.ndarray, widths: np.ndarray, signed: np.ndarray | None) -> None:
        self.have = offsets >= 0
        self.every = bool(self.have.all())
        self.offs, self.width = offsets[self.have], widths[self.have]
        self.signed = None if signed is None else signed[self.have]
        self.aligned = bool((self.offs % 8 == 0).all() and (self.width == 8).all())  # the common case
        self.word = self.offs // 8
        self.runs: list[tuple[int, int, int]] = []
        self.rest = np.zeros(0, np.int64)
        if self.aligned and self.every:  # one run per instance item: strided slices, no gather
            self.runs = _progressions(self.word)
            done = np.zeros(self.word.size, bool)
            for a, b, _ in self.runs:
                done[a:b] = True
            self.rest = np.flatnonzero(~done)

    def take(self, rows: np.ndarray, out: np.ndarray) -> None:
        """Write the integers of each row of payload words ``rows`` into ``out``."""
        have = self.have
        if not self.every:
            out[:, ~have] = 0
        if not have.any() or rows.shape[0] == 0:
            return
        word = self.word
        if self.aligned:
            signed_rows = rows.view(np.int64)
            if self.every:
                for a, b, step in self.runs:
                    out[:, a:b] = signed_rows[:, word[a] : word[b - 1] + 1 : step]
                if self.rest.size:
                    out[:, self.rest] = signed_rows[:, word[self.rest]]
            else:
                out[:, have] = signed_rows[:, word]
            return
        offs, width = self.offs, self.width
        shift = ((offs % 8) * 8).astype(np.uint64)
        value = rows[:, word] >> shift
        spill = (offs % 8) + width > 8
        if spill.any():
            value[:, spill] |= rows[:, word[spill] + 1] << (np.uint64(64) - shift[spill])
        result = value.view(np.int64)
        four = width == 4
        if four.any():
            small = (value[:, four] & np.uint64(0xFFFFFFFF)).astype(np.int64)
            if self.signed is not None:
                negative = self.signed[four]
                small = np.where(negative & (small >= 1 << 31), small - (1 << 32), small)
            result[:, four] = small
        out[:, have] = result


@dataclass
class Shape:
    """The samples ``rows`` (positions among the log's samples, increasing) that share one
    layout: where their payloads are, how to read them, and the global column of each value."""

    plan: Plan
    rows: np.ndarray
    firsts: np.ndarray
    cols: np.ndarray


def decode(data, records: Records, samples: Payloads, entries: list[Entry], columns: Columns,
           objects=None) -> tuple[Reader, list[Shape], dict[int, str]]:
    """The shapes of the sample payloads (every sample checked against its layout), with the
    columns registered in ``columns``; and the samples (by position) that could not be decoded,
    with the reason. The values are read later, shape by shape (:meth:`Plan.values`); the
    returned :class:`Reader` must be closed by the caller."""
    reader = Reader(data, records)
    skipped: dict[int, str] = {}
    shapes: list[Shape] = []
    for i in np.flatnonzero(~samples.ok).tolist():
        skipped[i] = "its parts are incomplete or out of order (a cut-off or damaged log)"
    for pending, part_lengths in _size_groups(records, samples):
        count = part_lengths.size
        window = pending.size
        while pending.size:
            head = int(pending[0])
            first = int(samples.first[head])
            payload = b"".join(
                bytes(data[int(records.offset[r]) + EVENT_HEADER : int(records.offset[r]) + int(records.size[r])])
                for r in range(first, first + count)
            )
            try:
                layout = parse(payload, entries, objects)
                plan = Plan(layout, reader, count, part_lengths, payload)
                candidates = pending[:window]
                match = plan.check(samples.first[candidates])
            except Unreadable as exc:
                skipped[head] = f"{exc.why} (payload byte {exc.at:,})"
                pending = pending[1:]
                continue
            if not match[0]:
                skipped[head] = "its layout does not check against itself"
                pending = pending[1:]
                continue
            chosen = candidates[match]
            pending = np.concatenate([candidates[~match], pending[window:]])
            window = max(16, 4 * int(match.sum())) if match.sum() < candidates.size else max(window, 16)
            clash = next((k for k in layout.keys if k in columns.index
                          and columns.columns[columns.index[k]] != layout.made[k]), None)
            if clash is not None:
                for i in chosen.tolist():
                    skipped[i] = (f"counter {layout.made[clash].path!r} has another type or time base here than "
                                  "earlier in the log")
                continue
            cols = np.asarray([columns.get(k, lambda k=k: layout.made[k]) for k in layout.keys], np.int64)
            shapes.append(Shape(plan=plan, rows=chosen, firsts=samples.first[chosen], cols=cols))
    shapes.sort(key=lambda shape: int(shape.rows[0]))
    return reader, shapes, skipped


def _size_groups(records: Records, samples: Payloads) -> list[tuple[np.ndarray, np.ndarray]]:
    """The whole samples grouped by the byte lengths of their parts (samples of one group can
    share a layout): (positions, part lengths) per group, in the order of each group's first
    sample; with numpy, no step per sample."""
    sizes = records.size - EVENT_HEADER
    whole = np.flatnonzero(samples.ok)
    counts = samples.count[whole]
    groups = []
    for count in np.unique(counts).tolist():
        members = whole[counts == count]
        lengths = sizes[samples.first[members][:, None] + np.arange(count)]
        order = np.lexsort(lengths.T[::-1])  # stable: the members of a group stay in file order
        ordered = lengths[order]
        new = np.concatenate([[True], (ordered[1:] != ordered[:-1]).any(axis=1)])
        starts = np.flatnonzero(new)
        for k, chosen in enumerate(np.split(members[order], starts[1:])):
            groups.append((chosen, ordered[starts[k]]))
    groups.sort(key=lambda group: int(group[0][0]))
    return groups


def _progressions(index: np.ndarray, least: int = 8) -> list[tuple[int, int, int]]:
    """Runs of ``index`` (increasing) with a constant positive step, at least ``least`` long:
    (start, stop) positions in ``index`` and the step."""
    if index.size < least:
        return []
    step = np.diff(index)
    change = np.flatnonzero(np.diff(step) != 0) + 1  # positions in step where the step changes
    out = []
    for a, b in zip([0, *change.tolist()], [*change.tolist(), step.size]):
        if b + 1 - a >= least and step[a] > 0:
            out.append((a, b + 1, int(step[a])))
    # overlapping ends (a run ends where the next starts): drop the shared element from the later run
    cleaned, end = [], 0
    for a, b, st in out:
        a = max(a, end)
        if b - a >= least:
            cleaned.append((a, b, st))
            end = b
    return cleaned


def runs_of(rows: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) positions in ``rows`` (increasing) of each run of consecutive values."""
    if not rows.size:
        return []
    breaks = (np.flatnonzero(np.diff(rows) != 1) + 1).tolist()
    return list(zip([0, *breaks], [*breaks, rows.size]))
