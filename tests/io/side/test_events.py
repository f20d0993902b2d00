"""Hyper-V event logs: wevtutil XML, Get-WinEvent | Export-Csv and .evtx (kit/io/events.py)."""

import binascii
import shutil
import struct
from datetime import datetime, timezone
from functools import partial

import polars as pl
import pytest

from kit.errors import DataError, InputNotFoundError, OptionError, UnsupportedFormatError
from kit.io.side.events import read_events
from tests.conftest import TEST_DATA

DATA = TEST_DATA / "events"
VM01 = "4D732113-45C5-456D-AE45-0A6043728926"
VM02 = "9B0E4C61-7A3F-4E55-8C1D-2F6A1B3C4D5E"


utc = partial(datetime, tzinfo=timezone.utc)


def codes(events):
    return [w.code for w in events.warnings]


def test_wevtutil_xml_without_root_in_utf16():
    """wevtutil qe … /f:xml > file from Windows PowerShell 5.1: UTF-16 LE, <Event>s with no root."""
    events = read_events(DATA / "vmms-admin.xml")
    assert events.warnings == ()
    assert events.sources[0].format == "wevtutil-xml" and events.sources[0].encoding == "utf-16-le"
    table = events.table
    assert table["event_id"].to_list() == [21024, 20415, 20417]
    assert table["time"][1] == utc(2025, 2, 11, 13, 5, 59, 874847)
    assert table["vm"].to_list() == ["SQL-VM02", "SQL-VM01", "SQL-VM02"]
    assert table["vm_id"].to_list() == [VM02, VM01, VM02]
    assert table["blackout_s"].to_list() == [None, 0.6, 63.1]
    assert table["blackout_resolution_s"].to_list() == [None, 0.05, 0.05]
    assert table["host"].unique().to_list() == ["HV01.lab.local"]
    assert table["level"].to_list() == [2, 4, 3]
    assert table["record"].to_list() == [1, 2, 3] and table["line"].to_list() == [1, 1, 1]
    assert events.blackouts()["event_id"].to_list() == [20415, 20417]
    assert events.live_migration().height == 3


def test_rendered_xml_with_events_root_keeps_the_message():
    events = read_events(DATA / "rendered.xml")
    row = events.table.row(0, named=True)
    assert row["line"] == 3 and row["blackout_s"] == 0.6
    assert row["message"].startswith("The Virtual Machine Management service successfully completed")


def test_winevent_csv_reads_english_messages_and_local_times():
    """Get-WinEvent | Export-Csv (5.1, #TYPE line, newest first); TimeCreated is local (UTC+01:00)."""
    events = read_events(DATA / "winevent.csv", utc_offset="+01:00")
    assert events.warnings == ()
    assert events.sources[0].time_basis == "user-offset"
    table = events.table  # sorted by time: the file's last record comes first
    assert table["time"].to_list() == [utc(2025, 2, 11, 12, 58, 2), utc(2025, 2, 11, 13, 5, 59), utc(2025, 2, 11, 13, 21, 40)]
    assert table["record"].to_list() == [3, 2, 1]
    assert table["line"].to_list() == [5, 4, 3]  # after the #TYPE and header lines
    assert table["vm"].to_list() == ["SQL-VM02", "SQL-VM01", "SQL-VM02"]
    assert table["vm_id"].to_list() == [VM02, VM01, VM02]
    assert table["blackout_s"].to_list() == [None, 0.6, 63.1]
    assert "forcibly closed" in table["message"][0]  # the multi-line message is whole


def test_winevent_csv_without_offset_is_taken_as_utc_and_says_so():
    events = read_events(DATA / "winevent.csv")
    assert codes(events) == ["timezone-unknown"]
    assert "pass utc_offset=" in events.warnings[0].message
    assert events.table["time"][1] == utc(2025, 2, 11, 14, 5, 59)
    assert events.sources[0].time_basis == "assumed-utc"


def test_localized_message_reports_the_unread_blackout():
    """A message the kit cannot read (stand-in for a localized text; ';' and dd.MM.yyyy, UTF-8 BOM)."""
    events = read_events(DATA / "winevent-de.csv", utc_offset=60)
    row = events.table.row(0, named=True)
    assert row["time"] == utc(2025, 2, 11, 13, 5, 59)
    assert row["blackout_s"] is None and row["vm_id"] == VM01
    (warning,) = events.warnings
    assert warning.code == "blackout-unread" and warning.line == 3
    assert "not the English text" in warning.message and "wevtutil qe" in warning.message


