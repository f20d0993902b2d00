"""Ping logs from a client probing the VM during a migration (the user-visible outage, §3.3).

Formats, recognised by content:

* Windows ``ping -t`` in English, German or Russian: ``Pinging vm01 [10.0.0.5] with 32 bytes of
  data:``, ``Reply from 10.0.0.5: bytes=32 time=1ms TTL=128`` (``time<1ms`` is stored as 0.5 ms),
  ``Request timed out.``, ``Destination host unreachable.``, ``General failure.`` (``Antwort von …:
  Bytes=32 Zeit<1ms``, ``Zeitüberschreitung der Anforderung.``; ``Ответ от …: число байт=32
  время=1мс``, ``Превышен интервал ожидания для запроса.``); with no timestamps, or each line
  prefixed by ``<Get-Date> - `` as ``ping -t host | ForEach-Object {"{0} - {1}" -f (Get-Date),$_}``
  writes it (local time in the session's culture format: pass ``utc_offset``). A log redirected
  from cmd.exe (``ping -t host > log.txt``) is in the console's OEM code page (cp850 in Western
  Europe, cp866 in Russia): a file that is not UTF-8 is read in the code page whose reading holds
  the most lines of localized ping output (:func:`kit.io.side.text.decode_text`).
* PowerShell ``Test-Connection`` tables: PowerShell 7 (``Ping Source Address Latency BufferSize
  Status`` under ``Destination: …``; a lost ping shows ``*`` and ``TimedOut``) and Windows
  PowerShell 5.1 (``Source Destination IPV4Address IPV6Address Bytes Time(ms)``, which lists only
  replies: lost pings go to the error stream and cannot be seen), and ``Export-Csv`` of their
  objects (PingStatus: ``Ping``, ``Latency``, ``Status``…; Win32_PingStatus: ``ResponseTime``,
  ``StatusCode``, 0 = success).
* Linux ``ping -D [-O]``: ``[1736074673.123456] 64 bytes from …: icmp_seq=1 ttl=64 time=0.3 ms``,
  ``no answer yet for icmp_seq=N``; sequence numbers that never appear are losses.

Logs without timestamps give no times of their own: ``start`` (UTC) and ``interval_s`` place the
probes, a lost probe taking ``timeout_s`` (Windows ping waits 4 s by default, Test-Connection 5 s;
whether another interval follows a time-out is UNCONFIRMED); without ``start`` times stay null and
``elapsed_s`` still counts from the first probe.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import polars as pl

from kit.errors import DataError, InputNotFoundError, LoadWarning, OptionError, UnsupportedFormatError
from kit.inputs.pings import SCHEMA, Pings
from kit.inputs.timebase import median_interval_s
from kit.io.common import CULTURE_FORMATS, LINE, line_list, offset_minutes, parse_local
from kit.io.side.text import decode_text, read_export_csv

DEFAULT_INTERVAL_S = 1.0
"""Probe interval of ``ping -t``, Linux ``ping`` and ``Test-Connection`` when none is given. [s]"""
DEFAULT_TIMEOUT_S = {"windows-ping": 4.0, "test-connection-7": 5.0, "test-connection-csv": 5.0}
"""Wait for a reply before a probe counts as lost, by format. [s]"""
_WIN32_STATUS = {"0": "reply", "11002": "unreachable", "11003": "unreachable", "11010": "timeout", "11013": "ttl-expired"}
"""Win32_PingStatus.StatusCode (IP_STATUS) values the kit names."""
_SEQ_WRAP = 65536  # icmp_seq is 16 bits
_MAX_EPOCH_US = 253402300800 * 10**6
"""9999-12-31T23:59:59Z + 1 s in microseconds since 1970."""
_MAX_GAP_FACTOR = 100
"""Gaps are filled only up to this many times the probes seen (plus one wrap): beyond, the log is garbled."""

# Windows ping.exe lines in English, German and Russian (a log redirected from a localized
# console is in its OEM code page: cp850, cp866). The probe lines first, then lines that are
# known but no probe.
_FROM = r"(?:Reply from|Antwort von|Ответ от) [^:]+: "
_WINDOWS_PROBES = {
    "reply": (
        r"^(?:Reply from|Antwort von|Ответ от) (?P<from>[^:]+): (?:bytes|Bytes|число байт)=\d+ "
        r"(?:time|Zeit|время)(?P<op>[=<])(?P<rtt>\d+)(?:ms|мс) TTL=\d+"
    ),
    "unreachable": (
        rf"^(?:{_FROM})?(?:Destination (?:host|net) unreachable|Ziel(?:host|netz) nicht erreichbar"
        r"|Заданный узел недоступен)\."
    ),
    "ttl-expired": (
        rf"^{_FROM}(?:TTL expired in transit|TTL beim Transport abgelaufen"
        r"|Превышен срок жизни \(TTL\) при передаче пакета)\."
    ),
    "timeout": r"^(?:Request timed out|Zeitüberschreitung der Anforderung|Превышен интервал ожидания для запроса)\.",
    "general-failure": (
        r"^(?:PING: transmit failed\. |PING: Fehler bei der Übertragung\. )?(?:General failure|Allgemeiner Fehler)\."
    ),
}
_WINDOWS_TARGET = (
    r"^(?:Pinging|Ping wird ausgeführt für|Обмен пакетами с) (\S+)(?: \[([^\]]+)\])? "
    r"(?:with \d+ bytes of data|mit \d+ Bytes Daten|(?:по )?с \d+ байтами данных):$"
)
# Whole lines: a probe garbled into a summary line is reported, not taken for the summary.
_WINDOWS_OTHER = (
    r"^$|^Control-C$|^STRG-C$|^\^C$"
    r"|^Ping statistics for \S+:$|^\s+Packets: Sent = \d+, Received = \d+, Lost = \d+ \(\d+% loss\),?$"
    r"|^Approximate round trip times in milli-seconds:$|^\s+Minimum = \d+ms, Maximum = \d+ms, Average = \d+ms$"
    r"|^Ping request could not find host \S+\. Please check the name and try again\.$"
    r"|^Ping-Statistik für \S+:$|^\s+Pakete: Gesendet = \d+, Empfangen = \d+, Verloren = \d+(?: \(\d+% Verlust\),?)?$"
    r"|^\s+\(\d+% Verlust\),?$|^Ca\. Zeitangaben in Millisek\.:$"
    r"|^\s+Minimum = \d+ms, Maximum = \d+ms, Mittelwert = \d+ms$"
    r'|^Ping-Anforderung konnte Host "\S+" nicht finden\. Überprüfen Sie den Namen, und versuchen Sie es erneut\.$'
    r"|^Статистика Ping для \S+:$|^\s+Пакетов: отправлено = \d+, получено = \d+, потеряно = \d+(?: \(\d+% потерь\))?$"
    r"|^\s+\(\d+% потерь\)$|^Приблизительное время приема-передачи в мс:$"
    r"|^\s+Минимальное = \d+ ?мсек, Максимальное = \d+ ?мсек, Среднее = \d+ ?мсек$"
)
_STAMPED = r"^(?P<stamp>.+?) - ?(?P<rest>.*)$"
# Linux iputils ping.
_LINUX_STAMP = r"^\[(?P<epoch>\d+\.\d+)\] (?P<rest>.*)$"
_LINUX_REPLY = (
    r"^\d+ bytes from (?P<from>[^:]+): icmp_seq=(?P<seq>\d+) ttl=\d+ time=(?P<rtt>\d+(?:\.\d+)?) ms"
    r"(?P<dup> \(DUP!\))?"
)
_LINUX_NO_ANSWER = r"^no answer yet for icmp_seq=(?P<seq>\d+)"
_LINUX_ERROR = r"^From (?P<from>\S+)(?: \([^)]*\))? icmp_seq=(?P<seq>\d+) (?P<what>.+)$"
_LINUX_TARGET = r"^PING (\S+) \(([\w.:%-]+)\)(?: from \S+ \S+:)? \d+\(\d+\) bytes of data\.$"
# Whole lines, as for Windows.
_LINUX_OTHER = (
    r"^$|^--- \S+ ping statistics ---$"
    r"|^\d+ packets transmitted, \d+ received(?:, \+\d+ (?:duplicates|errors))*(?:, [\d.]+% packet loss)?"
    r"(?:, time \d+ms)?$"
    r"|^rtt min/avg/max/mdev = [\d./]+ ms(?:, pipe \d+)?(?:, ipg/ewma [\d./]+ ms)?$"
)
# Test-Connection tables.
_TC7_HEADER = r"^\s*Ping\s+Source\s+Address\s+Latency\s+BufferSize\s+Status\s*$"
_TC7_ROW = r"^\s*(?P<seq>\d+)\s+\S+\s+(?P<addr>\S+)\s+(?P<lat>\S+)\s+\S+\s+(?P<status>\S+)\s*$"
_TC7_TARGET = r"^\s*Destination: (\S+)\s*$"
_TC7_OTHER = r"^\s*$|^\s*\(ms\)\s+\(B\)\s*$|^[-\s]+$"
_TC5_HEADER = r"^Source\s+Destination\s+IPV4Address\s+IPV6Address\s+Bytes\s+Time\(ms\)\s*$"
_TC5_ROW = (
    r"^\S+\s+(?P<dst>\S+)\s+(?:\d+\.\d+\.\d+\.\d+)?\s*(?:[0-9A-Fa-f:]*:[0-9A-Fa-f:%.]*)?"
    r"\s+\d+\s+(?P<ms>\d+)\s*$"
)


def read_pings(
    path: str | Path,
    *,
    start: datetime | str | None = None,
    interval_s: float | None = None,
    timeout_s: float | None = None,
    utc_offset: str | int | timedelta | None = None,
) -> Pings:
    """Read one ping log.

    ``start`` is the time of the first probe (a ``datetime``, naive = UTC, or ISO text) for logs
    without timestamps; ``interval_s`` the probe interval [s] (else inferred from timestamps, else
    1 s); ``timeout_s`` the wait before a probe counts as lost [s] (default by format);
    ``utc_offset`` the offset of the machine that wrote local timestamps (Windows one-liner).
    """
    file = Path(path)
    if not file.is_file():
        raise InputNotFoundError("no such file", path=file)
    if interval_s is not None and not interval_s > 0:
        raise OptionError(f"interval_s must be > 0, not {interval_s!r}")
    text, _, warnings = decode_text(file)
    lines = pl.DataFrame({"text": text.split("\n")}).with_row_index("line", offset=1)
    lines = lines.with_columns(pl.col("line").cast(pl.Int64), pl.col("text").str.strip_chars_end())
    fmt, probes, other = _parse(lines, text, file, warnings)
    garbage = lines.filter(~(other | lines["line"].is_in(probes["line"].implode())))
    if garbage.height:
        numbers = garbage["line"].to_list()
        warnings.append(
            LoadWarning(
                str(file), "unrecognised-line",
                f"{garbage.height} line(s) are not {fmt} output and were skipped ({line_list(numbers)}), "
                f"first {garbage['text'][0][:60]!r}", line=numbers[0], skipped_lines=tuple(numbers),
            )
        )
    if not probes.height:
        raise DataError(
            f"the {fmt} log holds no probe (no reply and no loss)", path=file,
            hint="is the log empty or cut off?",
        )
    probes = probes.with_columns(status=pl.col("status").fill_null("no-status")).with_columns(
        ok=pl.col("status") == "reply"
    )
    if fmt == "test-connection-5":
        warnings.append(
            LoadWarning(
                str(file), "losses-invisible",
                "Windows PowerShell 5.1 Test-Connection lists only replies (lost pings go to the error "
                "stream): no loss can be seen in this log and the times assume none",
            )
        )
    probes = _times_from_log(probes, str(file), warnings, utc_offset)
    interval, basis = _interval(probes, interval_s, str(file), warnings)
    probes = _number(probes, str(file), warnings)
    if probes["time"].is_not_null().any():
        if start is not None:
            message = "the log has its own timestamps: start= is not used"
            warnings.append(LoadWarning(str(file), "start-ignored", message))
        probes, time_basis = _elapsed_from_log(probes), "log"
    else:
        wait = max(interval, timeout_s if timeout_s is not None else DEFAULT_TIMEOUT_S.get(fmt, interval))
        probes, time_basis = _modelled_times(probes, interval, wait, _start_utc(start), str(file), warnings)
    table = probes.with_columns(source=pl.lit(str(file))).select(SCHEMA.keys()).cast(SCHEMA)
    return Pings(table, tuple(warnings), str(file), fmt, interval, basis, time_basis)


def _parse(
    lines: pl.DataFrame, text: str, path: Path, warnings: list[LoadWarning]
) -> tuple[str, pl.DataFrame, pl.Series]:
    """(format, probe rows, mask of the lines that are known but no probe, or accounted for in
    ``warnings``, which gets what an Export-Csv reading left out). Probe rows have
    ``line``, ``status``, ``rtt_ms``, ``seq``, ``target``, ``epoch`` [s, UTC] and ``stamp`` (local
    time text), null where the format has no such thing."""
    col = lines["text"]
    if col.str.contains(f"{_LINUX_STAMP}|{_LINUX_REPLY}|{_LINUX_TARGET}").any():
        return ("linux-ping", *_linux(lines))
    bare = col.str.replace(_STAMPED, "${rest}")
    if bare.str.contains("|".join([*_WINDOWS_PROBES.values(), _WINDOWS_TARGET])).any():
        return ("windows-ping", *_windows(lines))
    if col.str.contains(_TC7_HEADER).any():
        return ("test-connection-7", *_test_connection_7(lines))
    if col.str.contains(_TC5_HEADER).any():
        return ("test-connection-5", *_test_connection_5(lines))
    if text.lstrip().startswith(("#TYPE", '"')):
        frame, read_warnings = read_export_csv(text, path)
        names = {c.lower() for c in frame.columns}
        if {"ping", "latency", "status"} <= names or {"responsetime", "statuscode"} <= names:
            warnings += read_warnings
            return _ping_csv(frame, names, lines)
    raise UnsupportedFormatError(
        "not a ping log the kit knows", path=path,
        hint="expected Windows ping -t (English, German or Russian, optionally time-stamped), "
        "Test-Connection output or Export-Csv, or Linux ping -D",
    )


def _probes(frame: pl.DataFrame) -> pl.DataFrame:
    """The probe columns of ``frame`` (null where it has none)."""
    columns = {
        "status": pl.String, "rtt_ms": pl.Float64, "seq": pl.Int64, "target": pl.String,
        "epoch": pl.Float64, "stamp": pl.String,
    }
    return frame.select(
        "line",
        *[pl.col(c) if c in frame.columns else pl.lit(None, dtype).alias(c) for c, dtype in columns.items()],
    )


def _windows(lines: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series]:
    text = pl.col("text")
    stamped = text.str.extract_groups(_STAMPED)
    known = "|".join([*_WINDOWS_PROBES.values(), _WINDOWS_TARGET, _WINDOWS_OTHER])
    prefixed = stamped.struct["rest"].str.contains(known)
    frame = lines.with_columns(
        stamp=pl.when(prefixed).then(stamped.struct["stamp"]),
        body=pl.when(prefixed).then(stamped.struct["rest"]).otherwise(text),
    )
    body = pl.col("body")
    target = body.str.extract_groups(_WINDOWS_TARGET)
    reply = body.str.extract_groups(_WINDOWS_PROBES["reply"])
    rtt = reply.struct["rtt"].cast(pl.Float64)
    frame = frame.with_columns(
        status=pl.coalesce(*[pl.when(body.str.contains(p)).then(pl.lit(s)) for s, p in _WINDOWS_PROBES.items()]),
        target=pl.coalesce(target.struct[1], target.struct[0]).forward_fill(),
        rtt_ms=pl.when(reply.struct["op"] == "<").then(rtt / 2).otherwise(rtt),
    )
    other = frame["body"].str.contains(f"{_WINDOWS_TARGET}|{_WINDOWS_OTHER}")
    return _probes(frame.filter(pl.col("status").is_not_null())), other


def _linux(lines: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series]:
    text = pl.col("text")
    stamped = text.str.extract_groups(_LINUX_STAMP)
    frame = lines.with_columns(
        epoch=stamped.struct["epoch"].cast(pl.Float64), body=pl.coalesce(stamped.struct["rest"], text)
    )
    body = pl.col("body")
    reply, silent, error = (body.str.extract_groups(p) for p in (_LINUX_REPLY, _LINUX_NO_ANSWER, _LINUX_ERROR))
    what = error.struct["what"].str.to_lowercase()
    frame = frame.with_columns(
        target=body.str.extract_groups(_LINUX_TARGET).struct[1].forward_fill(),
        seq=pl.coalesce(reply.struct["seq"], silent.struct["seq"], error.struct["seq"]).cast(pl.Int64, strict=False),
        rtt_ms=reply.struct["rtt"].cast(pl.Float64),
        duplicate=reply.struct["dup"].is_not_null(),
        status=pl.when(reply.struct["seq"].is_not_null()).then(pl.lit("reply"))
        .when(silent.struct["seq"].is_not_null()).then(pl.lit("no-answer"))
        .when(what.str.contains("unreachable")).then(pl.lit("unreachable"))
        .when(what.str.contains("time to live exceeded")).then(pl.lit("ttl-expired"))
        .otherwise(what),
    )
    other = frame["body"].str.contains(f"{_LINUX_TARGET}|{_LINUX_OTHER}") | frame["duplicate"]
    return _probes(frame.filter(pl.col("status").is_not_null() & ~pl.col("duplicate"))), other


def _test_connection_7(lines: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series]:
    text = pl.col("text")
    row = text.str.extract_groups(_TC7_ROW)
    status = _ping_status(row.struct["status"])
    frame = lines.with_columns(
        target=text.str.extract(_TC7_TARGET, 1).forward_fill(),
        seq=row.struct["seq"].cast(pl.Int64, strict=False),
        rtt_ms=pl.when(status == "reply").then(row.struct["lat"].cast(pl.Float64, strict=False)),
        status=status,
    )
    other = lines["text"].str.contains(f"{_TC7_HEADER}|{_TC7_TARGET}|{_TC7_OTHER}")
    return _probes(frame.filter(pl.col("seq").is_not_null())), other


def _test_connection_5(lines: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series]:
    row = pl.col("text").str.extract_groups(_TC5_ROW)
    frame = lines.with_columns(
        target=row.struct["dst"],
        rtt_ms=row.struct["ms"].cast(pl.Float64),
        status=pl.when(row.struct["ms"].is_not_null()).then(pl.lit("reply")),
    )
    other = lines["text"].str.contains(f"{_TC5_HEADER}|{_TC7_OTHER}")
    return _probes(frame.filter(pl.col("status").is_not_null())), other


def _ping_status(word: pl.Expr) -> pl.Expr:
    """The kit's status of a PingStatus.Status word (IPStatus; the table may cut it with "…")."""
    return (
        pl.when(word == "Success").then(pl.lit("reply"))
        .when(word == "TimedOut").then(pl.lit("timeout"))
        .when(word.str.contains("Unreach|^DestinationNetw|^DestinationHost")).then(pl.lit("unreachable"))
        .when(word == "TtlExpired").then(pl.lit("ttl-expired"))
        .otherwise(word.str.to_lowercase())
    )


