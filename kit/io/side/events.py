"""Hyper-V event logs of live migrations: outcomes and the blackout time Hyper-V measured.

Three forms, recognised by content whatever the file name (domain reference §3.2):

* ``Get-WinEvent … | Export-Csv`` (Windows PowerShell 5.1 writes a ``#TYPE`` line, PowerShell 7
  does not): ``Message``, ``Id``, ``Version``, ``Qualifiers``, ``Level``, ``Task``, ``Opcode``,
  ``Keywords``, ``RecordId``, ``ProviderName``, ``ProviderId``, ``LogName``, ``ProcessId``,
  ``ThreadId``, ``MachineName``, ``UserId``, ``TimeCreated``, … ``Properties``. ``Properties`` is
  only a type name there, so event data (VM name, id, blackout) can only come from the rendered
  ``Message``, which is localized: the kit reads the English text (the only one it has a source
  for) and reports every blackout event whose value it could not read. ``TimeCreated`` is local
  time in the exporting session's culture format (``5/31/2026 4:36:21 PM``, ``31.05.2026
  16:36:21``…): pass ``utc_offset``, else it is taken as UTC and a warning says so.
* ``wevtutil qe <log> /f:xml`` (or ``/f:RenderedXml``, or Event Viewer's "Save as XML" with an
  ``<Events>`` root): ``<Event>`` elements one after another with no root element. Event data
  come from ``UserData/VmlEventLog/Parameter0..N`` (or ``VmName``/``VmId``) and
  ``EventData/Data``; ``TimeCreated/@SystemTime`` is UTC.
* the ``.evtx`` file itself, read with the pure-Python ``python-evtx`` package (same XML).

Event 20415 (and 20417, "unexpectedly long blackout") carries the blackout in event data index 2
in seconds with one decimal; ``blackout_resolution_s`` is half the last digit (0.05 s).
"""

from __future__ import annotations

import bisect
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import polars as pl
from Evtx.BinaryParser import OverrunBufferException, ParseException
from Evtx.Evtx import Evtx
from Evtx.Views import UnexpectedElementException

from kit.errors import DataError, LoadWarning, UnsupportedFormatError
from kit.inputs.events import BLACKOUT_EVENTS, SCHEMA, Events, EventSource
from kit.io.common import CULTURE_FORMATS, LINE, expand_inputs, offset_minutes, parse_local, quote
from kit.io.side.text import decode_text, read_export_csv

EVENT_SUFFIXES = (".csv", ".xml", ".txt", ".evtx")
EVTX_MAGIC = b"ElfFile\x00"

_BLACKOUT_INDEX = 2
_VM_INDEX, _VM_ID_INDEX = 0, 1

# English message texts (Microsoft's, as quoted in §3.2 and the live-migration troubleshooting
# article). Localized texts are not matched: their value is reported as unreadable.
BLACKOUT_MESSAGE = (
    r"(?i)live migration of virtual machine\s+['\"](?P<vm>.*?)['\"] with (?:a|an unexpectedly long) "
    r"blackout time of (?P<seconds>\d+(?:[.,]\d+)?) seconds"
)
_VM_MESSAGES = (
    r"(?i)migration operation for '([^']+)'",
    r"(?i)live migration of '(?:Virtual Machine )?([^']+)'",
)
_GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_VM_ID_MESSAGE = rf"(?i)\((?:VMID|Virtual machine ID) \{{?({_GUID})\}}?\)"
_SYSTEM_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?\s*(?:Z|[+-]00:?00)?$")
_EVENT_START = re.compile(r"<Event[\s>]")
_EVENT_END = "</Event>"
_EVTX_RECORD_ERRORS = (
    ParseException, OverrunBufferException, UnexpectedElementException, ET.ParseError,
    RuntimeError, UnicodeDecodeError, KeyError, IndexError,
)
"""What python-evtx raises on a damaged record (its own errors, and plain ones from its parser)."""

_EXPORT_HINT = (
    "export again with: wevtutil qe Microsoft-Windows-Hyper-V-VMMS-Admin /f:xml > events.xml, or copy "
    "the .evtx"
)

_RAW = {k: v for k, v in SCHEMA.items() if k not in ("blackout_s", "blackout_resolution_s")} | {
    "blackout_text": pl.String,
    "format": pl.String,
}


