"""Fuzz the perfmon loaders: mutate valid and broken captures and feed them to ``kit.load``.

Seeds are the bad-input corpus (tests/data/bad/), the head of the bundled sample and of the real
files in ../shared/realdata, and files drawn from the round-trip strategies of
tests/test_properties.py. Hypothesis draws 1–6 mutations per input (byte flips, insertions of
quotes, separators, BOMs, NULs, line breaks, huge numbers and NaN spellings, deleted, repeated
and swapped lines, cut-off ends, re-encodings, spliced files) and the load options.

A failure is any exception that is not a :class:`kit.KitError`, a ``KitError`` that does not
name the file, a load that leaves a line or column unaccounted for
(:func:`test_accounting.unaccounted`), or a cached reload that differs. Each failing input is
saved under ``fuzz/crashes/`` with its options and traceback; a JSON summary is printed and
written to ``fuzz/results/<date>.json``.

    nice -n 10 python3 fuzz/fuzz_loaders.py --minutes 30
"""

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
import tempfile
import time
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import hypothesis  # noqa: E402
import polars as pl  # noqa: E402
from hypothesis import HealthCheck, Phase, Verbosity, given, settings  # noqa: E402
from hypothesis.errors import HypothesisWarning  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import kit  # noqa: E402
from kit.errors import OptionError  # noqa: E402
from test_accounting import unaccounted  # noqa: E402
from test_properties import pdh_files, powershell_files  # noqa: E402

REALDATA = ROOT.parent / "shared" / "realdata"
SEED_LINES = 12
"""Lines kept of the bundled and real files (the header and some rows): small inputs run fast."""
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


def seed_files() -> list[tuple[str, bytes]]:
    """(name, bytes) of the file seeds."""
    seeds = [(p.name, p.read_bytes()) for p in sorted((ROOT / "tests" / "data" / "bad").iterdir())]
    heads = sorted((ROOT / "data").glob("*/*.csv"))
    if REALDATA.exists():
        heads += sorted(p for p in REALDATA.iterdir() if p.suffix in (".csv", ".tsv"))
    for path in heads:
        with path.open("rb") as handle:
            seeds.append((path.name, b"".join(handle.readline() for _ in range(SEED_LINES))))
    return [(name, data) for name, data in seeds if name not in ("EXPECTED.json", "MANIFEST.md")]


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


@st.composite
def mutate(draw: st.DrawFn, data: bytes, seeds: list[tuple[str, bytes]]) -> tuple[bytes, list[str]]:
    """``data`` after 1–6 random mutations, and their names."""
    done = []
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 2, 3, 4, 6]))):
        kind = draw(st.sampled_from(MUTATIONS))
        at = draw(st.integers(0, len(data)))
        if kind == "flip" and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
        elif kind == "insert":
            data = data[:at] + draw(st.sampled_from(TOKENS + VALUES)) + data[at:]
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
        done.append(kind)
    return data[:MAX_BYTES], done


MUTATIONS = (
    "flip", "insert", "delete", "truncate", "field", "dup-line", "drop-line", "swap-lines",
    "encoding", "line-breaks", "splice", "repeat",
)


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


@st.composite
def cases(draw: st.DrawFn, seeds: list[tuple[str, bytes]]) -> dict:
    """One fuzz input: seed, mutated bytes, file suffix and load options."""
    source = draw(st.sampled_from(["file", "file", "file", "pdh", "powershell"]))
    if source == "file":
        name, data = draw(st.sampled_from(seeds))
    else:
        written = draw(pdh_files() if source == "pdh" else powershell_files())
        name, data = f"generated-{source}", written.raw
    data, mutations = draw(mutate(data, seeds))
    options = {
        "encoding": draw(st.sampled_from([None] * 12 + ["cp1252", "cp1251", "cp932", "utf-16", "utf-8"])),
        "utc_offset": draw(st.none() | st.integers(-14 * 60, 14 * 60) | st.sampled_from(["+05:30", "-08:00"])),
        "override_zone": draw(st.booleans()),
        "correct_dst": draw(st.booleans()),
        "decimal_comma": draw(st.sampled_from([None, None, True, False])),
    }
    return {
        "seed": name, "mutations": mutations, "data": data, "options": options,
        "suffix": draw(st.sampled_from([".csv"] * 8 + [".tsv", ".txt", ".blg"])),
        "cached": draw(st.integers(0, 19)) == 0,
        "pair": draw(st.integers(0, 19)) == 0,
    }