def _ping_csv(
    frame: pl.DataFrame, names: set[str], lines: pl.DataFrame
) -> tuple[str, pl.DataFrame, pl.Series]:
    """Export-Csv of PingStatus (PowerShell 7) or Win32_PingStatus (5.1) objects."""
    column = {c.lower(): pl.col(c).str.strip_chars() for c in frame.columns if c != LINE}
    none = pl.lit(None, pl.String)
    frame = frame.rename({LINE: "line"})
    # Every line but a record's first is known: the header, the #TYPE and blank lines, the rest
    # of multi-line cells, and the records read_export_csv left out (it reported them).
    known = ~lines["line"].is_in(frame["line"].implode())
    if "ping" in names:
        status = _ping_status(column["status"])
        probes = frame.with_columns(
            seq=column["ping"].cast(pl.Int64, strict=False),
            status=status,
            rtt_ms=pl.when(status == "reply").then(column["latency"].cast(pl.Float64, strict=False)),
            target=column.get("destination", column.get("address", none)),
        )
        return "test-connection-csv", _probes(probes), known
    code = column["statuscode"]
    status = code.replace_strict(_WIN32_STATUS, default=pl.lit("status ") + code).fill_null("no-status")
    probes = frame.with_columns(
        status=status,
        rtt_ms=pl.when(status == "reply").then(column["responsetime"].cast(pl.Float64, strict=False)),
        target=column.get("address", none),
    )
    return "win32-pingstatus-csv", _probes(probes), known