def read_events(
    paths: str | Path | Iterable[str | Path], *, utc_offset: str | int | timedelta | None = None
) -> Events:
    """Read Hyper-V events from files, folders (``.csv``/``.xml``/``.txt``/``.evtx``) or a list.

    ``utc_offset`` is the offset from UTC of the machine that ran ``Get-WinEvent | Export-Csv``
    (``"+01:00"``, minutes east of UTC, or a ``timedelta``); XML and EVTX times are UTC already.
    A file given by name that is not an event export raises
    :class:`~kit.errors.UnsupportedFormatError`; one found in a folder is reported and left out.
    An empty export is normal (``wevtutil qe`` writes nothing when no event matched): it adds an
    ``empty-export`` warning and no events.
    """
    minutes = None if utc_offset is None else offset_minutes(utc_offset)
    frames, sources = [], []
    files, warnings = expand_inputs(paths, EVENT_SUFFIXES)
    for path, listed in files:
        try:
            frame, file_warnings, source = _read_file(path, minutes)
        except UnsupportedFormatError as exc:
            if not listed:
                raise
            warnings.append(LoadWarning(str(path), "not-events", f"{exc.reason}: left out"))
            continue
        frames.append(frame)
        warnings += file_warnings
        sources.append(source)
    raw = pl.concat(frames) if frames else pl.DataFrame(schema=_RAW)
    table, finish_warnings = _finish(raw)
    return Events(table, tuple(warnings + finish_warnings), tuple(sources))


def _read_file(
    path: Path, minutes: int | None
) -> tuple[pl.DataFrame, list[LoadWarning], EventSource]:
    with path.open("rb") as handle:
        head = handle.read(len(EVTX_MAGIC))
        empty = not (head + handle.read(1 << 16)).strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe")
    if empty and path.stat().st_size <= 1 << 16:
        warning = LoadWarning(
            str(path), "empty-export",
            "the export holds no event (wevtutil qe writes nothing when no event matched the query): "
            "no events from this file",
        )
        return pl.DataFrame(schema=_RAW), [warning], EventSource(str(path), "empty", "none", 0, "utc")
    if head == EVTX_MAGIC:
        frame, warnings = _read_evtx(path)
        return frame, warnings, EventSource(str(path), "evtx", "binary", frame.height, "utc")
    text, codec, warnings = decode_text(path)
    if _EVENT_START.search(text[:65536]) and text.lstrip().startswith("<"):
        frame, xml_warnings = _read_xml(text, path)
        source = EventSource(str(path), "wevtutil-xml", codec, frame.height, "utc")
        return frame, warnings + xml_warnings, source
    frame, read_warnings = read_export_csv(text, path)
    names = {c.lower() for c in frame.columns}
    if not ({"id", "timecreated"} <= names and names & {"message", "providername"}):
        raise UnsupportedFormatError(
            "not a Hyper-V event export (expected Get-WinEvent | Export-Csv with Id and TimeCreated, "
            "wevtutil qe /f:xml output, or an .evtx file)", path=path, hint=_EXPORT_HINT,
        )
    frame, csv_warnings, basis = _read_csv(frame, path, minutes)
    source = EventSource(str(path), "winevent-csv", codec, frame.height, basis)
    return frame, warnings + read_warnings + csv_warnings, source