@dataclass
class Tally:
    """What the run saw."""

    tried: int = 0
    errors: Counter = field(default_factory=Counter)
    warned: int = 0
    codes: Counter = field(default_factory=Counter)
    clean: int = 0
    accounted: int = 0
    failures: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=dict)


def run_case(case: dict, work: Path, crashes: Path, tally: Tally) -> None:
    """Load one input and record the outcome; never raises (but for Ctrl-C)."""
    path = work / f"input{case['suffix']}"
    path.write_bytes(case["data"])
    tally.tried += 1
    try:
        capture = kit.load(path, cache_results=False, progress=False, **case["options"])
    except kit.KitError as exc:
        tally.errors[type(exc).__name__] += 1
        if exc.path != str(path) or not (exc.hint or isinstance(exc, OptionError)):
            _fail(tally, crashes, case, "vague-error", f"{type(exc).__name__}: {exc}")
        return
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - polars panics are BaseException
        _fail(tally, crashes, case, "crash", _where(exc), traceback.format_exc())
        return
    try:
        _check_loaded(path, capture, case, tally, crashes)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001
        _fail(tally, crashes, case, "crash-after-load", _where(exc), traceback.format_exc())


def _check_loaded(path: Path, capture: kit.Capture, case: dict, tally: Tally, crashes: Path) -> None:
    codes = {w.code for w in capture.warnings}
    tally.codes.update(codes)
    tally.warned += bool(codes)
    tally.clean += not codes
    problems = unaccounted(path, capture)
    if problems:
        _fail(tally, crashes, case, "unaccounted", re.sub(r"\d+|'.*'", "N", problems[0])[:60], "\n".join(problems))
    else:
        tally.accounted += 1
    json.dumps(capture.summary(), default=str)
    kit.quality_report(capture)
    if case["cached"]:
        first = kit.load(path, progress=False, **case["options"])
        second = kit.load(path, progress=False, **case["options"])
        if not (second.data.equals(first.data) and second.warnings == first.warnings):
            _fail(tally, crashes, case, "cache-mismatch", "cached reload differs")
    if case["pair"]:
        other = path.with_name("other.csv")
        other.write_bytes((ROOT / "tests" / "data" / "bad" / "truncated_last_line.csv").read_bytes())
        both = kit.load([path, other], cache_results=False, progress=False)
        if both.data.columns != ["time", *both.catalog["column"]] or not both.data["time"].is_sorted():
            _fail(tally, crashes, case, "combine", "combined capture inconsistent")


def _where(exc: BaseException) -> str:
    """``Type at file:line`` of the innermost frame in the kit (or the last one)."""
    frames = traceback.extract_tb(exc.__traceback__)
    inner = [f for f in frames if "/kit/" in f.filename] or frames[-1:]
    spot = f" at {Path(inner[-1].filename).name}:{inner[-1].lineno}" if inner else ""
    return f"{type(exc).__name__}{spot}"