def test_truncated_xml_keeps_the_complete_events_and_reports_the_cut_one():
    events = read_events(DATA / "vmms-admin-truncated.xml")
    assert events.table["event_id"].to_list() == [21024, 20415]
    (warning,) = events.warnings
    assert (warning.code, warning.line) == ("truncated-event", 3)
    assert warning.message == "event 3 has no </Event> (file cut off?): left out"


def test_xml_cut_in_its_first_event_is_an_error():
    with pytest.raises(DataError, match=r"cut-in-first-event\.xml, line 1: no readable <Event> element: event 1 has no </Event>"):
        read_events(DATA / "cut-in-first-event.xml")


def test_malformed_event_is_left_out_with_its_line(tmp_path):
    good = (DATA / "rendered.xml").read_text(encoding="utf-8").split("\n")[2]
    path = tmp_path / "two.xml"
    path.write_text(good + "\n" + good.replace("<EventID>", "<EventID><b>") + "\n", encoding="utf-8")
    events = read_events(path)
    assert events.table.height == 1
    (warning,) = events.warnings
    assert warning.code == "bad-event" and warning.line == 2 and "not well-formed XML" in warning.message


def test_event_data_form_by_index_and_by_name(tmp_path):
    """EventData/Data instead of UserData (mechanism test: the layouts here are synthetic)."""
    template = (DATA / "rendered.xml").read_text(encoding="utf-8").split("\n")[2]
    user_data = template[template.index("<UserData>") : template.index("</UserData>") + len("</UserData>")]
    unnamed = template.replace(user_data, "<EventData><Data>SQL-VM01</Data><Data>" + VM01 + "</Data><Data>1.25</Data></EventData>")
    named = template.replace(
        user_data, f'<EventData><Data Name="VmName">SQL-VM02</Data><Data Name="VmId">{VM02}</Data></EventData>'
    )
    named = named.replace("<EventID>20415<", "<EventID>22509<").replace("<EventRecordID>52262", "<EventRecordID>9")
    path = tmp_path / "eventdata.xml"
    events = [xml.split("<RenderingInfo")[0] + "</Event>\n" for xml in (unnamed, named)]
    path.write_text("".join(events), encoding="utf-8")
    table = read_events(path).table
    assert table.select("event_id", "vm", "vm_id", "blackout_s", "blackout_resolution_s").rows() == [
        (20415, "SQL-VM01", VM01, 1.25, 0.005),
        (22509, "SQL-VM02", VM02, None, None),
    ]


def test_event_read_twice_is_kept_once_preferring_the_xml_copy():
    events = read_events([DATA / "winevent.csv", DATA / "vmms-admin.xml"], utc_offset="+01:00")
    assert events.table.height == 3
    assert events.table["source"].str.ends_with("vmms-admin.xml").all()
    assert codes(events) == ["duplicate-event"] * 3
    assert all(w.source.endswith("winevent.csv") for w in events.warnings)


def test_folder_reports_files_that_are_not_events(tmp_path):
    for name in ("winevent.csv", "processes.csv", "vmms-admin.xml"):
        shutil.copy(DATA / name, tmp_path / name)
    events = read_events(tmp_path, utc_offset="+01:00")
    assert events.table.height == 3
    not_events = [w for w in events.warnings if w.code == "not-events"]
    assert len(not_events) == 1 and not_events[0].source.endswith("processes.csv")


def test_a_named_file_that_is_not_an_event_export_is_refused():
    with pytest.raises(UnsupportedFormatError, match=r"processes\.csv: not a Hyper-V event export"):
        read_events(DATA / "processes.csv")


def test_bad_options_and_paths():
    with pytest.raises(OptionError, match="utc_offset 'soon'"):
        read_events(DATA / "winevent.csv", utc_offset="soon")
    with pytest.raises(InputNotFoundError, match="no such file or folder"):
        read_events(DATA / "nothing-here.xml")
    with pytest.raises(OptionError, match="no files given"):
        read_events([])


# -- .evtx ------------------------------------------------------------------------------------------
# A minimal writer of the EVTX layout python-evtx reads: a 4 KiB file header, one 64 KiB chunk,
# records whose BinXML is a resident template (System + UserData/VmlEventLog) with substitutions.

PROVIDER = ("Microsoft-Windows-Hyper-V-VMMS", "{6066F867-7CA1-4418-85FD-36E3F9C0600C}")
CHANNEL = "Microsoft-Windows-Hyper-V-VMMS-Admin"


