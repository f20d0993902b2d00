"""Fuzz the binary perfmon log (.blg) reader: mutate the real logs and synthetic ones and load them.

Seeds are the three .blg files of ../shared/realdata (when present), the cut-off excerpt of the
bad-input corpus and synthetic logs written by :mod:`kit.io.perfmon.blg_writer` (payloads cut
into parts, instances that come and go, bad statuses, a 32-bit log). Hypothesis draws 1–4
mutations per input: byte flips (anywhere, or in the structures: buffer headers, record headers,
the first bytes of payloads), 16/32-bit fields set to edge values, truncation at every buffer
edge (and a few bytes either side) or anywhere, buffers swapped, moved, repeated, dropped or
taken from another log, zeroed ranges; and the load options (``counters=``, ``utc_offset=``,
``override_zone=``, a ``.csv`` name).

A failure is any exception that is not a :class:`kit.KitError`, a ``KitError`` (but an
``OptionError``: no counter matched ``counters=``) that does not name the file or has no hint, a load that takes longer than the hang limit, or a capture that
contradicts the reader's own checks: a sample neither in the capture nor in a warning's
``skipped_lines`` (counted independently from the records by :mod:`kit.io.perfmon.blg_layout`),
a sample reported twice, unsorted times, data columns that differ from the catalogue, a value
that is not finite, a warning code without a severity, a second load or a cached reload that
differs, or the buffers walked together (numpy, as large logs are) finding other records or
another first fault than the record-by-record walk these small inputs get. Failing inputs go to ``fuzz/crashes/``; the summary to ``fuzz/results/blg-<date>.json``.

    nice -n 10 python3 fuzz/fuzz_blg.py --minutes 30
"""

from __future__ import annotations

import json
import signal
import sys
import tempfile
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "fuzz")]

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
from common import Tally, drive, fail, load_progress, main, private_work, versions, where  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import kit  # noqa: E402
from kit.contract import capture_dict  # noqa: E402
from kit.io.perfmon import blg_layout  # noqa: E402
from kit.io.perfmon import blg_writer as W  # noqa: E402
from kit.io.perfmon.quality import SEVERITY  # noqa: E402

REALDATA = ROOT.parent / "shared" / "realdata"
BUFFER = 65536
HANG_S = 30.0
"""A load that takes longer than this is a hang. [s]"""
EDGE_VALUES = (0, 1, 2, 5, 7, 8, 0x20, 0x22, 0x30, 0x48, 0x7F, 0x80, 0xC0, 0xFF, 0x1F40, 0x7FFF, 0x8000, 0xFFFF,
               0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x800007D0)


class Hang(Exception):
    """The load ran past :data:`HANG_S`."""


def synthetic_seeds(folder: Path) -> list[tuple[str, bytes]]:
    """Small synthetic logs covering what the real ones do not."""
    rng = np.random.default_rng(17)
    start = W.filetime(datetime(2025, 3, 9, 1, 0))
    out = []
    n = 12
    times = start + np.arange(n, dtype=np.int64) * 600_000_000  # 1-minute samples across a DST change
    ticks = np.cumsum(np.full(n, 2_630_633 * 60))
    names = [f"Mellanox ConnectX-6 Dx Adapter #{i}" for i in range(20)]
    present = rng.random((n, 20)) > 0.2
    pairs = [
        (W.Counter("\\\\HV01", "Network Interface", "*", "Bytes Received/sec", 0x10410500, 2_630_633),
         W.Values(np.cumsum(rng.integers(0, 10**9, (n, 20)), axis=0), np.repeat(ticks[:, None], 20, axis=1),
                  names=names, present=present)),
        (W.Counter("\\\\HV01", "Processor Information", "_Total", "% DPC Time", 0x20510500),
         W.Values(np.cumsum(rng.integers(0, 10**8, n)), np.cumsum(np.full(n, 600_000_000)))),
        (W.Counter("\\\\HV01", "Memory", None, "Available MBytes", 0x00010100),
         W.Values(rng.integers(0, 10**5, n), np.zeros(n, np.int64), status=np.where(rng.random(n) > 0.8, 0x800007D1, 0))),
        (W.Counter("\\\\HV01", "Hyper-V VM Live Migration", "*", "Transport: Bytes Sent", 0x00010100),
         W.Values(np.cumsum(rng.integers(0, 10**9, (n, 2)), axis=0), np.zeros((n, 2), np.int64),
                  names=["VM1:VM Live Migration", "VM2:VM Live Migration"], present=rng.random((n, 2)) > 0.5)),
    ]
    for name, options in (("synthetic-parts.blg", {}), ("synthetic-x86.blg", {"pointer_size": 4})):
        path = W.write(folder / name, [c for c, _ in pairs], times, [v for _, v in pairs], **options)
        out.append((name, path.read_bytes()))
    return out


