"""Round trips: what a generated capture file says is what ``kit.load`` returns.

Hypothesis writes PDH-CSV/TSV logs (relog, typeperf, Excel re-saves) and the long CSV of
``Get-Counter | Export-Csv`` with random hosts, objects, nasty instance names (parentheses, ``#``,
commas, quotes, backslashes, non-ASCII), blank cells, encodings, quoting styles, separators, line
breaks, time zones and half-hour biases, then checks values, UTC times and catalogue fields. The
strategies are also the fuzzer's seed generators (fuzz/fuzz_loaders.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kit
from kit.io.perfmon.paths import PARENT_OBJECTS, RAW_NAME_OBJECTS
from kit.io.perfmon.quality import SEVERITY

CI = settings(
    max_examples=60, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
"""Cost in CI: about 60 files per test, a few seconds."""

OBJECTS = (
    "Network Interface", "Network Adapter", "Processor Information", "Hyper-V VM Live Migration",
    "Hyper-V Virtual Network Adapter", "TCPIP Performance Diagnostics (Per-CPU)", "SMB Client Shares",
    "Per Processor Network Interface Card Activity", "Thread", "Arbeitsspeicher", "Processeur",
    "Процессор", "メモリ", "Hyper-V-Hypervisor – logischer Prozessor",
)
COUNTERS = (
    "Bytes Received/sec", "Bytes Total/sec", "% DPC Time", "% Processor Time", "Available MBytes",
    "Prozessorzeit (%)", "Verfügbare MB", "Доступно МБ", "利用可能 MB", "% Temps processeur",
    "Current Bandwidth", "Packets Received Discarded",
)
NASTY = "()[]#_,;\"'/\\:.- {}$%&@!?+=ÄéßüЖж日本€µ\t"
_INDEX_LIKE = re.compile(r"\S#\d+$")


@dataclass(frozen=True)
class Counter:
    """One generated counter column and the catalogue fields it must load as."""

    host: str
    object: str
    parent: str | None
    instance: str | None
    index: int | None
    counter: str

    @property
    def path(self) -> str:
        inside = None
        if self.instance is not None:
            inside = (f"{self.parent}/" if self.parent is not None else "") + self.instance
            if self.index is not None:
                inside += f"#{self.index}"
        return f"\\\\{self.host}\\{self.object}" + (f"({inside})" if inside is not None else "") + f"\\{self.counter}"


hosts = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,11}", fullmatch=True)
names = st.text(alphabet=NASTY + "abcXYZ019", min_size=1, max_size=16).filter(
    lambda s: not _INDEX_LIKE.search(s) and "\t" not in s[:1]
)


@st.composite
def counters(draw: st.DrawFn, *, lower: bool = False) -> Counter:
    """A counter path built from parts, so the expected catalogue row is known."""
    obj = draw(st.sampled_from(OBJECTS))
    instance = draw(st.none() | names)
    parent = index = None
    if instance is not None:
        if obj.lower() in PARENT_OBJECTS:
            parent = draw(st.text(alphabet="abc019 ", min_size=1, max_size=6))
        if obj.lower() not in RAW_NAME_OBJECTS and not instance[-1].isspace():
            index = draw(st.none() | st.integers(1, 99))
    found = Counter(draw(hosts), obj, parent, instance, index, draw(st.sampled_from(COUNTERS)))
    if lower:
        lowered = {f: getattr(found, f).lower() for f in ("host", "object", "counter")}
        found = Counter(
            lowered["host"], lowered["object"], found.parent and found.parent.lower(),
            found.instance and found.instance.lower(), found.index, lowered["counter"],
        )
    return found


def value_text(draw: st.DrawFn, *, comma: bool) -> tuple[str, float | None]:
    """A cell as a perfmon writer formats it, and the number it means (None: blank)."""
    number = draw(st.floats(allow_nan=False, allow_infinity=False, width=64))
    style = draw(st.sampled_from(["blank", "empty", "%.20g", "repr", "%.6f", "exp3", "int"]))
    if style in ("blank", "empty"):
        return (" " if style == "blank" else ""), None
    if style == "int":
        text = str(draw(st.integers(-(10**15), 10**15)))
    elif style == "exp3":  # MSVC printf: three exponent digits
        mantissa, exponent = f"{number:.6e}".split("e")
        text = f"{mantissa}e{int(exponent):+04d}"
    else:
        text = repr(number) if style == "repr" else style % number
    return (text.replace(".", ",") if comma else text), float(text)


def cell(text: str, sep: str, quoting: str) -> str:
    """One CSV field: always quoted (``""`` escapes), or only when it must be."""
    if quoting == "always" or any(ch in text for ch in (sep, '"', "\r", "\n")):
        return '"' + text.replace('"', '""') + '"'
    return text


@dataclass(frozen=True)
class Written:
    """A generated file and what loading it must give."""

    raw: bytes
    options: dict
    columns: list[Counter]
    times: list[datetime]
    """Expected UTC times, in file order."""
    values: list[list[float | None]]
    """Per column, per time."""
    zone: str | None = None


zones = st.builds(
    lambda words, extra: " ".join(words) + (f" ({extra})" if extra else ""),
    st.lists(st.text(alphabet="abcdefghXYZ.éß", min_size=1, max_size=8), min_size=1, max_size=3),
    st.none() | st.text(alphabet="abcé ", min_size=1, max_size=6).map(str.strip).filter(bool),
)


def encode(draw: st.DrawFn, text: str, options: dict) -> bytes:
    """``text`` in a random encoding the loader detects, or names in ``options``."""
    codecs = ["utf-8", "utf-8-sig", "utf-16", "utf-16-be-bom"]
    codecs += [cp for cp in ("cp1252", "cp1251", "cp932") if _encodable(text, cp)]
    codec = draw(st.sampled_from(codecs))
    if codec == "utf-16-be-bom":
        return b"\xfe\xff" + text.encode("utf-16-be")
    if codec.startswith("cp") and not text.isascii():
        options["encoding"] = codec
    return text.encode(codec)


def _encodable(text: str, codec: str) -> bool:
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


@st.composite
def pdh_files(draw: st.DrawFn) -> Written:
    """A PDH-CSV/TSV log as relog, typeperf or an Excel re-save writes it."""
    columns = draw(st.lists(counters(), min_size=1, max_size=5, unique_by=lambda c: c.path))
    layout = draw(st.sampled_from(["csv", "tsv", "excel-de"]))
    sep = {"csv": ",", "tsv": "\t", "excel-de": ";"}[layout]
    quoting = draw(st.sampled_from(["always", "minimal"]))
    start = draw(st.datetimes(datetime(2000, 1, 1), datetime(2035, 1, 1))).replace(microsecond=0)
    start += timedelta(milliseconds=draw(st.integers(0, 999)))
    interval = timedelta(milliseconds=draw(st.integers(200, 120_000)))
    rows = draw(st.integers(1, 6))
    local = [start + i * interval for i in range(rows)]
    options: dict = {}
    zone = bias = None
    if draw(st.booleans()):
        zone = draw(zones)
        bias = draw(st.integers(-14 * 60, 12 * 60) | st.sampled_from([-330, -345, 210, 570]))
        first = f"(PDH-{'TSV' if layout == 'tsv' else 'CSV'} 4.0) ({zone})({bias})"
    else:
        first = f"(PDH-{'TSV' if layout == 'tsv' else 'CSV'} 4.0)"
        offset = draw(st.none() | st.integers(-14 * 60, 14 * 60))
        if offset is not None:
            options["utc_offset"] = offset
        bias = -(offset or 0)
    cells = [[value_text(draw, comma=layout == "excel-de") for _ in local] for _ in columns]
    lines = [sep.join(cell(t, sep, quoting) for t in [first, *(c.path for c in columns)])]
    for r, when in enumerate(local):
        stamp = when.strftime("%m/%d/%Y %H:%M:%S.") + f"{when.microsecond // 1000:03d}"
        lines.append(sep.join(cell(t, sep, quoting) for t in [stamp, *(col[r][0] for col in cells)]))
    newline = draw(st.sampled_from(["\r\n", "\n", "\r"]))
    text = newline.join(lines) + draw(st.sampled_from([newline, ""]))
    raw = encode(draw, text, options)
    times = [(t + timedelta(minutes=bias)).replace(tzinfo=timezone.utc) for t in local]
    values = [[number for _, number in col] for col in cells]
    return Written(raw, options, columns, times, values, zone)


CULTURES = {
    # name: (timestamp format, decimal comma, separators)
    "en-US": ("%m/%d/%Y %I:%M:%S %p", False, (",",)),
    "de-DE": ("%d.%m.%Y %H:%M:%S", True, (",", ";")),
    "ja-JP": ("%Y/%m/%d %H:%M:%S", False, (",",)),
}
PS_COLUMNS = (
    "Path", "InstanceName", "CookedValue", "RawValue", "SecondValue", "MultipleCount", "CounterType",
    "Timestamp", "Timestamp100NSec", "Status", "DefaultScale", "TimeBase",
)


@st.composite
def powershell_files(draw: st.DrawFn) -> Written:
    """``(Get-Counter …).CounterSamples | Export-Csv`` in PowerShell 5.1 or 7, any culture."""
    columns = draw(st.lists(counters(lower=True), min_size=1, max_size=4, unique_by=lambda c: c.path))
    culture = draw(st.sampled_from(sorted(CULTURES)))
    fmt, comma, separators = CULTURES[culture]
    sep = draw(st.sampled_from(separators))
    start = draw(st.datetimes(datetime(2000, 1, 1), datetime(2035, 1, 1))).replace(microsecond=0)
    interval = timedelta(seconds=draw(st.integers(1, 600)))
    local = [start + i * interval for i in range(draw(st.integers(1, 4)))]
    present = [[draw(st.booleans()) for _ in local] for _ in columns]
    for col in present:
        col[draw(st.integers(0, len(local) - 1))] = True  # every path has a sample somewhere
    samples = []
    values: list[list[float | None]] = [[None] * len(local) for _ in columns]
    for t, when in enumerate(local):
        sample_set = []
        for c, counter in enumerate(columns):
            if not present[c][t]:
                continue
            text, number = value_text(draw, comma=comma)
            status = draw(st.sampled_from(["0", "0", "0", "3221228473"]))
            values[c][t] = None if status != "0" else number
            sample_set.append((counter, text, when.strftime(fmt), status))
        samples += draw(st.permutations(sample_set))  # any counter order within a sample set
    lines = ["#TYPE Microsoft.PowerShell.Commands.GetCounter.PerformanceCounterSample"] if draw(st.booleans()) else []
    lines.append(sep.join(f'"{name}"' for name in PS_COLUMNS))
    for counter, text, stamp, status in samples:
        fields = [counter.path, counter.instance or "", text, "1", "0", "0", "RateOfCountsPerSecond64", stamp, "0", status, "0", "10000000"]
        lines.append(sep.join(cell(f, sep, "always") for f in fields))
    options: dict = {}
    offset = draw(st.none() | st.integers(-14 * 60, 14 * 60))
    if offset is not None:
        options["utc_offset"] = offset
    raw = encode(draw, "\r\n".join(lines) + "\r\n", options)
    order = []
    for counter, *_ in samples:
        if counter not in order:
            order.append(counter)
    sampled = [t for t in range(len(local)) if any(col[t] for col in present)]
    by_column = [[values[columns.index(c)][t] for t in sampled] for c in order]
    times = [(local[t] - timedelta(minutes=offset or 0)).replace(tzinfo=timezone.utc) for t in sampled]
    return Written(raw, options, order, times, by_column)


def check_round_trip(path: Path, written: Written) -> None:
    """Load ``path`` and compare it with what was written."""
    path.write_bytes(written.raw)
    capture = kit.load(path, cache_results=False, progress=False, **written.options)
    assert not [w for w in capture.warnings if SEVERITY[w.code] == "error"], capture.warnings
    cat = capture.catalog
    assert cat["path"].to_list() == [c.path for c in written.columns]
    for field in ("host", "object", "parent", "instance", "index", "counter"):
        assert cat[field].to_list() == [getattr(c, field) for c in written.columns], field
    order = sorted(range(len(written.times)), key=lambda i: written.times[i])
    assert capture.data["time"].to_list() == [written.times[i] for i in order]
    for column, values in zip(cat["column"], written.values):
        assert capture.data[column].to_list() == [values[i] for i in order], column
    if written.zone is not None:
        assert capture.sources[0].zone_name == written.zone


@CI
@given(written=pdh_files())
def test_pdh_round_trip(tmp_path, written):
    check_round_trip(tmp_path / "log.csv", written)


@CI
@given(written=powershell_files())
def test_powershell_round_trip(tmp_path, written):
    check_round_trip(tmp_path / "samples.csv", written)


@CI
@given(written=pdh_files(), cut=st.integers(1, 400))
def test_any_cut_off_pdh_file_loads_or_fails_clearly(tmp_path, written, cut):
    """A collector can die at any byte: the rows before the cut load, or the error is clear."""
    path = tmp_path / "cut.csv"
    path.write_bytes(written.raw[: max(1, len(written.raw) - cut)])
    try:
        capture = kit.load(path, cache_results=False, progress=False, **written.options)
    except kit.KitError as exc:
        assert exc.path == str(path)
        return
    kept = capture.data.select(pl.exclude("time")).rows()
    expected = list(zip(*written.values))
    assert len(kept) <= len(expected)
    assert all(row == expected[i] for i, row in enumerate(kept[:-1]))