def _read_csv(
    frame: pl.DataFrame, path: Path, minutes: int | None
) -> tuple[pl.DataFrame, list[LoadWarning], str]:
    """Events from ``Get-WinEvent | Export-Csv`` (culture-formatted local TimeCreated)."""
    column = {c.lower(): c for c in frame.columns}

    def text(name: str) -> pl.Expr:
        if name not in column:
            return pl.lit(None, pl.String)
        return pl.col(column[name]).str.strip_chars().replace("", None)

    raw = frame.with_row_index("record", offset=1).select(
        pl.col("record").cast(pl.Int64),
        pl.col(LINE).alias("line"),
        text("timecreated").alias("stamp"),
        host=text("machinename"),
        provider=text("providername"),
        channel=text("logname"),
        event_id=text("id").cast(pl.Int64, strict=False),
        record_id=text("recordid").cast(pl.Int64, strict=False),
        level=text("level").cast(pl.Int64, strict=False),
        message=pl.col(column["message"]) if "message" in column else pl.lit(None, pl.String),
    )
    # Get-WinEvent lists newest first: parse in record order so the format scoring sees time
    # moving forward.
    ordered = raw.sort("record_id", "record", descending=[False, True], nulls_last=True)
    local, fmt = parse_local(ordered["stamp"], CULTURE_FORMATS)
    ordered = ordered.with_columns(local)
    warnings = []
    bad = ordered.filter(pl.col("local").is_null())
    if bad.height:
        warnings.append(
            LoadWarning(
                str(path), "bad-time",
                f"{bad.height} TimeCreated value(s) are not a date and time the kit can read (time "
                f"left null); first {quote(bad['stamp'][0])}", line=int(bad["line"].min()),
            )
        )
    if minutes is None:
        basis = "assumed-utc"
        warnings.append(
            LoadWarning(
                str(path), "timezone-unknown",
                f"TimeCreated is local time of the exporting machine with no zone (read as {fmt!r}): "
                "taken as UTC; pass utc_offset= (one offset for all rows, so events across a DST "
                "change would be an hour off)",
            )
        )
    else:
        basis = "user-offset"
    shift = pl.duration(minutes=-(minutes or 0))
    return (
        ordered.sort("record").select(
            (pl.col("local") + shift).dt.replace_time_zone("UTC").alias("time"),
            *("host", "provider", "channel", "event_id", "record_id", "level"),
            vm=pl.lit(None, pl.String),
            vm_id=pl.lit(None, pl.String),
            message="message",
            source=pl.lit(str(path)),
            record="record",
            line="line",
            blackout_text=pl.lit(None, pl.String),
            format=pl.lit("winevent-csv"),
        ),
        warnings,
        basis,
    )


def _read_xml(text: str, path: Path) -> tuple[pl.DataFrame, list[LoadWarning]]:
    """Events from ``wevtutil qe /f:xml`` output: ``<Event>`` elements with no root element."""
    newlines = [m.start() for m in re.finditer("\n", text)]
    starts = [m.start() for m in _EVENT_START.finditer(text)]
    rows, warnings, problems = [], [], []
    for number, start in enumerate(starts, 1):
        stop = starts[number] if number < len(starts) else len(text)
        end = text.find(_EVENT_END, start, stop)
        line = bisect.bisect_right(newlines, start) + 1
        if end < 0:
            problems.append((line, "truncated-event", f"event {number} has no </Event> (file cut off?)"))
            continue
        try:
            rows.append(_event_row(text[start : end + len(_EVENT_END)], path, number, line, warnings))
        except ET.ParseError as exc:
            problems.append((line, "bad-event", f"event {number} is not well-formed XML ({exc})"))
    if not rows:
        line, _, reason = problems[0] if problems else (None, None, "the file holds none")
        raise DataError(
            f"no readable <Event> element: {reason}", path=path, line=line,
            hint=_EXPORT_HINT,
        )
    warnings += [LoadWarning(str(path), code, f"{reason}: left out", line=line) for line, code, reason in problems]
    return pl.DataFrame(rows, schema=_RAW, orient="row"), warnings