def _fail(tally: Tally, crashes: Path, case: dict, kind: str, signature: str, detail: str = "") -> None:
    """Count a failure; keep the smallest input of each kind and signature."""
    key = f"{kind}: {signature}"
    tally.failures[key] += 1
    digest = hashlib.blake2b(key.encode(), digest_size=6).hexdigest()
    stem = crashes / f"{kind}-{digest}"
    known = tally.examples.get(key)
    if known is not None and known["bytes"] <= len(case["data"]):
        return
    crashes.mkdir(parents=True, exist_ok=True)
    (stem.with_suffix(case["suffix"])).write_bytes(case["data"])
    info = {k: case[k] for k in ("seed", "mutations", "options", "suffix", "cached", "pair")}
    info.update(failure=key, detail=detail)
    stem.with_suffix(".json").write_text(json.dumps(info, indent=2, default=str), encoding="utf-8")
    saved = stem.with_suffix(case["suffix"])
    shown = saved.relative_to(ROOT) if saved.is_relative_to(ROOT) else saved
    tally.examples[key] = {"file": str(shown), "bytes": len(case["data"])}


def fuzz(
    *, seconds: float, seed: int, batch: int = 200, max_inputs: int | None = None,
    crashes: Path = ROOT / "fuzz" / "crashes", report_every: float = 60.0,
) -> dict:
    """Fuzz for ``seconds`` (or ``max_inputs``) and return the summary. [s]"""
    seeds = seed_files()
    tally = Tally()
    work = Path(tempfile.mkdtemp(prefix="kit-fuzz-"))
    saved_cache = os.environ.get("KIT_CACHE_DIR")
    os.environ["KIT_CACHE_DIR"] = str(work / "cache")
    started = datetime.now(timezone.utc)
    begin = time.monotonic()
    deadline = begin + seconds
    last_report = begin
    rounds = 0

    def done() -> bool:
        return time.monotonic() >= deadline or (max_inputs is not None and tally.tried >= max_inputs)

    def one(case: dict) -> None:
        nonlocal last_report
        if done():
            return
        run_case(case, work, crashes, tally)
        if time.monotonic() - last_report >= report_every:
            last_report = time.monotonic()
            print(f"[{last_report - begin:7.0f} s] {tally.tried} inputs, {sum(tally.errors.values())} clear errors, "
                  f"{tally.warned} with warnings, {tally.clean} clean, {sum(tally.failures.values())} failures", flush=True)

    config = settings(
        max_examples=batch, deadline=None, database=None, phases=[Phase.generate],
        suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet,
    )
    warnings.filterwarnings("ignore", category=HypothesisWarning)
    try:
        while not done():
            hypothesis.seed(seed + rounds)(config(given(case=cases(seeds))(one)))()
            rounds += 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if saved_cache is None:
            os.environ.pop("KIT_CACHE_DIR", None)
        else:
            os.environ["KIT_CACHE_DIR"] = saved_cache
    loads = tally.warned + tally.clean
    return {
        "started_utc": started.isoformat(timespec="seconds"),
        "duration_s": round(time.monotonic() - begin, 1),
        "seed": seed,
        "seed_files": len(seeds),
        "inputs_tried": tally.tried,
        "clear_errors": sum(tally.errors.values()),
        "clear_errors_by_class": dict(tally.errors.most_common()),
        "loads": loads,
        "loads_with_warnings": tally.warned,
        "loads_with_warning_code": dict(tally.codes.most_common()),
        "loads_clean": tally.clean,
        "loads_fully_accounted": tally.accounted,
        "failures": sum(tally.failures.values()),
        "failures_by_kind": dict(tally.failures.most_common()),
        "failure_examples": tally.examples,
        "versions": _versions(),
    }


def _versions() -> dict:
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


def _result_path(folder: Path) -> Path:
    stem = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    path, n = folder / f"{stem}.json", 2
    while path.exists():
        path, n = folder / f"{stem}-{n}.json", n + 1
    return path


def main(argv: list[str] | None = None) -> int:
    """Command line; exit status 1 when there were failures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    summary["command"] = " ".join(["python3", "fuzz/fuzz_loaders.py", *(argv if argv is not None else sys.argv[1:])])
    args.results.mkdir(parents=True, exist_ok=True)
    out = _result_path(args.results)
    out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=2))
    print(f"summary written to {out}")
    return 1 if summary["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