def seed_files(folder: Path) -> list[tuple[str, bytes]]:
    """(name, bytes) of the seeds."""
    seeds = []
    if REALDATA.exists():
        seeds += [(p.name, p.read_bytes()) for p in sorted(REALDATA.glob("*.blg"))]
    excerpt = ROOT / "tests" / "data" / "bad" / "blg_excerpt.blg"
    if excerpt.exists():
        seeds.append((excerpt.name, excerpt.read_bytes()))
    return seeds + synthetic_seeds(folder)


def _structural_offsets(data: bytes) -> list[int]:
    """Offsets of the structures' bytes: buffer headers, record headers, payload starts."""
    spots = []
    for base in range(0, len(data), BUFFER):
        spots += range(base, min(base + 0x48, len(data)))
        fill = int.from_bytes(data[base + 0x30 : base + 0x34], "little") if base + 0x34 <= len(data) else 0
        at = base + 0x48
        while 0 < fill <= BUFFER and at + 0x48 <= min(base + fill, len(data)) and len(spots) < 20000:
            size = int.from_bytes(data[at : at + 2], "little")
            spots += range(at, at + 0x58)
            if size < 0x48:
                break
            at += (size + 7) & ~7
    return [s for s in spots if s < len(data)] or [0]


@st.composite
def mutate(draw: st.DrawFn, data: bytes, seeds: list[tuple[str, bytes]]) -> tuple[bytes, list[str]]:
    """``data`` after 1–4 binary mutations, and their names."""
    done = []
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 2, 3, 4]))):
        kind = draw(st.sampled_from(["flip", "flip-structure", "flip-structure", "field", "field", "truncate-edge",
                                     "truncate", "swap-buffers", "move-buffer", "repeat-buffer", "drop-buffer",
                                     "foreign-buffer", "zero"]))
        blocks = [data[i : i + BUFFER] for i in range(0, len(data), BUFFER)]
        if kind == "flip" and data:
            at = draw(st.integers(0, len(data) - 1))
            data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
        elif kind in ("flip-structure", "field") and data:
            at = draw(st.sampled_from(_structural_offsets(data)))
            if kind == "flip-structure":
                data = data[:at] + bytes([data[at] ^ (1 << draw(st.integers(0, 7)))]) + data[at + 1 :]
            else:
                width = draw(st.sampled_from([2, 4]))
                at -= at % width
                value = draw(st.sampled_from(EDGE_VALUES)) & ((1 << 8 * width) - 1)
                data = data[:at] + value.to_bytes(width, "little") + data[at + width :]
        elif kind == "truncate-edge":
            edge = BUFFER * draw(st.integers(0, max(0, len(blocks) - 1)))
            data = data[: max(0, edge + draw(st.sampled_from([0, 0, 0, -1, 1, -8, 8, 0x48, 0x100])))]
        elif kind == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
        elif kind in ("swap-buffers", "move-buffer", "repeat-buffer", "drop-buffer") and len(blocks) > 1:
            i, j = draw(st.integers(1, len(blocks) - 1)), draw(st.integers(1, len(blocks) - 1))
            if kind == "swap-buffers":
                blocks[i], blocks[j] = blocks[j], blocks[i]
            elif kind == "move-buffer":
                blocks.insert(j, blocks.pop(i))
            elif kind == "repeat-buffer":
                blocks.insert(j, blocks[i])
            else:
                del blocks[i]
            data = b"".join(blocks)
        elif kind == "foreign-buffer" and len(blocks) > 1:
            other = draw(st.sampled_from(seeds))[1]
            theirs = [other[i : i + BUFFER] for i in range(BUFFER, len(other), BUFFER)]
            if theirs:
                blocks[draw(st.integers(1, len(blocks) - 1))] = draw(st.sampled_from(theirs))
                data = b"".join(blocks)
        elif kind == "zero" and data:
            at = draw(st.integers(0, len(data) - 1))
            span = min(len(data) - at, draw(st.integers(1, 4096)))
            data = data[:at] + bytes(span) + data[at + span :]
        done.append(kind)
    return data, done