def _read_evtx(path: Path) -> tuple[pl.DataFrame, list[LoadWarning]]:
    """Events from an ``.evtx`` file through python-evtx."""
    rows, warnings = [], []
    try:
        with Evtx(str(path)) as log:
            header = log.get_file_header()
            if not header.verify():
                warnings.append(
                    LoadWarning(
                        str(path), "evtx-header",
                        "the file header fails its version or checksum check: read anyway",
                    )
                )
            if header.is_dirty():
                warnings.append(
                    LoadWarning(
                        str(path), "evtx-dirty",
                        "the log was not closed cleanly (copied while in use?): recent events may be "
                        "missing; export a copy with: wevtutil epl <log> copy.evtx",
                    )
                )
            number = chunk_number = 0
            for chunk_number, chunk in enumerate(log.chunks(), 1):
                if not chunk.check_magic():
                    message = f"chunk {chunk_number} has no chunk header: left out"
                    warnings.append(LoadWarning(str(path), "evtx-chunk", message))
                    continue
                if not chunk.verify():
                    message = f"chunk {chunk_number} fails its checksum: its events are read anyway"
                    warnings.append(LoadWarning(str(path), "evtx-checksum", message))
                for record in chunk.records():
                    number += 1
                    try:
                        rows.append(_event_row(record.xml(), path, number, None, warnings))
                    except _EVTX_RECORD_ERRORS as exc:
                        message = f"event {number} (record {record.record_num()}) cannot be decoded ({exc})"
                        warnings.append(LoadWarning(str(path), "bad-event", f"{message}: left out"))
            declared = header.chunk_count()
    except (OverrunBufferException, ParseException, ValueError) as exc:
        raise DataError(
            f"the .evtx file cannot be read ({exc})", path=path,
            hint="the file may be truncated; copy it again",
        ) from None
    if chunk_number < declared:
        cut = f"the file holds {chunk_number} of its {declared} 64 KiB chunk(s) (cut off?)"
        if not rows:
            raise DataError(cut, path=path, hint="copy the log again, e.g. wevtutil epl <log> copy.evtx")
        message = f"{cut}: the events of the missing chunks are lost"
        warnings.append(LoadWarning(str(path), "evtx-truncated", message))
    return pl.DataFrame(rows, schema=_RAW, orient="row"), warnings


def _event_row(
    xml: str, path: Path, number: int, line: int | None, warnings: list[LoadWarning]
) -> tuple:
    """One event's row (in :data:`_RAW` order) from its XML."""
    event = ET.fromstring(xml)
    system = _first(event, "System")
    if system is None:
        raise ET.ParseError("no <System> element")
    values: dict[str, str | None] = {_local(e.tag): (e.text or "").strip() or None for e in system}
    provider = _first(system, "Provider")
    created = _first(system, "TimeCreated")
    stamp = None if created is None else created.get("SystemTime")
    when = _system_time(stamp)
    if when is None:
        message = f"event {number} has no readable TimeCreated ({quote(stamp)}): time left null"
        warnings.append(LoadWarning(str(path), "bad-time", message, line=line))
    params, named = _event_data(event)
    event_id = _int(values.get("EventID"))
    layout = event_id in BLACKOUT_EVENTS
    rendered = _first(event, "RenderingInfo")
    message = None if rendered is None else _first_text(rendered, "Message")
    return (
        when,
        values.get("Computer"),
        None if provider is None else provider.get("Name"),
        values.get("Channel"),
        event_id,
        _int(values.get("EventRecordID")),
        _int(values.get("Level")),
        named.get("vmname") or (_at(params, _VM_INDEX) if layout else None),
        named.get("vmid") or (_at(params, _VM_ID_INDEX) if layout else None),
        message,
        str(path),
        number,
        line,
        _at(params, _BLACKOUT_INDEX) if layout else None,
        "wevtutil-xml" if line is not None else "evtx",
    )


def _event_data(event: ET.Element) -> tuple[list[str | None], dict[str, str]]:
    """(values in order, {lower-case name: value}) of UserData's first child or EventData/Data."""
    params, named = [], {}
    user = _first(event, "UserData")
    data = _first(event, "EventData")
    if user is not None and len(user):
        items = [(_local(e.tag), e.text) for e in user[0]]
    elif data is not None:
        items = [(e.get("Name") or "", e.text) for e in data if _local(e.tag) == "Data"]
    else:
        items = []
    for name, value in items:
        value = (value or "").strip() or None
        params.append(value)
        if name and value is not None:
            named[name.lower()] = value
    return params, named


def _finish(raw: pl.DataFrame) -> tuple[pl.DataFrame, list[LoadWarning]]:
    """The event table from the raw rows of every file, sorted by time, and what it left out."""
    frame, warnings = _blackouts(raw)
    frame, repeat_warnings = _drop_repeats(frame)
    table = frame.sort("time", "source", "record", nulls_last=True).select(SCHEMA.keys())
    return table, warnings + repeat_warnings


