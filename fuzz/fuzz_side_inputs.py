"""Fuzz the side-input loaders: mutate event, topology and ping exports and feed them to
``read_events``, ``read_topology`` and ``read_pings``.

Seeds are the sample files of tests/data/{events,topology,pings} and the side-input corpus
(tests/data/bad-side/). Hypothesis picks a loader, a seed (one in 10 from another loader: a wrong
file type), 1–6 mutations (those of ``fuzz_loaders.py`` plus damaged XML tags, damaged JSON
punctuation and garbage lines, with XML, JSON and ping tokens) and the loader's options.

A failure is any exception that is not a :class:`kit.KitError`, a ``KitError`` that does not name
the file, or a record lost without a warning (:func:`lost`). Failing inputs are saved under
``fuzz/crashes/`` with their options and traceback; the JSON summary goes to
``fuzz/results/side-<date>.json``.

    nice -n 10 python3 fuzz/fuzz_side_inputs.py --minutes 30
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "fuzz")]

from common import MUTATIONS, STRUCTURE_MUTATIONS, TOKENS, VALUES, Tally, drive, fail, main, mutate, versions, where  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import kit  # noqa: E402
from kit.errors import OptionError  # noqa: E402
from kit.io.common import split_fields  # noqa: E402
from kit.io.side.events import read_events  # noqa: E402
from kit.io.side.pings import read_pings  # noqa: E402
from kit.io.side.text import decode_text  # noqa: E402
from kit.io.side.topology import read_topology  # noqa: E402

DATA = ROOT / "tests" / "data"
TARGETS = ("events", "topology", "pings")
SIDE_TOKENS = (
    b"<Event>", b"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>", b"</Event>",
    b"<System>", b"</System>", b"<Events>", b"<?xml version='1.0'?>", b"<![CDATA[", b"]]>", b"<!--",
    b"-->", b"&amp;", b"&#0;", b"&#xD800;", b"&bogus;", b"<", b">", b"/>", b"<EventID>20415</EventID>",
    b"<Data>", b"</Data>", b"<TimeCreated SystemTime='9999-99-99T99:99:99Z'/>", b"<Parameter2>",
    b"{", b"}", b"[", b"]", b":", b'":', b"null", b"true", b'"True"', b"1e999", b"-0", b"Infinity",
    b"[" * 2000, b'"\\ud800"', b'"\\u0000"', b"{}", b"[]",
    b"Request timed out.", b"Reply from 10.0.0.1: bytes=32 time=99999999999999999999ms TTL=128",
    b"Reply from 10.0.0.1: bytes=32 time<1ms TTL=128", b"icmp_seq=", b"icmp_seq=99999999999999999999",
    b"[99999999999999999999.1] ", b"[1e10.5] ", b"time=1e400 ms", b" - ", b"Destination: x",
    b"TimedOut", b"Success", b"(DUP!)", b"no answer yet for icmp_seq=0", b"12/31/9999 11:59:59 PM - ",
)
TOKEN_SET = TOKENS + VALUES + SIDE_TOKENS
KINDS = MUTATIONS + STRUCTURE_MUTATIONS * 2
_EVENT = re.compile(r"<Event[\s>]")
_PROBE = re.compile(
    r"Reply from|Request timed out|[Uu]nreachable|General failure|TTL expired|icmp_seq="
    r"|^\s*\d+\s.*\b(?:TimedOut|Success)\b"
)
"""What makes a line of a text ping log look like a probe (the oracle of :func:`_lost_pings`)."""
_CSV_PINGS = ("test-connection-csv", "win32-pingstatus-csv")
_EVENTS_LEFT_OUT = ("truncated-event", "bad-event", "duplicate-event", "bad-record")
"""Codes of the warnings that leave events out."""


def seed_files() -> dict[str, list[tuple[str, bytes]]]:
    """Loader → [(name, bytes)] of its seed files."""
    seeds: dict[str, list[tuple[str, bytes]]] = {}
    for target in TARGETS:
        files = sorted(p for p in (DATA / target).rglob("*") if p.is_file())
        corpus = DATA / "bad-side" / target
        files += sorted(p for p in corpus.glob("*") if p.is_file()) if corpus.is_dir() else []
        seeds[target] = [(str(p.relative_to(DATA)), p.read_bytes()) for p in files]
    return seeds


@st.composite
def cases(draw: st.DrawFn, seeds: dict[str, list[tuple[str, bytes]]]) -> dict:
    """One fuzz input: loader, seed, mutated bytes, file suffix and options."""
    target = draw(st.sampled_from(TARGETS))
    pool = seeds[target] if draw(st.integers(0, 9)) else [s for t in TARGETS for s in seeds[t]]
    name, data = draw(st.sampled_from(pool))
    everything = [s for t in TARGETS for s in seeds[t]]
    data, mutations = draw(mutate(data, everything, KINDS, TOKEN_SET))
    offset = st.none() | st.integers(-14 * 60, 14 * 60) | st.sampled_from(["+05:30", "-08:00", "+0100"])
    if target == "events":
        options = {"utc_offset": draw(offset)}
    elif target == "pings":
        options = {
            "utc_offset": draw(offset),
            "start": draw(st.sampled_from([None, None, "2025-02-11T13:05:00", "2025-02-11T13:05:00+01:00"])),
            "interval_s": draw(st.sampled_from([None, None, 0.5, 1.0, 2.0, 1e-6])),
            "timeout_s": draw(st.sampled_from([None, None, 0.0, 4.0, 5.0])),
        }
    else:
        options = {}
    suffix = Path(name).suffix or ".txt"
    return {
        "target": target, "seed": name, "mutations": mutations, "data": data, "options": options,
        "suffix": draw(st.sampled_from([suffix] * 6 + [".txt", ".csv", ".xml", ".json"])),
    }


def run_case(case: dict, work: Path, crashes: Path, tallies: dict[str, Tally]) -> None:
    """Load one input and record the outcome; never raises (but for Ctrl-C)."""
    tally = tallies[case["target"]]
    path = work / f"input{case['suffix']}"
    path.write_bytes(case["data"])
    tally.tried += 1
    loader: Callable = {"events": read_events, "topology": read_topology, "pings": read_pings}[case["target"]]
    try:
        loaded = loader(path, **case["options"])
    except kit.KitError as exc:
        tally.errors[type(exc).__name__] += 1
        if exc.path != str(path) or not (exc.hint or isinstance(exc, OptionError)):
            fail(tally, crashes, case, f"{case['target']}-vague-error", f"{type(exc).__name__}: {exc.reason[:40]}")
        return
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - polars panics are BaseException
        fail(tally, crashes, case, f"{case['target']}-crash", where(exc), traceback.format_exc())
        return
    codes = {w.code for w in loaded.warnings}
    tally.codes.update(codes)
    tally.warned += bool(codes)
    tally.clean += not codes
    try:
        problems = lost(case["target"], path, loaded)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001
        fail(tally, crashes, case, f"{case['target']}-crash-after-load", where(exc), traceback.format_exc())
        return
    if problems:
        signature = re.sub(r"\d+", "N", problems[0])[:60]
        fail(tally, crashes, case, f"{case['target']}-unaccounted", signature, "\n".join(problems))
    else:
        tally.accounted += 1


def lost(target: str, path: Path, loaded: object) -> list[str]:
    """What of ``path`` (one file) is neither loaded nor in a warning.

    * events, XML: each ``<Event`` start in the text is a row, or a ``truncated-event`` /
      ``bad-event`` / ``duplicate-event`` warning naming its line; CSV: each non-blank CSV record
      after the header (counted with Python's csv module) is a row, or in a ``duplicate-event``
      warning or a ``bad-record`` warning's ``skipped_lines``.
    * topology: each top-level JSON object is a row or counted in the ``unknown-object`` warning;
      each non-blank CSV record is a row or in a ``bad-record`` warning's ``skipped_lines``.
    * pings, text logs: each line that looks like a probe (:data:`_PROBE`, not ``(DUP!)``) is a row
      or in a warning's ``skipped_lines``; CSV: each record is a row or skipped.
    Every warning must come from the file.
    """
    problems = [f"warning from elsewhere: {w}" for w in loaded.warnings if w.source != str(path)]
    if target == "events" and [s.format for s in loaded.sources] == ["empty"]:  # an empty export: nothing to lose
        return problems if path.read_bytes().strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe") == b"" else [*problems, "not empty"]
    text = decode_text(path)[0]
    if target == "events":
        [source] = loaded.sources
        dropped = [w for w in loaded.warnings if w.code in _EVENTS_LEFT_OUT]
        if source.format == "wevtutil-xml":
            expected = len(_EVENT.findall(text))
            if any(w.line is None for w in dropped):
                problems.append("a left-out event without its line")
        elif source.format == "winevent-csv":
            expected = _csv_records(text)
        else:
            return problems
        reported = sum(len(w.skipped_lines) or 1 for w in dropped)
        if loaded.table.height + reported != expected:
            problems.append(f"{expected} events, but {loaded.table.height} rows + {reported} reported")
    elif target == "topology":
        rows = sum(s.rows for s in loaded.sources)
        if loaded.sources[0].format == "json":
            data = json.loads(text)
            expected = len(data) if isinstance(data, list) else 1
            unknown = [w for w in loaded.warnings if w.code == "unknown-object"]
            reported = sum(int(w.message.split()[0]) for w in unknown)
        else:
            expected = _csv_records(text)
            reported = sum(len(w.skipped_lines) for w in loaded.warnings if w.code == "bad-record")
        if rows + reported != expected:
            problems.append(f"{expected} objects, but {rows} rows + {reported} reported")
    else:
        skipped = {n for w in loaded.warnings for n in w.skipped_lines}
        rows = set(loaded.table["line"].drop_nulls().to_list())
        if rows & skipped:
            problems.append(f"lines both loaded and skipped: {sorted(rows & skipped)[:5]}")
        if loaded.format in _CSV_PINGS:
            expected = _csv_records(text)
            if len(rows) + len(skipped) != expected:
                problems.append(f"{expected} records, but {len(rows)} rows + {len(skipped)} skipped")
        else:
            probes = [n for n, line in enumerate(text.split("\n"), 1) if _PROBE.search(line) and "(DUP!)" not in line]
            missing = [n for n in probes if n not in rows | skipped]
            if missing:
                problems.append(f"probe-like lines neither loaded nor skipped: {missing[:5]}")
    return problems


def _csv_records(text: str) -> int:
    """Records after the header of an Export-Csv text (as :func:`kit.io.side.text.read_export_csv`
    finds header and separator), counted by Python's csv module."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip() and not line.startswith("#"))
    separator = max((",", ";", "\t"), key=lambda sep: len(split_fields(lines[start], sep)))
    records = csv.reader(io.StringIO("\n".join(lines[start:])), delimiter=separator)
    next(records)  # the header, which may span lines
    return sum(1 for record in records if "".join(record).strip())


def fuzz(
    *, seconds: float, seed: int, batch: int = 200, max_inputs: int | None = None,
    crashes: Path = ROOT / "fuzz" / "crashes", report_every: float = 60.0,
) -> dict:
    """Fuzz for ``seconds`` (or ``max_inputs``) and return the summary, per loader. [s]"""
    seeds = seed_files()
    tallies = {target: Tally() for target in TARGETS}
    work = Path(tempfile.mkdtemp(prefix="kit-side-fuzz-"))
    started = datetime.now(timezone.utc)
    begin = time.monotonic()

    def progress(_: float) -> str:
        return "; ".join(
            f"{t}: {y.tried} inputs, {sum(y.errors.values())} errors, {y.warned + y.clean} loads, "
            f"{sum(y.failures.values())} failures" for t, y in tallies.items()
        )

    try:
        drive(
            cases(seeds), lambda case: run_case(case, work, crashes, tallies), seconds=seconds, seed=seed,
            batch=batch, done=lambda: max_inputs is not None and sum(t.tried for t in tallies.values()) >= max_inputs,
            progress=progress, report_every=report_every,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "started_utc": started.isoformat(timespec="seconds"),
        "duration_s": round(time.monotonic() - begin, 1),
        "seed": seed,
        "seed_files": {target: len(files) for target, files in seeds.items()},
        "inputs_tried": sum(t.tried for t in tallies.values()),
        "loads": sum(t.warned + t.clean for t in tallies.values()),
        "clear_errors": sum(sum(t.errors.values()) for t in tallies.values()),
        "failures": sum(sum(t.failures.values()) for t in tallies.values()),
        "loaders": {target: t.figures() for target, t in tallies.items()},
        "versions": versions(),
    }


if __name__ == "__main__":
    sys.exit(main(None, __doc__.splitlines()[0], fuzz, "fuzz/fuzz_side_inputs.py", "side-"))