@st.composite
def cases(draw: st.DrawFn, seeds: list[tuple[str, bytes]]) -> dict:
    """One fuzz input: seed, mutated bytes, file suffix and load options."""
    name, data = draw(st.sampled_from(seeds))
    data, mutations = draw(mutate(data, seeds))
    options = {
        "utc_offset": draw(st.none() | st.sampled_from([0, 330, "-08:00"])),
        "override_zone": draw(st.booleans()),
        "correct_dst": draw(st.booleans()),
        "counters": draw(st.none() | st.none() | st.sampled_from([[r"\Network Interface(*)\*"], [r"\*\% *"],
                                                                 [r"\Processor(*)\% Processor Time"]])),
    }
    return {
        "seed": name, "mutations": mutations, "data": data, "options": options,
        "suffix": draw(st.sampled_from([".blg"] * 5 + [".csv"])), "cached": draw(st.integers(0, 14)) == 0,
    }


def _alarm(signum, frame):  # noqa: ARG001 - signal handler signature
    raise Hang()


def run_case(case: dict, work: Path, crashes: Path, tally: Tally) -> None:
    """Load one input and record the outcome; never raises (but for Ctrl-C)."""
    path = work / f"input{case['suffix']}"
    path.write_bytes(case["data"])
    tally.tried += 1
    signal.setitimer(signal.ITIMER_REAL, HANG_S)
    try:
        capture = kit.load(path, cache_results=False, progress=False, **case["options"])
    except Hang:
        fail(tally, crashes, case, "hang", f"over {HANG_S:.0f} s")
        return
    except kit.KitError as exc:
        tally.errors[type(exc).__name__] += 1
        if not isinstance(exc, kit.errors.OptionError) and (exc.path != str(path) or not exc.hint):
            fail(tally, crashes, case, "vague-error", f"{type(exc).__name__}: {exc}")
        return
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - polars panics are BaseException
        fail(tally, crashes, case, "crash", where(exc), traceback.format_exc())
        return
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        _check_walks(path, case, tally, crashes)
    try:
        _check_loaded(path, capture, case, tally, crashes)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001
        fail(tally, crashes, case, "crash-after-load", where(exc), traceback.format_exc())


def _walk(data: bytes, path: Path, vector: int):
    """The records :func:`blg_layout.walk` finds, or its error, with ``VECTOR_BUFFERS`` = ``vector``."""
    saved = blg_layout.VECTOR_BUFFERS
    blg_layout.VECTOR_BUFFERS = vector
    try:
        header = blg_layout.read_header(data, path)
        records = blg_layout.walk(data, header, path)
        return records.offset.tolist(), records.cut, records.buffers
    except kit.KitError as exc:
        return str(exc)
    finally:
        blg_layout.VECTOR_BUFFERS = saved


def _check_walks(path: Path, case: dict, tally: Tally, crashes: Path) -> None:
    """The buffers walked together (numpy, what large logs get) and record by record (what these
    small inputs get in a load) must find the same records and refuse the same first fault."""
    data = case["data"]
    try:
        if _walk(data, path, 0) != _walk(data, path, 10**9):
            fail(tally, crashes, case, "contradiction", "the two walks differ")
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001
        fail(tally, crashes, case, "crash-walk", where(exc), traceback.format_exc())


def sample_count(path: Path) -> int | None:
    """Sample payloads in the file, counted from its records alone (None: its structure is refused)."""
    data = path.read_bytes()
    try:
        header = blg_layout.read_header(data, path)
        records = blg_layout.walk(data, header, path)
    except kit.KitError:
        return None
    return int(blg_layout.assemble(records, blg_layout.SAMPLE).first.size)