def _blackouts(raw: pl.DataFrame) -> tuple[pl.DataFrame, list[LoadWarning]]:
    """Fill VM, VM id and blackout from the message where the event data lack them, read the
    blackout [s] and its resolution, and report blackout events without a readable value."""
    message = pl.col("message")
    found = message.str.extract_groups(BLACKOUT_MESSAGE)
    is_blackout = pl.col("event_id").is_in(list(BLACKOUT_EVENTS))
    frame = raw.with_columns(
        vm=pl.coalesce("vm", found.struct["vm"], *[message.str.extract(p, 1) for p in _VM_MESSAGES]),
        vm_id=pl.coalesce("vm_id", message.str.extract(_VM_ID_MESSAGE, 1))
        .str.strip_chars("{} ")
        .str.to_uppercase(),
        blackout_text=pl.when(is_blackout).then(pl.coalesce("blackout_text", found.struct["seconds"])),
    )
    text = pl.col("blackout_text")
    value = text.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
    decimals = text.str.extract(r"[.,](\d+)$", 1).str.len_chars().fill_null(0).cast(pl.Float64)
    frame = frame.with_columns(
        blackout_s=pl.when(value >= 0).then(value),
        blackout_resolution_s=pl.when(value >= 0).then(0.5 * pl.lit(10.0).pow(-decimals)),
    )
    warnings = []
    unread = frame.filter(is_blackout & pl.col("blackout_s").is_null())
    for (source, fmt), group in unread.group_by("source", "format", maintain_order=True):
        first = group.row(0, named=True)
        if fmt == "winevent-csv":
            why = (
                "its Message is not the English text the kit can read (Export-Csv keeps no event "
                "data); export with wevtutil qe <log> /f:xml or copy the .evtx"
            )
        else:
            why = (
                f"event data {_BLACKOUT_INDEX} (Parameter{_BLACKOUT_INDEX}) is missing or not a "
                f"number ({quote(first['blackout_text'])})"
            )
        warnings.append(
            LoadWarning(
                source, "blackout-unread",
                f"{group.height} blackout event(s) without a readable blackout time, first event "
                f"{first['record']}: {why}", line=first["line"],
            )
        )
    return frame, warnings


def _drop_repeats(frame: pl.DataFrame) -> tuple[pl.DataFrame, list[LoadWarning]]:
    """Keep one copy of an event read twice (same host, channel and record id), preferring the
    XML/EVTX copy (exact time, event data) to the CSV one; report the others."""
    keys = ["host", "channel", "record_id"]
    frame = frame.sort(pl.col("format") == "winevent-csv", maintain_order=True).with_row_index("__n")
    known = pl.all_horizontal(pl.col(keys).is_not_null())
    later = frame.filter(known & ~pl.struct(keys).is_first_distinct())
    warnings = [
        LoadWarning(
            row["source"], "duplicate-event",
            f"event {row['record']} (record id {row['record_id']} of {row['channel']} on "
            f"{row['host']}) was already read from another file or place: left out",
            line=row["line"],
        )
        for row in later.iter_rows(named=True)
    ]
    return frame.filter(~pl.col("__n").is_in(later["__n"].implode())).drop("__n"), warnings


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _first(element: ET.Element, name: str) -> ET.Element | None:
    return next((e for e in element if _local(e.tag) == name), None)


def _first_text(element: ET.Element, name: str) -> str | None:
    found = _first(element, name)
    return None if found is None or not (found.text or "").strip() else found.text.strip()


def _at(values: list[str | None], index: int) -> str | None:
    return values[index] if index < len(values) else None


def _int(text: str | None) -> int | None:
    """The 64-bit integer ``text`` spells, else None."""
    try:
        value = None if text is None else int(text)
    except ValueError:
        return None
    return value if value is not None and -(2**63) <= value < 2**63 else None


def _system_time(text: str | None) -> datetime | None:
    """UTC time of ``2017-11-21T10:57:53.874847300Z`` (wevtutil) or
    ``2017-11-21 10:57:53.874847+00:00`` (python-evtx)."""
    match = _SYSTEM_TIME.match(text.strip()) if text else None
    if match is None:
        return None
    day, clock, fraction = match.groups()
    try:
        base = datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=timezone.utc)
    except ValueError:  # month 13, 25 o'clock…
        return None
    return base + timedelta(microseconds=int((fraction or "0")[:6].ljust(6, "0")))