def evtx_bytes(events, *, dirty=False, bad_chunk_checksum=False):
    """``events``: [(record id, UTC datetime, event id, level, computer, [Parameter0, …])]."""
    buf = bytearray(0x200)  # chunk header, string and template tables (left empty)

    def name(text):
        buf.extend(struct.pack("<IHH", 0, 0, len(text)) + text.encode("utf-16-le") + b"\0\0")

    def sub(index, kind):
        return lambda: buf.extend(b"\x0d" + struct.pack("<HB", index, kind))

    def value(text):
        return lambda: buf.extend(b"\x05\x01" + struct.pack("<H", len(text)) + text.encode("utf-16-le"))

    def element(tag, attrs=(), content=None, children=()):
        start = len(buf)
        buf.extend(bytes([0x41 if attrs else 0x01]) + struct.pack("<HII", 0xFFFF, 0, start + (15 if attrs else 11)))
        if attrs:
            buf.extend(struct.pack("<I", 0))
        name(tag)
        for i, (attr, write) in enumerate(attrs):
            buf.extend(bytes([0x46 if i < len(attrs) - 1 else 0x06]) + struct.pack("<I", len(buf) + 5))
            name(attr)
            write()
        if content is None and not children:
            buf.append(0x03)
            return
        buf.append(0x02)
        if content is not None:
            content()
        for child in children:
            child()
        buf.append(0x04)

    def event_xml(count):
        system = [
            lambda: element("Provider", [("Name", sub(0, 0x01)), ("Guid", sub(1, 0x01))]),
            lambda: element("EventID", content=sub(2, 0x06)),
            lambda: element("Level", content=sub(3, 0x04)),
            lambda: element("TimeCreated", [("SystemTime", sub(4, 0x11))]),
            lambda: element("EventRecordID", content=sub(5, 0x0A)),
            lambda: element("Channel", content=sub(6, 0x01)),
            lambda: element("Computer", content=sub(7, 0x01)),
        ]
        params = [lambda i=i: element(f"Parameter{i}", content=sub(8 + i, 0x01)) for i in range(count)]
        namespace = ("xmlns", value("http://www.microsoft.com/Windows/Virtualization/Events"))
        vml = lambda: element("VmlEventLog", [namespace], children=params)
        element("Event", [("xmlns", value("http://schemas.microsoft.com/win/2004/08/events/event"))],
                children=[lambda: element("System", children=system), lambda: element("UserData", children=[vml])])

    last = 0
    for record_id, when, event_id, level, computer, params in events:
        filetime = round((when - utc(1601, 1, 1)).total_seconds() * 10_000_000)
        last = start = len(buf)
        buf.extend(struct.pack("<IIQQ", 0x2A2A, 0, record_id, filetime))
        buf.extend(b"\x0f\x01\x01\x00\x0c\x01" + struct.pack("<II", record_id, len(buf) + 14))
        template = len(buf)
        buf.extend(struct.pack("<I", 0) + record_id.to_bytes(16, "little") + struct.pack("<I", 0) + b"\x0f\x01\x01\x00")
        event_xml(len(params))
        buf.append(0x00)
        struct.pack_into("<I", buf, template + 0x14, len(buf) - template - 0x18)
        subs = [(PROVIDER[0], 0x01), (PROVIDER[1], 0x01), (struct.pack("<H", event_id), 0x06), (bytes([level]), 0x04),
                (struct.pack("<Q", filetime), 0x11), (struct.pack("<Q", record_id), 0x0A), (CHANNEL, 0x01), (computer, 0x01),
                *[(p, 0x01) for p in params]]
        subs = [(v.encode("utf-16-le") if isinstance(v, str) else v, kind) for v, kind in subs]
        buf.extend(struct.pack("<I", len(subs)) + b"".join(struct.pack("<HBB", len(v), k, 0) for v, k in subs))
        buf.extend(b"".join(v for v, _ in subs))
        size = len(buf) + 4 - start
        struct.pack_into("<I", buf, start + 4, size)
        buf.extend(struct.pack("<I", size))
    ids = [e[0] for e in events]
    struct.pack_into("<8sQQQQIII", buf, 0, b"ElfChnk\x00", min(ids), max(ids), min(ids), max(ids), 0x80, last, len(buf))
    struct.pack_into("<I", buf, 0x34, binascii.crc32(buf[0x200:]) ^ int(bad_chunk_checksum))
    struct.pack_into("<I", buf, 0x7C, binascii.crc32(bytes(buf[:0x78]) + bytes(buf[0x80:0x200])))
    header = bytearray(0x1000)
    struct.pack_into("<8sQQQIHHHH", header, 0, b"ElfFile\x00", 0, 0, max(ids) + 1, 0x80, 1, 3, 0x1000, 1)
    struct.pack_into("<I", header, 0x78, int(dirty))
    struct.pack_into("<I", header, 0x7C, binascii.crc32(bytes(header[:0x78])))
    return bytes(header) + bytes(buf).ljust(0x10000, b"\0")


