"""Shared fuzzing machinery: the byte mutations, the failure log and the timed Hypothesis loop,
used by ``fuzz_loaders.py`` (perfmon logs) and ``fuzz_side_inputs.py`` (events, topology, pings)."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import hypothesis
import polars as pl
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisWarning

ROOT = Path(__file__).resolve().parents[1]
MAX_BYTES = 256 << 10
TOKENS = (
    b'"', b'""', b",", b";", b"\t", b"\r", b"\n", b"\r\n", b"\x00", b" ", b"#", b"(", b")", b"\\",
    b"\\\\", b"/", b"-", b".", b"e", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xc3\xa9", b"\xe9",
    b"\x81", b"\xe3\x83\xa1", b"\xd0\x9f", b"\x1a", b"(PDH-CSV 4.0)", b"(PDH-TSV 4.0)", b"(99999)",
    b"(-330)", b"#TYPE x\r\n", b'"Path","CookedValue","Timestamp"', b"Readings", b"time", b"__line",
    b"local", b"__k", b"ElfFile\x00", b"PK\x03\x04",
)
VALUES = (
    b"NaN", b"inf", b"-Infinity", b"-1.#IND", b"1.#QNAN", b"1.#INF00", b"1e400", b"-1e-400",
    b"1.7976931348623157e308", b"9" * 400, b"123456789012345678901234567890", b"1,5", b"1.5e-005",
    b"2.20E+12", b" ", b"", b"0x10", b"02/30/2025 14:05:02.000", b"01/01/0000 00:00:00.000",
    b"12/31/9999 23:59:59.999", b"01/01/1601 00:00:00.000", b"11.02.2025 14:05:17",
    b"2/11/2025 2:05:17 PM", b"2025-02-11T14:05:17.123", b"n/a",
)
CODECS = ("utf-16-le", "utf-16-be", "utf-16", "utf-8-sig", "cp1252", "cp1251", "cp932", "latin-1")
MUTATIONS = (
    "flip", "insert", "delete", "truncate", "field", "dup-line", "drop-line", "swap-lines",
    "encoding", "line-breaks", "splice", "repeat",
)
"""Mutations of any text file."""
STRUCTURE_MUTATIONS = ("xml-tag", "json", "garbage-line")
"""Mutations of XML tags, JSON punctuation and whole lines (:func:`mutate` with ``kinds``)."""
_TAG = re.compile(rb"</?[A-Za-z][^<>]{0,80}>")
_JSON_MARKS = re.compile(rb'[{}\[\]:,"]')
_JSON_DAMAGE = (b"", b"{", b"}", b"[", b"]", b",", b":", b'"', b"null", b"[" * 3000, b'"\\ud800"', b"1e999")
_GARBAGE_LINES = (
    b"", b"   ", b"\x00\x01\x02", b"\xff\xfe\x00", b"lorem ipsum", b"<", b"</Event>", b"{", b"]",
    b'"a","b"', b"#TYPE System.String", b"- ", b" - ", b"[", b"[1] x", b"0 0 0 0 0 0",
)


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


@st.composite
def mutate(
    draw: st.DrawFn, data: bytes, seeds: list[tuple[str, bytes]],
    kinds: tuple[str, ...] = MUTATIONS, tokens: tuple[bytes, ...] = TOKENS + VALUES,
) -> tuple[bytes, list[str]]:
    """``data`` after 1–6 random mutations of ``kinds`` (inserting ``tokens``), and their names."""
    done = []
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 2, 3, 4, 6]))):
        kind = draw(st.sampled_from(kinds))
        at = draw(st.integers(0, len(data)))
        if kind == "flip" and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
        elif kind == "insert":
            data = data[:at] + draw(st.sampled_from(tokens)) + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 64)) :]
        elif kind == "truncate":
            data = data[:at]
        elif kind == "field":
            data = _replace_field(data, draw)
        elif kind in ("dup-line", "drop-line", "swap-lines") and data:
            lines = _lines(data)
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            if kind == "dup-line":
                lines.insert(i, lines[i])
            elif kind == "drop-line":
                del lines[i]
            else:
                lines[i], lines[j] = lines[j], lines[i]
            data = b"\n".join(lines)
        elif kind == "encoding":
            text = data.decode(draw(st.sampled_from(["utf-8", "latin-1", "cp1252"])), errors="replace")
            data = text.encode(draw(st.sampled_from(CODECS)), errors="replace")
        elif kind == "line-breaks":
            old, new = draw(st.sampled_from([(b"\r\n", b"\n"), (b"\r\n", b"\r"), (b"\n", b"\r\n"), (b"\r\n", b"\n\r")]))
            data = data.replace(old, new)
        elif kind == "splice":
            other = draw(st.sampled_from(seeds))[1]
            data = data[:at] + other[draw(st.integers(0, len(other))) :]
        elif kind == "repeat" and data:
            start = min(at, len(data) - 1)
            span = data[start : start + draw(st.integers(1, 200))]
            data = data[:start] + span * draw(st.integers(2, 400)) + data[start:]
        elif kind == "xml-tag":
            data = _damage(data, _TAG, draw, (b"", b"<", b">", b"</X>", b"<Event>", b"<![CDATA[", b"&"))
        elif kind == "json":
            data = _damage(data, _JSON_MARKS, draw, _JSON_DAMAGE)
        elif kind == "garbage-line":
            lines = _lines(data)
            lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(_GARBAGE_LINES + tokens)))
            data = b"\n".join(lines)
        done.append(kind)
    return data[:MAX_BYTES], done


def _damage(data: bytes, pattern: re.Pattern[bytes], draw: st.DrawFn, replacements: tuple[bytes, ...]) -> bytes:
    """One match of ``pattern`` in ``data`` (a tag, a JSON mark) replaced by one of ``replacements``."""
    found = list(pattern.finditer(data[:65536]))
    if not found:
        return data
    hit = draw(st.sampled_from(found))
    start, stop = hit.span()
    if draw(st.booleans()) and stop - start > 2:  # cut inside the match
        stop = draw(st.integers(start + 1, stop - 1))
    return data[:start] + draw(st.sampled_from(replacements)) + data[stop:]


def _replace_field(data: bytes, draw: st.DrawFn) -> bytes:
    """One field of one line replaced by a nasty value (quoted like its neighbours)."""
    lines = _lines(data)
    i = draw(st.integers(0, len(lines) - 1))
    sep = b"\t" if b"\t" in lines[i] else b";" if lines[i].count(b";") > lines[i].count(b",") else b","
    fields = lines[i].split(sep)
    k = draw(st.integers(0, len(fields) - 1))
    value = draw(st.sampled_from(VALUES))
    fields[k] = b'"' + value + b'"' if fields[k].startswith(b'"') else value
    lines[i] = sep.join(fields)
    return b"\n".join(lines)


@dataclass
class Tally:
    """What the run saw (of one loader)."""

    tried: int = 0
    errors: Counter = field(default_factory=Counter)
    warned: int = 0
    codes: Counter = field(default_factory=Counter)
    clean: int = 0
    accounted: int = 0
    failures: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=dict)

    def figures(self) -> dict:
        """The counts for the JSON summary."""
        return {
            "inputs_tried": self.tried,
            "clear_errors": sum(self.errors.values()),
            "clear_errors_by_class": dict(self.errors.most_common()),
            "loads": self.warned + self.clean,
            "loads_with_warnings": self.warned,
            "loads_with_warning_code": dict(self.codes.most_common()),
            "loads_clean": self.clean,
            "loads_fully_accounted": self.accounted,
            "failures": sum(self.failures.values()),
            "failures_by_kind": dict(self.failures.most_common()),
            "failure_examples": self.examples,
        }


def where(exc: BaseException) -> str:
    """``Type at file:line`` of the innermost frame in the kit (or the last one)."""
    frames = traceback.extract_tb(exc.__traceback__)
    inner = [f for f in frames if "/kit/" in f.filename] or frames[-1:]
    spot = f" at {Path(inner[-1].filename).name}:{inner[-1].lineno}" if inner else ""
    return f"{type(exc).__name__}{spot}"


def fail(tally: Tally, crashes: Path, case: dict, kind: str, signature: str, detail: str = "") -> None:
    """Count a failure; keep the smallest input of each kind and signature (``case`` needs
    ``data`` and ``suffix``; its other entries go to the ``.json`` beside the input)."""
    key = f"{kind}: {signature}"
    tally.failures[key] += 1
    digest = hashlib.blake2b(key.encode(), digest_size=6).hexdigest()
    stem = crashes / f"{kind}-{digest}"
    known = tally.examples.get(key)
    if known is not None and known["bytes"] <= len(case["data"]):
        return
    crashes.mkdir(parents=True, exist_ok=True)
    for older in crashes.glob(f"{stem.name}.*"):  # the larger input kept before, maybe with another suffix
        older.unlink()
    # The .json beside the input describes it; an input that is itself .json is saved as .input.json.
    saved = stem.with_suffix(".input.json" if case["suffix"] == ".json" else case["suffix"])
    saved.write_bytes(case["data"])
    info = {k: v for k, v in case.items() if k != "data"}
    info.update(failure=key, detail=detail)
    stem.with_suffix(".json").write_text(json.dumps(info, indent=2, default=str), encoding="utf-8")
    shown = saved.relative_to(ROOT) if saved.is_relative_to(ROOT) else saved
    tally.examples[key] = {"file": str(shown), "bytes": len(case["data"])}


@contextmanager
def private_work(work: Path) -> Iterator[None]:
    """The kit's cache in ``work/cache`` while fuzzing; ``work`` removed and the cache setting
    restored after."""
    saved_cache = os.environ.get("KIT_CACHE_DIR")
    os.environ["KIT_CACHE_DIR"] = str(work / "cache")
    try:
        yield
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if saved_cache is None:
            os.environ.pop("KIT_CACHE_DIR", None)
        else:
            os.environ["KIT_CACHE_DIR"] = saved_cache


def load_progress(tally: Tally) -> Callable[[float], str]:
    """The progress line of a loader fuzzer."""
    return lambda _: (f"{tally.tried} inputs, {sum(tally.errors.values())} clear errors, "
                      f"{tally.warned} with warnings, {tally.clean} clean, {sum(tally.failures.values())} failures")


def drive(
    strategy: st.SearchStrategy, one: Callable[[object], None], *, seconds: float, seed: int,
    batch: int, done: Callable[[], bool], progress: Callable[[float], str], report_every: float,
) -> None:
    """Draw from ``strategy`` and call ``one`` until ``done()`` or ``seconds`` have passed, in
    Hypothesis rounds of ``batch`` seeded ``seed``, ``seed + 1``…; print ``progress(elapsed)``
    every ``report_every`` seconds."""
    begin = time.monotonic()
    deadline = begin + seconds
    last_report = begin

    def over() -> bool:
        return time.monotonic() >= deadline or done()

    def step(case: object) -> None:
        nonlocal last_report
        if over():
            return
        one(case)
        if time.monotonic() - last_report >= report_every:
            last_report = time.monotonic()
            print(f"[{last_report - begin:7.0f} s] {progress(last_report - begin)}", flush=True)

    config = settings(
        max_examples=batch, deadline=None, database=None, phases=[Phase.generate],
        suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet,
    )
    warnings.filterwarnings("ignore", category=HypothesisWarning)
    rounds = 0
    while not over():
        hypothesis.seed(seed + rounds)(config(given(case=strategy)(step)))()
        rounds += 1


def versions() -> dict:
    """Versions of Python, polars, Hypothesis, the kit's commit and the platform."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    return {
        "python": platform.python_version(), "polars": pl.__version__, "hypothesis": hypothesis.__version__,
        "kit_commit": commit, "platform": platform.platform(),
    }