def _times_from_log(
    probes: pl.DataFrame, name: str, warnings: list[LoadWarning], utc_offset: str | int | timedelta | None
) -> pl.DataFrame:
    """Add ``time`` [UTC] from epoch seconds or local time stamps (null where the log has none)."""
    if probes["stamp"].is_null().all():
        micros = (pl.col("epoch") * 1e6).round()
        # Beyond the year 9999 (a garbled stamp) the time stays null, reported below as unread.
        micros = pl.when(micros.abs() < _MAX_EPOCH_US).then(micros).cast(pl.Int64)
        probes = probes.with_columns(time=pl.from_epoch(micros, time_unit="us").dt.replace_time_zone("UTC"))
        unread = probes.filter(pl.col("epoch").is_not_null() & pl.col("time").is_null())
        if unread.height:
            message = f"{unread.height} time stamp(s) are out of range (time left null); first {unread['epoch'][0]!r}"
            warnings.append(LoadWarning(name, "bad-time", message, line=unread["line"][0]))
        return probes
    local, chosen = parse_local(probes["stamp"], CULTURE_FORMATS)
    if utc_offset is None:
        minutes = 0
        warnings.append(
            LoadWarning(
                name, "timezone-unknown",
                f"the time stamps are local time with no zone (read as {chosen!r}): taken as UTC; "
                "pass utc_offset=",
            )
        )
    else:
        minutes = offset_minutes(utc_offset)
    unread = probes.filter(pl.col("stamp").is_not_null() & local.is_null())
    if unread.height:
        warnings.append(
            LoadWarning(
                name, "bad-time",
                f"{unread.height} time stamp(s) cannot be read (time left null); "
                f"first {unread['stamp'][0]!r}",
                line=unread["line"][0],
            )
        )
    return probes.with_columns(time=(local - pl.duration(minutes=minutes)).dt.replace_time_zone("UTC"))


