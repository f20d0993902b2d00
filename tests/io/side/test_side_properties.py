"""Property tests of the side-input loaders: random but valid event XML, ping logs and topology
JSON are written out and read back; what was written is what is loaded (kit/io/events.py,
pings.py, topology.py)."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kit.io.side.events import read_events
from kit.io.side.pings import read_pings
from kit.io.side.topology import read_topology

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAME = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x2FFF, exclude_characters="\x7f"), min_size=1, max_size=20
).map(str.strip).filter(bool)
"""Names with XML/JSON/CSV-special characters and non-ASCII letters, no surrounding blanks."""
HOST = st.from_regex(r"[A-Z][A-Z0-9-]{0,10}(\.lab\.local)?", fullmatch=True)
GUID = st.uuids().map(lambda u: str(u).upper())
WHEN = st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31)).map(lambda t: t.replace(tzinfo=timezone.utc))
ENCODING = st.sampled_from(["utf-8", "utf-8-sig", "utf-16"])


def _write(text: str, suffix: str, encoding: str) -> Path:
    """``text`` in a new temporary file (Hypothesis reruns a test body, so no pytest tmp_path)."""
    handle, name = tempfile.mkstemp(suffix=suffix)
    path = Path(name)
    with open(handle, "wb") as out:
        out.write(text.encode(encoding))
    return path


@st.composite
def events(draw: st.DrawFn) -> list[dict]:
    """Events with distinct record ids: 20415 blackouts (VM, VM id, seconds) and other ids."""
    ids = draw(st.lists(st.integers(1, 2**40), min_size=1, max_size=8, unique=True))
    return [
        {
            "id": draw(st.sampled_from([20415, 20417, 21024, 22509, 1, 65535])),
            "record": record,
            "level": draw(st.integers(1, 4)),
            "host": draw(HOST),
            "time": draw(WHEN),
            "vm": draw(NAME),
            "vm_id": draw(GUID),
            "blackout": draw(st.integers(0, 99999)) / 10,
        }
        for record in ids
    ]


def _event_xml(event: dict) -> str:
    stamp = event["time"].strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
    data = (
        f"<UserData><VmlEventLog xmlns=\"http://www.microsoft.com/Windows/Virtualization/Events\">"
        f"<Parameter0>{escape(event['vm'])}</Parameter0><Parameter1>{event['vm_id']}</Parameter1>"
        f"<Parameter2>{event['blackout']:.1f}</Parameter2></VmlEventLog></UserData>"
    )
    return (
        '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>'
        f"<Provider Name={quoteattr('Microsoft-Windows-Hyper-V-VMMS')} /><EventID>{event['id']}</EventID>"
        f"<Level>{event['level']}</Level><TimeCreated SystemTime=\"{stamp}\" />"
        f"<EventRecordID>{event['record']}</EventRecordID><Channel>Microsoft-Windows-Hyper-V-VMMS-Admin</Channel>"
        f"<Computer>{escape(event['host'])}</Computer></System>{data}</Event>"
    )


@SETTINGS
@given(written=events(), root=st.booleans(), newline=st.sampled_from(["\n", "\r\n"]), encoding=ENCODING)
def test_event_xml_round_trip(written, root, newline, encoding):
    body = newline.join(_event_xml(e) for e in written)
    text = f'<?xml version="1.0" encoding="utf-8"?>{newline}<Events>{newline}{body}{newline}</Events>' if root else body
    path = _write(text + newline, ".xml", encoding)
    loaded = read_events(path)
    assert loaded.warnings == ()
    table = loaded.table.sort("record")
    assert table["event_id"].to_list() == [e["id"] for e in written]
    assert table["record_id"].to_list() == [e["record"] for e in written]
    assert table["level"].to_list() == [e["level"] for e in written]
    assert table["host"].to_list() == [e["host"] for e in written]
    assert table["time"].to_list() == [e["time"] for e in written]
    blackout = [e["id"] in (20415, 20417) for e in written]
    assert table["vm"].to_list() == [e["vm"] if b else None for e, b in zip(written, blackout)]
    assert table["vm_id"].to_list() == [e["vm_id"] if b else None for e, b in zip(written, blackout)]
    assert table["blackout_s"].to_list() == [e["blackout"] if b else None for e, b in zip(written, blackout)]
    path.unlink()


PROBE = st.one_of(st.integers(0, 5000), st.just("<1"), st.just("timeout"))


@SETTINGS
@given(
    probes=st.lists(PROBE, min_size=1, max_size=30),
    target=st.from_regex(r"10\.\d{1,3}\.\d{1,3}\.\d{1,3}", fullmatch=True),
    newline=st.sampled_from(["\n", "\r\n"]),
    encoding=ENCODING,
)
def test_windows_ping_round_trip(probes, target, newline, encoding):
    lines = ["", f"Pinging {target} with 32 bytes of data:"]
    for probe in probes:
        if probe == "timeout":
            lines.append("Request timed out.")
        else:
            op = "<" if probe == "<1" else "="
            lines.append(f"Reply from {target}: bytes=32 time{op}{1 if probe == '<1' else probe}ms TTL=128")
    path = _write(newline.join(lines) + newline, ".txt", encoding)
    table = read_pings(path, start="2025-02-11T13:05:00", interval_s=1.0).table
    assert table["status"].to_list() == ["timeout" if p == "timeout" else "reply" for p in probes]
    want = [None if p == "timeout" else 0.5 if p == "<1" else float(p) for p in probes]
    assert table["rtt_ms"].to_list() == want
    assert table["line"].to_list() == list(range(3, 3 + len(probes)))
    assert table["target"].to_list() == [target] * len(probes)
    path.unlink()


@SETTINGS
@given(
    seqs=st.lists(st.integers(1, 5000), min_size=1, max_size=30, unique=True).map(sorted),
    start=st.integers(1_500_000_000, 2_000_000_000), rtts=st.lists(st.integers(1, 99999), min_size=30, max_size=30),
)
def test_linux_ping_round_trip(seqs, start, rtts):
    seqs = [s for s in seqs if s - seqs[0] < 2000]  # keep the gaps that are filled small
    lines = ["PING 10.20.0.15 (10.20.0.15) 56(84) bytes of data."]
    for seq, rtt in zip(seqs, rtts):
        stamp = f"[{start + seq}.{rtt:06d}]"
        lines.append(f"{stamp} 64 bytes from 10.20.0.15: icmp_seq={seq} ttl=64 time={rtt / 1000:.3f} ms")
    path = _write("\n".join(lines) + "\n", ".txt", "utf-8")
    table = read_pings(path).table
    assert table["seq"].to_list() == list(range(seqs[0], seqs[-1] + 1))
    replies = table.filter("ok")
    assert replies["seq"].to_list() == seqs
    assert replies["rtt_ms"].to_list() == [round(rtt / 1000, 3) for rtt in rtts[: len(seqs)]]
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    times = [epoch + timedelta(seconds=start + seq, microseconds=rtt) for seq, rtt in zip(seqs, rtts)]
    assert replies["time"].to_list() == times
    assert set(table.filter(~pl.col("ok"))["status"].to_list()) <= {"missing"}
    path.unlink()


@st.composite
def adapters(draw: st.DrawFn) -> list[dict]:
    """Get-NetAdapter objects as ConvertTo-Json writes them."""
    count = draw(st.integers(1, 6))
    indexes = draw(st.lists(st.integers(1, 2**31 - 1), min_size=count, max_size=count, unique=True))
    return [
        {
            "Name": draw(NAME),
            "InterfaceDescription": draw(NAME),
            "ifIndex": index,
            "Status": draw(st.sampled_from(["Up", "Disconnected", "Disabled"])),
            "MacAddress": draw(st.from_regex(r"([0-9A-F]{2}-){5}[0-9A-F]{2}", fullmatch=True)),
            "Speed": draw(st.integers(0, 400 * 10**9)),
            "MtuSize": draw(st.integers(576, 9014)),
            "PSComputerName": draw(HOST),
        }
        for index in indexes
    ]


@SETTINGS
@given(written=adapters(), array=st.booleans(), encoding=ENCODING)
def test_topology_json_round_trip(written, array, encoding):
    if not array:
        written = written[:1]
    path = _write(json.dumps(written if array else written[0], indent=4, ensure_ascii=False), ".json", encoding)
    topology = read_topology(path)
    assert topology.warnings == ()
    table = topology.adapters
    assert table["name"].to_list() == [a["Name"] for a in written]
    assert table["description"].to_list() == [a["InterfaceDescription"] for a in written]
    assert table["if_index"].to_list() == [a["ifIndex"] for a in written]
    assert table["status"].to_list() == [a["Status"] for a in written]
    assert table["mac_address"].to_list() == [a["MacAddress"] for a in written]
    assert table["link_speed_bps"].to_list() == [a["Speed"] for a in written]
    assert table["mtu_bytes"].to_list() == [a["MtuSize"] for a in written]
    assert table["host"].to_list() == [a["PSComputerName"] for a in written]
    path.unlink()