def problems(path: Path, capture: kit.Capture) -> list[str]:
    """What of a loaded .blg contradicts the reader's own accounting and checks."""
    out = []
    [source] = capture.sources
    warnings = [w for w in capture.warnings if w.source == source.path]
    unknown = sorted({w.code for w in warnings} - set(SEVERITY))
    if unknown:
        out.append(f"warning codes not in SEVERITY: {unknown}")
    skipped = [line for w in warnings for line in w.skipped_lines]
    if len(set(skipped)) != len(skipped):
        out.append("a sample is reported skipped twice")
    total = sample_count(path)
    if source.format == "blg":
        if total is None:
            out.append("the load succeeded but the records walk refuses the file")
        elif source.samples + len(skipped) != total or any(not 1 <= s <= total for s in skipped):
            out.append(f"{total} samples, but {source.samples} in the capture + {len(skipped)} skipped")
    if source.rows != capture.data.height:
        out.append("SourceInfo.rows differs from the data")
    if capture.data.columns != ["time", *capture.catalog["column"]]:
        out.append("data columns differ from the catalogue")
    if not capture.data["time"].is_sorted():
        out.append("time is not sorted")
    values = capture.data.drop("time")
    if values.width and values.select(pl.any_horizontal(pl.all().is_nan() | pl.all().is_infinite()).any()).item():
        out.append("a value that is not finite")
    return out


def _check_loaded(path: Path, capture: kit.Capture, case: dict, tally: Tally, crashes: Path) -> None:
    codes = {w.code for w in capture.warnings}
    tally.codes.update(codes)
    tally.warned += bool(codes)
    tally.clean += not codes
    found = problems(path, capture)
    if found:
        fail(tally, crashes, case, "contradiction", found[0][:60], "\n".join(found))
    else:
        tally.accounted += 1
    json.dumps(capture_dict(capture), default=str, allow_nan=False)
    kit.quality_report(capture)
    again = kit.load(path, cache_results=False, progress=False, **case["options"])
    if not (again.data.equals(capture.data) and again.warnings == capture.warnings):
        fail(tally, crashes, case, "not-deterministic", "a second load differs")
    if case["cached"]:
        first = kit.load(path, progress=False, **case["options"])
        second = kit.load(path, progress=False, **case["options"])
        if not (second.data.equals(first.data) and second.warnings == first.warnings):
            fail(tally, crashes, case, "cache-mismatch", "cached reload differs")


def fuzz(
    *, seconds: float, seed: int, batch: int = 100, max_inputs: int | None = None,
    crashes: Path = ROOT / "fuzz" / "crashes", report_every: float = 60.0,
) -> dict:
    """Fuzz for ``seconds`` (or ``max_inputs``) and return the summary. [s]"""
    work = Path(tempfile.mkdtemp(prefix="kit-fuzz-blg-"))
    seeds = seed_files(work)
    tally = Tally()
    previous = signal.signal(signal.SIGALRM, _alarm)
    started = datetime.now(timezone.utc)
    begin = time.monotonic()
    try:
        with private_work(work):
            drive(
                cases(seeds), lambda case: run_case(case, work, crashes, tally), seconds=seconds, seed=seed,
                batch=batch, done=lambda: max_inputs is not None and tally.tried >= max_inputs,
                progress=load_progress(tally), report_every=report_every,
            )
    finally:
        signal.signal(signal.SIGALRM, previous)
    figures = tally.figures()
    return {
        "started_utc": started.isoformat(timespec="seconds"),
        "duration_s": round(time.monotonic() - begin, 1),
        "seed": seed,
        "seed_files": [name for name, _ in seeds],
        "hang_limit_s": HANG_S,
        "hangs": sum(v for k, v in tally.failures.items() if k.startswith("hang")),
        "uncaught_exceptions": sum(v for k, v in tally.failures.items() if k.startswith("crash")),
        **figures,
        "versions": versions(),
    }


if __name__ == "__main__":
    sys.exit(main(None, __doc__.splitlines()[0], fuzz, "fuzz/fuzz_blg.py", prefix="blg-"))