EVTX_EVENTS = [
    (52262, utc(2025, 2, 11, 13, 5, 59, 874847), 20415, 4, "HV01.lab.local", ["SQL-VM01", VM01, "0.6"]),
    (52270, utc(2025, 2, 11, 13, 21, 40), 20417, 3, "HV01.lab.local", ["SQL-VM02", VM02, "63.1"]),
    (52271, utc(2025, 2, 11, 13, 22, 0), 20415, 4, "HV01.lab.local", ["SQL-VM03", VM02]),  # no Parameter2
]


def test_evtx_file(tmp_path):
    path = tmp_path / "Microsoft-Windows-Hyper-V-VMMS-Admin.evtx"
    path.write_bytes(evtx_bytes(EVTX_EVENTS))
    events = read_events(path)
    table = events.table
    assert events.sources[0].format == "evtx"
    assert table["record_id"].to_list() == [52262, 52270, 52271]
    assert abs((table["time"][0] - utc(2025, 2, 11, 13, 5, 59, 874847)).total_seconds()) < 1e-5
    assert table["channel"].unique().to_list() == [CHANNEL] and table["provider"][0] == PROVIDER[0]
    assert table["vm"].to_list() == ["SQL-VM01", "SQL-VM02", "SQL-VM03"]
    assert table["blackout_s"].to_list() == [0.6, 63.1, None]
    assert table["line"].is_null().all() and table["record"].to_list() == [1, 2, 3]
    (warning,) = events.warnings
    assert warning.code == "blackout-unread" and "Parameter2" in warning.message and "first event 3" in warning.message


def test_evtx_dirty_and_bad_checksum_are_reported(tmp_path):
    path = tmp_path / "copy.evtx"
    path.write_bytes(evtx_bytes(EVTX_EVENTS[:1], dirty=True, bad_chunk_checksum=True))
    events = read_events(path)
    assert events.table.height == 1
    assert codes(events) == ["evtx-dirty", "evtx-checksum"]


def test_evtx_cut_off_is_an_error(tmp_path):
    path = tmp_path / "cut.evtx"
    path.write_bytes(evtx_bytes(EVTX_EVENTS)[: 0x1000 + 0x300])
    with pytest.raises(DataError, match=r"cut\.evtx: the file holds 0 of its 1 64 KiB chunk\(s\) \(cut off\?\)"):
        read_events(path)


def test_xml_without_events_is_refused(tmp_path):
    path = tmp_path / "empty.xml"
    path.write_text("<Events>\n</Events>\n", encoding="utf-8")
    with pytest.raises(UnsupportedFormatError, match="not a Hyper-V event export"):
        read_events(path)


def test_event_table_schema():
    assert read_events(DATA / "vmms-admin.xml").table.schema == pl.Schema(
        {"time": pl.Datetime("us", "UTC"), "host": pl.String, "provider": pl.String, "channel": pl.String,
         "event_id": pl.Int64, "record_id": pl.Int64, "level": pl.Int64, "vm": pl.String, "vm_id": pl.String,
         "blackout_s": pl.Float64, "blackout_resolution_s": pl.Float64, "message": pl.String, "source": pl.String,
         "record": pl.Int64, "line": pl.Int64}
    )


def test_an_empty_export_among_others_is_a_warning_not_a_refusal(tmp_path):
    """Issue 13 §9: wevtutil qe … /f:xml of a host with no matching event writes nothing."""
    (tmp_path / "HV02-vmms.xml").write_bytes(b"")
    good = tmp_path / "HV01-vmms.xml"
    good.write_bytes((DATA / "vmms-admin.xml").read_bytes())
    events = read_events([good, tmp_path / "HV02-vmms.xml"])
    assert events.blackouts().height > 0
    [warning] = [w for w in events.warnings if w.code == "empty-export"]
    assert warning.source == str(tmp_path / "HV02-vmms.xml") and "no event matched" in warning.message
    alone = read_events(tmp_path / "HV02-vmms.xml")
    assert alone.table.is_empty() and [w.code for w in alone.warnings] == ["empty-export"]