def result_path(folder: Path, prefix: str = "") -> Path:
    """A new ``<prefix><date>[-n].json`` in ``folder``."""
    stem = prefix + datetime.now(timezone.utc).strftime("%Y-%m-%d")
    path, n = folder / f"{stem}.json", 2
    while path.exists():
        path, n = folder / f"{stem}-{n}.json", n + 1
    return path


def main(argv: list[str] | None, description: str, fuzz: Callable[..., dict], script: str, prefix: str = "") -> int:
    """Command line of a fuzzer: ``fuzz(seconds=, seed=, max_inputs=, crashes=)`` gives the
    summary, written to ``fuzz/results/<prefix><date>.json``; exit status 1 when anything failed."""
    parser = argparse.ArgumentParser(description=description)
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--minutes", type=float, default=1.0, help="how long to fuzz (default 1)")
    length.add_argument("--seconds", type=float, help="how long to fuzz, in seconds")
    parser.add_argument("--seed", type=int, help="random seed (default: from the clock; recorded)")
    parser.add_argument("--max-inputs", type=int, help="stop after this many inputs")
    parser.add_argument("--results", type=Path, default=ROOT / "fuzz" / "results", help="folder for the JSON summary")
    parser.add_argument("--crashes", type=Path, default=ROOT / "fuzz" / "crashes", help="folder for failing inputs")
    args = parser.parse_args(argv)
    seconds = args.seconds if args.seconds is not None else args.minutes * 60
    seed = args.seed if args.seed is not None else int(time.time())
    summary = fuzz(seconds=seconds, seed=seed, max_inputs=args.max_inputs, crashes=args.crashes)
    summary["command"] = " ".join(["python3", script, *(argv if argv is not None else sys.argv[1:])])
    args.results.mkdir(parents=True, exist_ok=True)
    out = result_path(args.results, prefix)
    out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=2))
    print(f"summary written to {out}")
    return 1 if summary["failures"] else 0