def _interval(
    probes: pl.DataFrame, interval_s: float | None, name: str, warnings: list[LoadWarning]
) -> tuple[float, str]:
    """(probe interval [s], how it was set): given, else the median gap between replies in the
    log's own times, else the default."""
    if interval_s is not None:
        return float(interval_s), "given"
    inferred = median_interval_s(probes.filter(pl.col("ok"))["time"].drop_nulls())
    if inferred is not None:
        return inferred, "inferred"
    message = f"no probe interval given or inferable: {DEFAULT_INTERVAL_S} s assumed (pass interval_s=)"
    warnings.append(LoadWarning(name, "interval-assumed", message))
    return DEFAULT_INTERVAL_S, "default"


def _number(probes: pl.DataFrame, name: str, warnings: list[LoadWarning]) -> pl.DataFrame:
    """Number the probes: unwrap 16-bit icmp_seq and add a ``missing`` row for each sequence
    number that never appears (a loss), or number them 1… where the log has none."""
    unread = probes.filter(pl.col("seq").is_null())
    if unread.height == probes.height:
        return probes.with_columns(seq=pl.int_range(1, pl.len() + 1, dtype=pl.Int64))
    if unread.height:
        message = (
            f"{unread.height} probe(s) have no readable sequence number (kept, seq null): gaps are not "
            "filled"
        )
        warnings.append(LoadWarning(name, "bad-seq", message, line=unread["line"][0]))
        return probes
    wraps = (pl.col("seq").diff() < -(_SEQ_WRAP // 2)).fill_null(False).cum_sum()
    probes = probes.with_columns(seq=pl.col("seq") + wraps * _SEQ_WRAP)
    if probes["seq"].is_duplicated().any():
        message = "sequence numbers repeat (several targets or runs in one log?): gaps are not filled"
        warnings.append(LoadWarning(name, "repeated-seq", message))
        return probes
    span = probes["seq"].max() - probes["seq"].min() + 1
    if span > _MAX_GAP_FACTOR * probes.height + _SEQ_WRAP:
        message = f"sequence numbers jump over {span - probes.height} numbers (garbled log?): gaps are not filled"
        warnings.append(LoadWarning(name, "seq-jump", message))
        return probes
    seq = pl.int_range(probes["seq"].min(), probes["seq"].max() + 1, eager=True, dtype=pl.Int64)
    filled = pl.DataFrame({"seq": seq}).join(probes, on="seq", how="left").with_columns(
        status=pl.col("status").fill_null("missing"),
        ok=pl.col("ok").fill_null(False),
        target=pl.col("target").forward_fill(),
    )
    missing = filled.height - probes.height
    if missing:
        message = f"{missing} sequence number(s) never appear in the log: added as lost probes (status 'missing')"
        warnings.append(LoadWarning(name, "missing-seq", message))
    return filled


def _elapsed_from_log(probes: pl.DataFrame) -> pl.DataFrame:
    """``elapsed_s`` [s] from the log's times; missing probes interpolated by sequence number."""
    first = probes["time"].drop_nulls().min()
    probes = probes.with_columns(elapsed_s=(pl.col("time") - first).dt.total_microseconds() / 1e6)
    if probes["seq"].is_not_null().all():
        probes = probes.with_columns(pl.col("elapsed_s").interpolate_by("seq"))
    return probes.with_columns(time=pl.coalesce("time", pl.lit(first) + _seconds("elapsed_s")))


def _modelled_times(
    probes: pl.DataFrame, interval: float, wait: float, origin: datetime | None,
    name: str, warnings: list[LoadWarning],
) -> tuple[pl.DataFrame, str]:
    """``elapsed_s`` [s] (and ``time`` from ``origin``) of a log without timestamps: each probe
    ``interval`` after the previous one, ``wait`` after a time-out."""
    duration = pl.when(pl.col("status") == "timeout").then(wait).otherwise(interval)
    probes = probes.with_columns(elapsed_s=duration.cum_sum().shift(1, fill_value=0.0))
    if (probes["status"] == "timeout").any():
        warnings.append(
            LoadWarning(
                name, "times-estimated",
                f"no timestamps: each probe placed {interval} s after the previous one and {wait} s "
                "after a time-out (estimate; use a time-stamped log for exact times)",
            )
        )
    if origin is None:
        warnings.append(
            LoadWarning(
                name, "no-start",
                "the log has no timestamps and no start= was given: times are null (elapsed_s counts "
                "from the first probe)",
            )
        )
        return probes, "none"
    return probes.with_columns(time=pl.lit(origin) + _seconds("elapsed_s")), "start"


def _seconds(column: str) -> pl.Expr:
    """A duration from a column of seconds (microsecond resolution)."""
    return pl.duration(microseconds=(pl.col(column) * 1e6).round())


def _start_utc(start: datetime | str | None) -> datetime | None:
    if start is None:
        return None
    when = datetime.fromisoformat(start) if isinstance(start, str) else start
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)
